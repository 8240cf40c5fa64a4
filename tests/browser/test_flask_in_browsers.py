"""The Flask extension in Chromium, Firefox and WebKit: auth hooks, blueprints, per-view policies, error pages.

The Flask application is the API at ``http://api.example.localhost:PORT`` (sites.py); each test
builds a fresh one, and runs in each selected engine (conftest.py). A first ``before_request`` hook
records what Flask's hooks saw, so a test can tell that a preflight never reached them. The
``check`` command's verdict must be the engine's for every request.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Blueprint, Flask, Response, request
from observed import no_allow_origin, refused_preflight
from sites import API, PAGE, PARTNER, origin

from flask_cors_ext import CORS, cross_origin

DEEP = origin("a.b.example")
TOKEN = "Bearer t0ken"


def make_app(with_cors: bool = True) -> tuple[Flask, list[tuple[str, str]]]:
    """The API and the list of ``(method, path)`` its hooks saw.

    ``/private/*`` needs ``Authorization: Bearer t0ken`` (a hook answers 401 otherwise);
    ``/partner/*`` is a blueprint with its own policy; ``/special`` a view with its own.
    """
    app = Flask("browser_flask_api")
    hooked: list[tuple[str, str]] = []

    @app.before_request
    def record() -> None:
        hooked.append((request.method, request.path))

    @app.before_request
    def authenticate() -> Response | None:
        if request.path.startswith("/private/") and request.headers.get("Authorization") != TOKEN:
            return Response("log in first", 401, content_type="text/plain")
        return None

    @app.route("/private/items", methods=["GET", "PUT"])
    def private_items() -> dict[str, Any]:
        return {"method": request.method, "items": ["pear"]}

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("the database is down")

    @app.route("/special", methods=["GET", "DELETE"])
    @cross_origin(allow_origins=[DEEP], allow_methods=["GET"])
    def special() -> dict[str, Any]:
        return {"method": request.method, "view": "special"}

    partner = Blueprint("partner", __name__, url_prefix="/partner")

    @partner.route("/items", methods=["GET", "PUT"])
    def partner_items() -> dict[str, Any]:
        return {"method": request.method, "view": "partner"}

    CORS(partner, allow_origins=[PARTNER], allow_methods=["GET", "PUT"])
    app.register_blueprint(partner)
    if with_cors:
        CORS(app, allow_origins=[PAGE], allow_headers=["Authorization"])
    return app, hooked


def refused(engine: str, origin: str, method: str) -> list[str]:
    """The console's reasons for a refused origin: a GET's answer (200), or a refused preflight (403)."""
    return no_allow_origin(engine, origin, 200) if method == "GET" else refused_preflight(engine, origin, 403)


@pytest.fixture
def flask_api(api: Any) -> list[tuple[str, str]]:
    app, hooked = make_app()
    api.app = app
    return hooked


def test_an_auth_hook_never_sees_the_preflight_and_its_401_is_readable(
    api: Any, flask_api: list[tuple[str, str]], open_page: Any, checker: Any
) -> None:
    fetched = open_page(PAGE).fetch(f"{API}/private/items", {"method": "PUT"})
    assert (fetched.outcome, fetched.status, fetched.body) == ("ok", 401, "log in first")
    assert api.requests() == [("OPTIONS", "/private/items"), ("PUT", "/private/items")]
    assert api.seen[0].status == 204
    assert api.seen[0].header("Access-Control-Allow-Origin") == PAGE
    assert api.seen[1].cors_headers == {"access-control-allow-origin": PAGE}
    assert flask_api == [("PUT", "/private/items")]  # the hooks ran for the request only
    assert fetched.cors_reasons == []
    checker.agrees(fetched, f"{API}/private/items", PAGE, "--method", "PUT")


def test_with_the_token_the_preflighted_request_succeeds(
    api: Any, flask_api: list[tuple[str, str]], open_page: Any, checker: Any
) -> None:
    fetched = open_page(PAGE).fetch(f"{API}/private/items", {"method": "PUT", "headers": {"Authorization": TOKEN}})
    assert (fetched.outcome, fetched.status) == ("ok", 200)
    assert fetched.body is not None and '"method":"PUT"' in fetched.body.replace(" ", "")
    assert (api.seen[0].request_method, api.seen[0].request_headers) == ("PUT", "authorization")
    assert api.seen[0].header("Access-Control-Allow-Headers") == "Authorization"
    assert flask_api == [("PUT", "/private/items")]
    checker.agrees(fetched, f"{API}/private/items", PAGE, "--method", "PUT", "--header", f"Authorization:{TOKEN}")


@pytest.mark.parametrize(
    ("origin", "method", "allowed", "sent"),
    [
        pytest.param(PARTNER, "GET", True, [("GET", "/partner/items")], id="partner-get"),
        pytest.param(
            PARTNER, "PUT", True, [("OPTIONS", "/partner/items"), ("PUT", "/partner/items")], id="partner-put"
        ),
        pytest.param(PAGE, "GET", False, [("GET", "/partner/items")], id="app-origin-get"),
        pytest.param(PAGE, "PUT", False, [("OPTIONS", "/partner/items")], id="app-origin-put"),
    ],
)
def test_a_blueprint_with_its_own_policy(
    api: Any,
    flask_api: list[tuple[str, str]],
    open_page: Any,
    checker: Any,
    origin: str,
    method: str,
    allowed: bool,
    sent: list[tuple[str, str]],
) -> None:
    fetched = open_page(origin).fetch(f"{API}/partner/items", {"method": method})
    assert fetched.allowed is allowed
    assert api.requests() == sent
    if allowed:
        assert fetched.status == 200
        assert api.seen[-1].header("Access-Control-Allow-Origin") == PARTNER
    else:
        assert fetched.cors_reasons == refused(fetched.engine, origin, method)
        assert api.seen[-1].cors_headers == {}
    checker.agrees(fetched, f"{API}/partner/items", origin, "--method", method)


@pytest.mark.parametrize(
    ("origin", "method", "allowed", "sent"),
    [
        pytest.param(DEEP, "GET", True, [("GET", "/special")], id="view-origin-get"),
        pytest.param(DEEP, "DELETE", False, [("OPTIONS", "/special")], id="view-origin-unlisted-method"),
        pytest.param(PAGE, "GET", False, [("GET", "/special")], id="app-origin-get"),
    ],
)
def test_a_view_with_its_own_policy(
    api: Any,
    flask_api: list[tuple[str, str]],
    open_page: Any,
    checker: Any,
    origin: str,
    method: str,
    allowed: bool,
    sent: list[tuple[str, str]],
) -> None:
    fetched = open_page(origin).fetch(f"{API}/special", {"method": method})
    assert fetched.allowed is allowed
    assert api.requests() == sent
    if allowed:
        assert (fetched.status, fetched.body) == (200, '{"method":"GET","view":"special"}\n')
        assert api.seen[0].header("Access-Control-Allow-Origin") == DEEP
    else:
        assert fetched.cors_reasons == refused(fetched.engine, origin, method)
        assert api.seen[-1].cors_headers == {}
    checker.agrees(fetched, f"{API}/special", origin, "--method", method)


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        pytest.param("/nowhere", 404, "<h1>Not Found</h1>", id="404-no-route"),
        pytest.param("/boom", 500, "<h1>Internal Server Error</h1>", id="500-unhandled-exception"),
        pytest.param("/private/items", 401, "log in first", id="401-hook"),
    ],
)
def test_flask_error_pages_are_readable_cross_origin(
    api: Any, flask_api: list[tuple[str, str]], open_page: Any, checker: Any, path: str, status: int, text: str
) -> None:
    fetched = open_page(PAGE).fetch(f"{API}{path}")
    assert (fetched.outcome, fetched.status) == ("ok", status)
    assert text in (fetched.body or "")
    assert api.seen[0].header("Access-Control-Allow-Origin") == PAGE
    checker.agrees(fetched, f"{API}{path}", PAGE)


def test_without_cors_app_the_first_request_may_be_a_preflight(api: Any, open_page: Any, checker: Any) -> None:
    app, hooked = make_app(with_cors=False)  # decorator and blueprint policies only
    api.app = app
    page = open_page(PARTNER)
    fetched = page.fetch(f"{API}/partner/items", {"method": "PUT"})  # the application's very first request
    assert (fetched.outcome, fetched.status) == ("ok", 200)
    assert api.requests() == [("OPTIONS", "/partner/items"), ("PUT", "/partner/items")]
    assert api.seen[0].status == 204
    assert api.seen[0].header("Access-Control-Allow-Methods") == "GET, PUT"
    assert hooked == [("PUT", "/partner/items")]
    checker.agrees(fetched, f"{API}/partner/items", PARTNER, "--method", "PUT")

    fetched = page.fetch(f"{API}/private/items")  # no policy at all for this view now
    assert fetched.cors_reasons == no_allow_origin(fetched.engine, PARTNER, 401)
    assert (api.seen[-1].status, api.seen[-1].cors_headers) == (401, {})
