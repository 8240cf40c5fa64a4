"""WSGI (PEP 3333) compliance, with ``wsgiref.validate.validator`` on both sides of the middleware.

Every stack here is ``validator(CORSMiddleware(validator(app)))``: the inner validator
checks what the middleware receives from the application, the outer one what it hands
to the server.  Header lists are compared literally, as a server would write them.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest
import webtest

from cors_wsgi import CORSMiddleware

ALLOWED = "https://app.example.com"
EVIL = "https://evil.example"
OPTIONS: dict[str, Any] = {
    "allow_origins": [ALLOWED],
    "allow_credentials": True,
    "allow_methods": ["GET", "PUT"],
    "allow_headers": ["X-Token"],
    "expose_headers": ["X-Total"],
    "max_age": 600,
}
PREFLIGHT_VARY = ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
APP_HEADERS = [("Content-Type", "text/plain; charset=utf-8"), ("Vary", "Accept-Encoding")]
ALLOWED_ACTUAL_HEADERS = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Vary", "Accept-Encoding, Origin"),
    ("Access-Control-Allow-Origin", ALLOWED),
    ("Access-Control-Allow-Credentials", "true"),
    ("Access-Control-Expose-Headers", "X-Total"),
]
REFUSED_ACTUAL_HEADERS = [("Content-Type", "text/plain; charset=utf-8"), ("Vary", "Accept-Encoding, Origin")]


class HelloApp:
    """``200 hello`` with ``Vary: Accept-Encoding``; counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.calls += 1
        start_response("200 OK", list(APP_HEADERS))
        return [b"hello"]


def assert_headers(actual: list[tuple[str, str]], expected: list[tuple[str, str]]) -> None:
    """Same header lines (names and values, literally, with their counts), in any order."""
    assert sorted(actual) == sorted(expected)


def stack(app: Callable[..., Any], **options: Any) -> tuple[Callable[..., Any], CORSMiddleware]:
    """``validator(CORSMiddleware(validator(app)))`` and the middleware in the middle."""
    middleware = CORSMiddleware(validator(app), **{**OPTIONS, **options})
    return validator(middleware), middleware


def client(app: Callable[..., Any], **options: Any) -> tuple[webtest.TestApp, CORSMiddleware]:
    wsgi_app, middleware = stack(app, **options)
    return webtest.TestApp(wsgi_app), middleware


def make_environ(method: str = "GET", path: str = "/items", **extra: str) -> dict[str, Any]:
    """A complete environ; ``extra`` are environ keys (``HTTP_ORIGIN=...``)."""
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": ""}
    environ.update(extra)
    setup_testing_defaults(environ)
    environ["wsgi.errors"] = io.StringIO()
    return environ


