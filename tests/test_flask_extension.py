"""flask_cors_ext through Flask's test client: CORS(app), factories, blueprints, @cross_origin,
preflights answered before Flask (hooks, redirects, 404/405), CORS headers on every status, debug mode.

Every assertion is about what a browser or a user sees: header names and values on the wire,
status codes, and whether the view or a ``before_request`` hook ran.  Option vocabulary and
precedence are in ``test_flask_config.py``, ``resources`` in ``test_flask_resources.py``, and
``flask cors routes`` in ``test_flask_cli.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from flask import Blueprint, Flask, request
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from cors_wsgi import CORSConfigError
from flask_cors_ext import CORS, cross_origin

ORIGIN = "https://app.example.com"
PARTNER = "https://partner.example.com"
EVIL = "https://evil.example"
ALL_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
PUBLIC_PREFLIGHT_VARY = "Access-Control-Request-Method, Access-Control-Request-Headers"


def preflight(
    client: FlaskClient,
    path: str = "/",
    origin: str = ORIGIN,
    method: str = "PUT",
    headers: str | None = None,
    **extra: str,
) -> TestResponse:
    """A browser-like preflight: OPTIONS with Origin and Access-Control-Request-Method, no credentials."""
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method, **extra}
    if headers is not None:
        request_headers["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=request_headers)


def cors_headers(response: TestResponse) -> dict[str, str]:
    """The response's Access-Control-* headers, names as sent."""
    return {name: value for name, value in response.headers.items() if name.lower().startswith("access-control-")}


def new_app(*routes: str) -> tuple[Flask, list[str]]:
    """A Flask app with a plain GET view at each of ``routes``; the list records each view call's path."""
    app = Flask(__name__)
    calls: list[str] = []

    def view(**_: Any) -> str:
        calls.append(request.path)
        return "hello"

    for index, rule in enumerate(routes):
        app.add_url_rule(rule, f"view{index}", view)
    return app, calls


# -- CORS(app) ---------------------------------------------------------------------------------


def test_cors_app_without_options_is_a_public_star_policy_on_every_route() -> None:
    app, calls = new_app("/", "/items/<int:item>")
    CORS(app)
    client = app.test_client()

    response = client.get("/items/3", headers={"Origin": "https://anyone.example"})
    assert response.status_code == 200
    assert response.text == "hello"
    assert cors_headers(response) == {"Access-Control-Allow-Origin": "*"}
    assert "Vary" not in response.headers  # a static '*' does not depend on the origin

    answer = preflight(client, "/", origin="https://anyone.example", method="DELETE", headers="x-token")
    assert answer.status_code == 204
    assert answer.data == b""
    assert cors_headers(answer) == {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": ALL_METHODS,
        "Access-Control-Allow-Headers": "x-token",
    }
    assert answer.headers["Vary"] == PUBLIC_PREFLIGHT_VARY
    assert calls == ["/items/3"]  # the preflight never reached the view

    # The public answer is static: '*' without Origin too, so a shared cache may serve it to anyone.
    no_origin = client.get("/")
    assert cors_headers(no_origin) == {"Access-Control-Allow-Origin": "*"}
    assert "Vary" not in no_origin.headers


def test_cors_app_with_listed_origins_and_credentials() -> None:
    app, calls = new_app("/data")
    CORS(app, allow_origins=[ORIGIN], allow_credentials=True, expose_headers=["X-Total"])
    client = app.test_client()

    allowed = client.get("/data", headers={"Origin": ORIGIN, "Cookie": "session=1"})
    assert cors_headers(allowed) == {
        "Access-Control-Allow-Origin": ORIGIN,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": "X-Total",
    }
    assert allowed.headers["Vary"] == "Origin"

    refused = client.get("/data", headers={"Origin": EVIL})
    assert refused.status_code == 200  # a refused simple request still reaches the view
    assert cors_headers(refused) == {}
    assert refused.headers["Vary"] == "Origin"

    without_origin = client.get("/data")
    assert cors_headers(without_origin) == {}
    assert without_origin.headers["Vary"] == "Origin"  # a shared cache must not reuse it for an origin
    assert calls == ["/data", "/data", "/data"]

    answer = preflight(client, "/data", method="PATCH", headers="content-type")
    assert answer.status_code == 204
    assert cors_headers(answer) == {
        "Access-Control-Allow-Origin": ORIGIN,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": ALL_METHODS,
        "Access-Control-Allow-Headers": "content-type",
    }
    assert answer.headers["Vary"] == PREFLIGHT_VARY

    refused_preflight = preflight(client, "/data", origin=EVIL)
    assert refused_preflight.status_code == 403
    assert cors_headers(refused_preflight) == {}


def test_options_with_origin_but_no_request_method_is_an_ordinary_request() -> None:
    app, _ = new_app("/data")
    CORS(app, allow_origins=[ORIGIN])
    response = app.test_client().options("/data", headers={"Origin": ORIGIN})
    assert response.status_code == 200  # Flask's automatic OPTIONS answer
    assert "GET" in response.headers["Allow"]
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Methods" not in response.headers


def test_state_is_kept_in_app_extensions() -> None:
    app, _ = new_app("/")
    assert "cors" not in app.extensions
    CORS(app)
    assert "cors" in app.extensions

    factory_app, _ = new_app("/")
    CORS().init_app(factory_app)
    assert "cors" in factory_app.extensions

    blueprint = Blueprint("bp", __name__)
    blueprint.add_url_rule("/bp", "bp", lambda: "bp")
    CORS(blueprint)
    blueprint_app, _ = new_app("/")
    blueprint_app.register_blueprint(blueprint)
    assert "cors" in blueprint_app.extensions


