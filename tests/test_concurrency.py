"""One middleware instance, many threads: every answer exact, also while ``debug`` is being toggled.

The scaffolding (cases, expected answers, the hammering threads) is ``tests/support.py``'s,
shared with ``test_thread_stress.py``.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from support import (
    APP_ORIGIN,
    EVIL,
    PARTIAL,
    PATTERN_ORIGIN,
    QUIET_403,
    STRESS_OPTIONS,
    STRESS_THREADS,
    Case,
    Outcome,
    allowed_preflight,
    assert_clean,
    call_wsgi,
    echo_app,
    echoed,
    explained,
    first_covers_every_case,
    hammer,
    in_process,
    preflight_headers,
    quiet_403,
    same,
)

from cors_wsgi import CORSMiddleware

REQUESTS_PER_THREAD = 500
TIME_LIMIT = 10.0


def make_middleware() -> CORSMiddleware:
    return CORSMiddleware(echo_app, **STRESS_OPTIONS)


CASES = [
    Case("allowed preflight", "OPTIONS", "/items", preflight_headers(APP_ORIGIN, "PUT", "x-token"),
         *same(allowed_preflight(APP_ORIGIN, "X-Token"))),
    Case("allowed preflight, pattern origin, safelisted header", "OPTIONS", "/items",
         preflight_headers(PATTERN_ORIGIN, "PUT", "content-type,x-token"),
         *same(allowed_preflight(PATTERN_ORIGIN, "X-Token, content-type"))),
    Case("allowed preflight, simple method, no headers", "OPTIONS", "/items", preflight_headers(APP_ORIGIN, "GET"),
         *same(allowed_preflight(APP_ORIGIN))),
    Case("refused preflight: origin", "OPTIONS", "/items", preflight_headers(EVIL, "PUT"),
         quiet_403, explained("403 Forbidden", [], f"origin {EVIL!r} is not allowed")),
    Case("refused preflight: method", "OPTIONS", "/items", preflight_headers(APP_ORIGIN, "DELETE"),
         quiet_403, explained("200 OK", PARTIAL, "method 'DELETE' is not allowed (allowed: GET, PUT)")),
    Case("refused preflight: header", "OPTIONS", "/items", preflight_headers(APP_ORIGIN, "PUT", "x-token,x-other"),
         quiet_403, explained("200 OK", [*PARTIAL, ("Access-Control-Allow-Headers", "X-Token")],
                              "request header 'x-other' is not allowed (allowed: X-Token)")),
    Case("allowed actual", "GET", "/items", {"Origin": APP_ORIGIN}, *same(echoed(APP_ORIGIN))),
    Case("allowed actual, pattern origin", "PUT", "/items", {"Origin": PATTERN_ORIGIN}, *same(echoed(PATTERN_ORIGIN))),
    Case("OPTIONS without request method is actual", "OPTIONS", "/items", {"Origin": APP_ORIGIN},
         *same(echoed(APP_ORIGIN))),
    Case("refused actual", "POST", "/items", {"Origin": EVIL}, *same(echoed(None))),
    Case("no Origin", "GET", "/items", {}, *same(echoed(None))),
]  # fmt: skip
REFUSED_PREFLIGHTS = {case.name for case in CASES if case.explains_in_debug}


def header_list_spelling(rng: random.Random) -> str:
    """A random spelling of ``x-token`` (case, white space, empty elements): many memo keys."""
    name = "".join(c.upper() if rng.random() < 0.5 else c for c in "x-token")
    return rng.choice(["", " ", "\t"]) + name + rng.choice(["", " ", ",", ", ,", "\t,"])


SPELLING_CASE = Case(
    "allowed preflight, random header-list spelling",
    "OPTIONS",
    "/items",
    {},  # filled per request
    *same(allowed_preflight(APP_ORIGIN, "X-Token")),
)


_EACH_CASE_FIRST = first_covers_every_case(CASES)


def choose(rng: random.Random, index: int, number: int) -> Case:
    """The cases, and 15% preflights whose header list is spelled anew each time."""
    if rng.random() < 0.15:
        headers = preflight_headers(APP_ORIGIN, "PUT", header_list_spelling(rng))
        return dataclasses.replace(SPELLING_CASE, headers=headers)
    return _EACH_CASE_FIRST(rng, index, number)


def run(middleware: CORSMiddleware, toggle_debug: bool) -> Outcome:
    """STRESS_THREADS x REQUESTS_PER_THREAD mixed requests; optionally toggle ``debug`` meanwhile."""

    def toggle() -> None:
        middleware.debug = not middleware.debug

    return hammer(
        CASES,
        in_process(middleware),
        REQUESTS_PER_THREAD,
        toggle if toggle_debug else None,
        time_limit=TIME_LIMIT,
        choose=choose,
        toggle_pause=0.0002,
    )


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
    return outcome.count(case for case in CASES if not case.is_preflight)


def test_many_threads_get_exact_answers(counting_middleware: tuple[CORSMiddleware, list[int]]) -> None:
    middleware, calls = counting_middleware
    started = time.monotonic()
    outcome = run(middleware, toggle_debug=False)
    assert_clean(outcome, STRESS_THREADS * REQUESTS_PER_THREAD)
    assert time.monotonic() - started < TIME_LIMIT
    # The app ran exactly once per non-preflight request, never for a preflight.
    assert len(calls) == expected_app_calls(outcome)
    assert all(form == "normal" for (name, form) in outcome.seen if name in REFUSED_PREFLIGHTS)


def test_toggling_debug_while_requests_are_in_flight(counting_middleware: tuple[CORSMiddleware, list[int]]) -> None:
    middleware, calls = counting_middleware
    started = time.monotonic()
    outcome = run(middleware, toggle_debug=True)
    assert_clean(outcome, STRESS_THREADS * REQUESTS_PER_THREAD)
    assert time.monotonic() - started < TIME_LIMIT
    assert len(calls) == expected_app_calls(outcome)
    # Both forms were really exercised (every answer being one of them was checked above).
    forms = {form for (name, form) in outcome.seen if name in REFUSED_PREFLIGHTS}
    assert forms == {"normal", "debug"}


def test_debug_switch_takes_effect_for_the_next_request() -> None:
    middleware = make_middleware()
    refused = CASES[3]  # refused preflight: origin
    assert call_wsgi(middleware, refused.environ("1")) == QUIET_403
    middleware.debug = True
    assert call_wsgi(middleware, refused.environ("1")).body == b"CORS preflight refused: origin %s is not allowed\n" % (
        repr(EVIL).encode("ascii")
    )
    middleware.debug = False
    assert call_wsgi(middleware, refused.environ("1")) == QUIET_403
