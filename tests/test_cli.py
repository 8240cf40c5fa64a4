"""``python -m cors_wsgi check | explain`` run as a user would, against a real wsgiref server on loopback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from cors_wsgi import CORSMiddleware
from tests.support import RecordingApp, serve_wsgi

APP = "https://app.example.com"


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[str, RecordingApp]]:
    app = RecordingApp(headers=[("Content-Type", "text/plain"), ("X-Total", "42")])
    wrapped = CORSMiddleware(
        app,
        allow_origins=[APP],
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT"],
        allow_headers=["X-Token"],
        expose_headers=["X-Total"],
        debug=True,
    )
    with serve_wsgi(wrapped) as port:
        yield f"http://127.0.0.1:{port}/items", app


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cors_wsgi", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_an_allowed_simple_get(api: tuple[str, RecordingApp]) -> None:
    url, app = api
    before = len(app.calls)
    result = run("check", url, "--origin", APP)
    assert result.returncode == 0, result.stderr
    assert "no preflight: a simple request (safelisted method and headers)" in result.stdout
    assert (
        "verdict: ALLOWED (response headers the page can read: content-length, content-type, x-total)" in result.stdout
    )
    assert [call["REQUEST_METHOD"] for call in app.calls[before:]] == ["GET"]
    assert app.calls[-1]["HTTP_ORIGIN"] == APP


def test_the_preflight_is_sent_as_a_browser_sends_it(api: tuple[str, RecordingApp]) -> None:
    url, app = api
    result = run(
        "check", url, "--origin", APP, "--method", "put", "--header", "X-Token:s",
        "--header", "Content-Type:application/json", "--header", "x-token", "--credentials", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [step["step"] for step in report["steps"]] == ["preflight", "actual"]
    preflight = report["steps"][0]
    assert preflight["request"] == {
        "method": "OPTIONS",
        "url": url,
        "headers": [
            ["Origin", APP],
            ["Access-Control-Request-Method", "PUT"],
            ["Access-Control-Request-Headers", "content-type,x-token"],
            ["Accept", "*/*"],
        ],
    }
    assert preflight["response"]["status"] == 204
    assert ["Access-Control-Allow-Methods", "GET, POST, PUT"] in preflight["response"]["headers"]
    assert preflight["passed"] is True
    actual = report["steps"][1]
    assert actual["request"]["method"] == "PUT"
    assert actual["response"]["status"] == 200
    assert app.calls[-1]["REQUEST_METHOD"] == "PUT"  # the preflight itself never reached the app
    assert report["verdict"] == {"allowed": True, "step": None, "reason": None, "hint": None, "notes": []}
    assert report["readable_headers"] == ["content-length", "content-type", "x-total"]
    assert report["preflight_needed"] is True
    assert report["credentials"] is True


def test_a_refused_header_stops_before_the_actual_request(api: tuple[str, RecordingApp]) -> None:
    url, app = api
    before = len(app.calls)
    result = run("check", url, "--origin", APP, "--header", "X-Unlisted:1")
    assert result.returncode == 1
    assert (
        "  browser console: Request header field x-unlisted is not allowed by Access-Control-Allow-Headers "
        "in preflight response.\n"
    ) in result.stdout
    assert (
        "  fix on the server: add x-unlisted to the allowed headers (cors_wsgi: allow_headers=[...])\n" in result.stdout
    )
    assert "verdict: BLOCKED at the preflight" in result.stdout
    assert app.calls[before:] == []


def test_blocked_json_shape(api: tuple[str, RecordingApp]) -> None:
    url, _ = api
    result = run("check", url, "--origin", "https://evil.example", "--method", "DELETE", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert set(report) == {
        "origin", "method", "headers", "credentials", "preflight_needed", "steps", "readable_headers", "verdict",
        "browsers",
    }  # fmt: skip
    assert [engine["browser"] for engine in report["browsers"]] == ["Chrome"]
    assert report["browsers"][0]["console"] == [
        f"Access to fetch at '{url}' from origin 'https://evil.example' has been blocked by CORS policy: "
        "Response to preflight request doesn't pass access control check: "
        "No 'Access-Control-Allow-Origin' header is present on the requested resource."
    ]
    assert report["verdict"]["allowed"] is False
    assert report["verdict"]["step"] == "preflight"
    assert report["verdict"]["reason"] == (
        "Response to preflight request doesn't pass access control check: "
        "No 'Access-Control-Allow-Origin' header is present on the requested resource."
    )
    assert report["steps"][0]["response"]["status"] == 403
    assert len(report["steps"]) == 1


def test_a_refused_origin_on_a_simple_request_is_blocked_after_reaching_the_server(
    api: tuple[str, RecordingApp],
) -> None:
    url, app = api
    before = len(app.calls)
    result = run("check", url, "--origin", "https://evil.example", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["verdict"]["reason"] == (
        "No 'Access-Control-Allow-Origin' header is present on the requested resource."
    )
    assert len(app.calls) == before + 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_port_is_a_network_error() -> None:
    port = _free_port()
    result = run("check", f"http://127.0.0.1:{port}/", "--origin", APP)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"cors-wsgi check: error: cannot reach http://127.0.0.1:{port}/: "
        "connection refused (is the server running on that port?)\n"
    )


@pytest.mark.parametrize(
    ("origin", "message"),
    [
        (
            "https://app.example.com/",
            "cors-wsgi check: error: bad origin 'https://app.example.com/': an origin is scheme://host[:port] as a "
            "browser sends it, lowercase, no default port, no path or trailing slash "
            "(did you mean 'https://app.example.com'?)\n",
        ),
        (
            "app.example.com",
            "cors-wsgi check: error: bad origin 'app.example.com': an origin is scheme://host[:port] as a "
            "browser sends it, lowercase, no default port, no path or trailing slash: an origin needs a scheme "
            "— did you mean 'https://app.example.com'?\n",
        ),
    ],
)
def test_a_bad_origin_is_a_usage_error(api: tuple[str, RecordingApp], origin: str, message: str) -> None:
    url, app = api
    before = len(app.calls)
    result = run("check", url, "--origin", origin)
    assert (result.returncode, result.stderr) == (2, message)
    assert app.calls[before:] == []


@pytest.mark.parametrize("url", ["ftp://example.com/", "example.com/items", "http://"])
def test_a_bad_url_is_a_usage_error(url: str) -> None:
    result = run("check", url, "--origin", APP)
    assert result.returncode == 2
    assert result.stderr == (
        f"cors-wsgi check: error: bad URL {url!r}: expected http://host[:port]/path or https://...\n"
    )


def test_missing_arguments_are_usage_errors() -> None:
    assert run("check", "http://127.0.0.1/").returncode == 2
    assert run().returncode == 2


def test_a_forbidden_header_is_a_usage_error() -> None:
    result = run("check", "http://127.0.0.1:1/", "--origin", APP, "--header", "Connection:close")
    assert result.returncode == 2
    assert result.stderr == (
        "cors-wsgi check: error: header 'Connection': it is a forbidden request header: browsers never let "
        "scripts set it, so listing it has no effect\n"
    )


# -- explain -------------------------------------------------------------------------------------


def test_explain_an_allowed_preflighted_request() -> None:
    result = run(
        "explain", "--origin", APP, "--method", "PUT", "--header", "X-Token:1", "--credentials",
        "--allow-origin", APP, "--allow-credentials", "--allow-method", "PUT", "--allow-header", "X-Token",
        "--expose-header", "X-Total", "--max-age", "600",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "> preflight: OPTIONS",
        ">   Origin: https://app.example.com",
        ">   Access-Control-Request-Method: PUT",
        ">   Access-Control-Request-Headers: x-token",
    ]
    assert "< 204" in lines
    assert "<   Access-Control-Allow-Credentials: true" in lines
    assert "<   Access-Control-Max-Age: 600" in lines
    assert "<   Access-Control-Expose-Headers: X-Total" in lines
    assert lines[-1] == "verdict: ALLOWED (response headers the page can read: content-type)"


def test_explain_a_refused_header_in_json() -> None:
    result = run(
        "explain",
        "--origin",
        APP,
        "--header",
        "X-Token:1",
        "--allow-origin",
        APP,
        "--allow-header",
        "X-Other",
        "--json",
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["steps"][0]["response"]["status"] == 403
    assert report["steps"][0]["middleware_refusal"] == "request header 'x-token' is not allowed (allowed: X-Other)"
    assert report["verdict"]["reason"] == (
        "Response to preflight request doesn't pass access control check: "
        "No 'Access-Control-Allow-Origin' header is present on the requested resource."
    )


def test_explain_in_debug_mode_names_the_culprit_like_the_browser_console() -> None:
    result = run(
        "explain", "--origin", APP, "--header", "X-Token:1", "--allow-origin", APP, "--allow-header", "X-Other",
        "--debug", "--json",
    )  # fmt: skip
    assert result.returncode == 1
    assert json.loads(result.stdout)["verdict"]["reason"] == (
        "Request header field x-token is not allowed by Access-Control-Allow-Headers in preflight response."
    )


def test_explain_wildcard_with_credentials_is_blocked() -> None:
    result = run("explain", "--origin", APP, "--credentials", "--allow-origin", "*", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["verdict"] == {
        "allowed": False,
        "step": "actual",
        "reason": "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard "
        "'*' when the request's credentials mode is 'include'.",
        "hint": "list the origin https://app.example.com explicitly (not '*') and allow credentials "
        "(cors_wsgi: allow_origins=[...], allow_credentials=True)",
        "notes": [],
    }


def test_explain_a_bad_configuration_is_a_usage_error() -> None:
    result = run("explain", "--origin", APP, "--allow-origin", "*", "--allow-credentials")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("cors-wsgi explain: error: invalid CORS configuration (1 problem):\n  - ")
    assert "Traceback" not in result.stderr
