"""What each engine was seen to say: the script's error and the console's CORS reasons, literally.

These are the suite's expectations (written down from the engines' own output, never
taken from ``cors_wsgi``): Chromium 150, Firefox ESR 140 and WebKitGTK 2.50.  A reason is
what :attr:`conftest.Fetched.cors_reasons` extracts from the console: Chromium's text
after "has been blocked by CORS policy: ", Firefox's "(Reason: ...)" of each
"Cross-Origin Request Blocked" line, WebKit's security errors before its closing
"Fetch API cannot load URL due to access control checks." line.
"""

from __future__ import annotations

#: ``String(error)`` of a fetch the engine refused.
FAILED = {
    "chromium": "TypeError: Failed to fetch",
    "firefox": "TypeError: NetworkError when attempting to fetch resource.",
    "webkit": "TypeError: Load failed",
}

PRE = "Response to preflight request doesn't pass access control check: "
#: Firefox ends every failed preflight's report with this second line.
FIREFOX_PREFLIGHT_FAILED = "CORS request did not succeed"
ACAO = "Access-Control-Allow-Origin"


def _then(engine: str, preflight: bool) -> list[str]:
    return [FIREFOX_PREFLIGHT_FAILED] if engine == "firefox" and preflight else []


def no_allow_origin(engine: str, origin: str, status: int, preflight: bool = False) -> list[str]:
    """No ``Access-Control-Allow-Origin`` on the answer (``status``) to a request from ``origin``."""
    if engine == "chromium":
        return [(PRE if preflight else "") + f"No '{ACAO}' header is present on the requested resource."]
    if engine == "firefox":
        return [f"CORS header ‘{ACAO}’ missing", *_then(engine, preflight)]
    return [f"Origin {origin} is not allowed by {ACAO}. Status code: {status}"]


def wildcard_with_credentials(engine: str, preflight: bool = False) -> list[str]:
    if engine == "chromium":
        return [
            (PRE if preflight else "")
            + f"The value of the '{ACAO}' header in the response must not be the wildcard '*' "
            "when the request's credentials mode is 'include'."
        ]
    if engine == "firefox":
        return [f"Credential is not supported if the CORS header ‘{ACAO}’ is ‘*’", *_then(engine, preflight)]
    return [f"Cannot use wildcard in {ACAO} when credentials flag is true."]


def method_not_allowed(engine: str, method: str) -> list[str]:
    """``method`` as the script wrote it."""
    if engine == "chromium":
        return [f"Method {method} is not allowed by Access-Control-Allow-Methods in preflight response."]
    if engine == "firefox":
        return ["Did not find method in CORS header ‘Access-Control-Allow-Methods’", FIREFOX_PREFLIGHT_FAILED]
    return [f"Method {method} is not allowed by Access-Control-Allow-Methods."]


def header_not_allowed(engine: str, name: str) -> list[str]:
    """``name`` as the script wrote it (Chromium and Firefox lowercase it, WebKit keeps it)."""
    if engine == "chromium":
        return [
            f"Request header field {name.lower()} is not allowed by Access-Control-Allow-Headers in preflight response."
        ]
    if engine == "firefox":
        return [
            f"header ‘{name.lower()}’ is not allowed according to header ‘Access-Control-Allow-Headers’ "
            "from CORS preflight response",
            FIREFOX_PREFLIGHT_FAILED,
        ]
    return [f"Request header field {name} is not allowed by Access-Control-Allow-Headers."]


def preflight_not_ok(engine: str, status: int) -> list[str]:
    """A preflight answered with a non-2xx ``status`` (and CORS headers that would pass)."""
    if engine == "chromium":
        return [PRE + "It does not have HTTP ok status."]
    if engine == "firefox":
        return ["CORS preflight response did not succeed", FIREFOX_PREFLIGHT_FAILED]
    return [f"Preflight response is not successful. Status code: {status}"]


def refused_preflight(engine: str, origin: str, status: int) -> list[str]:
    """A preflight refused with a non-2xx ``status`` and no CORS headers (cors_wsgi's 403).

    Chromium and Firefox check Access-Control-Allow-Origin first, WebKit the status first.
    """
    if engine == "webkit":
        return preflight_not_ok(engine, status)
    return no_allow_origin(engine, origin, status, preflight=True)