class Server:
    """A minimal PEP 3333 server side: ``start_response`` with the exc_info rules."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[str, str]], Any]] = []
        self.headers_sent = False
        self.written: list[bytes] = []

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.calls:
            raise AssertionError("start_response called twice without exc_info")
        self.calls.append((status, list(headers), exc_info))
        return self.written.append

    @property
    def status(self) -> str:
        return self.calls[-1][0]

    @property
    def headers(self) -> list[tuple[str, str]]:
        return self.calls[-1][1]

    def run(self, wsgi_app: Callable[..., Any], environ: dict[str, Any]) -> bytes:
        result = wsgi_app(environ, self.start_response)
        try:
            for chunk in result:
                self.headers_sent = True
                self.written.append(chunk)
        finally:
            if hasattr(result, "close"):
                result.close()
        return b"".join(self.written)


# ---------------------------------------------------------------------------------------
# Simple requests and preflights, through WebTest
# ---------------------------------------------------------------------------------------


def test_allowed_simple_get() -> None:
    app = HelloApp()
    test_app, _ = client(app)
    response = test_app.get("/items", headers={"Origin": ALLOWED})
    assert response.status == "200 OK"
    assert_headers(response.headerlist, [*ALLOWED_ACTUAL_HEADERS, ("Content-Length", "5")])
    assert response.body == b"hello"
    assert app.calls == 1


def test_refused_simple_get_still_reaches_the_app_without_cors_headers() -> None:
    app = HelloApp()
    test_app, _ = client(app)
    response = test_app.get("/items", headers={"Origin": EVIL})
    assert response.status == "200 OK"
    assert_headers(response.headerlist, [*REFUSED_ACTUAL_HEADERS, ("Content-Length", "5")])
    assert response.body == b"hello"
    assert app.calls == 1


def test_request_without_origin_gets_vary_origin_only() -> None:
    app = HelloApp()
    test_app, _ = client(app)
    response = test_app.get("/items")
    assert response.status == "200 OK"
    assert_headers(response.headerlist, [*REFUSED_ACTUAL_HEADERS, ("Content-Length", "5")])
    assert response.body == b"hello"
    assert app.calls == 1


def test_allowed_preflight_is_204_and_the_app_is_not_called() -> None:
    app = HelloApp()
    test_app, _ = client(app)
    response = test_app.options(
        "/items",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-token",
        },
        status=204,
    )
    assert response.status == "204 No Content"
    assert_headers(
        response.headerlist,
        [
            ("Access-Control-Allow-Origin", ALLOWED),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Allow-Methods", "GET, PUT"),
            ("Access-Control-Allow-Headers", "X-Token"),
            ("Access-Control-Max-Age", "600"),
            PREFLIGHT_VARY,
        ],
    )
    assert response.body == b""
    assert app.calls == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL, "Access-Control-Request-Method": "PUT"},
        {"Origin": ALLOWED, "Access-Control-Request-Method": "DELETE"},
        {"Origin": ALLOWED, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-other"},
    ],
    ids=["origin", "method", "header"],
)
def test_refused_preflight_is_403_without_cors_headers(headers: dict[str, str]) -> None:
    app = HelloApp()
    test_app, _ = client(app)
    response = test_app.options("/items", headers=headers, status=403)
    assert response.status == "403 Forbidden"
    assert_headers(
        response.headerlist,
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", "0"),
            PREFLIGHT_VARY,
        ],
    )
    assert response.body == b""
    assert app.calls == 0


def test_debug_refused_preflight_names_the_culprit() -> None:
    app = HelloApp()
    test_app, middleware = client(app, debug=True)
    assert middleware.debug is True

    # Refused origin: still 403 and no CORS headers, but a one-line reason.
    response = test_app.options("/items", headers={"Origin": EVIL, "Access-Control-Request-Method": "PUT"}, status=403)
    reason = b"CORS preflight refused: origin 'https://evil.example' is not allowed\n"
    assert response.body == reason
    assert_headers(
        response.headerlist,
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(reason))),
            PREFLIGHT_VARY,
        ],
    )

    # Allowed origin, refused method: the partial headers, so the browser names the method.
    response = test_app.options(
        "/items", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "DELETE"}, status=200
    )
    # 200 (documented), but Allow-Methods does not list DELETE: the browser still refuses.
    assert response.status == "200 OK"
    reason = b"CORS preflight refused: method 'DELETE' is not allowed (allowed: GET, PUT)\n"
    assert response.body == reason
    assert_headers(
        response.headerlist,
        [
            ("Access-Control-Allow-Origin", ALLOWED),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Allow-Methods", "GET, PUT"),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(reason))),
            PREFLIGHT_VARY,
        ],
    )
    assert app.calls == 0


def test_debug_reason_escapes_hostile_request_values() -> None:
    app = HelloApp()
    wsgi_app, _ = stack(app, debug=True)
    server = Server()
    body = server.run(
        wsgi_app,
        make_environ("OPTIONS", HTTP_ORIGIN="https://x.example\u00e9\u00ff", HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT"),
    )
    assert server.status == "403 Forbidden"
    assert body == b"CORS preflight refused: origin 'https://x.example\\xe9\\xff' is not allowed\n"
    assert app.calls == 0


# ---------------------------------------------------------------------------------------
# exc_info, write(), request bodies
# ---------------------------------------------------------------------------------------


def failing_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Starts a 200, fails before any body, and replaces it with a 500 (PEP 3333 exc_info)."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    try:
        raise RuntimeError("database down")
    except RuntimeError:
        # exc_info is passed positionally: the validator forbids keyword arguments.
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
    return [b"internal error"]


ERROR_HEADERS = [
    ("Content-Type", "text/plain"),
    ("Vary", "Origin"),
    ("Access-Control-Allow-Origin", ALLOWED),
    ("Access-Control-Allow-Credentials", "true"),
    ("Access-Control-Expose-Headers", "X-Total"),
]


def test_error_response_started_with_exc_info_carries_cors_headers_direct() -> None:
    wsgi_app, _ = stack(failing_app)
    server = Server()
    body = server.run(wsgi_app, make_environ("GET", HTTP_ORIGIN=ALLOWED))
    assert len(server.calls) == 2
    assert server.calls[0][0] == "200 OK"
    assert server.status == "500 Internal Server Error"
    assert_headers(server.headers, ERROR_HEADERS)
    assert body == b"internal error"


def test_exc_info_is_forwarded_unchanged_to_the_server() -> None:
    received: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        received.append((status, exc_info))
        return lambda data: None

    middleware = CORSMiddleware(failing_app, **OPTIONS)
    result = middleware(make_environ("GET", HTTP_ORIGIN=ALLOWED), start_response)
    assert list(result) == [b"internal error"]
    assert received[0] == ("200 OK", None)
    status, exc_info = received[1]
    assert status == "500 Internal Server Error"
    assert isinstance(exc_info, tuple)
    assert exc_info[0] is RuntimeError
    assert str(exc_info[1]) == "database down"


def test_error_response_started_with_exc_info_carries_cors_headers_webtest() -> None:
    test_app, _ = client(failing_app)
    response = test_app.get("/items", headers={"Origin": ALLOWED}, status=500)
    assert response.status == "500 Internal Server Error"
    assert_headers(response.headerlist, [*ERROR_HEADERS, ("Content-Length", "14")])
    assert response.body == b"internal error"


def test_exc_info_after_the_body_started_propagates_to_the_server() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"partial "
        try:
            raise RuntimeError("failed mid-stream")
        except RuntimeError:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
        yield b"never sent"

    wsgi_app, _ = stack(app)
    server = Server()
    with pytest.raises(RuntimeError, match="failed mid-stream"):
        server.run(wsgi_app, make_environ("GET", HTTP_ORIGIN=ALLOWED))
    assert server.written == [b"partial "]
    assert server.status == "200 OK"
    assert ("Access-Control-Allow-Origin", ALLOWED) in server.headers


def test_legacy_write_callable_is_the_servers() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written ")
        return [b"returned"]

    test_app, _ = client(app)
    response = test_app.get("/items", headers={"Origin": ALLOWED})
    assert response.body == b"written returned"
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


def test_request_body_reaches_the_app_unread() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        data = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [data]

    test_app, _ = client(app)
    payload = b'{"name": "widget"}' * 100
    response = test_app.put("/items", payload, headers={"Origin": ALLOWED, "Content-Type": "application/json"})
    assert response.body == payload
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


# ---------------------------------------------------------------------------------------
# Response bodies: generators, close(), no buffering
# ---------------------------------------------------------------------------------------


def test_generator_body_that_starts_the_response_lazily() -> None:
    """A generator app calls start_response only when the server first iterates."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")])
        yield b"one "
        yield b"two"

    test_app, _ = client(app)
    response = test_app.get("/items", headers={"Origin": ALLOWED})
    assert response.body == b"one two"
    assert_headers(
        response.headerlist,
        [
            ("Content-Type", "text/plain"),
            ("Vary", "Accept-Encoding, Origin"),
            ("Access-Control-Allow-Origin", ALLOWED),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Expose-Headers", "X-Total"),
            ("Content-Length", "7"),
        ],
    )


