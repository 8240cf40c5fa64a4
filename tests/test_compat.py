"""``flask_cors_ext.compat``: flask-cors 6.0 users switch by changing one import.

Differential tests run the same application and requests through the installed
flask-cors 6.0.2 and through ``flask_cors_ext.compat``, and compare every
``Access-Control-*`` header (value and multiplicity) and the status, where the
behaviour is meant to be identical.  ``Vary`` is compared only where it is not one of
the deliberate differences; each deliberate difference is tested with the message a
user sees (see ``docs/migrating-from-flask-cors.rst``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cors_wsgi import CORSConfigError
from flask_cors_ext import compat


class _NoFlaskCORS:
    """Stands in for flask-cors when it is not installed: a differential test using it is skipped."""

    __name__ = "flask_cors"

    def __getattr__(self, name: str) -> Any:
        if name not in ("CORS", "cross_origin"):  # pytest looks at module attributes while collecting
            raise AttributeError(name)
        pytest.skip("flask-cors 6.0 is not installed (it is in the bench extra: pip install -e '.[bench]')")


try:
    import flask_cors  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - the test and bench extras install it
    flask_cors = _NoFlaskCORS()
else:
    if not flask_cors.__version__.startswith("6.0."):  # the behaviours compared are 6.0's
        flask_cors = _NoFlaskCORS()

ORIGIN = "https://app.example.com"
OTHER = "https://other.example.com"
STRANGER = "https://evil.example.net"

Headers = dict[str, str]


@pytest.fixture(autouse=True)
def _fresh_warnings() -> Iterator[None]:
    """compat says each warning once per process; every test starts afresh."""
    compat._said.clear()
    yield
    compat._said.clear()


def make_app(
    module: Any,
    options: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    decorated: dict[str, Any] | None = None,
    app_wide: bool = True,
) -> Flask:
    """An application with ``/api/items`` (GET, PUT), ``/api/v1/users``, ``/other`` and ``/special``
    (``@cross_origin(**decorated)`` when given), set up with ``module`` (flask_cors or compat)."""
    app = Flask(f"compat_{module.__name__}")
    app.config.update(config or {})

    @app.route("/api/items", methods=["GET", "PUT"])
    def items() -> str:
        return "items"

    @app.route("/api/v1/users", methods=["GET", "PUT", "DELETE"])
    def users() -> str:
        return "users"

    @app.route("/other", methods=["GET", "PUT"])
    def other() -> str:
        return "other"

    if decorated is not None:

        @app.route("/special", methods=["GET", "PUT"])
        @module.cross_origin(**decorated)
        def special() -> str:
            return "special"

    if app_wide:
        module.CORS(app, **(options or {}))
    return app


def cors_of(response: Any, vary: bool = False) -> list[tuple[str, str]]:
    """Every ``Access-Control-*`` header (and ``Vary`` when asked), sorted, repeated ones kept."""
    return sorted(
        (name, value)
        for name, value in response.headers.items()
        if name.lower().startswith("access-control-") or (vary and name.lower() == "vary")
    )


def preflight(method: str = "PUT", headers: str | None = "x-api-key,x-token", origin: str = ORIGIN) -> Headers:
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        sent["Access-Control-Request-Headers"] = headers
    return sent


#: (HTTP method, path, request headers) asked of both implementations.
REQUESTS: list[tuple[str, str, Headers]] = [
    ("GET", "/api/items", {"Origin": ORIGIN}),
    ("GET", "/api/items", {"Origin": OTHER}),
    ("GET", "/api/items", {"Origin": STRANGER}),
    ("GET", "/api/items", {}),
    ("PUT", "/api/items", {"Origin": ORIGIN}),
    ("GET", "/api/v1/users", {"Origin": ORIGIN}),
    ("GET", "/other", {"Origin": ORIGIN}),
    ("GET", "/other", {}),
    ("GET", "/missing", {"Origin": ORIGIN}),
    ("OPTIONS", "/api/items", {"Origin": ORIGIN}),  # not a preflight: no Access-Control-Request-Method
    ("OPTIONS", "/api/items", preflight()),
    ("OPTIONS", "/api/items", preflight(headers=None)),
    ("OPTIONS", "/api/items", preflight(headers="x-token")),
    ("OPTIONS", "/api/items", preflight(headers="X-Token, X-Other")),
    ("OPTIONS", "/api/items", preflight(method="DELETE")),
    ("OPTIONS", "/api/items", preflight(origin=STRANGER)),
    ("OPTIONS", "/api/items", {**preflight(), "Access-Control-Request-Private-Network": "true"}),
    ("OPTIONS", "/api/items", {**preflight(), "Access-Control-Request-Private-Network": "false"}),
    ("GET", "/api/items", {"Origin": ORIGIN, "Access-Control-Request-Private-Network": "true"}),
    ("OPTIONS", "/api/v1/users", preflight(method="DELETE")),
    ("OPTIONS", "/other", preflight()),
]


def ask(client: FlaskClient, method: str, path: str, headers: Headers) -> Any:
    return client.open(path, method=method, headers=headers)


def compare(
    options: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    decorated: dict[str, Any] | None = None,
    requests: list[tuple[str, str, Headers]] = REQUESTS,
    vary: bool = False,
    app_wide: bool = True,
) -> None:
    theirs = make_app(flask_cors, options, config, decorated, app_wide).test_client()
    ours = make_app(compat, options, config, decorated, app_wide).test_client()
    paths = [path for _, path, _ in requests]
    if decorated is not None:
        requests = [*requests, *[(m, "/special", h) for m, p, h in requests if p == "/api/items"]]
    assert paths  # (requests are never empty)
    for method, path, headers in requests:
        expected, got = ask(theirs, method, path, headers), ask(ours, method, path, headers)
        context = f"{method} {path} {headers}"
        assert got.status_code == expected.status_code, context
        assert cors_of(got, vary) == cors_of(expected, vary), context


# -- the same answers as flask-cors ----------------------------------------------------------------


SAME: dict[str, dict[str, Any]] = {
    "defaults": {},
    "one origin": {"origins": ORIGIN},
    "origin list": {"origins": [OTHER, ORIGIN]},
    "origin set": {"origins": {ORIGIN, OTHER}},
    "origin tuple": {"origins": (ORIGIN,)},
    "regex anchored at its end": {"origins": r"https://(app|other)\.example\.com$"},
    "regex among origins": {"origins": [OTHER, r"https://a.*\.example\.com$"]},
    "compiled regex": {"origins": re.compile(r"https://app\.example\.com$")},
    "send_wildcard": {"send_wildcard": True},
    "send_wildcard with a list": {"origins": [ORIGIN], "send_wildcard": True},
    "always_send off": {"always_send": False},
    "always_send off, a list": {"origins": [ORIGIN, OTHER], "always_send": False},
    "credentials": {"origins": [ORIGIN], "supports_credentials": True},
    "credentials off": {"origins": [ORIGIN], "supports_credentials": False},
    "expose list": {"expose_headers": ["X-Total", "X-Page", "ETag"]},
    "expose str": {"expose_headers": "X-Total, X-Page"},
    "max_age int": {"max_age": 600},
    "max_age timedelta": {"max_age": timedelta(minutes=10)},
    "max_age str": {"max_age": "600"},
    "methods": {"methods": ["PUT", "GET"]},
    "methods lowercase": {"methods": ["put", "get", "delete"]},
    "methods str": {"methods": "GET, PUT"},
    "allow_headers names": {"allow_headers": ["X-Token", "X-Other"]},
    "allow_headers one name": {"allow_headers": "X-Token"},
    "allow_headers regex": {"allow_headers": [r"X-.*"]},
    "allow_headers compiled": {"allow_headers": [re.compile(r"x-tok.*", re.IGNORECASE)]},
    "allow_headers star": {"allow_headers": "*"},
    "private network on": {"allow_private_network": True},
    "private network off": {"allow_private_network": False},
    "vary_header on": {"vary_header": True, "origins": [ORIGIN, OTHER]},
    "automatic_options (app: no effect)": {"automatic_options": False},
    "intercept_exceptions off": {"intercept_exceptions": False},
    "resources dict": {"resources": {r"/api/*": {"origins": ORIGIN}}},
    "resources priority": {
        "resources": {r"/api/.*": {"origins": OTHER}, r"/api/v1/.*": {"origins": ORIGIN, "max_age": 5}}
    },
    "resources literal path": {"resources": {"/other": {"origins": ORIGIN}, r"/api/.*": {}}},
    "resources str": {"resources": r"/api/.*"},
    "resources list": {"resources": [r"/api/v1/.*", "/other"]},
    "resources compiled": {"resources": re.compile(r"/api/.*")},
    "resources star": {"resources": "*", "origins": ORIGIN},
    "resources every path last": {"resources": {r"/*": {"origins": OTHER}, r"/api/items": {"origins": ORIGIN}}},
    "resources with their own switches": {
        "resources": {r"/api/.*": {"send_wildcard": True}, r"/other": {"origins": ORIGIN, "always_send": False}}
    },
}


@pytest.mark.parametrize("options", SAME.values(), ids=SAME.keys())
def test_the_same_cors_headers_as_flask_cors(options: dict[str, Any]) -> None:
    compare(options)


CONFIG: dict[str, dict[str, Any]] = {
    "CORS_ORIGINS": {"CORS_ORIGINS": [ORIGIN, OTHER]},
    "CORS_METHODS": {"CORS_METHODS": ["GET", "PUT"]},
    "CORS_ALLOW_HEADERS": {"CORS_ALLOW_HEADERS": ["X-Token"]},
    "CORS_EXPOSE_HEADERS": {"CORS_EXPOSE_HEADERS": ["X-B", "X-A"]},
    "CORS_SUPPORTS_CREDENTIALS": {"CORS_SUPPORTS_CREDENTIALS": True, "CORS_ORIGINS": [ORIGIN]},
    "CORS_MAX_AGE": {"CORS_MAX_AGE": 3600},
    "CORS_SEND_WILDCARD": {"CORS_SEND_WILDCARD": True},
    "CORS_AUTOMATIC_OPTIONS": {"CORS_AUTOMATIC_OPTIONS": True},
    "CORS_VARY_HEADER": {"CORS_VARY_HEADER": True},
    "CORS_RESOURCES": {"CORS_RESOURCES": {r"/api/.*": {"origins": ORIGIN}}},
    "CORS_INTERCEPT_EXCEPTIONS": {"CORS_INTERCEPT_EXCEPTIONS": False},
    "CORS_ALWAYS_SEND": {"CORS_ALWAYS_SEND": False},
    "CORS_ALLOW_PRIVATE_NETWORK": {"CORS_ALLOW_PRIVATE_NETWORK": True},
    "None is the default": {"CORS_ORIGINS": None, "CORS_MAX_AGE": None},
}


@pytest.mark.parametrize("config", CONFIG.values(), ids=CONFIG.keys())
def test_every_cors_config_key_as_flask_cors(config: dict[str, Any]) -> None:
    compare(config=config)


def test_keyword_options_override_the_config_and_resources_override_both() -> None:
    compare(
        {"origins": [ORIGIN], "resources": {r"/api/v1/.*": {"origins": OTHER}, r"/.*": {}}},
        config={"CORS_ORIGINS": [OTHER], "CORS_EXPOSE_HEADERS": ["X-A"], "CORS_MAX_AGE": 60},
    )


def test_init_app_options_override_the_constructors() -> None:
    def build(module: Any) -> FlaskClient:
        app = make_app(module, app_wide=False)
        module.CORS(origins=[OTHER], max_age=5).init_app(app, origins=[ORIGIN])
        return app.test_client()

    theirs, ours = build(flask_cors), build(compat)
    for method, path, headers in REQUESTS:
        assert cors_of(ask(ours, method, path, headers)) == cors_of(ask(theirs, method, path, headers))


DECORATED: dict[str, tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any]]] = {
    # name: (decorator options, CORS(app) options or None for no CORS(app), config)
    "defaults, no CORS(app)": ({}, None, {}),
    "origins": ({"origins": [ORIGIN]}, None, {}),
    "credentials": ({"origins": [ORIGIN], "supports_credentials": True, "max_age": 60}, None, {}),
    "inherits the config": ({}, None, {"CORS_ORIGINS": [ORIGIN], "CORS_EXPOSE_HEADERS": ["X-A"]}),
    "not CORS(app)'s options": ({"methods": ["GET", "PUT"]}, {"origins": [OTHER], "max_age": 9}, {}),
    "its own over the config": ({"origins": OTHER}, {}, {"CORS_ORIGINS": [ORIGIN]}),
    "send_wildcard": ({"send_wildcard": True}, None, {}),
}


@pytest.mark.parametrize(("decorated", "options", "config"), DECORATED.values(), ids=DECORATED.keys())
def test_cross_origin_as_flask_cors(
    decorated: dict[str, Any], options: dict[str, Any] | None, config: dict[str, Any]
) -> None:
    compare(options, config, decorated, app_wide=options is not None)


@pytest.mark.parametrize("methods", [["GET", "PUT"], ["GET", "PUT", "OPTIONS"]], ids=["flask", "the view"])
def test_automatic_options_false_flask_or_the_view_answers_options(methods: list[str]) -> None:
    """flask-cors's decorator switch: Flask's own OPTIONS answer gets no CORS headers; a view that
    answers OPTIONS itself gets them, preflight headers included."""

    def build(module: Any) -> FlaskClient:
        app = Flask(f"automatic_{module.__name__}")

        @app.route("/view", methods=methods)
        @module.cross_origin(origins=[ORIGIN], automatic_options=False, max_age=60)
        def view() -> str:
            return "view"

        return app.test_client()

    theirs, ours = build(flask_cors), build(compat)
    for headers in (preflight(), preflight(headers=None), {"Origin": ORIGIN}, preflight(origin=STRANGER)):
        for method in ("OPTIONS", "GET"):
            expected, got = (
                theirs.open("/view", method=method, headers=headers),
                ours.open("/view", method=method, headers=headers),
            )
            assert got.status_code == expected.status_code
            assert cors_of(got) == cors_of(expected), (method, headers, methods)
    if "OPTIONS" not in methods:
        assert not cors_of(ours.options("/view", headers=preflight()))


# -- the deliberate differences, with the message a user sees ---------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"supports_credentials": True},
        {"origins": "*", "supports_credentials": True},
        {"origins": ["*", ORIGIN], "supports_credentials": True},
        {"resources": {r"/api/.*": {"supports_credentials": True}}},
    ],
    ids=["default origins", "star", "star in a list", "in a resources entry"],
)
def test_any_origin_with_credentials_is_refused_with_a_flask_cors_message(options: dict[str, Any]) -> None:
    app = Flask("credentials")
    with pytest.raises(CORSConfigError) as raised:
        compat.CORS(app, **options)
    message = str(raised.value)
    assert "with supports_credentials=True: flask-cors answered every web site with its own origin" in message
    assert "list origins=[...], or use allow_origin_regex/allow_origin_func" in message
    assert "cannot be combined with allow_credentials" not in message  # said once, in flask-cors's words


def test_the_default_origins_are_named_as_such() -> None:
    with pytest.raises(CORSConfigError, match=r"origins '\*' \(the default\) with supports_credentials=True"):
        compat.CORS(Flask("default"), supports_credentials=True)
    with pytest.raises(CORSConfigError, match=r"resources\['/api/\.\*'\]: origins '\*' \(the default\)"):
        compat.CORS(Flask("entry"), resources={r"/api/.*": {"supports_credentials": True}})


def test_an_unanchored_origin_regex_matches_the_whole_origin_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    options = {"origins": [r"https://app\.example\.com"]}
    with caplog.at_level(logging.WARNING, logger="flask_cors"):
        ours = make_app(compat, options).test_client()
    warnings = [r.getMessage() for r in caplog.records if r.name == "flask_cors.compat"]
    assert warnings == [
        "CORS(): 'origins': the regular expression 'https://app\\\\.example\\\\.com' must match the whole origin "
        "here; flask-cors matched only its start, so it also accepted 'https://app.example.com.evil.example', "
        "which is refused now (list such an origin if it should be allowed)"
    ]
    theirs = make_app(flask_cors, options).test_client()
    lookalike = {"Origin": "https://app.example.com.evil.example"}
    assert theirs.get("/api/items", headers=lookalike).headers.get("Access-Control-Allow-Origin")
    assert ours.get("/api/items", headers=lookalike).headers.get("Access-Control-Allow-Origin") is None
    allowed = ours.get("/api/items", headers={"Origin": ORIGIN})
    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_an_anchored_or_open_ended_regex_is_not_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="flask_cors"):
        make_app(compat, {"origins": [r"https://app\.example\.com$", r"https://.*\.example\.org.*"]})
    assert not [r for r in caplog.records if r.name == "flask_cors.compat"]


def test_origin_regexes_are_case_insensitive_as_in_flask_cors() -> None:
    ours = make_app(compat, {"origins": [r"HTTPS://APP\.EXAMPLE\.COM$"]}).test_client()
    assert ours.get("/api/items", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == ORIGIN


def test_vary_origin_whenever_the_answer_depends_on_the_origin() -> None:
    """flask-cors sent no Vary for one listed origin, nor to a refused origin: a shared cache
    could then serve one origin's answer to another."""
    theirs = make_app(flask_cors, {"origins": ORIGIN}).test_client()
    ours = make_app(compat, {"origins": ORIGIN}).test_client()
    for headers in ({"Origin": ORIGIN}, {"Origin": STRANGER}, {}):
        assert "Vary" not in theirs.get("/api/items", headers=headers).headers or headers.get("Origin") == ORIGIN
        assert ours.get("/api/items", headers=headers).headers["Vary"] == "Origin"
    public = make_app(compat, {}).test_client()  # '*' echoed: depends on the origin, even without one
    assert public.get("/api/items").headers["Vary"] == "Origin"
    static = make_app(compat, {"send_wildcard": True}).test_client()
    assert "Vary" not in static.get("/api/items", headers={"Origin": ORIGIN}).headers


