"""``cors_wsgi.asgi.CORSMiddleware`` on the wire: what the client receives, and whether the app ran.

Each test drives the middleware as an ASGI server would (one ``scope``, ``receive`` and
``send``, under ``asyncio.run``) and asserts on the messages sent: status, headers (as
bytes), body, their order.  The FastAPI and Starlette tests go through
``httpx.ASGITransport`` (a real request/response cycle in process); a real uvicorn
server is in ``test_asgi_servers.py``, real Chromium in ``browser/test_fastapi_in_chromium.py``.
The bytes forms the adapter reads from the core (``engine.RawPolicy``,
``headers.add_raw_cors_headers``, ``resources.asgi_route_path``) are tested at the end.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware as StarletteCORSMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from support import run_async

from cors_wsgi import CORSConfigError, CORSPolicy
from cors_wsgi import CORSMiddleware as WSGICORSMiddleware
from cors_wsgi.asgi import CORSMiddleware
from cors_wsgi.engine import (
    MAX_MEMO_ENTRIES,
    RawPolicy,
    actual_raw_response_headers,
    actual_response_headers,
    answer_raw_preflight,
)
from cors_wsgi.headers import CORSResponseHeaders, RawCORSHeaders, add_cors_headers, add_raw_cors_headers
from cors_wsgi.resources import asgi_route_path

APP = "https://app.example.com"
ADMIN = "https://admin.example.com"
EVIL = "https://evil.example.net"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

Message = dict[str, Any]
RawHeaders = list[tuple[bytes, bytes]]


# -- an ASGI "server" in process ---------------------------------------------------------------


@dataclass
class Exchange:
    """Every message the middleware sent for one request, and what the application saw."""

    messages: list[Message]
    app_calls: int = 0

    @property
    def start(self) -> Message:
        starts = [m for m in self.messages if m["type"] == "http.response.start"]
        assert len(starts) == 1, self.messages
        return starts[0]

    @property
    def status(self) -> int:
        return int(self.start["status"])

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        return [(bytes(name), bytes(value)) for name, value in self.start["headers"]]

    def header(self, name: str) -> str | None:
        """The value of ``name`` (any case), which must have been sent at most once."""
        values = [v.decode("latin-1") for n, v in self.headers if n.lower() == name.lower().encode()]
        assert len(values) <= 1, f"{name} sent {len(values)} times: {values}"
        return values[0] if values else None

    def cors(self) -> dict[str, str]:
        """Every ``access-control-*`` header sent, names as sent."""
        return {
            n.decode("latin-1"): v.decode("latin-1")
            for n, v in self.headers
            if n.lower().startswith(b"access-control-")
        }

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages if m["type"] == "http.response.body")


@dataclass
class EchoApp:
    """An ASGI application answering ``status`` with ``headers`` and a body naming the request; counts its calls."""

    status: int = 200
    headers: list[Any] = field(default_factory=lambda: [(b"content-type", b"text/plain")])
    calls: int = 0
    scopes: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.calls += 1
        self.scopes.append(scope)
        body = f"{scope['method']} {scope['path']}".encode()
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": body})


def http_scope(
    method: str = "GET",
    path: str = "/items",
    headers: Iterable[tuple[bytes, bytes]] = (),
    root_path: str = "",
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8"),
        "root_path": root_path,
        "query_string": b"",
        "headers": [(b"host", b"api.example.com"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def run(app: Any, scope: dict[str, Any]) -> Exchange:
    messages: list[Message] = []

    async def send(message: Message) -> None:
        messages.append(message)

    run_async(app(scope, _receive, send))
    return Exchange(messages)


def request(app: Any, method: str = "GET", path: str = "/items", origin: str | None = None, **headers: str) -> Exchange:
    raw = [(b"origin", origin.encode("latin-1"))] if origin is not None else []
    raw += [(name.replace("_", "-").encode(), value.encode("latin-1")) for name, value in headers.items()]
    return run(app, http_scope(method, path, raw))


def preflight(app: Any, origin: str, method: str, request_headers: str | None = None, path: str = "/items") -> Exchange:
    extra = {"access_control_request_method": method}
    if request_headers is not None:
        extra["access_control_request_headers"] = request_headers
    return request(app, "OPTIONS", path, origin, **extra)


def wsgi_answer(
    middleware: WSGICORSMiddleware, method: str, path: str, headers: dict[str, str]
) -> tuple[int, list[tuple[str, str]], bytes]:
    """The WSGI middleware's answer to the same request: status, headers (names lowercased), body."""
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": ""}
    environ.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()})
    seen: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen.append((status, response_headers))
        return lambda data: None

    body = b"".join(middleware(environ, start_response))
    status, response_headers = seen[-1]
    return int(status[:3]), [(n.lower(), v) for n, v in response_headers], body


def wsgi_echo(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("content-type", "text/plain")])
    return [f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}".encode()]


# -- construction: the same options, policy and errors as the WSGI middleware ------------------


