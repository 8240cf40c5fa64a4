"""A table of hostile request values, each sent through ``validator(CORSMiddleware(validator(app)))``.

Huge header values, NUL/CR/LF/DEL bytes, non-ASCII latin-1, header-injection attempts,
look-alike origins, IDN, IPv6 literals, user information, trailing dots, repeated
headers.  For each: nothing raises, the answer is the literal status and
``Access-Control-*`` headers written here, and no header value the middleware sends
contains a control character.  (The requests run; their time is not asserted.)

Further down: how much memory one hostile request may make the middleware allocate,
and configuration values that are hostile to ``re.compile``.
"""

from __future__ import annotations

import re
import tracemalloc
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.validate import validator

import pytest
from support import hello_app as app
from support import wsgi_environ as environ

from cors_wsgi import CORSConfigError, CORSMiddleware, CORSPolicy

A = "https://a.example.com"
OPTIONS: dict[str, Any] = {
    "allow_origins": [A, "https://*.sub.example.com", "http://[::1]:8080", "https://xn--bcher-kva.example"],
    "allow_credentials": True,
    "allow_methods": ["GET", "PUT"],
    "allow_headers": ["X-Token"],
    "max_age": 600,
}
MB = 1_000_000
PREFLIGHT_VARY = ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
REFUSED_PREFLIGHT = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "0"), PREFLIGHT_VARY]
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Headers = list[tuple[str, str]]


