"""``allow_headers`` may hold compiled patterns: a requested name matching one (whole, any case) is allowed."""

from __future__ import annotations

import re

import pytest
from support import client, preflight

from cors_wsgi import CORSConfigError, CORSPolicy

OPTIONS = {
    "allow_origins": ["https://app.example.com"],
    "allow_headers": ["X-Token", re.compile(r"X-Company-[A-Za-z]+")],
}


@pytest.mark.parametrize(
    ("requested", "status", "allow_headers"),
    [
        ("x-company-id", 204, "X-Token, x-company-id"),
        ("X-COMPANY-ID,x-token", 204, "X-Token, x-company-id"),
        ("content-type,x-company-tenant", 204, "X-Token, content-type, x-company-tenant"),
        ("x-company-", 403, None),  # the pattern must match the whole name
        ("x-company-id-extra-1", 403, None),
        ("x-other", 403, None),
    ],
)
def test_a_requested_name_matching_a_pattern_is_allowed_on_the_wire(
    requested: str, status: int, allow_headers: str | None
) -> None:
    test_app, app = client(**OPTIONS)
    answer = preflight(test_app, headers=requested)
    assert answer.status_int == status
    assert answer.headers.get("Access-Control-Allow-Headers") == allow_headers
    assert app.calls == []


def test_a_refusal_names_the_patterns_in_debug() -> None:
    test_app, _ = client(**OPTIONS, debug=True)
    answer = preflight(test_app, headers="x-other")
    assert answer.text == (
        "CORS preflight refused: request header 'x-other' is not allowed (allowed: X-Token, re 'X-Company-[A-Za-z]+')\n"
    )


def test_a_star_inside_a_name_is_refused_with_the_pattern_spelling() -> None:
    with pytest.raises(CORSConfigError) as caught:
        CORSPolicy(allow_headers=["X-Company-*", "X-Token"])
    (problem,) = caught.value.problems
    assert problem.startswith("allow_headers[0] 'X-Company-*': '*' inside a name is not a wildcard")
    assert "re.compile('X-Company-.*')" in problem


def test_a_pattern_that_can_backtrack_for_seconds_is_refused() -> None:
    with pytest.raises(CORSConfigError, match=r"allow_headers\[0\] '\(x\+\)\+': nested quantifier"):
        CORSPolicy(allow_headers=[re.compile(r"(x+)+")])


def test_the_policy_lists_names_then_patterns() -> None:
    policy = CORSPolicy(**OPTIONS)
    names, pattern = policy.allow_headers[:1], policy.allow_headers[1]  # type: ignore[index]
    assert names == ("X-Token",)
    assert isinstance(pattern, re.Pattern)
    assert pattern.pattern == "X-Company-[A-Za-z]+"
    assert pattern.flags & re.IGNORECASE
