"""flask_cors_ext: the Flask face of :mod:`cors_wsgi`.

::

    from flask_cors_ext import CORS, cross_origin

    CORS(app, allow_origins=["https://app.example.com"], allow_credentials=True)

A flask-cors user migrates by changing the import: flask-cors's option names and
``CORS_*`` config keys are accepted too (see the README's migration section).
"""

from .decorator import cross_origin
from .extension import CORS

__all__ = ["CORS", "cross_origin"]
