"""``cors_wsgi.browser.judge_in`` / ``check_in`` without a browser: each engine's lines, as the engines printed them.

The literal lines below were copied from the engines' consoles (tests/browser/test_console_wording.py
re-checks the function against the real engines on every run; this file keeps the table honest
where no browser is installed).
"""

from __future__ import annotations

import pytest

from cors_wsgi.browser import CORSRequest, Response, check_in, judge_in

URL = "http://api.example.localhost:8000/items"
PAGE = "http://app.example.localhost:8000"
FF = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at "


def test_a_missing_allow_origin_in_each_engine() -> None:
    request = CORSRequest(origin=PAGE)
    answer = Response(200, (("Content-Type", "text/plain"),))
    assert judge_in("chromium", request, None, answer, URL).console == (
        f"Access to fetch at '{URL}' from origin '{PAGE}' has been blocked by CORS policy: "
        "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
    )
    assert judge_in("firefox", request, None, answer, URL).console == (
        f"{FF}{URL}. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 200.",
    )
    assert judge_in("webkit", request, None, answer, URL).console == (
        f"Origin {PAGE} is not allowed by Access-Control-Allow-Origin. Status code: 200",
        f"Fetch API cannot load {URL} due to access control checks.",
    )


def test_webkit_blames_a_refused_preflights_status_the_others_its_missing_allow_origin() -> None:
    request = CORSRequest(origin=PAGE, method="PUT")
    refused = Response(403, (("Vary", "Origin"),))
    assert judge_in("webkit", request, refused, None, URL).reasons == (
        "Preflight response is not successful. Status code: 403",
    )
    assert judge_in("firefox", request, refused, None, URL).reasons == (
        "CORS header ‘Access-Control-Allow-Origin’ missing",
        "CORS request did not succeed",
    )
    assert judge_in("chromium", request, refused, None, URL).reasons == (
        "Response to preflight request doesn't pass access control check: "
        "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
    )


def test_webkit_names_a_refused_header_as_the_script_wrote_it() -> None:
    request = CORSRequest(origin=PAGE, headers=(("X-Token", "1"),))
    answer = Response(204, (("Access-Control-Allow-Origin", PAGE),))
    assert check_in("webkit", request, answer, "preflight", URL).reasons == (
        "Request header field X-Token is not allowed by Access-Control-Allow-Headers.",
    )
    assert check_in("firefox", request, answer, "preflight", URL).reasons[0] == (
        "header ‘x-token’ is not allowed according to header ‘Access-Control-Allow-Headers’ "
        "from CORS preflight response"
    )


def test_an_allowed_exchange_prints_nothing_anywhere() -> None:
    request = CORSRequest(origin=PAGE, method="PUT")
    preflight = Response(204, (("Access-Control-Allow-Origin", PAGE), ("Access-Control-Allow-Methods", "PUT")))
    actual = Response(200, (("Access-Control-Allow-Origin", PAGE),))
    for engine in ("chromium", "firefox", "webkit"):
        verdict = judge_in(engine, request, preflight, actual, URL)
        assert (verdict.allowed, verdict.console, verdict.script_error) == (True, (), None)


def test_an_unknown_engine_or_step_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown engine 'opera'"):
        check_in("opera", CORSRequest(origin=PAGE), Response(200), "actual", URL)
    with pytest.raises(ValueError, match="step is"):
        check_in("webkit", CORSRequest(origin=PAGE), Response(200), "final", URL)
