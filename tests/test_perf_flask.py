"""The Flask extension's shortcuts of issue 14, seen from outside.

An application-wide policy is answered as the core answers (no routing) unless a view
has a policy of its own; ``@cross_origin`` without ``CORS(app)`` installs the
extension through the application it is registered with, not through a process-wide
signal receiver that every other Flask application would pay for.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from flask import Flask

from flask_cors_ext import CORS, cross_origin

ORIGIN = "https://app.example.com"
PARTNER = "https://partner.example.com"


def preflight_headers(origin: str = ORIGIN, method: str = "PUT") -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method}


def test_a_view_with_its_own_policy_added_after_cors_app_gets_it() -> None:
    app = Flask("late_view")

    @app.route("/items")
    def items() -> str:
        return "items"

    CORS(app, allow_origins=[ORIGIN])

    @app.route("/partner", methods=["GET", "PUT"])
    @cross_origin(allow_origins=[PARTNER])
    def partner() -> str:
        return "partner"

    client = app.test_client()
    assert client.get("/items", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == ORIGIN
    response = client.get("/partner", headers={"Origin": PARTNER})
    assert response.headers["Access-Control-Allow-Origin"] == PARTNER
    assert "Access-Control-Allow-Origin" not in client.get("/partner", headers={"Origin": ORIGIN}).headers
    answer = client.options("/partner", headers=preflight_headers(PARTNER))
    assert (answer.status_code, answer.headers["Access-Control-Allow-Origin"]) == (204, PARTNER)
    assert client.get("/items", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == ORIGIN


def test_an_app_wide_refusal_is_logged_with_method_and_path(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="cors_wsgi")
    app = Flask("refusal_log")

    @app.route("/items", methods=["GET", "PUT"])
    def items() -> str:
        return "items"

    CORS(app, allow_origins=[ORIGIN])
    client = app.test_client()
    client.get("/items", headers={"Origin": "https://evil.example"})
    client.options("/items", headers=preflight_headers("https://evil.example"))
    assert [r.getMessage() for r in caplog.records if r.name == "cors_wsgi"] == [
        "CORS origin refused: 'https://evil.example' on 'GET' '/items'",
        "CORS preflight refused: 'OPTIONS' '/items': origin 'https://evil.example' is not allowed",
    ]


def decorator_only_app(name: str) -> tuple[Flask, list[str]]:
    """A decorated view, no CORS(app), and a before_request hook refusing everything it sees."""
    app = Flask(name)
    hooked: list[str] = []

    @app.route("/special", methods=["GET", "PUT"])
    @cross_origin(allow_origins=[PARTNER], max_age=30)
    def special() -> str:
        return "special"

    @app.before_request
    def authenticate() -> tuple[str, int]:
        hooked.append(app.name)
        return "login first", 401

    return app, hooked


def test_a_decorator_only_app_answers_its_first_preflight_before_the_hooks() -> None:
    app, hooked = decorator_only_app("decorated_first")
    client = app.test_client()
    for _ in range(2):
        answer = client.options("/special", headers=preflight_headers(PARTNER))
        assert (answer.status_code, answer.headers["Access-Control-Allow-Origin"]) == (204, PARTNER)
        assert answer.headers["Access-Control-Max-Age"] == "30"
    assert hooked == []
    refused = client.get("/special", headers={"Origin": PARTNER})  # the hook's 401 still carries CORS
    assert (refused.status_code, refused.headers["Access-Control-Allow-Origin"]) == (401, PARTNER)


def test_a_decorator_only_app_wrapped_again_after_registration_runs_the_wrapper_once() -> None:
    app, hooked = decorator_only_app("decorated_wrapped")
    seen: list[str] = []
    inner = app.wsgi_app

    def proxy_fix(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append(environ["REQUEST_METHOD"])
        return inner(environ, start_response)

    app.wsgi_app = proxy_fix  # type: ignore[method-assign]
    client = app.test_client()
    first = client.options("/special", headers=preflight_headers(PARTNER))
    later = client.options("/special", headers=preflight_headers(PARTNER))
    assert first.status_code == later.status_code == 204
    assert first.headers["Access-Control-Allow-Origin"] == later.headers["Access-Control-Allow-Origin"] == PARTNER
    assert client.get("/special", headers={"Origin": PARTNER}).headers["Access-Control-Allow-Origin"] == PARTNER
    assert seen == ["OPTIONS", "OPTIONS", "GET"]
    assert hooked == ["decorated_wrapped"]  # the GET only


def test_cors_app_after_registering_decorated_views_answers_once_per_request() -> None:
    app = Flask("decorated_then_cors")
    calls: list[str] = []

    @app.route("/special", methods=["GET", "PUT"])
    @cross_origin(allow_origins=[PARTNER])
    def special() -> str:
        calls.append("special")
        return "special"

    CORS(app, allow_origins=[ORIGIN], allow_credentials=True)
    client = app.test_client()
    response = client.get("/special", headers={"Origin": PARTNER})
    assert response.headers.getlist("Access-Control-Allow-Origin") == [PARTNER]
    assert response.headers.getlist("Vary") == ["Origin"]
    assert calls == ["special"]


@pytest.mark.parametrize(
    ("module", "option"), [("flask_cors_ext", "allow_origins"), ("flask_cors_ext.compat", "origins")]
)
def test_using_cross_origin_leaves_other_applications_without_a_signal_receiver(module: str, option: str) -> None:
    # A fresh interpreter: nothing another test connected may hide a receiver connected here.
    script = textwrap.dedent(
        f"""
        from flask import Flask, request_started
        from {module} import cross_origin

        app = Flask("decorated")

        @app.route("/special")
        @cross_origin({option}=[{PARTNER!r}])
        def special():
            return "special"

        answer = app.test_client().get("/special", headers={{"Origin": {PARTNER!r}}})
        assert answer.headers["Access-Control-Allow-Origin"] == {PARTNER!r}, answer.headers
        other = Flask("other")
        other.add_url_rule("/", "index", lambda: "ok")
        assert other.test_client().get("/").status_code == 200
        assert not request_started.receivers, request_started.receivers
        print("no receiver")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no receiver"