def test_streaming_generator_is_consumed_lazily() -> None:
    produced: list[int] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        for number in range(3):
            produced.append(number)
            yield b"chunk %d\n" % number

    wsgi_app, _ = stack(app)
    server = Server()
    result = wsgi_app(make_environ("GET", HTTP_ORIGIN=ALLOWED), server.start_response)
    try:
        assert produced == []
        iterator = iter(result)
        assert next(iterator) == b"chunk 0\n"
        assert produced == [0]
        assert server.status == "200 OK"
        assert ("Access-Control-Allow-Origin", ALLOWED) in server.headers
        assert next(iterator) == b"chunk 1\n"
        assert produced == [0, 1]
    finally:
        result.close()
    # Closing early stopped the generator: the third chunk was never produced.
    assert produced == [0, 1]


class ClosingBody:
    """A body iterable with ``close()``, counting the calls."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.close_calls = 0
        self.iterated = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.iterated += 1
            yield chunk

    def close(self) -> None:
        self.close_calls += 1


def closing_app(body: ClosingBody, calls: list[int] | None = None) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> ClosingBody:
        if calls is not None:
            calls.append(1)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    return app


@pytest.mark.parametrize("origin", [ALLOWED, EVIL, None], ids=["allowed", "refused", "no-origin"])
def test_close_is_called_exactly_once_through_webtest(origin: str | None) -> None:
    body = ClosingBody([b"a", b"b", b"c"])
    test_app, _ = client(closing_app(body))
    response = test_app.get("/items", headers={"Origin": origin} if origin else {})
    assert response.body == b"abc"
    assert body.close_calls == 1


@pytest.mark.parametrize("origin", [ALLOWED, EVIL, None], ids=["allowed", "refused", "no-origin"])
def test_close_is_called_exactly_once_direct(origin: str | None) -> None:
    body = ClosingBody([b"a", b"b"])
    wsgi_app, _ = stack(closing_app(body))
    server = Server()
    environ = make_environ("GET", HTTP_ORIGIN=origin) if origin else make_environ("GET")
    assert server.run(wsgi_app, environ) == b"ab"
    assert body.close_calls == 1


def test_close_is_called_once_when_the_server_stops_early() -> None:
    body = ClosingBody([b"a", b"b", b"c"])
    wsgi_app, _ = stack(closing_app(body))
    server = Server()
    result = wsgi_app(make_environ("GET", HTTP_ORIGIN=ALLOWED), server.start_response)
    try:
        assert next(iter(result)) == b"a"
    finally:
        result.close()
    assert body.iterated == 1
    assert body.close_calls == 1


@pytest.mark.parametrize(
    "headers",
    [{"HTTP_ORIGIN": ALLOWED}, {"HTTP_ORIGIN": EVIL}, {}, {"HTTP_ORIGIN": ALLOWED, "REQUEST_METHOD": "OPTIONS"}],
    ids=["allowed", "refused", "no-origin", "options-without-request-method"],
)
def test_middleware_returns_the_apps_body_object_itself(headers: dict[str, str]) -> None:
    """No buffering, no wrapping: the iterable the server gets IS the application's."""
    body = ClosingBody([b"x"])
    calls: list[int] = []
    middleware = CORSMiddleware(closing_app(body, calls), **OPTIONS)
    environ = make_environ("GET")
    environ.update(headers)
    server = Server()
    result = middleware(environ, server.start_response)
    assert result is body
    assert body.iterated == 0
    assert calls == [1]
    assert list(result) == [b"x"]
    result.close()
    assert body.close_calls == 1


def test_preflight_never_touches_the_apps_body() -> None:
    body = ClosingBody([b"x"])
    calls: list[int] = []
    wsgi_app, _ = stack(closing_app(body, calls))
    server = Server()
    environ = make_environ("OPTIONS", HTTP_ORIGIN=ALLOWED, HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT")
    assert server.run(wsgi_app, environ) == b""
    assert server.status == "204 No Content"
    assert calls == []
    assert body.close_calls == 0
