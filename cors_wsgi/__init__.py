"""cors_wsgi: spec-exact, secure-by-default CORS for any WSGI or ASGI application.

::

    from cors_wsgi import CORSMiddleware

    app = CORSMiddleware(app, allow_origins=["https://app.example.com"], allow_credentials=True)

Map of the package (where to look for what):

``policy``      options in -> validated, immutable :class:`CORSPolicy`; precomputes answers
``origins``     one origin: parsing, the browser's serialization (IDNA, IPs), public suffixes; matching
``methods``     the method tables (safelisted, normalized, forbidden)
``headers``     header-name tokens, the bounded request-headers parser, ``Vary`` merging
``resources``   per-path patterns and their "most specific wins" order
``engine``      the compiled policy and the decision: preflight answer, or headers for the app's answer
``middleware``  the WSGI adapter
``asgi``        the ASGI adapter (FastAPI, Starlette): ``from cors_wsgi.asgi import CORSMiddleware``
``browser``     the browser's side of the protocol (used by ``python -m cors_wsgi check``)
``errors``      :class:`CORSConfigError`
"""

from .errors import CORSConfigError
from .middleware import CORSMiddleware
from .policy import CORSPolicy

__all__ = ["CORSConfigError", "CORSMiddleware", "CORSPolicy"]
__version__ = "0.1.0"
