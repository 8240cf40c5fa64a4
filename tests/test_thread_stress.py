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
``Origin``, never another request's.  All loops are bounded in count and in time.
"""

from __future__ import annotations

import http.client
import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask, request
from werkzeug.test import EnvironBuilder

from cors_wsgi import CORSMiddleware
from flask_cors_ext import CORS, cross_origin

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.append(str(BENCHMARKS))

import _servers  # noqa: E402

THREADS = 32
IN_PROCESS_PER_THREAD = 100
OVER_THE_WIRE_PER_THREAD = 50
TIME_LIMIT = 90.0  # per hammering; generous, for a loaded 2-CPU machine

APP_ORIGIN = "https://app.example.com"
PATTERN_ORIGIN = "https://shop.example.org"  # matched by https://*.example.org
PARTNER = "https://partner.example.net"  # the blueprint's only origin
SPECIAL = "https://special.example.net"  # the decorated view's only origin
EVIL = "https://app.example.com.evil.net"

PREFLIGHT_VARY = ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
PLAIN_UTF8 = ("Content-Type", "text/plain; charset=utf-8")
#: Added by the server itself, not by the application or the middleware.
SERVER_OWNED = frozenset({"date", "server", "connection", "keep-alive"})

Headers = list[tuple[str, str]]


# -- answers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]  # sorted; names as sent
    body: bytes

    @classmethod
    def of(cls, status: str, headers: Iterable[tuple[str, str]], body: bytes) -> Answer:
        code, _, reason = status.partition(" ")
        kept = (h for h in headers if h[0].lower() not in SERVER_OWNED)
        return cls(int(code), reason, tuple(sorted(kept)), body)


Expect = Callable[[str], Answer]  # request id -> the answer


def echoed(origin: str | None, *, credentials: bool = True) -> Expect:
    """The application's echo, with the actual-response CORS headers for ``origin`` (None: refused)."""

    def answer(request_id: str) -> Answer:
        headers = [
            ("Content-Type", "text/plain"),
            ("X-Request-Id", request_id),
            ("Content-Length", str(len(request_id))),
            ("Vary", "Origin"),
        ]
        if origin is not None:
            headers.append(("Access-Control-Allow-Origin", origin))
            if credentials:
                headers.append(("Access-Control-Allow-Credentials", "true"))
            headers.append(("Access-Control-Expose-Headers", "X-Total"))
        return Answer.of("200 OK", headers, request_id.encode("ascii"))

    return answer


def allowed_preflight(origin: str, allow_headers: str | None = None) -> Expect:
    headers = [
        ("Access-Control-Allow-Origin", origin),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Methods", "GET, PUT"),
        ("Access-Control-Max-Age", "600"),
        PREFLIGHT_VARY,
    ]
    if allow_headers is not None:
        headers.append(("Access-Control-Allow-Headers", allow_headers))
    fixed = Answer.of("204 No Content", headers, b"")
    return lambda request_id: fixed


QUIET_403 = Answer.of("403 Forbidden", [PLAIN_UTF8, ("Content-Length", "0"), PREFLIGHT_VARY], b"")


def quiet_403(request_id: str) -> Answer:
    return QUIET_403


def explained(status: str, partial: Headers, reason: str) -> Expect:
    """A refused preflight in debug mode: the reason as the body, and what would be allowed."""
    body = f"CORS preflight refused: {reason}\n".encode("ascii")
    fixed = Answer.of(status, [*partial, PLAIN_UTF8, ("Content-Length", str(len(body))), PREFLIGHT_VARY], body)
    return lambda request_id: fixed


def origin_refused(origin: str) -> Expect:
    return explained("403 Forbidden", [], f"origin '{origin}' is not allowed")


@dataclass(frozen=True)
class Case:
    """A kind of request and its exact answers with debug off and on."""

    name: str
    method: str
    path: str
    headers: dict[str, str]
    normal: Expect
    debug: Expect
    body: bytes | None = None

    @property
    def origin(self) -> str | None:
        return self.headers.get("Origin")

    @property
    def explains_in_debug(self) -> bool:
        return self.normal("x") != self.debug("x")


