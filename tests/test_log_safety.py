"""Request values reach the logs only escaped (flask-cors CVE-2024-1681: forged log lines).

The ``cors_wsgi`` logger is set to DEBUG and the middleware to ``debug=True``; requests
carry CR, LF and other control characters in ``Origin``,
``Access-Control-Request-Method``, ``Access-Control-Request-Headers`` and the path.
Every record's message must be one line without a control character, with the
hostile value shown escaped.  The same holds when ``allow_origin_func`` raises and the
middleware logs the exception.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.validate import validator

import pytest
from support import hello_app as app
from support import wsgi_environ as environ

from cors_wsgi import CORSConfigError, CORSMiddleware, CORSPolicy

A = "https://a.example.com"
# C0 controls, DEL, and what str.splitlines() also breaks a line at (NEL, LS, PS).
CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
FORGED = "\r\n2026-01-01 INFO cors_wsgi: forged line"
HOSTILE = [FORGED, "\n", "\r", "\x00", "\x1b[31m", "\x7f", "\x85", "\x0b\x0c"]


def call(middleware: Callable[..., Iterable[bytes]], env: dict[str, Any]) -> tuple[str, bytes]:
    seen: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        seen.append(status)
        return lambda data: None

    result = validator(middleware)(env, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()  # type: ignore[attr-defined]
    return seen[-1], body


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="cors_wsgi")
    return caplog


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every ``cors_wsgi`` record's message, each checked to be a single clean line."""
    found = [r.getMessage() for r in caplog.records if r.name.startswith("cors_wsgi")]
    for message in found:
        assert not CONTROL.search(message), repr(message)
    return found


def escaped(value: str) -> str:
    """How a control character shows once escaped: ``\\r\\n``, ``\\x00``, ..."""
    return ascii(value)[1:-1]


@pytest.fixture
def middleware() -> CORSMiddleware:
    return CORSMiddleware(
        validator(app), allow_origins=[A], allow_headers=["X-Token"], allow_methods=["PUT"], debug=True
    )


@pytest.mark.parametrize("hostile", HOSTILE, ids=[ascii(h) for h in HOSTILE])
def test_a_hostile_origin_is_logged_escaped(
    middleware: CORSMiddleware, logs: pytest.LogCaptureFixture, hostile: str
) -> None:
    origin = f"https://evil.example{hostile}"
    assert call(middleware, environ("GET", ORIGIN=origin))[0] == "200 OK"
    status, body = call(middleware, environ("OPTIONS", ORIGIN=origin, ACCESS_CONTROL_REQUEST_METHOD="PUT"))
    assert status == "403 Forbidden"
    logged = messages(logs)
    assert len(logged) == 2, logged
    for message in logged:
        assert f"evil.example{escaped(hostile)}" in message
    # The debug body carries the same one-line reason.
    assert body.count(b"\n") == 1 and body.endswith(b"\n") and b"\r" not in body
    assert f"evil.example{escaped(hostile)}".encode() in body


@pytest.mark.parametrize("hostile", HOSTILE, ids=[ascii(h) for h in HOSTILE])
def test_a_hostile_method_is_logged_escaped(
    middleware: CORSMiddleware, logs: pytest.LogCaptureFixture, hostile: str
) -> None:
    status, body = call(middleware, environ("OPTIONS", ORIGIN=A, ACCESS_CONTROL_REQUEST_METHOD=f"PATCH{hostile}"))
    assert status == "200 OK"  # debug: the origin is allowed, so the partial answer explains
    (message,) = messages(logs)
    assert f"PATCH{escaped(hostile)}" in message
    assert body.count(b"\n") == 1 and b"\r" not in body


@pytest.mark.parametrize("hostile", HOSTILE, ids=[ascii(h) for h in HOSTILE])
def test_a_hostile_header_list_is_never_logged_raw(
    middleware: CORSMiddleware, logs: pytest.LogCaptureFixture, hostile: str
) -> None:
    status, body = call(
        middleware,
        environ(
            "OPTIONS", ORIGIN=A, ACCESS_CONTROL_REQUEST_METHOD="PUT", ACCESS_CONTROL_REQUEST_HEADERS=f"x-token{hostile}"
        ),
    )
    assert status == "200 OK"
    (message,) = messages(logs)
    assert "Access-Control-Request-Headers" in message
    assert body.count(b"\n") == 1 and b"\r" not in body


