"""The WSGI middleware in Chromium, Firefox and WebKit: what the page may read, what the console says, what reached
the server.

Every origin is a name under ``example.localhost`` or ``other.localhost`` on one loopback
server (sites.py); the API is ``http://api.example.localhost:PORT``.  Each scenario runs in
each selected engine (conftest.py), in a fresh browser context (an empty preflight cache)
unless it is about that cache.  For every scenario the ``check`` command is run against the
same server, and its verdict must be the engine's: allowed or blocked, and then the same
console reason.  The console texts expected are each engine's own (observed.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from observed import (
    FAILED,
    header_not_allowed,
    method_not_allowed,
    no_allow_origin,
    refused_preflight,
    wildcard_with_credentials,
)
from sites import API, API2, EVIL, PAGE, PARTNER, PORT, origin

from cors_wsgi import CORSMiddleware, CORSPolicy

NO_ACAO = "No 'Access-Control-Allow-Origin' header is present on the requested resource."
ERRORS = {
    "401": ("401 Unauthorized", "log in first"),
    "404": ("404 Not Found", "no such item"),
    "500": ("500 Internal Server Error", "the database is down"),
}


def items(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The API: ``/login`` sets a cookie, ``/status/<code>`` answers an error, anything else echoes the request."""
    path = environ.get("PATH_INFO", "")
    if path == "/login":  # a page (without a favicon request) that sets the API's cookie
        start_response("200 OK", [("Content-Type", "text/html"), ("Set-Cookie", "session=s3cr3t; Path=/")])
        return [b"<!doctype html><link rel=icon href='data:,'><title>logged in</title>"]
    if path.startswith("/status/"):
        status, text = ERRORS[path.rsplit("/", 1)[1]]
        start_response(status, [("Content-Type", "text/plain")])
        return [text.encode()]
    if path == "/old":  # a redirect the middleware's headers are added to, like any answer
        start_response("307 Temporary Redirect", [("Location", environ.get("QUERY_STRING") or "/new")])
        return [b""]
    body = json.dumps(
        {
            "method": environ["REQUEST_METHOD"],
            "path": path,
            "cookie": environ.get("HTTP_COOKIE"),
            "x-token": environ.get("HTTP_X_TOKEN"),
        }
    ).encode()
    start_response(
        "200 OK",
        [
            ("Content-Type", "application/json"),
            ("Content-Language", "en"),
            ("Cache-Control", "no-store"),
            ("X-Total", "42"),
            ("X-Request-Id", "r-1"),
        ],
    )
    return [body]


def serve(api: Any, **options: Any) -> CORSMiddleware:
    """Set the API to ``items`` behind ``CORSMiddleware(**options)``, the app's own calls recorded."""
    middleware = CORSMiddleware(api.inner(items), **options)
    api.app = middleware
    return middleware


def echoed(fetched: Any) -> dict[str, Any]:
    assert fetched.body is not None
    result: dict[str, Any] = json.loads(fetched.body)
    return result


# -- 1. simple requests ---------------------------------------------------------------------------


def test_a_simple_get_from_an_allowed_origin_is_readable(api: Any, open_page: Any, checker: Any) -> None:
    serve(api, allow_origins=[PAGE])
    fetched = open_page(PAGE).fetch(f"{API}/items")
    assert (fetched.outcome, fetched.status) == ("ok", 200)
    assert echoed(fetched)["path"] == "/items"
    assert api.requests() == [("GET", "/items")]  # no preflight
    assert api.seen[0].origin == PAGE
    assert api.seen[0].cors_headers == {"access-control-allow-origin": PAGE}
    assert api.seen[0].header("Vary") == "Origin"
    assert fetched.console == []
    checker.agrees(fetched, f"{API}/items", PAGE)


