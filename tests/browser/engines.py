"""Three browser engines behind one small interface: Chromium, Firefox and WebKit.

Each engine opens pages in a fresh context (empty preflight cache, no cookies) and gives a
test the same three things: :meth:`EnginePage.goto`, :meth:`EnginePage.evaluate` (a
JavaScript function's source and one JSON argument; a returned promise is awaited) and
:meth:`EnginePage.console` (every console line the engine printed for the page, as text).

* Chromium (Blink): Debian's ``/usr/bin/chromium`` driven by Playwright; console through
  ``page.on("console")``.
* Firefox (Gecko): ``firefox-esr`` spoken to over WebDriver BiDi on a websocket
  (``websockets.sync``; no geckodriver); a fresh user context per page; console through
  ``log.entryAdded``.  ``MOZ_DISABLE_NONLOCAL_CONNECTIONS=1`` keeps it on loopback.
* WebKit (Safari's engine): WebKitGTK's MiniBrowser under Xvfb, one process (fresh data
  directories) per page, run *without* ``--automation`` because only then does it print
  console messages (on its stderr).  Nothing drives it from outside: the page itself runs
  a small loop (:data:`DRIVER_JS`, injected by :func:`drivable` into every HTML page the
  test servers send) that long-polls its own origin for the next function to run and
  posts the result back.

Which engines run: ``CORS_BROWSERS`` (a comma list of chromium, firefox, webkit; unset =
all three).  A selected engine that is missing is a skip locally and a failure under
``CI=true``.  Nothing here contacts anything but loopback.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

import pytest
from support import QuietHandler, ThreadingWSGIServer  # tests/support.py: the suite's threaded server

ENGINES = ("chromium", "firefox", "webkit")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FIREFOX = os.environ.get("FIREFOX", "firefox-esr")
MINIBROWSER = os.environ.get("MINIBROWSER", "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT = 30.0
STARTUP_TIMEOUT = float(os.environ.get("CORS_BROWSER_STARTUP_TIMEOUT", "90"))

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def selected_engines() -> list[str]:
    """The engines ``CORS_BROWSERS`` names (all three when unset or empty), in the canonical order."""
    value = os.environ.get("CORS_BROWSERS", "").strip()
    if not value:
        return list(ENGINES)
    names = {name.strip().lower() for name in value.split(",") if name.strip()}
    unknown = names - set(ENGINES)
    if unknown:
        raise pytest.UsageError(f"CORS_BROWSERS names unknown engines {sorted(unknown)}; known: {', '.join(ENGINES)}")
    return [name for name in ENGINES if name in names]


def unavailable(reason: str) -> None:
    """Skip (locally) or fail (``CI=true``): browser tests must never silently stop running in CI."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


class EnginePage(Protocol):
    """One page (tab) in a fresh context of its own."""

    def goto(self, url: str) -> None: ...

    def evaluate(self, function: str, arg: Any = None) -> Any: ...

    def console(self) -> list[str]: ...

    def wait(self, seconds: float) -> None: ...

    def close(self) -> None: ...


class Engine(Protocol):
    name: str

    def new_page(self) -> EnginePage: ...

    def close(self) -> None: ...


# -- the console ----

#: Per engine: how a console line reporting a CORS failure looks, and the reason in it.
REASON = {
    "chromium": re.compile(r".* has been blocked by CORS policy: (.*)", re.S),
    "firefox": re.compile(r"Cross-Origin Request Blocked: .*? \(Reason: (.*?)\)(?:\.|\. Status code: .*)$", re.S),
    "webkit": re.compile(r"(?!Fetch API cannot load )(.*)", re.S),  # every error line but the last
}
#: The line that ends an engine's report of one failed fetch.
LAST_LINE = {
    "chromium": re.compile(r".* has been blocked by CORS policy: ", re.S),
    "firefox": re.compile(r"Cross-Origin Request Blocked: ", re.S),
    "webkit": re.compile(r"(?:Fetch API|XMLHttpRequest) cannot load .* due to access control checks\.", re.S),
}


