"""The application ``soak.py`` serves: shared by ``_servers.build("soak")`` and ``soak.py``.

Its own module so that ``_servers`` (which starts the server) and ``soak`` (which drives it
and imports ``_servers``) do not import each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from cors_wsgi import CORSMiddleware

__all__ = ["echo_app", "make_app"]


def echo_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Reads the body, answers with the request's id as ``X-Request-Id`` and as the body."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    request_id = environ.get("HTTP_X_REQUEST_ID", "none").encode("latin-1")
    start_response(
        "200 OK",
        [
            ("Content-Type", "text/plain"),
            ("Content-Length", str(len(request_id))),
            ("X-Request-Id", request_id.decode()),
        ],
    )
    return [request_id]


def make_app() -> CORSMiddleware:
    return CORSMiddleware(
        echo_app,
        allow_origins=["https://app.example.com", "https://admin.example.com", "https://*.example.org"],
        allow_credentials=True,
        allow_methods=["GET", "PUT"],
        allow_headers=["X-Token"],
        expose_headers=["X-Total"],
        max_age=600,
    )