def test_cors_binds_only_to_an_app_or_a_blueprint() -> None:
    with pytest.raises(TypeError, match="Flask application or a Blueprint"):
        CORS(object())  # type: ignore[arg-type]


@pytest.mark.parametrize("second_call", ["CORS(app)", "init_app"])
def test_calling_cors_again_on_an_app_is_an_error_and_the_first_policy_stays(second_call: str) -> None:
    app, _ = new_app("/")
    CORS(app, allow_origins=[ORIGIN])
    with pytest.raises(CORSConfigError) as caught:
        if second_call == "CORS(app)":
            CORS(app, allow_origins=[PARTNER])
        else:
            CORS().init_app(app, allow_origins=[PARTNER])
    (problem,) = caught.value.problems
    assert "already has a CORS policy (a second call would silently replace the first)" in problem
    assert "resources={...}" in problem
    client = app.test_client()
    assert client.get("/", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Origin" not in client.get("/", headers={"Origin": PARTNER}).headers


# -- application factories -----------------------------------------------------------------------


def test_one_cors_instance_initialises_many_apps_that_never_share_configuration() -> None:
    cors = CORS(allow_origins=[ORIGIN], max_age=60)

    def create_app(config: dict[str, Any], **options: Any) -> Flask:
        app, _ = new_app("/data")
        app.config.update(config)
        cors.init_app(app, **options)
        return app

    first = create_app({"CORS_EXPOSE_HEADERS": ["X-First"]})
    second = create_app({"CORS_ALLOW_CREDENTIALS": True}, allow_origins=[PARTNER], max_age=120)
    assert first.extensions["cors"] is not second.extensions["cors"]

    one, two = first.test_client(), second.test_client()
    # The first app keeps the instance's options and its own config, untouched by the second init_app.
    assert cors_headers(one.get("/data", headers={"Origin": ORIGIN})) == {
        "Access-Control-Allow-Origin": ORIGIN,
        "Access-Control-Expose-Headers": "X-First",
    }
    assert cors_headers(one.get("/data", headers={"Origin": PARTNER})) == {}
    assert preflight(one, "/data").headers["Access-Control-Max-Age"] == "60"
    # The second app has its init_app options and its own config, nothing of the first's config.
    assert cors_headers(two.get("/data", headers={"Origin": PARTNER})) == {
        "Access-Control-Allow-Origin": PARTNER,
        "Access-Control-Allow-Credentials": "true",
    }
    assert cors_headers(two.get("/data", headers={"Origin": ORIGIN})) == {}
    assert preflight(two, "/data", origin=PARTNER).headers["Access-Control-Max-Age"] == "120"

    # A third app from the same instance gets exactly the instance's options again.
    third = create_app({}).test_client()
    assert cors_headers(third.get("/data", headers={"Origin": ORIGIN})) == {"Access-Control-Allow-Origin": ORIGIN}
    assert preflight(third, "/data").headers["Access-Control-Max-Age"] == "60"


def test_one_blueprint_in_two_apps_inherits_each_apps_own_options() -> None:
    blueprint = Blueprint("api", __name__)
    blueprint.add_url_rule("/items", "items", lambda: "items")
    CORS(blueprint, max_age=30)
    clients = {}
    for origin in (ORIGIN, PARTNER):
        app, _ = new_app("/plain")
        CORS(app, allow_origins=[origin])
        app.register_blueprint(blueprint)
        clients[origin] = app.test_client()
    for origin, other in ((ORIGIN, PARTNER), (PARTNER, ORIGIN)):
        client = clients[origin]
        answer = preflight(client, "/items", origin=origin)
        assert answer.headers["Access-Control-Allow-Origin"] == origin
        assert answer.headers["Access-Control-Max-Age"] == "30"
        assert preflight(client, "/items", origin=other).status_code == 403


def test_factory_config_errors_surface_at_init_app_not_at_the_first_request() -> None:
    cors = CORS()
    app, _ = new_app("/")
    app.config["CORS_MAX_AGE"] = -1
    with pytest.raises(CORSConfigError, match="max_age -1"):
        cors.init_app(app)


# -- blueprints ------------------------------------------------------------------------------


def blueprint_app(**blueprint_options: Any) -> tuple[Flask, Blueprint, list[str]]:
    """An app with /plain (no blueprint) and a blueprint 'api' at /api/items with CORS(blueprint, ...)."""
    app, calls = new_app("/plain")
    blueprint = Blueprint("api", __name__, url_prefix="/api")

    @blueprint.route("/items", methods=["GET", "POST"])
    def items() -> str:
        calls.append(request.path)
        return "items"

    CORS(blueprint, **blueprint_options)
    app.register_blueprint(blueprint)
    return app, blueprint, calls


def test_cors_blueprint_covers_only_that_blueprints_routes() -> None:
    app, _, calls = blueprint_app(allow_origins=[PARTNER])
    client = app.test_client()

    inside = client.get("/api/items", headers={"Origin": PARTNER})
    assert inside.headers["Access-Control-Allow-Origin"] == PARTNER
    assert preflight(client, "/api/items", origin=PARTNER).status_code == 204

    outside = client.get("/plain", headers={"Origin": PARTNER})
    assert outside.status_code == 200
    assert cors_headers(outside) == {}
    assert "Vary" not in outside.headers
    # A preflight outside the blueprint is not answered by CORS: Flask's own OPTIONS answer, no CORS headers.
    outside_preflight = preflight(client, "/plain", origin=PARTNER)
    assert outside_preflight.status_code == 200
    assert cors_headers(outside_preflight) == {}
    assert calls == ["/api/items", "/plain"]


def test_cors_blueprint_and_cors_app_each_keep_their_own_origins() -> None:
    app, _, _ = blueprint_app(allow_origins=[PARTNER])
    CORS(app, allow_origins=[ORIGIN])
    client = app.test_client()
    assert client.get("/api/items", headers={"Origin": PARTNER}).headers["Access-Control-Allow-Origin"] == PARTNER
    assert cors_headers(client.get("/api/items", headers={"Origin": ORIGIN})) == {}
    assert client.get("/plain", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == ORIGIN
    assert cors_headers(client.get("/plain", headers={"Origin": PARTNER})) == {}
    assert preflight(client, "/api/items", origin=PARTNER).status_code == 204
    assert preflight(client, "/api/items", origin=ORIGIN).status_code == 403
    assert preflight(client, "/plain", origin=ORIGIN).status_code == 204
    assert preflight(client, "/plain", origin=PARTNER).status_code == 403


def test_cors_on_a_nested_blueprint_covers_it_wherever_its_parent_is_registered() -> None:
    app, _ = new_app("/plain")
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__)
    parent.add_url_rule("/own", "own", lambda: "parent")
    child.add_url_rule("/leaf", "leaf", lambda: "child")
    CORS(child, allow_origins=[PARTNER])
    parent.register_blueprint(child, url_prefix="/child")
    app.register_blueprint(parent, url_prefix="/parent")
    client = app.test_client()

    assert client.get("/parent/child/leaf", headers={"Origin": PARTNER}).headers["Access-Control-Allow-Origin"] == (
        PARTNER
    )
    assert preflight(client, "/parent/child/leaf", origin=PARTNER).status_code == 204
    assert cors_headers(client.get("/parent/own", headers={"Origin": PARTNER})) == {}
    assert cors_headers(client.get("/plain", headers={"Origin": PARTNER})) == {}


def test_cors_on_a_parent_blueprint_covers_its_nested_blueprints() -> None:
    app, _ = new_app("/plain")
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__)
    parent.add_url_rule("/own", "own", lambda: "parent")
    child.add_url_rule("/leaf", "leaf", lambda: "child")
    parent.register_blueprint(child, url_prefix="/child")
    CORS(parent, allow_origins=[PARTNER])
    app.register_blueprint(parent, url_prefix="/parent")
    client = app.test_client()

    for path in ("/parent/own", "/parent/child/leaf"):
        assert client.get(path, headers={"Origin": PARTNER}).headers["Access-Control-Allow-Origin"] == PARTNER
        assert preflight(client, path, origin=PARTNER).status_code == 204
    assert cors_headers(client.get("/plain", headers={"Origin": PARTNER})) == {}


