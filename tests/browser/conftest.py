"""A real headless Chromium for browser tests, and one loopback server for every origin.

Locally the browser tests are skipped, with the reason, when Chromium or Playwright
is missing; in CI (``CI=true``) a missing browser fails them instead, so that they
can never silently stop running.  Chromium comes from Debian (``/usr/bin/chromium``);
Playwright only drives it (it cannot download browsers here).

The scenario suites reach many origins without DNS: one threaded wsgiref server on
``127.0.0.1:P`` serves them all, dispatching on the ``Host`` header, and Chromium maps
``example.test``, ``*.example.test`` and ``*.other.test`` to it
(``--host-resolver-rules``).  So ``http://app.example.test`` (port 80 in the URL) is a
page's origin, ``http://api.example.test`` the API under test (:class:`Api`, whose
``app`` each test sets), any other such name a page of its own origin.  Nothing leaves
loopback.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

API_HOSTS = ("api.example.test", "api2.example.test")  # two origins of the API under test
API = "http://api.example.test"
PAGE = "http://app.example.test"
MAPPED_DOMAINS = ("example.test", "*.example.test", "*.other.test")
CORS_MARKER = "has been blocked by CORS policy: "
SYNC_MARKER = "console-sync-"
WAIT_SECONDS = 10.0

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


# -- the server ------------------------------------------------------------------------------


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Seen:
    """One request as it reached the server (outside the CORS layer), and the answer sent to it."""

    host: str
    method: str
    path: str
    origin: str | None
    cookie: str | None
    request_method: str | None  # Access-Control-Request-Method
    request_headers: str | None  # Access-Control-Request-Headers
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The answer's header ``name`` (any case), its values joined by ", "; ``None`` when absent."""
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return ", ".join(values) if values else None

    @property
    def cors_headers(self) -> dict[str, str]:
        """The answer's Access-Control-* headers, names lowercased."""
        return {key.lower(): value for key, value in self.headers if key.lower().startswith("access-control-")}


def _unset_api(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"no API app set for this test"]


class Api:
    """``http://api.example.test`` (and ``api2``): the application a test sets as :attr:`app`, and two logs.

    :attr:`seen` records every request that reached the server (wrapped outside the CORS
    middleware: method, path, Origin, Cookie, Access-Control-Request-*, and the answer);
    :attr:`reached` records ``(method, path)`` of each request that reached the
    application itself: wrap it with :meth:`inner` before handing it to the middleware.
    """

    def __init__(self) -> None:
        self.app: WSGIApp = _unset_api
        self.seen: list[Seen] = []
        self.reached: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def reset(self) -> None:
        with self.lock:
            self.app = _unset_api
        self.forget()

    def forget(self) -> None:
        """Empty both logs (e.g. after a test's own set-up requests)."""
        with self.lock:
            self.seen = []
            self.reached = []

    def inner(self, app: WSGIApp) -> WSGIApp:
        """``app``, recording each request that reaches it into :attr:`reached`."""

        def recorded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            with self.lock:
                self.reached.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
            return app(environ, start_response)

        return recorded

    @property
    def preflights(self) -> list[Seen]:
        return [seen for seen in self.seen if seen.method == "OPTIONS"]

    def requests(self) -> list[tuple[str, str]]:
        """``(method, path)`` of every request that reached the server, in order."""
        return [(seen.method, seen.path) for seen in self.seen]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen = Seen(
            host=environ.get("HTTP_HOST", ""),
            method=environ["REQUEST_METHOD"],
            path=environ.get("PATH_INFO", ""),
            origin=environ.get("HTTP_ORIGIN"),
            cookie=environ.get("HTTP_COOKIE"),
            request_method=environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
            request_headers=environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
        )
        with self.lock:
            self.seen.append(seen)

        def recording_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.status = int(status.split(" ", 1)[0])
            seen.headers = list(headers)
            return start_response(status, headers, exc_info)

        return _RecordedBody(self.app(environ, recording_start_response), seen)


