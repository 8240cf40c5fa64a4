"""flask_cors_ext options: both vocabularies (core names and flask-cors aliases) as keywords, ``CORS_*``
config keys and ``@cross_origin`` options; precedence decorator > blueprint/resource > keywords >
config > defaults; configuration errors raised at CORS()/init_app/decoration time, never at a request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from cors_wsgi import CORSConfigError
from flask_cors_ext import CORS, cross_origin

ORIGIN = "https://app.example.com"
PARTNER = "https://partner.example.com"
EVIL = "https://evil.example"
ALL_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE"


def preflight(
    client: FlaskClient, path: str = "/data", origin: str = ORIGIN, method: str = "PUT", headers: str | None = None
) -> TestResponse:
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        request_headers["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=request_headers)


def cors_headers(response: TestResponse) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name.lower().startswith("access-control-")}


def new_app(config: dict[str, Any] | None = None) -> Flask:
    """An app with /data (GET, PUT, DELETE) answering with an X-Total header, and ``config`` applied."""
    app = Flask(__name__)
    app.config.update(config or {})

    @app.route("/data", methods=["GET", "PUT", "DELETE"])
    def data() -> tuple[str, dict[str, str]]:
        return "data", {"X-Total": "3"}

    return app


def config_keys(options: dict[str, Any]) -> dict[str, Any]:
    """``{"max_age": 1}`` -> ``{"CORS_MAX_AGE": 1}``."""
    return {f"CORS_{name.upper()}": value for name, value in options.items()}


# -- what each option does on the wire -----------------------------------------------------------


def check_origins(client: FlaskClient) -> None:
    assert client.get("/data", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == ORIGIN
    assert cors_headers(client.get("/data", headers={"Origin": EVIL})) == {}
    assert preflight(client).headers["Access-Control-Allow-Origin"] == ORIGIN
    assert preflight(client, origin=EVIL).status_code == 403


def check_origin_regex(client: FlaskClient) -> None:
    tenant = "https://tenant.example.com"
    assert client.get("/data", headers={"Origin": tenant}).headers["Access-Control-Allow-Origin"] == tenant
    assert cors_headers(client.get("/data", headers={"Origin": "https://tenant.example.com.evil.net"})) == {}


def check_methods(client: FlaskClient) -> None:
    allowed = preflight(client, method="PUT")
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert preflight(client, method="DELETE").status_code == 403


def check_credentials(client: FlaskClient) -> None:
    actual = client.get("/data", headers={"Origin": ORIGIN, "Cookie": "session=1"})
    assert actual.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert actual.headers["Access-Control-Allow-Credentials"] == "true"
    assert preflight(client).headers["Access-Control-Allow-Credentials"] == "true"


def check_allow_headers(client: FlaskClient) -> None:
    allowed = preflight(client, headers="x-token")
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Headers"] == "X-Token"
    assert preflight(client, headers="x-token,x-other").status_code == 403


def check_expose_headers(client: FlaskClient) -> None:
    response = client.get("/data", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Expose-Headers"] == "X-Total"
    assert "Access-Control-Expose-Headers" not in preflight(client).headers


def check_max_age(client: FlaskClient) -> None:
    assert preflight(client).headers["Access-Control-Max-Age"] == "600"


def check_private_network(client: FlaskClient) -> None:
    asked = client.options(
        "/data",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert asked.status_code == 204
    assert asked.headers["Access-Control-Allow-Private-Network"] == "true"
    assert "Access-Control-Allow-Private-Network" not in preflight(client).headers


Scenario = tuple[dict[str, Any], Callable[[FlaskClient], None]]

#: flask-cors spellings: a flask-cors user changes only the import.
FLASK_CORS_SCENARIOS: dict[str, Scenario] = {
    "origins": ({"origins": [ORIGIN]}, check_origins),
    "origins-as-str": ({"origins": ORIGIN}, check_origins),
    "methods": ({"methods": ["GET", "PUT"]}, check_methods),
    "supports_credentials": ({"origins": [ORIGIN], "supports_credentials": True}, check_credentials),
    "allow_headers": ({"allow_headers": ["X-Token"]}, check_allow_headers),
    "expose_headers": ({"expose_headers": ["X-Total"]}, check_expose_headers),
    "max_age": ({"max_age": 600}, check_max_age),
    "max_age-timedelta": ({"max_age": timedelta(minutes=10)}, check_max_age),
    "allow_private_network": ({"allow_private_network": True}, check_private_network),
}

#: The core's own names.
CORE_SCENARIOS: dict[str, Scenario] = {
    "allow_origins": ({"allow_origins": [ORIGIN]}, check_origins),
    "allow_origin_regex": ({"allow_origin_regex": r"https://[a-z]+\.example\.com"}, check_origin_regex),
    "allow_methods": ({"allow_methods": ["GET", "PUT"]}, check_methods),
    "allow_credentials": ({"allow_origins": [ORIGIN], "allow_credentials": True}, check_credentials),
    "allow_headers": ({"allow_headers": ["X-Token"]}, check_allow_headers),
    "expose_headers": ({"expose_headers": ["X-Total"]}, check_expose_headers),
    "max_age": ({"max_age": 600}, check_max_age),
    "allow_private_network": ({"allow_private_network": True}, check_private_network),
}

ALL_SCENARIOS = [
    pytest.param(options, check, id=f"{vocabulary}-{name}")
    for vocabulary, scenarios in (("flask_cors", FLASK_CORS_SCENARIOS), ("core", CORE_SCENARIOS))
    for name, (options, check) in scenarios.items()
]


@pytest.mark.parametrize(("options", "check"), ALL_SCENARIOS)
def test_option_as_cors_keyword(options: dict[str, Any], check: Callable[[FlaskClient], None]) -> None:
    app = new_app()
    CORS(app, **options)
    check(app.test_client())


@pytest.mark.parametrize(("options", "check"), ALL_SCENARIOS)
def test_option_as_init_app_keyword(options: dict[str, Any], check: Callable[[FlaskClient], None]) -> None:
    app = new_app()
    CORS().init_app(app, **options)
    check(app.test_client())


@pytest.mark.parametrize(("options", "check"), ALL_SCENARIOS)
def test_option_as_cors_config_key(options: dict[str, Any], check: Callable[[FlaskClient], None]) -> None:
    app = new_app(config_keys(options))
    CORS().init_app(app)
    check(app.test_client())


@pytest.mark.parametrize(("options", "check"), ALL_SCENARIOS)
def test_option_in_cross_origin(options: dict[str, Any], check: Callable[[FlaskClient], None]) -> None:
    app = Flask(__name__)
    CORS(app, resources={"/elsewhere/*": {}})  # the decorated view's policy is the decorator's alone

    @app.route("/data", methods=["GET", "PUT", "DELETE"])
    @cross_origin(**options)
    def data() -> tuple[str, dict[str, str]]:
        return "data", {"X-Total": "3"}

    check(app.test_client())


def test_config_keys_spelled_like_flask_cors_documents_them() -> None:
    app = new_app(
        {
            "CORS_ORIGINS": [ORIGIN],
            "CORS_METHODS": ["GET", "PUT"],
            "CORS_SUPPORTS_CREDENTIALS": True,
            "CORS_ALLOW_HEADERS": ["X-Token"],
            "CORS_EXPOSE_HEADERS": ["X-Total"],
            "CORS_MAX_AGE": 600,
            "CORS_SEND_WILDCARD": False,
            "CORS_VARY_HEADER": True,
            "CORS_AUTOMATIC_OPTIONS": True,
            "CORS_ALWAYS_SEND": True,
            "CORS_INTERCEPT_EXCEPTIONS": True,
            "CORS_ALLOW_PRIVATE_NETWORK": False,
            "SECRET_KEY": "not a CORS key",
        }
    )
    CORS(app)
    client = app.test_client()
    check_origins(client)
    check_methods(client)
    check_credentials(client)
    check_allow_headers(client)
    check_expose_headers(client)
    check_max_age(client)


def test_config_is_read_at_init_app_not_when_the_app_is_created() -> None:
    app = new_app()
    cors = CORS()
    app.config.update(CORS_ORIGINS=[ORIGIN])
    cors.init_app(app)
    check_origins(app.test_client())


# -- flask-cors switches without a counterpart ----------------------------------------------------


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize("name", ["send_wildcard", "always_send"])
def test_switches_that_change_nothing_are_accepted_in_every_spelling(name: str, value: bool) -> None:
    keyword_app = new_app()
    CORS(keyword_app, **{name: value})
    config_app = new_app(config_keys({name: value}))
    CORS(config_app)
    cross_origin(**{name: value})  # accepted by the decorator too
    for app in (keyword_app, config_app):
        client = app.test_client()
        # A public policy always answers a static '*' (send_wildcard), with or without Origin
        # (always_send), whatever the switches say.
        assert cors_headers(client.get("/data", headers={"Origin": ORIGIN})) == {"Access-Control-Allow-Origin": "*"}
        assert cors_headers(client.get("/data")) == {"Access-Control-Allow-Origin": "*"}


def test_send_wildcard_never_turns_a_listed_origin_into_star() -> None:
    app = new_app()
    CORS(app, origins=[ORIGIN], send_wildcard=True)
    response = app.test_client().get("/data", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Vary"] == "Origin"


@pytest.mark.parametrize("name", ["vary_header", "automatic_options", "intercept_exceptions"])
def test_switches_that_are_always_on_accept_true(name: str) -> None:
    app = new_app(config_keys({name: True}))
    CORS(app, **{name: True})
    cross_origin(**{name: True})
    assert app.test_client().get("/data", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == "*"


REFUSED_SWITCHES = [
    ("vary_header", "'Vary: Origin' is always sent when the answer depends on the origin"),
    ("automatic_options", "preflights are always answered by the middleware"),
    ("intercept_exceptions", r"error responses \(404, 405, 500\) always carry the CORS headers"),
]


@pytest.mark.parametrize(("name", "why"), REFUSED_SWITCHES)
def test_switching_off_a_safety_is_refused_with_the_reason(name: str, why: str) -> None:
    with pytest.raises(CORSConfigError, match=f"'{name}'=False is not supported: {why}"):
        CORS(new_app(), **{name: False})
    with pytest.raises(CORSConfigError, match=f"'CORS_{name.upper()}'=False is not supported: {why}"):
        CORS(new_app(config_keys({name: False})))
    with pytest.raises(CORSConfigError, match=f"'{name}'=False is not supported: {why}"):
        cross_origin(**{name: False})


@pytest.mark.parametrize("name", ["send_wildcard", "always_send", "vary_header"])
def test_switches_expect_booleans(name: str) -> None:
    with pytest.raises(CORSConfigError, match=f"'{name}' expects True or False, not 'yes'"):
        CORS(new_app(), **{name: "yes"})


# -- one option, two spellings ----------------------------------------------------------------------

SAME_OPTION = [
    ({"origins": [ORIGIN], "allow_origins": [ORIGIN]}, "origins", "allow_origins"),
    ({"methods": ["GET"], "allow_methods": ["GET"]}, "methods", "allow_methods"),
    ({"supports_credentials": True, "allow_credentials": True}, "supports_credentials", "allow_credentials"),
]


@pytest.mark.parametrize(("options", "alias", "core"), SAME_OPTION)
def test_both_spellings_of_an_option_as_keywords_are_an_error(options: dict[str, Any], alias: str, core: str) -> None:
    message = f"'{alias}' and '{core}' are the same option; give it once \\(as '{core}'\\)"
    with pytest.raises(CORSConfigError, match=message):
        CORS(new_app(), **options)
    with pytest.raises(CORSConfigError, match=message):
        CORS(**options)  # checked without an app too
    with pytest.raises(CORSConfigError, match=message):
        CORS().init_app(new_app(), **options)
    with pytest.raises(CORSConfigError, match=message):
        cross_origin(**options)


@pytest.mark.parametrize(("options", "alias", "core"), SAME_OPTION)
def test_both_spellings_of_an_option_as_config_keys_are_an_error(
    options: dict[str, Any], alias: str, core: str
) -> None:
    app = new_app(config_keys(options))
    cors = CORS()
    with pytest.raises(CORSConfigError, match=f"'CORS_{alias.upper()}' and 'CORS_{core.upper()}' are the same option"):
        cors.init_app(app)


def test_the_same_option_from_config_and_keyword_is_precedence_not_an_error() -> None:
    app = new_app({"CORS_ALLOW_ORIGINS": [PARTNER]})
    CORS(app, origins=[ORIGIN])
    check_origins(app.test_client())


# -- unknown names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("orgins", "origins"),
        ("allow_origin", "allow_origins"),
        ("supports_credential", "supports_credentials"),
        ("expose_header", "expose_headers"),
        ("max_ages", "max_age"),
    ],
)
def test_unknown_option_is_an_error_with_a_suggestion(name: str, suggestion: str) -> None:
    message = f"unknown option '{name}' — did you mean '{suggestion}'\\?"
    with pytest.raises(CORSConfigError, match=f"CORS\\(\\): {message}"):
        CORS(new_app(), **{name: "x"})
    with pytest.raises(CORSConfigError, match=f"init_app\\(\\): {message}"):
        CORS().init_app(new_app(), **{name: "x"})
    with pytest.raises(CORSConfigError, match=f"@cross_origin: {message}"):
        cross_origin(**{name: "x"})


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("CORS_ORIGIN", "CORS_ORIGINS"),
        ("CORS_ALLOW_ORIGIN", "CORS_ALLOW_ORIGINS"),
        ("CORS_SUPPORT_CREDENTIALS", "CORS_SUPPORTS_CREDENTIALS"),
        ("CORS_EXPOSE_HEADER", "CORS_EXPOSE_HEADERS"),
    ],
)
def test_unknown_cors_config_key_is_an_error_at_init_app_with_a_suggestion(key: str, suggestion: str) -> None:
    app = new_app({key: "x"})
    cors = CORS()
    with pytest.raises(CORSConfigError, match=f"app.config: unknown option '{key}' — did you mean '{suggestion}'\\?"):
        cors.init_app(app)


def test_every_problem_is_reported_at_once_before_any_request() -> None:
    app = new_app()
    with pytest.raises(CORSConfigError) as caught:
        CORS(app, origins=["https://app.example.com/path"], methods=["TRACE"], max_age=-1, orgins=[ORIGIN])
    # Names are checked first; fix them and every value problem is listed together.
    assert len(caught.value.problems) == 1
    with pytest.raises(CORSConfigError) as caught:
        CORS(app, origins=["https://app.example.com/path"], methods=["TRACE"], max_age=-1)
    assert len(caught.value.problems) == 3
    text = str(caught.value)
    assert "an origin has no path — did you mean 'https://app.example.com'?" in text
    assert "'TRACE': browsers forbid this method" in text
    assert "max_age -1: must be between 0 and 86400 seconds" in text


def test_flask_cors_regex_origins_are_pointed_to_allow_origin_regex() -> None:
    with pytest.raises(CORSConfigError, match="looks like a regular expression; pass it as allow_origin_regex"):
        CORS(new_app(), origins=[r"https://.*\.example\.com"])


# -- '*' with credentials ---------------------------------------------------------------------------

SAFE_ALTERNATIVE = (
    r"'\*' cannot be combined with allow_credentials=True: it would let every web site read responses with "
    r"your users' cookies — list the trusted origins explicitly, or use allow_origin_regex / allow_origin_func"
)


@pytest.mark.parametrize(
    ("config", "options"),
    [
        ({}, {"origins": "*", "supports_credentials": True}),
        ({}, {"allow_origins": ["*"], "allow_credentials": True}),
        ({}, {"supports_credentials": True}),  # '*' is the default
        ({"CORS_SUPPORTS_CREDENTIALS": True}, {}),
        ({"CORS_ORIGINS": "*", "CORS_ALLOW_CREDENTIALS": True}, {}),
        ({"CORS_ORIGINS": "*"}, {"supports_credentials": True}),
    ],
)
def test_star_with_credentials_is_refused_at_cors_time_naming_the_safe_alternative(
    config: dict[str, Any], options: dict[str, Any]
) -> None:
    with pytest.raises(CORSConfigError, match=SAFE_ALTERNATIVE):
        CORS(new_app(config), **options)


def test_star_with_credentials_is_refused_at_init_app_in_a_factory() -> None:
    cors = CORS(supports_credentials=True)  # origins may still come from each app's config
    good = new_app({"CORS_ORIGINS": [ORIGIN]})
    cors.init_app(good)
    check_credentials(good.test_client())
    with pytest.raises(CORSConfigError, match=SAFE_ALTERNATIVE):
        cors.init_app(new_app())


def test_null_origin_with_credentials_is_refused() -> None:
    with pytest.raises(CORSConfigError, match="'null' cannot be combined with allow_credentials=True"):
        CORS(new_app(), origins=["null"], supports_credentials=True)


def test_star_with_credentials_never_reaches_the_wire() -> None:
    # flask-cors echoes any origin with credentials here; this library refused it above, and its
    # public default answers a static '*' that browsers refuse for credentialed requests.
    app = new_app()
    CORS(app)
    response = app.test_client().get("/data", headers={"Origin": EVIL, "Cookie": "session=1"})
    assert cors_headers(response) == {"Access-Control-Allow-Origin": "*"}


# -- precedence: decorator > blueprint / resource > keywords > config > defaults -------------------


def test_defaults_without_any_option() -> None:
    app = new_app()
    CORS(app)
    answer = preflight(app.test_client(), origin=EVIL, headers="x-anything")
    assert cors_headers(answer) == {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": ALL_METHODS,
        "Access-Control-Allow-Headers": "x-anything",
    }


def test_config_overrides_defaults() -> None:
    app = new_app({"CORS_METHODS": ["GET", "PUT"], "CORS_MAX_AGE": 100})
    CORS(app)
    answer = preflight(app.test_client(), origin=EVIL)
    assert answer.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert answer.headers["Access-Control-Max-Age"] == "100"


def test_keywords_override_config_and_config_fills_in_the_rest() -> None:
    app = new_app({"CORS_ALLOW_ORIGINS": [ORIGIN], "CORS_MAX_AGE": 100, "CORS_EXPOSE_HEADERS": ["X-Total"]})
    CORS(app, max_age=200)
    client = app.test_client()
    assert preflight(client).headers["Access-Control-Max-Age"] == "200"
    check_origins(client)  # from config
    check_expose_headers(client)  # from config


def test_init_app_keywords_override_the_constructors() -> None:
    cors = CORS(origins=[PARTNER], max_age=600)
    app = new_app()
    cors.init_app(app, allow_origins=[ORIGIN])
    client = app.test_client()
    check_origins(client)
    check_max_age(client)


def test_resource_options_override_keywords_and_config() -> None:
    app = Flask(__name__)
    app.config.update(CORS_EXPOSE_HEADERS=["X-Total"], CORS_MAX_AGE=10)
    for rule in ("/api/items", "/other"):
        app.add_url_rule(rule, rule, lambda: ("data", {"X-Total": "3"}))
    CORS(
        app,
        allow_origins=[ORIGIN],
        max_age=100,
        resources={"/api/*": {"max_age": 50, "expose_headers": ["X-Api"]}, "/*": {}},
    )
    client = app.test_client()
    api = preflight(client, "/api/items", method="GET")
    assert api.headers["Access-Control-Max-Age"] == "50"
    assert api.headers["Access-Control-Allow-Origin"] == ORIGIN  # from the keywords
    assert client.get("/api/items", headers={"Origin": ORIGIN}).headers["Access-Control-Expose-Headers"] == "X-Api"
    other = preflight(client, "/other", method="GET")
    assert other.headers["Access-Control-Max-Age"] == "100"
    assert client.get("/other", headers={"Origin": ORIGIN}).headers["Access-Control-Expose-Headers"] == "X-Total"
    assert preflight(client, "/other", origin=EVIL).status_code == 403


def layered_app() -> Flask:
    """max_age set at every level: config 10, CORS(app) 20, CORS(blueprint) 30, @cross_origin 40.

    Each level also sets one option nobody below overrides, to prove it is inherited.
    """
    app = Flask(__name__)
    app.config.update(CORS_MAX_AGE=10, CORS_EXPOSE_HEADERS=["X-Total"])

    @app.route("/plain")
    def plain() -> tuple[str, dict[str, str]]:
        return "plain", {"X-Total": "3"}

    @app.route("/special")
    @cross_origin(max_age=40)
    def special() -> str:
        return "special"

    blueprint = Blueprint("bp", __name__, url_prefix="/bp")

    @blueprint.route("/plain")
    def bp_plain() -> tuple[str, dict[str, str]]:
        return "bp", {"X-Total": "3"}

    @blueprint.route("/special")
    @cross_origin(max_age=40, allow_headers=["X-Token"])
    def bp_special() -> tuple[str, dict[str, str]]:
        return "bp special", {"X-Total": "3"}

    CORS(app, max_age=20, allow_origins=[ORIGIN])
    CORS(blueprint, max_age=30, allow_credentials=True)
    app.register_blueprint(blueprint)
    return app


@pytest.mark.parametrize(
    ("path", "max_age", "credentials"),
    [
        ("/plain", "20", None),  # keywords > config
        ("/special", "40", None),  # decorator > keywords
        ("/bp/plain", "30", "true"),  # blueprint > keywords
        ("/bp/special", "40", "true"),  # decorator > blueprint
    ],
)
def test_each_level_overrides_the_next_and_inherits_the_rest(path: str, max_age: str, credentials: str | None) -> None:
    client = layered_app().test_client()
    answer = preflight(client, path, method="GET", headers="x-token")
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Max-Age"] == max_age
    assert answer.headers.get("Access-Control-Allow-Credentials") == credentials
    actual = client.get(path, headers={"Origin": ORIGIN})
    assert actual.headers["Access-Control-Allow-Origin"] == ORIGIN  # CORS(app)'s origins, inherited everywhere
    assert preflight(client, path, origin=EVIL, method="GET").status_code == 403


def test_config_reaches_blueprint_and_decorated_views() -> None:
    client = layered_app().test_client()
    for path in ("/plain", "/bp/plain", "/bp/special"):
        assert client.get(path, headers={"Origin": ORIGIN}).headers["Access-Control-Expose-Headers"] == "X-Total"


def test_a_decorators_own_header_list_applies_to_its_view_only() -> None:
    client = layered_app().test_client()
    assert preflight(client, "/bp/special", method="GET", headers="x-other").status_code == 403
    assert preflight(client, "/bp/plain", method="GET", headers="x-other").status_code == 204


def test_blueprint_overrides_config_without_cors_app() -> None:
    app = Flask(__name__)
    app.config.update(CORS_ORIGINS=[ORIGIN], CORS_MAX_AGE=10)
    blueprint = Blueprint("bp", __name__)
    blueprint.add_url_rule("/data", "data", lambda: "data")
    CORS(blueprint, max_age=30)
    app.register_blueprint(blueprint)
    client = app.test_client()
    answer = preflight(client)
    assert answer.headers["Access-Control-Max-Age"] == "30"
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN  # from config
    assert preflight(client, origin=EVIL).status_code == 403


def test_decorator_inside_a_resource_pattern_inherits_the_resource_options() -> None:
    app = Flask(__name__)
    CORS(app, resources={"/api/*": {"allow_origins": [ORIGIN]}})

    @app.route("/api/special")
    @cross_origin(max_age=60)
    def special() -> str:
        return "special"

    client = app.test_client()
    assert preflight(client, "/api/special").headers["Access-Control-Max-Age"] == "60"
    assert client.get("/api/special", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == ORIGIN
    assert cors_headers(client.get("/api/special", headers={"Origin": EVIL})) == {}


def test_blueprint_inside_a_resource_pattern_keeps_the_resource_origins() -> None:
    app = Flask(__name__)
    blueprint = Blueprint("api", __name__, url_prefix="/api")
    blueprint.add_url_rule("/items", "items", lambda: "items")
    CORS(blueprint, max_age=60)
    app.register_blueprint(blueprint)
    CORS(app, resources={"/api/*": {"allow_origins": [ORIGIN]}})
    client = app.test_client()
    assert preflight(client, "/api/items").headers["Access-Control-Max-Age"] == "60"
    assert cors_headers(client.get("/api/items", headers={"Origin": EVIL})) == {}


def test_config_is_read_at_init_app_even_after_a_cors_blueprint_was_registered() -> None:
    blueprint = Blueprint("bp", __name__)
    blueprint.add_url_rule("/bp", "bp", lambda: "bp")
    CORS(blueprint, max_age=30)
    app = new_app()
    app.register_blueprint(blueprint)
    app.config.update(CORS_ORIGINS=[ORIGIN])  # e.g. loaded by the factory after the blueprints
    CORS().init_app(app)
    check_origins(app.test_client())


def test_cors_app_called_after_register_blueprint_still_reaches_the_blueprint() -> None:
    app = new_app()
    blueprint = Blueprint("bp", __name__)
    blueprint.add_url_rule("/bp", "bp", lambda: "bp")
    CORS(blueprint, max_age=30)
    app.register_blueprint(blueprint)
    CORS(app, allow_origins=[ORIGIN])
    client = app.test_client()
    assert preflight(client, "/bp").headers["Access-Control-Max-Age"] == "30"
    assert preflight(client, "/bp", origin=EVIL).status_code == 403


def test_blueprint_credentials_may_rely_on_origins_from_a_later_cors_app() -> None:
    app = new_app()
    blueprint = Blueprint("bp", __name__)
    blueprint.add_url_rule("/bp", "bp", lambda: "bp")
    CORS(blueprint, allow_credentials=True)
    app.register_blueprint(blueprint)
    CORS(app, allow_origins=[ORIGIN])
    response = app.test_client().get("/bp", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_a_decorators_origin_regex_replaces_the_inherited_origins() -> None:
    app = Flask(__name__)
    CORS(app, origins="*")

    @app.route("/data")
    @cross_origin(allow_origin_regex=r"https://[a-z]+\.example\.com")
    def data() -> str:
        return "data"

    client = app.test_client()
    check_origin_regex(client)
    assert cors_headers(client.get("/data", headers={"Origin": EVIL})) == {}
    assert preflight(client, origin=EVIL).status_code == 403
