"""``flask_cors_ext.compat`` against flask-cors 6.0.2 on generated configurations and requests.

Options are drawn from pools of values whose meaning is the same in both (the deliberate
differences are tested one by one in ``test_compat.py``): origins without ``*`` when
credentials are on, regexes anchored at their end, preflights asking for methods that are
neither safelisted nor lowercase, request headers that are not CORS-safelisted.  Every
``Access-Control-*`` header (value and multiplicity) and the status must be equal.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flask_cors_ext import compat

flask_cors = pytest.importorskip("flask_cors", reason="flask-cors 6.0 is not installed (bench extra)")
if not flask_cors.__version__.startswith("6.0."):
    pytest.skip("the behaviours compared are flask-cors 6.0's", allow_module_level=True)

A = "https://app.example.com"
B = "https://b.example.org"
C = "http://localhost:3000"

ORIGINS = st.sampled_from(
    [
        "*",
        A,
        [A, B],
        {B, C},
        [r"https://[a-z]+\.example\.com$", C],
        r"https?://(app|b)\.example\.(com|org)$",
        ["null", A],
    ]
)
OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "origins": ORIGINS,
        "methods": st.sampled_from([["GET", "PUT"], "PUT, DELETE", ["patch", "put", "get"], ["DELETE"]]),
        "allow_headers": st.sampled_from(["*", ["X-Token"], [r"X-.*"], ["X-Token", "X-Trace-Id"], "x-token"]),
        "expose_headers": st.sampled_from([["X-Total", "ETag"], "X-Total", []]),
        "max_age": st.sampled_from([600, timedelta(hours=1), "120"]),  # 0: flask-cors dropped it (falsy)
        "send_wildcard": st.booleans(),
        "always_send": st.booleans(),
        "allow_private_network": st.booleans(),
        "intercept_exceptions": st.booleans(),
    },
)
CREDENTIALED_ORIGINS = st.sampled_from([A, [A, B], [r"https://[a-z]+\.example\.com$", C]])

PATHS = ["/api/items", "/api/v1/users", "/other", "/view"]
REQUEST_ORIGINS = [A, B, C, "https://evil.example.net", "null", "https://app.example.com.evil.net"]
PREFLIGHT_METHODS = ["PUT", "DELETE", "PATCH"]
REQUEST_HEADERS = [None, "x-token", "x-token,x-trace-id", "X-Token, X-Other", "x-unknown"]


@st.composite
def configurations(draw: st.DrawFn) -> dict[str, Any]:
    options = draw(OPTIONS)
    if draw(st.booleans()):
        options["supports_credentials"] = True
        options["origins"] = draw(CREDENTIALED_ORIGINS)
    if draw(st.booleans()):
        entry = draw(OPTIONS)
        if options.get("supports_credentials") and "origins" in entry:
            entry["origins"] = draw(CREDENTIALED_ORIGINS)
        key = draw(st.sampled_from([r"/api/v1/.*", r"/api/*", "/other", r"/.*"]))
        options["resources"] = {key: entry, r"/api/.*": {}}
    return options


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str]]:
    path = draw(st.sampled_from(PATHS))
    headers: dict[str, str] = {}
    origin = draw(st.sampled_from([None, *REQUEST_ORIGINS]))
    if origin is not None:
        headers["Origin"] = origin
    if draw(st.booleans()):
        headers["Access-Control-Request-Private-Network"] = draw(st.sampled_from(["true", "false"]))
    if origin is not None and draw(st.booleans()):
        headers["Access-Control-Request-Method"] = draw(st.sampled_from(PREFLIGHT_METHODS))
        requested = draw(st.sampled_from(REQUEST_HEADERS))
        if requested is not None:
            headers["Access-Control-Request-Headers"] = requested
        return "OPTIONS", path, headers
    return draw(st.sampled_from(["GET", "PUT", "OPTIONS"])), path, headers


_names = itertools.count()
#: Options that may be given as CORS_* keys instead (flask-cors reads these from the config).
CONFIGURABLE = ("origins", "methods", "allow_headers", "expose_headers", "max_age", "send_wildcard", "always_send")


def build(
    module: Any, options: dict[str, Any], in_config: frozenset[str] = frozenset(), view: dict[str, Any] | None = None
) -> Flask:
    app = Flask(f"property_{next(_names)}")
    options = dict(options)
    for name in in_config & options.keys():
        app.config[f"CORS_{name.upper()}"] = options.pop(name)

    @app.route("/api/items", methods=["GET", "PUT", "DELETE", "PATCH"])
    def items() -> str:
        return "items"

    @app.route("/api/v1/users", methods=["GET", "PUT", "DELETE", "PATCH"])
    def users() -> str:
        return "users"

    @app.route("/other", methods=["GET", "PUT", "DELETE", "PATCH"])
    def other() -> str:
        return "other"

    if view is not None:

        @app.route("/view", methods=["GET", "PUT", "DELETE", "PATCH"])
        @module.cross_origin(**view)
        def decorated() -> str:
            return "view"

    module.CORS(app, **options)
    return app


def cors_of(response: Any) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in response.headers.items() if k.lower().startswith("access-control-"))


@st.composite
def views(draw: st.DrawFn) -> dict[str, Any] | None:
    if not draw(st.booleans()):
        return None
    view = draw(OPTIONS)
    if draw(st.booleans()):
        view["supports_credentials"] = True
        view["origins"] = draw(CREDENTIALED_ORIGINS)
    return view


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    options=configurations(),
    in_config=st.frozensets(st.sampled_from(CONFIGURABLE)),
    view=views(),
    asked=st.lists(requests(), min_size=1, max_size=6),
)
def test_compat_answers_as_flask_cors(
    options: dict[str, Any],
    in_config: frozenset[str],
    view: dict[str, Any] | None,
    asked: list[tuple[str, str, dict[str, str]]],
) -> None:
    theirs = build(flask_cors, options, in_config, view).test_client()
    ours = build(compat, options, in_config, view).test_client()
    for method, path, headers in asked:
        if path == "/view" and view is None:
            continue  # a preflight to a missing route: flask-cors answered 404, here it is answered
        expected = theirs.open(path, method=method, headers=headers)
        got = ours.open(path, method=method, headers=headers)
        context = (options, in_config, view, method, path, headers)
        assert got.status_code == expected.status_code, context
        assert cors_of(got) == cors_of(expected), context