class _RecordedBody:
    """The application's body iterable, passed through unchanged, its bytes also kept in ``seen.body``."""

    def __init__(self, body: Iterable[bytes], seen: Seen) -> None:
        self.body = body
        self.seen = seen

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.body:
            self.seen.body += chunk
            yield chunk

    def close(self) -> None:
        close = getattr(self.body, "close", None)
        if close is not None:
            close()


PAGE_HTML = b"<!doctype html><meta charset=utf-8><link rel=icon href='data:,'><title>page</title><p>a page"


def _page(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Every host but the API: an empty page (its origin is what matters)."""
    if environ.get("PATH_INFO") != "/":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(PAGE_HTML)))])
    return [PAGE_HTML]


class Hosts:
    """The server's WSGI app: the API's hosts go to :attr:`api`, every other host to a page."""

    def __init__(self) -> None:
        self.api = Api()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST", "").rsplit(":", 1)[0].lower()
        if host in API_HOSTS:
            return self.api(environ, start_response)
        return _page(environ, start_response)


@dataclass
class Server:
    port: int
    api: Api

    @property
    def resolver_rules(self) -> str:
        return ",".join(f"MAP {domain} 127.0.0.1:{self.port}" for domain in MAPPED_DOMAINS)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    hosts = Hosts()
    httpd = make_server("127.0.0.1", 0, hosts, server_class=ThreadingWSGIServer, handler_class=QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, name="browser-test-server", daemon=True)
    thread.start()
    try:
        yield Server(httpd.server_port, hosts.api)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def api(server: Server) -> Iterator[Api]:
    """The API, reset for this test (no app: 503 until the test sets one)."""
    server.api.reset()
    yield server.api
    server.api.reset()


# -- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(server: Server) -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*ARGS, f"--host-resolver-rules={server.resolver_rules}"]
        )
        yield browser
        browser.close()


@dataclass
class Fetched:
    """What the page saw of one ``fetch()``, and the console lines it caused."""

    outcome: str  # "ok" or "rejected"
    status: int | None
    body: str | None
    headers: dict[str, str | None]
    error: str | None
    console: list[str]

    @property
    def allowed(self) -> bool:
        return self.outcome == "ok"

    @property
    def cors_reasons(self) -> list[str]:
        """The console's CORS reasons: the text after "has been blocked by CORS policy: "."""
        return [line.split(CORS_MARKER, 1)[1] for line in self.console if CORS_MARKER in line]


_FETCH_JS = """
async ([url, init, names]) => {
  try {
    const response = await fetch(url, init);
    const headers = {};
    for (const name of names) headers[name] = response.headers.get(name);
    return {outcome: "ok", status: response.status, body: await response.text(), headers, error: null};
  } catch (error) {
    return {outcome: "rejected", status: null, body: null, headers: {}, error: String(error)};
  }
}
"""

# The fetch runs in a sandboxed (opaque origin) iframe, which sends `Origin: null`.
_SANDBOXED_FETCH_JS = """
([url, init, names]) => new Promise((resolve) => {
  const frame = document.createElement("iframe");
  frame.sandbox = "allow-scripts";
  const run = "(" + FETCH + ")(" + JSON.stringify([url, init, names]) + ")" +
              ".then((result) => parent.postMessage(result, '*'));";
  frame.srcdoc = "<script>" + run + "</scr" + "ipt>";
  window.addEventListener("message", function listener(event) {
    if (event.source !== frame.contentWindow) return;
    window.removeEventListener("message", listener);
    resolve(event.data);  // the frame stays: its console messages may still be on their way
  });
  document.body.appendChild(frame);
})
"""


class Page:
    """A page of ``origin`` in a fresh browser context (so a fresh preflight cache)."""

    def __init__(self, browser: Any, origin: str) -> None:
        self.origin = origin
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.console: list[str] = []
        self._markers_logged = 0
        self._markers_seen = 0
        self.page.on("console", self._on_console)
        self.page.goto(origin + "/")
        assert self.page.evaluate("location.origin") == origin

    def _on_console(self, message: Any) -> None:
        text = message.text
        if text.startswith(SYNC_MARKER):
            self._markers_seen = max(self._markers_seen, int(text[len(SYNC_MARKER) :]))
        else:
            self.console.append(text)

    def fetch(
        self, url: str, init: dict[str, Any] | None = None, read: Iterable[str] = (), sandboxed: bool = False
    ) -> Fetched:
        """``fetch(url, init)`` in the page (or in a sandboxed iframe of it); ``read`` names response headers."""
        start = len(self.console)
        args = [url, init or {}, list(read)]
        script = _SANDBOXED_FETCH_JS.replace("FETCH", json.dumps(_FETCH_JS.strip())) if sandboxed else _FETCH_JS
        result = self.page.evaluate(script, args)
        self._settle_console(start, expect_cors_error=result["outcome"] == "rejected")
        return Fetched(console=self.console[start:], **result)

    def _settle_console(self, start: int, expect_cors_error: bool) -> None:
        """Wait, bounded, until the console lines the fetch caused have arrived.

        A marker logged by the page after the fetch shows that the page's earlier
        messages were delivered; a rejected fetch's CORS reason comes from the network
        layer, so it is waited for by itself.
        """
        self._markers_logged += 1
        marker = self._markers_logged
        self.page.evaluate("(text) => console.log(text)", f"{SYNC_MARKER}{marker}")
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            reason_arrived = any(CORS_MARKER in line for line in self.console[start:])
            if self._markers_seen >= marker and (reason_arrived or not expect_cors_error):
                return
            self.page.wait_for_timeout(10)

    def navigate(self, url: str) -> None:
        """Open ``url`` in this page (e.g. an API address that sets a cookie), then come back to the origin."""
        self.page.goto(url)
        self.page.goto(self.origin + "/")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[[str], Page]]:
    """``open_page(origin)``: a page of that origin, each in a fresh context, closed after the test."""
    pages: list[Page] = []

    def opener(origin: str = PAGE) -> Page:
        page = Page(browser, origin)
        pages.append(page)
        return page

    yield opener
    for page in pages:
        page.close()


