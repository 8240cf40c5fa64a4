"""The check command's wording against Chromium's, for misconfigured servers cors_wsgi never produces.

Each API here is a hand-written WSGI app sending wrong CORS headers (two values, an
unequal or invalid origin, ``True`` for credentials, a redirected or failed preflight,
unparsable lists, wildcards with credentials).  Chromium's console reason is asserted
literally, and ``python -m cors_wsgi check`` must reach the same verdict with the same
words (``cors_wsgi.browser``).  These cases are about wording, not about the browser's
state: they share one page (one preflight cache), each case fetching a URL of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

API = "http://api.example.test"
PAGE = "http://app.example.test"
PRE = "Response to preflight request doesn't pass access control check: "
VALID = " Have the server send the header with a valid value."
ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"

Headers = list[tuple[str, str]]

# (id, fetch init, check arguments, preflight status, preflight headers, actual headers, Chromium's reason or None)
CASES: list[tuple[str, dict[str, Any], list[str], str, Headers, Headers, str | None]] = [
    (
        "two-values",
        {},
        [],
        "",
        [],
        [(ACAO, PAGE), (ACAO, PAGE)],
        f"The '{ACAO}' header contains multiple values '{PAGE}, {PAGE}', but only one is allowed." + VALID,
    ),
    (
        "unequal-value",
        {},
        [],
        "",
        [],
        [(ACAO, f"{PAGE}/")],
        f"The '{ACAO}' header has a value '{PAGE}/' that is not equal to the supplied origin." + VALID,
    ),
    (
        "credentials-True",
        {"credentials": "include"},
        ["--credentials"],
        "",
        [],
        [(ACAO, PAGE), (ACAC, "True")],
        f"The value of the '{ACAC}' header in the response is 'True' which must be 'true' when the request's "
        "credentials mode is 'include'.",
    ),
    (
        "preflight-invalid-value",
        {"method": "PUT"},
        ["--method", "PUT"],
        "204 No Content",
        [(ACAO, "app.example.test"), (ACAM, "PUT")],
        [(ACAO, PAGE)],
        f"{PRE}The '{ACAO}' header contains the invalid value 'app.example.test'." + VALID,
    ),
    (
        "preflight-wildcard-with-credentials",
        {"method": "PUT", "credentials": "include"},
        ["--method", "PUT", "--credentials"],
        "204 No Content",
        [(ACAO, "*"), (ACAM, "PUT")],
        [(ACAO, PAGE), (ACAC, "true")],
        f"{PRE}The value of the '{ACAO}' header in the response must not be the wildcard '*' when the request's "
        "credentials mode is 'include'.",
    ),
    (
        "preflight-without-credentials",
        {"method": "PUT", "credentials": "include"},
        ["--method", "PUT", "--credentials"],
        "204 No Content",
        [(ACAO, PAGE), (ACAM, "PUT")],
        [(ACAO, PAGE), (ACAC, "true")],
        f"{PRE}The value of the '{ACAC}' header in the response is '' which must be 'true' when the request's "
        "credentials mode is 'include'.",
    ),
    (
        "preflight-redirected",
        {"method": "PUT"},
        ["--method", "PUT"],
        "308 Permanent Redirect",
        [(ACAO, PAGE), (ACAM, "PUT"), ("Location", "/items/")],
        [(ACAO, PAGE)],
        f"{PRE}Redirect is not allowed for a preflight request.",
    ),
    (
        "preflight-not-ok",
        {"method": "PUT"},
        ["--method", "PUT"],
        "401 Unauthorized",
        [(ACAO, PAGE), (ACAM, "PUT")],
        [(ACAO, PAGE)],
        f"{PRE}It does not have HTTP ok status.",
    ),
    (
        "methods-unparsable",
        {"method": "PUT"},
        ["--method", "PUT"],
        "204 No Content",
        [(ACAO, PAGE), (ACAM, "PUT;x")],
        [(ACAO, PAGE)],
        f"Cannot parse {ACAM} response header field in preflight response.",
    ),
    (
        "headers-unparsable",
        {"headers": {"X-Token": "1"}},
        ["--header", "X-Token:1"],
        "204 No Content",
        [(ACAO, PAGE), (ACAH, "x-token;")],
        [(ACAO, PAGE)],
        f"Cannot parse {ACAH} response header field in preflight response.",
    ),
    (
        "methods-wildcard",
        {"method": "PUT"},
        ["--method", "PUT"],
        "204 No Content",
        [(ACAO, PAGE), (ACAM, "*")],
        [(ACAO, PAGE)],
        None,
    ),
    (
        "methods-wildcard-with-credentials",
        {"method": "PUT", "credentials": "include"},
        ["--method", "PUT", "--credentials"],
        "204 No Content",
        [(ACAO, PAGE), (ACAC, "true"), (ACAM, "*")],
        [(ACAO, PAGE), (ACAC, "true")],
        f"Method PUT is not allowed by {ACAM} in preflight response.",
    ),
    (
        "headers-wildcard-covers-authorization",  # in Chromium; the standard says it does not
        {"headers": {"Authorization": "Bearer t0ken"}},
        ["--header", "Authorization:Bearer t0ken"],
        "204 No Content",
        [(ACAO, PAGE), (ACAH, "*")],
        [(ACAO, PAGE)],
        None,
    ),
    (
        "headers-wildcard-with-credentials",
        {"headers": {"X-Token": "1"}, "credentials": "include"},
        ["--header", "X-Token:1", "--credentials"],
        "204 No Content",
        [(ACAO, PAGE), (ACAC, "true"), (ACAH, "*")],
        [(ACAO, PAGE), (ACAC, "true")],
        f"Request header field x-token is not allowed by {ACAH} in preflight response.",
    ),
]


def hand_written(preflight_status: str, preflight: Headers, actual: Headers) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "OPTIONS":
            start_response(preflight_status, list(preflight))
            return [b""]
        start_response("200 OK", [("Content-Type", "text/plain"), *actual])
        return [b"the answer"]

    return app


@pytest.mark.parametrize(
    ("case", "init", "check_args", "preflight_status", "preflight", "actual", "reason"),
    [pytest.param(*case, id=case[0]) for case in CASES],
)
def test_the_check_command_words_the_reason_as_chromium_does(
    api: Any,
    shared_page: Any,
    checker: Any,
    case: str,
    init: dict[str, Any],
    check_args: list[str],
    preflight_status: str,
    preflight: Headers,
    actual: Headers,
    reason: str | None,
) -> None:
    api.app = hand_written(preflight_status, preflight, actual)
    url = f"{API}/items/{case}"  # a URL of its own: no preflight cached by another case
    fetched = shared_page.fetch(url, init)
    preflighted = bool(preflight_status)
    if reason is None:
        assert (fetched.outcome, fetched.status, fetched.body) == ("ok", 200, "the answer")
    else:
        assert fetched.cors_reasons == [reason]
    sent = [method for method, _ in api.requests()]
    assert sent[0] == ("OPTIONS" if preflighted else "GET")
    checker.agrees(fetched, url, PAGE, *check_args)