def test_a_blueprint_registered_twice_under_another_name_is_covered_under_both() -> None:
    app, _ = new_app("/plain")
    blueprint = Blueprint("api", __name__)
    blueprint.add_url_rule("/items", "items", lambda: "items")
    CORS(blueprint, allow_origins=[PARTNER])
    app.register_blueprint(blueprint, url_prefix="/v1")
    app.register_blueprint(blueprint, url_prefix="/v2", name="api_v2")
    client = app.test_client()
    for path in ("/v1/items", "/v2/items"):
        assert client.get(path, headers={"Origin": PARTNER}).headers["Access-Control-Allow-Origin"] == PARTNER
        assert preflight(client, path, origin=PARTNER).status_code == 204
    assert cors_headers(client.get("/plain", headers={"Origin": PARTNER})) == {}


@pytest.mark.parametrize("option", ["resources", "debug"])
def test_app_wide_options_are_refused_on_a_blueprint(option: str) -> None:
    value: Any = {"/x/*": {}} if option == "resources" else True
    with pytest.raises(CORSConfigError, match=f"'{option}' applies to the whole application; pass it to CORS\\(app\\)"):
        CORS(Blueprint("api", __name__), **{option: value})


def test_an_invalid_blueprint_policy_is_refused_by_register_blueprint_at_the_latest() -> None:
    blueprint = Blueprint("api", __name__)
    blueprint.add_url_rule("/items", "items", lambda: "items")
    app, _ = new_app("/")
    with pytest.raises(CORSConfigError, match="'\\*' cannot be combined with allow_credentials=True"):
        CORS(blueprint, origins="*", supports_credentials=True)
        app.register_blueprint(blueprint)


def test_an_invalid_blueprint_policy_is_refused_at_cors_time() -> None:
    blueprint = Blueprint("api", __name__)
    with pytest.raises(CORSConfigError, match="max_age -5"):
        CORS(blueprint, max_age=-5)
        blueprint.add_url_rule("/items", "items", lambda: "items")
        app, _ = new_app("/")
        app.register_blueprint(blueprint)


# -- @cross_origin --------------------------------------------------------------------------------


