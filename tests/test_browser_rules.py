"""The browser's side of the protocol (cors_wsgi.browser): each rule of cors-facts §2, with Chromium's words."""

from __future__ import annotations

import pytest

from cors_wsgi.browser import (
    CORSRequest,
    Response,
    check_actual,
    check_preflight,
    judge,
    needs_preflight,
    preflight_request_headers,
    readable_response_headers,
)

APP = "https://app.example.com"
PRE = "Response to preflight request doesn't pass access control check: "
#: Chromium 156 ends the reasons about a wrong Access-Control-Allow-Origin value with this (both steps).
VALID = " Have the server send the header with a valid value."
OK = None


def request(method: str = "GET", *headers: tuple[str, str], credentials: bool = False) -> CORSRequest:
    return CORSRequest(APP, method, tuple(headers), credentials)


# -- the CORS check (preflight and actual) ------------------------------------------------

CORS_CHECK = [
    # (response headers, credentials, reason without the preflight prefix, or None when it passes)
    ([("Access-Control-Allow-Origin", APP)], False, OK),
    ([("access-control-allow-origin", APP)], False, OK),  # names are case-insensitive
    ([("Access-Control-Allow-Origin", "*")], False, OK),
    ([], False, "No 'Access-Control-Allow-Origin' header is present on the requested resource."),
    (
        [("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Origin", APP)],
        False,
        "The 'Access-Control-Allow-Origin' header contains multiple values "
        "'https://app.example.com, https://app.example.com', but only one is allowed." + VALID,
    ),
    (
        [("Access-Control-Allow-Origin", "https://app.example.com, https://b.example.com")],
        False,
        "The 'Access-Control-Allow-Origin' header contains multiple values "
        "'https://app.example.com, https://b.example.com', but only one is allowed." + VALID,
    ),
    (
        [("Access-Control-Allow-Origin", "https://app.example.com/")],
        False,
        "The 'Access-Control-Allow-Origin' header has a value 'https://app.example.com/' "
        "that is not equal to the supplied origin." + VALID,
    ),
    (
        [("Access-Control-Allow-Origin", "HTTPS://app.example.com")],
        False,
        "The 'Access-Control-Allow-Origin' header has a value 'HTTPS://app.example.com' "
        "that is not equal to the supplied origin." + VALID,
    ),
    (
        [("Access-Control-Allow-Origin", "https://app.example.com:443")],
        False,
        "The 'Access-Control-Allow-Origin' header has a value 'https://app.example.com:443' "
        "that is not equal to the supplied origin." + VALID,
    ),
    (
        [("Access-Control-Allow-Origin", "app.example.com")],
        False,
        "The 'Access-Control-Allow-Origin' header contains the invalid value 'app.example.com'." + VALID,
    ),
    (
        [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")],
        True,
        "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' "
        "when the request's credentials mode is 'include'.",
    ),
    ([("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Credentials", "true")], True, OK),
    (
        [("Access-Control-Allow-Origin", APP)],
        True,
        "The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' "
        "when the request's credentials mode is 'include'.",
    ),
    (
        [("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Credentials", "True")],
        True,
        "The value of the 'Access-Control-Allow-Credentials' header in the response is 'True' which must be "
        "'true' when the request's credentials mode is 'include'.",
    ),
    ([("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Credentials", "True")], False, OK),
]


@pytest.mark.parametrize(("headers", "credentials", "reason"), CORS_CHECK)
def test_cors_check_on_a_preflight(headers: list[tuple[str, str]], credentials: bool, reason: str | None) -> None:
    verdict = check_preflight(request("GET", credentials=credentials), Response(204, tuple(headers)))
    if reason is None:
        assert verdict.allowed, verdict
        assert (verdict.step, verdict.reason, verdict.hint) == (None, None, None)
    else:
        assert not verdict.allowed
        assert verdict.step == "preflight"
        assert verdict.reason == PRE + reason
        assert verdict.hint


@pytest.mark.parametrize(("headers", "credentials", "reason"), CORS_CHECK)
def test_cors_check_on_an_actual_response(
    headers: list[tuple[str, str]], credentials: bool, reason: str | None
) -> None:
    verdict = check_actual(request(credentials=credentials), Response(200, tuple(headers)))
    assert verdict.allowed is (reason is None)
    if reason is not None:
        assert verdict.step == "actual"
        assert verdict.reason == reason  # as Chromium 156 prints it: no preflight prefix, no other suffix


def test_a_missing_origin_on_the_actual_response_is_worded_like_chromium_156() -> None:
    verdict = check_actual(request(), Response(200, (("Content-Type", "text/plain"),)))
    assert verdict.reason == "No 'Access-Control-Allow-Origin' header is present on the requested resource."


@pytest.mark.parametrize("status", [200, 404, 500])
def test_any_status_of_the_actual_response_is_readable(status: int) -> None:
    assert check_actual(request(), Response(status, (("Access-Control-Allow-Origin", "*"),))).allowed


# -- the preflight: status, method, headers ---------------------------------------------------

ORIGIN_OK = (("Access-Control-Allow-Origin", APP),)
CREDENTIALED_OK = (("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Credentials", "true"))


@pytest.mark.parametrize(
    ("status", "extra", "reason"),
    [
        (200, (), OK),
        (204, (), OK),
        (299, (), OK),
        (403, (), PRE + "It does not have HTTP ok status."),
        (401, (), PRE + "It does not have HTTP ok status."),
        (500, (), PRE + "It does not have HTTP ok status."),
        (304, (), PRE + "It does not have HTTP ok status."),
        (308, (("Location", "/items/"),), PRE + "Redirect is not allowed for a preflight request."),
        (
            302,
            (("Location", "https://api.example.com/login"),),
            PRE + "Redirect is not allowed for a preflight request.",
        ),
    ],
)
def test_preflight_status_must_be_ok(status: int, extra: tuple[tuple[str, str], ...], reason: str | None) -> None:
    headers = (*ORIGIN_OK, ("Access-Control-Allow-Methods", "PUT"), *extra)
    verdict = check_preflight(request("PUT"), Response(status, headers))
    assert verdict.reason == reason
    assert verdict.allowed is (reason is None)


def test_the_cors_check_comes_before_the_status_check() -> None:
    verdict = check_preflight(request("PUT"), Response(403, (("Content-Type", "text/plain"),)))
    assert verdict.reason == PRE + "No 'Access-Control-Allow-Origin' header is present on the requested resource."


@pytest.mark.parametrize(
    ("method", "allow_methods", "credentials", "reason"),
    [
        ("PUT", "GET, PUT", False, OK),
        ("PUT", "GET,PUT", False, OK),
        (
            "DELETE",
            "GET, PUT",
            False,
            "Method DELETE is not allowed by Access-Control-Allow-Methods in preflight response.",
        ),
        ("DELETE", None, False, "Method DELETE is not allowed by Access-Control-Allow-Methods in preflight response."),
        ("delete", "DELETE", False, OK),  # browsers uppercase DELETE themselves
        (
            "delete",
            "delete",
            False,
            "Method DELETE is not allowed by Access-Control-Allow-Methods in preflight response.",
        ),
        ("patch", "PATCH", False, "Method patch is not allowed by Access-Control-Allow-Methods in preflight response."),
        ("PATCH", "patch", False, "Method PATCH is not allowed by Access-Control-Allow-Methods in preflight response."),
        ("patch", "patch", False, OK),
        ("PATCH", "*", False, OK),
        ("PATCH", "*", True, "Method PATCH is not allowed by Access-Control-Allow-Methods in preflight response."),
        ("POST", None, False, OK),  # safelisted methods need no listing
        ("GET", "PUT", True, OK),
    ],
)
def test_preflight_method(method: str, allow_methods: str | None, credentials: bool, reason: str | None) -> None:
    headers = CREDENTIALED_OK if credentials else ORIGIN_OK
    if allow_methods is not None:
        headers = (*headers, ("Access-Control-Allow-Methods", allow_methods))
    # a custom header so that GET and POST are preflighted too
    verdict = check_preflight(
        request(method, ("X-Token", "1"), credentials=credentials),
        Response(204, (*headers, ("Access-Control-Allow-Headers", "X-Token"))),
    )
    assert verdict.reason == reason
    assert verdict.allowed is (reason is None)


def test_repeated_allow_methods_headers_are_one_list() -> None:
    headers = (*ORIGIN_OK, ("Access-Control-Allow-Methods", "GET"), ("Access-Control-Allow-Methods", "PUT"))
    assert check_preflight(request("PUT"), Response(204, headers)).allowed


def test_a_case_mismatched_method_gets_a_hint_about_case() -> None:
    headers = (*ORIGIN_OK, ("Access-Control-Allow-Methods", "PATCH"))
    verdict = check_preflight(request("patch"), Response(204, headers))
    assert verdict.hint == (
        "add patch to the allowed methods (cors_wsgi: allow_methods=[...]); methods compare case-sensitively: "
        "the page sends 'patch', the server lists 'PATCH'"
    )


@pytest.mark.parametrize(
    ("headers", "allow_headers", "credentials", "reason"),
    [
        ([("X-Token", "1")], "X-Token", False, OK),
        ([("X-Token", "1")], "x-token", False, OK),
        ([("x-token", "1")], "X-TOKEN", False, OK),
        ([("X-Token", "1")], " content-type ,\tx-token ", False, OK),
        (
            [("X-Token", "1")],
            None,
            False,
            "Request header field x-token is not allowed by Access-Control-Allow-Headers in preflight response.",
        ),
        (
            [("X-Token", "1")],
            "X-Other",
            False,
            "Request header field x-token is not allowed by Access-Control-Allow-Headers in preflight response.",
        ),
        (
            [("X-B", "1"), ("X-A", "1")],
            "x-b",
            False,
            "Request header field x-a is not allowed by Access-Control-Allow-Headers in preflight response.",
        ),
        ([("X-Token", "1")], "*", False, OK),
        (
            [("X-Token", "1")],
            "*",
            True,
            "Request header field x-token is not allowed by Access-Control-Allow-Headers in preflight response.",
        ),
        (
            [("Content-Type", "application/json")],
            "X-Token",
            False,
            "Request header field content-type is not allowed by Access-Control-Allow-Headers in preflight response.",
        ),
        ([("Content-Type", "application/json"), ("X-Token", "1")], "content-type, x-token", False, OK),
        ([("Content-Type", "text/plain"), ("X-Token", "1")], "x-token", False, OK),  # safelisted value
        ([("Authorization", "Bearer x")], "*", False, OK),  # Chromium: '*' covers Authorization (noted)
        (
            [("Authorization", "Bearer x")],
            "*",
            True,
            "Request header field authorization is not allowed by Access-Control-Allow-Headers in preflight response.",
        ),
    ],
)
def test_preflight_headers(
    headers: list[tuple[str, str]], allow_headers: str | None, credentials: bool, reason: str | None
) -> None:
    answer = [*(CREDENTIALED_OK if credentials else ORIGIN_OK), ("Access-Control-Allow-Methods", "PUT")]
    if allow_headers is not None:
        answer.append(("Access-Control-Allow-Headers", allow_headers))
    verdict = check_preflight(request("PUT", *headers, credentials=credentials), Response(204, tuple(answer)))
    assert verdict.reason == reason
    assert verdict.allowed is (reason is None)


def test_wildcard_covering_authorization_is_noted() -> None:
    answer = (*ORIGIN_OK, ("Access-Control-Allow-Methods", "PUT"), ("Access-Control-Allow-Headers", "*"))
    verdict = check_preflight(request("PUT", ("Authorization", "Bearer x")), Response(204, answer))
    assert verdict.allowed
    assert verdict.notes == (
        "Access-Control-Allow-Headers '*' covers Authorization in Chromium only; the Fetch standard "
        "(and other browsers) require listing Authorization explicitly",
    )


# -- which requests are preflighted, and what the preflight says ---------------------------


@pytest.mark.parametrize(
    ("method", "headers", "expected"),
    [
        ("GET", [], False),
        ("HEAD", [], False),
        ("POST", [], False),
        ("get", [], False),
        ("post", [], False),
        ("PUT", [], True),
        ("DELETE", [], True),
        ("PATCH", [], True),
        ("OPTIONS", [], True),
        ("GET", [("Accept", "application/json")], False),
        ("GET", [("Accept-Language", "en-US,en;q=0.9")], False),
        ("GET", [("Content-Language", "de")], False),
        ("POST", [("Content-Type", "text/plain")], False),
        ("POST", [("Content-Type", "text/plain; charset=utf-8")], False),
        ("POST", [("Content-Type", "application/x-www-form-urlencoded")], False),
        ("POST", [("Content-Type", "multipart/form-data; boundary=x")], False),
        ("POST", [("Content-Type", "application/json")], True),
        ("POST", [("Content-Type", "text/html")], True),
        ("GET", [("Range", "bytes=0-99")], False),
        ("GET", [("Range", "bytes=0-1,5-9")], True),
        ("GET", [("X-Token", "1")], True),
        ("GET", [("Authorization", "Bearer x")], True),
        ("GET", [("Accept", "a" * 129)], True),
        ("GET", [("Accept-Language", "en(x)")], True),
    ],
)
def test_needs_preflight(method: str, headers: list[tuple[str, str]], expected: bool) -> None:
    assert needs_preflight(method, headers) is expected


def test_the_preflight_announces_headers_lowercased_sorted_unique_without_spaces() -> None:
    asked = request(
        "patch", ("X-Token", "1"), ("Content-Type", "application/json"), ("x-token", "2"), ("Accept", "*/*")
    )
    assert preflight_request_headers(asked) == [
        ("Origin", "https://app.example.com"),
        ("Access-Control-Request-Method", "patch"),
        ("Access-Control-Request-Headers", "content-type,x-token"),
    ]


def test_the_preflight_uppercases_the_methods_browsers_normalize() -> None:
    assert preflight_request_headers(request("delete")) == [
        ("Origin", "https://app.example.com"),
        ("Access-Control-Request-Method", "DELETE"),
    ]


# -- the whole exchange ------------------------------------------------------------------------


def test_judge_stops_at_a_failed_preflight() -> None:
    verdict = judge(request("DELETE"), Response(204, ORIGIN_OK), None)
    assert (verdict.allowed, verdict.step) == (False, "preflight")
    assert verdict.reason == "Method DELETE is not allowed by Access-Control-Allow-Methods in preflight response."


def test_judge_checks_the_actual_response_after_a_passed_preflight() -> None:
    preflight = Response(204, (*ORIGIN_OK, ("Access-Control-Allow-Methods", "PUT")))
    verdict = judge(request("PUT"), preflight, Response(200, ()))
    assert (verdict.allowed, verdict.step) == (False, "actual")
    assert verdict.reason == "No 'Access-Control-Allow-Origin' header is present on the requested resource."
    assert judge(request("PUT"), preflight, Response(200, ORIGIN_OK)).allowed


def test_judge_needs_no_preflight_for_a_simple_request() -> None:
    assert judge(request("GET"), None, Response(200, ORIGIN_OK)).allowed
    with pytest.raises(ValueError, match="preflighted"):
        judge(request("PUT"), None, Response(200, ORIGIN_OK))


@pytest.mark.parametrize(
    ("expose", "credentials", "readable"),
    [
        (None, False, ["content-type"]),
        ("X-Total", False, ["content-type", "x-total"]),
        ("x-total, Set-Cookie", False, ["content-type", "x-total"]),
        (
            "*",
            False,
            ["access-control-allow-origin", "access-control-expose-headers", "content-type", "x-secret", "x-total"],
        ),
        ("*", True, ["content-type"]),
    ],
)
def test_readable_response_headers(expose: str | None, credentials: bool, readable: list[str]) -> None:
    headers = [
        ("Content-Type", "text/plain"),
        ("X-Total", "42"),
        ("X-Secret", "s"),
        ("Set-Cookie", "a=b"),
        ("Access-Control-Allow-Origin", APP),
    ]
    if expose is not None:
        headers.append(("Access-Control-Expose-Headers", expose))
    got = readable_response_headers(request(credentials=credentials), Response(200, tuple(headers)))
    assert got == readable