@pytest.fixture(scope="module")
def shared_page(browser: Any) -> Iterator[Page]:
    """One page of ``http://app.example.test`` for a whole module: one preflight cache, so each
    test must use URLs of its own (a passed preflight is cached 5 s even without a max-age)."""
    page = Page(browser, PAGE)
    yield page
    page.close()


# -- the checker -----------------------------------------------------------------------------


class Checker:
    """``python -m cors_wsgi check URL ... --json``, run in process; ``--connect-to`` sends every host to the server."""

    def __init__(self, port: int) -> None:
        self.port = port

    def report(self, url: str, origin: str, *args: str) -> dict[str, Any]:
        """The command's JSON report; its exit status is checked against the verdict."""
        import contextlib
        import io

        from cors_wsgi.cli import main

        out, err = io.StringIO(), io.StringIO()
        argv = [
            "check",
            url,
            "--origin",
            origin,
            *args,
            "--json",
            "--connect-to",
            f":80:127.0.0.1:{self.port}",
        ]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        assert code in (0, 1), err.getvalue()
        report: dict[str, Any] = json.loads(out.getvalue())
        assert code == (0 if report["verdict"]["allowed"] else 1)
        return report

    def agrees(self, fetched: Fetched, url: str, origin: str, *args: str) -> dict[str, Any]:
        """Assert the command's verdict is Chromium's: allowed or blocked, and then the same console reason."""
        verdict: dict[str, Any] = self.report(url, origin, *args)["verdict"]
        assert verdict["allowed"] is fetched.allowed, (verdict, fetched)
        if fetched.allowed:
            assert fetched.cors_reasons == [], fetched.console
        else:
            assert fetched.cors_reasons == [verdict["reason"]], (verdict, fetched.console)
        return verdict


@pytest.fixture
def checker(server: Server) -> Checker:
    return Checker(server.port)
