"""Test helpers, shared by the suite (``tests/`` is on ``sys.path``: see ``tests/conftest.py``).

* WSGI apps and environs for direct calls, and WebTest clients around the middleware;
* servers on loopback: :func:`serve_wsgi` (threaded wsgiref, in a thread of this process),
  :func:`serve_asgi` (uvicorn, in a thread), :class:`Launcher` (a server command run as a
  subprocess), and :func:`http_call` / :func:`http_preflight` to ask them on the wire;
* many threads at once through one application (``test_concurrency.py``,
  ``test_thread_stress.py``): :class:`Case`, :class:`Answer`, :func:`hammer`.

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import io
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any, TypeVar
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import webtest

from cors_wsgi import CORSMiddleware

T = TypeVar("T")
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
REPO = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


class RecordingApp:
    """A WSGI app answering ``200 hello`` (or a chosen status/headers) and recording each call."""

    def __init__(self, status: str = "200 OK", headers: list[tuple[str, str]] | None = None) -> None:
        self.status = status
        self.headers = headers if headers is not None else [("Content-Type", "text/plain")]
        self.calls: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.calls.append(dict(environ))
        start_response(self.status, list(self.headers))
        return [b"hello"]


def client(app: RecordingApp | None = None, **options: Any) -> tuple[webtest.TestApp, RecordingApp]:
    """A WebTest client for ``CORSMiddleware(app, **options)`` and the recording app behind it."""
    app = app or RecordingApp()
    return webtest.TestApp(CORSMiddleware(app, **options)), app


def preflight(
    test_app: webtest.TestApp,
    path: str = "/",
    origin: str = "https://app.example.com",
    method: str = "PUT",
    headers: str | None = None,
    status: int | str = "*",
    **extra: str,
) -> webtest.TestResponse:
    """Send a browser-like preflight; ``extra`` are more request headers."""
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method, **extra}
    if headers is not None:
        request_headers["Access-Control-Request-Headers"] = headers
    return test_app.options(path, headers=request_headers, status=status)


def cors_headers(response: webtest.TestResponse) -> dict[str, str]:
    """The response's Access-Control-* headers (names as sent)."""
    return {name: value for name, value in response.headerlist if name.lower().startswith("access-control-")}


def hello_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The smallest application: ``200``, ``text/plain``, ``hello``."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def wsgi_environ(method: str, path: str = "/items", **headers: str) -> dict[str, Any]:
    """A complete WSGI environ; ``headers`` by CGI name without ``HTTP_`` (``ORIGIN=...``)."""
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "api.example.net",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    env.update({f"HTTP_{name}": value for name, value in headers.items()})
    return env


