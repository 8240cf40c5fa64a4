"""Real browsers for the browser tests — Chromium, Firefox and WebKit — and one loopback server for every origin.

Every test that takes ``open_page`` (or ``engine``) runs once per selected engine:
``CORS_BROWSERS`` is a comma list of chromium, firefox, webkit (unset = all three).
Locally a missing engine is a skip, with the reason; in CI (``CI=true``) it fails
instead, so that browser tests can never silently stop running.  How each engine is
driven: engines.py.

The origins are names under ``*.localhost`` on one loopback port (sites.py): one threaded
wsgiref server on ``127.0.0.1:PORT`` serves them all, dispatching on the ``Host`` header.
``http://api.example.localhost:PORT`` is the API under test (:class:`Api`, whose ``app``
each test sets), any other such name a page of its own origin.  Nothing leaves loopback.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from engines import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LAST_LINE,
    Chromium,
    Engine,
    EnginePage,
    cors_reasons,
    drivable,
    selected_engines,
    serve_on,
    start_firefox,
    start_webkit,
    unavailable,
)
from sites import API_HOSTS, CONNECT_TO, LISTENER, PAGE, PORT

ARGS = CHROMIUM_ARGS
MAPPED_DOMAINS = ("example.test", "*.example.test", "*.other.test")  # Chromium only; the tests use *.localhost
CORS_MARKER = "has been blocked by CORS policy: "
SYNC_MARKER = "console-sync-"
WAIT_SECONDS = 10.0

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _unavailable(reason: str) -> None:
    unavailable(reason)


# -- the server ------------------------------------------------------------------------------


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
    """The server's WSGI app: the API's hosts go to :attr:`api`, every other host to a page (WebKit-drivable)."""

    def __init__(self) -> None:
        self.api = Api()
        self.drivable_api = drivable(self.api)  # its HTML pages (a login page) can be visited in WebKit too
        self.page = drivable(_page)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST", "").rsplit(":", 1)[0].lower()
        if host in API_HOSTS:
            return self.drivable_api(environ, start_response)
        return self.page(environ, start_response)


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
    httpd = serve_on(LISTENER, hosts)
    try:
        yield Server(PORT, hosts.api)
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def api(server: Server) -> Iterator[Api]:
    """The API, reset for this test (no app: 503 until the test sets one)."""
    server.api.reset()
    yield server.api
    server.api.reset()


# -- the engines -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(server: Server) -> Iterator[Any]:
    """Playwright's Chromium (also the playground test's); ``*.example.test`` mapped to the server."""
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


@pytest.fixture(scope="session")
def chromium_engine(browser: Any) -> Chromium:
    return Chromium(browser)


@pytest.fixture(scope="session")
def firefox_engine() -> Iterator[Engine]:
    yield from start_firefox()


@pytest.fixture(scope="session")
def webkit_engine() -> Iterator[Engine]:
    yield from start_webkit()


@pytest.fixture(scope="session", params=selected_engines())
def engine(request: pytest.FixtureRequest, server: Server) -> Engine:
    """Each selected engine in turn (tests are grouped by engine: one browser at work at a time)."""
    found: Engine = request.getfixturevalue(f"{request.param}_engine")
    return found


# -- what a page sees -----------------------------------------------------------------------


@dataclass
class Fetched:
    """What the page saw of one ``fetch()``, and the console lines it caused."""

    outcome: str  # "ok" or "rejected"
    status: int | None
    body: str | None
    headers: dict[str, str | None]
    error: str | None
    console: list[str]
    engine: str = "chromium"

    @property
    def allowed(self) -> bool:
        return self.outcome == "ok"

    @property
    def cors_reasons(self) -> list[str]:
        """The console's CORS reasons, as the engine words them.

        Chromium: the text after "has been blocked by CORS policy: "; Firefox: each
        "Cross-Origin Request Blocked" line's "(Reason: ...)"; WebKit: each security
        error before its closing "... due to access control checks." line.
        """
        return cors_reasons(self.engine, self.console)


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
    """A page of ``origin`` in a fresh browser context (so a fresh preflight cache and no cookies)."""

    def __init__(self, engine: Engine, origin: str) -> None:
        self.origin = origin
        self.engine = engine.name
        self.tab: EnginePage = engine.new_page()
        self._markers_logged = 0
        self.tab.goto(origin + "/")
        assert self.tab.evaluate("() => location.origin") == origin

    @property
    def console(self) -> list[str]:
        """Every console line of the page so far (the suite's sync markers left out)."""
        return [line for line in self.tab.console() if not line.startswith(SYNC_MARKER)]

    def evaluate(self, function: str, arg: Any = None) -> Any:
        return self.tab.evaluate(function, arg)

    def fetch(
        self, url: str, init: dict[str, Any] | None = None, read: Iterable[str] = (), sandboxed: bool = False
    ) -> Fetched:
        """``fetch(url, init)`` in the page (or in a sandboxed iframe of it); ``read`` names response headers."""
        start = len(self.console)
        args = [url, init or {}, list(read)]
        script = _SANDBOXED_FETCH_JS.replace("FETCH", json.dumps(_FETCH_JS.strip())) if sandboxed else _FETCH_JS
        result = self.tab.evaluate(script, args)
        self._settle_console(start, expect_cors_error=result["outcome"] == "rejected")
        return Fetched(console=self.console[start:], engine=self.engine, **result)

    def _settle_console(self, start: int, expect_cors_error: bool) -> None:
        """Wait, bounded, until the console lines the fetch caused have arrived.

        A marker logged by the page after the fetch shows that the page's earlier
        messages were delivered; a rejected fetch's CORS report comes from the network
        layer, so it is waited for by itself (up to the engine's closing line of it).
        """
        self._markers_logged += 1
        marker = f"{SYNC_MARKER}{self._markers_logged}"
        self.tab.evaluate("(text) => console.log(text)", marker)
        closing = LAST_LINE[self.engine]
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            lines = self.tab.console()
            marked = any(line == marker for line in lines)
            reported = any(closing.match(line) for line in self.console[start:])
            if marked and (reported or not expect_cors_error):
                break
            self.tab.wait(0.01)
        if expect_cors_error and self.engine == "firefox":
            self.tab.wait(0.15)  # a preflight's failure is two lines in Firefox, "did not succeed" the second

    def navigate(self, url: str) -> None:
        """Open ``url`` in this page (e.g. an API address that sets a cookie), then come back to the origin.

        A top-level visit, not a frame: WebKit keeps no cookie an iframe of another origin sets.
        """
        self.tab.goto(url)
        self.tab.goto(self.origin + "/")

    def close(self) -> None:
        self.tab.close()


@pytest.fixture
def engine_name(engine: Engine) -> str:
    return engine.name


@pytest.fixture
def open_page(engine: Engine) -> Iterator[Callable[[str], Page]]:
    """``open_page(origin)``: a page of that origin, each in a fresh context, closed after the test."""
    pages: list[Page] = []

    def opener(origin: str = PAGE) -> Page:
        page = Page(engine, origin)
        pages.append(page)
        return page

    yield opener
    for page in pages:
        page.close()


@pytest.fixture(scope="module")
def shared_page(engine: Engine) -> Iterator[Page]:
    """One page of ``PAGE`` for a whole module (per engine): one preflight cache, so each
    test must use URLs of its own (a passed preflight is cached 5 s even without a max-age)."""
    page = Page(engine, PAGE)
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

        from cors_wsgi.__main__ import main

        out, err = io.StringIO(), io.StringIO()
        argv = ["check", url, "--origin", origin, *args, "--json", "--connect-to", CONNECT_TO]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        assert code in (0, 1), err.getvalue()
        report: dict[str, Any] = json.loads(out.getvalue())
        engines_allowed = all(engine["allowed"] for engine in report.get("browsers", ()))
        assert code == (0 if report["verdict"]["allowed"] and engines_allowed else 1)
        return report

    def agrees(self, fetched: Fetched, url: str, origin: str, *args: str) -> dict[str, Any]:
        """Assert ``check --browser ENGINE`` predicts the engine: allowed or blocked, and its console lines word
        for word (Chromium's generic "Failed to load resource: ..." lines aside: a failed load or an error status)."""
        report = self.report(url, origin, *args, "--browser", fetched.engine)
        verdict: dict[str, Any] = report["verdict"]
        (predicted,) = report["browsers"]
        assert predicted["allowed"] is fetched.allowed, (predicted, fetched)
        console = [line for line in fetched.console if not line.startswith("Failed to load resource: ")]
        assert predicted["console"] == console, (predicted, fetched.console)
        if fetched.allowed:
            assert fetched.cors_reasons == [], fetched.console
        else:
            assert predicted["reasons"] == fetched.cors_reasons, (predicted, fetched.console)
        if fetched.engine == "chromium":
            assert verdict["allowed"] is fetched.allowed
            assert fetched.cors_reasons == ([] if fetched.allowed else [verdict["reason"]]), (verdict, fetched.console)
        return verdict


@pytest.fixture
def checker(server: Server) -> Checker:
    return Checker(server.port)