def test_a_simple_get_from_a_refused_origin_reaches_the_app_but_the_page_cannot_read_it(
    api: Any, open_page: Any, checker: Any
) -> None:
    serve(api, allow_origins=[PAGE])
    fetched = open_page(EVIL).fetch(f"{API}/items")
    engine = fetched.engine
    assert (fetched.outcome, fetched.error) == ("rejected", FAILED[engine])
    assert fetched.cors_reasons == no_allow_origin(engine, EVIL, 200)
    assert (
        fetched.console
        == {
            "chromium": [
                f"Access to fetch at '{API}/items' from origin '{EVIL}' has been blocked by CORS policy: {NO_ACAO}",
                "Failed to load resource: net::ERR_FAILED",
            ],
            "firefox": [
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at "
                f"{API}/items. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 200."
            ],
            "webkit": [
                f"Origin {EVIL} is not allowed by Access-Control-Allow-Origin. Status code: 200",
                f"Fetch API cannot load {API}/items due to access control checks.",
            ],
        }[engine]
    )
    assert api.reached == [("GET", "/items")]  # a simple request is sent: the app ran
    assert api.seen[0].status == 200
    assert api.seen[0].cors_headers == {}
    assert api.seen[0].header("Vary") == "Origin"
    checker.agrees(fetched, f"{API}/items", EVIL)


# -- 2. preflighted requests ------------------------------------------------------------------


def test_an_allowed_preflight_is_answered_by_the_middleware_and_the_request_follows(
    api: Any, open_page: Any, checker: Any
) -> None:
    serve(api, allow_origins=[PAGE], allow_headers=["X-Token"])
    fetched = open_page(PAGE).fetch(f"{API}/items/1", {"method": "PUT", "headers": {"X-Token": "abc"}})
    assert (fetched.outcome, fetched.status) == ("ok", 200)
    assert echoed(fetched) == {"method": "PUT", "path": "/items/1", "cookie": None, "x-token": "abc"}
    assert api.requests() == [("OPTIONS", "/items/1"), ("PUT", "/items/1")]
    preflight = api.seen[0]
    assert (preflight.origin, preflight.request_method, preflight.request_headers) == (PAGE, "PUT", "x-token")
    assert preflight.status == 204
    assert preflight.cors_headers == {
        "access-control-allow-origin": PAGE,
        "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
        "access-control-allow-headers": "X-Token",  # as configured
    }
    assert api.reached == [("PUT", "/items/1")]  # the preflight never reached the app
    checker.agrees(fetched, f"{API}/items/1", PAGE, "--method", "PUT", "--header", "X-Token:abc")


@pytest.mark.parametrize(
    ("origin", "init", "check_args", "preflight"),
    [
        pytest.param(EVIL, {"method": "PUT"}, ["--method", "PUT"], ("PUT", None), id="origin"),
        pytest.param(PAGE, {"method": "DELETE"}, ["--method", "DELETE"], ("DELETE", None), id="method"),
        pytest.param(PAGE, {"method": "patch"}, ["--method", "patch"], ("patch", None), id="lowercase-method"),
        pytest.param(PAGE, {"headers": {"X-Other": "1"}}, ["--header", "X-Other:1"], ("GET", "x-other"), id="header"),
    ],
)
def test_a_refused_preflight_stops_the_request(
    api: Any,
    open_page: Any,
    checker: Any,
    origin: str,
    init: dict[str, Any],
    check_args: list[str],
    preflight: tuple[str, str | None],
) -> None:
    serve(api, allow_origins=[PAGE], allow_methods=["GET", "PUT"], allow_headers=["X-Token"])
    fetched = open_page(origin).fetch(f"{API}/items/1", init)
    assert (fetched.outcome, fetched.error) == ("rejected", FAILED[fetched.engine])
    assert fetched.cors_reasons == refused_preflight(fetched.engine, origin, 403)
    assert api.requests() == [("OPTIONS", "/items/1")]  # the actual request was never sent
    assert (api.seen[0].request_method, api.seen[0].request_headers) == preflight
    assert (api.seen[0].status, api.seen[0].cors_headers) == (403, {})
    assert api.reached == []
    checker.agrees(fetched, f"{API}/items/1", origin, *check_args)