@pytest.mark.parametrize("hostile", HOSTILE, ids=[ascii(h) for h in HOSTILE])
def test_a_hostile_path_is_never_logged_raw(logs: pytest.LogCaptureFixture, hostile: str) -> None:
    middleware = CORSMiddleware(validator(app), resources={"/api/*": {"allow_origins": [A]}}, debug=True)
    path = f"/api/x{hostile}"
    call(middleware, environ("GET", path, ORIGIN="https://evil.example"))
    call(middleware, environ("OPTIONS", path, ORIGIN="https://evil.example", ACCESS_CONTROL_REQUEST_METHOD="PUT"))
    call(middleware, environ("OPTIONS", path, ORIGIN=A, ACCESS_CONTROL_REQUEST_METHOD=f"X{hostile}"))
    assert len(messages(logs)) == 3


class TenantLookupError(RuntimeError):
    pass


def test_allow_origin_func_raising_is_logged_on_one_clean_line(logs: pytest.LogCaptureFixture) -> None:
    asked: list[str] = []

    def lookup(origin: str) -> bool:
        asked.append(origin)
        raise TenantLookupError(f"no tenant database for {origin}")

    middleware = CORSMiddleware(validator(app), allow_origin_func=lookup, debug=True)
    for origin in (
        "https://tenant.example",
        f"https://tenant.example{FORGED}",
        f"https://tenant.example, https://x.example{FORGED}",
        f"https://x.example{FORGED}, https://tenant.example",
        "https://tenant.example\x85",
    ):
        call(middleware, environ("GET", ORIGIN=origin))
        call(middleware, environ("OPTIONS", ORIGIN=origin, ACCESS_CONTROL_REQUEST_METHOD="PUT"))

    # The function only ever sees a well-formed origin, so its own exception text is clean too.
    assert asked == ["https://tenant.example"] * 4
    records = [r for r in logs.records if r.name.startswith("cors_wsgi") and r.levelno >= logging.ERROR]
    assert len(records) == 4
    for record in records:
        assert record.getMessage() == (
            "allow_origin_func raised for origin 'https://tenant.example'; the origin is refused"
        )
        assert record.exc_info is not None and isinstance(record.exc_info[1], TenantLookupError)
        assert not CONTROL.search(str(record.exc_info[1]))
        # Formatted with its traceback, the first line is the message and nothing else.
        assert logging.Formatter("%(levelname)s %(message)s").format(record).split("\n", 1)[0] == (
            "ERROR allow_origin_func raised for origin 'https://tenant.example'; the origin is refused"
        )
    messages(logs)  # and every other record is clean


class Ambiguous:
    """A value whose truth cannot be tested: numpy arrays, some ORM expressions."""

    def __bool__(self) -> bool:
        raise TypeError("the truth value of this object is ambiguous")


def test_allow_origin_func_result_whose_truth_raises_refuses_and_logs(logs: pytest.LogCaptureFixture) -> None:
    middleware = CORSMiddleware(validator(app), allow_origin_func=lambda origin: Ambiguous())
    status, body = call(middleware, environ("GET", ORIGIN="https://tenant.example"))
    assert (status, body) == ("200 OK", b"hello")
    assert [r.levelno for r in logs.records if r.name == "cors_wsgi" and r.levelno > logging.DEBUG] == [logging.ERROR]


@pytest.mark.parametrize("pattern", ["(?<\n", "(?\r)", "(?<\x1b"], ids=["LF", "CR", "ESC"])
def test_a_config_error_never_quotes_a_regex_error_raw(pattern: str) -> None:
    with pytest.raises(CORSConfigError) as caught:
        CORSPolicy(allow_origin_regex=pattern)
    (problem,) = caught.value.problems
    assert problem.startswith(f"allow_origin_regex {pattern!r}: not a valid regular expression: ")
    assert not CONTROL.search(problem), repr(problem)


@pytest.mark.parametrize(
    "options",
    [
        {"allow_origins": [f"https://a.example.com{FORGED}"]},
        {"allow_methods": [f"PUT{FORGED}"]},
        {"allow_headers": [f"X-Token{FORGED}"]},
        {"expose_headers": [f"X-Total{FORGED}"]},
        {"resources": {f"api/*{FORGED}": {}}},
        {f"allow_origin{FORGED}": "*"},
        {"max_age": f"600{FORGED}"},
        {"allow_credentials": f"yes{FORGED}"},
    ],
    ids=["origin", "method", "header", "expose", "resource", "option name", "max_age", "credentials"],
)
def test_config_errors_quote_values_escaped(options: dict[str, Any]) -> None:
    with pytest.raises(CORSConfigError) as caught:
        CORSPolicy(**options)
    for problem in caught.value.problems:
        assert not CONTROL.search(problem), repr(problem)
        assert "\\r\\n2026-01-01 INFO cors_wsgi: forged line" in problem
    assert len(str(caught.value).split("\n")) == 1 + len(caught.value.problems)
