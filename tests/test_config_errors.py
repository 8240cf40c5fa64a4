"""Bad configuration: one CORSConfigError at construction, listing every problem with a hint."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cors_wsgi import CORSConfigError, CORSMiddleware, CORSPolicy


def problems(**options: object) -> list[str]:
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(**options)  # type: ignore[arg-type]
    return list(info.value.problems)


def test_error_is_a_value_error_listing_every_problem() -> None:
    with pytest.raises(ValueError, match=r"invalid CORS configuration \(3 problems\)") as info:
        CORSPolicy(allow_origins=["https://example.com/app", "example.com"], max_age=-1)
    message = str(info.value)
    assert "  - allow_origins[0] 'https://example.com/app': an origin has no path" in message
    assert "  - allow_origins[1] 'example.com': an origin needs a scheme" in message
    assert "  - max_age -1: must be between 0 and 86400 seconds" in message


@pytest.mark.parametrize(
    ("origin", "message"),
    [
        (
            "https://example.com/app",
            "allow_origins[0] 'https://example.com/app': an origin has no path — did you mean 'https://example.com'?",
        ),
        ("https://example.com?x=1", "an origin has no query — did you mean 'https://example.com'?"),
        ("https://example.com#top", "an origin has no fragment — did you mean 'https://example.com'?"),
        ("https://user:pw@example.com", "an origin has no user information — did you mean 'https://example.com'?"),
        ("example.com", "an origin needs a scheme — did you mean 'https://example.com'?"),
        ("localhost:3000", "an origin needs a scheme — did you mean 'http://localhost:3000'?"),
        ("https://*example.com", "'*' is only meaningful as a whole leading label"),
        ("https://foo.*.com", "'*' is only meaningful as a whole leading label"),
        ("https://example.*", "'*' is only meaningful as a whole leading label"),
        ("https://*.com", "would accept every site under a top-level domain"),
        ("https://*.1.2.3.4", "an IP address has no subdomains"),
        ("https://example.com:99999", "'99999' is not a port"),
        ("https://example.com:", "'' is not a port"),
        (" https://example.com", "did you mean 'https://example.com'?"),
        ("NULL", "did you mean 'null'?"),
        ("", "an origin cannot be empty"),
        ("https://exa mple.com", "white space"),
        ("https://", "an origin needs a host"),
        ("https://exa_mple..com", "not a valid host name"),
    ],
)
def test_bad_origins_are_named_with_a_hint(origin: str, message: str) -> None:
    found = problems(allow_origins=[origin])
    assert len(found) == 1
    assert message in found[0]
    assert repr(origin) in found[0]


def test_non_string_origin() -> None:
    assert problems(allow_origins=["https://a.example", 42]) == [
        "allow_origins[1] 42: an origin must be a string, not int"
    ]


def test_a_single_string_is_one_origin_or_a_comma_separated_list() -> None:
    assert CORSPolicy(allow_origins="https://a.example").allow_origins == ("https://a.example",)
    assert CORSPolicy(allow_origins="https://a.example, https://b.example").allow_origins == (
        "https://a.example",
        "https://b.example",
    )


def test_wildcard_with_credentials_is_refused_with_the_safe_alternative() -> None:
    (message,) = problems(allow_origins=["*"], allow_credentials=True)
    assert message.startswith("allow_origins[0] '*': '*' cannot be combined with allow_credentials=True")
    assert "list the trusted origins explicitly" in message


def test_default_wildcard_with_credentials_is_refused_and_says_it_is_the_default() -> None:
    (message,) = problems(allow_credentials=True)
    assert message.startswith("allow_origins (default '*'): '*' cannot be combined with allow_credentials=True")


def test_null_with_credentials_is_refused() -> None:
    (message,) = problems(allow_origins=["null"], allow_credentials=True)
    assert "'null' cannot be combined with allow_credentials=True" in message


def test_star_expose_headers_with_credentials_is_refused() -> None:
    (message,) = problems(allow_origins=["https://a.example"], allow_credentials=True, expose_headers="*")
    assert message.startswith("expose_headers '*': '*' is not a wildcard for credentialed requests")


@pytest.mark.parametrize("method", ["CONNECT", "TRACE", "TRACK", "trace"])
def test_forbidden_methods(method: str) -> None:
    assert problems(allow_methods=["GET", method]) == [
        f"allow_methods[1] {method!r}: browsers forbid this method (fetch() throws); remove it"
    ]


def test_invalid_method_token_and_lowercase_patch() -> None:
    found = problems(allow_methods=["GE T", "patch", "", "P,UT"])
    assert found[0].startswith("allow_methods[0] 'GE T': not a valid method name")
    assert any(p.startswith("allow_methods[1] 'patch'") and "did you mean 'PATCH'?" in p for p in found)


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("Cookie", "cookies are sent when allow_credentials=True"),
        ("Origin", "the browser sets it itself"),
        ("Access-Control-Request-Method", "the browser sets it itself"),
        ("Host", "forbidden request header"),
        ("Sec-Fetch-Mode", "forbidden request header"),
        ("Proxy-Authorization", "forbidden request header"),
        ("X Token", "not a valid header name"),
        ("X-Token:", "not a valid header name"),
    ],
)
def test_bad_allow_headers(name: str, hint: str) -> None:
    (message,) = problems(allow_headers=["X-Ok", name])
    assert message.startswith(f"allow_headers[1] {name!r}: ")
    assert hint in message


def test_set_cookie_can_never_be_exposed() -> None:
    assert problems(expose_headers=["X-Total", "Set-Cookie"]) == [
        "expose_headers[1] 'Set-Cookie': browsers never expose Set-Cookie; remove it"
    ]


@pytest.mark.parametrize("max_age", [-1, 86401, True, 1.5, "600", timedelta(seconds=1.5), timedelta(days=2)])
def test_bad_max_age(max_age: object) -> None:
    (message,) = problems(max_age=max_age)
    assert message.startswith("max_age")


def test_max_age_as_timedelta() -> None:
    assert CORSPolicy(max_age=timedelta(hours=2)).max_age == 7200


@pytest.mark.parametrize("option", ["allow_credentials", "allow_private_network", "debug"])
def test_flags_must_be_booleans(option: str) -> None:
    assert problems(**{option: "true"}) == [f"{option}: expected True or False, not 'true'"]


def test_bad_regex_and_function() -> None:
    found = problems(allow_origin_regex="https://(", allow_origin_func="not callable")
    assert found[0].startswith("allow_origin_regex 'https://(': not a valid regular expression")
    assert found[1] == "allow_origin_func: expected a callable origin -> bool, not str"


def test_unknown_option_names_are_never_ignored() -> None:
    assert problems(allow_origin=["https://a.example"]) == [
        "CORSPolicy: unknown option 'allow_origin' — did you mean 'allow_origins'?"
    ]
    with pytest.raises(CORSConfigError, match="unknown option 'supports_credential' — did you mean"):
        CORSMiddleware(lambda e, s: [], supports_credential=True)  # type: ignore[call-arg]


def test_wrong_container_types() -> None:
    found = problems(allow_origins=42, allow_methods={"GET": 1}, allow_headers=b"X-A")
    assert found == [
        "allow_origins: expected a str or an iterable of str, not int",
        "allow_methods: expected a str or an iterable of str, not dict",
        "allow_headers: expected a str or an iterable of str, not bytes",
    ]


def test_problems_in_several_options_come_together() -> None:
    found = problems(
        allow_origins=["*", "https://a.example/x"],
        allow_credentials=True,
        allow_methods=["TRACE"],
        allow_headers=["Cookie"],
        expose_headers="*",
        max_age=10**6,
    )
    assert len(found) == 6


class TestMiddlewareConstruction:
    def test_policy_or_options_not_both(self) -> None:
        with pytest.raises(CORSConfigError, match="give either a CORSPolicy or options, not both"):
            CORSMiddleware(lambda e, s: [], CORSPolicy(), max_age=5)

    def test_app_must_be_callable(self) -> None:
        with pytest.raises(TypeError, match="wraps a WSGI application"):
            CORSMiddleware("app")  # type: ignore[arg-type]

    def test_second_argument_must_be_a_policy(self) -> None:
        with pytest.raises(TypeError, match="pass options as keywords"):
            CORSMiddleware(lambda e, s: [], {"allow_origins": "*"})  # type: ignore[arg-type]


class TestPolicyObject:
    def test_policy_is_immutable(self) -> None:
        policy = CORSPolicy(allow_origins=["https://a.example"])
        with pytest.raises(AttributeError, match="immutable"):
            policy.allow_credentials = True  # type: ignore[misc]
        with pytest.raises(AttributeError):
            del policy.max_age  # type: ignore[misc]

    def test_replace_derives_a_validated_policy(self) -> None:
        policy = CORSPolicy(allow_origins=["https://a.example"], max_age=60)
        derived = policy.replace(allow_credentials=True)
        assert derived.allow_credentials is True
        assert derived.max_age == 60
        assert policy.allow_credentials is False
        with pytest.raises(CORSConfigError):
            CORSPolicy().replace(allow_credentials=True)

    def test_normalized_attributes(self) -> None:
        policy = CORSPolicy(
            allow_origins=["HTTPS://A.example:443/", "https://*.B.example", "http://localhost:*"],
            allow_methods=["get", "PUT", "PUT"],
            allow_headers=["X-Token", "x-token"],
        )
        assert policy.allow_origins == ("https://a.example", "https://*.b.example", "http://localhost:*")
        assert policy.allow_methods == ("GET", "PUT")
        assert policy.allow_headers == ("X-Token",)
        assert repr(policy).startswith("CORSPolicy(allow_origins=")

    def test_one_policy_serves_many_middlewares(self) -> None:
        policy = CORSPolicy(allow_origins=["https://a.example"], debug=True)
        first = CORSMiddleware(lambda e, s: [], policy)
        second = CORSMiddleware(lambda e, s: [], policy)
        first.debug = False
        assert second.debug is True
        assert first.policy is second.policy


@pytest.mark.parametrize(
    "origin", [r"https://.*\.example\.com", r"^https://app\.example\.com$", "https://(a|b).example"]
)
def test_regular_expressions_in_allow_origins_point_to_allow_origin_regex(origin: str) -> None:
    (message,) = problems(allow_origins=[origin])
    assert "looks like a regular expression; pass it as allow_origin_regex (it must match the whole origin)" in message


@pytest.mark.parametrize(
    ("pattern", "stranger"),
    [
        (".*", "https://cors-wsgi-probe.invalid"),
        (".+", "https://cors-wsgi-probe.invalid"),
        (r"https?://.*", "https://cors-wsgi-probe.invalid"),
        (r"http://.*", "http://cors-wsgi-probe.invalid"),
        (r"null|https://app\.example\.com", "null"),
    ],
)
def test_a_regex_that_lets_any_site_in_cannot_carry_credentials(pattern: str, stranger: str) -> None:
    with pytest.raises(CORSConfigError) as caught:
        CORSPolicy(allow_origin_regex=pattern, allow_credentials=True)
    assert caught.value.problems == (
        f"allow_origin_regex {pattern!r}: with allow_credentials=True it lets any web site in (it matches "
        f"{stranger!r}): every site could read responses with your users' cookies — anchor it to your own "
        r"domains, e.g. r'https://([a-z0-9-]+\.)*example\.com'",
    )


@pytest.mark.parametrize("pattern", [r"https://([a-z0-9-]+\.)*example\.com", r"https://app[0-9]+\.example\.com"])
def test_an_anchored_regex_may_carry_credentials(pattern: str) -> None:
    policy = CORSPolicy(allow_origin_regex=pattern, allow_credentials=True)
    assert policy.allow_credentials is True


def test_a_regex_that_lets_any_site_in_is_fine_without_credentials() -> None:
    assert CORSPolicy(allow_origin_regex=".*").allow_origin_regex is not None
