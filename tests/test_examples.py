"""The examples run and behave as their documentation says."""

from __future__ import annotations

import http.client
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def demo_servers() -> object:
    demo = load("demo")
    api_server, page_server = demo.serve(0, 0)
    yield api_server, page_server
    for server in (api_server, page_server):
        server.shutdown()
        server.server_close()


def request(port: int, method: str, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request(method, path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_demo_serves_the_page_and_a_cors_api_on_two_loopback_origins(demo_servers: tuple) -> None:
    api_server, page_server = demo_servers
    page_origin = f"http://127.0.0.1:{page_server.server_port}"
    page = request(page_server.server_port, "GET", "/", {})
    assert page.status == 200

    allowed = request(
        api_server.server_port,
        "OPTIONS",
        "/items/1",
        {"Origin": page_origin, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-token"},
    )
    assert allowed.status == 204
    assert allowed.getheader("Access-Control-Allow-Origin") == page_origin
    assert allowed.getheader("Access-Control-Allow-Credentials") == "true"

    refused = request(
        api_server.server_port,
        "OPTIONS",
        "/items",
        {"Origin": page_origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-unlisted"},
    )
    assert refused.status == 200  # debug mode: partial headers so the console names 'x-unlisted'
    assert refused.getheader("Access-Control-Allow-Headers") == "X-Token"

    actual = request(api_server.server_port, "GET", "/items", {"Origin": page_origin})
    assert actual.getheader("Access-Control-Expose-Headers") == "X-Total"
    stranger = request(api_server.server_port, "GET", "/items", {"Origin": "http://evil.localhost"})
    assert stranger.getheader("Access-Control-Allow-Origin") is None
