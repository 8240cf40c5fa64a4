"""One middleware instance, many threads: every answer exact, also while ``debug`` is being toggled."""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from cors_wsgi import CORSMiddleware

THREADS = 32
REQUESTS_PER_THREAD = 500
TIME_LIMIT = 10.0

APP_ORIGIN = "https://app.example.com"
PATTERN_ORIGIN = "https://shop.example.org"  # matched by https://*.example.org
EVIL = "https://app.example.com.evil.net"

Headers = list[tuple[str, str]]
PREFLIGHT_VARY = ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
CONTENT_TYPE = ("Content-Type", "text/plain; charset=utf-8")


def make_middleware() -> CORSMiddleware:
    return CORSMiddleware(
        echo_app,
        allow_origins=[APP_ORIGIN, "https://*.example.org"],
        allow_credentials=True,
        allow_methods=["GET", "PUT"],
        allow_headers=["X-Token"],
        expose_headers=["X-Total"],
        max_age=600,
    )


def echo_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answers with the request's id, so a mixed-up answer is caught."""
    request_id = environ["HTTP_X_REQUEST_ID"]
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Request-Id", request_id)])
    return [request_id.encode("ascii")]


@dataclass(frozen=True)
class Answer:
    status: str
    headers: tuple[tuple[str, str], ...]  # sorted
    body: bytes

    @classmethod
    def of(cls, status: str, headers: Headers, body: bytes) -> Answer:
        return cls(status, tuple(sorted(headers)), body)


@dataclass(frozen=True)
class Case:
    """A kind of request and its exact answers without and with ``debug``."""

    name: str
    environ: dict[str, str]
    normal: Callable[[str], Answer]
    debug: Callable[[str], Answer]
    preflight: bool


def same(answer: Callable[[str], Answer]) -> tuple[Callable[[str], Answer], Callable[[str], Answer]]:
    return answer, answer


def actual(origin: str | None) -> Callable[[str], Answer]:
    def answer(request_id: str) -> Answer:
        headers = [("Content-Type", "text/plain"), ("X-Request-Id", request_id), ("Vary", "Origin")]
        if origin is not None:
            headers += [
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Expose-Headers", "X-Total"),
            ]
        return Answer.of("200 OK", headers, request_id.encode("ascii"))

    return answer


def allowed_preflight(origin: str, allow_headers: str | None) -> Callable[[str], Answer]:
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


REFUSED_QUIETLY = Answer.of("403 Forbidden", [CONTENT_TYPE, ("Content-Length", "0"), PREFLIGHT_VARY], b"")


def refused_with_reason(status: str, partial: Headers, reason: str) -> Callable[[str], Answer]:
    body = f"CORS preflight refused: {reason}\n".encode("ascii")
    fixed = Answer.of(status, [*partial, CONTENT_TYPE, ("Content-Length", str(len(body))), PREFLIGHT_VARY], body)
    return lambda request_id: fixed


PARTIAL = [
    ("Access-Control-Allow-Origin", APP_ORIGIN),
    ("Access-Control-Allow-Credentials", "true"),
    ("Access-Control-Allow-Methods", "GET, PUT"),
]