def test_vary_header_false_is_refused_with_the_reason() -> None:
    with pytest.raises(CORSConfigError) as raised:
        compat.CORS(Flask("vary"), origins=[ORIGIN], vary_header=False)
    assert (
        "vary_header=False is not supported: 'Vary: Origin' is always sent when the answer depends on the origin"
        in str(raised.value)
    )
    with pytest.raises(CORSConfigError, match="vary_header=False"):
        app = Flask("vary_config")
        app.config["CORS_VARY_HEADER"] = False
        compat.CORS(app)
    compat.CORS(Flask("static"), send_wildcard=True, vary_header=False)  # a static '*' needs no Vary


def test_an_invalid_view_policy_fails_that_view_only() -> None:
    app = Flask("one_view")
    compat.CORS(app, origins=[ORIGIN])

    @app.route("/fine")
    def fine() -> str:
        return "fine"

    @app.route("/broken")
    @compat.cross_origin(supports_credentials=True)  # origins default '*': refused
    def broken() -> str:
        return "broken"

    client = app.test_client()
    assert client.get("/broken", headers={"Origin": ORIGIN}).status_code == 500
    response = client.get("/fine", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_a_view_policy_known_at_start_up_raises_there() -> None:
    app = Flask("start_up")

    @app.route("/broken")
    @compat.cross_origin(supports_credentials=True)
    def broken() -> str:
        return "broken"

    with pytest.raises(CORSConfigError, match=r"view 'broken' .*flask-cors answered every web site"):
        compat.CORS(app, origins=[ORIGIN])


# -- improvements that change no configuration -----------------------------------------------------


def test_preflights_are_answered_before_before_request_hooks() -> None:
    """flask-cors answered preflights through Flask, so an authentication hook refused them."""

    def build(module: Any) -> FlaskClient:
        app = make_app(module, {"origins": [ORIGIN]})

        @app.before_request
        def authenticate() -> tuple[str, int] | None:
            return ("login first", 401)

        return app.test_client()

    assert build(flask_cors).options("/api/items", headers=preflight()).status_code == 401
    answer = build(compat).options("/api/items", headers=preflight())
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert answer.headers["Access-Control-Allow-Methods"] == "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"


@pytest.mark.parametrize("origins", ["*", [ORIGIN]])
def test_error_responses_as_flask_cors(origins: object) -> None:
    """404, 405 and an unhandled exception's 500 carry the headers (flask-cors's intercept_exceptions)."""

    def build(module: Any) -> FlaskClient:
        app = make_app(module, {"origins": origins})

        @app.route("/fails")
        def fails() -> str:
            raise RuntimeError("boom")

        return app.test_client()

    theirs, ours = build(flask_cors), build(compat)
    for method, path in (("GET", "/fails"), ("GET", "/missing"), ("DELETE", "/other")):
        for headers in ({"Origin": ORIGIN}, {"Origin": STRANGER}, {}):
            expected, got = ask(theirs, method, path, headers), ask(ours, method, path, headers)
            assert (got.status_code, cors_of(got)) == (expected.status_code, cors_of(expected)), (method, path)


def test_error_responses_carry_the_headers_even_with_intercept_exceptions_false() -> None:
    app = Flask("errors")

    @app.route("/fails")
    def fails() -> str:
        raise RuntimeError("boom")

    compat.CORS(app, origins=[ORIGIN], intercept_exceptions=False)
    response = app.test_client().get("/fails", headers={"Origin": ORIGIN})
    assert response.status_code == 500
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_access_control_headers_a_view_sets_are_replaced_by_the_policys_answer() -> None:
    """flask-cors kept a view's own Access-Control-Allow-Origin and skipped its policy."""

    def build(module: Any) -> FlaskClient:
        app = Flask(f"own_headers_{module.__name__}")

        @app.route("/own")
        def own() -> tuple[str, int, dict[str, str]]:
            return "own", 200, {"Access-Control-Allow-Origin": "*", "Access-Control-Max-Age": "5"}

        module.CORS(app, origins=[ORIGIN])
        return app.test_client()

    theirs = build(flask_cors).get("/own", headers={"Origin": STRANGER})
    assert theirs.headers["Access-Control-Allow-Origin"] == "*"
    ours = build(compat).get("/own", headers={"Origin": STRANGER})
    assert "Access-Control-Allow-Origin" not in ours.headers
    assert "Access-Control-Max-Age" not in ours.headers
    allowed = build(compat).get("/own", headers={"Origin": ORIGIN})
    assert allowed.headers.getlist("Access-Control-Allow-Origin") == [ORIGIN]


def test_resources_use_the_canonical_path() -> None:
    """flask-cors matched the raw, twice-decoded path; '//api' and dot segments cannot pick another policy."""
    ours = make_app(compat, {"resources": {r"/api/.*": {"origins": ORIGIN}}}).test_client()
    for spelling in ("//api/items", "/other/../api/items"):
        response = ours.get("/", headers={"Origin": ORIGIN}, environ_overrides={"PATH_INFO": spelling})
        assert response.headers.get("Access-Control-Allow-Origin") == ORIGIN, spelling


# -- option forms and values -------------------------------------------------------------------------


def test_origin_strings_the_core_reads_as_patterns() -> None:
    ours = make_app(compat, {"origins": ["https://*.example.com", "http://localhost:*"]}).test_client()
    for origin in ("https://app.example.com", "http://localhost:5173"):
        assert ours.get("/api/items", headers={"Origin": origin}).headers["Access-Control-Allow-Origin"] == origin
    assert "Access-Control-Allow-Origin" not in ours.get("/api/items", headers={"Origin": STRANGER}).headers


@pytest.mark.parametrize(
    ("origins", "problem"),
    [
        ("example.com", "an origin needs a scheme"),
        ("https://example.com/app", "an origin has no path"),
        (r"https://(unclosed", "not a valid regular expression"),
        (42, "an origin is a str or a compiled pattern"),
        (
            "https://a.example, https://b.example",
            "one origin per item — flask-cors compared the whole string, so it never matched; "
            "write origins=['https://a.example', 'https://b.example']",
        ),
    ],
)
def test_an_origin_that_could_never_match_is_refused(origins: object, problem: str) -> None:
    with pytest.raises(CORSConfigError, match=re.escape(problem)):
        compat.CORS(Flask("never"), origins=origins)


def test_allow_headers_regex_matches_the_whole_name_in_any_case() -> None:
    ours = make_app(compat, {"allow_headers": ["X-COMPANY-.*"]}).test_client()
    answer = ours.options("/api/items", headers=preflight(headers="x-company-user,x-company-id,x-other"))
    assert answer.headers["Access-Control-Allow-Headers"] == "x-company-id, x-company-user"


def test_allow_headers_regex_that_matched_only_a_start_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="flask_cors"):
        compat.CORS(Flask("prefix"), allow_headers=["X-Custom*"])
    assert any("must match the whole header name here" in r.getMessage() for r in caplog.records)


