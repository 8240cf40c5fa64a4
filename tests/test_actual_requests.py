"""Actual (non-preflight) requests: the app always runs; CORS headers and Vary on every status."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import webtest
from support import RecordingApp, client, cors_headers

from cors_wsgi import CORSMiddleware

CREDENTIALED = {"allow_origins": ["https://app.example.com"], "allow_credentials": True}


def test_allowed_origin_gets_its_own_origin_credentials_and_exposed_headers() -> None:
    test_app, app = client(**CREDENTIALED, expose_headers=["X-Total", "X-Page"])
    response = test_app.get("/items", headers={"Origin": "https://app.example.com"})
    assert response.body == b"hello"
    assert len(app.calls) == 1
    assert cors_headers(response) == {
        "Access-Control-Allow-Origin": "https://app.example.com",
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": "X-Total, X-Page",
    }
    assert response.headers["Vary"] == "Origin"


def test_refused_origin_reaches_the_app_but_gets_no_cors_headers() -> None:
    test_app, app = client(**CREDENTIALED)
    response = test_app.get("/", headers={"Origin": "https://evil.example"})
    assert len(app.calls) == 1
    assert cors_headers(response) == {}
    assert response.headers["Vary"] == "Origin"


def test_request_without_origin_varies_on_origin_when_the_answer_depends_on_it() -> None:
    test_app, _ = client(**CREDENTIALED)
    response = test_app.get("/")
    assert cors_headers(response) == {}
    assert response.headers["Vary"] == "Origin"


def test_public_policy_sends_static_star_and_no_vary() -> None:
    test_app, _ = client(expose_headers="*")
    response = test_app.get("/", headers={"Origin": "https://anyone.example"})
    assert cors_headers(response) == {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "*"}
    assert "Vary" not in response.headers
    # The same answer without Origin: a shared cache (no Vary) may serve either copy to anyone.
    no_origin = test_app.get("/")
    assert cors_headers(no_origin) == {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "*"}
    assert "Vary" not in no_origin.headers


def test_public_policy_replaces_the_apps_own_allow_origin_on_requests_without_origin() -> None:
    app = RecordingApp(headers=[("Content-Type", "text/plain"), ("Access-Control-Allow-Origin", "https://a.example")])
    test_app, _ = client(app)
    assert cors_headers(test_app.get("/")) == {"Access-Control-Allow-Origin": "*"}


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_every_method_gets_headers(method: str) -> None:
    test_app, _ = client(**CREDENTIALED)
    response = test_app.request("/", method=method, headers={"Origin": "https://app.example.com"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"


@pytest.mark.parametrize(
    "status", ["400 Bad Request", "401 Unauthorized", "404 Not Found", "500 Internal Server Error"]
)
def test_error_statuses_carry_cors_headers(status: str) -> None:
    test_app, _ = client(RecordingApp(status=status), **CREDENTIALED)
    response = test_app.get("/", headers={"Origin": "https://app.example.com"}, status="*")
    assert response.status == status
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_headers_are_added_when_the_app_reports_an_error_with_exc_info() -> None:
    def failing_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"error"]

    test_app = webtest.TestApp(CORSMiddleware(failing_app, **CREDENTIALED))
    response = test_app.get("/", headers={"Origin": "https://app.example.com"}, status=500)
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response.body == b"error"


@pytest.mark.parametrize(
    ("app_vary", "expected"),
    [
        ([("Vary", "Accept-Encoding")], ["Accept-Encoding, Origin"]),
        ([("Vary", "origin")], ["origin"]),  # already there, in another case: not repeated
        ([("Vary", "Accept, Origin")], ["Accept, Origin"]),
        ([("Vary", "*")], ["*"]),  # '*' already covers every header
        ([("Vary", "Accept"), ("Vary", "Cookie")], ["Accept", "Cookie, Origin"]),
        ([], ["Origin"]),
    ],
)
def test_vary_is_merged_into_the_apps_vary(app_vary: list[tuple[str, str]], expected: list[str]) -> None:
    app = RecordingApp(headers=[("Content-Type", "text/plain"), *app_vary])
    test_app, _ = client(app, **CREDENTIALED)
    for headers in ({"Origin": "https://app.example.com"}, {"Origin": "https://evil.example"}, {}):
        response = test_app.get("/", headers=headers)
        assert response.headers.getall("Vary") == expected


def test_apps_own_cors_headers_are_replaced_not_duplicated() -> None:
    app = RecordingApp(
        headers=[
            ("Content-Type", "text/plain"),
            ("Access-Control-Allow-Origin", "*"),
            ("access-control-allow-credentials", "true"),
            ("X-Other", "kept"),
        ]
    )
    test_app, _ = client(app, **CREDENTIALED)
    response = test_app.get("/", headers={"Origin": "https://app.example.com"})
    assert response.headers.getall("Access-Control-Allow-Origin") == ["https://app.example.com"]
    assert response.headers.getall("Access-Control-Allow-Credentials") == ["true"]
    assert response.headers["X-Other"] == "kept"
    refused = test_app.get("/", headers={"Origin": "https://evil.example"})
    assert cors_headers(refused) == {}


def test_body_iterable_is_the_apps_own_object() -> None:
    body = [b"a", b"b"]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    middleware = CORSMiddleware(app, **CREDENTIALED)
    result = middleware({"REQUEST_METHOD": "GET", "HTTP_ORIGIN": "https://app.example.com"}, lambda *a: None)
    assert result is body


def test_null_origin_is_matched_only_when_listed() -> None:
    listed, _ = client(allow_origins=["null", "https://app.example.com"])
    assert listed.get("/", headers={"Origin": "null"}).headers["Access-Control-Allow-Origin"] == "null"
    patterns, _ = client(allow_origins=["https://*.example.com"], allow_origin_regex=".*", allow_origin_func=bool)
    assert "Access-Control-Allow-Origin" not in patterns.get("/", headers={"Origin": "null"}).headers


def test_allow_origin_func_decides_and_its_errors_refuse(caplog: pytest.LogCaptureFixture) -> None:
    tenants = {"https://tenant-a.example"}

    def lookup(origin: str) -> bool:
        if origin == "https://broken.example":
            raise ConnectionError("database down")
        return origin in tenants

    test_app, _ = client(allow_origin_func=lookup, allow_credentials=True)
    allowed = test_app.get("/", headers={"Origin": "https://tenant-a.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://tenant-a.example"
    tenants.add("https://tenant-b.example")  # takes effect without a restart
    assert test_app.get("/", headers={"Origin": "https://tenant-b.example"}).headers["Vary"] == "Origin"
    broken = test_app.get("/", headers={"Origin": "https://broken.example"})
    assert "Access-Control-Allow-Origin" not in broken.headers
    assert "allow_origin_func raised for origin 'https://broken.example'" in caplog.text


def test_function_and_regex_never_see_malformed_origins() -> None:
    seen: list[str] = []

    def record(origin: str) -> bool:
        seen.append(origin)
        return True

    test_app, _ = client(allow_origin_func=record)
    for bad in ["https://a.example/path", "HTTPS://A.EXAMPLE", "https://a.example:443", "null", "javascript:x"]:
        assert "Access-Control-Allow-Origin" not in test_app.get("/", headers={"Origin": bad}).headers
    assert seen == []
