"""The example gallery, run for real.

Each example in ``examples/`` is started the way its docstring says (``python
examples/x.py --port 0``, the ``flask`` command, ``waitress``), on a free loopback port,
and asked over HTTP with ``Origin`` headers; the assertions are on the headers and
statuses that come back on the wire.  ``examples/fastapi_users.md`` is run as a doctest,
and each behaviour it states is shown here on a served middleware.
"""

from __future__ import annotations

import doctest
import importlib.util
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support import REPO, Launcher, Reply, free_port, in_fresh_thread, serve_wsgi
from support import http_call as call
from support import http_preflight as preflight

from cors_wsgi import CORSConfigError, CORSMiddleware

EXAMPLES = REPO / "examples"
DOC = EXAMPLES / "fastapi_users.md"
REQUEST_TIMEOUT = 5.0

PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

# The examples are served by the ``launch`` fixture (tests/conftest.py: a support.Launcher, each
# command a subprocess) and asked with support.http_call / http_preflight (here: call, preflight).


# -- examples served in this process ----------------------------------------------------------


def load(name: str) -> ModuleType:
    module_name = f"gallery_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def echo_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answers ``METHOD PATH``: shows which requests reached the application."""
    body = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


# -- wsgi_hello.py ----------------------------------------------------------------------------

APP_ORIGIN = "http://localhost:3000"


def test_wsgi_hello_answers_allowed_refused_and_preflight_requests(launch: Launcher) -> None:
    port = launch.start("examples/wsgi_hello.py", "--port", "0")

    allowed = call(port, "GET", "/hello", {"Origin": APP_ORIGIN})
    assert allowed.status == 200
    assert allowed.header("Access-Control-Allow-Origin") == APP_ORIGIN
    assert allowed.header("Access-Control-Expose-Headers") == "X-Request-Id"
    assert allowed.header("Access-Control-Allow-Credentials") is None
    assert allowed.header("Vary") == "Origin"
    assert allowed.json()["message"] == f"Hello, {APP_ORIGIN}!"

    answer = preflight(port, "/hello", APP_ORIGIN, "PUT", "content-type, authorization")
    assert answer.status == 204
    assert answer.body == b""
    assert answer.cors() == {
        "Access-Control-Allow-Origin": APP_ORIGIN,
        "Access-Control-Allow-Methods": "GET, PUT, DELETE",
        "Access-Control-Allow-Headers": "Content-Type, Authorization",
        "Access-Control-Max-Age": "600",
    }
    assert answer.header("Vary") == PREFLIGHT_VARY

    stranger = call(port, "GET", "/hello", {"Origin": "https://evil.example"})
    assert stranger.status == 200  # the application answers; the browser hides it from the page
    assert stranger.cors() == {}
    assert stranger.header("Vary") == "Origin"

    assert preflight(port, "/hello", "https://evil.example", "GET").cors() == {}
    refused_method = preflight(port, "/hello", APP_ORIGIN, "PATCH")
    assert (refused_method.status, refused_method.cors(), refused_method.body) == (403, {}, b"")

    not_found = call(port, "GET", "/nowhere", {"Origin": APP_ORIGIN})
    assert not_found.status == 404
    assert not_found.header("Access-Control-Allow-Origin") == APP_ORIGIN

    no_origin = call(port, "GET", "/hello")
    assert (no_origin.cors(), no_origin.header("Vary")) == ({}, "Origin")


def test_wsgi_hello_takes_the_port_as_its_first_argument(launch: Launcher) -> None:
    wanted = free_port()
    port = launch.start("examples/wsgi_hello.py", str(wanted))
    assert port == wanted
    assert call(port, "GET", "/hello", {"Origin": APP_ORIGIN}).header("Access-Control-Allow-Origin") == APP_ORIGIN


