"""A FastAPI API behind ``cors_wsgi.asgi.CORSMiddleware``, wrapped from outside.

Run it (``pip install fastapi uvicorn`` first)::

    python examples/fastapi_app.py                       # uvicorn on http://127.0.0.1:8000
    python examples/fastapi_app.py --port 0              # any free port (the address is printed)
    python -m uvicorn examples.fastapi_app:app --port 8000

and try it from a shell as a browser on ``http://localhost:3000`` would::

    curl -i -H "Origin: http://localhost:3000" http://127.0.0.1:8000/api/notes
    curl -i -X OPTIONS -H "Origin: http://localhost:3000" \\
         -H "Access-Control-Request-Method: POST" -H "Access-Control-Request-Headers: content-type" \\
         http://127.0.0.1:8000/api/notes
    curl -i -H "Origin: http://localhost:3000" http://127.0.0.1:8000/api/report   # a view that raises

The last one answers ``500 Internal Server Error`` *with* ``Access-Control-Allow-Origin``,
so a page's ``fetch()`` sees ``response.status == 500`` instead of a CORS error.  That is
why the middleware wraps the whole FastAPI application here (``app = CORSMiddleware(api,
...)``): Starlette answers an unhandled exception from its ``ServerErrorMiddleware``,
which sits outside every middleware added with ``api.add_middleware(...)``, so only a
middleware outside the application sees that answer.

The policy: the front end's origins (``http://localhost:3000`` in development, or the
comma-separated list in ``ALLOWED_ORIGINS``) with cookies (``allow_credentials``), JSON
bodies (``Content-Type`` is always accepted) and an ``X-Request-Id`` header both ways;
``/health`` is outside ``resources``, so it gets no CORS handling at all.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence

import uvicorn
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel

from cors_wsgi.asgi import CORSMiddleware

api = FastAPI(title="Notes")
NOTES: list[dict[str, object]] = [{"id": 1, "text": "buy pears"}]


class NewNote(BaseModel):
    text: str


@api.middleware("http")
async def request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Echo the client's X-Request-Id (or make one): a header scripts may read (expose_headers)."""
    response = await call_next(request)
    response.headers["X-Request-Id"] = request.headers.get("x-request-id") or uuid.uuid4().hex
    return response


@api.get("/api/notes")
def list_notes() -> dict[str, object]:
    return {"notes": NOTES}


@api.post("/api/notes", status_code=201)
def add_note(note: NewNote) -> dict[str, object]:
    created = {"id": len(NOTES) + 1, "text": note.text}
    NOTES.append(created)
    return created


@api.get("/api/me")
def me(request: Request) -> dict[str, object]:
    """Who the session cookie says you are (sent cross-origin only with credentials)."""
    return {"session": request.cookies.get("session")}


@api.get("/api/report")
def report() -> dict[str, object]:
    raise RuntimeError("the reporting database is down")  # -> 500, still readable cross-origin


@api.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


def allowed_origins(environ: Mapping[str, str] = os.environ) -> list[str]:
    value = environ.get("ALLOWED_ORIGINS", "http://localhost:3000")
    return [origin.strip() for origin in value.split(",") if origin.strip()]


# Outside everything: it also sees the 500 that Starlette's ServerErrorMiddleware sends.
app = CORSMiddleware(
    api,
    resources={"/api/*": {}},
    allow_origins=allowed_origins(),
    allow_credentials=True,
    allow_headers=["Content-Type", "X-Request-Id"],
    expose_headers=["X-Request-Id"],
    max_age=600,
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The Notes API on uvicorn, CORS by cors_wsgi.asgi.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    args = parser.parse_args(argv)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(2048)  # connections wait in the backlog until uvicorn accepts them
    print(f"Notes API on http://{args.host}:{sock.getsockname()[1]} for {', '.join(allowed_origins())}", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
