"""FastAPI behind ``cors_wsgi.asgi.CORSMiddleware`` under a real uvicorn, in Chromium, Firefox and WebKit.

The API is a FastAPI application served by uvicorn on ``http://127.0.0.1:U`` (a port of its
own, module-scoped, its application swapped per test); the pages come from the suite's
loopback server (conftest.py): ``http://127.0.0.1:P`` is the allowed front end (cross-origin:
another port; same-site, so its cookies go along with ``credentials: "include"``) and
``http://localhost:P`` an origin the API refuses.  Nothing leaves loopback.  Each test runs in
each selected engine (conftest.py); the console texts expected are each engine's (observed.py).

Two logs on the server side: what reached uvicorn (outside the CORS middleware) and what
reached FastAPI (inside it), so a test can tell a preflight answered by the middleware from
one the application saw.  The key scenarios: a simple GET, a preflighted JSON PUT with a
custom header, a credentialed request with a cookie, refused origins (simple and
preflighted), and a view that raises — the page reads ``status == 500``, not a CORS error,
because the middleware wraps FastAPI from outside; added with ``add_middleware`` instead,
the same 500 is a CORS error in the console.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from engines import asgi_drivable
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from observed import FAILED, no_allow_origin, refused_preflight

from cors_wsgi.asgi import CORSMiddleware

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from uvicorn_support import serving  # tests/uvicorn_support.py, on the path set just above


@dataclass
class Uvicorn:
    """The ASGI application uvicorn serves: :attr:`app`, set per test, and the two request logs."""

    port: int = 0
    app: Any = None
    seen: list[tuple[str, str]] = field(default_factory=list)  # reached uvicorn
    reached: list[tuple[str, str]] = field(default_factory=list)  # reached FastAPI

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.seen.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)

    def inner(self, app: Any) -> Any:
        """``app``, recording each http request that reaches it into :attr:`reached`."""

        async def recorded(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                self.reached.append((scope["method"], scope["path"]))
            await app(scope, receive, send)

        return recorded


@pytest.fixture(scope="module")
def uvicorn_server() -> Iterator[Uvicorn]:
    holder = Uvicorn()
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)  # the raising view's traceback is expected
    with serving(asgi_drivable(holder), lifespan="off") as port:  # its login page can be visited in WebKit
        holder.port = port
        yield holder


@pytest.fixture
def api(uvicorn_server: Uvicorn) -> Iterator[Uvicorn]:
    uvicorn_server.seen.clear()
    uvicorn_server.reached.clear()
    yield uvicorn_server
    uvicorn_server.app = None


def fastapi_app() -> FastAPI:
    app = FastAPI()

    @app.get("/login", response_class=HTMLResponse)
    def login() -> HTMLResponse:
        response = HTMLResponse("<!doctype html><link rel=icon href='data:,'><title>logged in</title>")
        response.set_cookie("session", "s3cr3t", path="/", samesite="lax")
        return response

    @app.get("/api/items")
    def items(request: Request) -> dict[str, Any]:
        return {"items": ["pear"], "cookie": request.cookies.get("session")}

    @app.put("/api/items/{item_id}")
    def put_item(item_id: int, payload: dict[str, Any], request: Request) -> dict[str, Any]:
        return {"id": item_id, "payload": payload, "x-token": request.headers.get("x-token")}

    @app.get("/api/boom")
    def boom() -> dict[str, Any]:
        raise RuntimeError("the database is down")

    return app


def wrapped(api: Uvicorn, page: str) -> None:
    """The recommended set-up: the middleware outside the whole FastAPI application."""
    api.app = CORSMiddleware(
        api.inner(fastapi_app()),
        allow_origins=[page],
        allow_credentials=True,
        allow_headers=["Content-Type", "X-Token"],
    )


@pytest.fixture
def page_origin(server: Any) -> str:
    return f"http://127.0.0.1:{server.port}"


@pytest.fixture
def refused_origin(server: Any) -> str:
    return f"http://localhost:{server.port}"


def test_a_simple_get_is_readable_without_a_preflight(api: Uvicorn, open_page: Any, page_origin: str) -> None:
    wrapped(api, page_origin)
    fetched = open_page(page_origin).fetch(f"{api.origin}/api/items")
    assert (fetched.outcome, fetched.status) == ("ok", 200)
    assert json.loads(fetched.body)["items"] == ["pear"]
    assert api.seen == [("GET", "/api/items")]  # no preflight
    assert fetched.console == []


def test_a_preflighted_put_is_answered_by_the_middleware_then_sent(
    api: Uvicorn, open_page: Any, page_origin: str
) -> None:
    wrapped(api, page_origin)
    fetched = open_page(page_origin).fetch(
        f"{api.origin}/api/items/7",
        {"method": "PUT", "headers": {"Content-Type": "application/json", "X-Token": "t1"}, "body": '{"n": 1}'},
    )
    assert (fetched.outcome, fetched.status) == ("ok", 200)
    assert json.loads(fetched.body) == {"id": 7, "payload": {"n": 1}, "x-token": "t1"}
    assert api.seen == [("OPTIONS", "/api/items/7"), ("PUT", "/api/items/7")]
    assert api.reached == [("PUT", "/api/items/7")]  # FastAPI never saw the preflight
    assert fetched.console == []


def test_a_credentialed_request_carries_the_cookie_and_the_page_reads_the_answer(
    api: Uvicorn, open_page: Any, page_origin: str
) -> None:
    wrapped(api, page_origin)
    page = open_page(page_origin)
    page.navigate(f"{api.origin}/login")  # the API sets its cookie
    api.seen.clear()
    fetched = page.fetch(f"{api.origin}/api/items", {"credentials": "include"})
    assert (fetched.outcome, fetched.status) == ("ok", 200)
    assert json.loads(fetched.body)["cookie"] == "s3cr3t"
    omitted = page.fetch(f"{api.origin}/api/items")  # same-origin credentials mode: no cookie cross-origin
    assert json.loads(omitted.body)["cookie"] is None


def test_a_refused_origin_cannot_read_and_its_preflight_stops_the_request(
    api: Uvicorn, open_page: Any, page_origin: str, refused_origin: str
) -> None:
    wrapped(api, page_origin)
    page = open_page(refused_origin)
    simple = page.fetch(f"{api.origin}/api/items")
    assert (simple.outcome, simple.error) == ("rejected", FAILED[simple.engine])
    assert simple.cors_reasons == no_allow_origin(simple.engine, refused_origin, 200)
    assert api.reached == [("GET", "/api/items")]  # a simple request is sent: the view ran
    api.seen.clear()
    api.reached.clear()
    preflighted = page.fetch(
        f"{api.origin}/api/items/7", {"method": "PUT", "headers": {"Content-Type": "application/json"}, "body": "{}"}
    )
    assert (preflighted.outcome, preflighted.error) == ("rejected", FAILED[preflighted.engine])
    assert preflighted.cors_reasons == refused_preflight(preflighted.engine, refused_origin, 403)
    assert api.seen == [("OPTIONS", "/api/items/7")]  # the PUT was never sent
    assert api.reached == []


def test_a_raising_view_is_a_500_the_page_can_read(api: Uvicorn, open_page: Any, page_origin: str) -> None:
    wrapped(api, page_origin)
    fetched = open_page(page_origin).fetch(f"{api.origin}/api/boom", {"credentials": "include"})
    assert (fetched.outcome, fetched.status, fetched.body) == ("ok", 500, "Internal Server Error")
    assert fetched.cors_reasons == []


def test_added_with_add_middleware_the_same_500_is_a_cors_error(api: Uvicorn, open_page: Any, page_origin: str) -> None:
    """The documented limitation, seen by the browser: Starlette answers the 500 outside the middleware."""
    app = fastapi_app()
    app.add_middleware(CORSMiddleware, allow_origins=[page_origin], allow_credentials=True)
    api.app = app
    page = open_page(page_origin)
    assert page.fetch(f"{api.origin}/api/items").status == 200  # an ordinary answer is fine
    fetched = page.fetch(f"{api.origin}/api/boom")
    assert (fetched.outcome, fetched.error) == ("rejected", FAILED[fetched.engine])
    assert fetched.cors_reasons == no_allow_origin(fetched.engine, page_origin, 500)
