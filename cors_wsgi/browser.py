"""The browser's side of the CORS protocol: Fetch's CORS check and preflight check, as pure functions.

Given a request description and the answers a server gave (status and headers, as
``(name, value)`` pairs, a name possibly repeated), :func:`judge` returns the
:class:`Verdict` a browser would reach: allowed, or blocked at a step with the reason
phrased like Chromium's console and a one-line hint on the server-side fix.

The rules (the Fetch standard's "CORS check" and "CORS-preflight fetch"):

* exactly one ``Access-Control-Allow-Origin`` value, equal byte for byte to the
  request's origin, or ``*`` when the request is not credentialed;
* with credentials, ``Access-Control-Allow-Credentials`` exactly ``true``;
* a preflight answer has a 2xx status and is never a redirect;
* the method is safelisted (GET, HEAD, POST), listed in ``Access-Control-Allow-Methods``
  (case-sensitively), or ``*`` is listed and the request is not credentialed;
* each non-safelisted request header name is listed in ``Access-Control-Allow-Headers``
  (case-insensitively), or ``*`` is listed and the request is not credentialed.  The
  standard says ``*`` never covers ``Authorization``; Chromium still lets it, and so
  does this module (a :attr:`Verdict.notes` entry says so).

Standard library and :mod:`cors_wsgi.methods` only; no network (the ``check`` command does the sending).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from .methods import SAFELISTED_METHODS, normalize_method

__all__ = [
    "ENGINES",
    "ENGINE_BROWSERS",
    "MAX_REDIRECTS",
    "REDIRECT_STATUSES",
    "SCRIPT_ERRORS",
    "CORSRequest",
    "EngineVerdict",
    "Response",
    "Verdict",
    "check_actual",
    "check_in",
    "check_preflight",
    "chromium_console_line",
    "follow_redirect",
    "judge",
    "judge_in",
    "needs_preflight",
    "normalize_method",
    "preflight_request_headers",
    "readable_response_headers",
    "unsafe_header_names",
    "url_origin",
]

Header = tuple[str, str]

_SIMPLE_CONTENT_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
_UNSAFE_BYTES = re.compile(r'[\x00-\x08\x0a-\x1f"():<>?@\[\\\]{}\x7f]')
_LANGUAGE_VALUE = re.compile(r"[0-9A-Za-z *,\-.;=]*")
_SIMPLE_RANGE = re.compile(r"bytes=[0-9]+-[0-9]*")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_ORIGIN_LIKE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s/?#]+/?")
_SAFELISTED_RESPONSE_HEADERS = (
    "cache-control",
    "content-language",
    "content-length",
    "content-type",
    "expires",
    "last-modified",
    "pragma",
)

_PREFLIGHT_PREFIX = "Response to preflight request doesn't pass access control check: "
#: Chromium 156 ends its console reasons about a wrong Access-Control-Allow-Origin value (multiple,
#: unequal, invalid) with this, after a preflight and an actual response alike; a missing header gets
#: no suffix (observed in tests/browser/test_scenarios.py).
_VALID_VALUE = " Have the server send the header with a valid value."


@dataclass(frozen=True)
class CORSRequest:
    """What the page asks for: its origin, the method, the headers the script sets, credentials mode.

    ``method`` is taken as the script wrote it (see :func:`normalize_method`);
    ``credentials`` means ``credentials: "include"`` (or XHR ``withCredentials``).
    """

    origin: str
    method: str = "GET"
    headers: tuple[Header, ...] = ()
    credentials: bool = False
    url: str = ""


@dataclass(frozen=True)
class Response:
    """One answer: the status code and the headers as sent (repeated names kept)."""

    status: int
    headers: tuple[Header, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """The browser's judgement.

    ``step`` is ``"preflight"`` or ``"actual"`` when blocked (``None`` when allowed);
    ``reason`` is the console text after "has been blocked by CORS policy: ";
    ``hint`` a one-line server-side fix; ``notes`` things that passed in Chromium but
    may not elsewhere.
    """

    allowed: bool
    step: str | None = None
    reason: str | None = None
    hint: str | None = None
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        """The verdict as a JSON-ready dict: the "verdict" object of ``check --json`` and ``explain --json``."""
        return {
            "allowed": self.allowed,
            "step": self.step,
            "reason": self.reason,
            "hint": self.hint,
            "notes": list(self.notes),
        }


def _header_is_safelisted(name: str, value: str) -> bool:
    name = name.lower()
    if len(value) > 128:
        return False
    if name == "accept":
        return _UNSAFE_BYTES.search(value) is None
    if name in ("accept-language", "content-language"):
        return _LANGUAGE_VALUE.fullmatch(value) is not None
    if name == "content-type":
        if _UNSAFE_BYTES.search(value) is not None:
            return False
        return value.split(";", 1)[0].strip(" \t").lower() in _SIMPLE_CONTENT_TYPES
    if name == "range":
        return _SIMPLE_RANGE.fullmatch(value.strip(" \t")) is not None
    return False


def unsafe_header_names(headers: Iterable[Header]) -> list[str]:
    """The CORS-unsafe request-header names: lowercased, sorted, unique (what the preflight announces)."""
    given = list(headers)
    names = {name.lower() for name, value in given if not _header_is_safelisted(name, value)}
    if sum(len(name) + len(value) for name, value in given if name.lower() not in names) > 1024:
        names.update(name.lower() for name, _ in given)  # safelisted values too long altogether
    return sorted(names)


def needs_preflight(method: str, headers: Iterable[Header] = ()) -> bool:
    """Whether a ``fetch()`` with this method and these ``(name, value)`` headers is preflighted (mode ``cors``)."""
    return normalize_method(method) not in SAFELISTED_METHODS or bool(unsafe_header_names(headers))


def preflight_request_headers(request: CORSRequest) -> list[Header]:
    """The CORS headers of the preflight a browser sends for ``request``."""
    headers: list[Header] = [
        ("Origin", request.origin),
        ("Access-Control-Request-Method", normalize_method(request.method)),
    ]
    names = unsafe_header_names(request.headers)
    if names:
        headers.append(("Access-Control-Request-Headers", ",".join(names)))
    return headers


def _values(headers: Sequence[Header], name: str) -> str | None:
    """All values of ``name`` (any case) joined by ``", "``, as the browser's network stack sees them."""
    found = [value.strip(" \t") for key, value in headers if key.lower() == name]
    return ", ".join(found) if found else None


