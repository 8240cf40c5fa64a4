"""``CORS_*`` keys set after ``CORS(app)`` are never silently ignored: they are read again before the first request."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from cors_wsgi import CORSConfigError
from flask_cors_ext import CORS

ORIGIN = "https://app.example.com"
PARTNER = "https://partner.example.com"


def new_app() -> Flask:
    app = Flask(__name__)
    app.add_url_rule("/data", "data", lambda: "data")
    return app


def test_keys_set_after_cors_app_apply_from_the_first_request(caplog: pytest.LogCaptureFixture) -> None:
    app = new_app()
    CORS(app)  # public '*' so far
    app.config["CORS_ORIGINS"] = [ORIGIN]  # e.g. app.config.from_object(...) after the extension
    app.config["CORS_SUPPORTS_CREDENTIALS"] = True
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="cors_wsgi"):
        allowed = client.get("/data", headers={"Origin": ORIGIN})
    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Access-Control-Allow-Origin" not in client.get("/data", headers={"Origin": PARTNER}).headers
    preflight = client.options("/data", headers={"Origin": PARTNER, "Access-Control-Request-Method": "PUT"})
    assert preflight.status_code == 403
    assert [r.getMessage() for r in caplog.records if r.name == "cors_wsgi"] == [
        "CORS_ORIGINS, CORS_SUPPORTS_CREDENTIALS set after CORS(app): the policy is built again with them"
    ]


def test_keyword_options_of_cors_app_still_win_over_late_keys() -> None:
    app = new_app()
    CORS(app, allow_origins=[ORIGIN])
    app.config["CORS_ORIGINS"] = [PARTNER]
    client = app.test_client()
    assert client.get("/data", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Origin" not in client.get("/data", headers={"Origin": PARTNER}).headers


def test_an_invalid_late_key_fails_loudly_before_any_view_runs() -> None:
    app = new_app()
    ran: list[str] = []
    app.before_request(lambda: ran.append("hook") and None)
    CORS(app)
    app.config["CORS_SUPPORTS_CREDENTIALS"] = True  # with the default '*' origins: refused
    with pytest.raises(CORSConfigError) as caught:
        app.test_client().get("/data", headers={"Origin": ORIGIN})
    assert "'*' cannot be combined with allow_credentials=True" in str(caught.value)
    assert ran == []


def test_unchanged_config_is_not_rebuilt(caplog: pytest.LogCaptureFixture) -> None:
    app = new_app()
    app.config["CORS_ORIGINS"] = [ORIGIN]
    CORS(app)
    with caplog.at_level(logging.INFO, logger="cors_wsgi"):
        response = app.test_client().get("/data", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert not [r for r in caplog.records if r.name == "cors_wsgi"]