def same(expect: Expect) -> tuple[Expect, Expect]:
    return expect, expect


def preflight_headers(origin: str, method: str, request_headers: str | None = None) -> dict[str, str]:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if request_headers is not None:
        headers["Access-Control-Request-Headers"] = request_headers
    return headers


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

APP_OPTIONS: dict[str, Any] = {
    "allow_origins": [APP_ORIGIN, "https://*.example.org"],
    "allow_credentials": True,
    "allow_methods": ["GET", "PUT"],
    "allow_headers": ["X-Token"],
    "expose_headers": ["X-Total"],
    "max_age": 600,
}


def echo_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    request_id = environ["HTTP_X_REQUEST_ID"]
    start_response(
        "200 OK",
        [("Content-Type", "text/plain"), ("X-Request-Id", request_id), ("Content-Length", str(len(request_id)))],
    )
    return [request_id.encode("ascii")]


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
    CORS(app, **APP_OPTIONS)
    return app


# -- hammering -------------------------------------------------------------------------------

Send = Callable[[Case, str], Answer]  # (case, request id) -> the answer


@dataclass
class Outcome:
    failures: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    seen: dict[tuple[str, str], int] = field(default_factory=dict)  # (case name, "normal"/"debug") -> count
    done: int = 0
    toggles: int = 0

    def forms(self, cases: Iterable[Case]) -> set[str]:
        names = {case.name for case in cases if case.explains_in_debug}
        return {form for (name, form), _ in self.seen.items() if name in names}


def leaked(case: Case, answer: Answer) -> str | None:
    """The request-only check: an ACAO is absent or this request's own Origin, nothing else."""
    values = [value for name, value in answer.headers if name.lower() == "access-control-allow-origin"]
    if values and values != [case.origin]:
        return f"{case.name}: request Origin {case.origin!r} got Access-Control-Allow-Origin {values!r}"
    return None


def hammer(
    cases: list[Case],
    make_sender: Callable[[int], tuple[Send, Callable[[], None]]],
    per_thread: int,
    toggle: Callable[[], None] | None = None,
) -> Outcome:
    """THREADS threads send ``per_thread`` requests each, cases picked at random (seeded per thread)."""
    outcome = Outcome()
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS + 1)
    stop_toggling = threading.Event()
    deadline = time.monotonic() + TIME_LIMIT

    def worker(index: int) -> None:
        rng = random.Random(index)
        seen: dict[tuple[str, str], int] = {}
        failures: list[str] = []
        leaks: list[str] = []
        done = 0
        try:
            send, close = make_sender(index)
            try:
                barrier.wait(timeout=TIME_LIMIT)
                for number in range(per_thread):
                    if time.monotonic() > deadline:
                        failures.append(f"thread {index}: out of time after {number} requests")
                        break
                    # The first requests of the threads cover every case: they race the lazy set-up.
                    case = cases[index % len(cases)] if number == 0 else rng.choice(cases)
                    request_id = f"{index}-{number}"
                    answer = send(case, request_id)
                    leak = leaked(case, answer)
                    if leak is not None:
                        leaks.append(f"#{request_id} {leak}")
                    if answer == case.normal(request_id):
                        form = "normal"
                    elif answer == case.debug(request_id):
                        form = "debug"
                        if toggle is None:
                            failures.append(f"{case.name} #{request_id}: the debug answer while debug is off")
                    else:
                        failures.append(f"{case.name} #{request_id}: unexpected answer {answer!r}")
                        continue
                    seen[case.name, form] = seen.get((case.name, form), 0) + 1
                    done += 1
            finally:
                close()
        except BaseException as exc:  # recorded, not lost in the thread
            failures.append(f"thread {index}: {type(exc).__name__}: {exc}")
        with lock:
            outcome.failures.extend(failures)
            outcome.leaks.extend(leaks)
            outcome.done += done
            for key, count in seen.items():
                outcome.seen[key] = outcome.seen.get(key, 0) + count

    def toggler() -> None:
        try:
            barrier.wait(timeout=TIME_LIMIT)
            while not stop_toggling.is_set() and time.monotonic() < deadline:
                assert toggle is not None
                toggle()
                outcome.toggles += 1
                time.sleep(0.0005)
        except BaseException as exc:
            outcome.failures.append(f"toggler: {type(exc).__name__}: {exc}")

    workers = [threading.Thread(target=worker, args=(i,), name=f"stress-{i}") for i in range(THREADS)]
    helper = threading.Thread(target=toggler if toggle is not None else barrier.wait, name="stress-toggler")
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # switch threads often: more interleavings
    try:
        for thread in [*workers, helper]:
            thread.start()
        for thread in workers:
            thread.join(timeout=max(0.1, deadline - time.monotonic() + 5))
    finally:
        stop_toggling.set()
        helper.join(timeout=10)
        sys.setswitchinterval(old_interval)
    assert not any(thread.is_alive() for thread in [*workers, helper]), "threads did not finish in time"
    return outcome