def _split(value: str | None) -> list[str] | None:
    """A comma list of tokens, or ``None`` when it does not parse."""
    if value is None:
        return []
    items = [item.strip(" \t") for item in value.split(",")]
    items = [item for item in items if item]
    if not all(_TOKEN.fullmatch(item) for item in items):
        return None
    return items


def _blocked(step: str, reason: str, hint: str) -> Verdict:
    return Verdict(False, step, reason, hint)


def _cors_check(request: CORSRequest, response: Response, step: str) -> Verdict | None:
    """Fetch's CORS check; ``None`` when it passes."""
    preflight = step == "preflight"
    prefix = _PREFLIGHT_PREFIX if preflight else ""
    where = "the preflight (OPTIONS) answer" if preflight else "the response"
    origin = request.origin
    value = _values(response.headers, "access-control-allow-origin")
    if value is None:
        reason = f"{prefix}No 'Access-Control-Allow-Origin' header is present on the requested resource."
        if not preflight:
            return _blocked(
                step,
                reason,
                f"allow the origin {origin} on the server and make sure {where} goes through the CORS middleware "
                "(also error pages, redirects and auth hooks)",
            )
        # A refused preflight carries no CORS headers whatever was refused: name every candidate.
        asked = [f"the origin {origin}", f"the method {normalize_method(request.method)}"]
        names = unsafe_header_names(request.headers)
        if names:
            asked.append(f"the request header{'s' if len(names) > 1 else ''} {', '.join(names)}")
        return _blocked(
            step,
            reason,
            f"the server refused {', '.join(asked[:-1])} or {asked[-1]} — or the preflight (OPTIONS) never reached "
            "the CORS middleware (auth hooks, routing); its debug mode names which "
            "(cors_wsgi: CORSMiddleware(app, debug=True); Flask: CORS_DEBUG = True), then allow that one",
        )
    if "," in value:
        return _blocked(
            step,
            f"{prefix}The 'Access-Control-Allow-Origin' header contains multiple values '{value}', "
            f"but only one is allowed.{_VALID_VALUE}",
            "send Access-Control-Allow-Origin once: only one layer (app, middleware or proxy) may add CORS headers",
        )
    if value == "*":
        if request.credentials:
            return _blocked(
                step,
                f"{prefix}The value of the 'Access-Control-Allow-Origin' header in the response must not be the "
                "wildcard '*' when the request's credentials mode is 'include'.",
                f"list the origin {origin} explicitly (not '*') and allow credentials "
                "(cors_wsgi: allow_origins=[...], allow_credentials=True)",
            )
        return None
    if value != origin:
        if value != "null" and _ORIGIN_LIKE.fullmatch(value) is None:
            reason = f"The 'Access-Control-Allow-Origin' header contains the invalid value '{value}'."
        else:
            reason = (
                f"The 'Access-Control-Allow-Origin' header has a value '{value}' "
                "that is not equal to the supplied origin."
            )
        return _blocked(
            step,
            f"{prefix}{reason}{_VALID_VALUE}",
            f"send the request's origin back exactly, byte for byte: '{origin}' "
            "(lowercase scheme and host, no default port, no trailing slash)",
        )
    if request.credentials:
        credentials = _values(response.headers, "access-control-allow-credentials")
        if credentials != "true":
            return _blocked(
                step,
                f"{prefix}The value of the 'Access-Control-Allow-Credentials' header in the response is "
                f"'{credentials or ''}' which must be 'true' when the request's credentials mode is 'include'.",
                "send 'Access-Control-Allow-Credentials: true' (exactly, lowercase) "
                "(cors_wsgi: allow_credentials=True)",
            )
    return None


