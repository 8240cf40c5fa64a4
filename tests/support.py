"""Test helpers: a WSGI app that records its calls, and WebTest clients around the middleware."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import webtest

from cors_wsgi import CORSMiddleware


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