def test_cross_origin_overrides_the_app_policy_for_its_view_only() -> None:
    app, _ = new_app("/plain")
    CORS(app, allow_origins=[ORIGIN])

    @app.route("/special", methods=["GET", "PUT"])
    @cross_origin(allow_origins=[PARTNER], allow_credentials=True)
    def special() -> str:
        return "special"

    client = app.test_client()
    assert cors_headers(client.get("/special", headers={"Origin": PARTNER})) == {
        "Access-Control-Allow-Origin": PARTNER,
        "Access-Control-Allow-Credentials": "true",
    }
    assert cors_headers(client.get("/special", headers={"Origin": ORIGIN})) == {}
    allowed = preflight(client, "/special", origin=PARTNER)
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    assert preflight(client, "/special", origin=ORIGIN).status_code == 403
    # The rest of the app keeps the app's policy.
    assert client.get("/plain", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == ORIGIN
    assert preflight(client, "/plain", origin=PARTNER).status_code == 403


def decorated_only_app() -> tuple[Flask, list[str]]:
    """An app without CORS(app): /plain, and /special (GET, PUT) with @cross_origin; records the view's calls."""
    app, _ = new_app("/plain")
    calls: list[str] = []

    @app.route("/special", methods=["GET", "PUT"])
    @cross_origin(allow_origins=[PARTNER], expose_headers=["X-Total"], max_age=300)
    def special() -> tuple[str, dict[str, str]]:
        calls.append(request.method)
        return "special", {"Vary": "Accept-Encoding", "X-Total": "3"}

    return app, calls


def assert_special_preflight_answer(client: FlaskClient) -> None:
    answer = preflight(client, "/special", origin=PARTNER, method="PUT", headers="x-token")
    assert answer.status_code == 204
    assert answer.data == b""
    assert cors_headers(answer) == {
        "Access-Control-Allow-Origin": PARTNER,
        "Access-Control-Allow-Methods": ALL_METHODS,
        "Access-Control-Allow-Headers": "x-token",
        "Access-Control-Max-Age": "300",
    }
    assert answer.headers["Vary"] == PREFLIGHT_VARY


def assert_special_actual_answer(client: FlaskClient) -> None:
    allowed = client.put("/special", headers={"Origin": PARTNER})
    assert allowed.text == "special"
    assert cors_headers(allowed) == {
        "Access-Control-Allow-Origin": PARTNER,
        "Access-Control-Expose-Headers": "X-Total",
    }
    assert allowed.headers.getlist("Vary") == ["Accept-Encoding, Origin"]
    refused = client.get("/special", headers={"Origin": EVIL})
    assert cors_headers(refused) == {}
    assert refused.headers.getlist("Vary") == ["Accept-Encoding, Origin"]


def test_cross_origin_without_cors_app_answers_the_very_first_preflight() -> None:
    app, calls = decorated_only_app()
    assert_special_preflight_answer(app.test_client())
    assert calls == []  # the view itself did not run


def test_cross_origin_without_cors_app_refuses_the_very_first_preflight_from_a_stranger() -> None:
    app, calls = decorated_only_app()
    refused = preflight(app.test_client(), "/special", origin=EVIL)
    assert refused.status_code == 403
    assert cors_headers(refused) == {}
    assert calls == []


def test_cross_origin_without_cors_app_decorates_the_very_first_actual_response_and_the_next_ones() -> None:
    app, calls = decorated_only_app()
    client = app.test_client()
    for _ in range(3):
        assert_special_actual_answer(client)
    assert calls == ["PUT", "GET"] * 3
    assert "cors" in app.extensions
    assert cors_headers(client.get("/plain", headers={"Origin": PARTNER})) == {}


@pytest.mark.parametrize("first", ["preflight", "actual"])
def test_cross_origin_without_cors_app_answers_preflights_after_the_first_request(first: str) -> None:
    app, _ = decorated_only_app()
    client = app.test_client()
    if first == "preflight":
        assert_special_preflight_answer(client)
    else:
        assert_special_actual_answer(client)
    for _ in range(2):
        assert_special_preflight_answer(client)
        assert_special_actual_answer(client)
    assert preflight(client, "/plain", origin=PARTNER).headers.get("Access-Control-Allow-Origin") is None


def auth_hook_app(decorated_only: bool) -> tuple[Flask, list[str]]:
    app = Flask(__name__)
    hook_calls: list[str] = []

    @app.before_request
    def require_token() -> tuple[str, int] | None:
        hook_calls.append(request.method)
        if request.headers.get("Authorization") != "Bearer ok":
            return "unauthorized", 401
        return None

    @app.route("/special/", methods=["GET", "PUT"])
    @cross_origin(allow_origins=[PARTNER])
    def special() -> str:
        return "special"

    if not decorated_only:
        CORS(app, allow_origins=[ORIGIN])
    return app, hook_calls


def test_cross_origin_preflights_skip_auth_hooks_and_slash_redirects_with_cors_app() -> None:
    app, hook_calls = auth_hook_app(decorated_only=False)
    client = app.test_client()
    for path in ("/special/", "/special"):
        answer = preflight(client, path, origin=PARTNER, method="PUT")
        assert answer.status_code == 204
        assert answer.headers["Access-Control-Allow-Origin"] == PARTNER
    assert hook_calls == []


def test_cross_origin_without_cors_app_preflight_skips_an_auth_hook() -> None:
    app, hook_calls = auth_hook_app(decorated_only=True)
    client = app.test_client()
    for _ in range(2):
        answer = preflight(client, "/special/", origin=PARTNER, method="PUT")
        assert answer.status_code == 204
        assert answer.headers["Access-Control-Allow-Origin"] == PARTNER
    assert hook_calls == []


def test_cross_origin_without_cors_app_preflight_is_not_redirected() -> None:
    app = Flask(__name__)

    @app.route("/special/", methods=["GET", "PUT"])
    @cross_origin(allow_origins=[PARTNER])
    def special() -> str:
        return "special"

    client = app.test_client()
    for _ in range(2):
        answer = preflight(client, "/special", origin=PARTNER, method="PUT")
        assert answer.status_code == 204
        assert answer.headers["Access-Control-Allow-Origin"] == PARTNER


def test_cross_origin_without_cors_app_first_500_carries_cors_headers() -> None:
    app = Flask(__name__)

    @app.route("/boom")
    @cross_origin(allow_origins=[PARTNER])
    def boom() -> str:
        raise RuntimeError("boom")

    client = app.test_client()
    first = client.get("/boom", headers={"Origin": PARTNER})
    assert first.status_code == 500
    assert first.headers.get("Access-Control-Allow-Origin") == PARTNER


def test_decorated_views_sharing_a_path_are_told_apart_by_the_requested_method() -> None:
    app = Flask(__name__)
    CORS(app, allow_origins=[ORIGIN])

    @app.get("/thing")
    @cross_origin(allow_origins=[PARTNER])
    def read_thing() -> str:
        return "read"

    @app.put("/thing")
    @cross_origin(allow_origins=["https://writer.example"])
    def write_thing() -> str:
        return "written"

    client = app.test_client()
    assert preflight(client, "/thing", origin="https://writer.example", method="PUT").status_code == 204
    assert preflight(client, "/thing", origin=PARTNER, method="PUT").status_code == 403
    assert client.get("/thing", headers={"Origin": PARTNER}).headers["Access-Control-Allow-Origin"] == PARTNER
    written = client.put("/thing", headers={"Origin": "https://writer.example"})
    assert written.headers["Access-Control-Allow-Origin"] == "https://writer.example"


def test_cross_origin_on_a_blueprint_view_overrides_the_blueprint() -> None:
    app, _ = new_app("/plain")
    blueprint = Blueprint("api", __name__, url_prefix="/api")
    blueprint.add_url_rule("/items", "items", lambda: "items")

    @blueprint.route("/special")
    @cross_origin(allow_origins=[ORIGIN])
    def special() -> str:
        return "special"

    CORS(blueprint, allow_origins=[PARTNER])
    app.register_blueprint(blueprint)
    client = app.test_client()
    assert client.get("/api/special", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == ORIGIN
    assert cors_headers(client.get("/api/special", headers={"Origin": PARTNER})) == {}
    assert client.get("/api/items", headers={"Origin": PARTNER}).headers["Access-Control-Allow-Origin"] == PARTNER


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"orgins": [PARTNER]}, "unknown option 'orgins' — did you mean 'origins'?"),
        ({"allow_origin": [PARTNER]}, "unknown option 'allow_origin' — did you mean 'allow_origins'?"),
        ({"origins": "*", "supports_credentials": True}, "list the trusted origins explicitly"),
        ({"allow_origins": ["https://partner.example.com/app"]}, "an origin has no path"),
        ({"max_age": -1}, "must be between 0 and 86400 seconds"),
        ({"allow_methods": ["TRACE"]}, "browsers forbid this method"),
        ({"origins": [PARTNER], "allow_origins": [PARTNER]}, "'origins' and 'allow_origins' are the same option"),
        ({"vary_header": False}, "'vary_header'=False is not supported"),
        ({"resources": {"/x/*": {}}}, "apply to the whole application; use CORS\\(app\\)"),
        ({"debug": True}, "apply to the whole application; use CORS\\(app\\)"),
    ],
)
def test_invalid_cross_origin_options_raise_at_decoration_time(options: dict[str, Any], message: str) -> None:
    with pytest.raises(CORSConfigError, match=message):
        cross_origin(**options)


