"""``cors_wsgi.asgi.CORSMiddleware`` in front of FastAPI and Starlette, served by a real uvicorn on 127.0.0.1.

What a client receives over HTTP/1.1: a view that raises gets a ``500`` that still
carries the CORS headers when the application is wrapped from outside, and none when
the middleware was added with ``add_middleware`` (the documented limitation, shared with
Starlette's own ``CORSMiddleware``); preflights never reach the application; a streamed
body arrives whole; ``--root-path`` and lifespan events work through the middleware.
"""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from starlette.middleware.cors import CORSMiddleware as StarletteCORSMiddleware
from support import serve_asgi

from cors_wsgi.asgi import CORSMiddleware

APP = "http://localhost:3000"
EVIL = "http://evil.example"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        assert len(values) <= 1, f"{name} sent {len(values)} times: {values}"
        return values[0] if values else None

    def cors(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers if k.lower().startswith("access-control-")}


def call(port: int, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


class Reached:
    """An ASGI wrapper recording ``(method, path)`` of each http request that reached the application."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[tuple[str, str]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.requests.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)


def make_api(events: list[str] | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if events is not None:
            events.append("startup")
        yield
        if events is not None:
            events.append("shutdown")

    api = FastAPI(lifespan=lifespan)

    @api.get("/api/items")
    def items() -> dict[str, list[str]]:
        return {"items": ["pear", "fig"]}

    @api.put("/api/items/{item_id}")
    def put_item(item_id: int, payload: dict[str, Any]) -> dict[str, Any]:
        return {"id": item_id, **payload}

    @api.get("/api/boom")
    def boom() -> dict[str, str]:
        raise RuntimeError("the database is down")

    @api.get("/api/stream")
    def stream() -> StreamingResponse:
        def chunks() -> Any:
            for i in range(50):
                yield f"chunk {i}\n".encode()

        return StreamingResponse(chunks(), media_type="text/plain")

    return api


@pytest.fixture(autouse=True)
def quiet_uvicorn(caplog: pytest.LogCaptureFixture) -> None:
    """uvicorn logs the view's exception at ERROR: expected here, kept out of the report."""
    caplog.set_level(logging.CRITICAL, logger="uvicorn.error")


def test_wrapped_from_outside_a_raising_view_still_answers_with_cors_headers() -> None:
    api = make_api()
    reached = Reached(api)
    app = CORSMiddleware(reached, allow_origins=[APP], allow_credentials=True, expose_headers=["X-Request-Id"])
    with serve_asgi(app) as port:
        boom = call(port, "GET", "/api/boom", {"Origin": APP})
        assert boom.status == 500
        assert boom.body == b"Internal Server Error"
        assert boom.cors() == {
            "access-control-allow-origin": APP,
            "access-control-allow-credentials": "true",
            "access-control-expose-headers": "X-Request-Id",
        }
        assert boom.header("Vary") == "Origin"

        items = call(port, "GET", "/api/items", {"Origin": APP})
        assert (items.status, json.loads(items.body)) == (200, {"items": ["pear", "fig"]})
        assert items.header("Access-Control-Allow-Origin") == APP

        reached.requests.clear()
        answer = call(
            port,
            "OPTIONS",
            "/api/items/7",
            {"Origin": APP, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type"},
        )
        assert (answer.status, answer.body) == (204, b"")
        assert answer.cors() == {
            "access-control-allow-origin": APP,
            "access-control-allow-credentials": "true",
            "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
            "access-control-allow-headers": "content-type",
        }
        assert answer.header("Vary") == PREFLIGHT_VARY
        assert reached.requests == []  # the preflight never reached FastAPI

        put = call(
            port,
            "PUT",
            "/api/items/7",
            {"Origin": APP, "Content-Type": "application/json"},
            json.dumps({"n": 1}).encode(),
        )
        assert (put.status, json.loads(put.body), put.header("Access-Control-Allow-Origin")) == (
            200,
            {"id": 7, "n": 1},
            APP,
        )

        stranger = call(port, "GET", "/api/boom", {"Origin": EVIL})
        assert (stranger.status, stranger.cors(), stranger.header("Vary")) == (500, {}, "Origin")
        refused = call(port, "OPTIONS", "/api/items", {"Origin": EVIL, "Access-Control-Request-Method": "GET"})
        assert (refused.status, refused.cors()) == (403, {})
        missing = call(port, "GET", "/nowhere", {"Origin": APP})
        assert (missing.status, missing.header("Access-Control-Allow-Origin")) == (404, APP)


@pytest.mark.parametrize("middleware", [CORSMiddleware, StarletteCORSMiddleware], ids=["cors_wsgi", "starlette"])
def test_add_middleware_cannot_see_the_500_starlette_answers_outside_it(middleware: Callable[..., Any]) -> None:
    """The documented limitation: ServerErrorMiddleware sits outside every added middleware."""
    api = make_api()
    api.add_middleware(middleware, allow_origins=[APP], allow_credentials=True)  # type: ignore[arg-type]
    with serve_asgi(api) as port:
        items = call(port, "GET", "/api/items", {"Origin": APP})
        assert items.header("Access-Control-Allow-Origin") == APP
        boom = call(port, "GET", "/api/boom", {"Origin": APP})
        assert boom.status == 500
        assert boom.cors() == {}  # so the browser reports a CORS error instead of the 500


def test_a_streamed_body_arrives_whole_with_the_cors_headers() -> None:
    with serve_asgi(CORSMiddleware(make_api(), allow_origins=[APP])) as port:
        reply = call(port, "GET", "/api/stream", {"Origin": APP})
        assert reply.status == 200
        assert reply.header("Transfer-Encoding") == "chunked"
        assert reply.body == b"".join(f"chunk {i}\n".encode() for i in range(50))
        assert reply.header("Access-Control-Allow-Origin") == APP


def test_root_path_and_lifespan_through_the_middleware() -> None:
    """``uvicorn --root-path /service`` (behind a proxy that strips it): scope["path"] is
    ``/service/api/items``, root_path ``/service``; the patterns mean ``/api/items``."""
    events: list[str] = []
    api = make_api(events)
    seen: list[tuple[str, str]] = []

    async def recording(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            seen.append((scope["root_path"], scope["path"]))
        await api(scope, receive, send)

    app = CORSMiddleware(recording, resources={"/api/*": {"allow_origins": [APP]}})
    with serve_asgi(app, root_path="/service", lifespan="on") as port:
        assert events == ["startup"]  # the lifespan scope went through to FastAPI
        covered = call(port, "GET", "/api/items", {"Origin": APP})
        assert (covered.status, covered.header("Access-Control-Allow-Origin")) == (200, APP)
        assert seen == [("/service", "/service/api/items")]
        answer = call(port, "OPTIONS", "/api/items", {"Origin": APP, "Access-Control-Request-Method": "GET"})
        assert (answer.status, answer.header("Access-Control-Allow-Origin")) == (204, APP)
        docs = call(port, "GET", "/docs", {"Origin": APP})  # outside /api/*: untouched
        assert (docs.status, docs.cors(), docs.header("Vary")) == (200, {}, None)
    assert events == ["startup", "shutdown"]