def in_fresh_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` run in a thread of its own; its result, or its exception re-raised.

    For code that needs a thread with no asyncio event loop: the browser tests' session-wide
    Playwright (sync API) keeps a loop registered as running in the main thread, and
    ``asyncio.run`` refuses to start inside one.
    """
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, function(*args, **kwargs)))
        except BaseException as error:  # re-raised in the caller, the same object
            outcome.append((False, error))

    thread = threading.Thread(target=run, name="in_fresh_thread")
    thread.start()
    thread.join()
    succeeded, value = outcome[0]
    if succeeded:
        return value  # type: ignore[no-any-return]
    raise value


def run_async(awaitable: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(awaitable)`` in a thread of its own (see :func:`in_fresh_thread`)."""
    return in_fresh_thread(asyncio.run, awaitable)


# ---------------------------------------------------------------------------------------
# Servers on loopback
# ---------------------------------------------------------------------------------------


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server, one thread per connection (daemon threads: never waited for)."""

    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    """wsgiref's handler without its access log on stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve_wsgi(
    app: WSGIApp,
    *,
    server_class: type[WSGIServer] = ThreadingWSGIServer,
    handler_class: type[WSGIRequestHandler] = QuietHandler,
    port: int = 0,
) -> Iterator[int]:
    """Serve ``app`` with wsgiref on ``127.0.0.1`` from a thread of this process; yield the port.

    ::

        with serve_wsgi(CORSMiddleware(app, allow_origins=[...])) as port:
            http_call(port, "GET", "/", {"Origin": "https://app.example.com"})

    The server is threaded (:class:`ThreadingWSGIServer`: each connection in a thread of its
    own), so a client that opens a second connection while the first is idle -- Firefox
    does, and stalls about 5 s on a single-threaded server -- is answered at once.  ``port``
    0 (the default) picks a free port; ``server_class`` may be another wsgiref server (an
    example's own, say), ``handler_class`` another handler (the default logs nothing).

    The application runs in the server's threads, so a test can reach into it while it
    serves.  On leaving the block the server is shut down, its socket closed and its
    thread joined (bounded: an error if it does not stop).  In a fixture of any scope::

        @pytest.fixture(scope="session")
        def api_port() -> Iterator[int]:
            with serve_wsgi(api_app) as port:
                yield port

    and, for a single test, the ``wsgi_server`` fixture of ``tests/conftest.py`` does the
    same and stops the server after the test: ``port = wsgi_server(app)``.
    """
    httpd = make_server(LOOPBACK, port, app, server_class=server_class, handler_class=handler_class)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="wsgiref-test-server", daemon=True
    )
    thread.start()
    try:
        yield httpd.server_port
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()
        if thread.is_alive():
            raise RuntimeError("the wsgiref test server did not stop")


ASGI_START_TIMEOUT = 15.0


@contextlib.contextmanager
def serve_asgi(app: Any, root_path: str = "", lifespan: str = "auto") -> Iterator[int]:
    """Serve ``app`` with uvicorn on ``127.0.0.1`` from a thread of this process; yield the port.

    The socket is bound here (port 0, loopback only) and handed to uvicorn, so the port is
    known before the server starts; uvicorn's own logging configuration is left alone
    (``log_config=None``), so that pytest keeps capturing its records.  Stopping sets
    ``should_exit`` and joins the thread, bounded.
    """
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app, host=LOOPBACK, port=port, log_config=None, access_log=False, root_path=root_path, lifespan=lifespan
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn-test-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + ASGI_START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def free_port() -> int:
    """A loopback port that was free a moment ago (for commands that must be given one)."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def accepts_connections(port: int) -> bool:
    try:
        socket.create_connection((LOOPBACK, port), timeout=1).close()
    except OSError:
        return False
    return True


def answers_http(port: int, path: str) -> bool:
    """Does ``GET path`` get any HTTP answer (whatever its status)?"""
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=2)
    try:
        connection.request("GET", path)
        connection.getresponse().read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
    return True


#: How a server command announces where it listens (wsgiref, Flask, waitress, uvicorn all do).
ANNOUNCED = re.compile(r"http://127\.0\.0\.1:(\d+)")
START_TIMEOUT = 30.0
EXIT_TIMEOUT = 30.0


def command_env(changes: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The environment of a command: this checkout first on the path, unbuffered output, none of
    the examples' own variables; then ``changes`` (None removes a variable)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    for name in ("APP_ENV", "ALLOWED_ORIGINS", "FLASK_APP", "FLASK_DEBUG", "FLASK_RUN_PORT"):
        env.pop(name, None)
    for name, value in (changes or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


@dataclass
class ServerProcess:
    """One server command, started by :meth:`Launcher.start`; its output goes to ``log``."""

    command: tuple[str, ...]
    process: subprocess.Popen[bytes]
    log: Path
    port: int = 0

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the command's process group, SIGKILL what is left after ``timeout`` s; reaped."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        # Whatever is left of the group (a worker whose parent went first) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=timeout)


class Launcher:
    """Runs server commands (``python ARGS``, in the checkout) as subprocesses; stops every one.

    ::

        def test_x(launch: Launcher) -> None:             # the fixture in tests/conftest.py
            port = launch.start("examples/wsgi_hello.py", "--port", "0")
            port = launch.start("-m", "waitress", "--port", str(wanted), "m:app", port=wanted)

    :meth:`start` waits until the server is up and returns its port: the port it announces
    (``http://127.0.0.1:PORT`` in its output), or the ``port`` given, once it accepts
    connections there (and, with ``ready_path``, once ``GET ready_path`` is answered).  If
    it exits or is not up within ``START_TIMEOUT`` s, the test fails with its output.  Each
    command runs in a session of its own (``start_new_session``) and :meth:`stop_all`
    signals the whole group (a server's workers go too): TERM, then KILL.  :meth:`run` runs
    a command to completion instead (bounded) and returns its result.  Outside a test
    (a module-scoped fixture, say) make one with ``Launcher(tmp_path_factory.mktemp(...))``
    and call :meth:`stop_all` when done.
    """

    def __init__(self, logs: Path, cwd: Path = REPO) -> None:
        self.logs = logs
        self.cwd = cwd
        self.servers: list[ServerProcess] = []

    def start(
        self,
        *args: str,
        env: Mapping[str, str | None] | None = None,
        port: int | None = None,
        ready_path: str | None = None,
        timeout: float = START_TIMEOUT,
    ) -> int:
        """Start ``python *args``; return the port it serves on (see the class's docstring)."""
        log = self.logs / f"server-{len(self.servers)}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, *args],
                cwd=self.cwd,
                env=command_env(env),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = ServerProcess(args, process, log)
        self.servers.append(server)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if port is None:
                found = ANNOUNCED.search(server.output())
                if found:
                    server.port = int(found.group(1))
            elif accepts_connections(port):
                server.port = port
            if server.port and (ready_path is None or answers_http(server.port, ready_path)):
                return server.port
            if process.poll() is not None:
                break
            time.sleep(0.05)
        state = f"exited with status {process.returncode}" if process.poll() is not None else "is not up"
        pytest.fail(f"{' '.join(args)} {state} (no address announced or answering):\n{server.output()}")

    def run(self, *args: str, env: Mapping[str, str | None] | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``python *args`` to completion (bounded by ``EXIT_TIMEOUT``)."""
        return subprocess.run(
            [sys.executable, *args],
            cwd=self.cwd,
            env=command_env(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=EXIT_TIMEOUT,
            check=False,
        )

    def stop_all(self) -> None:
        for server in self.servers:
            if server.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.process.pid, signal.SIGTERM)
        for server in self.servers:
            server.stop()


# ---------------------------------------------------------------------------------------
# Asking a server on the wire
# ---------------------------------------------------------------------------------------

REQUEST_TIMEOUT = 10.0


@dataclass
class Reply:
    """An HTTP answer as it came over the wire: headers as sent, names and order kept."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The value of ``name``, which must have been sent at most once."""
        values = self.all(name)
        assert len(values) <= 1, f"{name} sent {len(values)} times: {values}"
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        """Every value of ``name`` as sent (name compared case-insensitively)."""
        return [value for key, value in self.headers if key.lower() == name.lower()]

    @property
    def names(self) -> list[str]:
        return [key for key, _ in self.headers]

    def cors(self) -> dict[str, str]:
        """Every ``Access-Control-*`` header sent."""
        return {key: value for key, value in self.headers if key.lower().startswith("access-control-")}

    def json(self) -> Any:
        return json.loads(self.body)


def http_call(
    port: int,
    method: str,
    path: str,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = REQUEST_TIMEOUT,
) -> Reply:
    """One request to ``127.0.0.1:port`` on a connection of its own."""
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=dict(headers or {}))
        with connection.getresponse() as response:
            return Reply(response.status, response.reason, response.getheaders(), response.read())
    finally:
        connection.close()


def http_preflight(port: int, path: str, origin: str, method: str, request_headers: str | None = None) -> Reply:
    """A browser's preflight: ``OPTIONS`` with ``Origin`` and ``Access-Control-Request-*``."""
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if request_headers is not None:
        headers["Access-Control-Request-Headers"] = request_headers
    return http_call(port, "OPTIONS", path, headers)


# ---------------------------------------------------------------------------------------
# Many threads at once through one application (test_concurrency.py, test_thread_stress.py)
# ---------------------------------------------------------------------------------------
#
# Every expected answer is spelled out literally (status, every header, body).  The
# application echoes each request's ``X-Request-Id`` as a header and as the body, so a
# mixed-up answer is caught; on top of the exact comparison, every answer goes through a
# check that needs nothing but the request (:func:`leaked`).  All loops are bounded in count
# and in time.

STRESS_THREADS = 32
APP_ORIGIN = "https://app.example.com"
PATTERN_ORIGIN = "https://shop.example.org"  # matched by https://*.example.org
EVIL = "https://app.example.com.evil.net"
#: The policy both stress suites put in front of :func:`echo_app`.
STRESS_OPTIONS: dict[str, Any] = {
    "allow_origins": [APP_ORIGIN, "https://*.example.org"],
    "allow_credentials": True,
    "allow_methods": ["GET", "PUT"],
    "allow_headers": ["X-Token"],
    "expose_headers": ["X-Total"],
    "max_age": 600,
}
PREFLIGHT_VARY = ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
PLAIN_UTF8 = ("Content-Type", "text/plain; charset=utf-8")
#: Added by a server itself, not by the application or the middleware.
SERVER_OWNED = frozenset({"date", "server", "connection", "keep-alive"})

Headers = list[tuple[str, str]]


def echo_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answers with the request's ``X-Request-Id`` (header and body), so a mixed-up answer is caught."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    request_id = environ["HTTP_X_REQUEST_ID"]
    start_response(
        "200 OK",
        [("Content-Type", "text/plain"), ("X-Request-Id", request_id), ("Content-Length", str(len(request_id)))],
    )
    return [request_id.encode("ascii")]


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]  # sorted; names as sent; the server's own left out
    body: bytes

    @classmethod
    def of(cls, status: str, headers: Iterable[tuple[str, str]], body: bytes) -> Answer:
        code, _, reason = status.partition(" ")
        kept = (h for h in headers if h[0].lower() not in SERVER_OWNED)
        return cls(int(code), reason, tuple(sorted(kept)), body)


Expect = Callable[[str], Answer]  # request id -> the answer


def echoed(origin: str | None, *, credentials: bool = True) -> Expect:
    """:func:`echo_app`'s answer, with the actual-response CORS headers for ``origin`` (None: refused)."""

    def answer(request_id: str) -> Answer:
        headers = [
            ("Content-Type", "text/plain"),
            ("X-Request-Id", request_id),
            ("Content-Length", str(len(request_id))),
            ("Vary", "Origin"),
        ]
        if origin is not None:
            headers.append(("Access-Control-Allow-Origin", origin))
            if credentials:
                headers.append(("Access-Control-Allow-Credentials", "true"))
            headers.append(("Access-Control-Expose-Headers", "X-Total"))
        return Answer.of("200 OK", headers, request_id.encode("ascii"))

    return answer


def allowed_preflight(origin: str, allow_headers: str | None = None) -> Expect:
    """The 204 of :data:`STRESS_OPTIONS` for ``origin``."""
    headers = [
        ("Access-Control-Allow-Origin", origin),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Methods", "GET, PUT"),
        ("Access-Control-Max-Age", "600"),
        PREFLIGHT_VARY,
    ]
    if allow_headers is not None:
        headers.append(("Access-Control-Allow-Headers", allow_headers))
    fixed = Answer.of("204 No Content", headers, b"")
    return lambda request_id: fixed


QUIET_403 = Answer.of("403 Forbidden", [PLAIN_UTF8, ("Content-Length", "0"), PREFLIGHT_VARY], b"")


def quiet_403(request_id: str) -> Answer:
    return QUIET_403


def explained(status: str, partial: Headers, reason: str) -> Expect:
    """A refused preflight in debug mode: the reason as the body, and what would be allowed."""
    body = f"CORS preflight refused: {reason}\n".encode("ascii")
    fixed = Answer.of(status, [*partial, PLAIN_UTF8, ("Content-Length", str(len(body))), PREFLIGHT_VARY], body)
    return lambda request_id: fixed


def origin_refused(origin: str) -> Expect:
    return explained("403 Forbidden", [], f"origin '{origin}' is not allowed")


#: What a refused preflight from APP_ORIGIN is told it would be allowed, in debug mode.
PARTIAL = [
    ("Access-Control-Allow-Origin", APP_ORIGIN),
    ("Access-Control-Allow-Credentials", "true"),
    ("Access-Control-Allow-Methods", "GET, PUT"),
]


@dataclass(frozen=True)
class Case:
    """A kind of request and its exact answers with debug off and on."""

    name: str
    method: str
    path: str
    headers: dict[str, str]
    normal: Expect
    debug: Expect
    body: bytes | None = None

    @property
    def origin(self) -> str | None:
        return self.headers.get("Origin")

    @property
    def is_preflight(self) -> bool:
        return self.method == "OPTIONS" and "Origin" in self.headers and "Access-Control-Request-Method" in self.headers

    @property
    def explains_in_debug(self) -> bool:
        return self.normal("x") != self.debug("x")

    def environ(self, request_id: str) -> dict[str, Any]:
        """A complete WSGI environ for this request (``X-Request-Id: request_id`` added)."""
        environ = wsgi_environ(self.method, self.path)
        for name, value in {**self.headers, "X-Request-Id": request_id}.items():
            key = name.upper().replace("-", "_")
            environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
        if self.body is not None:
            environ["CONTENT_LENGTH"] = str(len(self.body))
            environ["wsgi.input"] = io.BytesIO(self.body)
        return environ


def same(expect: Expect) -> tuple[Expect, Expect]:
    return expect, expect


def preflight_headers(origin: str, method: str, request_headers: str | None = None) -> dict[str, str]:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if request_headers is not None:
        headers["Access-Control-Request-Headers"] = request_headers
    return headers


def call_wsgi(app: WSGIApp, environ: dict[str, Any]) -> Answer:
    """Call ``app`` in this thread; ``start_response`` must be called exactly once."""
    calls: list[tuple[str, Headers]] = []

    def start_response(status: str, headers: Headers, exc_info: Any = None) -> Callable[[bytes], None]:
        calls.append((status, list(headers)))
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    assert len(calls) == 1, calls
    return Answer.of(calls[0][0], calls[0][1], body)


Send = Callable[[Case, str], Answer]  # (case, request id) -> the answer
MakeSender = Callable[[int], tuple[Send, Callable[[], None]]]  # thread index -> (send, close)
Choose = Callable[[random.Random, int, int], Case]  # (the thread's random, thread index, request number)


def in_process(app: WSGIApp) -> MakeSender:
    """Each thread calls ``app`` directly."""
    return lambda index: (lambda case, request_id: call_wsgi(app, case.environ(request_id)), lambda: None)


def over_the_wire(port: int) -> MakeSender:
    """Each thread keeps one connection to ``127.0.0.1:port`` open and sends its requests on it."""

    def make_sender(index: int) -> tuple[Send, Callable[[], None]]:
        connection = http.client.HTTPConnection(LOOPBACK, port, timeout=30)

        def send(case: Case, request_id: str) -> Answer:
            connection.request(
                case.method, case.path, body=case.body, headers={**case.headers, "X-Request-Id": request_id}
            )
            response = connection.getresponse()
            body = response.read()
            return Answer.of(f"{response.status} {response.reason}", response.getheaders(), body)

        return send, connection.close

    return make_sender


@dataclass
class Outcome:
    failures: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    seen: dict[tuple[str, str], int] = field(default_factory=dict)  # (case name, "normal"/"debug") -> count
    done: int = 0
    toggles: int = 0

    def forms(self, cases: Iterable[Case]) -> set[str]:
        """The forms ("normal", "debug") seen for the cases whose answer differs in debug mode."""
        names = {case.name for case in cases if case.explains_in_debug}
        return {form for (name, form), _ in self.seen.items() if name in names}

    def count(self, cases: Iterable[Case]) -> int:
        """How many answers were seen for ``cases`` (by name), in either form."""
        names = {case.name for case in cases}
        return sum(count for (name, _), count in self.seen.items() if name in names)


def leaked(case: Case, answer: Answer) -> str | None:
    """The request-only check: an ACAO is absent or this request's own Origin, nothing else."""
    values = [value for name, value in answer.headers if name.lower() == "access-control-allow-origin"]
    if values and values != [case.origin]:
        return f"{case.name}: request Origin {case.origin!r} got Access-Control-Allow-Origin {values!r}"
    return None


def first_covers_every_case(cases: list[Case]) -> Choose:
    """Thread ``i``'s first request is ``cases[i % len(cases)]`` (they race any lazy set-up); then
    cases at random."""
    return lambda rng, index, number: cases[index % len(cases)] if number == 0 else rng.choice(cases)


def hammer(
    cases: list[Case],
    make_sender: MakeSender,
    per_thread: int,
    toggle: Callable[[], None] | None = None,
    *,
    time_limit: float,
    choose: Choose | None = None,
    toggle_pause: float = 0.0005,
    threads: int = STRESS_THREADS,
) -> Outcome:
    """``threads`` threads send ``per_thread`` requests each, released together by a barrier.

    ``choose`` picks each request's case (default :func:`first_covers_every_case`), with a
    random seeded by the thread's index.  Every answer must be exactly the case's ``normal``
    one, or its ``debug`` one while ``toggle`` (switching debug on and off, every
    ``toggle_pause`` s, from a thread of its own) runs; and it must pass :func:`leaked`.
    Failures are collected, not raised in the threads; nothing runs past ``time_limit`` s.
    """
    outcome = Outcome()
    lock = threading.Lock()
    barrier = threading.Barrier(threads + 1)
    stop_toggling = threading.Event()
    deadline = time.monotonic() + time_limit
    pick = choose or first_covers_every_case(cases)

    def worker(index: int) -> None:
        rng = random.Random(index)
        seen: dict[tuple[str, str], int] = {}
        failures: list[str] = []
        leaks: list[str] = []
        done = 0
        try:
            send, close = make_sender(index)
            try:
                barrier.wait(timeout=time_limit)
                for number in range(per_thread):
                    if time.monotonic() > deadline:
                        failures.append(f"thread {index}: out of time after {number} requests")
                        break
                    case = pick(rng, index, number)
                    request_id = f"{index}-{number}"
                    answer = send(case, request_id)
                    leak = leaked(case, answer)
                    if leak is not None:
                        leaks.append(f"#{request_id} {leak}")
                    if answer == case.normal(request_id):
                        form = "normal"
                    elif answer == case.debug(request_id):
                        form = "debug"
                        if toggle is None:
                            failures.append(f"{case.name} #{request_id}: the debug answer while debug is off")
                    else:
                        failures.append(f"{case.name} #{request_id}: unexpected answer {answer!r}")
                        continue
                    seen[case.name, form] = seen.get((case.name, form), 0) + 1
                    done += 1
            finally:
                close()
        except BaseException as exc:  # recorded, not lost in the thread
            failures.append(f"thread {index}: {type(exc).__name__}: {exc}")
        with lock:
            outcome.failures.extend(failures)
            outcome.leaks.extend(leaks)
            outcome.done += done
            for key, count in seen.items():
                outcome.seen[key] = outcome.seen.get(key, 0) + count

    def toggler() -> None:
        try:
            barrier.wait(timeout=time_limit)
            while not stop_toggling.is_set() and time.monotonic() < deadline:
                assert toggle is not None
                toggle()
                outcome.toggles += 1
                time.sleep(toggle_pause)
        except BaseException as exc:
            outcome.failures.append(f"toggler: {type(exc).__name__}: {exc}")

    workers = [threading.Thread(target=worker, args=(i,), name=f"stress-{i}") for i in range(threads)]
    helper = threading.Thread(target=toggler if toggle is not None else barrier.wait, name="stress-toggler")
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # switch threads often: more interleavings
    try:
        for thread in [*workers, helper]:
            thread.start()
        for thread in workers:
            thread.join(timeout=max(0.1, deadline - time.monotonic() + 5))
    finally:
        stop_toggling.set()
        helper.join(timeout=10)
        sys.setswitchinterval(old_interval)
    assert not any(thread.is_alive() for thread in [*workers, helper]), "threads did not finish in time"
    return outcome


def assert_clean(outcome: Outcome, expected_done: int) -> None:
    """No leak, no failure, and every request answered."""
    assert outcome.leaks == [], outcome.leaks[:5]
    assert outcome.failures == [], outcome.failures[:5]
    assert outcome.done == expected_done
