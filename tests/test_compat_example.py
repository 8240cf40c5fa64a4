"""``examples/flask_cors_migrated.py``: a flask-cors application switched by its import line.

Run for real (``python examples/flask_cors_migrated.py --port 0``, asked over HTTP), and
side by side with the same source importing flask-cors 6.0.2: the answers are the same
except the documented differences (here: the preflight to the hook-protected path).
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "flask_cors_migrated.py"
IMPORT = "from flask_cors_ext.compat import CORS, cross_origin  # was: from flask_cors import CORS, cross_origin"
ANNOUNCED = re.compile(r"http://127\.0\.0\.1:(\d+)")

FRONT_END = "http://localhost:3000"
PARTNER = "https://shop.partner.example"


def load(source: str, name: str) -> ModuleType:
    module = ModuleType(name)
    module.__file__ = str(EXAMPLE)
    exec(compile(source, str(EXAMPLE), "exec"), module.__dict__)
    return module


def cors_of(headers: Any) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in headers.items() if k.lower().startswith("access-control-"))


REQUESTS: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/api/v1/items", {"Origin": FRONT_END, "Cookie": "session=1"}),
    ("GET", "/api/v1/items", {"Origin": FRONT_END}),  # the hook's 401 carries the headers in both
    ("GET", "/api/v1/items", {"Origin": "https://evil.example"}),
    ("GET", "/api/v1/items", {}),
    ("GET", "/api/public/status", {"Origin": "https://anyone.example"}),
    ("GET", "/api/public/status", {}),
    ("GET", "/widgets/7", {"Origin": PARTNER}),
    ("GET", "/widgets/7", {"Origin": "https://partner.example"}),
    (
        "OPTIONS",
        "/widgets/7",
        {
            "Origin": PARTNER,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-partner-key,x-partner-id",
        },
    ),
    ("OPTIONS", "/api/public/status", {"Origin": PARTNER, "Access-Control-Request-Method": "GET"}),
    ("GET", "/elsewhere", {"Origin": FRONT_END}),
]


def test_the_example_is_the_flask_cors_app_with_one_line_changed() -> None:
    flask_cors = pytest.importorskip("flask_cors", reason="flask-cors 6.0 is not installed (bench extra)")
    if not flask_cors.__version__.startswith("6.0."):
        pytest.skip("the behaviours compared are flask-cors 6.0's")
    source = EXAMPLE.read_text(encoding="utf-8")
    assert source.count(IMPORT) == 1
    ours = load(source, "migrated_ours").app.test_client()
    flask_cors_source = source.replace(IMPORT, "from flask_cors import CORS, cross_origin")
    theirs = load(flask_cors_source, "migrated_theirs").app.test_client()
    for method, path, headers in REQUESTS:
        got = ours.open(path, method=method, headers=headers)
        expected = theirs.open(path, method=method, headers=headers)
        assert got.status_code == expected.status_code, (method, path, headers)
        assert cors_of(got.headers) == cors_of(expected.headers), (method, path, headers)

    # The documented improvement: the preflight is answered before the login hook.
    preflight = {
        "Origin": FRONT_END,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-csrf",
    }
    assert theirs.options("/api/v1/items", headers=preflight).status_code == 401
    answer = ours.options("/api/v1/items", headers=preflight)
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == FRONT_END
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    assert answer.headers["Access-Control-Allow-Headers"] == "x-csrf"
    assert answer.headers["Access-Control-Max-Age"] == "600"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[int]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("FLASK_APP", None)
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(EXAMPLE), "--port", "0"],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        found = None
        while found is None and time.monotonic() < deadline and process.poll() is None:
            found = ANNOUNCED.search(log.read_text(errors="replace"))
            time.sleep(0.05)
        if found is None:
            pytest.fail(f"the example did not start:\n{log.read_text(errors='replace')}")
        yield int(found.group(1))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def call(port: int, method: str, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response
    finally:
        connection.close()


def test_the_example_serves_flask_cors_answers(served: int) -> None:
    items = call(served, "GET", "/api/v1/items", {"Origin": FRONT_END, "Cookie": "session=1"})
    assert items.status == 200
    assert items.getheader("Access-Control-Allow-Origin") == FRONT_END
    assert items.getheader("Access-Control-Allow-Credentials") == "true"
    assert items.getheader("Access-Control-Expose-Headers") == "X-Total-Count"
    assert items.getheader("Vary") == "Origin"

    preflight = call(
        served,
        "OPTIONS",
        "/widgets/7",
        {
            "Origin": PARTNER,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type,x-partner-key",
        },
    )
    assert preflight.status == 200
    assert preflight.getheader("Access-Control-Allow-Origin") == PARTNER
    assert preflight.getheader("Access-Control-Allow-Headers") == "content-type, x-partner-key"
    assert preflight.getheader("Access-Control-Allow-Methods") == "GET, PUT"

    public = call(served, "GET", "/api/public/status", {"Origin": "https://anyone.example"})
    assert public.getheader("Access-Control-Allow-Origin") == "*"

    lookalike = call(served, "GET", "/widgets/7", {"Origin": "https://shop.partner.example.evil.net"})
    assert lookalike.getheader("Access-Control-Allow-Origin") is None