def cors_reasons(engine: str, console: list[str]) -> list[str]:
    """The CORS reasons in an engine's console lines, as the engine words them.

    Chromium: the text after "has been blocked by CORS policy: "; Firefox: each
    "Cross-Origin Request Blocked" line's "(Reason: ...)"; WebKit: each security error
    before its closing "... due to access control checks." line.
    """
    if engine == "webkit":
        closing = [i for i, line in enumerate(console) if LAST_LINE["webkit"].fullmatch(line)]
        return console[: closing[0]] if closing else []
    reasons = []
    for line in console:
        found = REASON[engine].fullmatch(line)
        if found:
            reasons.append(found.group(1))
    return reasons


def serve_on(listener: Any, app: WSGIApp) -> ThreadingWSGIServer:
    """A threaded WSGI server on an already listening socket (see sites.py), serving in a thread of its own."""
    host, port = listener.getsockname()[:2]
    httpd = ThreadingWSGIServer((host, port), QuietHandler, bind_and_activate=False)
    httpd.socket.close()
    httpd.socket = listener
    httpd.server_address = (host, port)
    httpd.server_name, httpd.server_port = host, port
    httpd.setup_environ()
    httpd.set_app(app)
    threading.Thread(target=httpd.serve_forever, name="browser-test-server", daemon=True).start()
    return httpd


# -- Chromium ---------------------------------------------------------------------------------


class ChromiumPage:
    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.lines: list[str] = []
        self.page.on("console", lambda message: self.lines.append(message.text))

    def goto(self, url: str) -> None:
        self.page.goto(url)

    def evaluate(self, function: str, arg: Any = None) -> Any:
        return self.page.evaluate(function, arg)

    def console(self) -> list[str]:
        """The messages, without MiniBrowser's ``CONSOLE <SOURCE> <LEVEL>`` prefix (see :meth:`raw_console`)."""
        return [_CONSOLE_LINE.sub(r"\3", line, count=1) for line in self.lines]

    def raw_console(self) -> list[str]:
        """The console lines as MiniBrowser printed them, e.g. ``CONSOLE SECURITY ERROR Origin ...``."""
        return list(self.lines)

    def wait(self, seconds: float) -> None:
        self.page.wait_for_timeout(seconds * 1000)  # lets Playwright deliver its events meanwhile

    def close(self) -> None:
        self.context.close()


class Chromium:
    name = "chromium"

    def __init__(self, browser: Any) -> None:
        self.browser = browser

    def new_page(self) -> ChromiumPage:
        return ChromiumPage(self.browser)

    def close(self) -> None:
        pass  # the Playwright browser belongs to the ``browser`` fixture


# -- Firefox: WebDriver BiDi -----------------------------------------------------------------------


class BiDiError(RuntimeError):
    pass