def test_requested_header_names_keep_the_request_spelling_sorted() -> None:
    ours = make_app(compat, {}).test_client()
    answer = ours.options("/api/items", headers=preflight(headers="X-Zeta, X-Alpha"))
    assert answer.headers["Access-Control-Allow-Headers"] == "X-Alpha, X-Zeta"


def test_safelisted_request_headers_are_always_allowed() -> None:
    """The core's decision: Content-Type (JSON) is allowed for an allowed origin even when
    allow_headers does not list it; flask-cors left it out, and the browser refused the request."""
    options = {"allow_headers": ["X-Token"]}
    theirs = make_app(flask_cors, options).test_client()
    ours = make_app(compat, options).test_client()
    asked = preflight(headers="content-type,x-token")
    assert theirs.options("/api/items", headers=asked).headers["Access-Control-Allow-Headers"] == "x-token"
    assert ours.options("/api/items", headers=asked).headers["Access-Control-Allow-Headers"] == "content-type, x-token"


def test_the_core_length_bound_on_requested_headers_is_kept() -> None:
    ours = make_app(compat, {}).test_client()
    answer = ours.options("/api/items", headers=preflight(headers="," * 8192))
    assert answer.status_code == 200
    assert "Access-Control-Allow-Headers" not in answer.headers