def assert_clean(outcome: Outcome, expected_done: int) -> None:
    assert outcome.leaks == [], outcome.leaks[:5]
    assert outcome.failures == [], outcome.failures[:5]
    assert outcome.done == expected_done


# -- in-process senders ---------------------------------------------------------------------


def call_wsgi(app: Callable[..., Iterable[bytes]], case: Case, request_id: str) -> Answer:
    environ = EnvironBuilder(
        path=case.path,
        method=case.method,
        headers={**case.headers, "X-Request-Id": request_id},
        data=case.body,
        base_url="https://api.example.com",
    ).get_environ()
    calls: list[tuple[str, Headers]] = []

    def start_response(status: str, headers: Headers, exc_info: Any = None) -> Callable[[bytes], None]:
        calls.append((status, list(headers)))
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    assert len(calls) == 1, calls
    return Answer.of(calls[0][0], calls[0][1], body)


def in_process(app: Callable[..., Iterable[bytes]]) -> Callable[[int], tuple[Send, Callable[[], None]]]:
    return lambda index: (lambda case, request_id: call_wsgi(app, case, request_id), lambda: None)


def test_flask_app_under_32_threads_from_its_first_request() -> None:
    app = make_flask_app()  # fresh: its view policies are resolved while the threads race
    outcome = hammer(FLASK_CASES, in_process(app), IN_PROCESS_PER_THREAD)
    assert_clean(outcome, THREADS * IN_PROCESS_PER_THREAD)
    assert outcome.forms(FLASK_CASES) == {"normal"}
    assert {name for name, _ in outcome.seen} == {case.name for case in FLASK_CASES}


def test_flask_app_debug_toggled_while_requests_are_in_flight() -> None:
    app = make_flask_app()

    def toggle() -> None:
        app.debug = not app.debug  # the extension follows app.debug (no debug option given)

    outcome = hammer(FLASK_CASES, in_process(app), IN_PROCESS_PER_THREAD, toggle)
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
        return call_wsgi(app, case, request_id)

    outcome = hammer(LAZY_CASES, lambda index: (send, lambda: None), IN_PROCESS_PER_THREAD // 3)
    assert_clean(outcome, THREADS * (IN_PROCESS_PER_THREAD // 3))
    assert "cors" in app.extensions  # installed once, by the first request


# -- over the wire: a real threaded server ------------------------------------------------------


def over_the_wire(port: int) -> Callable[[int], tuple[Send, Callable[[], None]]]:
    def make_sender(index: int) -> tuple[Send, Callable[[], None]]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def send(case: Case, request_id: str) -> Answer:
            connection.request(
                case.method, case.path, body=case.body, headers={**case.headers, "X-Request-Id": request_id}
            )
            response = connection.getresponse()
            body = response.read()
            return Answer.of(f"{response.status} {response.reason}", response.getheaders(), body)

        return send, connection.close

    return make_sender


@pytest.fixture(params=["CORSMiddleware", "Flask"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[int, list[Case], Callable[[], None]]]:
    """(port, cases, toggle debug) for one application served by waitress with 8 threads."""
    if request.param == "CORSMiddleware":
        middleware = CORSMiddleware(echo_app, **APP_OPTIONS)

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
    outcome = hammer(cases, over_the_wire(port), OVER_THE_WIRE_PER_THREAD, toggle)
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