class Firefox:
    """``firefox-esr --headless`` with WebDriver BiDi; one user context (cookies, caches) per page."""

    name = "firefox"

    def __init__(self, executable: str = FIREFOX) -> None:
        from websockets.sync.client import connect

        self.profile = tempfile.mkdtemp(prefix="cors-firefox-")
        env = {**os.environ, "MOZ_DISABLE_NONLOCAL_CONNECTIONS": "1", "MOZ_CRASHREPORTER_DISABLE": "1"}
        env.pop("DISPLAY", None)
        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--remote-debugging-port=0",
                "--profile",
                self.profile,
                "--no-remote",
                "about:blank",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr: list[str] = []
        self.ids = itertools.count(1)
        self.lock = threading.Lock()
        self.waiting: dict[int, queue.Queue[dict[str, Any]]] = {}
        self.parents: dict[str, str | None] = {}
        self.entries: list[tuple[str, str]] = []  # (browsing context, text) of every log.entryAdded
        address: queue.Queue[str] = queue.Queue()
        self.drain = threading.Thread(target=self._drain, args=(address,), name="firefox-stderr", daemon=True)
        self.drain.start()
        try:
            try:
                ws = address.get(timeout=STARTUP_TIMEOUT)
            except queue.Empty:
                raise RuntimeError("Firefox did not open WebDriver BiDi:\n" + "".join(self.stderr[-20:])) from None
            self.connection = contextlib.ExitStack()  # websockets wants its connection entered as a context
            self.socket = self.connection.enter_context(
                # no keepalive pings: on loopback they are useless, and websockets draws their payload from
                # the global random module, from a thread, while Hypothesis tests run later in the session
                connect(ws + "/session", max_size=None, open_timeout=STARTUP_TIMEOUT, ping_interval=None)
            )
            threading.Thread(target=self._read, name="firefox-bidi", daemon=True).start()
            # session.new waits for the browser's start-up to finish: seconds on a busy machine.
            self.send("session.new", {"capabilities": {}}, timeout=STARTUP_TIMEOUT)
            self.send("session.subscribe", {"events": ["log.entryAdded", "browsingContext.contextCreated"]})
        except BaseException:
            self.close()
            raise

    def _drain(self, address: queue.Queue[str]) -> None:
        assert self.process.stderr is not None
        with self.process.stderr:  # closed at the end of the output, by the thread that reads it
            for line in self.process.stderr:
                self.stderr.append(line)
                found = re.search(r"WebDriver BiDi listening on (ws://\S+)", line)
                if found:
                    address.put(found.group(1))

    def _read(self) -> None:
        try:
            for raw in self.socket:
                message = json.loads(raw)
                if "id" in message and message.get("type") in ("success", "error"):
                    with self.lock:
                        waiter = self.waiting.pop(message["id"], None)
                    if waiter is not None:
                        waiter.put(message)
                elif message.get("method") == "log.entryAdded":
                    params = message["params"]
                    context = (params.get("source") or {}).get("context") or ""
                    with self.lock:
                        self.entries.append((context, params.get("text") or ""))
                elif message.get("method") == "browsingContext.contextCreated":
                    params = message["params"]
                    with self.lock:
                        self.parents[params["context"]] = params.get("parent")
        except Exception as error:  # the socket closed: pending commands time out, and say why
            self.stderr.append(f"(the BiDi connection ended: {error!r})\n")

    def send(self, method: str, params: dict[str, Any], timeout: float = TIMEOUT) -> dict[str, Any]:
        command_id = next(self.ids)
        waiter: queue.Queue[dict[str, Any]] = queue.Queue()
        with self.lock:
            self.waiting[command_id] = waiter
        self.socket.send(json.dumps({"id": command_id, "method": method, "params": params}))
        try:
            answer = waiter.get(timeout=timeout)
        except queue.Empty:
            tail = "".join(getattr(self, "stderr", [])[-20:])
            raise BiDiError(f"{method}: no answer in {timeout} s; Firefox's stderr ends:\n{tail}") from None
        if answer["type"] == "error":
            raise BiDiError(f"{method}: {answer.get('error')}: {answer.get('message')}")
        result: dict[str, Any] = answer["result"]
        return result

    def top(self, context: str) -> str:
        with self.lock:
            while self.parents.get(context):
                context = self.parents[context] or context
        return context

    def new_page(self) -> FirefoxPage:
        return FirefoxPage(self)

    def close(self) -> None:
        try:
            if getattr(self, "socket", None) is not None:
                with contextlib.suppress(BiDiError, OSError):
                    self.send("session.end", {}, timeout=5)
                self.connection.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.drain.join(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)