def test_a_json_post_is_preflighted_and_a_text_post_is_not(api: Any, open_page: Any, checker: Any) -> None:
    serve(api, allow_origins=[PAGE])
    page = open_page(PAGE)
    json_post = {"method": "POST", "headers": {"Content-Type": "application/json"}, "body": '{"name": "pear"}'}
    fetched = page.fetch(f"{API}/items", json_post)
    assert (fetched.outcome, fetched.status, echoed(fetched)["method"]) == ("ok", 200, "POST")
    assert api.requests() == [("OPTIONS", "/items"), ("POST", "/items")]
    assert (api.seen[0].request_method, api.seen[0].request_headers) == ("POST", "content-type")
    assert api.seen[0].header("Access-Control-Allow-Headers") == "content-type"
    checker.agrees(fetched, f"{API}/items", PAGE, "--method", "POST", "--header", "Content-Type:application/json")

    api.forget()
    text_post = {"method": "POST", "headers": {"Content-Type": "text/plain"}, "body": "pear"}
    fetched = page.fetch(f"{API}/items", text_post)
    assert (fetched.outcome, fetched.status) == ("ok", 200)
    assert api.requests() == [("POST", "/items")]
    checker.agrees(fetched, f"{API}/items", PAGE, "--method", "POST", "--header", "Content-Type:text/plain")


# -- 3. credentials ----------------------------------------------------------------------------


def test_cookies_reach_an_api_that_lists_the_origin_and_allows_credentials(
    api: Any, open_page: Any, checker: Any
) -> None:
    serve(api, allow_origins=[PAGE], allow_credentials=True, allow_headers=["X-Token"])
    page = open_page(PAGE)
    page.navigate(f"{API}/login")  # the API sets its cookie
    api.forget()

    fetched = page.fetch(f"{API}/me", {"credentials": "include"})
    assert (fetched.outcome, fetched.status) == ("ok", 200)
    assert echoed(fetched)["cookie"] == "session=s3cr3t"
    assert api.seen[0].cookie == "session=s3cr3t"
    assert api.seen[0].cors_headers == {
        "access-control-allow-origin": PAGE,
        "access-control-allow-credentials": "true",
    }
    checker.agrees(fetched, f"{API}/me", PAGE, "--credentials")

    api.forget()
    put = {"method": "PUT", "credentials": "include", "headers": {"X-Token": "abc"}}
    fetched = page.fetch(f"{API}/me", put)
    assert (fetched.outcome, fetched.status) == ("ok", 200)
    assert api.requests() == [("OPTIONS", "/me"), ("PUT", "/me")]
    assert [seen.cookie for seen in api.seen] == [None, "session=s3cr3t"]  # a preflight never carries cookies
    assert api.seen[0].header("Access-Control-Allow-Credentials") == "true"
    checker.agrees(fetched, f"{API}/me", PAGE, "--method", "PUT", "--header", "X-Token:abc", "--credentials")


def test_cookies_to_the_public_policy_are_sent_but_the_page_cannot_read_the_answer(
    api: Any, open_page: Any, checker: Any
) -> None:
    serve(api)  # public: Access-Control-Allow-Origin: *, no credentials
    page = open_page(PAGE)
    page.navigate(f"{API}/login")
    api.forget()

    fetched = page.fetch(f"{API}/me", {"credentials": "include"})
    assert (fetched.outcome, fetched.error) == ("rejected", FAILED[fetched.engine])
    assert fetched.cors_reasons == wildcard_with_credentials(fetched.engine)
    assert api.seen[0].cookie == "session=s3cr3t"
    assert api.seen[0].cors_headers == {"access-control-allow-origin": "*"}
    assert api.reached == [("GET", "/me")]
    checker.agrees(fetched, f"{API}/me", PAGE, "--credentials")

    api.forget()
    fetched = page.fetch(f"{API}/me")  # the same request without credentials is fine
    assert (fetched.outcome, fetched.status, echoed(fetched)["cookie"]) == ("ok", 200, None)
    checker.agrees(fetched, f"{API}/me", PAGE)


# -- 4. exposed response headers -------------------------------------------------------------

READ = ["X-Total", "X-Request-Id", "Content-Type", "Content-Language", "Cache-Control", "Set-Cookie"]


