"""flask_cors_ext: the Flask face of :mod:`cors_wsgi`.

::

    from flask_cors_ext import CORS, cross_origin

    CORS(app, allow_origins=["https://app.example.com"], allow_credentials=True)

flask-cors's option names and ``CORS_*`` config keys are accepted too, with this
library's strict defaults.  A flask-cors application that should keep flask-cors's
behaviour and header forms switches by one import instead::

    from flask_cors_ext.compat import CORS, cross_origin   # was: from flask_cors import ...

(:mod:`flask_cors_ext.compat`, ``docs/migrating-from-flask-cors.rst``).
"""

from .decorator import cross_origin
from .extension import CORS

__all__ = ["CORS", "cross_origin"]