@pytest.mark.parametrize(
    "command",
    [
        ("-m", "waitress", "--host", "127.0.0.1", "--port", "{port}", "examples.wsgi_hello:app"),
        (
            "-c",
            "from waitress import serve; from examples.wsgi_hello import app; "
            "serve(app, host='127.0.0.1', port={port})",
        ),
    ],
    ids=["waitress-serve", "waitress.serve"],
)
def test_wsgi_hello_app_under_waitress_as_its_docstring_says(launch: Launcher, command: tuple[str, ...]) -> None:
    wanted = free_port()
    port = launch.start(*(part.format(port=wanted) for part in command), port=wanted)
    answer = preflight(port, "/hello", "https://app.example.com", "DELETE")
    assert answer.status == 204
    assert answer.header("Access-Control-Allow-Origin") == "https://app.example.com"
    assert answer.header("Access-Control-Allow-Methods") == "GET, PUT, DELETE"
    allowed = call(port, "GET", "/hello", {"Origin": "https://app.example.com"})
    assert allowed.header("Access-Control-Allow-Origin") == "https://app.example.com"
    assert allowed.header("Vary") == "Origin"
    assert call(port, "GET", "/hello", {"Origin": "https://evil.example"}).cors() == {}


# -- flask_basic.py ---------------------------------------------------------------------------

PARTNER = "https://partner.example.com"


def test_flask_basic_config_decorator_and_blueprint_policies(launch: Launcher) -> None:
    port = launch.start("examples/flask_basic.py", "--port", "0")

    # The application's policy, from the CORS_* config keys.
    items = call(port, "GET", "/api/items", {"Origin": APP_ORIGIN})
    assert items.status == 200
    assert items.cors() == {
        "Access-Control-Allow-Origin": APP_ORIGIN,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": "X-Total-Count",
    }
    assert items.header("Vary") == "Origin"
    assert items.header("X-Total-Count") == "2"
    assert call(port, "GET", "/api/items", {"Origin": PARTNER}).cors() == {}
    answer = preflight(port, "/api/items", "https://app.example.com", "POST", "content-type")
    assert answer.status == 204
    assert answer.header("Access-Control-Allow-Origin") == "https://app.example.com"
    assert answer.header("Access-Control-Max-Age") == "600"
    assert answer.header("Access-Control-Allow-Headers") == "content-type"

    # The decorated view: public, without credentials, whatever the origin.
    public = call(port, "GET", "/api/status", {"Origin": "https://anyone.example"})
    assert public.header("Access-Control-Allow-Origin") == "*"
    assert public.header("Access-Control-Allow-Credentials") is None

    # The blueprint: its own origin, methods and headers; credentials and max-age inherited.
    answer = preflight(port, "/partners/orders", PARTNER, "POST", "x-partner-key, content-type")
    assert answer.status == 204  # answered before the 401 hook could run
    assert answer.cors() == {
        "Access-Control-Allow-Origin": PARTNER,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "GET, POST",
        "Access-Control-Allow-Headers": "X-Partner-Key, Content-Type",
        "Access-Control-Max-Age": "600",
    }
    unauthorized = call(port, "GET", "/partners/orders", {"Origin": PARTNER})
    assert unauthorized.status == 401
    assert unauthorized.header("Access-Control-Allow-Origin") == PARTNER  # the page can read the real error
    orders = call(port, "GET", "/partners/orders", {"Origin": PARTNER, "X-Partner-Key": "k1"})
    assert (orders.status, orders.header("Access-Control-Allow-Origin")) == (200, PARTNER)
    foreign = call(port, "GET", "/partners/orders", {"Origin": APP_ORIGIN, "X-Partner-Key": "k1"})
    assert (foreign.status, foreign.cors(), foreign.header("Vary")) == (200, {}, "Origin")
    assert preflight(port, "/partners/orders", APP_ORIGIN, "POST").status == 403
    assert preflight(port, "/partners/orders", PARTNER, "DELETE").status == 403


def test_flask_basic_through_the_flask_command(launch: Launcher) -> None:
    port = launch.start("-m", "flask", "--app", "examples/flask_basic", "run", "--port", "0")
    items = call(port, "GET", "/api/items", {"Origin": APP_ORIGIN})
    assert items.header("Access-Control-Allow-Origin") == APP_ORIGIN
    assert items.header("Access-Control-Allow-Credentials") == "true"
    assert call(port, "GET", "/api/status", {"Origin": PARTNER}).header("Access-Control-Allow-Origin") == "*"
    assert preflight(port, "/partners/orders", PARTNER, "GET", "x-partner-key").status == 204


# -- flask_factory.py -------------------------------------------------------------------------

PROD_ORIGINS = "https://app.example.com, https://admin.example.com"


