"""``examples/fastapi_app.py`` run for real, as its docstring says, under uvicorn on a loopback port.

The gallery's pattern (``test_example_gallery.py``): the example is started as a
subprocess by the ``launch`` fixture (``python examples/fastapi_app.py --port 0``, and
``python -m uvicorn examples.fastapi_app:app``), asked over HTTP with ``Origin`` headers, and
the assertions are on what comes back on the wire.
"""

from __future__ import annotations

import json

from support import Launcher, free_port
from support import http_call as call
from support import http_preflight as preflight

APP = "http://localhost:3000"
EVIL = "https://evil.example"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


def test_fastapi_app_answers_simple_preflighted_credentialed_and_failing_requests(launch: Launcher) -> None:
    port = launch.start("examples/fastapi_app.py", "--port", "0")

    notes = call(port, "GET", "/api/notes", {"Origin": APP, "X-Request-Id": "r-1"})
    assert notes.status == 200
    assert notes.cors() == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "X-Request-Id",
    }
    assert notes.header("vary") == "Origin"
    assert notes.header("x-request-id") == "r-1"
    assert notes.json()["notes"][0]["text"] == "buy pears"

    # A JSON POST is preflighted: answered by the middleware, then the POST itself.
    answer = preflight(port, "/api/notes", APP, "POST", "content-type,x-request-id")
    assert (answer.status, answer.body) == (204, b"")
    assert answer.cors() == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
        "access-control-allow-headers": "Content-Type, X-Request-Id",
        "access-control-max-age": "600",
    }
    assert answer.header("vary") == PREFLIGHT_VARY
    created = call(
        port,
        "POST",
        "/api/notes",
        {"Origin": APP, "Content-Type": "application/json"},
        json.dumps({"text": "call mum"}).encode(),
    )
    assert (created.status, created.json()["text"]) == (201, "call mum")
    assert created.header("access-control-allow-origin") == APP

    # Credentialed: the cookie reaches the view, and the answer allows credentials.
    me = call(port, "GET", "/api/me", {"Origin": APP, "Cookie": "session=s3cr3t"})
    assert (me.json(), me.header("access-control-allow-credentials")) == ({"session": "s3cr3t"}, "true")

    # The view that raises: a 500 the page can read, not a CORS error.
    report = call(port, "GET", "/api/report", {"Origin": APP})
    assert (report.status, report.body) == (500, b"Internal Server Error")
    assert report.header("access-control-allow-origin") == APP
    assert report.header("access-control-allow-credentials") == "true"
    assert report.header("vary") == "Origin"

    # Refused: no CORS headers, a 403 preflight, and the answer varies on Origin.
    stranger = call(port, "GET", "/api/notes", {"Origin": EVIL})
    assert (stranger.status, stranger.cors(), stranger.header("vary")) == (200, {}, "Origin")
    refused = preflight(port, "/api/notes", EVIL, "POST", "content-type")
    assert (refused.status, refused.cors(), refused.body) == (403, {}, b"")
    assert preflight(port, "/api/notes", APP, "POST", "x-unlisted").status == 403

    # /health is outside resources: untouched, and a preflight there reaches FastAPI (405).
    health = call(port, "GET", "/health", {"Origin": APP})
    assert (health.status, health.cors(), health.header("vary")) == (200, {}, None)
    assert preflight(port, "/health", APP, "GET").status == 405


def test_fastapi_app_under_the_uvicorn_command_with_allowed_origins(launch: Launcher) -> None:
    wanted = free_port()
    port = launch.start(
        "-m",
        "uvicorn",
        "examples.fastapi_app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(wanted),
        env={"ALLOWED_ORIGINS": "https://app.example.com, https://admin.example.com"},
        port=wanted,
    )
    for origin in ("https://app.example.com", "https://admin.example.com"):
        reply = call(port, "GET", "/api/report", {"Origin": origin})
        assert (reply.status, reply.header("access-control-allow-origin")) == (500, origin)
        assert preflight(port, "/api/notes", origin, "POST", "content-type").status == 204
    assert call(port, "GET", "/api/notes", {"Origin": APP}).cors() == {}


def test_fastapi_app_refuses_a_wildcard_with_credentials_at_start_up(launch: Launcher) -> None:
    result = launch.run("examples/fastapi_app.py", "--port", "0", env={"ALLOWED_ORIGINS": "*"})
    assert result.returncode == 1
    assert "'*' cannot be combined with allow_credentials=True" in result.stderr
