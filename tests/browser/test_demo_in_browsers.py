"""The demo in Chromium, Firefox and WebKit: what the page can read, what the console says, what reached the API.

The page (``http://127.0.0.1:P1``) and the API (``http://localhost:P2``) are two origins,
the demo's own applications (``make_page``, ``make_api``) served by threaded wsgiref servers
on loopback (``demo.serve``'s are single-threaded, and Firefox keeps a spare connection
open, which stalls one); each scenario runs in each selected engine, in a fresh browser
context, so no preflight is ever served from the browser's cache.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from engines import cors_reasons, drivable, serve_on
from observed import FAILED, header_not_allowed, method_not_allowed

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"


def load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_for_browser_tests", DEMO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class RequestLog:
    """Wraps the demo API's innermost app: records (method, path) of each request that reached it."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.seen: list[tuple[str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.seen.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, RequestLog]]:
    demo = load_demo()
    log = RequestLog(demo.api_app)
    demo.api_app = log  # make_api() wraps whatever api_app is
    api_listener = socket.create_server(("127.0.0.1", 0))
    page_listener = socket.create_server(("127.0.0.1", 0))
    api_origin = f"http://localhost:{api_listener.getsockname()[1]}"
    page_origin = f"http://127.0.0.1:{page_listener.getsockname()[1]}"
    started = [
        serve_on(api_listener, demo.make_api(page_origin)),
        serve_on(page_listener, drivable(demo.make_page(api_origin))),
    ]
    yield page_origin, log
    for server in started:
        server.shutdown()
        server.server_close()


_CLICK_JS = "(button) => { document.getElementById(button).click(); return null; }"
_OUT_JS = "() => document.getElementById('out').textContent"


def click(engine: Any, page_url: str, button: str) -> tuple[str, list[str]]:
    """Click one of the demo's buttons in a fresh context; return the page's verdict and console lines."""
    page = engine.new_page()
    try:
        page.goto(page_url)
        page.evaluate(_CLICK_JS, button)
        deadline = time.monotonic() + 10
        while (out := page.evaluate(_OUT_JS)) == "Click a button." and time.monotonic() < deadline:
            page.wait(0.02)
        page.wait(0.3)  # let the console message of a failure arrive
        return out, page.console()
    finally:
        page.close()


@pytest.mark.parametrize(
    ("button", "request_line"),
    [
        ("simple", ("GET", "/items")),
        ("json", ("POST", "/items")),  # preflighted: Content-Type application/json
        ("put", ("PUT", "/items/1")),  # preflighted, credentialed, X-Token
    ],
)
def test_allowed_requests_are_readable_with_the_exposed_header(
    engine: Any, servers: tuple[str, RequestLog], button: str, request_line: tuple[str, str]
) -> None:
    page_url, log = servers
    before = len(log.seen)
    verdict, console = click(engine, page_url, button)
    assert verdict.startswith("allowed: 200\nX-Total (exposed): 42\n")
    assert log.seen[before:] == [request_line]  # the preflight never reached the app
    assert console == []


@pytest.mark.parametrize(
    ("button", "console_reason", "request_line"),
    [
        ("refused-header", lambda engine: header_not_allowed(engine, "X-Unlisted"), ("GET", "/items")),
        ("refused-method", lambda engine: method_not_allowed(engine, "DELETE"), ("DELETE", "/items/1")),
    ],
)
def test_refused_preflights_stop_the_request_and_debug_mode_names_the_culprit(
    engine: Any,
    servers: tuple[str, RequestLog],
    button: str,
    console_reason: Callable[[str], list[str]],
    request_line: tuple[str, str],
) -> None:
    page_url, log = servers
    before = len(log.seen)
    verdict, console = click(engine, page_url, button)
    assert verdict.startswith(f"blocked by the browser: {FAILED[engine.name]}")
    assert cors_reasons(engine.name, console) == console_reason(engine.name), console
    assert request_line not in log.seen[before:]  # the actual request was never sent


@pytest.mark.parametrize(
    ("button", "path", "check_args"),
    [
        ("simple", "/items", []),
        ("json", "/items", ["--method", "POST", "--header", "Content-Type:application/json"]),
        ("put", "/items/1", ["--method", "PUT", "--credentials", "--header", "X-Token:secret"]),
        ("refused-header", "/items", ["--header", "X-Unlisted:1"]),
        ("refused-method", "/items/1", ["--method", "DELETE"]),
    ],
)
def test_the_check_command_agrees_with_each_engine(
    engine: Any, servers: tuple[str, RequestLog], button: str, path: str, check_args: list[str]
) -> None:
    import json
    import re
    import subprocess
    import urllib.request

    page_url, _ = servers
    with urllib.request.urlopen(page_url) as answer:  # the page names the API's origin
        found = re.search(r'const API = "([^"]+)"', answer.read().decode())
    assert found is not None
    verdict, console = click(engine, page_url, button)
    engine_allowed = verdict.startswith("allowed: ")
    reasons = cors_reasons(engine.name, console)

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cors_wsgi",
            "check",
            found.group(1) + path,
            "--origin",
            page_url,
            *check_args,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout, result.stderr
    checked = json.loads(result.stdout)["verdict"]
    assert result.returncode == (0 if engine_allowed else 1), result.stderr
    assert checked["allowed"] is engine_allowed
    if engine_allowed:
        assert reasons == []
    elif engine.name == "chromium":
        assert reasons == [checked["reason"]]
