"""Preflight requests: classification, allowed answers, refusals, header-list parsing, debug mode."""

from __future__ import annotations

from typing import ClassVar

import pytest
from support import RecordingApp, client, cors_headers, preflight

CREDENTIALED = {"allow_origins": ["https://app.example.com"], "allow_credentials": True}


def test_allowed_preflight_is_answered_by_the_middleware_with_204_and_no_body() -> None:
    test_app, app = client(**CREDENTIALED, allow_headers=["X-Token", "Authorization"], max_age=600)
    response = preflight(test_app, method="PUT", headers="authorization,x-token")
    assert response.status == "204 No Content"
    assert response.body == b""
    assert app.calls == []
    assert cors_headers(response) == {
        "Access-Control-Allow-Origin": "https://app.example.com",
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
        "Access-Control-Allow-Headers": "X-Token, Authorization",
        "Access-Control-Max-Age": "600",
    }
    assert response.headers["Vary"] == "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


def test_public_policy_answers_preflight_with_star_and_echoes_requested_headers() -> None:
    test_app, app = client()
    response = preflight(test_app, origin="https://anyone.example", method="DELETE", headers="authorization,x-token")
    assert response.status_int == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    # '*' in Allow-Headers would not cover Authorization (Fetch standard): the names are echoed.
    assert response.headers["Access-Control-Allow-Headers"] == "authorization, x-token"
    assert response.headers["Vary"] == "Access-Control-Request-Method, Access-Control-Request-Headers"
    assert app.calls == []


@pytest.mark.parametrize(
    ("origin", "method", "headers"),
    [
        ("https://evil.example", "PUT", None),  # origin not allowed
        ("https://app.example.com", "CONNECT", None),  # method not allowed
        ("https://app.example.com", "PUT", "x-token,x-unlisted"),  # one header not allowed
    ],
)
def test_refused_preflight_is_403_without_cors_headers_and_app_not_called(
    origin: str, method: str, headers: str | None
) -> None:
    test_app, app = client(**CREDENTIALED, allow_headers=["X-Token"])
    response = preflight(test_app, origin=origin, method=method, headers=headers)
    assert response.status == "403 Forbidden"
    assert cors_headers(response) == {}
    assert response.body == b""
    assert "Origin" in response.headers["Vary"]
    assert app.calls == []


def test_options_with_origin_but_no_request_method_is_an_actual_request() -> None:
    test_app, app = client(**CREDENTIALED)
    response = test_app.options("/", headers={"Origin": "https://app.example.com"})
    assert len(app.calls) == 1
    assert response.body == b"hello"
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Access-Control-Allow-Methods" not in response.headers


def test_options_without_origin_reaches_the_app() -> None:
    test_app, app = client(**CREDENTIALED)
    test_app.options("/", headers={"Access-Control-Request-Method": "PUT"})
    assert len(app.calls) == 1


def test_methods_compare_case_sensitively_like_browsers() -> None:
    test_app, _ = client(**CREDENTIALED, allow_methods=["PATCH"])
    assert preflight(test_app, method="PATCH").status_int == 204
    # fetch(url, {method: "patch"}) sends "patch", which does not match "PATCH".
    assert preflight(test_app, method="patch").status_int == 403
    # A substring of an allowed method is not a method (flask-cors's "OS" in "POST" bug).
    assert preflight(test_app, method="OS").status_int == 403
    assert preflight(test_app, method="ATC").status_int == 403


def test_lowercase_spelling_of_normalized_methods_in_config_means_the_uppercase_method() -> None:
    test_app, _ = client(**CREDENTIALED, allow_methods=["put", "delete"])
    response = preflight(test_app, method="PUT")
    assert response.status_int == 204
    assert response.headers["Access-Control-Allow-Methods"] == "PUT, DELETE"


def test_safelisted_methods_are_always_accepted_in_a_preflight() -> None:
    test_app, _ = client(**CREDENTIALED, allow_methods=["PUT"])
    response = preflight(test_app, method="POST", headers="x-token")
    assert response.status_int == 204
    assert response.headers["Access-Control-Allow-Methods"] == "PUT"


def test_any_method_echoes_the_requested_method() -> None:
    test_app, _ = client(**CREDENTIALED, allow_methods="*")
    response = preflight(test_app, method="PROPFIND")
    assert response.status_int == 204
    # With credentials a literal '*' would only allow a method named "*": echo instead.
    assert response.headers["Access-Control-Allow-Methods"] == "PROPFIND"
    assert preflight(test_app, method="BAD METHOD").status_int == 403


@pytest.mark.parametrize(
    "spelling",
    [
        "content-type,x-token",
        "X-Token, Content-Type",
        "x-token ,\tcontent-type",
        "x-token,,content-type,",
        ",x-token,x-token,CONTENT-TYPE",
        " x-token , content-type ",
    ],
)
def test_request_headers_are_parsed_leniently(spelling: str) -> None:
    test_app, _ = client(**CREDENTIALED, allow_headers=["X-Token", "Content-Type"])
    response = preflight(test_app, headers=spelling)
    assert response.status_int == 204
    assert response.headers["Access-Control-Allow-Headers"] == "X-Token, Content-Type"


