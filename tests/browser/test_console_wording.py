"""``cors_wsgi.browser.judge_in`` against each real engine: the same verdict, the same console lines word for word.

For every case the page fetches a URL of its own; the answers the server really sent
(``api.seen``) are handed to ``judge_in(engine, ...)``, whose verdict must be the engine's
and whose console lines must be exactly the lines the engine printed: Chromium's through
Playwright, Firefox's through BiDi ``log.entryAdded``, WebKit's from MiniBrowser's stderr.
The cases: the hand-written misconfigurations of test_checker_reasons.py, and cors_wsgi's
own refusals (an unlisted origin, simple and preflighted; a method and a header refused in
debug mode; ``*`` with credentials).
"""

from __future__ import annotations

from typing import Any

import pytest
from sites import API, PAGE, PARTNER
from test_checker_reasons import CASES, hand_written

from cors_wsgi import CORSMiddleware
from cors_wsgi.browser import CORSRequest, Response, judge_in

#: Chromium follows every blocked fetch's CORS line with this generic network line.
CHROMIUM_NETWORK_LINE = "Failed to load resource: net::ERR_FAILED"


def ok(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"the answer"]


# (id, cors_wsgi options, fetch init)
OWN = [
    ("unlisted-origin-simple", {"allow_origins": [PARTNER]}, {}),
    ("unlisted-origin-preflighted", {"allow_origins": [PARTNER]}, {"method": "PUT"}),
    (
        "method-refused-debug",
        {"allow_origins": [PAGE], "allow_methods": ["GET", "PUT"], "debug": True},
        {"method": "DELETE"},
    ),
    (
        "header-refused-debug",
        {"allow_origins": [PAGE], "allow_headers": ["X-Token"], "debug": True},
        {"headers": {"X-Token": "1", "X-Other": "2"}},
    ),
    ("wildcard-with-credentials", {}, {"credentials": "include"}),
    (
        "allowed-preflighted",
        {"allow_origins": [PAGE], "allow_headers": ["X-Token"]},
        {"method": "PUT", "headers": {"X-Token": "1"}},
    ),
]

PARAMS = [pytest.param("hand", case[0], case[1], case, id=case[0]) for case in CASES] + [
    pytest.param("own", case[0], case[2], case, id=case[0]) for case in OWN
]


@pytest.mark.parametrize(("kind", "case", "init", "spec"), PARAMS)
def test_judge_in_words_the_console_as_the_engine_does(
    api: Any, shared_page: Any, kind: str, case: str, init: dict[str, Any], spec: tuple[Any, ...]
) -> None:
    if kind == "hand":
        _, _, _, preflight_status, preflight, actual, _ = spec
        api.app = hand_written(preflight_status, preflight, actual)
    else:
        api.app = CORSMiddleware(ok, **spec[1])
    url = f"{API}/wording/{case}"
    fetched = shared_page.fetch(url, init)

    request = CORSRequest(
        origin=PAGE,
        method=init.get("method", "GET"),
        headers=tuple(init.get("headers", {}).items()),
        credentials=init.get("credentials") == "include",
        url=url,
    )
    answers = {seen.method: Response(seen.status or 0, tuple(seen.headers)) for seen in api.seen}
    verdict = judge_in(fetched.engine, request, answers.get("OPTIONS"), answers.get(request.method.upper()), url)

    assert verdict.allowed is fetched.allowed, (verdict, fetched.console)
    console = fetched.console
    if fetched.engine == "chromium" and not fetched.allowed:
        assert console[-1:] == [CHROMIUM_NETWORK_LINE]
        console = console[:-1]
    assert list(verdict.console) == console
    assert list(verdict.reasons) == fetched.cors_reasons
    assert verdict.script_error == fetched.error