def call(middleware: Callable[..., Iterable[bytes]], env: dict[str, Any]) -> tuple[str, Headers, bytes]:
    seen: list[tuple[str, Headers]] = []

    def start_response(status: str, headers: Headers, exc_info: Any = None) -> Callable[[bytes], None]:
        seen.append((status, list(headers)))
        return lambda data: None

    result = validator(middleware)(env, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()  # type: ignore[attr-defined]
    (status, headers) = seen[-1]
    for name, value in headers:
        assert not CONTROL.search(name + value), (name, value[:200])
    return status, headers, body


def access_control(headers: Headers) -> Headers:
    return [(n, v) for n, v in headers if n.lower().startswith("access-control-")]


@pytest.fixture(scope="module")
def middleware() -> CORSMiddleware:
    return CORSMiddleware(validator(app), **OPTIONS)


def allowed_actual(origin: str) -> Headers:
    return [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true")]


# (what is tried, Origin value, the Access-Control-* headers of the answer to a GET)
ACTUAL_ROWS: list[tuple[str, str, Headers]] = [
    ("allowed origin (control row)", A, allowed_actual(A)),
    ("CRLF header injection", f"{A}\r\nSet-Cookie: x=1", []),
    ("LF header injection", f"{A}\nSet-Cookie: x=1", []),
    ("trailing CR", f"{A}\r", []),
    ("trailing LF", f"{A}\n", []),
    ("NUL byte", f"{A}\x00", []),
    ("DEL byte", f"{A}\x7f", []),
    ("trailing tab", f"{A}\t", []),
    ("leading space", f" {A}", []),
    ("only NUL bytes", "\x00" * 64, []),
    ("null, not listed", "null", []),
    ("NULL", "NULL", []),
    ("Null", "Null", []),
    ("listed origin as a prefix of an attacker host", "https://a.example.com.evil.net", []),
    ("pattern host as a prefix of an attacker host", "https://x.sub.example.com.evil.net", []),
    ("pattern's parent glued to a label", "https://evilsub.example.com", []),
    ("pattern's apex", "https://sub.example.com", []),
    ("a subdomain the pattern allows", "https://x.sub.example.com", allowed_actual("https://x.sub.example.com")),
    ("IDN in unicode (latin-1 bytes)", "https://b\xfccher.example", []),
    ("IDN in punycode", "https://xn--bcher-kva.example", allowed_actual("https://xn--bcher-kva.example")),
    ("non-ASCII latin-1 host", "https://\xe9xample.com", []),
    ("IPv6 literal, listed", "http://[::1]:8080", allowed_actual("http://[::1]:8080")),
    ("IPv6 literal, other port", "http://[::1]", []),
    ("IPv6 literal, uncompressed", "http://[0:0:0:0:0:0:0:1]:8080", []),
    ("IPv6 literal, unbalanced", "http://[::1]:8080]", []),
    ("IPv6 literal, leading-zero port", "http://[::1]:08080", []),
    ("user information", "https://user@a.example.com", []),
    ("listed origin as user information", "https://a.example.com@evil.net", []),
    ("trailing dot", "https://a.example.com.", []),
    ("trailing slash", "https://a.example.com/", []),
    ("explicit default port", "https://a.example.com:443", []),
    ("upper case", "HTTPS://A.EXAMPLE.COM", []),
    ("repeated Origin, allowed first", f"{A}, https://evil.net", allowed_actual(A)),
    ("repeated Origin, attacker first", f"https://evil.net, {A}", []),
    ("empty first value", f",{A}", []),
    ("8 KiB of commas", "," * 8192, []),
    ("1 MB of letters", "a" * MB, []),
    ("allowed origin padded with 1 MB of spaces", A + " " * MB, []),
    ("1 MB of 0xff bytes", "\xff" * MB, []),
    ("1 MB of CRLF", "\r\n" * (MB // 2), []),
]


@pytest.mark.parametrize(("what", "origin", "expected"), ACTUAL_ROWS, ids=[row[0] for row in ACTUAL_ROWS])
def test_hostile_origin_on_an_ordinary_request(
    middleware: CORSMiddleware, what: str, origin: str, expected: Headers
) -> None:
    status, headers, body = call(middleware, environ("GET", ORIGIN=origin))
    assert status == "200 OK"
    assert body == b"hello"
    assert access_control(headers) == expected
    assert ("Vary", "Origin") in headers
    assert [name for name, _ in headers if name.lower() == "set-cookie"] == []


def allowed_preflight(acah: str | None = None) -> Headers:
    headers = [
        ("Access-Control-Allow-Origin", A),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Methods", "GET, PUT"),
    ]
    if acah:
        headers.append(("Access-Control-Allow-Headers", acah))
    return [*headers, ("Access-Control-Max-Age", "600")]


X_TOKEN = allowed_preflight("X-Token")
# (what is tried, Origin, Access-Control-Request-Method, Access-Control-Request-Headers, status, CORS headers)
PREFLIGHT_ROWS: list[tuple[str, str, str, str | None, str, Headers]] = [
    ("allowed preflight (control row)", A, "PUT", "x-token", "204 No Content", X_TOKEN),
    ("ACRH: 8 KiB of commas", A, "PUT", "," * 8192, "403 Forbidden", []),
    ("ACRH: 1 MB of names", A, "PUT", "x-token," * (MB // 8), "403 Forbidden", []),
    ("ACRH: 1 MB of one letter", A, "PUT", "a" * MB, "403 Forbidden", []),
    ("ACRH: 1 MB of spaces and tabs", A, "PUT", " \t" * (MB // 2), "403 Forbidden", []),
    ("ACRH: NUL", A, "PUT", "x-token\x00", "403 Forbidden", []),
    ("ACRH: CRLF injection", A, "PUT", "x-token\r\nX-Evil: 1", "403 Forbidden", []),
    ("ACRH: DEL", A, "PUT", "x-tok\x7fen", "403 Forbidden", []),
    ("ACRH: non-ASCII latin-1", A, "PUT", "x-t\xf6ken", "403 Forbidden", []),
    ("ACRH: space inside a name", A, "PUT", "x token", "403 Forbidden", []),
    (
        "ACRH: 64 elements (the limit)",
        A,
        "PUT",
        ",".join(["x-token"] * 64),
        "204 No Content",
        X_TOKEN,
    ),
    ("ACRH: 65 elements", A, "PUT", ",".join(["x-token"] * 65), "403 Forbidden", []),
    (
        "ACRH: 2048 characters (the limit)",
        A,
        "PUT",
        "x-token" + " " * 2041,
        "204 No Content",
        X_TOKEN,
    ),
    ("ACRH: 2049 characters", A, "PUT", "x-token" + " " * 2042, "403 Forbidden", []),
    (
        "ACRH: any case, tabs, empties",
        A,
        "PUT",
        "\tX-TOKEN ,, x-Token\t",
        "204 No Content",
        X_TOKEN,
    ),
    ("ACRM: CRLF injection", A, "PUT\r\nX-Injected: 1", None, "403 Forbidden", []),
    ("ACRM: NUL", A, "PUT\x00", None, "403 Forbidden", []),
    ("ACRM: lower case", A, "put", None, "403 Forbidden", []),
    ("ACRM: substring of an allowed method", A, "PU", None, "403 Forbidden", []),
    ("ACRM: repeated, allowed first", A, "PUT, DELETE", None, "204 No Content", allowed_preflight()),
    ("ACRM: repeated, refused first", A, "DELETE, PUT", None, "403 Forbidden", []),
    ("ACRM: 1 MB of 0xff bytes", A, "\xff" * MB, None, "403 Forbidden", []),
    ("ACRM: empty", A, "", None, "403 Forbidden", []),
    ("Origin: CRLF injection", f"{A}\r\nSet-Cookie: x=1", "PUT", None, "403 Forbidden", []),
    ("Origin: look-alike host", "https://a.example.com.evil.net", "PUT", None, "403 Forbidden", []),
    ("Origin: null", "null", "PUT", None, "403 Forbidden", []),
    ("Origin: 1 MB", "a" * MB, "PUT", None, "403 Forbidden", []),
    ("Origin: 1 MB of 0xff bytes", "\xff" * MB, "PUT", None, "403 Forbidden", []),
]


@pytest.mark.parametrize(
    ("what", "origin", "method", "request_headers", "status", "expected"),
    PREFLIGHT_ROWS,
    ids=[row[0] for row in PREFLIGHT_ROWS],
)
def test_hostile_preflight(
    middleware: CORSMiddleware,
    what: str,
    origin: str,
    method: str,
    request_headers: str | None,
    status: str,
    expected: Headers,
) -> None:
    headers_in = {"ORIGIN": origin, "ACCESS_CONTROL_REQUEST_METHOD": method}
    if request_headers is not None:
        headers_in["ACCESS_CONTROL_REQUEST_HEADERS"] = request_headers
    got_status, headers, body = call(middleware, environ("OPTIONS", **headers_in))
    assert got_status == status
    assert body == b""
    assert access_control(headers) == expected
    if status == "403 Forbidden":
        assert headers == REFUSED_PREFLIGHT
    else:
        assert headers == [*expected, PREFLIGHT_VARY]


@pytest.mark.parametrize(
    ("value", "answered"),
    [("true", True), ("TRUE", True), (" true\t", True), ("true\r\n", False), ("false", False), ("\xff" * MB, False)],
    ids=["true", "TRUE", "padded", "CRLF", "false", "1 MB"],
)
def test_hostile_private_network_request(value: str, answered: bool) -> None:
    middleware = CORSMiddleware(validator(app), allow_origins=[A], allow_private_network=True)
    status, headers, _ = call(
        middleware,
        environ(
            "OPTIONS",
            ORIGIN=A,
            ACCESS_CONTROL_REQUEST_METHOD="GET",
            ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK=value,
        ),
    )
    assert status == "204 No Content"
    assert (("Access-Control-Allow-Private-Network", "true") in headers) is answered


@pytest.mark.parametrize(
    "path",
    ["/api/\r\nSet-Cookie: x=1", "/api/\x00", "/api/\xff\xfe", "/api/" + "a" * MB],
    ids=["CRLF", "NUL", "latin-1", "1 MB"],
)
def test_hostile_path_under_a_covered_prefix(path: str) -> None:
    middleware = CORSMiddleware(validator(app), resources={"/api/*": {"allow_origins": [A]}})
    status, headers, _ = call(middleware, environ("OPTIONS", path, ORIGIN=A, ACCESS_CONTROL_REQUEST_METHOD="PUT"))
    assert status == "204 No Content"
    assert ("Access-Control-Allow-Origin", A) in headers
    status, headers, _ = call(middleware, environ("GET", path, ORIGIN=A))
    assert status == "200 OK"
    assert access_control(headers) == [("Access-Control-Allow-Origin", A)]


@pytest.mark.parametrize(
    "path", ["/\r\n/api/x", "/ap\x00i/x", "/API/x", "/api"], ids=["CRLF", "NUL", "case", "no slash"]
)
def test_hostile_path_outside_every_pattern_passes_through(path: str) -> None:
    middleware = CORSMiddleware(validator(app), resources={"/api/*": {"allow_origins": [A]}})
    status, headers, body = call(middleware, environ("GET", path, ORIGIN=A))
    assert (status, headers, body) == ("200 OK", [("Content-Type", "text/plain")], b"hello")


# ---------------------------------------------------------------------------------------
# Memory: one hostile request must not make the middleware allocate in proportion to it
# ---------------------------------------------------------------------------------------

NO_BUG: tuple[pytest.MarkDecorator, ...] = ()

# (what, method, headers, the allocation bug that makes it fail today, if any)
MEMORY_ROWS: list[tuple[str, str, dict[str, str], tuple[pytest.MarkDecorator, ...]]] = [
    ("GET, Origin 1 MB", "GET", {"ORIGIN": "\xff" * MB}, NO_BUG),
    (
        "GET, Origin 1 MB then a comma",
        "GET",
        {"ORIGIN": "a" * MB + ", x"},
        NO_BUG,
    ),
    (
        "preflight, ACRH 1 MB",
        "OPTIONS",
        {"ORIGIN": A, "ACCESS_CONTROL_REQUEST_METHOD": "PUT", "ACCESS_CONTROL_REQUEST_HEADERS": "\xff" * MB},
        NO_BUG,
    ),
    (
        "preflight, refused Origin 1 MB",
        "OPTIONS",
        {"ORIGIN": "\xff" * MB, "ACCESS_CONTROL_REQUEST_METHOD": "PUT"},
        NO_BUG,
    ),
    (
        "preflight, allowed Origin, ACRM 1 MB",
        "OPTIONS",
        {"ORIGIN": A, "ACCESS_CONTROL_REQUEST_METHOD": "\xff" * MB},
        NO_BUG,
    ),
    (
        "preflight, allowed Origin, ACRPN 1 MB",
        "OPTIONS",
        {"ORIGIN": A, "ACCESS_CONTROL_REQUEST_METHOD": "PUT", "ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK": "\xff" * MB},
        NO_BUG,
    ),
]


@pytest.mark.parametrize(
    ("what", "method", "headers"),
    [pytest.param(what, method, headers, marks=marks, id=what) for what, method, headers, marks in MEMORY_ROWS],
)
def test_a_hostile_request_allocates_little(what: str, method: str, headers: dict[str, str]) -> None:
    """rs/cors CVE-2025-47908: a 1 MB header cost 121 MB.  Here: under 64 KiB for a 1 MB value."""
    middleware = CORSMiddleware(app, **OPTIONS, allow_private_network=True)

    def once() -> None:
        result = middleware(environ(method, **headers), lambda status, headers, exc_info=None: None)
        b"".join(result)

    once()  # warm: first-call caches are not the request's cost
    env_ready = environ(method, **headers)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        b"".join(middleware(env_ready, lambda status, headers, exc_info=None: None))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024, f"{what}: {peak / 1024:.0f} KiB allocated"


# ---------------------------------------------------------------------------------------
# Hostile configuration values: a CORSConfigError, never another exception
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", ["(" * 600, "a{99999999999}"], ids=["deep nesting", "huge repeat"])
def test_a_regex_that_cannot_compile_is_a_config_error(pattern: str) -> None:
    escaped = None
    try:
        CORSPolicy(allow_origin_regex=pattern)
    except CORSConfigError as error:
        assert error.problems[0].startswith("allow_origin_regex ")
    except (RecursionError, OverflowError) as error:
        escaped = type(error).__name__  # reported below: a 1,000-frame traceback takes pytest ages to print
    assert escaped is None, f"{escaped} escaped CORSPolicy(allow_origin_regex=...)"


@pytest.mark.parametrize("pattern", ["(", "[a-z", "a{2,1}"])
def test_an_invalid_regex_is_a_config_error(pattern: str) -> None:
    with pytest.raises(CORSConfigError) as caught:
        CORSPolicy(allow_origin_regex=pattern)
    (problem,) = caught.value.problems
    assert problem.startswith(f"allow_origin_regex {pattern!r}: not a valid regular expression: ")