def test_safelisted_request_headers_are_allowed_implicitly() -> None:
    test_app, _ = client(**CREDENTIALED, allow_headers=["X-Token"])
    response = preflight(test_app, method="POST", headers="content-type,x-token")
    assert response.status_int == 204
    assert response.headers["Access-Control-Allow-Headers"] == "X-Token, content-type"


def test_empty_request_headers_value_is_no_headers() -> None:
    test_app, _ = client(**CREDENTIALED, allow_headers=["X-Token"])
    response = preflight(test_app, headers="")
    assert response.status_int == 204


@pytest.mark.parametrize(
    "hostile",
    [
        "," * 8192,
        ",".join(f"x-h{i}" for i in range(4000)),
        "x-token, " * 2000,
        "x-token\r\nSet-Cookie: a=b",
        "x token",
        "x-tok\u00e9n",
        "x-token;q=1",
        "a" * 100_000,
    ],
)
def test_hostile_request_headers_are_refused_without_raising_or_echoing(hostile: str) -> None:
    test_app, app = client()  # allow_headers='*' would echo anything it accepted
    environ_value = hostile.encode("utf-8").decode("latin-1")
    response = test_app.app(  # call the WSGI app directly: WebTest refuses CR/LF in headers
        {
            "REQUEST_METHOD": "OPTIONS",
            "PATH_INFO": "/",
            "HTTP_ORIGIN": "https://app.example.com",
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT",
            "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": environ_value,
        },
        _StartResponse(),
    )
    status, headers = _StartResponse.last
    assert status == "403 Forbidden"
    assert all("\r" not in v and "\n" not in v for _, v in headers)
    assert not [n for n, _ in headers if n.lower().startswith("access-control-")]
    assert list(response) == []
    assert app.calls == []


def test_many_valid_request_headers_up_to_the_bound_are_answered() -> None:
    test_app, _ = client()
    names = ",".join(f"x-h{i:03d}" for i in range(64))
    response = preflight(test_app, headers=names)
    assert response.status_int == 204
    assert response.headers["Access-Control-Allow-Headers"].count(",") == 63
    too_many = ",".join(f"x-h{i:03d}" for i in range(65))
    assert preflight(test_app, headers=too_many).status_int == 403
    assert preflight(test_app, headers="x-a," + " " * 2044).status_int == 204  # 2 KiB in all
    assert preflight(test_app, headers="x-a," + " " * 2045).status_int == 403


class _StartResponse:
    last: tuple[str, list[tuple[str, str]]] = ("", [])

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: object = None) -> object:
        _StartResponse.last = (status, headers)
        return lambda data: None


def test_repeated_headers_count_by_their_first_value() -> None:
    # Servers join a repeated header with commas.
    test_app, _ = client(**CREDENTIALED, allow_methods=["PUT"])
    response = preflight(test_app, origin="https://app.example.com, https://evil.example", method="PUT, TRACE")
    assert response.status_int == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response.headers["Access-Control-Allow-Methods"] == "PUT"


def test_private_network_is_answered_only_when_opted_in_and_asked() -> None:
    ask = {"Access-Control-Request-Private-Network": "true"}
    off, _ = client(**CREDENTIALED)
    assert "Access-Control-Allow-Private-Network" not in preflight(off, **ask).headers
    on, _ = client(**CREDENTIALED, allow_private_network=True)
    asked = preflight(on, **ask)
    assert asked.headers["Access-Control-Allow-Private-Network"] == "true"
    assert "Access-Control-Request-Private-Network" in asked.headers["Vary"]
    assert "Access-Control-Allow-Private-Network" not in preflight(on).headers


@pytest.mark.parametrize(("max_age", "sent"), [(0, "0"), (7200, "7200"), (None, None)])
def test_max_age_header(max_age: int | None, sent: str | None) -> None:
    test_app, _ = client(**CREDENTIALED, max_age=max_age)
    assert preflight(test_app).headers.get("Access-Control-Max-Age") == sent


def test_preflight_never_carries_expose_headers() -> None:
    test_app, _ = client(**CREDENTIALED, expose_headers=["X-Total"])
    assert "Access-Control-Expose-Headers" not in preflight(test_app).headers