@pytest.mark.parametrize("value", ["true", "false"])
def test_private_network_answer_whenever_asked_with_true(value: str) -> None:
    ours = make_app(compat, {"allow_private_network": value == "true"}).test_client()
    asked = ours.options("/api/items", headers={**preflight(), "Access-Control-Request-Private-Network": "true"})
    assert asked.headers["Access-Control-Allow-Private-Network"] == value
    not_asked = ours.options("/api/items", headers={**preflight(), "Access-Control-Request-Private-Network": "TRUE"})
    assert "Access-Control-Allow-Private-Network" not in not_asked.headers


@pytest.mark.parametrize("max_age", [600, timedelta(seconds=600), "600", 600.0])
def test_max_age_forms(max_age: object) -> None:
    ours = make_app(compat, {"max_age": max_age}).test_client()
    assert ours.options("/api/items", headers=preflight()).headers["Access-Control-Max-Age"] == "600"


def test_max_age_zero_is_sent() -> None:
    """flask-cors dropped every falsy value, so max_age=0 sent nothing (browsers then cache 5 s)."""
    theirs = make_app(flask_cors, {"max_age": 0}).test_client()
    ours = make_app(compat, {"max_age": 0}).test_client()
    assert "Access-Control-Max-Age" not in theirs.options("/api/items", headers=preflight()).headers
    assert ours.options("/api/items", headers=preflight()).headers["Access-Control-Max-Age"] == "0"


