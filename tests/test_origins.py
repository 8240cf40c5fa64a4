"""Which origins a policy allows: exact, normalized spellings, patterns, regex, look-alike hosts."""

from __future__ import annotations

import re
from typing import ClassVar

import pytest
from support import client


def allow_origin(options: dict[str, object], origin: str) -> str | None:
    """The Access-Control-Allow-Origin a GET from ``origin`` gets under ``options``."""
    test_app, _ = client(**options)
    return test_app.get("/", headers={"Origin": origin}).headers.get("Access-Control-Allow-Origin")


@pytest.mark.parametrize(
    "configured",
    [
        "https://app.example.com",
        "HTTPS://App.Example.COM",
        "https://app.example.com:443",
        "https://app.example.com/",
        "https://app.example.com:443/",
    ],
)
def test_unambiguous_spellings_are_normalized_to_the_browser_serialization(configured: str) -> None:
    assert allow_origin({"allow_origins": [configured]}, "https://app.example.com") == "https://app.example.com"


def test_non_default_port_is_part_of_the_origin() -> None:
    options = {"allow_origins": ["http://localhost:3000"]}
    assert allow_origin(options, "http://localhost:3000") == "http://localhost:3000"
    assert allow_origin(options, "http://localhost:3001") is None
    assert allow_origin(options, "http://localhost") is None
    assert allow_origin(options, "https://localhost:3000") is None


def test_internationalized_host_is_matched_in_its_punycode_serialization() -> None:
    options = {"allow_origins": ["https://bücher.example"]}
    assert allow_origin(options, "https://xn--bcher-kva.example") == "https://xn--bcher-kva.example"


def test_non_browser_spellings_of_the_request_origin_are_not_matched() -> None:
    options = {"allow_origins": ["https://app.example.com"]}
    # The browser's CORS check compares byte for byte: echoing these would fail anyway.
    for spelling in ["https://APP.example.com", "https://app.example.com/", "https://app.example.com:443"]:
        assert allow_origin(options, spelling) is None


class TestSubdomainPatterns:
    options: ClassVar[dict[str, object]] = {"allow_origins": ["https://*.example.com"]}

    @pytest.mark.parametrize("origin", ["https://a.example.com", "https://a.b.example.com", "https://x-1.example.com"])
    def test_one_or_more_labels(self, origin: str) -> None:
        assert allow_origin(self.options, origin) == origin

    @pytest.mark.parametrize(
        "origin",
        [
            "https://example.com",  # never the apex
            "http://a.example.com",  # same scheme only
            "https://a.example.com:8443",  # default port only
            "https://a.example.com.evil.net",  # a longer host
            "https://evil.net/.example.com",  # a path that looks like the suffix
            "https://aexample.com",  # no label boundary
            "https://attackerexample.com",  # wsgicors's fnmatch bug
            "https://a.example.com@evil.net",
            "https://.example.com",
            "https://a.example.co",
        ],
    )
    def test_never_a_foreign_host(self, origin: str) -> None:
        assert allow_origin(self.options, origin) is None

    def test_with_an_explicit_port_or_any_port(self) -> None:
        assert allow_origin({"allow_origins": ["https://*.example.com:8443"]}, "https://a.example.com:8443")
        assert allow_origin({"allow_origins": ["https://*.example.com:8443"]}, "https://a.example.com") is None
        assert allow_origin({"allow_origins": ["https://*.example.com:*"]}, "https://a.example.com:9")
        assert allow_origin({"allow_origins": ["https://*.example.com:*"]}, "https://a.example.com")

    def test_localhost_subdomains_are_allowed_as_a_development_convenience(self) -> None:
        assert allow_origin({"allow_origins": ["http://*.localhost:*"]}, "http://app.localhost:5173")


class TestAnyPortPatterns:
    options: ClassVar[dict[str, object]] = {"allow_origins": ["http://localhost:*"]}

    @pytest.mark.parametrize("origin", ["http://localhost", "http://localhost:3000", "http://localhost:65535"])
    def test_any_port_including_the_implicit_one(self, origin: str) -> None:
        assert allow_origin(self.options, origin) == origin

    @pytest.mark.parametrize(
        "origin",
        [
            "https://localhost:3000",
            "http://localhost.evil.net:3000",
            "http://a.localhost:3000",
            "http://localhost:99999",
            "http://localhost:080",
            "http://localhost:80",  # never serialized with its default port by a browser
        ],
    )
    def test_same_host_and_scheme_only(self, origin: str) -> None:
        assert allow_origin(self.options, origin) is None


def test_shared_suffixes_between_exact_origins_never_combine() -> None:
    # jub0bs/cors GHSA-vhxv-fg4m-p2w8: https://foo.com + https://bar.com accepted https://barfoo.com.
    options = {"allow_origins": ["https://foo.com", "https://bar.com", "https://*.baz.com"]}
    for origin in ["https://barfoo.com", "https://foobar.com", "https://foo.combar.com", "https://bar.baz.com.foo.com"]:
        assert allow_origin(options, origin) is None
    assert allow_origin(options, "https://bar.baz.com") == "https://bar.baz.com"


class TestRegex:
    def test_regex_must_match_the_whole_origin(self) -> None:
        # flask-cors and django-cors-headers used re.match: this accepted a.example.com.evil.net.
        options = {"allow_origin_regex": r"https://.*\.example\.com", "allow_credentials": True}
        assert allow_origin(options, "https://a.example.com") == "https://a.example.com"
        assert allow_origin(options, "https://a.example.com.evil.net") is None
        assert allow_origin(options, "https://evil.net?.example.com") is None

    def test_compiled_regex_is_accepted_and_fully_matched(self) -> None:
        options = {"allow_origin_regex": re.compile(r"https://[a-z]+\.example\.org")}
        assert allow_origin(options, "https://abc.example.org") == "https://abc.example.org"
        assert allow_origin(options, "https://abc.example.org.evil") is None

    def test_regex_with_listed_origins(self) -> None:
        options = {"allow_origins": ["https://app.example.com"], "allow_origin_regex": r"https://pr-\d+\.preview\.dev"}
        assert allow_origin(options, "https://app.example.com")
        assert allow_origin(options, "https://pr-42.preview.dev")
        assert allow_origin(options, "https://other.example") is None


def test_default_with_regex_or_function_is_no_listed_origins() -> None:
    options = {"allow_origin_regex": r"https://only\.example"}
    assert allow_origin(options, "https://other.example") is None
    assert allow_origin({"allow_origin_func": lambda origin: False}, "https://other.example") is None


def test_default_policy_is_public_star() -> None:
    assert allow_origin({}, "https://anyone.example") == "*"
    assert allow_origin({}, "null") == "*"


def test_ten_thousand_exact_origins() -> None:
    origins = [f"https://app{i}.example.com" for i in range(10_000)]
    test_app, _ = client(allow_origins=origins, allow_credentials=True)
    for origin in (origins[0], origins[5_000], origins[-1]):
        assert test_app.get("/", headers={"Origin": origin}).headers["Access-Control-Allow-Origin"] == origin
    assert "Access-Control-Allow-Origin" not in test_app.get("/", headers={"Origin": "https://app10000.example.com"})