def test_flask_factory_dev_allows_the_dev_server_and_explains_refusals(launch: Launcher) -> None:
    port = launch.start("examples/flask_factory.py", "--env", "dev", "--port", "0")
    profile = call(port, "GET", "/api/profile", {"Origin": APP_ORIGIN})
    assert profile.cors() == {
        "Access-Control-Allow-Origin": APP_ORIGIN,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": "X-Request-Id",
    }
    allowed = preflight(port, "/api/profile", APP_ORIGIN, "GET", "authorization")
    assert (allowed.status, allowed.header("Access-Control-Max-Age")) == (204, "0")
    # CORS_DEBUG: the refused header is named, and the partial headers let the console name it too.
    refused = preflight(port, "/api/profile", APP_ORIGIN, "GET", "x-debug-token")
    assert refused.status == 200
    assert refused.header("Access-Control-Allow-Headers") == "Content-Type, Authorization"
    assert b"request header 'x-debug-token' is not allowed" in refused.body
    assert call(port, "GET", "/api/profile", {"Origin": "https://app.example.com"}).cors() == {}


def test_flask_factory_prod_allows_the_origins_of_allowed_origins(launch: Launcher) -> None:
    port = launch.start(
        "examples/flask_factory.py", "--env", "prod", "--port", "0", env={"ALLOWED_ORIGINS": PROD_ORIGINS}
    )
    for origin in ("https://app.example.com", "https://admin.example.com"):
        reply = call(port, "GET", "/api/profile", {"Origin": origin})
        assert reply.header("Access-Control-Allow-Origin") == origin
        assert reply.header("Access-Control-Allow-Credentials") == "true"
        answer = preflight(port, "/api/profile", origin, "GET", "authorization")
        assert (answer.status, answer.header("Access-Control-Max-Age")) == (204, "7200")
    assert call(port, "GET", "/api/profile", {"Origin": APP_ORIGIN}).cors() == {}
    refused = preflight(port, "/api/profile", "https://app.example.com", "GET", "x-debug-token")
    assert (refused.status, refused.cors(), refused.body) == (403, {}, b"")  # no debug in prod


def test_flask_factory_prod_without_allowed_origins_stops_with_a_clear_message(launch: Launcher) -> None:
    missing = launch.run("examples/flask_factory.py", "--env", "prod", "--port", "0")
    assert missing.returncode == 2
    assert "error: ALLOWED_ORIGINS is not set: the prod environment needs the origins" in missing.stderr
    assert "ALLOWED_ORIGINS=https://app.example.com,https://admin.example.com" in missing.stderr
    empty = launch.run("examples/flask_factory.py", "--env", "prod", env={"ALLOWED_ORIGINS": " , "})
    assert empty.returncode == 2
    assert "error: ALLOWED_ORIGINS is empty" in empty.stderr

    factory = load("flask_factory")
    with pytest.raises(factory.ConfigurationError, match=r"^ALLOWED_ORIGINS is not set: "):
        factory.create_app("prod", environ={})
    with pytest.raises(
        factory.ConfigurationError, match=r"unknown environment 'staging': choose one of dev, prod, test"
    ):
        factory.create_app("staging", environ={})


def test_flask_factory_prod_refuses_bad_origins_at_start_up() -> None:
    factory = load("flask_factory")
    with pytest.raises(CORSConfigError, match=r"'\*' cannot be combined with allow_credentials=True"):
        factory.create_app("prod", environ={"ALLOWED_ORIGINS": "*"})
    with pytest.raises(CORSConfigError, match=r"an origin has no path — did you mean 'https://app.example.com'\?"):
        factory.create_app("prod", environ={"ALLOWED_ORIGINS": "https://app.example.com/login"})


def test_flask_factory_test_env_through_the_flask_command(launch: Launcher) -> None:
    port = launch.start("-m", "flask", "--app", "examples/flask_factory:create_app('test')", "run", "--port", "0")
    for origin in ("http://localhost:5173", "http://localhost:61234", "http://localhost"):
        assert call(port, "GET", "/api/health", {"Origin": origin}).header("Access-Control-Allow-Origin") == origin
    for origin in ("https://localhost:5173", "http://127.0.0.1:5173", "http://localhost.evil.net"):
        assert call(port, "GET", "/api/health", {"Origin": origin}).cors() == {}


