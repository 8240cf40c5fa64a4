"""Test helpers: WSGI apps and environs for direct calls, and WebTest clients around the middleware."""

from __future__ import annotations

import asyncio
import io
import sys
import threading
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar

import webtest

from cors_wsgi import CORSMiddleware

T = TypeVar("T")


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