class FirefoxPage:
    def __init__(self, firefox: Firefox) -> None:
        self.firefox = firefox
        self.user_context = firefox.send("browser.createUserContext", {})["userContext"]
        self.context = firefox.send("browsingContext.create", {"type": "tab", "userContext": self.user_context})[
            "context"
        ]

    def goto(self, url: str) -> None:
        self.firefox.send("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    def evaluate(self, function: str, arg: Any = None) -> Any:
        expression = f"(async () => JSON.stringify(await ({function})({json.dumps(arg)})))()"
        result = self.firefox.send(
            "script.evaluate",
            {"expression": expression, "target": {"context": self.context}, "awaitPromise": True},
        )
        if result.get("type") == "exception":
            details = result.get("exceptionDetails", {})
            raise BiDiError(f"script error: {details.get('text')}")
        value = result["result"]
        if value.get("type") != "string":
            return None
        return json.loads(value["value"])

    def console(self) -> list[str]:
        with self.firefox.lock:
            entries = list(self.firefox.entries)
        return [text for context, text in entries if self.firefox.top(context) == self.context]

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        try:
            self.firefox.send("browsingContext.close", {"context": self.context})
            self.firefox.send("browser.removeUserContext", {"userContext": self.user_context})
        except (BiDiError, OSError):
            pass


# -- WebKit: MiniBrowser, driven by the page itself ----------------------------------------------------

#: Injected into every HTML page of the test servers (see :func:`drivable`).  With
#: ``#__driver=ID`` in its address the page long-polls ``/__driver/next`` on its own origin
#: for a function to run, and posts what it returned to ``/__driver/result``.
DRIVER_JS = r"""
(() => {
  const found = /[#&]__driver=([0-9a-z]+)/.exec(location.hash);
  if (!found) return;
  const id = found[1];
  history.replaceState(null, "", location.pathname + location.search);
  const send = window.fetch.bind(window);
  const post = (what, body) => send("/__driver/" + what + "?id=" + id, {method: "POST", body: JSON.stringify(body)});
  (async () => {
    const hello = await (await post("hello", {href: location.href})).json();
    for (;;) {
      let answer;
      try {
        answer = await send("/__driver/next?id=" + id + "&generation=" + hello.generation, {cache: "no-store"});
      } catch (error) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      if (answer.status === 410) return;  // a newer page of this driver took over
      if (answer.status !== 200) continue;
      const command = await answer.json();
      if (command.navigate) {  // answered first: the page goes away with its pending requests
        await post("result", {seq: command.seq, ok: true, value: null});
        location.href = command.navigate;
        return;
      }
      let result;
      try {
        const value = await (0, eval)("(" + command.function + ")")(command.arg);
        result = {seq: command.seq, ok: true, value: value === undefined ? null : value};
      } catch (error) {
        result = {seq: command.seq, ok: false, error: String(error)};
      }
      await post("result", result);
    }
  })();
})();
"""
DRIVER_TAG = b"<script src='/__driver/loop.js'></script>"


class Remote:
    """The server side of one page's loop: commands waiting to be taken, results, its current page."""

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.commands: list[dict[str, Any]] = []
        self.results: dict[int, dict[str, Any]] = {}
        self.generation = 0
        self.href = ""


class Driver:
    """Every page loop's :class:`Remote`, by id (module-wide: any test server may serve the page)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.remotes: dict[str, Remote] = {}

    def remote(self, remote_id: str) -> Remote:
        with self.lock:
            return self.remotes.setdefault(remote_id, Remote())

    def forget(self, remote_id: str) -> None:
        with self.lock:
            remote = self.remotes.pop(remote_id, None)
        if remote is not None:
            with remote.condition:
                remote.generation += 1  # any poll still waiting returns 410
                remote.condition.notify_all()

    def answer(self, environ: dict[str, Any]) -> tuple[str, bytes]:
        """Status and JSON body for one ``/__driver/...`` request."""
        path = environ.get("PATH_INFO", "")
        query = dict(part.split("=", 1) for part in environ.get("QUERY_STRING", "").split("&") if "=" in part)
        if path == "/__driver/loop.js":
            return "200 OK", DRIVER_JS.encode()
        remote_id = query.get("id", "")
        with self.lock:
            remote = self.remotes.get(remote_id)
        if remote is None:
            return "410 Gone", b"{}"
        if path == "/__driver/hello":
            body = json.loads(_read_body(environ) or b"{}")
            with remote.condition:
                remote.generation += 1
                remote.href = body.get("href", "")
                remote.condition.notify_all()
                return "200 OK", json.dumps({"generation": remote.generation}).encode()
        if path == "/__driver/next":
            generation = int(query.get("generation", "0"))
            deadline = time.monotonic() + 15
            with remote.condition:
                while remote.generation == generation and not remote.commands:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return "204 No Content", b""
                    remote.condition.wait(left)
                if remote.generation != generation:
                    return "410 Gone", b"{}"
                return "200 OK", json.dumps(remote.commands.pop(0)).encode()
        if path == "/__driver/result":
            result = json.loads(_read_body(environ) or b"{}")
            with remote.condition:
                remote.results[result["seq"]] = result
                remote.condition.notify_all()
            return "200 OK", b"{}"
        return "404 Not Found", b"{}"


DRIVER = Driver()


def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body: bytes = environ["wsgi.input"].read(length) if length else b""
    return body


def drivable(app: WSGIApp) -> WSGIApp:
    """``app`` serving ``/__driver/*`` itself, and with :data:`DRIVER_TAG` appended to its HTML pages."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith("/__driver/"):
            status, body = DRIVER.answer(environ)
            kind = "text/javascript" if environ["PATH_INFO"].endswith(".js") else "application/json"
            start_response(
                status, [("Content-Type", kind), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")]
            )
            return [body]
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        result = app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        headers: list[tuple[str, str]] = captured["headers"]
        kind = next((value for name, value in headers if name.lower() == "content-type"), "")
        if kind.startswith("text/html"):
            body += DRIVER_TAG
            headers = [(name, value) for name, value in headers if name.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        start_response(captured["status"], headers)
        return [body]

    return wrapped


def asgi_drivable(app: Any) -> Any:
    """:func:`drivable` for an ASGI application (the FastAPI tests' uvicorn)."""
    import asyncio
    import io

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        if scope["path"].startswith("/__driver/"):
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            environ = {
                "PATH_INFO": scope["path"],
                "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
                "CONTENT_LENGTH": str(len(body)),
                "wsgi.input": io.BytesIO(body),
            }
            status, payload = await asyncio.to_thread(DRIVER.answer, environ)  # a long poll: off the loop
            kind = b"text/javascript" if scope["path"].endswith(".js") else b"application/json"
            headers = [(b"content-type", kind), (b"content-length", str(len(payload)).encode())]
            await send({"type": "http.response.start", "status": int(status.split()[0]), "headers": headers})
            await send({"type": "http.response.body", "body": payload})
            return
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def buffered(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            headers = list(started.get("headers", []))
            kind = next((value for name, value in headers if name.lower() == b"content-type"), b"")
            if kind.startswith(b"text/html"):
                body += DRIVER_TAG
                headers = [(name, value) for name, value in headers if name.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
            await send({**started, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await app(scope, receive, buffered)

    return wrapped


class Xvfb:
    """An X server of our own on a free display (``-displayfd`` picks it)."""

    def __init__(self) -> None:
        read, write = os.pipe()
        self.process = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            pass_fds=(write,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as numbers:
            number = numbers.readline().strip()
        if not number:
            self.close()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class WebKit:
    """WebKitGTK's MiniBrowser, one process per page; an Xvfb of its own when ``DISPLAY`` is unset."""

    name = "webkit"

    def __init__(self, executable: str = MINIBROWSER) -> None:
        self.executable = executable
        self.xvfb = None if os.environ.get("DISPLAY") else Xvfb()
        self.display = self.xvfb.display if self.xvfb is not None else os.environ["DISPLAY"]
        self.pages: list[WebKitPage] = []

    def new_page(self) -> WebKitPage:
        page = WebKitPage(self)
        self.pages.append(page)
        return page

    def close(self) -> None:
        for page in self.pages:
            page.close()
        if self.xvfb is not None:
            self.xvfb.close()


#: ``CONSOLE [SOURCE ]LEVEL message``: ``CONSOLE SECURITY ERROR ...``, ``CONSOLE JS ERROR ...``, ``CONSOLE LOG ...``.
_CONSOLE_LINE = re.compile(r"CONSOLE (?:([A-Z][A-Z-]*) )?(LOG|INFO|DEBUG|WARN|WARNING|ERROR) (.*)", re.S)


class WebKitPage:
    def __init__(self, webkit: WebKit) -> None:
        self.webkit = webkit
        self.id = os.urandom(8).hex()
        self.remote = DRIVER.remote(self.id)
        self.home = tempfile.mkdtemp(prefix="cors-webkit-")
        self.process: subprocess.Popen[str] | None = None
        self.lines: list[str] = []
        self.stderr: list[str] = []
        self.seq = itertools.count(1)

    def _start(self, url: str) -> None:
        env = {
            **os.environ,
            "DISPLAY": self.webkit.display,
            "GDK_BACKEND": "x11",
            "NO_AT_BRIDGE": "1",
            "XDG_DATA_HOME": os.path.join(self.home, "data"),
            "XDG_CACHE_HOME": os.path.join(self.home, "cache"),
            "XDG_CONFIG_HOME": os.path.join(self.home, "config"),
        }
        env.pop("WAYLAND_DISPLAY", None)
        self.process = subprocess.Popen(
            [self.webkit.executable, "--enable-write-console-messages-to-stdout=true", url],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.drain = threading.Thread(target=self._drain, name="minibrowser-stderr", daemon=True)
        self.drain.start()

    def _drain(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        with self.process.stderr:  # closed at the end of the output, by the thread that reads it
            for line in self.process.stderr:
                self.stderr.append(line)
                if _CONSOLE_LINE.match(line):
                    self.lines.append(line.rstrip("\n"))
                elif self.lines and not line.startswith(("(MiniBrowser", "Gtk-", "libEGL", "MESA")):
                    self.lines[-1] += "\n" + line.rstrip("\n")  # a message of several lines

    def goto(self, url: str) -> None:
        target = url.split("#", 1)[0] + "#__driver=" + self.id
        with self.remote.condition:
            generation = self.remote.generation
        if self.process is None:
            self._start(target)
        else:
            self._run("", None, navigate=target)
        deadline = time.monotonic() + TIMEOUT
        with self.remote.condition:
            while self.remote.generation == generation:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"MiniBrowser did not load {url}:\n" + "".join(self.stderr[-20:]))
                self.remote.condition.wait(left)

    def _run(self, function: str, arg: Any, navigate: str | None = None) -> dict[str, Any]:
        seq = next(self.seq)
        deadline = time.monotonic() + TIMEOUT
        with self.remote.condition:
            self.remote.commands.append({"seq": seq, "function": function, "arg": arg, "navigate": navigate})
            self.remote.condition.notify_all()
            while seq not in self.remote.results:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError("the page did not answer:\n" + "".join(self.stderr[-20:]))
                self.remote.condition.wait(left)
            return self.remote.results.pop(seq)

    def evaluate(self, function: str, arg: Any = None) -> Any:
        result = self._run(function, arg)
        if not result["ok"]:
            raise RuntimeError(f"script error: {result['error']}")
        return result["value"]

    def console(self) -> list[str]:
        """The messages, without MiniBrowser's ``CONSOLE <SOURCE> <LEVEL>`` prefix (see :meth:`raw_console`)."""
        return [_CONSOLE_LINE.sub(r"\3", line, count=1) for line in self.lines]

    def raw_console(self) -> list[str]:
        """The console lines as MiniBrowser printed them, e.g. ``CONSOLE SECURITY ERROR Origin ...``."""
        return list(self.lines)

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.drain.join(timeout=10)
            self.process = None
        DRIVER.forget(self.id)
        shutil.rmtree(self.home, ignore_errors=True)


# -- starting one -------------------------------------------------------------------------------


_FAILED_TO_START: dict[str, str] = {}


def _started(name: str, start: Callable[[], Any]) -> Any:
    """``start()``; a start that failed once fails at once for every later test (not once per test)."""
    if name in _FAILED_TO_START:
        pytest.fail(_FAILED_TO_START[name])
    try:
        return start()
    except Exception as error:
        _FAILED_TO_START[name] = f"{name} did not start: {error}"
        raise


def start_firefox() -> Iterator[Firefox]:
    if shutil.which(FIREFOX) is None:
        unavailable(f"no Firefox ({FIREFOX}; apt-get install -y firefox-esr)")
    try:
        import websockets.sync.client  # noqa: F401
    except ImportError:
        unavailable("the websockets package is not installed (pip install websockets)")
    firefox: Firefox = _started("firefox", Firefox)
    try:
        yield firefox
    finally:
        firefox.close()


def start_webkit() -> Iterator[WebKit]:
    if not os.path.exists(MINIBROWSER):
        unavailable(f"no MiniBrowser at {MINIBROWSER} (apt-get install -y webkit2gtk-driver)")
    if not os.environ.get("DISPLAY") and shutil.which("Xvfb") is None:
        unavailable("no DISPLAY and no Xvfb (apt-get install -y xvfb xauth)")
    webkit: WebKit = _started("webkit", WebKit)
    try:
        yield webkit
    finally:
        webkit.close()
