"""The CORS playground: watch CORS work and fail in your own browser, and change the policy live.

Run it from a clone of this repository (after ``python -m pip install -e .``)::

    python examples/playground.py            # the API is wrapped by cors_wsgi.CORSMiddleware
    python examples/playground.py --flask    # the API is a Flask app with flask_cors_ext.CORS

and open the address it prints, ``http://localhost:8001/``.  Two origins on loopback:

* the page, ``http://localhost:8001`` (``--page-port``);
* the API, ``http://localhost:8000`` (``--api-port``), behind the CORS layer.

Same host, different ports: two *origins*, so the browser applies CORS to every call,
but one *site* (cookies ignore ports), so the cookie the API sets (``SameSite=Lax``)
is sent with ``credentials: "include"``.  Had the page been ``http://127.0.0.1:8001``,
the API would be another site and that cookie would never be sent.  A hidden frame of
``http://127.0.0.1:8001`` plays a stranger's site, an origin the API does not know.

Each button runs one ``fetch()`` and shows what the browser sent (was there a
preflight, with which ``Access-Control-Request-*`` headers), what the API answered,
what the script could read, and the reason the browser console gives.  Scripts can see
neither preflights nor the console, so the API records every request it receives
(outside the CORS layer) and the page's own origin serves that log, as JSON, at
``/log?since=N``, with each call's verdict computed by ``cors_wsgi.browser.judge``.
The form changes the API's policy live (``CORSPolicy(**options)``, swapped in
atomically; a bad one is refused with every problem listed and the old one kept).

Things to try:

1. "Simple GET", then "JSON POST": both allowed; only the POST is preflighted.
2. "GET with X-Debug": blocked, X-Debug is not in allow_headers.  Add ``X-Debug`` to
   allow_headers, apply, click again: allowed (the result shows the allow_headers it met).
3. "Back to the defaults", untick debug, apply, "GET with X-Debug" again: a refused preflight now
   gets a bare 403, and the console blames the missing Access-Control-Allow-Origin header
   instead of naming x-debug.
4. "Log in", then "GET with cookies": the cookie arrives.  Untick allow_credentials, retry.
5. "GET from another origin": blocked.  Add ``http://127.0.0.1:8001`` to allow_origins.
6. Set max_age to 600 and click "JSON POST" twice: the second time there is no preflight.
7. allow_origins ``*`` with allow_credentials: refused, with the reason and a way out.

Only loopback addresses are used.  Stop with Ctrl-C.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import re
import secrets
import signal
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cors_wsgi import CORSConfigError, CORSMiddleware, CORSPolicy
from cors_wsgi.browser import (
    ENGINE_BROWSERS,
    ENGINES,
    CORSRequest,
    EngineVerdict,
    Response,
    Verdict,
    check_actual,
    check_in,
    judge,
    judge_in,
    needs_preflight,
)

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
Header = tuple[str, str]

LOOPBACK = "127.0.0.1"
COOKIE_NAME = "playground_session"
LOG_LIMIT = 1000
CALL_LIMIT = 500


def default_options(page_origin: str) -> dict[str, Any]:
    """The API's policy at start: the page's origin only, with cookies, and no preflight caching."""
    return {
        "allow_origins": [page_origin],
        "allow_methods": ["GET", "POST", "PUT"],
        "allow_headers": ["X-Token"],
        "expose_headers": ["X-Total"],
        "allow_credentials": True,
        "max_age": 0,  # browsers cache no preflight answer: every click shows a fresh preflight
        "debug": True,  # refused preflights say why (in the console and the answer's body)
    }


# -- the API ---------------------------------------------------------------------------------


def api_answer(method: str, path: str, cookie: str | None, token: str | None) -> tuple[list[Header], bytes]:
    """The API's answer (200) to any request: what it received, as JSON; ``/login`` also sets a cookie."""
    answer: dict[str, Any] = {"method": method, "path": path, "cookie received": cookie, "X-Token received": token}
    headers = [("Content-Type", "application/json"), ("X-Total", "42")]
    if path == "/login":
        cookie_value = secrets.token_hex(8)
        headers.append(("Set-Cookie", f"{COOKIE_NAME}={cookie_value}; Path=/; Max-Age=3600; SameSite=Lax; HttpOnly"))
        answer["cookie set"] = f"{COOKIE_NAME}={cookie_value}"
    return headers, json.dumps(answer).encode()


def wsgi_api(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """The API as a plain WSGI application (wrapped by :class:`cors_wsgi.CORSMiddleware`)."""
    headers, body = api_answer(
        environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), environ.get("HTTP_COOKIE"), environ.get("HTTP_X_TOKEN")
    )
    start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
    return [body]


def build_wsgi_api(policy: CORSPolicy) -> WSGIApp:
    return CORSMiddleware(wsgi_api, policy)