def test_cross_origin_credentials_with_an_app_wide_star_are_refused_before_serving() -> None:
    # The decorator alone cannot know its origins; CORS(app) resolves every view and refuses the mix.
    app = Flask(__name__)

    @app.route("/special")
    @cross_origin(supports_credentials=True)
    def special() -> str:
        return "special"

    with pytest.raises(CORSConfigError, match=r"view 'special' \(decorator\).*'\*' cannot be combined"):
        CORS(app)


# -- preflights are answered before Flask: every kind of policy ---------------------------------

POLICY: dict[str, Any] = {"allow_origins": [ORIGIN], "allow_credentials": True, "max_age": 600}
KINDS = ["app", "blueprint", "resource", "decorator"]
ROUTED_KINDS = ("blueprint", "decorator")  # policies that belong to a route, not to a path


def guarded_app(kind: str) -> tuple[Flask, list[str], list[str]]:
    """/api/items/ (GET, POST), /api/readonly (GET) and /api/boom (GET, raises) under POLICY, given
    the way ``kind`` says, behind an auth hook answering 401 to requests without a bearer token.

    Returns the app, the paths the hook saw and the paths the views saw.
    """
    app = Flask(__name__)
    hook_calls: list[str] = []
    view_calls: list[str] = []

    @app.before_request
    def require_token() -> tuple[str, int] | None:
        hook_calls.append(request.path)
        if request.headers.get("Authorization") != "Bearer ok":
            return "unauthorized", 401
        return None

    def wrap(view: Callable[[], str]) -> Callable[[], str]:
        return cross_origin(**POLICY)(view) if kind == "decorator" else view

    def items() -> str:
        view_calls.append(request.path)
        return "items"

    def readonly() -> str:
        view_calls.append(request.path)
        return "readonly"

    def boom() -> str:
        view_calls.append(request.path)
        raise RuntimeError("boom")

    scaffold: Flask | Blueprint = Blueprint("api", __name__, url_prefix="/api") if kind == "blueprint" else app
    prefix = "" if kind == "blueprint" else "/api"
    scaffold.add_url_rule(f"{prefix}/items/", "items", wrap(items), methods=["GET", "POST"])
    scaffold.add_url_rule(f"{prefix}/readonly", "readonly", wrap(readonly))
    scaffold.add_url_rule(f"{prefix}/readonly-dir/", "readonly_dir", wrap(readonly))
    scaffold.add_url_rule(f"{prefix}/boom", "boom", wrap(boom))
    if kind == "app":
        CORS(app, **POLICY)
    elif kind == "resource":
        CORS(app, resources={"/api/*": POLICY})
    elif kind == "decorator":
        CORS(app, allow_origins=["https://someone-else.example"])  # the decorator's policy must win
    else:
        assert isinstance(scaffold, Blueprint)
        CORS(scaffold, **POLICY)
        app.register_blueprint(scaffold)
    return app, hook_calls, view_calls