def test_the_same_options_and_errors_as_the_wsgi_middleware() -> None:
    for options in (
        {"allow_origins": ["*"], "allow_credentials": True},
        {"allow_origins": ["https://app.example.com/login"], "allow_methods": ["TRACE"], "max_age": -1},
        {"allow_origins": [APP], "allow_headrs": ["X-Token"]},
    ):
        with pytest.raises(CORSConfigError) as asgi_error:
            CORSMiddleware(EchoApp(), **options)  # type: ignore[arg-type]
        with pytest.raises(CORSConfigError) as wsgi_error:
            WSGICORSMiddleware(wsgi_echo, **options)  # type: ignore[arg-type]
        assert str(asgi_error.value) == str(wsgi_error.value)
        assert asgi_error.value.problems == wsgi_error.value.problems


def test_a_policy_or_options_not_both_and_clear_type_errors() -> None:
    policy = CORSPolicy(allow_origins=[APP])
    with pytest.raises(CORSConfigError, match=r"give either a CORSPolicy or options, not both"):
        CORSMiddleware(EchoApp(), policy, allow_credentials=True)
    with pytest.raises(TypeError, match=r"the second argument is a CORSPolicy, not dict; pass options as keywords"):
        CORSMiddleware(EchoApp(), {"allow_origins": [APP]})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"wraps an ASGI application \(a callable\), not str"):
        CORSMiddleware("app")  # type: ignore[arg-type]


def test_one_policy_shared_with_a_wsgi_middleware_gives_the_same_answers() -> None:
    policy = CORSPolicy(allow_origins=[APP], allow_credentials=True, expose_headers=["X-Total"], max_age=600)
    asgi, wsgi = CORSMiddleware(EchoApp(), policy), WSGICORSMiddleware(wsgi_echo, policy)
    assert asgi.policy is wsgi.policy is policy
    for method, headers in (
        ("GET", {"origin": APP}),
        ("GET", {"origin": EVIL}),
        ("GET", {}),
        ("OPTIONS", {"origin": APP, "access-control-request-method": "PUT", "access-control-request-headers": "x-a"}),
        ("OPTIONS", {"origin": EVIL, "access-control-request-method": "PUT"}),
    ):
        exchange = request(asgi, method, "/items", **{k.replace("-", "_"): v for k, v in headers.items()})
        status, wsgi_headers, body = wsgi_answer(wsgi, method, "/items", headers)
        asgi_headers = [(n.decode(), v.decode()) for n, v in exchange.headers]
        assert (exchange.status, asgi_headers, exchange.body) == (status, wsgi_headers, body)


def test_the_first_parameter_is_named_app_and_add_middleware_works() -> None:
    inner = EchoApp()
    middleware = CORSMiddleware(app=inner, allow_origins=[APP])  # how older Starlette builds middleware
    assert middleware.app is inner
    assert repr(middleware) == f"CORSMiddleware({inner!r}, CORSPolicy(allow_origins=['https://app.example.com']))"

    api = FastAPI()

    @api.get("/items")
    def items() -> dict[str, int]:
        return {"count": 2}

    api.add_middleware(CORSMiddleware, allow_origins=[APP], allow_credentials=True)
    answer = run_async(httpx_request(api, "OPTIONS", "/items", {"Origin": APP, "Access-Control-Request-Method": "PUT"}))
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == APP
    reply = run_async(httpx_request(api, "GET", "/items", {"Origin": APP}))
    assert (reply.status_code, reply.json()) == (200, {"count": 2})
    assert reply.headers["access-control-allow-credentials"] == "true"


# -- preflights ---------------------------------------------------------------------------------


def test_an_allowed_preflight_is_answered_without_calling_the_app() -> None:
    inner = EchoApp()
    app = CORSMiddleware(inner, allow_origins=[APP], allow_credentials=True, allow_headers=["X-Token"], max_age=600)
    answer = preflight(app, APP, "PUT", "x-token, content-type")
    assert inner.calls == 0
    assert answer.status == 204
    assert answer.body == b""
    assert [m["type"] for m in answer.messages] == ["http.response.start", "http.response.body"]
    assert answer.headers == [
        (b"access-control-allow-origin", APP.encode()),
        (b"access-control-allow-credentials", b"true"),
        (b"access-control-allow-methods", b"GET, HEAD, POST, PUT, PATCH, DELETE"),
        (b"access-control-allow-headers", b"X-Token, content-type"),
        (b"access-control-max-age", b"600"),
        (b"vary", PREFLIGHT_VARY.encode()),
    ]
    assert all(name == name.lower() for name, _ in answer.headers)  # ASGI: lowercase names


def test_a_repeated_preflight_is_answered_from_the_memo_as_a_fresh_list() -> None:
    app = CORSMiddleware(EchoApp(), allow_origins=[APP])
    first, second = preflight(app, APP, "PUT"), preflight(app, APP, "PUT")
    assert first.headers == second.headers
    # A fresh list each time: a server or an outer middleware may change it freely.
    assert first.start["headers"] is not second.start["headers"]
    first.start["headers"].append((b"x-changed", b"1"))
    assert (b"x-changed", b"1") not in preflight(app, APP, "PUT").headers