def check_preflight(request: CORSRequest, response: Response) -> Verdict:
    """Judge the answer to the preflight of ``request`` (CORS check, ok status, method, headers)."""
    step = "preflight"
    if 300 <= response.status < 400 and _values(response.headers, "location") is not None:
        return _blocked(
            step,
            f"{_PREFLIGHT_PREFIX}Redirect is not allowed for a preflight request.",
            "answer the preflight at this URL itself (no redirect, e.g. no trailing-slash redirect); "
            "point the page at the final URL",
        )
    failed = _cors_check(request, response, step)
    if failed is not None:
        return failed
    if not 200 <= response.status < 300:
        return _blocked(
            step,
            f"{_PREFLIGHT_PREFIX}It does not have HTTP ok status.",
            f"answer OPTIONS preflights with 2xx (got {response.status}): let the CORS middleware answer them "
            "before auth hooks, routing (404/405) and redirects",
        )
    notes: list[str] = []
    method = normalize_method(request.method)
    methods = _split(_values(response.headers, "access-control-allow-methods"))
    if methods is None:
        return _blocked(
            step,
            "Cannot parse Access-Control-Allow-Methods response header field in preflight response.",
            "send Access-Control-Allow-Methods as a comma-separated list of method names",
        )
    if not (method in SAFELISTED_METHODS or method in methods or ("*" in methods and not request.credentials)):
        hint = f"add {method} to the allowed methods (cors_wsgi: allow_methods=[...])"
        if method.upper() in methods:
            hint += (
                f"; methods compare case-sensitively: the page sends {method!r}, the server lists {method.upper()!r}"
            )
        elif "*" in methods:
            hint += "; '*' does not cover credentialed requests, list the method explicitly"
        return _blocked(
            step, f"Method {method} is not allowed by Access-Control-Allow-Methods in preflight response.", hint
        )
    allowed_headers = _split(_values(response.headers, "access-control-allow-headers"))
    if allowed_headers is None:
        return _blocked(
            step,
            "Cannot parse Access-Control-Allow-Headers response header field in preflight response.",
            "send Access-Control-Allow-Headers as a comma-separated list of header names",
        )
    listed = {name.lower() for name in allowed_headers}
    wildcard = "*" in listed and not request.credentials
    for name in unsafe_header_names(request.headers):
        if name in listed:
            continue
        if wildcard:
            if name == "authorization":
                notes.append(
                    "Access-Control-Allow-Headers '*' covers Authorization in Chromium only; the Fetch standard "
                    "(and other browsers) require listing Authorization explicitly"
                )
            continue
        hint = f"add {name} to the allowed headers (cors_wsgi: allow_headers=[...])"
        if "*" in listed:
            hint += "; '*' does not cover credentialed requests, list the header explicitly"
        return _blocked(
            step,
            f"Request header field {name} is not allowed by Access-Control-Allow-Headers in preflight response.",
            hint,
        )
    return Verdict(True, notes=tuple(notes))


