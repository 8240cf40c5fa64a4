"""The middleware behind real WSGI servers (wsgiref, waitress) on 127.0.0.1, checked on the wire."""

from __future__ import annotations

import http.client
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import waitress
from waitress import wasyncore

from cors_wsgi import CORSMiddleware

ALLOWED = "https://app.example.com"
EVIL = "https://evil.example"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


class RecordingApp:
    """``/hello`` 200, ``/boom`` a 500 it returns itself, ``/raise`` a 500 via exc_info."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self.lock:
            self.calls.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        path = environ["PATH_INFO"]
        if path == "/boom":
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"it broke"]
        if path == "/raise":
            start_response("200 OK", [("Content-Type", "text/plain")])
            try:
                raise RuntimeError("database down")
            except RuntimeError:
                start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
            return [b"it broke"]
        start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")])
        return [b"hello"]


def make_app(recorder: RecordingApp) -> CORSMiddleware:
    return CORSMiddleware(
        recorder,
        allow_origins=[ALLOWED],
        allow_credentials=True,
        allow_methods=["GET", "PUT"],
        allow_headers=["X-Token"],
        expose_headers=["X-Total"],
        max_age=600,
    )


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class RunningServer:
    name: str
    port: int
    app: RecordingApp


def run_wsgiref(recorder: RecordingApp) -> Iterator[RunningServer]:
    server = make_server("127.0.0.1", 0, make_app(recorder), handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="wsgiref-server")
    thread.start()
    try:
        yield RunningServer("wsgiref", server.server_port, recorder)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        assert not thread.is_alive()


def run_waitress(recorder: RecordingApp) -> Iterator[RunningServer]:
    server = waitress.create_server(make_app(recorder), host="127.0.0.1", port=0, threads=2)
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            server.run()
        except BaseException as exc:  # reported by the fixture, not lost in the thread
            errors.append(exc)

    def stop() -> None:
        # Runs on the server's own loop thread, so no socket is closed under its select():
        # close the listener and the trigger, then any connection left; the loop then ends.
        server.close()
        wasyncore.close_all(server._map)

    thread = threading.Thread(target=serve, name="waitress-server")
    thread.start()
    try:
        yield RunningServer("waitress", server.effective_port, recorder)
    finally:
        # Every test closes its client side: let the server see that (its map then holds
        # only the listener and the trigger), let the worker threads finish, then stop.
        deadline = time.monotonic() + 5
        while len(server._map) > 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.task_dispatcher.shutdown()
        server.trigger.pull_trigger(stop)
        thread.join(timeout=5)
        assert not thread.is_alive()
        assert errors == []


@pytest.fixture(scope="module", params=["wsgiref", "waitress"])
def running(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    runner = run_wsgiref if request.param == "wsgiref" else run_waitress
    yield from runner(RecordingApp())


@pytest.fixture
def server(running: RunningServer) -> RunningServer:
    with running.app.lock:
        running.app.calls.clear()
    return running


@dataclass
class Reply:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def all(self, name: str) -> list[str]:
        """Every value of ``name`` as sent (name compared case-insensitively)."""
        return [v for n, v in self.headers if n.lower() == name.lower()]

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.headers]


def send(server: RunningServer, method: str, path: str, headers: dict[str, str]) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        try:
            body = response.read()
        finally:
            response.close()
        return Reply(response.status, response.reason, response.getheaders(), body)
    finally:
        connection.close()


def test_allowed_preflight(server: RunningServer) -> None:
    reply = send(
        server,
        "OPTIONS",
        "/hello",
        {"Origin": ALLOWED, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-token"},
    )
    assert (reply.status, reply.reason) == (204, "No Content")
    assert reply.all("Access-Control-Allow-Origin") == [ALLOWED]
    assert reply.all("Access-Control-Allow-Credentials") == ["true"]
    assert reply.all("Access-Control-Allow-Methods") == ["GET, PUT"]
    assert reply.all("Access-Control-Allow-Headers") == ["X-Token"]
    assert reply.all("Access-Control-Max-Age") == ["600"]
    assert reply.all("Vary") == [PREFLIGHT_VARY]
    for name in (
        "Access-Control-Allow-Origin",
        "Access-Control-Allow-Credentials",
        "Access-Control-Allow-Methods",
        "Access-Control-Allow-Headers",
        "Access-Control-Max-Age",
        "Vary",
    ):
        assert name in reply.names  # spelled exactly so on the wire
    assert reply.body == b""
    assert server.app.calls == []


def test_refused_preflight(server: RunningServer) -> None:
    reply = send(server, "OPTIONS", "/hello", {"Origin": EVIL, "Access-Control-Request-Method": "PUT"})
    assert (reply.status, reply.reason) == (403, "Forbidden")
    assert [n for n in reply.names if n.lower().startswith("access-control-")] == []
    assert reply.all("Vary") == [PREFLIGHT_VARY]
    assert reply.all("Content-Type") == ["text/plain; charset=utf-8"]
    assert reply.body == b""
    assert server.app.calls == []


def test_allowed_actual_request_merges_vary_into_one_header(server: RunningServer) -> None:
    reply = send(server, "GET", "/hello", {"Origin": ALLOWED})
    assert (reply.status, reply.reason) == (200, "OK")
    assert reply.all("Access-Control-Allow-Origin") == [ALLOWED]
    assert reply.all("Access-Control-Allow-Credentials") == ["true"]
    assert reply.all("Access-Control-Expose-Headers") == ["X-Total"]
    assert reply.all("Vary") == ["Accept-Encoding, Origin"]
    assert "Access-Control-Allow-Origin" in reply.names
    assert reply.all("Content-Type") == ["text/plain"]
    assert reply.body == b"hello"
    assert server.app.calls == [("GET", "/hello")]


def test_refused_actual_request_reaches_the_app_without_cors_headers(server: RunningServer) -> None:
    reply = send(server, "PUT", "/hello", {"Origin": EVIL, "Content-Length": "0"})
    assert reply.status == 200
    assert [n for n in reply.names if n.lower().startswith("access-control-")] == []
    assert reply.all("Vary") == ["Accept-Encoding, Origin"]
    assert reply.body == b"hello"
    assert server.app.calls == [("PUT", "/hello")]


def test_request_without_origin(server: RunningServer) -> None:
    reply = send(server, "GET", "/hello", {})
    assert reply.status == 200
    assert [n for n in reply.names if n.lower().startswith("access-control-")] == []
    assert reply.all("Vary") == ["Accept-Encoding, Origin"]
    assert server.app.calls == [("GET", "/hello")]


@pytest.mark.parametrize("path", ["/boom", "/raise"], ids=["returned-500", "exc_info-500"])
def test_app_500_still_carries_cors_headers(server: RunningServer, path: str) -> None:
    reply = send(server, "GET", path, {"Origin": ALLOWED})
    assert (reply.status, reply.reason) == (500, "Internal Server Error")
    assert reply.all("Access-Control-Allow-Origin") == [ALLOWED]
    assert reply.all("Access-Control-Allow-Credentials") == ["true"]
    assert reply.all("Access-Control-Expose-Headers") == ["X-Total"]
    assert reply.all("Vary") == ["Origin"]
    assert reply.body == b"it broke"
    assert server.app.calls == [("GET", path)]


def test_keep_alive_connection_serves_preflight_then_actual(server: RunningServer) -> None:
    """The browser's sequence on one connection: the preflight, then the request itself."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("OPTIONS", "/hello", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "PUT"})
        with connection.getresponse() as response:
            assert response.status == 204
            assert response.read() == b""
            assert response.getheader("Access-Control-Allow-Origin") == ALLOWED
        connection.request("PUT", "/hello", body=b"{}", headers={"Origin": ALLOWED, "Content-Type": "application/json"})
        with connection.getresponse() as response:
            assert response.status == 200
            assert response.read() == b"hello"
            assert response.getheader("Access-Control-Allow-Origin") == ALLOWED
    finally:
        connection.close()
    assert server.app.calls == [("PUT", "/hello")]