@pytest.mark.parametrize(
    ("origin", "method", "request_headers"),
    [(EVIL, "PUT", None), (APP, "PROPFIND", None), (APP, "patch", None), (APP, "GET", "x-unlisted")],
    ids=["origin", "method", "lowercase-method", "header"],
)
def test_a_refused_preflight_gets_403_and_no_cors_headers(
    origin: str, method: str, request_headers: str | None
) -> None:
    inner = EchoApp()
    app = CORSMiddleware(inner, allow_origins=[APP], allow_headers=["X-Token"])
    answer = preflight(app, origin, method, request_headers)
    assert (answer.status, answer.cors(), answer.body, inner.calls) == (403, {}, b"", 0)
    assert answer.header("vary") == PREFLIGHT_VARY
    assert answer.header("content-length") == "0"


def test_debug_switched_at_run_time_explains_refusals() -> None:
    app = CORSMiddleware(EchoApp(), allow_origins=[APP], allow_headers=["X-Token"])
    assert app.debug is False
    assert preflight(app, APP, "GET", "x-unlisted").status == 403  # memoized plain refusal ...
    app.debug = True
    explained = preflight(app, APP, "GET", "x-unlisted")  # ... never served in debug mode
    assert explained.status == 200  # the origin is allowed: partial headers, so the console names the header
    assert explained.cors() == {
        "access-control-allow-origin": APP,
        "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
        "access-control-allow-headers": "X-Token",
    }
    reason = b"CORS preflight refused: request header 'x-unlisted' is not allowed (allowed: X-Token)\n"
    assert explained.body == reason
    assert explained.header("content-length") == str(len(reason))
    refused_origin = preflight(app, EVIL, "GET")
    assert (refused_origin.status, refused_origin.cors()) == (403, {})
    assert refused_origin.body == b"CORS preflight refused: origin 'https://evil.example.net' is not allowed\n"
    app.debug = False
    assert preflight(app, APP, "GET", "x-unlisted").body == b""
    assert CORSMiddleware(EchoApp(), allow_origins=[APP], debug=True).debug is True


def test_debug_accepts_only_booleans() -> None:
    app = CORSMiddleware(EchoApp())
    for value in ("false", 0, 1, None):
        with pytest.raises(TypeError, match=r"debug is True or False"):
            app.debug = value  # type: ignore[assignment]
    assert app.debug is False


def test_refusals_are_logged_escaped(caplog: pytest.LogCaptureFixture) -> None:
    app = CORSMiddleware(EchoApp(), allow_origins=[APP])
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        preflight(app, APP, "X\r\nInjected")
        preflight(app, APP, "X\r\nInjected")  # from the memo: logged again
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert all("\r" not in m and "\n" not in m for m in messages)
    assert "'X\\r\\nInjected'" in messages[0]


def test_an_options_request_without_request_method_is_an_ordinary_request() -> None:
    inner = EchoApp()
    app = CORSMiddleware(inner, allow_origins=[APP])
    plain = request(app, "OPTIONS", "/items", APP)
    assert (plain.status, plain.body, inner.calls) == (200, b"OPTIONS /items", 1)
    assert plain.header("access-control-allow-origin") == APP
    # A preflight-looking request without Origin is not a CORS request at all.
    no_origin = request(app, "OPTIONS", "/items", access_control_request_method="PUT")
    assert (no_origin.body, no_origin.cors(), inner.calls) == (b"OPTIONS /items", {}, 2)


# -- ordinary requests -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 301, 404, 500, 503])
def test_the_app_answer_gets_the_cors_headers_whatever_its_status(status: int) -> None:
    inner = EchoApp(status=status)
    app = CORSMiddleware(inner, allow_origins=[APP], allow_credentials=True, expose_headers=["X-Total"])
    reply = request(app, "GET", "/items", APP)
    assert (reply.status, reply.body, inner.calls) == (status, b"GET /items", 1)
    assert reply.headers == [
        (b"content-type", b"text/plain"),
        (b"access-control-allow-origin", APP.encode()),
        (b"access-control-allow-credentials", b"true"),
        (b"access-control-expose-headers", b"X-Total"),
        (b"vary", b"Origin"),
    ]


def test_refused_origins_and_requests_without_origin_get_only_vary() -> None:
    app = CORSMiddleware(EchoApp(), allow_origins=[APP])
    for reply in (request(app, origin=EVIL), request(app), request(app, origin="null"), request(app, origin="")):
        assert (reply.status, reply.cors(), reply.header("vary")) == (200, {}, "Origin")


def test_a_public_policy_sends_a_static_star_and_no_vary() -> None:
    inner = EchoApp()
    app = CORSMiddleware(inner)
    for origin in (APP, EVIL, None):
        reply = request(app, origin=origin, cookie="session=1")
        assert reply.cors() == {"access-control-allow-origin": "*"}
        assert reply.header("vary") is None


def test_patterns_regexes_and_functions_decide_through_the_engine() -> None:
    app = CORSMiddleware(
        EchoApp(),
        allow_origins=["https://*.example.org", "http://localhost:*"],
        allow_origin_regex=r"https://[a-z]+\.preview\.example\.com",
        allow_origin_func=lambda origin: origin == "https://tenant.example.net",
    )
    for origin in (
        "https://a.b.example.org",
        "http://localhost:5173",
        "https://pr.preview.example.com",
        "https://tenant.example.net",
    ):
        assert request(app, origin=origin).header("access-control-allow-origin") == origin
    for origin in ("https://example.org", "https://x.preview.example.com.evil.net", "https://evil.example.net"):
        reply = request(app, origin=origin)
        assert (reply.cors(), reply.header("vary")) == ({}, "Origin")