class TestDebugMode:
    def test_refused_header_gets_partial_headers_and_a_reason(self) -> None:
        test_app, app = client(**CREDENTIALED, allow_headers=["X-Token"], debug=True)
        response = preflight(test_app, headers="x-token,x-other")
        # 2xx so that the browser goes on to the header check and names 'x-other' in its console.
        assert response.status == "200 OK"
        assert response.content_type == "text/plain"
        assert response.text == "CORS preflight refused: request header 'x-other' is not allowed (allowed: X-Token)\n"
        assert cors_headers(response) == {
            "Access-Control-Allow-Origin": "https://app.example.com",
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
            "Access-Control-Allow-Headers": "X-Token",
        }
        assert app.calls == []

    def test_refused_method_names_the_method(self) -> None:
        test_app, _ = client(**CREDENTIALED, allow_methods=["PUT"], debug=True)
        response = preflight(test_app, method="DELETE")
        assert response.status_int == 200
        assert response.headers["Access-Control-Allow-Methods"] == "PUT"
        assert "method 'DELETE' is not allowed" in response.text

    def test_case_mismatch_gets_a_hint(self) -> None:
        test_app, _ = client(**CREDENTIALED, allow_methods=["PATCH"], debug=True)
        assert "did the script mean 'PATCH'" in preflight(test_app, method="patch").text

    def test_refused_origin_has_no_cors_headers_and_an_escaped_reason(self) -> None:
        test_app, _ = client(**CREDENTIALED, debug=True)
        response = preflight(test_app, origin="https://evil.example")
        assert response.status_int == 403
        assert cors_headers(response) == {}
        assert response.text == "CORS preflight refused: origin 'https://evil.example' is not allowed\n"

    def test_reason_never_carries_raw_control_or_non_ascii_characters(self) -> None:
        middleware_app = client(**CREDENTIALED, debug=True)[0].app
        start = _StartResponse()
        body = b"".join(
            middleware_app(
                {
                    "REQUEST_METHOD": "OPTIONS",
                    "PATH_INFO": "/",
                    "HTTP_ORIGIN": "https://evil.example\r\nX-Injected: 1\u00e9",
                    "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT",
                },
                start,
            )
        )
        assert body == b"CORS preflight refused: origin 'https://evil.example\\r\\nX-Injected: 1\\xe9' is not allowed\n"

    def test_debug_can_be_switched_at_run_time(self) -> None:
        test_app, _ = client(**CREDENTIALED, allow_headers=["X-Token"])
        assert preflight(test_app, headers="x-other").status_int == 403
        test_app.app.debug = True
        assert preflight(test_app, headers="x-other").status_int == 200
        test_app.app.debug = False
        assert preflight(test_app, headers="x-other").text == ""

    @pytest.mark.parametrize("value", ["false", "0", 0, None])
    def test_debug_switched_to_anything_but_a_bool_is_refused_and_stays_off(self, value: object) -> None:
        test_app, _ = client(**CREDENTIALED, allow_headers=["X-Token"])
        with pytest.raises(TypeError, match="debug is True or False"):
            test_app.app.debug = value
        refused = preflight(test_app, headers="x-other")
        assert (refused.status_int, refused.text) == (403, "")

    def test_allowed_preflight_is_unchanged_by_debug(self) -> None:
        quiet, _ = client(**CREDENTIALED)
        loud, _ = client(**CREDENTIALED, debug=True)
        assert preflight(quiet).headerlist == preflight(loud).headerlist


def test_recording_app_is_not_shared_between_clients() -> None:
    first, app_one = client(app=RecordingApp())
    first.get("/")
    assert len(app_one.calls) == 1


class TestRepeatedPreflights:
    """Answers are memoized per policy; that must never be visible except in speed."""

    environ: ClassVar[dict[str, str]] = {
        "REQUEST_METHOD": "OPTIONS",
        "PATH_INFO": "/",
        "HTTP_ORIGIN": "https://tenant.example",
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT",
    }

    def test_origin_function_is_asked_on_every_preflight(self) -> None:
        tenants = {"https://tenant.example"}
        test_app, _ = client(allow_origin_func=tenants.__contains__, allow_credentials=True)
        assert preflight(test_app, origin="https://tenant.example").status_int == 204
        tenants.clear()  # the tenant is removed: refused from the next preflight on
        assert preflight(test_app, origin="https://tenant.example").status_int == 403
        tenants.add("https://tenant.example")
        assert preflight(test_app, origin="https://tenant.example").status_int == 204

    def test_a_server_changing_the_header_list_does_not_change_the_next_answer(self) -> None:
        middleware = client(allow_origins=["https://tenant.example"])[0].app
        seen: list[list[tuple[str, str]]] = []

        def mutating_start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
            seen.append(list(headers))
            headers.append(("Content-Length", "0"))  # as wsgiref does
            headers.clear()

        for _ in range(3):
            middleware(dict(self.environ), mutating_start_response)
        assert seen[0] == seen[1] == seen[2]
        assert ("Access-Control-Allow-Origin", "https://tenant.example") in seen[2]

    def test_memory_stays_bounded_under_a_flood_of_distinct_preflights(self) -> None:
        middleware = client(allow_origins=["https://tenant.example"])[0].app
        for i in range(5000):
            environ = dict(self.environ, HTTP_ACCESS_CONTROL_REQUEST_HEADERS=f"x-h{i}")
            middleware(environ, lambda status, headers, exc_info=None: None)
        assert len(middleware.policy.compiled.preflight_memo) <= 1024

    def test_made_up_origins_are_refused_without_crowding_out_remembered_answers(self) -> None:
        middleware = client(allow_origins=["https://tenant.example"])[0].app
        middleware(dict(self.environ), lambda status, headers, exc_info=None: None)
        for i in range(3000):
            environ = dict(self.environ, HTTP_ORIGIN=f"https://attacker{i}.example")
            middleware(environ, lambda status, headers, exc_info=None: None)
        assert len(middleware.policy.compiled.preflight_memo) == 1
