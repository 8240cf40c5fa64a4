"""``cors-wsgi check --browser chromium|firefox|webkit|all`` against a live loopback server: each engine's
verdict and its console lines word for word (the texts below were copied from the engines' consoles;
``tests/browser/test_console_wording.py`` proves them against the real engines)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from cors_wsgi import CORSMiddleware
from tests.support import RecordingApp, serve_wsgi

APP = "http://app.localhost:3000"


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    api = CORSMiddleware(RecordingApp(), allow_origins=[APP], allow_methods=["GET", "PUT"], allow_headers=["X-Token"])
    with serve_wsgi(api) as port:
        yield f"http://127.0.0.1:{port}/items"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cors_wsgi", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_all_three_verdicts_side_by_side_with_each_console(url: str) -> None:
    result = run("check", url, "--origin", "http://evil.localhost:3000", "--method", "PUT", "--browser", "all")
    assert result.returncode == 1
    out = result.stdout
    assert "verdict in Chrome:  BLOCKED at the preflight\n" in out
    assert "verdict in Firefox: BLOCKED at the preflight\n" in out
    assert "verdict in Safari:  BLOCKED at the preflight\n" in out
    assert (
        f"    Access to fetch at '{url}' from origin 'http://evil.localhost:3000' has been blocked by CORS policy: "
        "Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header "
        "is present on the requested resource.\n" in out
    )
    assert (
        "    Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at "
        f"{url}. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 403.\n" in out
    )
    assert (
        "    Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at "
        f"{url}. (Reason: CORS request did not succeed). Status code: (null).\n" in out
    )
    # WebKit checks the preflight's status first: a 403 is "not successful" before any header is read
    assert "    Preflight response is not successful. Status code: 403\n" in out
    assert f"    Fetch API cannot load {url} due to access control checks.\n" in out
    assert "    the script sees: TypeError: Failed to fetch\n" in out
    assert "    the script sees: TypeError: NetworkError when attempting to fetch resource.\n" in out
    assert "    the script sees: TypeError: Load failed\n" in out


REFUSED_ORIGIN = "Origin http://evil.localhost:3000 is not allowed by Access-Control-Allow-Origin. Status code: 200"


def test_one_engine_and_json(url: str) -> None:
    result = run("check", url, "--origin", "http://evil.localhost:3000", "--browser", "webkit", "--json")
    assert result.returncode == 1
    (webkit,) = json.loads(result.stdout)["browsers"]
    assert webkit == {
        "engine": "webkit",
        "browser": "Safari",
        "allowed": False,
        "step": "actual",
        "reasons": [
            "Origin http://evil.localhost:3000 is not allowed by Access-Control-Allow-Origin. Status code: 200"
        ],
        "console": [
            REFUSED_ORIGIN,
            f"Fetch API cannot load {url} due to access control checks.",
        ],
        "script_error": "TypeError: Load failed",
    }


def test_allowed_in_every_engine(url: str) -> None:
    result = run("check", url, "--origin", APP, "--method", "PUT", "--header", "X-Token:1", "--browser", "all")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "verdict in Chrome:  ALLOWED\nverdict in Firefox: ALLOWED\nverdict in Safari:  ALLOWED\n" in result.stdout


def test_a_header_refused_names_it_as_each_engine_does(url: str) -> None:
    args = ("--origin", APP, "--method", "PUT", "--header", "X-Trace-Id:1", "--browser", "all")
    result = run("check", url, *args)
    assert result.returncode == 1
    # the middleware refuses with 403 and no CORS headers: each engine words that failure its own way
    assert "(Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 403." in result.stdout
    result = run(
        "explain", "--allow-origin", APP, "--allow-method", "PUT", "--allow-header", "X-Token", "--debug", *args
    )
    # in debug mode the answer is 200 with the headers it would allow: the engines name the header
    assert (
        "(Reason: header ‘x-trace-id’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS "
        "preflight response)." in result.stdout
    )
    assert "Request header field X-Trace-Id is not allowed by Access-Control-Allow-Headers." in result.stdout
    assert "Request header field x-trace-id is not allowed by Access-Control-Allow-Headers in preflight response." in (
        result.stdout
    )


def test_default_is_chromium_alone(url: str) -> None:
    result = run("check", url, "--origin", "http://evil.localhost:3000", "--json")
    assert [engine["engine"] for engine in json.loads(result.stdout)["browsers"]] == ["chromium"]


def test_an_unknown_engine_is_a_usage_error(url: str) -> None:
    result = run("check", url, "--origin", APP, "--browser", "safari")
    assert result.returncode == 2
    assert "invalid choice: 'safari' (choose from" in result.stderr