@pytest.mark.parametrize(
    ("options", "request_headers", "theirs_allow", "ours_allow"),
    [
        ({"methods": ["GET", "PUT"]}, preflight(method="POST"), None, "GET, PUT"),
        ({}, preflight(method="patch"), "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT", None),
    ],
    ids=["safelisted method", "lowercase method"],
)
def test_the_method_decision_is_the_browsers(
    options: dict[str, Any], request_headers: Headers, theirs_allow: str | None, ours_allow: str | None
) -> None:
    """POST is never refused by a browser's method check (flask-cors then also left out the
    allowed headers); methods compare case-sensitively (flask-cors upper-cased 'patch' and
    answered PATCH, which the browser refused anyway)."""
    theirs = make_app(flask_cors, options).test_client().options("/api/items", headers=request_headers)
    ours = make_app(compat, options).test_client().options("/api/items", headers=request_headers)
    assert theirs.headers.get("Access-Control-Allow-Methods") == theirs_allow
    assert ours.headers.get("Access-Control-Allow-Methods") == ours_allow


def test_names_browsers_never_send_or_expose_are_dropped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="flask_cors"):
        ours = make_app(compat, {"allow_headers": ["Origin", "X-Token"], "expose_headers": ["Set-Cookie", "X-A"]})
    messages = [r.getMessage() for r in caplog.records if r.name == "flask_cors.compat"]
    assert any("'Origin' ignored: the browser sets it itself" in m for m in messages)
    assert any("'Set-Cookie' ignored: browsers never expose Set-Cookie" in m for m in messages)
    response = ours.test_client().get("/api/items", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Expose-Headers"] == "X-A"


def test_origins_are_normalized_as_browsers_send_them() -> None:
    """flask-cors compared the text: 'https://App.example.com/' never matched a browser's Origin."""
    ours = make_app(compat, {"origins": ["https://App.example.com/"]}).test_client()
    assert ours.get("/api/items", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == ORIGIN


def test_max_age_that_is_not_seconds_is_refused() -> None:
    with pytest.raises(CORSConfigError, match="expected seconds as an int, a timedelta or a numeric str"):
        compat.CORS(Flask("age"), max_age="ten minutes")


def test_switch_values_must_be_booleans() -> None:
    """flask-cors read 'false' (an environment string) as true."""
    app = Flask("strings")
    app.config["CORS_SUPPORTS_CREDENTIALS"] = "false"
    with pytest.raises(CORSConfigError, match="expects True or False"):
        compat.CORS(app, origins=[ORIGIN])
    with pytest.raises(CORSConfigError, match="'send_wildcard' expects True or False"):
        compat.CORS(Flask("switch"), send_wildcard="yes")
    with pytest.raises(CORSConfigError, match="'debug' expects True or False"):
        compat.CORS(Flask("debug"), debug="false")


def test_debug_explains_refused_preflights_in_the_body() -> None:
    app = make_app(compat, {"origins": [ORIGIN], "debug": True})
    answer = app.test_client().options("/api/items", headers=preflight(method="PROPFIND"))
    assert answer.status_code == 200
    assert answer.get_data(as_text=True).startswith("CORS preflight refused: method 'PROPFIND' is not allowed")


def test_a_resources_entry_flask_cors_never_reached_is_ignored_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="flask_cors"):
        ours = make_app(compat, {"resources": {r"/*": {"origins": OTHER}, r".*items": {"origins": ORIGIN}}})
    assert any("never applied there either" in r.getMessage() for r in caplog.records)
    response = ours.test_client().get("/api/items", headers={"Origin": OTHER})
    assert response.headers["Access-Control-Allow-Origin"] == OTHER


def test_an_invalid_resources_regex_is_refused() -> None:
    with pytest.raises(CORSConfigError, match="not a valid regular expression"):
        compat.CORS(Flask("paths"), resources={r"/api/(": {}})


def test_the_legacy_headers_option_is_ignored_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    app = Flask("legacy")
    app.config["CORS_HEADERS"] = "Content-Type"
    with caplog.at_level(logging.WARNING, logger="flask_cors"):
        compat.CORS(app, headers=["X-Token"])
        app.test_client().get("/", headers={"Origin": ORIGIN})
    messages = [r.getMessage() for r in caplog.records if r.name == "flask_cors.compat"]
    assert len([m for m in messages if "'CORS_HEADERS' is not a flask-cors option" in m]) == 1
    assert len([m for m in messages if "'headers' is not a flask-cors option" in m]) == 1


def test_unknown_options_are_warnings_with_did_you_mean(caplog: pytest.LogCaptureFixture) -> None:
    app = Flask("unknown")
    app.config["CORS_ORIGIN"] = ORIGIN
    with caplog.at_level(logging.WARNING, logger="flask_cors"):
        compat.CORS(app, supports_credential=True, origins=[ORIGIN])
    messages = [r.getMessage() for r in caplog.records]
    assert "CORS(): unknown option 'supports_credential' ignored — did you mean 'supports_credentials'?" in messages
    assert "app.config: unknown option 'CORS_ORIGIN' ignored — did you mean 'CORS_ORIGINS'?" in messages


def test_one_option_in_two_spellings_is_refused() -> None:
    with pytest.raises(CORSConfigError, match="'origins' and 'allow_origins' are the same option"):
        compat.CORS(Flask("twice"), origins=[ORIGIN], allow_origins=[OTHER])


def test_core_names_are_accepted_too() -> None:
    ours = make_app(compat, {"allow_origin_func": lambda origin: origin == ORIGIN}).test_client()
    assert ours.get("/api/items", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Origin" not in ours.get("/api/items", headers={"Origin": OTHER}).headers


# -- logging ------------------------------------------------------------------------------------------


def test_the_flask_cors_logger_switch_keeps_working(caplog: pytest.LogCaptureFixture) -> None:
    ours = make_app(compat, {"origins": [ORIGIN]}).test_client()
    logging.getLogger("flask_cors").setLevel(logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG, logger="flask_cors"):
            ours.get("/api/items", headers={"Origin": "https://\u00e9vil.example"})
            ours.options("/api/items", headers=preflight(method="PROPFIND"))
    finally:
        logging.getLogger("flask_cors").setLevel(logging.NOTSET)
    messages = [r.getMessage() for r in caplog.records if r.name == "flask_cors.compat"]
    assert "The request's Origin 'https://\\xe9vil.example' does not match any of the allowed origins" in messages
    assert any("method 'PROPFIND' is not allowed" in m for m in messages)


# -- plumbing -------------------------------------------------------------------------------------


def test_a_native_application_registers_no_forms() -> None:
    import flask_cors_ext

    app = Flask("native")
    flask_cors_ext.CORS(app, allow_origins=[ORIGIN])
    assert app.extensions["cors"].forms == {}
    assert app.extensions["cors"].dialect is None


def test_mixing_both_entry_points_on_one_application_is_refused() -> None:
    import flask_cors_ext

    app = Flask("mixed")
    compat.CORS(app)
    with pytest.raises(CORSConfigError, match=re.escape("already uses flask_cors_ext.compat's CORS")):
        flask_cors_ext.CORS(app)

    other = Flask("mixed_view")

    @other.route("/v")
    @compat.cross_origin(origins=[ORIGIN])
    def v() -> str:
        return "v"

    with pytest.raises(CORSConfigError, match=re.escape("its @cross_origin comes from flask_cors_ext.compat")):
        flask_cors_ext.CORS(other)


def test_cross_origin_without_cors_app_answers_the_first_request_too() -> None:
    app = Flask("first")

    @app.route("/v", methods=["GET", "PUT"])
    @compat.cross_origin(origins=[ORIGIN], max_age=30)
    def v() -> str:
        return "v"

    @app.before_request
    def authenticate() -> tuple[str, int] | None:
        return ("login first", 401) if app.config.get("LOCKED") else None

    app.config["LOCKED"] = True
    client = app.test_client()
    first = client.options("/v", headers=preflight())
    assert first.status_code == 200
    assert first.headers["Access-Control-Max-Age"] == "30"
    assert first.headers["Access-Control-Allow-Origin"] == ORIGIN
    again = client.options("/v", headers=preflight())
    assert cors_of(again) == cors_of(first)


def test_blueprints() -> None:
    from flask import Blueprint

    def build(module: Any) -> FlaskClient:
        app = Flask(f"bp_{module.__name__}")
        api = Blueprint("api", __name__)

        @api.route("/items", methods=["GET", "PUT"])
        def items() -> str:
            return "items"

        module.CORS(api, origins=[ORIGIN], max_age=60)
        app.register_blueprint(api, url_prefix="/api")

        @app.route("/outside")
        def outside() -> str:
            return "outside"

        return app.test_client()

    theirs, ours = build(flask_cors), build(compat)
    for method, path, headers in [*REQUESTS, ("GET", "/outside", {"Origin": ORIGIN})]:
        assert cors_of(ask(ours, method, path, headers)) == cors_of(ask(theirs, method, path, headers)), (method, path)


# -- flask-cors's README, migrated by changing the import ----------------------------------------------


def readme_apps(module: Any) -> Iterator[tuple[Flask, list[tuple[str, str, Headers]]]]:
    app = Flask(f"readme_simple_{module.__name__}")
    module.CORS(app)

    @app.route("/")
    def hello_world() -> str:
        return "Hello, cross-origin-world!"

    yield app, [("GET", "/", {"Origin": ORIGIN}), ("GET", "/", {}), ("OPTIONS", "/", preflight())]

    app = Flask(f"readme_resources_{module.__name__}")
    module.CORS(app, resources={r"/api/*": {"origins": "*"}})

    @app.route("/api/v1/users")
    def list_users() -> str:
        return "user example"

    @app.route("/")
    def home() -> str:
        return "home"

    yield (
        app,
        [
            ("GET", "/api/v1/users", {"Origin": ORIGIN}),
            ("OPTIONS", "/api/v1/users", preflight(method="GET")),
            ("GET", "/", {"Origin": ORIGIN}),
        ],
    )

    app = Flask(f"readme_decorator_{module.__name__}")

    @app.route("/")
    @module.cross_origin()
    def hello_decorated() -> str:
        return "Hello, cross-origin-world!"

    yield app, [("GET", "/", {"Origin": ORIGIN}), ("GET", "/", {}), ("OPTIONS", "/", preflight(method="GET"))]


def test_flask_cors_readme_examples_switch_by_the_import() -> None:
    for (theirs, requests), (ours, _) in zip(readme_apps(flask_cors), readme_apps(compat), strict=True):
        for method, path, headers in requests:
            expected = theirs.test_client().open(path, method=method, headers=headers)
            got = ours.test_client().open(path, method=method, headers=headers)
            assert got.status_code == expected.status_code
            assert cors_of(got) == cors_of(expected), (theirs.name, method, path)
            assert got.get_data() == expected.get_data() or method == "OPTIONS"


def test_flask_cors_routes_describes_compat_views_without_cors_app() -> None:
    from flask_cors_ext.cli import route_table

    app = Flask("routes")

    @app.route("/v")
    @compat.cross_origin(origins=[ORIGIN], max_age=30)
    def v() -> str:
        return "v"

    with app.app_context():
        rows = {row[0]: row for row in route_table()}
    assert rows["/v"][2] == ORIGIN
    assert rows["/v"][6] == "30"
    assert rows["/v"][-1] == "decorator"


def test_config_set_after_cors_app_is_read_before_the_first_request() -> None:
    app = make_app(compat, {})
    app.config["CORS_ORIGINS"] = [ORIGIN]
    client = app.test_client()
    assert client.get("/api/items", headers={"Origin": OTHER}).headers.get("Access-Control-Allow-Origin") is None
    assert client.get("/api/items", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == ORIGIN


def test_flask_cors_routes_names_regex_resources_as_flask_cors_reads_them() -> None:
    from flask_cors_ext.cli import route_table

    app = make_app(compat, {"resources": {r"/api/.*": {"origins": ORIGIN}, "/other": {}}})
    with app.app_context():
        rows = {row[0]: row for row in route_table()}
    assert rows["/api/items"][-1] == "resource re.match('/api/.*')"
    assert rows["/api/items"][2] == ORIGIN
    assert rows["/other"][-1] == "resource '/other'"
