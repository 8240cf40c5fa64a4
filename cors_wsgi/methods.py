"""HTTP methods as the Fetch standard sees them: one home for the method tables.

Used by the policy (what may be configured), the engine (what a preflight may ask
for without being listed) and :mod:`cors_wsgi.browser` (what a browser sends).
"""

from __future__ import annotations

__all__ = ["DEFAULT_METHODS", "FORBIDDEN_METHODS", "NORMALIZED_METHODS", "SAFELISTED_METHODS", "normalize_method"]

#: ``allow_methods`` when not given.
DEFAULT_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
#: CORS-safelisted methods: a browser never needs them to be allowed explicitly.
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
#: Methods Fetch uppercases before sending, whatever case the script used; any other
#: method (``patch``, ``propfind``) is sent exactly as written, and compared case-sensitively.
NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
#: Methods ``fetch()`` refuses to send at all.
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})


def normalize_method(method: str) -> str:
    """The method as the browser sends it: DELETE, GET, HEAD, OPTIONS, POST, PUT uppercased, others as written."""
    upper = method.upper()
    return upper if upper in NORMALIZED_METHODS else method
