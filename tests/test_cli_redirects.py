"""``cors-wsgi check``: ``--connect-to``, redirects followed like a browser, same-origin requests.

One wsgiref server on loopback plays two hosts, ``api.example.test`` and
``other.example.test`` (``--connect-to`` sends both to it, keeping the URL and the
``Host`` header).  Every request that reaches it is recorded with its ``Origin``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from cors_wsgi import CORSMiddleware
from cors_wsgi.cli import main
from tests.support import serve_wsgi

APP = "http://app.example.test"
API = "http://api.example.test"
OTHER = "http://other.example.test"


def _routes(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Redirects by path; everything else is ``200 done``."""
    path = environ["PATH_INFO"]
    redirects = {
        "/same": ("307 Temporary Redirect", "/final"),
        "/cross": ("302 Found", f"{OTHER}/final"),
        "/see-other": ("303 See Other", "/final"),
        "/loop": ("302 Found", "/loop"),
        "/ftp": ("302 Found", "ftp://files.example.test/x"),
        "/userinfo": ("302 Found", "http://user:secret@api.example.test/final"),
        "/plain/hop": ("302 Found", "/final"),
    }
    if path in redirects:
        status, location = redirects[path]
        start_response(status, [("Location", location), ("Content-Length", "0")])
        return []
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
    return [b"done"]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[list[str], list[tuple[str, str, str, str | None]]]]:
    seen: list[tuple[str, str, str, str | None]] = []
    api = CORSMiddleware(
        _routes,
        resources={"/*": {"allow_origins": [APP], "allow_headers": ["X-Token"]}, "/plain/*": {"allow_origins": []}},
        allow_methods=["GET", "POST", "PUT"],
    )
    other = CORSMiddleware(_routes, allow_origins=["null"], allow_headers=["X-Token"], allow_methods=["PUT"])

    def by_host(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        host = environ["HTTP_HOST"]
        seen.append((host, environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get("HTTP_ORIGIN")))
        return (other if host == "other.example.test" else api)(environ, start_response)

    with serve_wsgi(by_host) as port:
        yield ["--connect-to", f"::127.0.0.1:{port}"], seen


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    status = main(["check", *args, "--json"])
    out = capsys.readouterr().out
    return status, json.loads(out) if out else {}


Server = tuple[list[str], list[tuple[str, str, str, str | None]]]


def test_connect_to_keeps_the_url_and_host(capsys: pytest.CaptureFixture[str], server: Server) -> None:
    connect, seen = server
    del seen[:]
    status, report = check(capsys, f"{API}/final", "--origin", APP, *connect)
    assert status == 0
    assert seen == [("api.example.test", "GET", "/final", APP)]
    assert report["steps"][0]["request"]["url"] == f"{API}/final"


def test_a_same_origin_redirect_keeps_the_origin(capsys: pytest.CaptureFixture[str], server: Server) -> None:
    connect, seen = server
    del seen[:]
    status, report = check(capsys, f"{API}/same", "--origin", APP, *connect)
    assert status == 0
    assert seen == [("api.example.test", "GET", "/same", APP), ("api.example.test", "GET", "/final", APP)]
    assert [step["response"]["status"] for step in report["steps"]] == [307, 200]
    assert report["steps"][1]["redirected_from"] == f"{API}/same"


def test_a_cross_origin_redirect_sends_origin_null(capsys: pytest.CaptureFixture[str], server: Server) -> None:
    connect, seen = server
    del seen[:]
    status, _ = check(capsys, f"{API}/cross", "--origin", APP, *connect)
    assert status == 0  # other.example.test lists "null"
    assert seen == [("api.example.test", "GET", "/cross", APP), ("other.example.test", "GET", "/final", "null")]


def test_a_preflighted_request_is_preflighted_again_after_a_redirect(
    capsys: pytest.CaptureFixture[str], server: Server
) -> None:
    connect, seen = server
    del seen[:]
    status, report = check(
        capsys, f"{API}/cross", "--origin", APP, "--method", "PUT", "--header", "X-Token:1", *connect
    )
    assert status == 0
    assert seen == [
        ("api.example.test", "OPTIONS", "/cross", APP),
        ("api.example.test", "PUT", "/cross", APP),
        ("other.example.test", "OPTIONS", "/final", "null"),
        ("other.example.test", "PUT", "/final", "null"),
    ]
    assert [step["step"] for step in report["steps"]] == ["preflight", "actual", "preflight", "actual"]


def test_see_other_turns_a_post_into_a_get_without_its_content_type(
    capsys: pytest.CaptureFixture[str], server: Server
) -> None:
    connect, seen = server
    del seen[:]
    status, report = check(
        capsys, f"{API}/see-other", "--origin", APP, "--method", "POST", "--header", "Content-Type:text/plain", *connect
    )
    assert status == 0
    assert seen == [("api.example.test", "POST", "/see-other", APP), ("api.example.test", "GET", "/final", APP)]
    assert ["Content-Type", "text/plain"] not in report["steps"][1]["request"]["headers"]


def test_a_redirect_without_cors_headers_blocks_the_request(capsys: pytest.CaptureFixture[str], server: Server) -> None:
    connect, seen = server
    del seen[:]
    status, report = check(capsys, f"{API}/plain/hop", "--origin", APP, *connect)
    assert status == 1
    assert seen == [("api.example.test", "GET", "/plain/hop", APP)]  # the Location is never followed
    assert report["verdict"]["reason"].startswith(
        "No 'Access-Control-Allow-Origin' header is present on the requested resource."
    )


def test_a_redirect_loop_gives_up_after_twenty_redirects(capsys: pytest.CaptureFixture[str], server: Server) -> None:
    connect, seen = server
    del seen[:]
    status, report = check(capsys, f"{API}/loop", "--origin", APP, *connect)
    assert status == 1
    assert len(seen) == 21
    assert report["verdict"]["reason"] == "net::ERR_TOO_MANY_REDIRECTS (more than 20 redirects)"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (
            "/ftp",
            "Redirect location 'ftp://files.example.test/x' has a disallowed scheme for cross-origin requests.",
        ),
        (
            "/userinfo",
            "Redirect location 'http://user:secret@api.example.test/final' contains a username and password, "
            "which is disallowed for cross-origin requests.",
        ),
    ],
)
def test_redirects_a_browser_refuses_to_follow(
    capsys: pytest.CaptureFixture[str], server: Server, path: str, reason: str
) -> None:
    connect, seen = server
    del seen[:]
    status, report = check(capsys, f"{API}{path}", "--origin", APP, *connect)
    assert status == 1
    assert len(seen) == 1
    assert report["verdict"]["reason"] == reason