def test_ten_thousand_origins() -> None:
    origins = [f"https://app{i}.example.com" for i in range(10_000)]
    app = CORSMiddleware(EchoApp(), allow_origins=origins, allow_credentials=True)
    for origin in (origins[0], origins[5_000], origins[-1]):
        assert request(app, origin=origin).header("access-control-allow-origin") == origin
        assert preflight(app, origin, "DELETE").header("access-control-allow-origin") == origin
    assert request(app, origin="https://app10000.example.com").cors() == {}


# -- the application's own headers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("app_vary", "expected"),
    [
        ([(b"vary", b"Accept-Encoding")], [(b"vary", b"Accept-Encoding, Origin")]),
        ([(b"Vary", b"Accept-Encoding")], [(b"Vary", b"Accept-Encoding, Origin")]),
        ([(b"vary", b"origin")], [(b"vary", b"origin")]),
        ([(b"vary", b"Cookie, ORIGIN")], [(b"vary", b"Cookie, ORIGIN")]),
        ([(b"vary", b"*")], [(b"vary", b"*")]),
        ([(b"vary", b"")], [(b"vary", b"Origin")]),
        ([(b"vary", b"Accept"), (b"vary", b"Cookie")], [(b"vary", b"Accept"), (b"vary", b"Cookie, Origin")]),
        ([(b"vary", b"Accept"), (b"vary", b"Origin")], [(b"vary", b"Accept"), (b"vary", b"Origin")]),
    ],
    ids=["append", "app-case", "already", "already-list", "star", "empty", "last-of-two", "in-second"],
)
def test_vary_is_merged_never_replaced_never_duplicated(app_vary: RawHeaders, expected: RawHeaders) -> None:
    for origin in (APP, EVIL, None):  # allowed, refused, no Origin: each answer varies on Origin
        inner = EchoApp(headers=[(b"content-type", b"text/plain"), *app_vary])
        reply = request(CORSMiddleware(inner, allow_origins=[APP]), origin=origin)
        vary = [h for h in reply.headers if h[0].lower() == b"vary"]
        assert vary == expected
        tokens = [t.strip().lower() for _, v in vary for t in v.split(b",")]
        assert tokens.count(b"origin") <= 1


def test_the_app_access_control_headers_are_replaced_on_a_covered_path() -> None:
    inner = EchoApp(
        headers=[
            (b"Access-Control-Allow-Origin", b"*"),
            (b"access-control-allow-credentials", b"true"),
            (b"x-total", b"3"),
        ]
    )
    app = CORSMiddleware(inner, allow_origins=[APP])
    reply = request(app, origin=APP)
    assert reply.headers == [
        (b"x-total", b"3"),
        (b"vary", b"Origin"),
        (b"access-control-allow-origin", APP.encode()),
    ]
    assert request(app, origin=EVIL).headers == [(b"x-total", b"3"), (b"vary", b"Origin")]


def test_the_app_header_list_is_never_changed_and_other_keys_are_kept() -> None:
    app_headers = [(b"content-type", b"text/plain"), (b"vary", b"Accept")]
    snapshot = list(app_headers)
    sent: list[Message] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": app_headers, "trailers": False})
        await send({"type": "http.response.body", "body": b"ok"})

    async def send(message: Message) -> None:
        sent.append(message)

    middleware = CORSMiddleware(inner, allow_origins=[APP])
    for origin in (APP, EVIL, None):
        run_async(middleware(http_scope(headers=[(b"origin", origin.encode())] if origin else []), _receive, send))
    assert app_headers == snapshot  # the application's list, never changed in place
    starts = sent[::2]
    assert all(m["headers"] is not app_headers for m in starts)
    assert all(m["trailers"] is False for m in starts)  # other keys of the start message are kept
    assert [dict(m["headers"]).get(b"access-control-allow-origin") for m in starts] == [APP.encode(), None, None]
    assert [dict(m["headers"])[b"vary"] for m in starts] == [b"Accept, Origin"] * 3


def test_an_app_reusing_one_start_message_gets_the_right_headers_every_time() -> None:
    """The message dict gets the new list (as Starlette's middleware also changes it): an application
    that sends the same dict again gets each request's answer, never an earlier one's, never doubled."""
    start: Message = {"type": "http.response.start", "status": 200, "headers": [(b"vary", b"Accept")]}

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        await send(start)
        await send({"type": "http.response.body", "body": b""})

    app = CORSMiddleware(inner, allow_origins=[APP, ADMIN])
    for origin, allowed in ((APP, APP), (EVIL, None), (ADMIN, ADMIN), (None, None), (APP, APP)):
        reply = request(app, origin=origin)
        assert reply.header("access-control-allow-origin") == allowed
        assert reply.header("vary") == "Accept, Origin"


