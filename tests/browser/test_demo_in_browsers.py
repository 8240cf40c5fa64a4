"""The demo in a real Chromium: what the page can read, what the console says, what reached the API.

The page (``http://127.0.0.1:P1``) and the API (``http://localhost:P2``) are two origins
served by wsgiref on loopback; each scenario runs in a fresh browser context, so no
preflight is ever served from the browser's cache.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

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
    api_server, page_server = demo.serve(0, 0)
    yield f"http://127.0.0.1:{page_server.server_port}", log
    for server in (api_server, page_server):
        server.shutdown()
        server.server_close()


def click(browser: Any, page_url: str, button: str) -> tuple[str, list[str]]:
    """Click one of the demo's buttons in a fresh context; return the page's verdict and console lines."""
    context = browser.new_context()
    try:
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(page_url)
        page.click(f"#{button}")
        page.wait_for_function("document.getElementById('out').textContent !== 'Click a button.'", timeout=10_000)
        page.wait_for_timeout(200)  # let the console message of a failure arrive
        return page.text_content("#out") or "", console
    finally:
        context.close()


@pytest.mark.parametrize(
    ("button", "request_line"),
    [
        ("simple", ("GET", "/items")),
        ("json", ("POST", "/items")),  # preflighted: Content-Type application/json
        ("put", ("PUT", "/items/1")),  # preflighted, credentialed, X-Token
    ],
)
def test_allowed_requests_are_readable_with_the_exposed_header(
    browser: Any, servers: tuple[str, RequestLog], button: str, request_line: tuple[str, str]
) -> None:
    page_url, log = servers
    before = len(log.seen)
    verdict, console = click(browser, page_url, button)
    assert verdict.startswith("allowed: 200\nX-Total (exposed): 42\n")
    assert log.seen[before:] == [request_line]  # the preflight never reached the app
    assert not [line for line in console if "CORS policy" in line]


@pytest.mark.parametrize(
    ("button", "console_reason", "request_line"),
    [
        (
            "refused-header",
            "Request header field x-unlisted is not allowed by Access-Control-Allow-Headers in preflight response.",
            ("GET", "/items"),
        ),
        (
            "refused-method",
            "Method DELETE is not allowed by Access-Control-Allow-Methods in preflight response.",
            ("DELETE", "/items/1"),
        ),
    ],
)
def test_refused_preflights_stop_the_request_and_debug_mode_names_the_culprit(
    browser: Any,
    servers: tuple[str, RequestLog],
    button: str,
    console_reason: str,
    request_line: tuple[str, str],
) -> None:
    page_url, log = servers
    before = len(log.seen)
    verdict, console = click(browser, page_url, button)
    assert verdict.startswith("blocked by the browser: TypeError: Failed to fetch")
    assert any(line.endswith(f"has been blocked by CORS policy: {console_reason}") for line in console), console
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
def test_the_check_command_agrees_with_chromium(
    browser: Any, servers: tuple[str, RequestLog], button: str, path: str, check_args: list[str]
) -> None:
    import json
    import re
    import subprocess
    import urllib.request

    page_url, _ = servers
    with urllib.request.urlopen(page_url) as answer:  # the page names the API's origin
        found = re.search(r'const API = "([^"]+)"', answer.read().decode())
    assert found is not None
    verdict, console = click(browser, page_url, button)
    chromium_allowed = verdict.startswith("allowed: ")
    marker = "has been blocked by CORS policy: "
    chromium_reasons = [line.split(marker, 1)[1] for line in console if marker in line]

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
    checked = json.loads(result.stdout)["verdict"]
    assert result.returncode == (0 if chromium_allowed else 1), result.stderr
    assert checked["allowed"] is chromium_allowed
    if chromium_allowed:
        assert chromium_reasons == []
    else:
        assert chromium_reasons == [checked["reason"]]