def check_actual(request: CORSRequest, response: Response) -> Verdict:
    """Judge the answer to the actual request (the CORS check; any status is readable)."""
    failed = _cors_check(request, response, "actual")
    return failed if failed is not None else Verdict(True)


def readable_response_headers(request: CORSRequest, response: Response) -> list[str]:
    """The (lowercased) response header names a script may read after an allowed request."""
    present = {name.lower() for name, _ in response.headers}
    exposed = {name.lower() for name in (_split(_values(response.headers, "access-control-expose-headers")) or [])}
    if "*" in exposed and not request.credentials:
        exposed |= present
    readable = (set(_SAFELISTED_RESPONSE_HEADERS) | exposed) & present
    readable -= {"set-cookie", "set-cookie2"}
    return sorted(readable)


def judge(request: CORSRequest, preflight: Response | None, actual: Response | None) -> Verdict:
    """The verdict on a whole exchange.

    ``preflight`` is required exactly when :func:`needs_preflight`; ``actual`` may be
    ``None`` only when the preflight failed (the browser never sends the request then).
    """
    if needs_preflight(request.method, request.headers):
        if preflight is None:
            raise ValueError("this request is preflighted: give the preflight's answer")
        verdict = check_preflight(request, preflight)
        if not verdict.allowed:
            return verdict
        notes = verdict.notes
    else:
        notes = ()
    if actual is None:
        raise ValueError("give the actual response's answer")
    final = check_actual(request, actual)
    if final.allowed and notes:
        return Verdict(True, notes=notes)
    return final


# -- redirects ---------------------------------------------------------------------------

#: How many redirects a browser follows before failing the fetch (Fetch: "more than 20").
MAX_REDIRECTS = 20
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Request-body headers a browser drops when a redirect turns the request into a GET.
_BODY_HEADERS = frozenset({"content-encoding", "content-language", "content-location", "content-type"})


