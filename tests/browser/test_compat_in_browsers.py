"""``flask_cors_ext.compat`` and flask-cors 6.0.2 in Chromium, Firefox and WebKit, on the same application.

The application is flask-cors code (``resources`` with regex keys and options of their own,
an authentication hook, a ``@cross_origin`` view with ``automatic_options=False``), run once
with each ``CORS``/``cross_origin``.  Where the behaviour is meant to be the same, each engine's
outcome is the same; where ``compat`` differs on purpose, the browser shows why.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, Response, request
from observed import no_allow_origin, preflight_not_ok
from sites import API, PAGE, PARTNER, origin

from flask_cors_ext import compat

flask_cors = pytest.importorskip("flask_cors", reason="flask-cors 6.0 is not installed (bench extra)")
if not flask_cors.__version__.startswith("6.0."):
    pytest.skip("the behaviours compared are flask-cors 6.0's", allow_module_level=True)

LOOKALIKE = origin("app.example.localhost.evil.other")
TOKEN = "Bearer t0ken"


def make_app(module: Any) -> Flask:
    app = Flask(f"browser_compat_{module.__name__}")

    @app.before_request
    def authenticate() -> Response | None:
        if request.path.startswith("/private/") and request.headers.get("Authorization") != TOKEN:
            return Response("log in first", 401, content_type="text/plain")
        return None

    @app.route("/private/items", methods=["GET", "PUT"])
    def private_items() -> dict[str, Any]:
        return {"method": request.method}

    @app.route("/public/items", methods=["GET", "PUT"])
    def public_items() -> dict[str, Any]:
        return {"method": request.method}

    @app.route("/view", methods=["GET", "PUT"])
    @module.cross_origin(origins=[PARTNER], automatic_options=False)
    def view() -> dict[str, Any]:
        return {"method": request.method}

    module.CORS(
        app,
        resources={
            r"/private/.*": {"origins": [PAGE], "supports_credentials": True, "allow_headers": ["Authorization"]},
            r"/public/.*": {"origins": r"http://app\.example\.localhost(:[0-9]+)?"},
        },
    )
    return app


MODULES = [pytest.param(flask_cors, id="flask-cors"), pytest.param(compat, id="compat")]
IDS = ["flask-cors", "compat"]


@pytest.mark.parametrize("module", MODULES)
def test_the_same_outcomes(api: Any, open_page: Any, module: Any) -> None:
    api.app = make_app(module)
    page = open_page(PAGE)
    public = page.fetch(f"{API}/public/items")
    assert (public.outcome, public.status) == ("ok", 200)
    refused_hook = page.fetch(f"{API}/private/items", {"credentials": "include"})
    assert (refused_hook.outcome, refused_hook.status, refused_hook.body) == ("ok", 401, "log in first")
    partner = open_page(PARTNER)
    assert partner.fetch(f"{API}/view").outcome == "ok"
    # automatic_options=False: Flask answers the preflight itself, without CORS headers.
    refused = partner.fetch(f"{API}/view", {"method": "PUT"})
    assert refused.outcome == "rejected"
    assert refused.cors_reasons == no_allow_origin(refused.engine, PARTNER, 200, preflight=True)


@pytest.mark.parametrize(("module", "outcome"), [(flask_cors, "rejected"), (compat, "ok")], ids=IDS)
def test_a_preflight_never_meets_the_authentication_hook(api: Any, open_page: Any, module: Any, outcome: str) -> None:
    api.app = make_app(module)
    fetched = open_page(PAGE).fetch(
        f"{API}/private/items", {"method": "PUT", "credentials": "include", "headers": {"Authorization": TOKEN}}
    )
    assert fetched.outcome == outcome
    if outcome == "ok":
        assert (fetched.status, fetched.body.replace(" ", "").strip()) == (200, '{"method":"PUT"}')
    else:
        assert fetched.cors_reasons == preflight_not_ok(fetched.engine, 401)


@pytest.mark.parametrize(("module", "outcome"), [(flask_cors, "ok"), (compat, "rejected")], ids=IDS)
def test_an_origin_regex_matches_the_whole_origin(api: Any, open_page: Any, module: Any, outcome: str) -> None:
    """flask-cors's re.match let the look-alike page read the response."""
    api.app = make_app(module)
    fetched = open_page(LOOKALIKE).fetch(f"{API}/public/items")
    assert fetched.outcome == outcome
