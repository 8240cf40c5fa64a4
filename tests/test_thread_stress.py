"""Many threads through ONE Flask application with ``flask_cors_ext``, and through a real threaded
server (waitress on 127.0.0.1) in front of ONE ``CORSMiddleware`` and ONE Flask application.

``tests/test_concurrency.py`` covers one core middleware called in-process by 32 threads.  Here:

* the Flask extension, whose per-application state resolves and caches view and blueprint
  policies lazily: a fresh application is hit by 32 threads from its very first request, with
  an application policy, a blueprint policy and a ``@cross_origin`` view;
* ``debug`` (for Flask: ``app.debug``, which the extension follows) toggled while requests are in
  flight: every answer must be exactly the one for debug off or the one for debug on;
* an application with only ``@cross_origin`` views and no ``CORS(app)``, where the extension
  installs itself during the first request, raced by 32 threads;
* the same request mix over the wire through waitress with 8 worker threads and 32 keep-alive
  connections, so that answers are also written and parsed concurrently.

Every expected answer is spelled out literally (status, every header, body).  The application
echoes each request's ``X-Request-Id`` as a header and as the body, so a mixed-up answer is
caught.  On top of the exact comparison, every answer goes through a check that needs nothing
but the request: an ``Access-Control-Allow-Origin`` is either absent or the request's own
``Origin``, never another request's.  All loops are bounded in count and in time.  The
scaffolding (cases, expected answers, the hammering threads) is ``tests/support.py``'s,
shared with ``test_concurrency.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from flask import Blueprint, Flask, request
from support import (
    APP_ORIGIN,
    EVIL,
    PATTERN_ORIGIN,
    STRESS_OPTIONS,
    STRESS_THREADS,
    Answer,
    Case,
    allowed_preflight,
    assert_clean,
    call_wsgi,
    echo_app,
    echoed,
    explained,
    hammer,
    in_process,
    leaked,
    origin_refused,
    over_the_wire,
    preflight_headers,
    quiet_403,
    same,
)

from cors_wsgi import CORSMiddleware
from flask_cors_ext import CORS, cross_origin

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.append(str(BENCHMARKS))

import _servers  # noqa: E402

THREADS = STRESS_THREADS
IN_PROCESS_PER_THREAD = 100
OVER_THE_WIRE_PER_THREAD = 50
TIME_LIMIT = 90.0  # per hammering; generous, for a loaded 2-CPU machine

PARTNER = "https://partner.example.net"  # the blueprint's only origin
SPECIAL = "https://special.example.net"  # the decorated view's only origin


#: On ``/items``: served alike by the core middleware and by the Flask application's own policy.
ITEMS_CASES = [
    Case("allowed preflight", "OPTIONS", "/items", preflight_headers(APP_ORIGIN, "PUT", "x-token"),
         *same(allowed_preflight(APP_ORIGIN, "X-Token"))),
    Case("allowed preflight, pattern origin", "OPTIONS", "/items", preflight_headers(PATTERN_ORIGIN, "PUT", "X-TOKEN"),
         *same(allowed_preflight(PATTERN_ORIGIN, "X-Token"))),
    Case("refused preflight: origin", "OPTIONS", "/items", preflight_headers(EVIL, "PUT"),
         quiet_403, origin_refused(EVIL)),
    Case("refused preflight: method", "OPTIONS", "/items", preflight_headers(APP_ORIGIN, "DELETE"),
         quiet_403, explained("200 OK", [("Access-Control-Allow-Origin", APP_ORIGIN),
                                         ("Access-Control-Allow-Credentials", "true"),
                                         ("Access-Control-Allow-Methods", "GET, PUT")],
                              "method 'DELETE' is not allowed (allowed: GET, PUT)")),
    Case("allowed GET", "GET", "/items", {"Origin": APP_ORIGIN}, *same(echoed(APP_ORIGIN))),
    Case("allowed PUT, pattern origin", "PUT", "/items",
         {"Origin": PATTERN_ORIGIN, "Content-Type": "application/json"}, *same(echoed(PATTERN_ORIGIN)), body=b"{}"),
    Case("refused POST", "POST", "/items", {"Origin": EVIL, "Content-Type": "text/plain"},
         *same(echoed(None)), body=b"x"),
    Case("no Origin", "GET", "/items", {}, *same(echoed(None))),
]  # fmt: skip

#: The blueprint (``/partner/...``, only PARTNER) and the decorated view (``/special``, only SPECIAL):
#: origins are replaced as a unit, the other options inherited from ``CORS(app)``.
FLASK_ONLY_CASES = [
    Case("blueprint: allowed preflight", "OPTIONS", "/partner/items", preflight_headers(PARTNER, "PUT", "x-token"),
         *same(allowed_preflight(PARTNER, "X-Token"))),
    Case("blueprint: the app's origin is refused", "OPTIONS", "/partner/items", preflight_headers(APP_ORIGIN, "PUT"),
         quiet_403, origin_refused(APP_ORIGIN)),
    Case("app route: the blueprint's origin is refused", "OPTIONS", "/items", preflight_headers(PARTNER, "PUT"),
         quiet_403, origin_refused(PARTNER)),
    Case("blueprint: allowed PUT", "PUT", "/partner/items", {"Origin": PARTNER, "Content-Type": "application/json"},
         *same(echoed(PARTNER)), body=b"[]"),
    Case("blueprint: the app's origin gets nothing", "GET", "/partner/items", {"Origin": APP_ORIGIN},
         *same(echoed(None))),
    Case("decorated: allowed preflight", "OPTIONS", "/special", preflight_headers(SPECIAL, "GET"),
         *same(allowed_preflight(SPECIAL))),
    Case("decorated: allowed GET", "GET", "/special", {"Origin": SPECIAL}, *same(echoed(SPECIAL))),
    Case("decorated: the app's origin gets nothing", "GET", "/special", {"Origin": APP_ORIGIN}, *same(echoed(None))),
]  # fmt: skip

FLASK_CASES = ITEMS_CASES + FLASK_ONLY_CASES


# -- the applications ------------------------------------------------------------------------


def flask_echo() -> tuple[str, int, dict[str, str]]:
    request.get_data()
    request_id = request.headers["X-Request-Id"]
    return request_id, 200, {"Content-Type": "text/plain", "X-Request-Id": request_id}


def make_flask_app() -> Flask:
    """One application with all three kinds of policy; every request to it goes through the extension."""
    app = Flask("thread_stress")
    app.config["TEMPLATES_AUTO_RELOAD"] = False  # so that toggling app.debug only sets config["DEBUG"]
    app.add_url_rule("/items", "items", flask_echo, methods=["GET", "PUT", "POST"])
    partner = Blueprint("partner", __name__, url_prefix="/partner")
    partner.add_url_rule("/items", "items", flask_echo, methods=["GET", "PUT"])
    CORS(partner, allow_origins=[PARTNER])
    app.register_blueprint(partner)

    @cross_origin(allow_origins=[SPECIAL])
    def special() -> tuple[str, int, dict[str, str]]:  # a function of its own: the decorator marks it
        return flask_echo()

    app.add_url_rule("/special", "special", special, methods=["GET", "PUT"])
    CORS(app, **STRESS_OPTIONS)
    return app


# -- hammering, in process -----------------------------------------------------------------


def test_flask_app_under_32_threads_from_its_first_request() -> None:
    app = make_flask_app()  # fresh: its view policies are resolved while the threads race
    outcome = hammer(FLASK_CASES, in_process(app), IN_PROCESS_PER_THREAD, time_limit=TIME_LIMIT)
    assert_clean(outcome, THREADS * IN_PROCESS_PER_THREAD)
    assert outcome.forms(FLASK_CASES) == {"normal"}
    assert {name for name, _ in outcome.seen} == {case.name for case in FLASK_CASES}


def test_flask_app_debug_toggled_while_requests_are_in_flight() -> None:
    app = make_flask_app()

    def toggle() -> None:
        app.debug = not app.debug  # the extension follows app.debug (no debug option given)

    outcome = hammer(FLASK_CASES, in_process(app), IN_PROCESS_PER_THREAD, toggle, time_limit=TIME_LIMIT)
    assert_clean(outcome, THREADS * IN_PROCESS_PER_THREAD)
    assert outcome.toggles > 10
    assert outcome.forms(FLASK_CASES) == {"normal", "debug"}  # both really exercised


# -- the extension installing itself during the first requests --------------------------------

#: An application with only ``@cross_origin`` views: the extension installs itself during its
#: first request, and the requests already under way then are served from Flask's signal.
LAZY_CASES = [
    Case("decorated: allowed preflight", "OPTIONS", "/special", preflight_headers(SPECIAL, "PUT", "x-token"),
         *same(allowed_preflight(SPECIAL, "X-Token"))),
    Case("decorated: refused preflight", "OPTIONS", "/special", preflight_headers(EVIL, "PUT"), *same(quiet_403)),
    Case("decorated: allowed GET", "GET", "/special", {"Origin": SPECIAL}, *same(echoed(SPECIAL))),
    Case("decorated: refused GET", "GET", "/special", {"Origin": EVIL}, *same(echoed(None))),
    Case("undecorated view: untouched", "GET", "/plain", {"Origin": SPECIAL},
         *same(lambda request_id: Answer.of("200 OK", [("Content-Type", "text/plain"),
                                                      ("X-Request-Id", request_id),
                                                      ("Content-Length", str(len(request_id)))],
                                            request_id.encode("ascii")))),
]  # fmt: skip


def make_lazy_app() -> Flask:
    app = Flask("thread_stress_lazy")

    @cross_origin(
        allow_origins=[SPECIAL],
        allow_credentials=True,
        allow_methods=["GET", "PUT"],
        allow_headers=["X-Token"],
        expose_headers=["X-Total"],
        max_age=600,
    )
    def special() -> tuple[str, int, dict[str, str]]:
        return flask_echo()

    app.add_url_rule("/special", "special", special, methods=["GET", "PUT"])
    app.add_url_rule("/plain", "plain", flask_echo, methods=["GET", "PUT"])
    return app


def test_extension_installing_itself_while_32_threads_send_first_requests() -> None:
    app = make_lazy_app()
    assert "cors" not in app.extensions

    def send(case: Case, request_id: str) -> Answer:
        # The requests under way while the extension installs itself are served from the
        # request_started signal; their answers must be the very same as the later ones.
        return call_wsgi(app, case.environ(request_id))

    outcome = hammer(LAZY_CASES, lambda index: (send, lambda: None), IN_PROCESS_PER_THREAD // 3, time_limit=TIME_LIMIT)
    assert_clean(outcome, THREADS * (IN_PROCESS_PER_THREAD // 3))
    assert "cors" in app.extensions  # installed once, by the first request


# -- over the wire: a real threaded server ------------------------------------------------------


@pytest.fixture(params=["CORSMiddleware", "Flask"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[int, list[Case], Callable[[], None]]]:
    """(port, cases, toggle debug) for one application served by waitress with 8 threads."""
    if request.param == "CORSMiddleware":
        middleware = CORSMiddleware(echo_app, **STRESS_OPTIONS)

        def toggle() -> None:
            middleware.debug = not middleware.debug

        app: Callable[..., Iterable[bytes]] = middleware
        cases = ITEMS_CASES
    else:
        flask_app = make_flask_app()

        def toggle() -> None:
            flask_app.debug = not flask_app.debug

        app, cases = flask_app, FLASK_CASES
    with _servers.waitress_in_thread(app, threads=8) as port:
        yield port, cases, toggle


def test_real_server_32_connections_with_debug_toggled(served: tuple[int, list[Case], Callable[[], None]]) -> None:
    port, cases, toggle = served
    outcome = hammer(cases, over_the_wire(port), OVER_THE_WIRE_PER_THREAD, toggle, time_limit=TIME_LIMIT)
    assert_clean(outcome, THREADS * OVER_THE_WIRE_PER_THREAD)
    assert outcome.toggles > 10
    assert outcome.forms(cases) == {"normal", "debug"}


def test_the_leak_check_can_fail() -> None:
    """The request-only check flags another origin's ACAO, and accepts the request's own or none."""
    case = ITEMS_CASES[4]  # allowed GET from APP_ORIGIN
    own = echoed(APP_ORIGIN)("1")
    other = echoed(PATTERN_ORIGIN)("1")
    assert leaked(case, own) is None
    assert leaked(case, echoed(None)("1")) is None
    assert leaked(case, other) is not None
    no_origin = ITEMS_CASES[-1]
    assert leaked(no_origin, own) is not None