@pytest.mark.parametrize("kind", ["tuple", "lists", "generator", "missing"])
def test_header_containers_asgi_allows(kind: str) -> None:
    pairs = [(b"content-type", b"text/plain"), (b"vary", b"Accept")]
    start: Message = {"type": "http.response.start", "status": 200}
    if kind == "tuple":
        start["headers"] = tuple(pairs)
    elif kind == "lists":
        start["headers"] = [list(p) for p in pairs]
    elif kind == "generator":
        start["headers"] = (p for p in pairs)

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        await send(start)
        await send({"type": "http.response.body", "body": b""})

    reply = request(CORSMiddleware(inner, allow_origins=[APP]), origin=APP)
    expected_vary = b"Origin" if kind == "missing" else b"Accept, Origin"
    assert reply.header("vary") == expected_vary.decode()
    assert reply.header("access-control-allow-origin") == APP
    if kind != "missing":
        assert reply.header("content-type") == "text/plain"


def test_request_headers_in_any_asgi_container() -> None:
    app = CORSMiddleware(EchoApp(), allow_origins=[APP])
    for headers in (
        [(b"origin", APP.encode())],
        ((b"origin", APP.encode()),),
        [[b"origin", APP.encode()]],
    ):
        scope = http_scope()
        scope["headers"] = headers
        assert run(app, scope).header("access-control-allow-origin") == APP


# -- request header bytes ----------------------------------------------------------------------


def test_a_repeated_origin_counts_by_its_first_value() -> None:
    app = CORSMiddleware(EchoApp(), allow_origins=[APP])
    scope = http_scope(headers=[(b"origin", APP.encode()), (b"origin", EVIL.encode())])
    assert run(app, scope).header("access-control-allow-origin") == APP
    scope = http_scope(headers=[(b"origin", EVIL.encode()), (b"origin", APP.encode())])
    assert run(app, scope).cors() == {}
    scope = http_scope(
        "OPTIONS",
        headers=[(b"origin", APP.encode()), (b"access-control-request-method", b"PUT"), (b"origin", EVIL.encode())],
    )
    assert run(app, scope).header("access-control-allow-origin") == APP


def test_a_repeated_request_headers_header_is_joined_as_a_wsgi_server_does() -> None:
    listed = CORSMiddleware(EchoApp(), allow_origins=[APP], allow_headers=["X-A", "X-B"])
    echoed = CORSMiddleware(EchoApp(), allow_origins=[APP])

    def repeated(*values: bytes) -> dict[str, Any]:
        acrh = [(b"access-control-request-headers", v) for v in values]
        return http_scope(
            "OPTIONS", headers=[(b"origin", APP.encode()), (b"access-control-request-method", b"PUT"), *acrh]
        )

    assert run(echoed, repeated(b"x-a", b"x-b")).header("access-control-allow-headers") == "x-a, x-b"
    assert run(listed, repeated(b"x-a", b"x-b")).status == 204
    assert run(listed, repeated(b"x-a", b"x-c")).status == 403  # the second one counts too
    wsgi = WSGICORSMiddleware(wsgi_echo, listed.policy)
    joined = {"origin": APP, "access-control-request-method": "PUT", "access-control-request-headers": "x-a,x-c"}
    assert wsgi_answer(wsgi, "OPTIONS", "/items", joined)[0] == 403


def test_a_repeated_request_method_counts_by_its_first_value() -> None:
    app = CORSMiddleware(EchoApp(), allow_origins=[APP], allow_methods=["PUT"])
    scope = http_scope(
        "OPTIONS",
        headers=[
            (b"origin", APP.encode()),
            (b"access-control-request-method", b"PUT"),
            (b"access-control-request-method", b"DELETE"),
        ],
    )
    assert run(app, scope).status == 204


def test_header_bytes_are_latin1_and_never_break_the_answer() -> None:
    inner = EchoApp()
    app = CORSMiddleware(inner, allow_origins=[APP], allow_origin_func=lambda origin: True)
    # Not an origin a browser sends: refused (the function is asked only about well-formed ones).
    for value in (b"https://caf\xe9.example", b"\xff\xfe", b"https://a.example.com\r\nX: 1", b"x" * 100_000):
        reply = run(app, http_scope(headers=[(b"origin", value)]))
        assert (reply.status, reply.cors(), reply.header("vary")) == (200, {}, "Origin")
        answer = run(
            app, http_scope("OPTIONS", headers=[(b"origin", value), (b"access-control-request-method", value)])
        )
        assert (answer.status, answer.cors()) == (403, {})
    hostile = b"," * 1_000_000
    answer = run(
        app,
        http_scope(
            "OPTIONS",
            headers=[
                (b"origin", APP.encode()),
                (b"access-control-request-method", b"GET"),
                (b"access-control-request-headers", hostile),
            ],
        ),
    )
    assert answer.status == 403
    assert inner.calls == 4


# -- bodies, exceptions, other scopes ---------------------------------------------------------------