def url_origin(url: str) -> str | None:
    """The serialized origin of an http(s) URL, or ``None`` for any other URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    default = 443 if parts.scheme == "https" else 80
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + ("" if port in (None, default) else f":{port}")


def follow_redirect(request: CORSRequest, response: Response, url: str, hops: int) -> tuple[CORSRequest, str] | Verdict:
    """Where a browser goes after the redirect ``response`` to ``request``, or why the fetch fails (Fetch's
    HTTP-redirect fetch): the next request (method, headers, origin) and URL."""
    location = next(value for name, value in response.headers if name.lower() == "location")
    target = urljoin(url, location.strip())
    if hops >= MAX_REDIRECTS:
        return Verdict(
            False, "actual", f"net::ERR_TOO_MANY_REDIRECTS (more than {MAX_REDIRECTS} redirects)", "break the loop"
        )
    if url_origin(target) is None:
        return Verdict(
            False,
            "actual",
            f"Redirect location '{target}' has a disallowed scheme for cross-origin requests.",
            "redirect only to http: or https: URLs",
        )
    if urlsplit(target).username is not None or urlsplit(target).password is not None:
        return Verdict(
            False,
            "actual",
            f"Redirect location '{target}' contains a username and password, "
            "which is disallowed for cross-origin requests.",
            "remove the user name and password from the Location",
        )
    method, headers = request.method, request.headers
    if (response.status == 303 and method not in ("GET", "HEAD")) or (
        response.status in (301, 302) and method == "POST"
    ):
        method = "GET"
        headers = tuple(h for h in headers if h[0].lower() not in _BODY_HEADERS)
    origin = request.origin
    if url_origin(target) != url_origin(url) and origin != url_origin(url):
        origin = "null"  # the tainted origin: the browser sends "Origin: null" from now on
    return CORSRequest(origin, method, headers, request.credentials, target), target


# -- each engine's console wording ------------------------------------------------------------
#
# The checks above are the standard's, and their reasons are Chromium's words.  Firefox and
# WebKit reach the same verdicts (on every scenario tests/browser runs) but word them
# differently, and WebKit checks a preflight's status before its Access-Control-Allow-Origin.
# The texts below were copied from each engine's console (Chromium 150, Firefox ESR 140,
# WebKitGTK 2.50) and are proved against it by tests/browser/test_console_wording.py.

#: The engines whose console this module can word: Blink, Gecko, WebKit.
ENGINES = ("chromium", "firefox", "webkit")
#: The browser each engine speaks for (``check --browser all`` headings).
ENGINE_BROWSERS = {"chromium": "Chrome", "firefox": "Firefox", "webkit": "Safari"}
#: ``String(error)`` of a fetch the engine refused: what the page's ``catch`` sees.
SCRIPT_ERRORS = {
    "chromium": "TypeError: Failed to fetch",
    "firefox": "TypeError: NetworkError when attempting to fetch resource.",
    "webkit": "TypeError: Load failed",
}

_ACAO = "Access-Control-Allow-Origin"
_ACAC = "Access-Control-Allow-Credentials"
_ACAM = "Access-Control-Allow-Methods"
_ACAH = "Access-Control-Allow-Headers"
_FIREFOX_LINE = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at "
_FIREFOX_PREFLIGHT_FAILED = "CORS request did not succeed"


@dataclass(frozen=True)
class EngineVerdict:
    """One engine's verdict on one step (a preflight, or an actual request) and what its console prints.

    ``reasons`` are the engine's own phrases (Chromium's text after "has been blocked by CORS
    policy: ", Firefox's "(Reason: ...)", WebKit's security errors); ``console`` the whole
    lines, word for word, in order; ``script_error`` what the page's script sees.
    """

    engine: str
    allowed: bool
    step: str | None = None
    reasons: tuple[str, ...] = ()
    console: tuple[str, ...] = ()
    script_error: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "engine": self.engine,
            "browser": ENGINE_BROWSERS[self.engine],
            "allowed": self.allowed,
            "step": self.step,
            "reasons": list(self.reasons),
            "console": list(self.console),
            "script_error": self.script_error,
        }


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")


def _origin_refusal(request: CORSRequest, response: Response) -> tuple[str, str] | None:
    """Which part of the CORS check fails, as ``(kind, the value concerned)``; ``None`` when it passes."""
    value = _values(response.headers, "access-control-allow-origin")
    if value is None:
        return "missing", ""
    if "," in value:
        return "multiple", value
    if value == "*":
        return ("wildcard-with-credentials", value) if request.credentials else None
    if value != request.origin:
        return "mismatch", value
    if request.credentials and _values(response.headers, "access-control-allow-credentials") != "true":
        return "credentials", _values(response.headers, "access-control-allow-credentials") or ""
    return None


def _invalid_token(value: str) -> str:
    """The first item of a comma list that is not a token (as Firefox names it)."""
    for raw in value.split(","):
        item = raw.strip(" \t")
        if item and _TOKEN.fullmatch(item) is None:
            return item
    return value


def _list_refusal(request: CORSRequest, response: Response) -> tuple[str, str] | None:
    """A preflight's method and header checks: ``(kind, detail)`` or ``None``."""
    raw_methods = _values(response.headers, "access-control-allow-methods")
    methods = _split(raw_methods)
    if methods is None:
        return "methods-unparsable", raw_methods or ""
    method = normalize_method(request.method)
    if not (method in SAFELISTED_METHODS or method in methods or ("*" in methods and not request.credentials)):
        return "method", method
    raw_headers = _values(response.headers, "access-control-allow-headers")
    allowed_headers = _split(raw_headers)
    if allowed_headers is None:
        return "headers-unparsable", raw_headers or ""
    listed = {name.lower() for name in allowed_headers}
    wildcard = "*" in listed and not request.credentials
    written = {name.lower(): name for name, _ in reversed(request.headers)}
    for name in unsafe_header_names(request.headers):
        if name not in listed and not wildcard:
            return "header", written.get(name, name)
    return None


