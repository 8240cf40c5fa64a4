"""The middleware behind real WSGI servers (wsgiref, waitress) on 127.0.0.1, checked on the wire.

The servers are the suite's own: ``support.serve_wsgi`` (threaded wsgiref) and
``benchmarks/_servers.waitress_in_thread``, each from a thread of this process.
"""

from __future__ import annotations

import http.client
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import LOOPBACK, Launcher, Reply, http_call, serve_wsgi

from cors_wsgi import CORSMiddleware

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.append(str(BENCHMARKS))

import _servers  # noqa: E402

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


@dataclass
class RunningServer:
    name: str
    port: int
    app: RecordingApp


def run_wsgiref(recorder: RecordingApp) -> Iterator[RunningServer]:
    with serve_wsgi(make_app(recorder)) as port:
        yield RunningServer("wsgiref", port, recorder)


def run_waitress(recorder: RecordingApp) -> Iterator[RunningServer]:
    # Every test closes its client side; on leaving, the server stops within seconds, or this
    # raises (its thread still alive, or an error in it).
    with _servers.waitress_in_thread(make_app(recorder), threads=2) as port:
        yield RunningServer("waitress", port, recorder)


@pytest.fixture(scope="module", params=["wsgiref", "waitress"])
def running(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    runner = run_wsgiref if request.param == "wsgiref" else run_waitress
    yield from runner(RecordingApp())


@pytest.fixture
def server(running: RunningServer) -> RunningServer:
    with running.app.lock:
        running.app.calls.clear()
    return running


def send(server: RunningServer, method: str, path: str, headers: dict[str, str]) -> Reply:
    return http_call(server.port, method, path, headers)


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
    connection = http.client.HTTPConnection(LOOPBACK, server.port, timeout=10)
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


# -- the suite's own server helpers (support.py) -------------------------------------------------


def test_the_wsgi_server_fixture_answers_a_second_connection_while_a_first_one_idles(
    wsgi_server: Callable[..., int],
) -> None:
    """Threaded: a client holding an idle connection (Firefox does) does not stall the next one."""
    port = wsgi_server(make_app(RecordingApp()))
    with socket.create_connection((LOOPBACK, port), timeout=5):  # opened, nothing sent
        reply = http_call(port, "GET", "/hello", {"Origin": ALLOWED}, timeout=3)
    assert (reply.status, reply.header("Access-Control-Allow-Origin"), reply.body) == (200, ALLOWED, b"hello")


def test_a_server_command_that_exits_fails_the_test_and_shows_its_output(launch: Launcher) -> None:
    with pytest.raises(pytest.fail.Exception) as failure:
        launch.start("-c", "print('cannot bind'); raise SystemExit(3)")
    assert "exited with status 3" in str(failure.value)
    assert "cannot bind" in str(failure.value)


def test_a_server_command_is_waited_for_and_stopped(launch: Launcher) -> None:
    port = launch.start("-m", "http.server", "--bind", LOOPBACK, "0", ready_path="/")
    assert http_call(port, "GET", "/").status in (200, 404)
    launch.stop_all()
    assert [server.process.poll() is not None for server in launch.servers] == [True]
