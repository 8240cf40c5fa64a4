"""``cors-wsgi``'s everyday edges: --version, local HTTPS, hints for a mistyped origin or a Cookie header,
and the reason a debug-mode server gives for a refused preflight — run as a user would, against real
loopback servers."""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from cors_wsgi import CORSMiddleware
from tests.support import RecordingApp, ThreadingWSGIServer, serve_wsgi

APP = "https://app.example.com"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cors_wsgi", *args], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture(scope="module")
def debug_api() -> Iterator[str]:
    wrapped = CORSMiddleware(RecordingApp(), allow_origins=[APP], allow_methods=["GET", "PUT"], debug=True)
    with serve_wsgi(wrapped) as port:
        yield f"http://127.0.0.1:{port}/items"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def https_api(ca: trustme.CA) -> Iterator[str]:
    """An HTTPS server on loopback whose certificate (for 127.0.0.1) comes from a CA no system trusts."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)

    class TLSServer(ThreadingWSGIServer):
        def server_bind(self) -> None:
            super().server_bind()
            self.socket = context.wrap_socket(self.socket, server_side=True)

    with serve_wsgi(CORSMiddleware(RecordingApp(), allow_origins=[APP]), server_class=TLSServer) as port:
        yield f"https://127.0.0.1:{port}/items"


def test_version() -> None:
    from cors_wsgi import __version__

    result = run("--version")
    assert result.returncode == 0
    assert result.stdout == f"cors-wsgi {__version__}\n"
    assert __version__.count(".") == 2


def test_an_origin_without_scheme_gets_the_did_you_mean_of_the_config_parser() -> None:
    result = run("check", "http://127.0.0.1:9/", "--origin", "app.example.com")
    assert result.returncode == 2
    assert "did you mean 'https://app.example.com'?" in result.stderr


def test_an_origin_in_the_wrong_case_gets_its_browser_spelling() -> None:
    result = run("check", "http://127.0.0.1:9/", "--origin", "https://App.Example.com/")
    assert result.returncode == 2
    assert "(did you mean 'https://app.example.com'?)" in result.stderr


def test_a_cookie_header_points_at_credentials() -> None:
    result = run("check", "http://127.0.0.1:9/", "--origin", APP, "--header", "Cookie:a=b")
    assert result.returncode == 2
    assert "use --credentials" in result.stderr


def test_a_refused_preflight_names_every_candidate_and_debug_mode() -> None:
    result = run("explain", "--allow-origin", APP, "--origin", "https://other.example", "--method", "PROPFIND")
    assert result.returncode == 1
    # explain knows the policy: only the origin and the method are refused, and it says exactly that
    assert "fix on the server: add 'https://other.example' to allow_origins" in result.stdout
    assert "fix on the server: add 'PROPFIND' to allow_methods" in result.stdout


def test_check_against_a_server_that_refuses_quietly(debug_api: str) -> None:
    server = CORSMiddleware(RecordingApp(), allow_origins=[APP], allow_methods=["GET"])
    with serve_wsgi(server) as port:
        result = run("check", f"http://127.0.0.1:{port}/x", "--origin", APP, "--method", "PROPFIND")
    assert result.returncode == 1
    # check cannot know which one was refused: it names the candidates and how to find out
    assert "the server refused the origin https://app.example.com or the method PROPFIND" in result.stdout
    assert "debug=True" in result.stdout
    assert "allow the origin" not in result.stdout


def test_check_shows_the_reason_a_debug_mode_server_gives(debug_api: str) -> None:
    result = run("check", debug_api, "--origin", "https://other.example", "--method", "PUT")
    assert result.returncode == 1
    assert "  server (debug mode): refused, origin 'https://other.example' is not allowed" in result.stdout


def test_local_https_with_an_untrusted_certificate_says_what_to_do(https_api: str) -> None:
    result = run("check", https_api, "--origin", APP)
    assert result.returncode == 2
    assert "certificate verify failed" in result.stderr
    assert "--cacert FILE" in result.stderr
    assert "--insecure" in result.stderr


def test_cacert_trusts_a_local_ca(https_api: str, ca: trustme.CA, tmp_path: Path) -> None:
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    result = run("check", https_api, "--origin", APP, "--cacert", str(pem))
    assert result.returncode == 0, result.stderr
    assert "<   Access-Control-Allow-Origin: https://app.example.com" in result.stdout


def test_insecure_skips_the_certificate_check(https_api: str) -> None:
    result = run("check", https_api, "--origin", APP, "--insecure")
    assert result.returncode == 0, result.stderr
    assert "verdict: ALLOWED" in result.stdout


def test_a_cacert_that_is_not_pem_is_a_usage_error(tmp_path: Path, https_api: str) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    result = run("check", https_api, "--origin", APP, "--cacert", str(bad))
    assert result.returncode == 2
    assert f"--cacert {bad}: cannot load it as PEM certificates" in result.stderr