def _firefox(url: str, reason: str, status: int | None = None, quoted: bool = False) -> str:
    where = f"‘{url}’" if quoted else url
    code = "" if status is None else f". Status code: {status}"
    return f"{_FIREFOX_LINE}{where}. (Reason: {reason}){code}."


def _firefox_origin_reason(kind: str, value: str) -> tuple[str, bool]:
    """Firefox's reason for a failed CORS check, and whether its line gives the status code."""
    if kind == "missing":
        return f"CORS header ‘{_ACAO}’ missing", True
    if kind == "multiple":
        return f"Multiple CORS header ‘{_ACAO}’ not allowed", False
    if kind == "wildcard-with-credentials":
        return f"Credential is not supported if the CORS header ‘{_ACAO}’ is ‘*’", False
    if kind == "mismatch":
        return f"CORS header ‘{_ACAO}’ does not match ‘{value}’", False
    return f"expected ‘true’ in CORS header ‘{_ACAC}’", False


def _webkit_origin_reason(kind: str, request: CORSRequest, status: int) -> str:
    if kind in ("missing", "mismatch"):
        return f"Origin {request.origin} is not allowed by {_ACAO}. Status code: {status}"
    if kind == "multiple":
        return f"{_ACAO} cannot contain more than one origin."
    if kind == "wildcard-with-credentials":
        return f"Cannot use wildcard in {_ACAO} when credentials flag is true."
    return f'Credentials flag is true, but {_ACAC} is not "true".'


def _firefox_verdict(request: CORSRequest, response: Response, step: str, url: str) -> EngineVerdict:
    preflight = step == "preflight"
    reasons: list[str] = []
    lines: list[str] = []

    def add(reason: str, status: int | None = None, quoted: bool = False) -> None:
        reasons.append(reason)
        lines.append(_firefox(url, reason, status, quoted))

    if preflight and 300 <= response.status < 400 and _values(response.headers, "location") is not None:
        add("CORS request external redirect not allowed")
        add("CORS preflight response did not succeed", response.status)
    elif (refusal := _origin_refusal(request, response)) is not None:
        kind, value = refusal
        reason, with_status = _firefox_origin_reason(kind, value)
        add(reason, response.status if with_status else None, quoted=kind == "wildcard-with-credentials")
    elif preflight and not 200 <= response.status < 300:
        add("CORS preflight response did not succeed", response.status)
    elif preflight and (listed := _list_refusal(request, response)) is not None:
        kind, detail = listed
        if kind == "methods-unparsable":
            add(f"invalid token ‘{_invalid_token(detail)}’ in CORS header ‘{_ACAM}’")
        elif kind == "method":
            add(f"Did not find method in CORS header ‘{_ACAM}’")
        elif kind == "headers-unparsable":
            add(f"invalid token ‘{_invalid_token(detail)}’ in CORS header ‘{_ACAH}’")
        else:
            add(f"header ‘{detail.lower()}’ is not allowed according to header ‘{_ACAH}’ from CORS preflight response")
    else:
        return EngineVerdict("firefox", True)
    if preflight:  # Firefox's second (third) line after any failed preflight
        reasons.append(_FIREFOX_PREFLIGHT_FAILED)
        lines.append(f"{_FIREFOX_LINE}{url}. (Reason: {_FIREFOX_PREFLIGHT_FAILED}). Status code: (null).")
    return EngineVerdict("firefox", False, step, tuple(reasons), tuple(lines), SCRIPT_ERRORS["firefox"])


