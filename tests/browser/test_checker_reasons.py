"""Each engine's console wording, for misconfigured servers cors_wsgi never produces.

Each API here is a hand-written WSGI app sending wrong CORS headers (two values, an
unequal or invalid origin, ``True`` for credentials, a redirected or failed preflight,
unparsable lists, wildcards with credentials).  Each engine's console reasons are asserted
literally (Chromium's, Firefox's and WebKit's differ in words, and sometimes in which check
fails first), and ``python -m cors_wsgi check`` must reach the same verdict; with
Chromium's words (``cors_wsgi.browser``).  These cases are about wording, not about the
browser's state: they share one page (one preflight cache), each case fetching a URL of
its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from sites import API, PAGE

PRE = "Response to preflight request doesn't pass access control check: "
VALID = " Have the server send the header with a valid value."
ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
FF_FAILED = "CORS request did not succeed"  # Firefox's second line after any failed preflight

Headers = list[tuple[str, str]]

# (id, fetch init, check arguments, preflight status, preflight headers, actual headers, Chromium's reason or None)
# (id, fetch init, check arguments, preflight status, preflight headers, actual headers,
#  each engine's console reasons, or None when the page reads the answer)
CASES: list[tuple[str, dict[str, Any], list[str], str, Headers, Headers, dict[str, list[str]] | None]] = [
    (
        "two-values",
        {},
        [],
        "",
        [],
        [(ACAO, PAGE), (ACAO, PAGE)],
        {
            "chromium": [
                f"The '{ACAO}' header contains multiple values '{PAGE}, {PAGE}', but only one is allowed." + VALID
            ],
            "firefox": [f"Multiple CORS header ‘{ACAO}’ not allowed"],
            "webkit": [f"{ACAO} cannot contain more than one origin."],
        },
    ),
    (
        "unequal-value",
        {},
        [],
        "",
        [],
        [(ACAO, f"{PAGE}/")],
        {
            "chromium": [
                f"The '{ACAO}' header has a value '{PAGE}/' that is not equal to the supplied origin." + VALID
            ],
            "firefox": [f"CORS header ‘{ACAO}’ does not match ‘{PAGE}/’"],
            "webkit": [f"Origin {PAGE} is not allowed by {ACAO}. Status code: 200"],
        },
    ),
    (
        "credentials-True",
        {"credentials": "include"},
        ["--credentials"],
        "",
        [],
        [(ACAO, PAGE), (ACAC, "True")],
        {
            "chromium": [
                f"The value of the '{ACAC}' header in the response is 'True' which must be 'true' when the "
                "request's credentials mode is 'include'."
            ],
            "firefox": [f"expected ‘true’ in CORS header ‘{ACAC}’"],
            "webkit": [f'Credentials flag is true, but {ACAC} is not "true".'],
        },
    ),
    (
        "preflight-invalid-value",
        {"method": "PUT"},
        ["--method", "PUT"],
        "204 No Content",
        [(ACAO, "app.example.localhost"), (ACAM, "PUT")],
        [(ACAO, PAGE)],
        {
            "chromium": [f"{PRE}The '{ACAO}' header contains the invalid value 'app.example.localhost'." + VALID],
            "firefox": [f"CORS header ‘{ACAO}’ does not match ‘app.example.localhost’", FF_FAILED],
            "webkit": [f"Origin {PAGE} is not allowed by {ACAO}. Status code: 204"],
        },
    ),
    (
        "preflight-wildcard-with-credentials",
        {"method": "PUT", "credentials": "include"},
        ["--method", "PUT", "--credentials"],
        "204 No Content",
        [(ACAO, "*"), (ACAM, "PUT")],
        [(ACAO, PAGE), (ACAC, "true")],
        {
            "chromium": [
                f"{PRE}The value of the '{ACAO}' header in the response must not be the wildcard '*' when the "
                "request's credentials mode is 'include'."
            ],
            "firefox": [f"Credential is not supported if the CORS header ‘{ACAO}’ is ‘*’", FF_FAILED],
            "webkit": [f"Cannot use wildcard in {ACAO} when credentials flag is true."],
        },
    ),
    (
        "preflight-without-credentials",
        {"method": "PUT", "credentials": "include"},
        ["--method", "PUT", "--credentials"],
        "204 No Content",
        [(ACAO, PAGE), (ACAM, "PUT")],
        [(ACAO, PAGE), (ACAC, "true")],
        {
            "chromium": [
                f"{PRE}The value of the '{ACAC}' header in the response is '' which must be 'true' when the "
                "request's credentials mode is 'include'."
            ],
            "firefox": [f"expected ‘true’ in CORS header ‘{ACAC}’", FF_FAILED],
            "webkit": [f'Credentials flag is true, but {ACAC} is not "true".'],
        },
    ),
    (
        "preflight-redirected",
        {"method": "PUT"},
        ["--method", "PUT"],
        "308 Permanent Redirect",
        [(ACAO, PAGE), (ACAM, "PUT"), ("Location", "/items/")],
        [(ACAO, PAGE)],
        {
            "chromium": [f"{PRE}Redirect is not allowed for a preflight request."],
            "firefox": [
                "CORS request external redirect not allowed",
                "CORS preflight response did not succeed",
                FF_FAILED,
            ],
            "webkit": ["Preflight response is not successful. Status code: 308"],
        },
    ),
    (
        "preflight-not-ok",
        {"method": "PUT"},
        ["--method", "PUT"],
        "401 Unauthorized",
        [(ACAO, PAGE), (ACAM, "PUT")],
        [(ACAO, PAGE)],
        {
            "chromium": [f"{PRE}It does not have HTTP ok status."],
            "firefox": ["CORS preflight response did not succeed", FF_FAILED],
            "webkit": ["Preflight response is not successful. Status code: 401"],
        },
    ),
    (
        "methods-unparsable",
        {"method": "PUT"},
        ["--method", "PUT"],
        "204 No Content",
        [(ACAO, PAGE), (ACAM, "PUT;x")],
        [(ACAO, PAGE)],
        {
            "chromium": [f"Cannot parse {ACAM} response header field in preflight response."],
            "firefox": [f"invalid token ‘PUT;x’ in CORS header ‘{ACAM}’", FF_FAILED],
            "webkit": [f"Header {ACAM} has an invalid value: PUT;x"],
        },
    ),
    (
        "headers-unparsable",
        {"headers": {"X-Token": "1"}},
        ["--header", "X-Token:1"],
        "204 No Content",
        [(ACAO, PAGE), (ACAH, "x-token;")],
        [(ACAO, PAGE)],
        {
            "chromium": [f"Cannot parse {ACAH} response header field in preflight response."],
            "firefox": [f"invalid token ‘x-token;’ in CORS header ‘{ACAH}’", FF_FAILED],
            "webkit": [f"Header {ACAH} has an invalid value: x-token;"],
        },
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
        {
            "chromium": [f"Method PUT is not allowed by {ACAM} in preflight response."],
            "firefox": [f"Did not find method in CORS header ‘{ACAM}’", FF_FAILED],
            "webkit": [f"Method PUT is not allowed by {ACAM}."],
        },
    ),
    (
        # The Fetch standard says '*' never covers Authorization; all three engines still let it.
        "headers-wildcard-covers-authorization",
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
        {
            "chromium": [f"Request header field x-token is not allowed by {ACAH} in preflight response."],
            "firefox": [
                f"header ‘x-token’ is not allowed according to header ‘{ACAH}’ from CORS preflight response",
                FF_FAILED,
            ],
            "webkit": [f"Request header field X-Token is not allowed by {ACAH}."],  # as the script wrote it
        },
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
def test_each_engine_words_the_reason_and_the_check_command_agrees(
    api: Any,
    shared_page: Any,
    checker: Any,
    case: str,
    init: dict[str, Any],
    check_args: list[str],
    preflight_status: str,
    preflight: Headers,
    actual: Headers,
    reason: dict[str, list[str]] | None,
) -> None:
    api.app = hand_written(preflight_status, preflight, actual)
    url = f"{API}/items/{case}"  # a URL of its own: no preflight cached by another case
    fetched = shared_page.fetch(url, init)
    preflighted = bool(preflight_status)
    if reason is None:
        assert (fetched.outcome, fetched.status, fetched.body) == ("ok", 200, "the answer")
    else:
        assert fetched.cors_reasons == reason[fetched.engine]
    sent = [method for method, _ in api.requests()]
    assert sent[0] == ("OPTIONS" if preflighted else "GET")
    checker.agrees(fetched, url, PAGE, *check_args)