def test_flask_factory_app_env_picks_the_environment_for_the_flask_command(launch: Launcher) -> None:
    port = launch.start(
        "-m",
        "flask",
        "--app",
        "examples/flask_factory",
        "run",
        "--port",
        "0",
        env={"APP_ENV": "prod", "ALLOWED_ORIGINS": "https://admin.example.com"},
    )
    admin = call(port, "GET", "/api/profile", {"Origin": "https://admin.example.com"})
    assert admin.header("Access-Control-Allow-Origin") == "https://admin.example.com"
    assert call(port, "GET", "/api/profile", {"Origin": APP_ORIGIN}).cors() == {}


def test_flask_factory_one_cors_instance_keeps_each_application_apart() -> None:
    factory = load("flask_factory")
    dev = factory.create_app("dev", environ={})
    prod = factory.create_app("prod", environ={"ALLOWED_ORIGINS": "https://app.example.com"})
    with serve_wsgi(dev) as dev_port, serve_wsgi(prod) as prod_port:
        assert call(dev_port, "GET", "/api/profile", {"Origin": APP_ORIGIN}).header("Access-Control-Allow-Origin") == (
            APP_ORIGIN
        )
        assert call(prod_port, "GET", "/api/profile", {"Origin": APP_ORIGIN}).cors() == {}
        reply = call(prod_port, "GET", "/api/profile", {"Origin": "https://app.example.com"})
        assert reply.header("Access-Control-Allow-Origin") == "https://app.example.com"
        assert call(dev_port, "GET", "/api/profile", {"Origin": "https://app.example.com"}).cors() == {}


# -- tenants_db.py ----------------------------------------------------------------------------

ACME = "https://acme.example.com"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tenant_lookups(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.startswith("SELECT name FROM tenants")]


def test_tenants_db_queries_once_per_origin_per_ttl_and_sees_new_tenants() -> None:
    tenants_db = load("tenants_db")
    statements: list[str] = []
    clock = FakeClock()
    store = tenants_db.TenantStore(":memory:", trace=statements.append)
    try:
        store.add("demo", APP_ORIGIN)
        api = tenants_db.TenantAPI(store, ttl=30, clock=clock)
        with serve_wsgi(api, server_class=tenants_db.ThreadingWSGIServer) as port:
            whoami = call(port, "GET", "/api/whoami", {"Origin": APP_ORIGIN})
            assert whoami.cors() == {
                "Access-Control-Allow-Origin": APP_ORIGIN,
                "Access-Control-Allow-Credentials": "true",
                "Access-Control-Expose-Headers": "X-Tenant",
            }
            assert (whoami.header("X-Tenant"), whoami.json()["tenant"]) == ("demo", "demo")
            assert len(tenant_lookups(statements)) == 1  # the middleware and the view share the answer

            for _ in range(5):
                assert call(port, "GET", "/api/whoami", {"Origin": APP_ORIGIN}).status == 200
            answer = preflight(port, "/api/whoami", APP_ORIGIN, "POST", "authorization, content-type")
            assert answer.status == 204
            assert answer.header("Access-Control-Allow-Headers") == "Authorization, Content-Type"
            assert len(tenant_lookups(statements)) == 1  # repeated requests: still one query

            # Not a tenant: refused, and the negative answer is cached too.
            stranger = call(port, "GET", "/api/whoami", {"Origin": ACME})
            assert (stranger.cors(), stranger.header("Vary")) == ({}, "Origin")
            assert preflight(port, "/api/whoami", ACME, "GET").status == 403
            assert call(port, "GET", "/api/whoami", {"Origin": ACME}).cors() == {}
            assert len(tenant_lookups(statements)) == 2

            # A row added behind the cache's back (as another process would) waits for the TTL.
            store.add("acme", ACME)
            assert call(port, "GET", "/api/whoami", {"Origin": ACME}).cors() == {}
            clock.now += 31
            after_ttl = call(port, "GET", "/api/whoami", {"Origin": ACME})
            assert after_ttl.header("Access-Control-Allow-Origin") == ACME
            assert after_ttl.header("X-Tenant") == "acme"
            assert len(tenant_lookups(statements)) == 3

            # add_tenant() invalidates: allowed on the very next request, before any TTL.
            globex = "https://globex.example.com"
            assert call(port, "GET", "/api/whoami", {"Origin": globex}).cors() == {}
            api.add_tenant("globex", "https://GLOBEX.example.com/")
            allowed = call(port, "GET", "/api/whoami", {"Origin": globex})
            assert allowed.header("Access-Control-Allow-Origin") == globex
            assert preflight(port, "/api/whoami", globex, "POST").status == 204
            assert len(tenant_lookups(statements)) == 5
    finally:
        store.close()