def assert_policy_answer(answer: TestResponse, methods: str = ALL_METHODS) -> None:
    assert answer.status_code == 204
    assert answer.data == b""
    assert cors_headers(answer) == {
        "Access-Control-Allow-Origin": ORIGIN,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": methods,
        "Access-Control-Max-Age": "600",
    }
    assert answer.headers["Vary"] == PREFLIGHT_VARY


@pytest.mark.parametrize("kind", KINDS)
def test_preflight_is_answered_before_an_auth_hook_that_would_return_401(kind: str) -> None:
    app, hook_calls, view_calls = guarded_app(kind)
    client = app.test_client()
    assert_policy_answer(preflight(client, "/api/items/", method="POST", headers=None))
    assert hook_calls == []
    assert view_calls == []
    # The actual request does meet the hook, and its 401 still carries the CORS headers.
    actual = client.post("/api/items/", headers={"Origin": ORIGIN})
    assert actual.status_code == 401
    assert actual.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert actual.headers["Access-Control-Allow-Credentials"] == "true"
    assert hook_calls == ["/api/items/"]


@pytest.mark.parametrize("kind", KINDS)
def test_preflight_to_a_path_missing_its_trailing_slash_gets_204_not_308(kind: str) -> None:
    app, hook_calls, _ = guarded_app(kind)
    answer = preflight(app.test_client(), "/api/items", method="POST")
    assert "Location" not in answer.headers
    assert_policy_answer(answer)
    assert hook_calls == []


@pytest.mark.parametrize("kind", KINDS)
def test_preflight_for_a_method_the_route_does_not_accept_gets_the_policys_answer(kind: str) -> None:
    app, hook_calls, _ = guarded_app(kind)
    # /api/readonly accepts only GET: the actual DELETE would be a 405; the preflight is still the policy's.
    assert_policy_answer(preflight(app.test_client(), "/api/readonly", method="DELETE"))
    assert hook_calls == []


@pytest.mark.parametrize(
    "kind",
    [
        "app",
        "resource",
        *ROUTED_KINDS,
    ],
)
def test_preflight_for_an_unaccepted_method_on_a_path_missing_its_slash(kind: str) -> None:
    app, hook_calls, _ = guarded_app(kind)
    # /api/readonly-dir/ accepts only GET; the preflight asks for DELETE on /api/readonly-dir.
    assert_policy_answer(preflight(app.test_client(), "/api/readonly-dir", method="DELETE"))
    assert hook_calls == []


@pytest.mark.parametrize("kind", ["app", "resource"])
def test_preflight_to_an_unknown_url_on_a_covered_path_gets_the_cors_answer_not_404(kind: str) -> None:
    app, hook_calls, _ = guarded_app(kind)
    assert_policy_answer(preflight(app.test_client(), "/api/no-such-thing"))
    assert hook_calls == []


@pytest.mark.parametrize("kind", KINDS)
def test_refused_preflight_is_refused_by_the_policy_not_by_flask(kind: str) -> None:
    app, hook_calls, _ = guarded_app(kind)
    refused = preflight(app.test_client(), "/api/items/", origin=EVIL, method="POST")
    assert refused.status_code == 403
    assert refused.data == b""
    assert cors_headers(refused) == {}
    assert hook_calls == []


# -- actual responses carry the CORS headers on every status -------------------------------------

AUTHORIZED = {"Origin": ORIGIN, "Authorization": "Bearer ok"}


def assert_cors_for_origin(response: TestResponse) -> None:
    assert cors_headers(response) == {
        "Access-Control-Allow-Origin": ORIGIN,
        "Access-Control-Allow-Credentials": "true",
    }
    assert "Origin" in response.headers["Vary"]


@pytest.mark.parametrize("kind", KINDS)
def test_200_carries_cors_headers(kind: str) -> None:
    app, _, view_calls = guarded_app(kind)
    response = app.test_client().get("/api/items/", headers=AUTHORIZED)
    assert response.status_code == 200
    assert response.text == "items"
    assert_cors_for_origin(response)
    assert view_calls == ["/api/items/"]


@pytest.mark.parametrize("kind", KINDS)
def test_401_from_a_before_request_hook_carries_cors_headers(kind: str) -> None:
    app, _, view_calls = guarded_app(kind)
    response = app.test_client().get("/api/items/", headers={"Origin": ORIGIN})
    assert response.status_code == 401
    assert response.text == "unauthorized"
    assert_cors_for_origin(response)
    assert view_calls == []


@pytest.mark.parametrize("kind", KINDS)
def test_500_from_an_unhandled_exception_carries_cors_headers(kind: str, caplog: pytest.LogCaptureFixture) -> None:
    app, _, view_calls = guarded_app(kind)
    assert not app.testing  # outside testing, Flask turns the exception into a 500 response
    response = app.test_client().get("/api/boom", headers=AUTHORIZED)
    assert response.status_code == 500
    assert_cors_for_origin(response)
    assert view_calls == ["/api/boom"]
    assert "Exception on /api/boom [GET]" in caplog.text