def test_a_streamed_body_passes_untouched_and_unbuffered() -> None:
    chunks = [b"first ", b"second ", b"", b"last"]
    events: list[str] = []
    bodies = [{"type": "http.response.body", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

    async def streaming(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for body in bodies:
            events.append(f"app sends {body['body']!r}")
            await send(body)

    sent: list[Message] = []

    async def send(message: Message) -> None:
        events.append(f"server got {message.get('body', message['type'])!r}")
        sent.append(message)

    scope = http_scope(headers=[(b"origin", APP.encode())])
    run_async(CORSMiddleware(streaming, allow_origins=[APP])(scope, _receive, send))
    assert sent[1:] == bodies
    assert all(a is b for a, b in zip(sent[1:], bodies, strict=True))  # the very same objects
    assert events[1:] == [line for c in chunks for line in (f"app sends {c!r}", f"server got {c!r}")]


def test_exceptions_propagate_unchanged() -> None:
    failure = RuntimeError("the database is down")

    async def before_start(scope: Any, receive: Any, send: Any) -> None:
        raise failure

    async def after_start(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise failure

    for inner in (before_start, after_start):
        for origin in (APP, None):
            with pytest.raises(RuntimeError) as raised:
                request(CORSMiddleware(inner, allow_origins=[APP]), origin=origin)
            assert raised.value is failure

    async def failing_send(message: Message) -> None:
        raise OSError("client went away")

    with pytest.raises(OSError, match="client went away"):
        run_async(
            CORSMiddleware(EchoApp(), allow_origins=[APP])(
                http_scope(headers=[(b"origin", APP.encode())]), _receive, failing_send
            )
        )


@pytest.mark.parametrize("scope_type", ["lifespan", "websocket"])
def test_lifespan_and_websocket_scopes_pass_with_the_same_objects(scope_type: str) -> None:
    seen: list[tuple[Any, Any, Any]] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope, receive, send))

    async def receive() -> Message:
        return {"type": f"{scope_type}.connect"}

    async def send(message: Message) -> None:
        raise AssertionError("nothing is sent")

    scope: dict[str, Any] = {"type": scope_type, "asgi": {"version": "3.0"}}
    if scope_type == "websocket":
        scope.update(path="/ws", root_path="", headers=[(b"origin", EVIL.encode())])
    snapshot = dict(scope)
    for options in ({"allow_origins": [APP]}, {"resources": {"/*": {"allow_origins": [APP]}}}):
        run_async(CORSMiddleware(inner, **options)(scope, receive, send))  # type: ignore[arg-type]
    assert len(seen) == 2
    assert all(s is scope and r is receive and t is send for s, r, t in seen)
    assert scope == snapshot


def test_uncovered_paths_reach_the_app_with_the_same_objects() -> None:
    seen: list[tuple[Any, Any, Any]] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope, receive, send))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = CORSMiddleware(inner, resources={"/api/*": {"allow_origins": [APP]}})
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    for method, extra in (("GET", []), ("OPTIONS", [(b"access-control-request-method", b"PUT")])):
        scope = http_scope(method, "/other", [(b"origin", APP.encode()), *extra])
        run_async(app(scope, _receive, send))
        assert seen[-1] == (scope, _receive, send)
    assert all(m.get("headers", []) == [] for m in sent)


# -- resources: the path the application routes ----------------------------------------------------


RESOURCES = {
    "/api/*": {"allow_origins": [APP]},
    "/api/admin/*": {"allow_origins": [ADMIN]},
    "/café/*": {"allow_origins": ["https://cafe.example.com"]},
    re.compile(r"/reports/[0-9]+"): {"allow_origins": ["https://bi.example.com"]},
}


@pytest.mark.parametrize(
    ("path", "root_path", "allowed"),
    [
        ("/api/items", "", APP),
        ("/api/admin/users", "", ADMIN),
        ("//api/admin/users", "", ADMIN),  # no '//' bypass
        ("/api/x/../admin/users", "", ADMIN),  # no dot-segment bypass
        ("/api/./admin/users", "", ADMIN),
        ("/café/menu", "", "https://cafe.example.com"),  # scope["path"] is already text
        ("/reports/42", "", "https://bi.example.com"),
        ("/reports/42x", "", None),
        ("/apiary", "", None),
        ("/v1/api/items", "/v1", APP),  # uvicorn --root-path /v1, or a Mount("/v1")
        ("/v1/api/admin/users", "/v1", ADMIN),
        ("/v1", "/v1", None),  # the root itself: "/"
        ("/v1api/items", "/v1", None),  # not at a '/' boundary: the whole path
        ("/api/items", "/v1", APP),  # an older server that leaves root_path out of path
    ],
)
def test_resources_are_matched_on_the_routed_canonical_path(path: str, root_path: str, allowed: str | None) -> None:
    inner = EchoApp()
    app = CORSMiddleware(inner, resources=RESOURCES)
    for origin in (APP, ADMIN, "https://cafe.example.com", "https://bi.example.com"):
        scope = http_scope("GET", path, [(b"origin", origin.encode())], root_path)
        reply = run(app, scope)
        assert reply.header("access-control-allow-origin") == (origin if origin == allowed else None)
        assert inner.scopes[-1] is scope  # the application sees the scope unchanged
        acrm = (b"access-control-request-method", b"PUT")
        answer = run(app, http_scope("OPTIONS", path, [(b"origin", origin.encode()), acrm], root_path))
        assert answer.header("access-control-allow-origin") == (origin if origin == allowed else None)
        covered = app.policy.compiled_for_path(asgi_route_path(path, root_path)) is not None
        assert (answer.body == f"OPTIONS {path}".encode()) is not covered  # uncovered: the application answers