def test_the_text_report_names_the_redirect(capsys: pytest.CaptureFixture[str], server: Server) -> None:
    connect, _ = server
    assert main(["check", f"{API}/same", "--origin", APP, *connect]) == 0
    assert f"> actual: GET {API}/final (redirected from {API}/same)" in capsys.readouterr().out.splitlines()


def test_a_same_origin_request_needs_no_cors(capsys: pytest.CaptureFixture[str], server: Server) -> None:
    connect, seen = server
    del seen[:]
    status, report = check(capsys, f"{API}/final", "--origin", API, "--method", "DELETE", *connect)
    assert status == 0
    assert seen == []
    assert report["verdict"]["notes"] == ["same-origin request: the browser applies no CORS checks (nothing was sent)"]


@pytest.mark.parametrize("value", ["api.example.test:80", "a:b:c:d", "api.example.test:80::"])
def test_a_bad_connect_to_is_a_usage_error(capsys: pytest.CaptureFixture[str], value: str) -> None:
    assert main(["check", f"{API}/", "--origin", APP, "--connect-to", value]) == 2
    assert capsys.readouterr().err == (
        f"cors-wsgi check: error: bad --connect-to {value!r}: expected HOST:PORT:CONNECT_HOST:CONNECT_PORT "
        "(e.g. api.example.com:443:127.0.0.1:8443; an empty HOST or PORT matches any)\n"
    )