@pytest.mark.parametrize(
    ("expose", "readable"),
    [
        pytest.param(None, {"Content-Type": "application/json", "Content-Language": "en", "Cache-Control": "no-store"}),
        pytest.param(
            ["X-Total"],
            {
                "X-Total": "42",
                "Content-Type": "application/json",
                "Content-Language": "en",
                "Cache-Control": "no-store",
            },
        ),
        pytest.param(
            "*",
            {
                "X-Total": "42",
                "X-Request-Id": "r-1",
                "Content-Type": "application/json",
                "Content-Language": "en",
                "Cache-Control": "no-store",
            },
        ),
    ],
)
def test_scripts_read_the_exposed_and_the_safelisted_response_headers_only(
    api: Any, open_page: Any, checker: Any, expose: Any, readable: dict[str, str]
) -> None:
    serve(api, allow_origins=[PAGE], **({} if expose is None else {"expose_headers": expose}))
    fetched = open_page(PAGE).fetch(f"{API}/items", read=READ)
    assert fetched.outcome == "ok"
    assert fetched.headers == {name: readable.get(name) for name in READ}
    report = checker.report(f"{API}/items", PAGE)
    assert report["verdict"]["allowed"] is True
    read_by_checker = set(report["readable_headers"])
    assert {name for name in READ if name.lower() in read_by_checker} == set(readable)


# -- 5. error statuses -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_error_answers_of_the_app_are_readable_cross_origin(api: Any, open_page: Any, checker: Any, code: str) -> None:
    serve(api, allow_origins=[PAGE])
    fetched = open_page(PAGE).fetch(f"{API}/status/{code}")
    assert (fetched.outcome, fetched.status, fetched.body) == ("ok", int(code), ERRORS[code][1])
    assert api.seen[0].header("Access-Control-Allow-Origin") == PAGE
    assert not fetched.cors_reasons
    checker.agrees(fetched, f"{API}/status/{code}", PAGE)


# -- 6. subdomain patterns ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (PAGE, True),
        (origin("a.b.example"), True),
        (origin("example"), False),  # the apex is not a subdomain
        (origin("example.localhost.other"), False),  # a look-alike under another domain
    ],
)
def test_a_subdomain_pattern(api: Any, open_page: Any, checker: Any, origin: str, allowed: bool) -> None:
    serve(api, allow_origins=[f"http://*.example.localhost:{PORT}"])
    fetched = open_page(origin).fetch(f"{API}/items")
    assert fetched.allowed is allowed
    assert api.seen[0].origin == origin
    if allowed:
        assert api.seen[0].cors_headers == {"access-control-allow-origin": origin}
        assert echoed(fetched)["path"] == "/items"
    else:
        assert api.seen[0].cors_headers == {}
        assert fetched.cors_reasons == no_allow_origin(fetched.engine, origin, 200)
    checker.agrees(fetched, f"{API}/items", origin)


# -- 7. the null origin ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "answer"),
    [
        pytest.param({"allow_origins": [PAGE, "null"]}, "null", id="null-listed"),
        pytest.param({"allow_origins": [PAGE]}, None, id="null-not-listed"),
        pytest.param({}, "*", id="public"),
    ],
)
def test_a_sandboxed_iframe_sends_origin_null(
    api: Any, open_page: Any, checker: Any, options: dict[str, Any], answer: str | None
) -> None:
    serve(api, **options)
    fetched = open_page(PAGE).fetch(f"{API}/items", sandboxed=True)
    assert api.seen[0].origin == "null"
    assert api.seen[0].header("Access-Control-Allow-Origin") == answer
    if answer is None:
        assert (fetched.outcome, fetched.error) == ("rejected", FAILED[fetched.engine])
        assert fetched.cors_reasons == no_allow_origin(fetched.engine, "null", 200)
        if fetched.engine == "chromium":
            blocked = f"Access to fetch at '{API}/items' from origin 'null' has been blocked by CORS policy: {NO_ACAO}"
            assert blocked in fetched.console
    else:
        assert (fetched.outcome, echoed(fetched)["path"]) == ("ok", "/items")
    checker.agrees(fetched, f"{API}/items", "null")


