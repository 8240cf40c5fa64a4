"""CORS(app, resources=...) through Flask: per-path policies, uncovered paths, and regression tests for
flask-cors CVE-2024-6839 (pattern priority), CVE-2024-6844 ('+' decoded to a space), CVE-2024-6866
(case-insensitive paths) and the ``/api/*``-matches-``/apiary`` trap.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from cors_wsgi import CORSConfigError
from flask_cors_ext import CORS

ORIGIN = "https://app.example.com"
EVIL = "https://evil.example"


def preflight(client: FlaskClient, path: str, origin: str = ORIGIN, method: str = "PUT") -> TestResponse:
    return client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": method})


def cors_headers(response: TestResponse) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name.lower().startswith("access-control-")}


def catch_all_app(resources: Any = None, config: dict[str, Any] | None = None, **options: Any) -> FlaskClient:
    """An app answering every path (it echoes PATH_INFO), with CORS(app, resources=resources, **options)."""
    app = Flask(__name__)
    app.config.update(config or {})

    def echo(anything: str = "") -> str:
        return request.environ["PATH_INFO"]

    app.add_url_rule("/", "root", echo, methods=["GET", "PUT"])
    app.add_url_rule("/<path:anything>", "echo", echo, methods=["GET", "PUT"])
    if resources is not None:
        options["resources"] = resources
    CORS(app, **options)
    return app.test_client()


def who_is_allowed(client: FlaskClient, path: str, origins: list[str]) -> list[str]:
    """The origins whose actual request and preflight to ``path`` the browser would let through."""
    allowed = []
    for origin in origins:
        actual = client.get(path, headers={"Origin": origin})
        assert actual.status_code == 200
        answer = preflight(client, path, origin=origin)
        actual_ok = actual.headers.get("Access-Control-Allow-Origin") in (origin, "*")
        preflight_ok = answer.status_code == 204 and answer.headers.get("Access-Control-Allow-Origin") in (origin, "*")
        assert actual_ok == preflight_ok, path
        if actual_ok:
            allowed.append(origin)
    return allowed


def test_each_path_gets_its_resources_policy() -> None:
    client = catch_all_app(
        {"/api/*": {"allow_origins": [ORIGIN], "allow_credentials": True, "max_age": 60}, "/public/*": {}},
    )
    api = client.get("/api/items", headers={"Origin": ORIGIN})
    assert cors_headers(api) == {
        "Access-Control-Allow-Origin": ORIGIN,
        "Access-Control-Allow-Credentials": "true",
    }
    assert api.headers["Vary"] == "Origin"
    assert cors_headers(client.get("/api/items", headers={"Origin": EVIL})) == {}
    api_preflight = preflight(client, "/api/items")
    assert api_preflight.status_code == 204
    assert api_preflight.headers["Access-Control-Max-Age"] == "60"
    assert preflight(client, "/api/items", origin=EVIL).status_code == 403

    public = client.get("/public/logo.png", headers={"Origin": EVIL})
    assert cors_headers(public) == {"Access-Control-Allow-Origin": "*"}
    assert preflight(client, "/public/logo.png", origin=EVIL).headers["Access-Control-Allow-Origin"] == "*"


def test_a_path_no_pattern_covers_is_left_to_flask_untouched() -> None:
    client = catch_all_app({"/api/*": {"allow_origins": [ORIGIN]}})
    response = client.get("/other", headers={"Origin": ORIGIN})
    assert cors_headers(response) == {}
    assert "Vary" not in response.headers
    # Not a CORS answer: Flask's automatic OPTIONS response, without any CORS header.
    answer = preflight(client, "/other")
    assert answer.status_code == 200
    assert "PUT" in answer.headers["Allow"]
    assert cors_headers(answer) == {}


def test_top_level_options_are_the_defaults_of_every_resource() -> None:
    client = catch_all_app(
        {"/api/*": {"allow_origins": [ORIGIN]}, "/partner/*": {"allow_origins": ["https://partner.example"]}},
        allow_credentials=True,
        expose_headers=["X-Total"],
    )
    for path, origin in (("/api/x", ORIGIN), ("/partner/x", "https://partner.example")):
        assert cors_headers(client.get(path, headers={"Origin": origin})) == {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Expose-Headers": "X-Total",
        }


def test_resources_from_cors_resources_config_and_keyword_wins() -> None:
    from_config = catch_all_app(config={"CORS_RESOURCES": {"/api/*": {"allow_origins": [ORIGIN]}}})
    assert from_config.get("/api/x", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == ORIGIN
    assert cors_headers(from_config.get("/other", headers={"Origin": ORIGIN})) == {}

    overridden = catch_all_app({"/other/*": {}}, config={"CORS_RESOURCES": {"/api/*": {"allow_origins": [ORIGIN]}}})
    assert cors_headers(overridden.get("/api/x", headers={"Origin": ORIGIN})) == {}
    assert overridden.get("/other/x", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == "*"


def test_a_resource_inheriting_credentials_cannot_be_star() -> None:
    with pytest.raises(CORSConfigError, match=r"resources\['/public/\*'\]\..*'\*' cannot be combined"):
        catch_all_app({"/public/*": {"allow_origins": "*"}}, allow_credentials=True, allow_origins=[ORIGIN])


def test_flask_cors_regex_strings_as_patterns_are_refused_with_a_hint() -> None:
    with pytest.raises(CORSConfigError, match=r"for a regular expression pass re.compile\('/api/\.\*'\)"):
        catch_all_app({r"/api/.*": {"allow_origins": [ORIGIN]}})


def test_resources_must_be_a_mapping() -> None:
    with pytest.raises(CORSConfigError, match="expected a mapping of path pattern -> options, not str"):
        catch_all_app(r"/api/*")


@pytest.mark.parametrize("where", ["keyword", "config"])
def test_flask_cors_aliases_inside_resources(where: str) -> None:
    resources = {"/api/*": {"origins": [ORIGIN], "supports_credentials": True, "methods": ["GET", "PUT"]}}
    config = {"CORS_RESOURCES": resources} if where == "config" else None
    client = catch_all_app(None if config else resources, config)
    assert client.get("/api/x", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Credentials"] == "true"
    assert preflight(client, "/api/x").headers["Access-Control-Allow-Methods"] == "GET, PUT"


# -- flask-cors CVE-2024-6839: the most specific pattern wins, not the longest string ------------

STRICT = "https://strict.example"
V1 = "https://v1.example"
ADMIN = "https://admin.example"
REPORTS = "https://reports.example"
EVERYONE = [STRICT, V1, ADMIN, REPORTS, EVIL]
PRIORITY_RESOURCES: list[tuple[Any, dict[str, Any]]] = [
    ("/*", {"allow_origins": "*"}),
    ("/api/*", {"allow_origins": [STRICT]}),
    ("/api/v1/*", {"allow_origins": [V1]}),
    ("/api/v1/admin", {"allow_origins": [ADMIN]}),
    (re.compile(r"/api/v1/reports/[0-9]+"), {"allow_origins": [REPORTS]}),
]


@pytest.mark.parametrize("order", ["given", "reversed"])
@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/items", [STRICT]),  # '/api/*' beats the shorter, looser '/*'
        ("/api/v1/items", [V1]),  # the deeper subtree beats '/api/*'
        ("/api/v1/admin", [ADMIN]),  # an exact path beats every subtree
        ("/api/v1/admin/users", [V1]),  # exact means exact
        ("/api/v1/reports/42", [REPORTS]),  # a regular expression beats subtrees
        ("/api/v1/reports/42x", [V1]),  # and must match the whole path
        ("/elsewhere", EVERYONE),
    ],
)
def test_most_specific_pattern_wins_whatever_the_order(path: str, allowed: list[str], order: str) -> None:
    entries = PRIORITY_RESOURCES if order == "given" else PRIORITY_RESOURCES[::-1]
    client = catch_all_app(dict(entries))
    assert who_is_allowed(client, path, EVERYONE) == allowed


def test_a_longer_looser_pattern_never_beats_an_exact_path() -> None:
    # flask-cors sorted patterns by string length, so the long regex below would have won for /api/admin.
    client = catch_all_app(
        {
            "/api/admin": {"allow_origins": [ADMIN]},
            re.compile(r"/api/(?:admin|users|groups|reports|settings)(?:/.*)?"): {"allow_origins": "*"},
        }
    )
    assert who_is_allowed(client, "/api/admin", EVERYONE) == [ADMIN]
    assert who_is_allowed(client, "/api/users/3", EVERYONE) == EVERYONE


# -- flask-cors CVE-2024-6844: '+' is not a space in a path ------------------------------------------


def test_plus_in_a_path_is_not_decoded_to_a_space() -> None:
    client = catch_all_app({"/files/a b": {"allow_origins": "*"}, "/files/*": {"allow_origins": [ORIGIN]}})
    plus = client.get("/files/a+b", headers={"Origin": EVIL})
    assert plus.text == "/files/a+b"  # what the app sees too
    assert cors_headers(plus) == {}
    assert preflight(client, "/files/a+b", origin=EVIL).status_code == 403
    assert client.get("/files/a+b", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == ORIGIN

    space = client.get("/files/a%20b", headers={"Origin": EVIL})
    assert space.text == "/files/a b"
    assert space.headers["Access-Control-Allow-Origin"] == "*"


def test_a_pattern_with_a_plus_covers_only_the_plus() -> None:
    client = catch_all_app({"/files/a+b": {"allow_origins": [ORIGIN]}})
    assert client.get("/files/a+b", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == ORIGIN
    assert cors_headers(client.get("/files/a%20b", headers={"Origin": ORIGIN})) == {}


# -- flask-cors CVE-2024-6866: paths are case-sensitive ------------------------------------------------


@pytest.mark.parametrize("path", ["/PUBLIC/data", "/Public/data", "/pubLIC/data"])
def test_path_patterns_match_case_sensitively(path: str) -> None:
    client = catch_all_app({"/public/*": {"allow_origins": "*"}, "/*": {"allow_origins": [ORIGIN]}})
    assert who_is_allowed(client, "/public/data", [ORIGIN, EVIL]) == [ORIGIN, EVIL]
    assert who_is_allowed(client, path, [ORIGIN, EVIL]) == [ORIGIN]


# -- '/api/*' never matches '/apiary' ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "covered"), [("/api/", True), ("/api/x/y", True), ("/apiary", False), ("/api", False)]
)
def test_api_subtree_does_not_cover_apiary(path: str, covered: bool) -> None:
    client = catch_all_app({"/api/*": {"allow_origins": "*"}})
    actual = client.get(path, headers={"Origin": EVIL})
    answer = preflight(client, path, origin=EVIL)
    if covered:
        assert actual.headers["Access-Control-Allow-Origin"] == "*"
        assert answer.status_code == 204
    else:
        assert cors_headers(actual) == {}
        assert cors_headers(answer) == {}
        assert answer.status_code == 200  # Flask's own OPTIONS answer, not a CORS one


@pytest.mark.parametrize(
    ("path", "covered"),
    [
        ("/v1/items", True),
        ("/v12/items", True),
        ("/v1/items/extra", False),
        ("/v1/itemsx", False),
        ("/xv1/items", False),
    ],
)
def test_regular_expression_patterns_match_the_whole_path(path: str, covered: bool) -> None:
    client = catch_all_app({re.compile(r"/v[0-9]+/items"): {"allow_origins": [ORIGIN]}})
    assert (who_is_allowed(client, path, [ORIGIN]) == [ORIGIN]) is covered