def _webkit_verdict(request: CORSRequest, response: Response, step: str, url: str) -> EngineVerdict:
    preflight = step == "preflight"
    reason: str
    if preflight and not 200 <= response.status < 300:  # redirects included, and before the CORS check
        reason = f"Preflight response is not successful. Status code: {response.status}"
    elif (refusal := _origin_refusal(request, response)) is not None:
        reason = _webkit_origin_reason(refusal[0], request, response.status)
    elif preflight and (listed := _list_refusal(request, response)) is not None:
        kind, detail = listed
        if kind == "methods-unparsable":
            reason = f"Header {_ACAM} has an invalid value: {detail}"
        elif kind == "method":
            reason = f"Method {detail} is not allowed by {_ACAM}."
        elif kind == "headers-unparsable":
            reason = f"Header {_ACAH} has an invalid value: {detail}"
        else:
            reason = f"Request header field {detail} is not allowed by {_ACAH}."  # as the script wrote it
    else:
        return EngineVerdict("webkit", True)
    lines = (reason, f"Fetch API cannot load {url} due to access control checks.")
    return EngineVerdict("webkit", False, step, (reason,), lines, SCRIPT_ERRORS["webkit"])


def chromium_console_line(
    request: CORSRequest, reason: str, url: str, redirected_from: str | None = None, page_origin: str | None = None
) -> str:
    """Chromium's console line for a blocked fetch of ``url`` whose reason is ``reason`` (a :class:`Verdict`'s).

    Chromium names the page's origin, ``page_origin``, even after a cross-origin redirect made
    the request's own ``Origin`` ``null`` (observed; ``request.origin`` when not given).
    """
    came_from = f" (redirected from '{redirected_from}')" if redirected_from else ""
    blocked = f"from origin '{page_origin or request.origin}' has been blocked by CORS policy: {reason}"
    return f"Access to fetch at '{url}'{came_from} {blocked}"


def check_in(
    engine: str,
    request: CORSRequest,
    response: Response,
    step: str,
    url: str,
    redirected_from: str | None = None,
    page_origin: str | None = None,
) -> EngineVerdict:
    """``engine``'s verdict on one answer: ``step`` is ``"preflight"`` (the answer to the preflight of
    ``request``) or ``"actual"``; ``url`` the address fetched (``redirected_from`` the first one, after a
    redirect), as the console names it; ``page_origin`` the page's origin when a redirect changed the
    request's (Chromium's line names the page's).  Chromium's reasons are :func:`check_preflight`'s and
    :func:`check_actual`'s; Firefox's and WebKit's are their own, in their own order of checks.
    """
    _check_engine(engine)
    if step not in ("preflight", "actual"):
        raise ValueError(f"step is 'preflight' or 'actual', not {step!r}")
    if engine == "firefox":
        return _firefox_verdict(request, response, step, url)
    if engine == "webkit":
        return _webkit_verdict(request, response, step, url)
    verdict = check_preflight(request, response) if step == "preflight" else check_actual(request, response)
    if verdict.allowed or verdict.reason is None:
        return EngineVerdict("chromium", True)
    line = chromium_console_line(request, verdict.reason, url, redirected_from, page_origin)
    return EngineVerdict("chromium", False, step, (verdict.reason,), (line,), SCRIPT_ERRORS["chromium"])


def judge_in(
    engine: str, request: CORSRequest, preflight: Response | None, actual: Response | None, url: str
) -> EngineVerdict:
    """``engine``'s verdict on a whole exchange without redirects (see :func:`judge` for the arguments)."""
    _check_engine(engine)
    if needs_preflight(request.method, request.headers):
        if preflight is None:
            raise ValueError("this request is preflighted: give the preflight's answer")
        verdict = check_in(engine, request, preflight, "preflight", url)
        if not verdict.allowed:
            return verdict
    if actual is None:
        raise ValueError("give the actual response's answer")
    return check_in(engine, request, actual, "actual", url)