def test_a_starlette_mount_gets_patterns_relative_to_the_mount() -> None:
    async def items(request: Request) -> Response:
        return PlainTextResponse(f"items at {request.url.path}")

    inner = Starlette(routes=[Route("/items", items)])
    mounted = CORSMiddleware(inner, resources={"/items": {"allow_origins": [APP]}})
    outer = Starlette(routes=[Mount("/v1", app=mounted)])
    reply = run_async(httpx_request(outer, "GET", "/v1/items", {"Origin": APP}))
    assert (reply.status_code, reply.text) == (200, "items at /v1/items")
    assert reply.headers["access-control-allow-origin"] == APP
    answer = run_async(
        httpx_request(outer, "OPTIONS", "/v1/items", {"Origin": APP, "Access-Control-Request-Method": "PUT"})
    )
    assert (answer.status_code, answer.headers["access-control-allow-origin"]) == (204, APP)
    # Under a server root path too (uvicorn --root-path /prefix).
    reply = run_async(httpx_request(outer, "GET", "/prefix/v1/items", {"Origin": APP}, root_path="/prefix"))
    assert reply.headers.get("access-control-allow-origin") == APP


# -- FastAPI: a raising view, wrapped from outside or added inside -----------------------------------


def fastapi_app() -> FastAPI:
    api = FastAPI()

    @api.get("/items")
    def items() -> dict[str, list[str]]:
        return {"items": ["pear"]}

    @api.get("/boom")
    def boom() -> dict[str, str]:
        raise RuntimeError("the database is down")

    return api


async def httpx_request(
    app: Any, method: str, path: str, headers: dict[str, str], root_path: str = ""
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, root_path=root_path)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.example.com") as client:
        return await client.request(method, path, headers=headers)


def test_fastapi_wrapped_from_outside_a_raising_view_500_has_the_cors_headers() -> None:
    app = CORSMiddleware(fastapi_app(), allow_origins=[APP], allow_credentials=True)
    reply = run_async(httpx_request(app, "GET", "/boom", {"Origin": APP}))
    assert reply.status_code == 500
    assert reply.text == "Internal Server Error"
    assert reply.headers["access-control-allow-origin"] == APP
    assert reply.headers["access-control-allow-credentials"] == "true"
    assert reply.headers["vary"] == "Origin"
    missing = run_async(httpx_request(app, "GET", "/nowhere", {"Origin": APP}))
    assert (missing.status_code, missing.headers["access-control-allow-origin"]) == (404, APP)


def test_fastapi_add_middleware_cannot_see_the_500_starlette_sends_outside_it() -> None:
    """The documented limitation, for ours and for Starlette's own middleware alike."""
    for middleware in (CORSMiddleware, StarletteCORSMiddleware):
        api = fastapi_app()
        api.add_middleware(middleware, allow_origins=[APP], allow_credentials=True)  # type: ignore[arg-type]
        ok = run_async(httpx_request(api, "GET", "/items", {"Origin": APP}))
        assert ok.headers["access-control-allow-origin"] == APP
        reply = run_async(httpx_request(api, "GET", "/boom", {"Origin": APP}))
        assert reply.status_code == 500
        assert "access-control-allow-origin" not in reply.headers  # the browser reports a CORS error


# -- the bytes forms in the core ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "root_path", "expected"),
    [
        ("/x", "", "/x"),
        ("/v1/x", "/v1", "/x"),
        ("/v1", "/v1", ""),
        ("/v1/", "/v1", "/"),
        ("/v1x", "/v1", "/v1x"),
        ("/x", "/v1", "/x"),
        ("/v1/v1/x", "/v1", "/v1/x"),
        ("/a/b/c", "/a/b", "/c"),
    ],
)
def test_asgi_route_path(path: str, root_path: str, expected: str) -> None:
    assert asgi_route_path(path, root_path) == expected


APP_HEADER_CASES: list[list[tuple[str, str]]] = [
    [],
    [("Content-Type", "text/plain")],
    [("Vary", "Accept-Encoding")],
    [("vary", "origin")],
    [("Vary", "*")],
    [("Vary", "")],
    [("Vary", "\xa0")],
    [("Vary", "Accept"), ("X-A", "1"), ("VARY", "Cookie")],
    [("Access-Control-Allow-Origin", "*"), ("X-Total", "3")],
    [("access-control-expose-headers", "X-Secret"), ("Vary", "Cookie, Origin")],
]


@pytest.mark.parametrize("app_headers", APP_HEADER_CASES)
def test_add_raw_cors_headers_is_add_cors_headers_in_bytes(app_headers: list[tuple[str, str]]) -> None:
    answers = [
        CORSResponseHeaders.build((("Access-Control-Allow-Origin", APP),), "Origin"),
        CORSResponseHeaders.build((("Access-Control-Allow-Origin", "*"),), None),
        CORSResponseHeaders.build((), "Origin"),
    ]
    raw_app = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in app_headers]
    snapshot = list(raw_app)
    for cors in answers:
        expected = [(n.lower(), v) for n, v in add_cors_headers(list(app_headers), cors)]
        got = add_raw_cors_headers(raw_app, RawCORSHeaders.encode(cors))
        assert [(n.decode("latin-1").lower(), v.decode("latin-1")) for n, v in got] == expected
        assert raw_app == snapshot