# -- 8. the preflight cache ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_age", "sent"),
    [
        (600, ["OPTIONS", "PUT", "PUT"]),  # the second request used the cached preflight
        (0, ["OPTIONS", "PUT", "OPTIONS", "PUT"]),
    ],
)
def test_max_age_lets_the_browser_cache_the_preflight(
    api: Any, open_page: Any, checker: Any, max_age: int, sent: list[str]
) -> None:
    serve(api, allow_origins=[PAGE], allow_headers=["X-Token"], max_age=max_age)
    page = open_page(PAGE)  # one context for both requests: one preflight cache
    put = {"method": "PUT", "headers": {"X-Token": "abc"}}
    for _ in range(2):
        fetched = page.fetch(f"{API}/items/1", put)
        assert (fetched.outcome, fetched.status) == ("ok", 200)
    assert [method for method, _ in api.requests()] == sent
    assert api.preflights[0].header("Access-Control-Max-Age") == str(max_age)
    checker.agrees(fetched, f"{API}/items/1", PAGE, "--method", "PUT", "--header", "X-Token:abc")


# -- 10. debug mode -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "init", "check_args", "reason", "body"),
    [
        pytest.param(
            PAGE,
            {"method": "DELETE"},
            ["--method", "DELETE"],
            lambda engine: method_not_allowed(engine, "DELETE"),
            "CORS preflight refused: method 'DELETE' is not allowed (allowed: GET, PUT)\n",
            id="method",
        ),
        pytest.param(
            PAGE,
            {"method": "patch"},  # sent as written: methods compare case-sensitively
            ["--method", "patch"],
            lambda engine: method_not_allowed(engine, "patch"),
            "CORS preflight refused: method 'patch' is not allowed (allowed: GET, PUT)\n",
            id="lowercase-method",
        ),
        pytest.param(
            PAGE,
            {"headers": {"X-Token": "1", "X-Other": "2"}},
            ["--header", "X-Token:1", "--header", "X-Other:2"],
            lambda engine: header_not_allowed(engine, "X-Other"),
            "CORS preflight refused: request header 'x-other' is not allowed (allowed: X-Token)\n",
            id="header",
        ),
        pytest.param(
            EVIL,
            {"method": "PUT"},
            ["--method", "PUT"],
            lambda engine: refused_preflight(engine, EVIL, 403),
            None,
            id="origin",
        ),
    ],
)
def test_debug_mode_makes_the_console_name_the_culprit(
    api: Any,
    open_page: Any,
    checker: Any,
    origin: str,
    init: dict[str, Any],
    check_args: list[str],
    reason: Callable[[str], list[str]],
    body: str | None,
) -> None:
    """The same refusals without debug: test_a_refused_preflight_stops_the_request (403, no CORS headers)."""
    serve(api, allow_origins=[PAGE], allow_methods=["GET", "PUT"], allow_headers=["X-Token"], debug=True)
    fetched = open_page(origin).fetch(f"{API}/items", init)
    assert (fetched.outcome, fetched.error) == ("rejected", FAILED[fetched.engine])
    assert fetched.cors_reasons == reason(fetched.engine)
    assert api.requests() == [("OPTIONS", "/items")]  # still refused: the request is never sent
    assert api.reached == []
    if body is not None:  # an allowed origin: 200 with the headers it would allow, and the reason
        assert api.seen[0].status == 200
        assert api.seen[0].header("Access-Control-Allow-Origin") == PAGE
        assert api.seen[0].body.decode() == body
    else:  # a refused origin gets nothing, debug or not
        assert (api.seen[0].status, api.seen[0].cors_headers) == (403, {})
    checker.agrees(fetched, f"{API}/items", origin, *check_args)