def test_tenants_db_concurrent_first_requests_make_a_single_query() -> None:
    tenants_db = load("tenants_db")
    statements: list[str] = []

    def slow_trace(sql: str) -> None:
        statements.append(sql)
        if sql.startswith("SELECT"):
            time.sleep(0.3)  # a slow database: every request below arrives while the lookup runs

    store = tenants_db.TenantStore(":memory:", trace=slow_trace)
    try:
        store.add("acme", ACME)
        api = tenants_db.TenantAPI(store, ttl=30)
        start = threading.Barrier(12, timeout=REQUEST_TIMEOUT)
        replies: list[Reply] = []

        def one_request() -> None:
            start.wait()
            replies.append(call(port, "GET", "/api/whoami", {"Origin": ACME}))

        with serve_wsgi(api, server_class=tenants_db.ThreadingWSGIServer) as port:
            threads = [threading.Thread(target=one_request) for _ in range(12)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=2 * REQUEST_TIMEOUT)
        assert [reply.header("Access-Control-Allow-Origin") for reply in replies] == [ACME] * 12
        assert len(tenant_lookups(statements)) == 1
    finally:
        store.close()


def test_tenants_db_cache_is_bounded_and_never_keeps_an_answer_loaded_across_invalidate() -> None:
    tenants_db = load("tenants_db")
    loads: list[str] = []

    def unknown(key: str) -> None:
        loads.append(key)

    cache = tenants_db.TTLCache(unknown, ttl=60, max_entries=2)
    for key in ("a", "b", "c"):
        assert cache.get(key) is None
    assert len(cache) == 2
    cache.get("a")  # 'a' was the oldest and went: loaded again
    assert loads == ["a", "b", "c", "a"]

    answers = iter(["stale", "fresh"])

    def loader(key: str) -> str:
        value = next(answers)
        if value == "stale":
            racing.invalidate(key)  # the row changes while this lookup runs
        return value

    racing = tenants_db.TTLCache(loader, ttl=60)
    assert racing.get("k") == "stale"
    assert racing.get("k") == "fresh"  # the stale answer was not stored
    assert racing.get("k") == "fresh"


def test_tenants_db_script_allows_a_tenant_added_by_another_process(launch: Launcher, tmp_path: Path) -> None:
    database = str(tmp_path / "tenants.sqlite")
    added = launch.run("examples/tenants_db.py", "--db", database, "--add", "demo", APP_ORIGIN)
    assert (added.returncode, added.stdout.strip()) == (0, f"added tenant 'demo' for {APP_ORIGIN}")
    port = launch.start("examples/tenants_db.py", "--db", database, "--ttl", "0.5", "--port", "0")

    assert call(port, "GET", "/api/whoami", {"Origin": APP_ORIGIN}).header("Access-Control-Allow-Origin") == APP_ORIGIN
    assert call(port, "GET", "/api/whoami", {"Origin": ACME}).cors() == {}

    assert (
        launch.run("examples/tenants_db.py", "--db", database, "--add", "acme", "https://ACME.example.com/").returncode
        == 0
    )
    deadline = time.monotonic() + 15
    while True:  # within the TTL, without a restart
        reply = call(port, "GET", "/api/whoami", {"Origin": ACME})
        if reply.header("Access-Control-Allow-Origin") == ACME or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert reply.header("Access-Control-Allow-Origin") == ACME
    assert reply.header("X-Tenant") == "acme"


def test_tenants_db_script_defaults_to_an_in_memory_demo_tenant(launch: Launcher) -> None:
    port = launch.start("examples/tenants_db.py", "--port", "0")
    answer = preflight(port, "/api/whoami", APP_ORIGIN, "POST", "authorization, content-type")
    assert answer.status == 204
    assert answer.cors() == {
        "Access-Control-Allow-Origin": APP_ORIGIN,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "GET, POST",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Max-Age": "60",
    }
    refused = launch.run("examples/tenants_db.py", "--add", "acme", ACME)
    assert refused.returncode == 2
    assert "--add needs --db FILE" in refused.stderr


# -- other_framework.py (Bottle) --------------------------------------------------------------

NOTES_ORIGIN = "https://notes.example.com"