def test_raw_policy_precomputes_every_static_answer() -> None:
    policy = CORSPolicy(allow_origins=[APP, ADMIN], allow_origin_regex=r"https://[a-z]+\.example\.org")
    compiled = policy.compiled
    assert compiled is not None
    raw = RawPolicy(compiled)
    assert actual_raw_response_headers(raw, None) is raw.no_origin
    assert actual_raw_response_headers(raw, APP.encode()) is raw.actual_by_origin[APP.encode()]
    assert actual_raw_response_headers(raw, EVIL.encode()) is raw.refused  # shared, not rebuilt
    by_regex = actual_raw_response_headers(raw, b"https://x.example.org")
    assert by_regex == RawCORSHeaders.encode(actual_response_headers(compiled, "https://x.example.org"))
    assert by_regex.plain == ((b"access-control-allow-origin", b"https://x.example.org"), (b"vary", b"Origin"))
    public = RawPolicy(CORSPolicy().compiled)  # type: ignore[arg-type]
    assert actual_raw_response_headers(public, EVIL.encode()) is public.actual_any
    assert "2 listed origins" in repr(raw)


def test_raw_policy_remembers_static_decisions_bounded(caplog: pytest.LogCaptureFixture) -> None:
    policy = CORSPolicy(allow_origins=[APP, "https://*.example.org"])
    raw = RawPolicy(policy.compiled)  # type: ignore[arg-type]
    with caplog.at_level(logging.DEBUG, logger="cors_wsgi"):
        first = actual_raw_response_headers(raw, b"https://a.example.org")
        assert actual_raw_response_headers(raw, b"https://a.example.org") is first  # remembered
        assert actual_raw_response_headers(raw, EVIL.encode()) is raw.refused
        assert actual_raw_response_headers(raw, EVIL.encode()) is raw.refused
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refusals == ["CORS origin refused: 'https://evil.example.net'"]  # when decided, not again
    assert set(raw.actual_by_origin) == {APP.encode(), b"https://a.example.org", EVIL.encode()}
    long_origin = b"https://" + b"a" * 300 + b".example.org"
    assert actual_raw_response_headers(raw, long_origin).headers[0][1] == long_origin
    assert long_origin not in raw.actual_by_origin  # too long to keep
    for i in range(MAX_MEMO_ENTRIES + 5):
        actual_raw_response_headers(raw, f"https://x{i}.example.net".encode())
    assert len(raw.actual_by_origin) <= len(raw.listed) + MAX_MEMO_ENTRIES
    assert APP.encode() in raw.actual_by_origin  # the listed origins are never forgotten
    assert actual_raw_response_headers(raw, APP.encode()) is raw.listed[APP.encode()]


def test_raw_policy_never_remembers_what_a_function_decides() -> None:
    allowed = {"https://t.example.net"}
    raw = RawPolicy(CORSPolicy(allow_origin_func=lambda origin: origin in allowed).compiled)  # type: ignore[arg-type]
    assert actual_raw_response_headers(raw, b"https://t.example.net").plain[0][1] == b"https://t.example.net"
    assert actual_raw_response_headers(raw, b"https://u.example.net") is raw.refused
    allowed.add("https://u.example.net")  # the database changed
    allowed.discard("https://t.example.net")
    assert actual_raw_response_headers(raw, b"https://u.example.net").plain[0][1] == b"https://u.example.net"
    assert actual_raw_response_headers(raw, b"https://t.example.net") is raw.refused
    assert raw.actual_by_origin == {}


def test_raw_preflight_memo_follows_the_engine_rules() -> None:
    asked: list[str] = []

    def tenant(origin: str) -> bool:
        asked.append(origin)
        return origin == "https://t.example.net"

    compiled = CORSPolicy(allow_origins=[APP], allow_origin_func=tenant, allow_headers=["X-A"]).compiled
    assert compiled is not None
    raw = RawPolicy(compiled)
    first = answer_raw_preflight(raw, APP.encode(), b"PUT")
    assert first.status == 204
    assert answer_raw_preflight(raw, APP.encode(), b"PUT") is first  # memoized by bytes
    refused = answer_raw_preflight(raw, APP.encode(), b"PUT", b"x-b")
    assert answer_raw_preflight(raw, APP.encode(), b"PUT", b"x-b") is refused  # a plain refusal is static
    explained = answer_raw_preflight(raw, APP.encode(), b"PUT", b"x-b", debug=True)
    assert (explained.status, explained.body[:22]) == (200, b"CORS preflight refused")
    # A function may change its mind: asked every time, never memoized.
    for _ in range(3):
        assert answer_raw_preflight(raw, b"https://t.example.net", b"PUT").status == 204
    assert asked == ["https://t.example.net"] * 3
    # Refused origins are not memoized either (a stream of made-up origins must not fill it).
    for i in range(5):
        assert answer_raw_preflight(raw, f"https://x{i}.example.net".encode(), b"PUT").status == 403
    assert len(raw.preflight_memo) == 2
    # Oversized values are never hashed nor stored; the memo is bounded.
    assert answer_raw_preflight(raw, APP.encode(), b"PUT", b"x-a," * 1000).status == 403
    assert len(raw.preflight_memo) == 2
    for i in range(MAX_MEMO_ENTRIES + 10):
        answer_raw_preflight(raw, APP.encode(), f"M{i}".encode())
    assert len(raw.preflight_memo) <= MAX_MEMO_ENTRIES
