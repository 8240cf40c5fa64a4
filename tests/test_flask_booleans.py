"""Boolean options in Flask are real booleans: ``"false"`` is an error, never a truthy ``True``.

``CORS_DEBUG = "false"`` (a string, as an environment variable gives it) used to turn debug
mode on, so that refused preflights carried their reasons in production.  Every boolean
option, through every entry point (``CORS_*`` config keys, ``CORS()``, ``init_app()``,
``@cross_origin``, ``CORS(blueprint)``, ``resources`` entries, the state's ``debug``
setter), now takes True or False only, and anything else is a ``CORSConfigError`` naming
the key as the user spelled it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Blueprint, Flask
from werkzeug.test import TestResponse

from cors_wsgi import CORSConfigError
from flask_cors_ext import CORS, cross_origin

ORIGIN = "https://app.example.com"
EVIL = "https://evil.example"
REASON = "CORS preflight refused: origin 'https://evil.example' is not allowed\n"
ENV_HINT = "environment strings are not parsed; use app.config.from_prefixed_env(), which reads JSON (false/true)"
NOT_BOOLS = ["false", "False", "true", "0", "", 0, 1, "no"]


def new_app(flask_debug: bool = False, config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.debug = flask_debug
    app.testing = True
    app.config.update(config or {})

    @app.route("/data", methods=["GET", "PUT"])
    def data() -> str:
        return "data"

    return app


def refused_preflight(app: Flask) -> TestResponse:
    """A preflight from an origin the policy does not allow: its body is the debug reason, if any."""
    return app.test_client().options("/data", headers={"Origin": EVIL, "Access-Control-Request-Method": "PUT"})


def reason_on_the_wire(app: Flask) -> str:
    response = refused_preflight(app)
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    return response.text


# -- debug, through each entry point ----------------------------------------------------------------


def with_config_key(app: Flask, value: object) -> None:
    app.config["CORS_DEBUG"] = value
    CORS(app, allow_origins=[ORIGIN])


def with_cors_keyword(app: Flask, value: object) -> None:
    CORS(app, allow_origins=[ORIGIN], debug=value)


def with_init_app_keyword(app: Flask, value: object) -> None:
    CORS(allow_origins=[ORIGIN]).init_app(app, debug=value)


def with_factory_constructor(app: Flask, value: object) -> None:
    cors = CORS(allow_origins=[ORIGIN], debug=value)
    cors.init_app(app)


def with_state_setter(app: Flask, value: object) -> None:
    CORS(app, allow_origins=[ORIGIN])
    app.extensions["cors"].debug = value


ENTRY_POINTS: dict[str, tuple[Callable[[Flask, object], None], str]] = {
    "config key": (with_config_key, "'CORS_DEBUG'"),
    "CORS() keyword": (with_cors_keyword, "CORS(): 'debug'"),
    "init_app() keyword": (with_init_app_keyword, "init_app(): 'debug'"),
    "CORS() of a factory": (with_factory_constructor, "CORS(): 'debug'"),
    "state.debug setter": (with_state_setter, "app.extensions['cors'].debug"),
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("flask_debug", [False, True])
def test_debug_false_sends_no_reason_even_in_flask_debug_mode(entry: str, flask_debug: bool) -> None:
    app = new_app(flask_debug)
    ENTRY_POINTS[entry][0](app, False)
    assert reason_on_the_wire(app) == ""


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("flask_debug", [False, True])
def test_debug_true_sends_the_reason(entry: str, flask_debug: bool) -> None:
    app = new_app(flask_debug)
    ENTRY_POINTS[entry][0](app, True)
    assert reason_on_the_wire(app) == REASON


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_debug_as_a_string_is_a_config_error_naming_the_key(entry: str) -> None:
    set_debug, shown = ENTRY_POINTS[entry]
    app = new_app(flask_debug=False)
    with pytest.raises(CORSConfigError) as info:
        set_debug(app, "false")
    message = str(info.value)
    assert f"{shown} expects True or False, not 'false'" in message
    if entry == "config key":
        assert ENV_HINT in message


@pytest.mark.parametrize("value", NOT_BOOLS)
def test_no_string_or_number_is_read_as_a_boolean(value: object) -> None:
    for set_debug, shown in ENTRY_POINTS.values():
        with pytest.raises(CORSConfigError) as info:
            set_debug(new_app(), value)
        assert f"{shown} expects True or False, not {value!r}" in str(info.value)


def test_debug_unset_or_none_follows_flask_debug_mode() -> None:
    for flask_debug, reason in ((False, ""), (True, REASON)):
        app = new_app(flask_debug)
        CORS(app, allow_origins=[ORIGIN])
        assert reason_on_the_wire(app) == reason
        app = new_app(flask_debug)
        CORS(app, allow_origins=[ORIGIN], debug=None)
        assert reason_on_the_wire(app) == reason
        app.extensions["cors"].debug = None
        assert reason_on_the_wire(app) == reason


def test_a_refused_setter_value_leaves_debug_as_it_was() -> None:
    app = new_app(flask_debug=False)
    CORS(app, allow_origins=[ORIGIN], debug=False)
    with pytest.raises(CORSConfigError):
        app.extensions["cors"].debug = "true"
    assert reason_on_the_wire(app) == ""


def test_the_hint_works_from_prefixed_env_reads_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_CORS_DEBUG", "false")
    app = new_app(flask_debug=True)
    app.config.from_prefixed_env()
    CORS(app, allow_origins=[ORIGIN])
    assert reason_on_the_wire(app) == ""


def test_config_read_on_the_first_request_of_a_decorator_only_app() -> None:
    # No CORS(app): the extension installs itself, and reads the config, on the first request.
    app = new_app(flask_debug=False, config={"CORS_DEBUG": "false"})

    @app.route("/special", methods=["GET", "PUT"])
    @cross_origin(allow_origins=[ORIGIN])
    def special() -> str:
        return "special"

    with pytest.raises(CORSConfigError, match="'CORS_DEBUG' expects True or False, not 'false'"):
        app.test_client().get("/special", headers={"Origin": ORIGIN})


def test_cross_origin_refuses_debug_whatever_its_value() -> None:
    for value in ("false", False, True):
        with pytest.raises(CORSConfigError, match="'debug'"):
            cross_origin(debug=value)


# -- the other boolean options ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["supports_credentials", "allow_credentials", "allow_private_network"])
def test_other_boolean_options_refuse_strings_where_they_are_spelled(name: str) -> None:
    config_key = f"CORS_{name.upper()}"
    with pytest.raises(CORSConfigError) as info:
        CORS(new_app(config={config_key: "false", "CORS_ORIGINS": [ORIGIN]}))
    assert f"'{config_key}' expects True or False, not 'false'" in str(info.value)
    assert ENV_HINT in str(info.value)

    with pytest.raises(CORSConfigError, match=f"CORS\\(\\): '{name}' expects True or False, not 'false'"):
        CORS(new_app(), origins=[ORIGIN], **{name: "false"})
    with pytest.raises(CORSConfigError, match=f"init_app\\(\\): '{name}' expects True or False, not 'yes'"):
        CORS().init_app(new_app(), origins=[ORIGIN], **{name: "yes"})
    with pytest.raises(CORSConfigError, match=f"@cross_origin: '{name}' expects True or False, not 'false'"):
        cross_origin(**{name: "false"})
    with pytest.raises(CORSConfigError, match=f"CORS\\(\\): '{name}' expects True or False, not 1"):
        CORS(Blueprint("bp", __name__), **{name: 1})
    with pytest.raises(CORSConfigError, match=rf"resources\['/api/\*'\]: '{name}' expects True or False, not 'false'"):
        CORS(new_app(), resources={"/api/*": {"origins": [ORIGIN], name: "false"}})


@pytest.mark.parametrize("name", ["send_wildcard", "always_send", "vary_header", "automatic_options"])
def test_compatibility_switches_refuse_strings_with_the_same_hint(name: str) -> None:
    with pytest.raises(CORSConfigError) as info:
        CORS(new_app(config={f"CORS_{name.upper()}": "true"}))
    assert f"'CORS_{name.upper()}' expects True or False, not 'true'" in str(info.value)
    assert ENV_HINT in str(info.value)


def test_credentials_false_and_true_on_the_wire_through_the_decorator_and_the_config() -> None:
    app = new_app(config={"CORS_SUPPORTS_CREDENTIALS": True, "CORS_ORIGINS": [ORIGIN]})

    @app.route("/no-cookies")
    @cross_origin(supports_credentials=False)
    def no_cookies() -> str:
        return "no cookies"

    CORS(app)
    client = app.test_client()
    with_cookies = client.get("/data", headers={"Origin": ORIGIN})
    assert with_cookies.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert with_cookies.headers["Access-Control-Allow-Credentials"] == "true"
    without = client.get("/no-cookies", headers={"Origin": ORIGIN})
    assert without.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Credentials" not in without.headers
