"""``allow_origin_regex`` given as a list: an origin matching any of them is allowed; each is checked alone."""

from __future__ import annotations

import re

import pytest
from support import client, preflight

from cors_wsgi import CORSConfigError, CORSPolicy

REGEXES = [r"https://[a-z0-9-]+\.example\.com", re.compile(r"https://pr-[0-9]+\.preview\.example\.org")]


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://shop.example.com", True),
        ("https://pr-42.preview.example.org", True),
        ("https://example.com", False),
        ("https://pr-x.preview.example.org", False),
        ("https://shop.example.com.evil.net", False),
    ],
)
def test_an_origin_matching_any_regex_is_allowed_on_the_wire(origin: str, allowed: bool) -> None:
    test_app, _ = client(allow_origin_regex=REGEXES, allow_credentials=True)
    response = test_app.get("/", headers={"Origin": origin})
    answered = preflight(test_app, origin=origin)
    if allowed:
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
        assert (answered.status_int, answered.headers["Access-Control-Allow-Origin"]) == (204, origin)
    else:
        assert "Access-Control-Allow-Origin" not in response.headers
        assert answered.status_int == 403


def test_the_policy_keeps_the_list_compiled() -> None:
    policy = CORSPolicy(allow_origin_regex=REGEXES)
    assert isinstance(policy.allow_origin_regex, tuple)
    assert [regex.pattern for regex in policy.allow_origin_regex] == [
        r"https://[a-z0-9-]+\.example\.com",
        r"https://pr-[0-9]+\.preview\.example\.org",
    ]
    single = CORSPolicy(allow_origin_regex=REGEXES[0])
    assert isinstance(single.allow_origin_regex, re.Pattern)


def test_every_regex_of_the_list_is_checked_and_named_by_its_position() -> None:
    with pytest.raises(CORSConfigError) as caught:
        CORSPolicy(
            allow_origin_regex=[r"https://ok\.example\.com", "https://(", r"https://.*example\.com", 42],
            allow_credentials=True,
        )
    problems = caught.value.problems
    assert len(problems) == 3
    assert problems[0].startswith("allow_origin_regex[1] 'https://(': not a valid regular expression")
    assert problems[1].startswith("allow_origin_regex[3]: expected a str or a compiled pattern, not int")
    assert problems[2].startswith("allow_origin_regex[2] 'https://.*example\\\\.com': with allow_credentials=True")
    assert "'https://evilexample.com'" in problems[2]


def test_an_empty_list_allows_no_origin_and_brings_no_star_default() -> None:
    test_app, _ = client(allow_origin_regex=[])
    assert "Access-Control-Allow-Origin" not in test_app.get("/", headers={"Origin": "https://a.example"}).headers


def test_a_mapping_is_not_a_list_of_regexes() -> None:
    with pytest.raises(CORSConfigError, match="expected a str, a compiled pattern or a list of them, not dict"):
        CORSPolicy(allow_origin_regex={"https://a.example": True})
