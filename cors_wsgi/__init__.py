"""cors_wsgi: spec-exact, secure-by-default CORS for any WSGI application.

::

    from cors_wsgi import CORSMiddleware

    app = CORSMiddleware(app, allow_origins=["https://app.example.com"], allow_credentials=True)

Map of the package (where to look for what):

``policy``      options in -> validated, immutable :class:`CORSPolicy`; precomputes answers
``origins``     parsing one origin; matching a request's origin against the configured ones
``headers``     header-name tokens, the bounded request-headers parser, ``Vary`` merging
``resources``   per-path patterns and their "most specific wins" order
``engine``      the decision: preflight answer, or headers for the application's answer
``middleware``  the WSGI adapter
``browser``     the browser's side of the protocol (used by ``python -m cors_wsgi check``)
``errors``      :class:`CORSConfigError`
"""

from .errors import CORSConfigError
from .middleware import CORSMiddleware
from .policy import CORSPolicy

__all__ = ["CORSConfigError", "CORSMiddleware", "CORSPolicy"]
__version__ = "0.1.0"