def test_debug_can_be_switched_on_at_run_time(api: Any, open_page: Any, checker: Any) -> None:
    middleware = serve(api, allow_origins=[PAGE], allow_methods=["GET", "PUT"])
    fetched = open_page(PAGE).fetch(f"{API}/items", {"method": "DELETE"})
    assert fetched.cors_reasons == refused_preflight(fetched.engine, PAGE, 403)
    middleware.debug = True
    fetched = open_page(PAGE).fetch(f"{API}/items", {"method": "DELETE"})
    assert fetched.cors_reasons == method_not_allowed(fetched.engine, "DELETE")
    checker.agrees(fetched, f"{API}/items", PAGE, "--method", "DELETE")


# -- per-path policies and a shared policy ----------------------------------------------------------


def test_resources_give_each_path_its_policy_and_leave_other_paths_alone(
    api: Any, open_page: Any, checker: Any
) -> None:
    partner = PARTNER
    serve(
        api,
        resources={
            "/api/*": {"allow_origins": [PAGE]},
            "/partner/*": CORSPolicy(allow_origins=[partner], allow_methods=["GET", "PUT"]),
        },
    )
    page = open_page(PAGE)
    assert page.fetch(f"{API}/api/items").allowed
    refused = page.fetch(f"{API}/partner/items")
    assert refused.cors_reasons == no_allow_origin(refused.engine, PAGE, 200)
    checker.agrees(refused, f"{API}/partner/items", PAGE)
    allowed = open_page(partner).fetch(f"{API}/partner/items", {"method": "PUT"})
    assert (allowed.outcome, echoed(allowed)["method"]) == ("ok", "PUT")
    checker.agrees(allowed, f"{API}/partner/items", partner, "--method", "PUT")

    api.forget()  # a path no pattern covers: the app answers the preflight itself (200, no CORS)
    uncovered = page.fetch(f"{API}/other", {"method": "PUT"})
    assert uncovered.cors_reasons == no_allow_origin(uncovered.engine, PAGE, 200, preflight=True)
    assert api.reached == [("OPTIONS", "/other")]
    assert api.seen[0].cors_headers == {}
    assert api.seen[0].header("Vary") is None
    checker.agrees(uncovered, f"{API}/other", PAGE, "--method", "PUT")


# -- redirects of the actual request ---------------------------------------------------------------


def test_a_same_origin_redirect_keeps_the_origin(api: Any, open_page: Any, checker: Any) -> None:
    serve(api, allow_origins=[PAGE])
    fetched = open_page(PAGE).fetch(f"{API}/old")
    assert (fetched.outcome, echoed(fetched)["path"]) == ("ok", "/new")
    assert [(seen.method, seen.path, seen.origin, seen.status) for seen in api.seen] == [
        ("GET", "/old", PAGE, 307),
        ("GET", "/new", PAGE, 200),
    ]
    assert api.seen[0].header("Access-Control-Allow-Origin") == PAGE  # the redirect passed the CORS check too
    checker.agrees(fetched, f"{API}/old", PAGE)


@pytest.mark.parametrize(
    ("origins", "allowed"),
    [
        pytest.param([PAGE], False, id="page-only"),
        pytest.param([PAGE, "null"], True, id="null-listed"),
    ],
)
def test_a_cross_origin_redirect_turns_the_origin_into_null(
    api: Any, open_page: Any, checker: Any, origins: list[str], allowed: bool
) -> None:
    serve(api, allow_origins=origins)
    fetched = open_page(PAGE).fetch(f"{API}/old?{API2}/new")
    assert [(seen.host, seen.path, seen.origin) for seen in api.seen] == [
        (f"api.example.localhost:{PORT}", "/old", PAGE),
        (f"api2.example.localhost:{PORT}", "/new", "null"),
    ]
    assert fetched.allowed is allowed
    if not allowed:
        assert fetched.cors_reasons == no_allow_origin(fetched.engine, "null", 200)
    if not allowed and fetched.engine == "chromium":
        assert (
            f"Access to fetch at '{API2}/new' (redirected from '{API}/old?{API2}/new') from origin '{PAGE}' "
            f"has been blocked by CORS policy: {NO_ACAO}"
        ) in fetched.console
    checker.agrees(fetched, f"{API}/old?{API2}/new", PAGE)