@pytest.mark.parametrize("kind", ["app", "resource"])
def test_404_carries_cors_headers(kind: str) -> None:
    app, _, _ = guarded_app(kind)
    response = app.test_client().get("/api/no-such-thing", headers=AUTHORIZED)
    assert response.status_code == 404
    assert_cors_for_origin(response)


@pytest.mark.parametrize("kind", ["app", "resource", *ROUTED_KINDS])
def test_405_carries_cors_headers(kind: str) -> None:
    app, _, view_calls = guarded_app(kind)
    response = app.test_client().delete("/api/readonly", headers=AUTHORIZED)
    assert response.status_code == 405
    assert_cors_for_origin(response)
    assert view_calls == []


@pytest.mark.parametrize("kind", ["app", "resource", *ROUTED_KINDS])
def test_trailing_slash_redirect_of_an_actual_request_carries_cors_headers(kind: str) -> None:
    # A browser follows a cross-origin redirect only if the redirect itself passes the CORS check.
    app, _, view_calls = guarded_app(kind)
    response = app.test_client().get("/api/items", headers=AUTHORIZED)
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/api/items/")
    assert_cors_for_origin(response)
    assert view_calls == []


def test_404_outside_a_blueprint_gets_no_cors_headers() -> None:
    app, _, _ = guarded_app("blueprint")
    response = app.test_client().get("/elsewhere", headers=AUTHORIZED)
    assert response.status_code == 404
    assert cors_headers(response) == {}


# -- Vary ----------------------------------------------------------------------------------------


def test_vary_origin_is_merged_with_the_views_own_vary() -> None:
    app = Flask(__name__)
    CORS(app, allow_origins=[ORIGIN])

    @app.route("/negotiated")
    def negotiated() -> tuple[str, dict[str, str]]:
        return "hello", {"Vary": "Accept-Encoding"}

    @app.route("/already")
    def already() -> tuple[str, dict[str, str]]:
        return "hello", {"Vary": "origin, Accept"}

    client = app.test_client()
    for headers in ({"Origin": ORIGIN}, {"Origin": EVIL}, {}):
        assert client.get("/negotiated", headers=headers).headers.getlist("Vary") == ["Accept-Encoding, Origin"]
        assert client.get("/already", headers=headers).headers.getlist("Vary") == ["origin, Accept"]