def test_bottle_app_behind_the_middleware(launch: Launcher) -> None:
    port = launch.start("examples/other_framework.py", "--port", "0")

    notes = call(port, "GET", "/api/notes", {"Origin": NOTES_ORIGIN})
    assert notes.status == 200
    assert notes.cors() == {
        "Access-Control-Allow-Origin": NOTES_ORIGIN,
        "Access-Control-Expose-Headers": "X-Total-Count",
    }
    assert notes.header("Vary") == "Origin"
    assert notes.header("X-Total-Count") == str(len(notes.json()["notes"]))

    # Bottle has no OPTIONS handler: a plain OPTIONS gets its 405, a preflight the middleware's 204.
    assert call(port, "OPTIONS", "/api/notes", {"Origin": NOTES_ORIGIN}).status == 405
    answer = preflight(port, "/api/notes", NOTES_ORIGIN, "POST", "content-type")
    assert answer.status == 204
    assert answer.cors() == {
        "Access-Control-Allow-Origin": NOTES_ORIGIN,
        "Access-Control-Allow-Methods": "GET, POST, DELETE",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
    }
    assert preflight(port, "/api/notes/1", NOTES_ORIGIN, "DELETE").status == 204
    assert preflight(port, "/api/notes/1", NOTES_ORIGIN, "PUT").status == 403

    created = call(
        port,
        "POST",
        "/api/notes",
        {"Origin": NOTES_ORIGIN, "Content-Type": "application/json"},
        json.dumps({"text": "buy pears"}).encode(),
    )
    assert (created.status, created.header("Access-Control-Allow-Origin")) == (201, NOTES_ORIGIN)
    assert created.json()["text"] == "buy pears"

    # The subdomain pattern: never the apex, never a look-alike host, never another scheme.
    for origin in ("https://example.com", "https://notes.example.com.evil.net", "http://notes.example.com"):
        assert call(port, "GET", "/api/notes", {"Origin": origin}).cors() == {}
    assert call(port, "GET", "/api/notes", {"Origin": "https://a.b.example.com"}).header("Access-Control-Allow-Origin")

    # Bottle's own error page carries the CORS headers.
    missing = call(port, "GET", "/api/nothing-here", {"Origin": APP_ORIGIN})
    assert (missing.status, missing.header("Access-Control-Allow-Origin")) == (404, APP_ORIGIN)

    # /health is outside resources: untouched, and a preflight there reaches Bottle.
    health = call(port, "GET", "/health", {"Origin": APP_ORIGIN})
    assert (health.status, health.body, health.cors(), health.header("Vary")) == (200, b"ok", {}, None)
    assert preflight(port, "/health", APP_ORIGIN, "GET").status == 405


# -- fastapi_users.md -------------------------------------------------------------------------


def test_doc_examples_run_as_a_doctest() -> None:
    result = in_fresh_thread(  # its examples call asyncio.run: a thread with no event loop of its own
        doctest.testfile,
        str(DOC),
        module_relative=False,
        optionflags=doctest.ELLIPSIS,
        raise_on_error=False,
        verbose=False,
    )
    assert result.attempted >= 10
    assert result.failed == 0


def test_doc_cites_only_tests_that_exist() -> None:
    cited = set(re.findall(r"\[`(test_doc_\w+)`\]", DOC.read_text()))
    assert len(cited) >= 6
    assert cited <= {name for name in globals() if name.startswith("test_doc_")}


def test_doc_regex_is_a_full_match() -> None:
    with serve_wsgi(CORSMiddleware(echo_app, allow_origin_regex=r"https://.*\.example\.com")) as port:
        allowed = call(port, "GET", "/", {"Origin": "https://app.example.com"})
        assert allowed.header("Access-Control-Allow-Origin") == "https://app.example.com"
        assert preflight(port, "/", "https://app.example.com", "PUT").status == 204
        for origin in ("https://app.example.com.evil.net", "https://app.example.community", "http://app.example.com"):
            assert call(port, "GET", "/", {"Origin": origin}).cors() == {}
            refused = preflight(port, "/", origin, "PUT")
            assert (refused.status, refused.cors()) == (403, {})
    # An Express-style unanchored pattern matches nothing that is not exactly it.
    with serve_wsgi(CORSMiddleware(echo_app, allow_origin_regex=r"example\.com")) as port:
        assert call(port, "GET", "/", {"Origin": "https://example.com"}).cors() == {}