def preflight_environ(origin: str, method: str, headers: str | None = None) -> dict[str, str]:
    environ = {"REQUEST_METHOD": "OPTIONS", "HTTP_ORIGIN": origin, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": method}
    if headers is not None:
        environ["HTTP_ACCESS_CONTROL_REQUEST_HEADERS"] = headers
    return environ


CASES = [
    Case(
        "allowed preflight",
        preflight_environ(APP_ORIGIN, "PUT", "x-token"),
        *same(allowed_preflight(APP_ORIGIN, "X-Token")),
        preflight=True,
    ),
    Case(
        "allowed preflight, pattern origin, safelisted header",
        preflight_environ(PATTERN_ORIGIN, "PUT", "content-type,x-token"),
        *same(allowed_preflight(PATTERN_ORIGIN, "X-Token, content-type")),
        preflight=True,
    ),
    Case(
        "allowed preflight, simple method, no headers",
        preflight_environ(APP_ORIGIN, "GET"),
        *same(allowed_preflight(APP_ORIGIN, None)),
        preflight=True,
    ),
    Case(
        "refused preflight: origin",
        preflight_environ(EVIL, "PUT"),
        normal=lambda request_id: REFUSED_QUIETLY,
        debug=refused_with_reason("403 Forbidden", [], f"origin {EVIL!r} is not allowed"),
        preflight=True,
    ),
    Case(
        "refused preflight: method",
        preflight_environ(APP_ORIGIN, "DELETE"),
        normal=lambda request_id: REFUSED_QUIETLY,
        debug=refused_with_reason("200 OK", PARTIAL, "method 'DELETE' is not allowed (allowed: GET, PUT)"),
        preflight=True,
    ),
    Case(
        "refused preflight: header",
        preflight_environ(APP_ORIGIN, "PUT", "x-token,x-other"),
        normal=lambda request_id: REFUSED_QUIETLY,
        debug=refused_with_reason(
            "200 OK",
            [*PARTIAL, ("Access-Control-Allow-Headers", "X-Token")],
            "request header 'x-other' is not allowed (allowed: X-Token)",
        ),
        preflight=True,
    ),
    Case("allowed actual", {"REQUEST_METHOD": "GET", "HTTP_ORIGIN": APP_ORIGIN}, *same(actual(APP_ORIGIN)), False),
    Case(
        "allowed actual, pattern origin",
        {"REQUEST_METHOD": "PUT", "HTTP_ORIGIN": PATTERN_ORIGIN},
        *same(actual(PATTERN_ORIGIN)),
        preflight=False,
    ),
    Case(
        "OPTIONS without request method is actual",
        {"REQUEST_METHOD": "OPTIONS", "HTTP_ORIGIN": APP_ORIGIN},
        *same(actual(APP_ORIGIN)),
        preflight=False,
    ),
    Case("refused actual", {"REQUEST_METHOD": "POST", "HTTP_ORIGIN": EVIL}, *same(actual(None)), False),
    Case("no Origin", {"REQUEST_METHOD": "GET"}, *same(actual(None)), False),
]
REFUSED_PREFLIGHTS = {case.name for case in CASES if case.normal("x") != case.debug("x")}


def header_list_spelling(rng: random.Random) -> str:
    """A random spelling of ``x-token`` (case, white space, empty elements): many memo keys."""
    name = "".join(c.upper() if rng.random() < 0.5 else c for c in "x-token")
    return rng.choice(["", " ", "\t"]) + name + rng.choice(["", " ", ",", ", ,", "\t,"])


SPELLING_CASE = Case(
    "allowed preflight, random header-list spelling",
    {},  # filled per request
    *same(allowed_preflight(APP_ORIGIN, "X-Token")),
    preflight=True,
)


def call(middleware: CORSMiddleware, environ: dict[str, Any]) -> Answer:
    seen: list[tuple[str, Headers]] = []

    def start_response(status: str, headers: Headers, exc_info: Any = None) -> Callable[[bytes], None]:
        seen.append((status, list(headers)))
        return lambda data: None

    result = middleware(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    assert len(seen) == 1, seen
    return Answer.of(seen[0][0], seen[0][1], body)


@dataclass
class Outcome:
    failures: list[str]
    seen: dict[tuple[str, str], int]  # (case name, "normal"/"debug") -> count
    done: int


def hammer(middleware: CORSMiddleware, toggle_debug: bool) -> Outcome:
    """Run THREADS x REQUESTS_PER_THREAD mixed requests; optionally toggle ``debug`` meanwhile."""
    failures: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    done = [0] * THREADS
    app_calls = [0] * THREADS
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS + 1)
    stop_toggling = threading.Event()
    deadline = time.monotonic() + TIME_LIMIT

    def worker(index: int) -> None:
        rng = random.Random(index)
        local_seen: dict[tuple[str, str], int] = {}
        try:
            barrier.wait(timeout=TIME_LIMIT)
            for number in range(REQUESTS_PER_THREAD):
                if time.monotonic() > deadline:
                    failures.append(f"thread {index}: out of time after {number} requests")
                    return
                request_id = f"{index}-{number}"
                if rng.random() < 0.15:
                    case = SPELLING_CASE
                    environ = preflight_environ(APP_ORIGIN, "PUT", header_list_spelling(rng))
                else:
                    case = rng.choice(CASES)
                    environ = dict(case.environ)
                environ["HTTP_X_REQUEST_ID"] = request_id
                environ["PATH_INFO"] = "/items"
                answer = call(middleware, environ)
                if answer == case.normal(request_id):
                    form = "normal"
                elif answer == case.debug(request_id):
                    form = "debug"
                else:
                    failures.append(f"{case.name} #{request_id}: unexpected answer {answer!r}")
                    continue
                if not toggle_debug and form == "debug" and case.name in REFUSED_PREFLIGHTS:
                    failures.append(f"{case.name} #{request_id}: debug answer while debug is off")
                local_seen[case.name, form] = local_seen.get((case.name, form), 0) + 1
                if not case.preflight:
                    app_calls[index] += 1
                done[index] += 1
        except BaseException as exc:  # recorded, not raised in the thread
            failures.append(f"thread {index}: {type(exc).__name__}: {exc}")
        finally:
            with lock:
                for key, count in local_seen.items():
                    seen[key] = seen.get(key, 0) + count

    def toggler() -> None:
        try:
            barrier.wait(timeout=TIME_LIMIT)
            while not stop_toggling.is_set():
                middleware.debug = not middleware.debug
                time.sleep(0.0002)
        except BaseException as exc:
            failures.append(f"toggler: {type(exc).__name__}: {exc}")

    workers = [threading.Thread(target=worker, args=(i,), name=f"cors-worker-{i}") for i in range(THREADS)]
    toggle_thread = threading.Thread(target=toggler if toggle_debug else barrier.wait, name="cors-toggler")
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # switch threads often: more interleavings
    try:
        for thread in [*workers, toggle_thread]:
            thread.start()
        for thread in workers:
            thread.join(timeout=max(0.1, deadline - time.monotonic() + 1))
    finally:
        stop_toggling.set()
        toggle_thread.join(timeout=5)
        sys.setswitchinterval(old_interval)
    assert not any(thread.is_alive() for thread in [*workers, toggle_thread]), "threads did not finish in time"
    return Outcome(failures, seen, sum(done))


@pytest.fixture
def counting_middleware() -> Iterator[tuple[CORSMiddleware, list[int]]]:
    middleware = make_middleware()
    calls: list[int] = []
    inner = middleware.app

    def counting_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        calls.append(1)  # list.append is atomic
        return inner(environ, start_response)

    middleware.app = counting_app
    yield middleware, calls


def expected_app_calls(outcome: Outcome) -> int:
    actual_names = {case.name for case in CASES if not case.preflight}
    return sum(count for (name, _), count in outcome.seen.items() if name in actual_names)


def test_many_threads_get_exact_answers(counting_middleware: tuple[CORSMiddleware, list[int]]) -> None:
    middleware, calls = counting_middleware
    started = time.monotonic()
    outcome = hammer(middleware, toggle_debug=False)
    assert outcome.failures == []
    assert outcome.done == THREADS * REQUESTS_PER_THREAD
    assert time.monotonic() - started < TIME_LIMIT
    # The app ran exactly once per non-preflight request, never for a preflight.
    assert len(calls) == expected_app_calls(outcome)
    assert all(form == "normal" for (name, form) in outcome.seen if name in REFUSED_PREFLIGHTS)


def test_toggling_debug_while_requests_are_in_flight(counting_middleware: tuple[CORSMiddleware, list[int]]) -> None:
    middleware, calls = counting_middleware
    started = time.monotonic()
    outcome = hammer(middleware, toggle_debug=True)
    assert outcome.failures == []
    assert outcome.done == THREADS * REQUESTS_PER_THREAD
    assert time.monotonic() - started < TIME_LIMIT
    assert len(calls) == expected_app_calls(outcome)
    # Both forms were really exercised (every answer being one of them was checked above).
    forms = {form for (name, form) in outcome.seen if name in REFUSED_PREFLIGHTS}
    assert forms == {"normal", "debug"}


def test_debug_switch_takes_effect_for_the_next_request() -> None:
    middleware = make_middleware()
    environ = {**preflight_environ(EVIL, "PUT"), "HTTP_X_REQUEST_ID": "1", "PATH_INFO": "/"}
    assert call(middleware, dict(environ)) == REFUSED_QUIETLY
    middleware.debug = True
    assert call(middleware, dict(environ)).body == b"CORS preflight refused: origin %s is not allowed\n" % (
        repr(EVIL).encode("ascii")
    )
    middleware.debug = False
    assert call(middleware, dict(environ)) == REFUSED_QUIETLY