def test_public_policy_leaves_the_views_vary_alone() -> None:
    app = Flask(__name__)
    CORS(app)

    @app.route("/negotiated")
    def negotiated() -> tuple[str, dict[str, str]]:
        return "hello", {"Vary": "Accept-Encoding"}

    response = app.test_client().get("/negotiated", headers={"Origin": EVIL})
    assert response.headers.getlist("Vary") == ["Accept-Encoding"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_views_own_cors_headers_are_replaced_not_duplicated() -> None:
    app = Flask(__name__)
    CORS(app, allow_origins=[ORIGIN])

    @app.route("/legacy")
    def legacy() -> tuple[str, dict[str, str]]:
        return "hello", {"Access-Control-Allow-Origin": "*"}

    response = app.test_client().get("/legacy", headers={"Origin": ORIGIN})
    assert response.headers.getlist("Access-Control-Allow-Origin") == [ORIGIN]


# -- Flask debug mode ----------------------------------------------------------------------------


def debug_app(flask_debug: bool, config: dict[str, Any] | None = None, **options: Any) -> FlaskClient:
    app, _ = new_app("/data")
    app.debug = flask_debug
    app.config.update(config or {})
    CORS(app, allow_origins=[ORIGIN], allow_headers=["X-Token"], **options)
    return app.test_client()


def test_refused_preflight_explains_itself_in_flask_debug_mode() -> None:
    response = preflight(debug_app(flask_debug=True), "/data", headers="x-token,x-other")
    # 200 with the partial headers so that the browser console names the refused header too.
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == "CORS preflight refused: request header 'x-other' is not allowed (allowed: X-Token)\n"
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Allow-Headers"] == "X-Token"


def test_refused_origin_is_named_in_debug_mode() -> None:
    response = preflight(debug_app(flask_debug=True), "/data", origin=EVIL)
    assert response.status_code == 403
    assert response.text == "CORS preflight refused: origin 'https://evil.example' is not allowed\n"
    assert cors_headers(response) == {}


def test_refused_preflight_is_a_bare_403_outside_debug_mode() -> None:
    response = preflight(debug_app(flask_debug=False), "/data", headers="x-token,x-other")
    assert response.status_code == 403
    assert response.data == b""
    assert cors_headers(response) == {}


@pytest.mark.parametrize(
    ("config", "options"),
    [({"CORS_DEBUG": False}, {}), ({}, {"debug": False}), ({"CORS_DEBUG": True}, {"debug": False})],
    ids=["config", "keyword", "keyword-over-config"],
)
def test_debug_explanations_can_be_turned_off_in_flask_debug_mode(
    config: dict[str, Any], options: dict[str, Any]
) -> None:
    response = preflight(debug_app(True, config, **options), "/data", headers="x-other")
    assert response.status_code == 403
    assert response.data == b""


@pytest.mark.parametrize(("config", "options"), [({"CORS_DEBUG": True}, {}), ({}, {"debug": True})])
def test_debug_explanations_can_be_turned_on_outside_flask_debug_mode(
    config: dict[str, Any], options: dict[str, Any]
) -> None:
    response = preflight(debug_app(False, config, **options), "/data", headers="x-other")
    assert response.status_code == 200
    assert "request header 'x-other' is not allowed" in response.text


def test_debug_follows_app_debug_when_it_changes_later() -> None:
    app, _ = new_app("/data")
    CORS(app, allow_origins=[ORIGIN], allow_headers=["X-Token"])
    client = app.test_client()
    assert preflight(client, "/data", headers="x-other").status_code == 403
    app.debug = True
    assert preflight(client, "/data", headers="x-other").status_code == 200


def test_allowed_preflights_are_the_same_in_debug_mode() -> None:
    quiet = preflight(debug_app(flask_debug=False), "/data", headers="x-token")
    loud = preflight(debug_app(flask_debug=True), "/data", headers="x-token")
    assert quiet.status_code == loud.status_code == 204
    assert cors_headers(quiet) == cors_headers(loud)


def test_blueprint_and_decorator_preflights_explain_themselves_in_debug_mode() -> None:
    app, _, _ = blueprint_app(allow_origins=[PARTNER], allow_headers=["X-Token"])
    app.debug = True

    @app.route("/special")
    @cross_origin(allow_origins=[PARTNER], allow_headers=["X-Token"])
    def special() -> str:
        return "special"

    client = app.test_client()
    for path in ("/api/items", "/special"):
        response = preflight(client, path, origin=PARTNER, headers="x-other")
        assert response.status_code == 200
        assert "request header 'x-other' is not allowed" in response.text


def test_cors_debug_false_is_honoured_without_cors_app() -> None:
    blueprint = Blueprint("api", __name__)
    blueprint.add_url_rule("/items", "items", lambda: "items")
    CORS(blueprint, allow_origins=[PARTNER], allow_headers=["X-Token"])
    app = Flask(__name__)
    app.debug = True
    app.config["CORS_DEBUG"] = False
    app.register_blueprint(blueprint)
    response = preflight(app.test_client(), "/items", origin=PARTNER, headers="x-other")
    assert response.status_code == 403
    assert response.data == b""


@pytest.mark.parametrize("debug", [False, True])
def test_an_invalid_view_policy_added_after_cors_fails_that_view_before_it_runs(
    debug: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app, calls = new_app("/ok")
    app.config["CORS_ALLOW_CREDENTIALS"] = True
    app.config["CORS_ALLOW_ORIGINS"] = [ORIGIN]
    app.config["CORS_DEBUG"] = debug
    CORS(app)
    side_effects: list[str] = []

    @app.post("/orders")
    @cross_origin(allow_origins="*")  # '*' merged with the config's credentials: invalid
    def orders() -> str:
        side_effects.append("order placed")
        return "placed"

    @app.get("/report")
    @cross_origin(allow_origins=["null"])  # 'null' with credentials: invalid too
    def report() -> str:
        return "report"

    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="cors_wsgi"):
        placed = client.post("/orders", headers={"Origin": ORIGIN})
        preflight_to_orders = preflight(client, "/orders", origin=ORIGIN, method="POST")
        reported = client.get("/report", headers={"Origin": ORIGIN})
        fine = client.get("/ok", headers={"Origin": ORIGIN})
    for failed in (placed, preflight_to_orders, reported):
        assert failed.status_code == 500
        assert "Access-Control-Allow-Origin" not in failed.headers
        assert failed.text.startswith("invalid CORS policy for this view\n")
    assert ("'*' cannot be combined with allow_credentials=True" in placed.text) is debug
    assert ("'null' cannot be combined" in reported.text) is debug
    assert side_effects == []
    # The other views are untouched.
    assert (fine.status_code, fine.headers["Access-Control-Allow-Origin"]) == (200, ORIGIN)
    assert calls == ["/ok"]
    logged = [r.getMessage() for r in caplog.records if r.name == "cors_wsgi"]
    assert logged[0].startswith("invalid CORS policy: orders, report; requests to these views fail with 500")
    assert "view 'orders' (decorator): allow_origins[0] '*': '*' cannot be combined" in logged[0]
    assert "view 'report' (decorator): allow_origins[0] 'null': 'null' cannot be combined" in logged[0]
    assert logged[1].startswith("request to view 'orders' refused: its CORS policy is invalid: ")
    assert len(logged) == 4  # the summary once, then one line per refused request


def test_an_invalid_view_policy_known_at_cors_time_still_raises_at_start_up() -> None:
    app, _ = new_app("/ok")
    app.add_url_rule("/orders", "orders", cross_origin(allow_origins="*")(lambda: "placed"), methods=["POST"])
    with pytest.raises(CORSConfigError) as caught:
        CORS(app, allow_origins=[ORIGIN], allow_credentials=True)
    assert caught.value.problems[0].startswith("view 'orders' (decorator): allow_origins[0] '*'")


@pytest.mark.parametrize("request_headers", [None, "x-unlisted"])
def test_the_first_preflight_of_a_decorator_only_app_is_answered_like_the_later_ones(
    request_headers: str | None,
) -> None:
    app = Flask(__name__)
    app.debug = True  # a refused preflight carries a text/plain reason

    @app.route("/special", methods=["GET", "PUT"])
    @cross_origin(allow_origins=["https://special.example.net"], allow_headers=["X-Token"])
    def special() -> str:
        return "special"

    client = app.test_client()
    headers = {"Origin": "https://special.example.net", "Access-Control-Request-Method": "PUT"}
    if request_headers is not None:
        headers["Access-Control-Request-Headers"] = request_headers
    first = client.options("/special", headers=headers)  # served from request_started
    later = client.options("/special", headers=headers)  # served by the installed WSGI layer
    assert (first.status, sorted(first.headers.items()), first.data) == (
        later.status,
        sorted(later.headers.items()),
        later.data,
    )
    if request_headers is None:
        assert first.status_code == 204
        assert "Content-Type" not in first.headers
    else:
        assert first.headers["Content-Type"] == "text/plain; charset=utf-8"