def build_flask_api(policy: CORSPolicy) -> WSGIApp:
    """The same API as a Flask application, with ``flask_cors_ext.CORS(app, **options)``."""
    # Imported here: Flask is needed only with --flask.
    from flask import Flask, request  # noqa: PLC0415
    from flask import Response as FlaskResponse  # noqa: PLC0415

    from flask_cors_ext import CORS  # noqa: PLC0415

    app = Flask("playground_api")

    @app.route("/", defaults={"path": ""}, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
    @app.route("/<path:path>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
    def echo(path: str) -> FlaskResponse:
        headers, body = api_answer(
            request.method, request.path, request.headers.get("Cookie"), request.headers.get("X-Token")
        )
        return FlaskResponse(body, headers=headers)

    CORS(app, **policy.options)
    return app


class SwappableApi:
    """The running API: its policy can be replaced while it serves.

    Each request goes to :attr:`app` as it is when the request arrives; :meth:`replace`
    builds a complete new application first and then swaps it in with one assignment,
    so a request sees the old policy or the new one, never a mix.
    """

    def __init__(self, build: Callable[[CORSPolicy], WSGIApp], policy: CORSPolicy) -> None:
        self.build = build
        self.policy = policy
        self.app = build(policy)
        self._lock = threading.Lock()

    def replace(self, options: Mapping[str, Any]) -> CORSPolicy:
        """Put ``CORSPolicy(**options)`` in force; on :class:`CORSConfigError` the old policy stays."""
        policy = CORSPolicy(**options)
        app = self.build(policy)
        with self._lock:
            self.policy = policy
            self.app = app
        return policy

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        return self.app(environ, start_response)


# -- the request log -------------------------------------------------------------------------


#: The environ key under which :class:`RecordingHandler` leaves the request's headers as received.
RAW_HEADERS_KEY = "playground.request_headers"


def _request_headers(environ: Environ) -> list[Header]:
    """The request's headers as the server received them (names, case and order kept)."""
    raw = environ.get(RAW_HEADERS_KEY)
    if raw is not None:
        return list(raw)
    # Another server: rebuild them from the environ (wsgiref invents a Content-Type, so only this way round).
    headers: list[Header] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key
        else:
            continue
        headers.append(("-".join(part.capitalize() for part in name.split("_")), str(value)))
    return headers


@dataclass
class Entry:
    """One request the API received, and its answer (status and headers, before the server adds Date/Server)."""

    seq: int
    call: str | None  # the number of the call the page announced that this request belongs to
    method: str
    target: str  # path and query
    request_headers: list[Header]
    status: int | None = None
    response_headers: list[Header] = field(default_factory=list)

    def request_header(self, name: str) -> str | None:
        return next((value for key, value in self.request_headers if key.lower() == name.lower()), None)

    @property
    def is_preflight(self) -> bool:
        return self.method == "OPTIONS" and self.request_header("Access-Control-Request-Method") is not None

    @property
    def response(self) -> Response | None:
        return None if self.status is None else Response(self.status, tuple(self.response_headers))

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "call": self.call,
            "kind": "preflight" if self.is_preflight else "request",
            "method": self.method,
            "path": self.target,
            "request_headers": [list(header) for header in self.request_headers],
            "status": self.status,
            "response_headers": [list(header) for header in self.response_headers],
        }


class RequestLog:
    """Wraps the API (outside the CORS layer) and records every request and answer, numbered from 1.

    ``claim(origin, path)`` names the announced call a request belongs to (or ``None``).
    """

    def __init__(self, app: WSGIApp, claim: Callable[[str | None, str], str | None]) -> None:
        self.app = app
        self.claim = claim
        self._entries: deque[Entry] = deque(maxlen=LOG_LIMIT)
        self._numbers = itertools.count(1)
        self.last = 0
        self.lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
        call = self.claim(environ.get("HTTP_ORIGIN"), path)
        with self.lock:
            self.last = next(self._numbers)
            entry = Entry(
                seq=self.last,
                call=call,
                method=environ["REQUEST_METHOD"],
                target=path + (f"?{query}" if query else ""),
                request_headers=_request_headers(environ),
            )
            self._entries.append(entry)

        def recording_start_response(status: str, headers: list[Header], exc_info: Any = None) -> Any:
            with self.lock:
                entry.status = int(status.split(" ", 1)[0])
                entry.response_headers = list(headers)
            return start_response(status, headers, exc_info)

        return self.app(environ, recording_start_response)

    def since(self, seq: int) -> list[Entry]:
        with self.lock:
            return [entry for entry in self._entries if entry.seq > seq]

    def of_call(self, call: str) -> list[Entry]:
        with self.lock:
            return [entry for entry in self._entries if entry.call == call]


def explain(request: CORSRequest, entries: list[Entry]) -> dict[str, Any]:
    """The browser's verdict on one call, from the requests the API recorded for it."""
    preflight = next((entry.response for entry in entries if entry.is_preflight), None)
    actual = next((entry.response for entry in entries if not entry.is_preflight), None)
    preflighted = needs_preflight(request.method, request.headers)
    verdict: Verdict | None = None
    note = None
    if preflighted and preflight is None and actual is not None:
        verdict = check_actual(request, actual)
        note = "No preflight reached the API: the browser reused the answer it cached (max_age)."
    else:
        try:
            verdict = judge(request, preflight, actual)
        except ValueError:
            note = "The API did not receive this call (or has not answered it yet)."
    console = None
    if verdict is not None and not verdict.allowed:
        console = f"Access to fetch at '{request.url}' from origin '{request.origin}' has been blocked by CORS policy: "
        console += str(verdict.reason)
    consoles = []
    if (verdict is not None and actual is not None) or preflight is not None:
        for engine in ENGINES:
            found: EngineVerdict
            if preflighted and preflight is None and actual is not None:
                found = check_in(engine, request, actual, "actual", request.url)
            else:
                try:
                    found = judge_in(engine, request, preflight, actual, request.url)
                except ValueError:
                    continue
            consoles.append({**found.as_dict(), "browser": ENGINE_BROWSERS[engine]})
    return {
        "request": {
            "origin": request.origin,
            "method": request.method,
            "headers": [list(header) for header in request.headers],
            "credentials": request.credentials,
            "url": request.url,
        },
        "preflight_needed": preflighted,
        "verdict": None if verdict is None else verdict.as_dict(),
        "console": console,
        "consoles": consoles,  # what Chrome, Firefox and Safari print, word for word (cors_wsgi.browser.judge_in)
        "note": note,
    }


# -- the page's origin -----------------------------------------------------------------------


#: The options the form edits as comma-separated text: lists of names or origins.
LIST_OPTIONS = ("allow_origins", "allow_methods", "allow_headers", "expose_headers")


def options_from_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """The options a submitted form stands for: each comma-separated list becomes a list (split as
    CORSPolicy splits a string, so the policy in force shows as one would write it in code);
    ``max_age`` becomes an int, or ``None`` when empty.  CORSPolicy judges everything."""
    options = dict(form)
    for name in LIST_OPTIONS:
        text = options.get(name)
        if isinstance(text, str):
            options[name] = [part.strip() for part in text.split(",") if part.strip()]
    max_age = options.get("max_age")
    if isinstance(max_age, str):
        text = max_age.strip()
        options["max_age"] = None if not text else int(text) if re.fullmatch(r"-?[0-9]+", text) else max_age
    return options


def form_values(policy: CORSPolicy) -> dict[str, Any]:
    """A policy's normalized options, as the form shows them."""
    return {
        "allow_origins": ", ".join(policy.allow_origins or ()),
        "allow_methods": ", ".join(policy.allow_methods or ()),
        "allow_headers": ", ".join(h if isinstance(h, str) else h.pattern for h in policy.allow_headers or ()),
        "expose_headers": ", ".join(policy.expose_headers or ()),
        "allow_credentials": bool(policy.allow_credentials),
        "max_age": "" if policy.max_age is None else policy.max_age,
        "debug": policy.debug,
    }


def _send(start_response: StartResponse, status: str, content_type: str, body: bytes) -> list[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")]
    start_response(status, headers)
    return [body]


def _json(start_response: StartResponse, status: str, data: object) -> list[bytes]:
    return _send(start_response, status, "application/json", json.dumps(data).encode())


def _html(start_response: StartResponse, html: str) -> list[bytes]:
    return _send(start_response, "200 OK", "text/html; charset=utf-8", html.encode())


def _script_value(value: object) -> str:
    """``value`` as a JavaScript literal that is safe inside a <script> element."""
    return json.dumps(value).replace("<", "\\u003c")


@dataclass(frozen=True)
class Call:
    """A call the page announced before making it: which button, and the request as the script makes it."""

    number: str
    case: str
    path: str
    request: CORSRequest


class Playground:
    """Both origins' state: the swappable API, its request log, the calls the page announced.

    The page announces each call (``POST /calls``) before making it; a request the API
    receives belongs to the latest call announced from its origin for its path.  (The
    URL is not tagged: a browser caches preflight answers per URL.)
    """

    def __init__(self, api_port: int, page_port: int, flask: bool = False) -> None:
        self.api_origin = f"http://localhost:{api_port}"
        self.page_origin = f"http://localhost:{page_port}"
        self.other_origin = f"http://{LOOPBACK}:{page_port}"
        self.page_hosts = {f"localhost:{page_port}", f"{LOOPBACK}:{page_port}"}
        self.flask = flask
        self.defaults = default_options(self.page_origin)
        self.api = SwappableApi(build_flask_api if flask else build_wsgi_api, CORSPolicy(**self.defaults))
        self.log = RequestLog(self.api, self.claim)
        self._calls: OrderedDict[str, Call] = OrderedDict()
        self._call_numbers = itertools.count(1)
        self._lock = threading.Lock()

    # The page's origin: the page, the frame, and JSON endpoints (same origin as the page: no CORS needed).
    def page_app(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST", "")
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        if host not in self.page_hosts:  # a name rebound to 127.0.0.1 by some other site's DNS
            return _json(start_response, "421 Misdirected Request", {"error": f"unexpected Host {host!r}"})
        if method == "POST" and not self._same_origin_json(environ):
            return _json(start_response, "403 Forbidden", {"error": "JSON from the playground page only"})
        route = (method, path)
        if route == ("GET", "/"):
            if f"http://{host}" != self.page_origin:  # the other origin's copy: go to the page's origin
                start_response("302 Found", [("Location", self.page_origin + "/"), ("Content-Length", "0")])
                return []
            return _html(start_response, self.page_html())
        if route == ("GET", "/frame"):
            return _html(start_response, FRAME_HTML.replace("__PAGE_ORIGIN__", _script_value(self.page_origin)))
        if route == ("GET", "/log"):
            since = parse_qs(environ.get("QUERY_STRING", "")).get("since", ["0"])[0]
            return _json(start_response, "200 OK", self.log_json(int(since) if since.isdigit() else 0))
        if route == ("GET", "/policy"):
            return _json(start_response, "200 OK", self.policy_json())
        if route == ("POST", "/policy"):
            return self._post(environ, start_response, self.change_policy)
        if route == ("POST", "/calls"):
            return self._post(environ, start_response, self.announce_call)
        if route == ("GET", "/favicon.ico"):
            start_response("204 No Content", [])
            return []
        return _json(start_response, "404 Not Found", {"error": f"no {method} {path} here"})

    def _same_origin_json(self, environ: Environ) -> bool:
        """A POST must be JSON (a cross-origin one would need a preflight, never answered here) from the page."""
        content_type = str(environ.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()
        return content_type == "application/json" and environ.get("HTTP_ORIGIN", self.page_origin) == self.page_origin

    @staticmethod
    def _post(
        environ: Environ, start_response: StartResponse, handler: Callable[[Any], tuple[str, object]]
    ) -> list[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            data = json.loads(environ["wsgi.input"].read(min(length, 1 << 20)) or b"null")
        except ValueError as exc:
            return _json(start_response, "400 Bad Request", {"error": f"the body is not JSON: {exc}"})
        if not isinstance(data, dict):
            return _json(start_response, "400 Bad Request", {"error": "expected a JSON object"})
        status, answer = handler(data)
        return _json(start_response, status, answer)

    def page_html(self) -> str:
        config = {
            "api": self.api_origin,
            "page": self.page_origin,
            "other": self.other_origin,
            "apiKind": "a Flask app with flask_cors_ext.CORS" if self.flask else "cors_wsgi.CORSMiddleware",
        }
        return PAGE_HTML.replace("__CONFIG__", _script_value(config)).replace("__CALL__", CALL_JS)

    def policy_json(self) -> dict[str, Any]:
        policy = self.api.policy
        return {"repr": repr(policy), "form": form_values(policy), "defaults": form_values(CORSPolicy(**self.defaults))}

    def change_policy(self, form: Mapping[str, Any]) -> tuple[str, object]:
        try:
            self.api.replace(options_from_form(form))
        except CORSConfigError as exc:
            answer = {"error": str(exc), "problems": list(exc.problems), **self.policy_json()}
            return "400 Bad Request", answer
        return "200 OK", self.policy_json()

    def announce_call(self, data: Mapping[str, Any]) -> tuple[str, object]:
        """The page says which call it is about to make; it gets the call's number and URL."""
        origin, method, path = data.get("origin"), data.get("method", "GET"), data.get("path", "/")
        headers = data.get("headers", [])
        if (
            origin not in (self.page_origin, self.other_origin)
            or not isinstance(method, str)
            or not isinstance(path, str)
            or not path.startswith("/")
            or not isinstance(headers, list)
            or not all(isinstance(h, list) and len(h) == 2 and all(isinstance(s, str) for s in h) for h in headers)
        ):
            return "400 Bad Request", {"error": "expected origin, method, path, headers [[name, value]], credentials"}
        url = self.api_origin + path
        request = CORSRequest(origin, method, tuple((n, v) for n, v in headers), data.get("credentials") is True, url)
        with self._lock:
            call = Call(str(next(self._call_numbers)), str(data.get("case", "")), path, request)
            self._calls[call.number] = call
            while len(self._calls) > CALL_LIMIT:
                self._calls.popitem(last=False)
            since = self.log.last
        policy = form_values(self.api.policy)  # what this call meets (the page shows the relevant option)
        return "200 OK", {"call": call.number, "url": url, "since": since, "policy": policy}

    def claim(self, origin: str | None, path: str) -> str | None:
        """The number of the latest call announced from ``origin`` for ``path``, if any."""
        with self._lock:
            for call in reversed(self._calls.values()):
                if call.request.origin == origin and call.path == path:
                    return call.number
        return None

    def log_json(self, since: int) -> dict[str, Any]:
        """The requests the API received after number ``since``, and the verdict on each call they belong to."""
        entries = self.log.since(since)
        calls: dict[str, Any] = {}
        for number in dict.fromkeys(entry.call for entry in entries if entry.call is not None):
            with self._lock:
                call = self._calls.get(number)
            if call is not None:
                calls[number] = {"case": call.case, **explain(call.request, self.log.of_call(number))}
        return {
            "next": entries[-1].seq if entries else since,
            "entries": [entry.as_json() for entry in entries],
            "calls": calls,
        }


# -- serving ---------------------------------------------------------------------------------


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # the page shows every request the API received


class RecordingHandler(QuietHandler):
    """Hands the application the request's headers exactly as received (the environ cannot tell
    whether a Content-Type was sent: wsgiref puts ``text/plain`` there when none was)."""

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ[RAW_HEADERS_KEY] = list(self.headers.items())
        return environ


def _unset(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


class PortUnavailable(OSError):
    """A port the playground cannot listen on; the message names it and the option that chooses it."""


def _listen(port: int, handler: type[WSGIRequestHandler], what: str, option: str) -> WSGIServer:
    try:
        return make_server(LOOPBACK, port, _unset, server_class=ThreadingWSGIServer, handler_class=handler)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise PortUnavailable(
            f"cannot listen on {LOOPBACK}:{port}, {what}: {reason} — choose another with {option} PORT "
            f"({option} 0: any free port)"
        ) from exc


def serve(api_port: int, page_port: int, flask: bool = False) -> tuple[WSGIServer, WSGIServer]:
    """Start the API and the page's origin in background threads; return their servers (already serving).

    A port of 0 picks a free one; a port that cannot be used raises :class:`PortUnavailable`.
    Stop each server with ``shutdown()`` and ``server_close()``.
    """
    api_server = _listen(api_port, RecordingHandler, "the API's port", "--api-port")
    try:
        page_server = _listen(page_port, QuietHandler, "the page's port", "--page-port")
    except OSError:
        api_server.server_close()
        raise
    playground = Playground(api_server.server_port, page_server.server_port, flask=flask)
    api_server.set_app(playground.log)
    page_server.set_app(playground.page_app)
    for server in (api_server, page_server):
        # A short poll interval: shutdown() returns within 0.1 s.
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    return api_server, page_server


class CtrlC:
    """Ctrl-C (SIGINT) turned into a request to stop, from the moment this is created.

    Created first thing in :func:`main`, before anything is printed or any server starts:
    a Ctrl-C at any later moment — between two prints, while the servers start — only
    sets :attr:`pressed`, and :meth:`wait` returns.  No ``KeyboardInterrupt`` can cut a
    step in two, so the program always stops the same way.  The handler does nothing
    else (no lock: it runs between two bytecodes of whatever the main thread is doing).
    """

    def __init__(self) -> None:
        self.pressed = False
        self._previous = signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum: int, frame: object) -> None:
        self.pressed = True

    def wait(self) -> None:
        """Return once Ctrl-C has been pressed (at once if it already was)."""
        while not self.pressed:
            time.sleep(0.1)

    def restore(self) -> None:
        """Give SIGINT back to the handler it had before."""
        signal.signal(signal.SIGINT, self._previous)


def main(argv: list[str] | None = None) -> int:
    ctrl_c = CtrlC()  # first: from now on a Ctrl-C asks the program to stop, wherever it is
    try:
        parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
        parser.add_argument("--api-port", type=int, default=8000, help="the API's port (default 8000, 0: any free one)")
        parser.add_argument(
            "--page-port", type=int, default=8001, help="the page's port (default 8001, 0: any free one)"
        )
        parser.add_argument("--flask", action="store_true", help="serve the API with Flask and flask_cors_ext.CORS")
        args = parser.parse_args(argv)
        if args.flask and importlib.util.find_spec("flask") is None:
            parser.error("--flask needs Flask: python -m pip install flask")
        try:
            api_server, page_server = serve(args.api_port, args.page_port, flask=args.flask)
        except PortUnavailable as exc:
            parser.exit(1, f"{exc}\n")
        try:
            kind = "Flask + flask_cors_ext" if args.flask else "cors_wsgi"
            print(f"API ({kind}):  http://localhost:{api_server.server_port}")
            print(f"Open the page: http://localhost:{page_server.server_port}/   (Ctrl-C to stop)", flush=True)
            ctrl_c.wait()
            print("\nstopping", flush=True)
        finally:
            for server in (api_server, page_server):
                server.shutdown()
                server.server_close()
    finally:
        ctrl_c.restore()
    return 0


# -- the page --------------------------------------------------------------------------------

# One fetch() and what the script can see of it; runs in the page and in the other origin's frame.
CALL_JS = r"""
async function callApi(url, init) {
  try {
    const response = await fetch(url, init);
    const headers = [...response.headers];  // only the headers the browser lets the script read
    return {resolved: true, status: response.status, headers, body: await response.text()};
  } catch (error) {
    return {resolved: false, error: String(error)};
  }
}
"""

FRAME_HTML = r"""<!doctype html>
<meta charset="utf-8">
<title>another origin</title>
<script>
const PAGE_ORIGIN = __PAGE_ORIGIN__;
__CALL__
window.addEventListener("message", async (event) => {
  if (event.origin !== PAGE_ORIGIN) return;
  const outcome = await callApi(event.data.url, event.data.init);
  parent.postMessage({id: event.data.id, outcome}, PAGE_ORIGIN);
});
</script>
""".replace("__CALL__", CALL_JS)

PAGE_HTML = r"""<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>CORS playground</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:1em auto;max-width:78em;padding:0 1em;color:#222}
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:2em}
code,pre{font:13px ui-monospace,Menlo,Consolas,monospace}
pre{background:#f5f5f5;padding:.5em .7em;margin:.3em 0;white-space:pre-wrap;overflow-wrap:anywhere}
h2{margin:.6em 0 .3em} h3{margin:0 0 .3em} h4{margin:.7em 0 .1em;font-size:1em}
#cases button{margin:0 .3em .4em 0;padding:.3em .6em}
.result{border:1px solid #ccc;border-left-width:6px;border-radius:4px;padding:.6em 1em;margin:1em 0}
.result.allowed{border-left-color:#2a2} .result.blocked{border-left-color:#c33}
.verdict{font-weight:600} .allowed .verdict{color:#161} .blocked .verdict{color:#a11}
pre.console{background:#fdecec;color:#700} .hint,.note{color:#555}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:.6em} .request-line{margin:.6em 0 0;font-weight:600}
form label{display:flex;align-items:center;gap:.5em;margin:.35em 0} form label span{flex:0 0 9em}
form input[type=text]{flex:1} form input[name=max_age]{flex:0 0 5em}
#policy-panel{position:sticky;top:.5em;align-self:start}
#policy-error{background:#fdecec;color:#700}
</style>
<h1>CORS playground</h1>
<p>This page is <code id="page-origin"></code>; the API is <code id="api-origin"></code>, behind
<code id="api-kind"></code>.  Different ports make them two <em>origins</em>, so the browser applies CORS to
every call; the same host makes them one <em>site</em> (cookies ignore ports), so the cookie the API sets
(<code>SameSite=Lax</code>) is sent by calls with <code>credentials: "include"</code>.  A page on
<code>http://127.0.0.1</code> would be another site to <code>localhost</code>, and that cookie would not be sent.
"Another origin" runs its call in a hidden frame of <code id="other-origin"></code>.</p>
<main>
<section>
  <h2>Calls</h2>
  <div id="cases"></div>
  <div id="results"><p>Click a button: each call shows what the browser sent, what the API answered, what the
  script could read, and the reason the browser console gives.</p></div>
</section>
<section id="policy-panel">
  <h2>The API's policy</h2>
  <form id="policy">
    <label><span>allow_origins</span><input type="text" name="allow_origins"></label>
    <label><span>allow_methods</span><input type="text" name="allow_methods"></label>
    <label><span>allow_headers</span><input type="text" name="allow_headers"></label>
    <label><span>expose_headers</span><input type="text" name="expose_headers"></label>
    <label><span>allow_credentials</span><input type="checkbox" name="allow_credentials"></label>
    <label><span>max_age</span><input type="text" name="max_age" size="6"> seconds (empty: no header)</label>
    <label><span>debug</span><input type="checkbox" name="debug"></label>
    <button type="submit">Apply</button> <button type="button" id="policy-reset">Back to the defaults</button>
  </form>
  <p>Lists are comma-separated.  The next click uses the new policy, except where the browser still
  holds a preflight answer it was allowed to cache (max_age).</p>
  <pre id="policy-error" hidden></pre>
  <h4>In force</h4>
  <pre id="policy-repr"></pre>
</section>
</main>
<script>
const CONFIG = __CONFIG__;
const CASES = [
  {id: "simple", label: "Simple GET", path: "/items", init: {},
   about: "GET without custom headers: no preflight."},
  {id: "json", label: "JSON POST", path: "/items",
   init: {method: "POST", headers: {"Content-Type": "application/json"}, body: '{"name": "pear"}'},
   about: "Content-Type: application/json is not one of the three 'simple' types: preflighted."},
  {id: "put", label: "PUT with X-Token", path: "/items/1", init: {method: "PUT", headers: {"X-Token": "secret"}},
   about: "PUT and a custom header: preflighted."},
  {id: "login", label: "Log in (the API sets a cookie)", path: "/login", init: {method: "POST", credentials: "include"},
   about: "A credentialed POST; the answer's Set-Cookie stores the API's cookie."},
  {id: "credentials", label: "GET with cookies", path: "/me", init: {credentials: "include"},
   about: "credentials: 'include' sends the API's cookie; the answer must allow credentials."},
  // The last three are refused by the default policy; each names the option that decides, and its
  // result shows that option as it was when the call was made (change it in the form, click again).
  {id: "refused-header", label: "GET with X-Debug", path: "/items", init: {headers: {"X-Debug": "1"}},
   option: "allow_headers",
   about: "A custom header, X-Debug: preflighted, and allowed only if allow_headers lists it " +
          "(the default policy does not)."},
  {id: "refused-method", label: "DELETE", path: "/items/1", init: {method: "DELETE"}, option: "allow_methods",
   about: "DELETE: preflighted, and allowed only if allow_methods lists it (the default policy does not)."},
  {id: "refused-origin", label: "GET from another origin", path: "/items", init: {}, frame: true,
   option: "allow_origins",
   about: "The simple GET again, run by a page of another origin: allowed only if allow_origins lists " +
          "that origin (the default policy does not)."},
];
const $ = (id) => document.getElementById(id);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;  // never innerHTML: everything shown is data
  if (className) node.className = className;
  return node;
}

async function getJSON(url) {
  return (await fetch(url)).json();
}

async function postJSON(url, data) {
  const response = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                                     body: JSON.stringify(data)});
  return {ok: response.ok, data: await response.json()};
}

__CALL__

// The other origin's frame runs calls it is sent by postMessage and posts the outcome back.
const frame = el("iframe");
frame.hidden = true;
frame.src = CONFIG.other + "/frame";
const frameReady = new Promise((resolve) => frame.addEventListener("load", resolve));
document.body.append(frame);
const frameCalls = new Map();
let frameCallNumber = 0;
window.addEventListener("message", (event) => {
  if (event.origin !== CONFIG.other || !frameCalls.has(event.data.id)) return;
  frameCalls.get(event.data.id)(event.data.outcome);
  frameCalls.delete(event.data.id);
});
async function callInFrame(url, init) {
  await frameReady;
  const id = ++frameCallNumber;
  return new Promise((resolve) => {
    frameCalls.set(id, resolve);
    frame.contentWindow.postMessage({id, url, init}, CONFIG.other);
  });
}

async function run(c) {
  const init = c.init;
  const origin = c.frame ? CONFIG.other : location.origin;
  // Tell the page's server which call this is, so that it can judge what the API receives.
  const {data: call} = await postJSON("/calls", {
    case: c.id, origin, path: c.path, method: init.method || "GET",
    headers: Object.entries(init.headers || {}), credentials: init.credentials === "include"});
  const outcome = c.frame ? await callInFrame(call.url, init) : await callApi(call.url, init);
  const log = await getJSON("/log?since=" + call.since);
  show(c, call, outcome, log.entries.filter((entry) => entry.call === call.call), log.calls[call.call]);
}

const INTERESTING = /^(origin|cookie|content-type|access-control-|x-)/i;
const lines = (headers) => headers.map(([name, value]) => `${name}: ${value}`).join("\n");

function show(c, call, outcome, entries, exchange) {
  const box = el("section", undefined, "result " + (outcome.resolved ? "allowed" : "blocked"));
  box.dataset.case = c.id;
  box.dataset.call = call.call;
  box.append(el("h3", `#${call.call} ${c.label}`), el("p", c.about, "note"));
  if (c.option) box.append(el("p", `${c.option} in force for this call: ${call.policy[c.option] || "(empty)"}`,
                              "in-force"));
  box.append(el("pre", `fetch(${JSON.stringify(call.url)}, ${JSON.stringify(c.init)})` +
                       (c.frame ? `\n// run by a page of ${CONFIG.other}` : ""), "code"));
  if (outcome.resolved) {
    box.append(el("p", `Allowed: fetch() resolved, status ${outcome.status}.`, "verdict"));
    box.append(el("h4", "Headers the script can read"), el("pre", lines(outcome.headers), "readable"));
    box.append(el("h4", "Body"), el("pre", outcome.body.slice(0, 2000), "body"));
  } else {
    box.append(el("p", `Blocked: fetch() rejected with "${outcome.error}". ` +
                       "The script gets no status, no headers, no body.", "verdict"));
  }
  box.append(el("h4", "What the browser console says (cors_wsgi.browser.judge on the exchange below)"));
  if (exchange && exchange.console) {
    box.append(el("pre", exchange.console, "console"));
    box.append(el("p", "Fix on the server: " + exchange.verdict.hint, "hint"));
  } else {
    box.append(el("pre", exchange && exchange.verdict ? "Nothing: the call passed the CORS checks." : "(no verdict)",
                  "console-none"));
  }
  if (exchange && exchange.consoles && exchange.consoles.length) {
    box.append(el("h4", "What Chrome / Firefox / Safari would print (cors_wsgi.browser.judge_in)"));
    for (const engine of exchange.consoles) {
      const part = el("div", undefined, "engine-console");
      part.dataset.engine = engine.engine;
      part.append(el("h5", `${engine.browser} (${engine.engine})`));
      part.append(el("pre", engine.allowed ? "Nothing: the call passes." :
                            [...engine.console, `// the script sees: ${engine.script_error}`].join("\n"),
                     engine.allowed ? "engine-passes" : "engine-lines"));
      box.append(part);
    }
  }
  for (const note of exchange && exchange.verdict ? exchange.verdict.notes : []) box.append(el("p", note, "note"));
  if (exchange && exchange.note) box.append(el("p", exchange.note, "note"));
  if (exchange && exchange.verdict && exchange.verdict.allowed !== outcome.resolved) {
    box.append(el("p", "Your browser and cors_wsgi.browser.judge disagree about this call.", "note"));
  }
  box.append(el("h4", entries.length === 1 ? "The API received 1 request" :
                      `The API received ${entries.length} requests`));
  entries.forEach((entry, index) => {
    const part = el("div", undefined, "request");
    part.dataset.kind = entry.kind;
    const label = entry.kind === "preflight" ? "preflight" : "the request";
    part.append(el("p", `${index + 1}. ${label}: ${entry.method} ${entry.path} → ${entry.status}`, "request-line"));
    const shown = entry.request_headers.filter(([name]) => INTERESTING.test(name));
    const sent = el("div"), answered = el("div");
    sent.append(el("small", "sent (the CORS-related headers)"), el("pre", lines(shown) || "(none)", "request-headers"));
    const all = el("details");
    all.append(el("summary", `all ${entry.request_headers.length} request headers`),
               el("pre", lines(entry.request_headers)));
    sent.append(all);
    answered.append(el("small", "answered"), el("pre", lines(entry.response_headers), "response-headers"));
    const pair = el("div", undefined, "pair");
    pair.append(sent, answered);
    part.append(pair);
    box.append(part);
  });
  box.dataset.state = "done";
  $("results").prepend(box);
}

// The policy form.
const form = $("policy");
let defaults = {};
function fillForm(values) {
  for (const [name, value] of Object.entries(values)) {
    const input = form.elements[name];
    if (!input) continue;
    if (input.type === "checkbox") input.checked = value; else input.value = value;
  }
}
function formValues() {
  const values = {};
  for (const input of form.querySelectorAll("input")) {
    values[input.name] = input.type === "checkbox" ? input.checked : input.value;
  }
  return values;
}
function showPolicy(policy) {
  $("policy-repr").textContent = policy.repr;
  $("policy-repr").dataset.loaded = "yes";
}
async function applyPolicy(values) {
  const {ok, data} = await postJSON("/policy", values);
  $("policy-error").hidden = ok;
  $("policy-error").textContent = ok ? "" : "Not applied, the API keeps its policy.\n" + data.error;
  showPolicy(data);
  if (ok) fillForm(data.form);
}
form.addEventListener("submit", (event) => {
  event.preventDefault();
  applyPolicy(formValues());
});
$("policy-reset").addEventListener("click", () => applyPolicy(defaults));

$("page-origin").textContent = location.origin;
$("api-origin").textContent = CONFIG.api;
$("api-kind").textContent = CONFIG.apiKind;
$("other-origin").textContent = CONFIG.other;
for (const c of CASES) {
  const button = el("button", c.label);
  button.id = "case-" + c.id;
  button.title = c.about;
  button.addEventListener("click", () => run(c));
  $("cases").append(button);
}
getJSON("/policy").then((policy) => {
  defaults = policy.defaults;
  fillForm(policy.form);
  showPolicy(policy);
});
</script>
"""


if __name__ == "__main__":
    raise SystemExit(main())
