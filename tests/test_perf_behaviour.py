"""What the per-request shortcuts of issue 14 must never change, and issue 13's small items.

The WSGI middleware keeps one ``start_response`` wrapper per answer and checks common header
names by a set look-up; a refused origin's decision is remembered and a refused preflight's
reason is only built when someone reads it.  Each test below asserts what a client or an
operator sees: the headers on the wire, whether the application ran, the log line.  And the
middlewares' ``policy`` cannot be reassigned (it used to change ``repr`` while the old
compiled policy kept answering).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from support import run_async, wsgi_environ

from cors_wsgi import CORSMiddleware, CORSPolicy
from cors_wsgi.asgi import CORSMiddleware as ASGICORSMiddleware
from cors_wsgi.engine import answer_preflight, explain_preflight

APP = "https://app.example.com"
EVIL = "https://evil.example"


def app_sending(headers: Any) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", headers)
        return [b"ok"]

    return app


def call(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    seen: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        seen.append((status, list(headers)))
        return lambda data: None

    body = b"".join(app(environ, start_response))
    return seen[-1][0], seen[-1][1], body


# -- issue 13: the policy in force cannot be swapped under a built middleware ------------------


def test_assigning_a_policy_to_the_wsgi_middleware_raises_and_the_old_one_keeps_answering() -> None:
    middleware = CORSMiddleware(app_sending([("Content-Type", "text/plain")]), allow_origins=[APP])
    with pytest.raises(AttributeError, match=r"build a new middleware: CORSMiddleware\(app, new_policy\)"):
        middleware.policy = CORSPolicy(allow_origins=[EVIL])  # type: ignore[misc]
    assert repr(middleware).endswith(f"CORSPolicy(allow_origins=['{APP}']))")
    _, headers, _ = call(middleware, wsgi_environ("GET", ORIGIN=EVIL))
    assert ("Access-Control-Allow-Origin", EVIL) not in headers


def test_assigning_a_policy_to_the_asgi_middleware_raises() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        return None

    middleware = ASGICORSMiddleware(app, allow_origins=[APP])
    with pytest.raises(AttributeError, match="build a new middleware"):
        middleware.policy = CORSPolicy(allow_origins=[EVIL])  # type: ignore[misc]
    assert middleware.policy.allow_origins == (APP,)


# -- issue 13: refusal log lines name the request's method and path ----------------------------


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="cors_wsgi")
    return caplog


def logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "cors_wsgi"]


def test_a_refused_origin_is_logged_with_method_and_path_every_time(debug_logs: pytest.LogCaptureFixture) -> None:
    middleware = CORSMiddleware(app_sending([("Content-Type", "text/plain")]), allow_origins=[APP])
    for _ in range(2):  # the second decision is remembered: still logged
        call(middleware, wsgi_environ("DELETE", "/orders/7", ORIGIN=EVIL))
    assert logged(debug_logs) == ["CORS origin refused: 'https://evil.example' on 'DELETE' '/orders/7'"] * 2


def test_a_refused_preflight_is_logged_with_method_path_and_its_reason(debug_logs: pytest.LogCaptureFixture) -> None:
    middleware = CORSMiddleware(app_sending([]), allow_origins=[APP])  # debug off: a plain 403
    for _ in range(2):
        status, _, body = call(
            middleware, wsgi_environ("OPTIONS", "/orders/7", ORIGIN=EVIL, ACCESS_CONTROL_REQUEST_METHOD="PUT")
        )
        assert (status, body) == ("403 Forbidden", b"")
    expected = "CORS preflight refused: 'OPTIONS' '/orders/7': origin 'https://evil.example' is not allowed"
    assert logged(debug_logs) == [expected, expected]


def test_a_refusal_log_line_escapes_a_path_with_cr_lf(debug_logs: pytest.LogCaptureFixture) -> None:
    middleware = CORSMiddleware(app_sending([]), allow_origins=[APP])
    call(middleware, wsgi_environ("GET", "/x\r\nINFO forged", ORIGIN=EVIL))
    (line,) = logged(debug_logs)
    assert line == "CORS origin refused: 'https://evil.example' on 'GET' '/x\\r\\nINFO forged'"


def test_nothing_is_logged_for_refusals_without_a_debug_logger(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="cors_wsgi")
    middleware = CORSMiddleware(app_sending([]), allow_origins=[APP])
    call(middleware, wsgi_environ("GET", ORIGIN=EVIL))
    call(middleware, wsgi_environ("OPTIONS", ORIGIN=EVIL, ACCESS_CONTROL_REQUEST_METHOD="PUT"))
    assert logged(caplog) == []


# -- the refusal reason, built on demand ----------------------------------------------------------


def test_the_reason_of_a_refused_origin_is_there_for_whoever_asks() -> None:
    compiled = CORSPolicy(allow_origins=[APP]).compiled
    assert compiled is not None
    middleware = CORSMiddleware(app_sending([]), allow_origins=[APP])
    call(middleware, wsgi_environ("OPTIONS", ORIGIN=EVIL, ACCESS_CONTROL_REQUEST_METHOD="PUT"))
    for _ in range(2):  # also once the refusal is remembered
        assert answer_preflight(compiled, EVIL, "PUT").refusal == "origin 'https://evil.example' is not allowed"
        assert explain_preflight(compiled, EVIL, "PUT").refusal == "origin 'https://evil.example' is not allowed"


def test_a_remembered_refusal_still_explains_itself_in_debug() -> None:
    middleware = CORSMiddleware(app_sending([]), allow_origins=[APP])
    refuse = wsgi_environ("OPTIONS", ORIGIN=EVIL, ACCESS_CONTROL_REQUEST_METHOD="PUT")
    assert call(middleware, dict(refuse))[2] == b""
    middleware.debug = True
    status, _, body = call(middleware, dict(refuse))
    assert (status, body) == (
        "403 Forbidden",
        b"CORS preflight refused: origin 'https://evil.example' is not allowed\n",
    )


# -- the application's headers, whatever their spelling ------------------------------------------


@pytest.mark.parametrize(
    ("app_headers", "expected_vary"),
    [
        ([("Content-Type", "text/plain"), ("Vary", "Accept")], "Accept, Origin"),
        ([("content-type", "text/plain"), ("vary", "accept")], "accept, Origin"),
        ([("Content-Type", "text/plain"), ("VARY", "Cookie")], "Cookie, Origin"),
        ([("Content-Type", "text/plain"), ("Content-Length", "2")], "Origin"),
    ],
)
def test_the_application_vary_is_merged_in_any_spelling(app_headers: list[tuple[str, str]], expected_vary: str) -> None:
    middleware = CORSMiddleware(app_sending(app_headers), allow_origins=[APP])
    _, headers, _ = call(middleware, wsgi_environ("GET", ORIGIN=APP))
    assert [value for name, value in headers if name.lower() == "vary"] == [expected_vary]
    assert ("Access-Control-Allow-Origin", APP) in headers


@pytest.mark.parametrize(
    "spelling", ["Access-Control-Allow-Origin", "access-control-allow-origin", "ACCESS-CONTROL-ALLOW-ORIGIN"]
)
def test_the_application_own_allow_origin_is_replaced_in_any_spelling(spelling: str) -> None:
    middleware = CORSMiddleware(app_sending([(spelling, "*"), ("Content-Type", "text/plain")]), allow_origins=[APP])
    for origin in (APP, EVIL):
        _, headers, _ = call(middleware, wsgi_environ("GET", ORIGIN=origin))
        assert [v for n, v in headers if n.lower() == "access-control-allow-origin"] == ([APP] if origin == APP else [])


def test_a_tuple_of_headers_and_an_empty_name_are_still_answered() -> None:
    as_tuple = CORSMiddleware(app_sending((("Content-Type", "text/plain"),)), allow_origins=[APP])
    _, headers, _ = call(as_tuple, wsgi_environ("GET", ORIGIN=APP))
    assert headers == [("Content-Type", "text/plain"), ("Access-Control-Allow-Origin", APP), ("Vary", "Origin")]
    empty_name = CORSMiddleware(app_sending([("", "x"), ("Vary", "Accept")]), allow_origins=[APP])
    _, headers, _ = call(empty_name, wsgi_environ("GET", ORIGIN=APP))
    assert ("Vary", "Accept, Origin") in headers and ("Access-Control-Allow-Origin", APP) in headers


def test_the_application_header_list_is_left_as_it_was() -> None:
    sent = [("Content-Type", "text/plain")]
    middleware = CORSMiddleware(app_sending(sent), allow_origins=[APP])
    call(middleware, wsgi_environ("GET", ORIGIN=APP))
    assert sent == [("Content-Type", "text/plain")]


def test_a_pattern_origin_allowed_once_is_allowed_again_and_a_stranger_never() -> None:
    middleware = CORSMiddleware(app_sending([]), allow_origins=["https://*.example.com"], allow_credentials=True)
    for _ in range(3):
        _, headers, _ = call(middleware, wsgi_environ("GET", ORIGIN="https://shop.example.com"))
        assert ("Access-Control-Allow-Origin", "https://shop.example.com") in headers
        _, headers, _ = call(middleware, wsgi_environ("GET", ORIGIN="https://shop.example.com.evil.net"))
        assert headers == [("Vary", "Origin")]


def test_an_origin_function_is_asked_on_every_request() -> None:
    asked: list[str] = []

    def tenant(origin: str) -> bool:
        asked.append(origin)
        return len(asked) < 3  # changes its mind on the third request

    middleware = CORSMiddleware(app_sending([]), allow_origin_func=tenant)
    seen = [call(middleware, wsgi_environ("GET", ORIGIN=APP))[1] for _ in range(3)]
    assert asked == [APP] * 3
    assert [("Access-Control-Allow-Origin", APP) in headers for headers in seen] == [True, True, False]


def test_thousands_of_made_up_origins_are_all_refused_and_the_listed_one_still_allowed() -> None:
    middleware = CORSMiddleware(app_sending([]), allow_origins=[APP, "https://*.example.org"])
    for i in range(3000):
        _, headers, _ = call(middleware, wsgi_environ("GET", ORIGIN=f"https://x{i}.example.org"))
        assert ("Access-Control-Allow-Origin", f"https://x{i}.example.org") in headers
        _, headers, _ = call(middleware, wsgi_environ("GET", ORIGIN=f"https://x{i}.evil.net"))
        assert headers == [("Vary", "Origin")]
    _, headers, _ = call(middleware, wsgi_environ("GET", ORIGIN=APP))
    assert ("Access-Control-Allow-Origin", APP) in headers


def test_the_asgi_adapter_still_answers_after_the_policy_property_change() -> None:
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def keep(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    middleware = ASGICORSMiddleware(app, allow_origins=[APP])
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"origin", APP.encode())]}
    run_async(middleware(scope, receive, keep))
    assert (b"access-control-allow-origin", APP.encode()) in sent[0]["headers"]