def test_doc_star_with_credentials_is_refused_at_construction() -> None:
    message = r"'\*' cannot be combined with allow_credentials=True"
    with pytest.raises(CORSConfigError, match=r"allow_origins\[0\] '\*': " + message):
        CORSMiddleware(echo_app, allow_origins=["*"], allow_credentials=True)
    with pytest.raises(CORSConfigError, match=r"allow_origins \(default '\*'\): " + message):
        CORSMiddleware(echo_app, allow_credentials=True)
    with pytest.raises(CORSConfigError, match=message):
        CORSMiddleware(echo_app, allow_origins="https://app.example.com, *", allow_credentials=True)


def test_doc_default_methods_on_a_preflight() -> None:
    with serve_wsgi(CORSMiddleware(echo_app)) as port:
        answer = preflight(port, "/", "https://app.example.com", "PUT")
        assert answer.status == 204
        assert answer.header("Access-Control-Allow-Methods") == "GET, HEAD, POST, PUT, PATCH, DELETE"
        assert answer.header("Access-Control-Allow-Origin") == "*"
        assert preflight(port, "/", "https://app.example.com", "PROPFIND").status == 403
        assert preflight(port, "/", "https://app.example.com", "patch").status == 403  # case-sensitive


def test_doc_star_methods_echo_the_method() -> None:
    with serve_wsgi(CORSMiddleware(echo_app, allow_methods="*")) as port:
        answer = preflight(port, "/", "https://app.example.com", "PROPFIND")
        assert (answer.status, answer.header("Access-Control-Allow-Methods")) == (204, "PROPFIND")


def test_doc_preflight_statuses_and_no_max_age_by_default() -> None:
    app = CORSMiddleware(echo_app, allow_origins=["https://app.example.com"], allow_headers=["Authorization"])
    with serve_wsgi(app) as port:
        allowed = preflight(port, "/", "https://app.example.com", "DELETE", "authorization")
        assert (allowed.status, allowed.body) == (204, b"")
        assert allowed.header("Access-Control-Allow-Headers") == "Authorization"
        assert allowed.header("Access-Control-Max-Age") is None
        for origin, method, headers in (
            ("https://evil.example", "GET", None),  # origin
            ("https://app.example.com", "PROPFIND", None),  # method
            ("https://app.example.com", "GET", "x-token"),  # header
        ):
            refused = preflight(port, "/", origin, method, headers)
            assert (refused.status, refused.cors(), refused.body) == (403, {}, b"")
        app.debug = True
        explained = preflight(port, "/", "https://app.example.com", "GET", "x-token")
        assert explained.status == 200
        assert (
            explained.body
            == b"CORS preflight refused: request header 'x-token' is not allowed (allowed: Authorization)\n"
        )


def test_doc_vary_origin_without_origin() -> None:
    with serve_wsgi(CORSMiddleware(echo_app, allow_origins=["https://app.example.com"])) as port:
        for headers in ({}, {"Origin": "https://evil.example"}):
            reply = call(port, "GET", "/", headers)
            assert (reply.status, reply.cors(), reply.header("Vary")) == (200, {}, "Origin")


def test_doc_public_policy_sends_star_with_cookies() -> None:
    with serve_wsgi(CORSMiddleware(echo_app)) as port:
        reply = call(port, "GET", "/", {"Origin": "https://app.example.com", "Cookie": "session=1"})
        assert reply.cors() == {"Access-Control-Allow-Origin": "*"}


def test_doc_plain_options_and_uncovered_paths_reach_the_app() -> None:
    app = CORSMiddleware(echo_app, resources={"/api/*": {"allow_origins": ["https://app.example.com"]}})
    with serve_wsgi(app) as port:
        plain = call(port, "OPTIONS", "/api/items", {"Origin": "https://app.example.com"})
        assert (plain.status, plain.body) == (200, b"OPTIONS /api/items")
        assert plain.header("Access-Control-Allow-Origin") == "https://app.example.com"
        covered = preflight(port, "/api/items", "https://app.example.com", "PUT")
        assert (covered.status, covered.body) == (204, b"")
        uncovered = preflight(port, "/other", "https://app.example.com", "PUT")
        assert (uncovered.status, uncovered.body, uncovered.cors()) == (200, b"OPTIONS /other", {})
