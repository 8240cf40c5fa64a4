"""Per-path policies: grammar, most-specific-wins priority, exact PATH_INFO, uncovered paths."""

from __future__ import annotations

import re

import pytest
from support import client, preflight

from cors_wsgi import CORSConfigError, CORSPolicy

RESOURCES = {
    "/api/*": {"allow_origins": ["https://api-client.example"]},
    "/api/v1/*": {"allow_origins": ["https://v1-client.example"]},
    "/api/v1/admin": {"allow_origins": ["https://admin.example"]},
    re.compile(r"/api/v1/reports/[0-9]+"): {"allow_origins": ["https://reports.example"]},
    "/public/*": {"allow_origins": "*"},
}


def who_is_allowed(path: str, origins: list[str]) -> list[str]:
    test_app, _ = client(resources=RESOURCES, allow_credentials=False)
    return [
        origin
        for origin in origins
        if test_app.get(path, headers={"Origin": origin}, expect_errors=True).headers.get("Access-Control-Allow-Origin")
        in (origin, "*")
    ]


ALL = [
    "https://api-client.example",
    "https://v1-client.example",
    "https://admin.example",
    "https://reports.example",
    "https://stranger.example",
]


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/", ["https://api-client.example"]),
        ("/api/items", ["https://api-client.example"]),
        ("/api/v1/", ["https://v1-client.example"]),
        ("/api/v1/items/3", ["https://v1-client.example"]),
        ("/api/v1/admin", ["https://admin.example"]),  # exact beats subtrees
        ("/api/v1/admin/users", ["https://v1-client.example"]),  # exact means exact
        ("/api/v1/reports/42", ["https://reports.example"]),  # regex beats subtrees
        ("/api/v1/reports/42x", ["https://v1-client.example"]),  # regex must match the whole path
        ("/public/logo.png", ALL),
        ("/api", []),  # '/api/*' covers /api/ and below, not /api
        ("/apiary", []),  # and never /apiary
        ("/API/items", []),  # case-sensitive (flask-cors CVE-2024-6866)
        ("/elsewhere", []),
    ],
)
def test_most_specific_pattern_wins(path: str, allowed: list[str]) -> None:
    assert who_is_allowed(path, ALL) == allowed


def test_priority_does_not_depend_on_pattern_length_or_order() -> None:
    # flask-cors CVE-2024-6839 sorted patterns by string length, so a looser pattern could win.
    long_loose = "/" + "a" * 40 + "/*"
    resources_forward = {
        "/a/*": {"allow_origins": ["https://loose.example"]},
        "/a/b/*": {"allow_origins": ["https://strict.example"]},
        long_loose: {"allow_origins": ["https://other.example"]},
    }
    resources_backward = dict(reversed(list(resources_forward.items())))
    for resources in (resources_forward, resources_backward):
        test_app, _ = client(resources=resources)
        response = test_app.get("/a/b/c", headers={"Origin": "https://strict.example"})
        assert response.headers["Access-Control-Allow-Origin"] == "https://strict.example"


def test_regexes_keep_the_order_they_were_given() -> None:
    resources = {
        re.compile(r"/r/special"): {"allow_origins": ["https://first.example"]},
        re.compile(r"/r/.*"): {"allow_origins": ["https://second.example"]},
    }
    test_app, _ = client(resources=resources)
    assert test_app.get("/r/special", headers={"Origin": "https://first.example"}).headers.get(
        "Access-Control-Allow-Origin"
    )


def test_plus_and_percent_escapes_in_the_path_are_not_decoded() -> None:
    # flask-cors CVE-2024-6844 turned '+' into a space, so '/api+x' could pick another policy.
    test_app, _ = client(
        resources={
            "/a b/*": {"allow_origins": ["https://space.example"]},
            "/a+b/*": {"allow_origins": ["https://plus.example"]},
        }
    )
    response = test_app.get("/a+b/x", headers={"Origin": "https://plus.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://plus.example"
    response = test_app.get("/a+b/x", headers={"Origin": "https://space.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_uncovered_paths_get_no_cors_handling_and_their_preflights_reach_the_app() -> None:
    test_app, app = client(resources={"/api/*": {"allow_origins": ["https://a.example"]}})
    response = preflight(test_app, path="/other", origin="https://a.example")
    assert len(app.calls) == 1
    assert response.body == b"hello"
    assert "Vary" not in response.headers
    assert "Vary" not in test_app.get("/other", headers={"Origin": "https://a.example"}).headers


def test_covered_path_preflight_is_answered_without_the_app() -> None:
    test_app, app = client(resources={"/api/*": {"allow_origins": ["https://a.example"]}})
    assert preflight(test_app, path="/api/x", origin="https://a.example").status_int == 204
    assert app.calls == []


def test_top_level_options_are_defaults_for_resource_options() -> None:
    test_app, _ = client(
        resources={"/api/*": {"allow_origins": ["https://a.example"]}, "/open/*": {"allow_credentials": False}},
        allow_credentials=True,
        max_age=120,
        allow_origins=["https://default.example"],
    )
    response = preflight(test_app, path="/api/x", origin="https://a.example")
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Access-Control-Max-Age"] == "120"
    response = preflight(test_app, path="/open/x", origin="https://default.example")
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_resource_may_be_a_prebuilt_policy() -> None:
    shared = CORSPolicy(allow_origins=["https://shared.example"])
    test_app, _ = client(resources={"/a/*": shared, "/b/*": shared})
    response = test_app.get("/b/1", headers={"Origin": "https://shared.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://shared.example"


def test_catch_all_pattern_covers_everything_including_the_empty_path() -> None:
    test_app, _ = client(resources={"/*": {"allow_origins": ["https://a.example"]}})
    assert test_app.get("/", headers={"Origin": "https://a.example"}).headers["Access-Control-Allow-Origin"]
    middleware = test_app.app
    assert middleware.policy.compiled_for_path("") is not None


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("api/*", "a path pattern starts with '/' — did you mean '/api/*'?"),
        ("/api*", "'*' is only meaningful as the last segment — did you mean '/api/*'?"),
        ("/api/*/items", "'*' is only meaningful as the last segment"),
        (r"/api/v\d+", "for a regular expression pass re.compile("),
        ("/api/.*", "for a regular expression pass re.compile("),
        (42, "a path pattern is a str or a compiled regular expression, not int"),
        (re.compile(rb"/x"), "compiled from a str, not bytes"),
    ],
)
def test_bad_path_patterns(pattern: object, message: str) -> None:
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(resources={pattern: {}})  # type: ignore[dict-item]
    assert message in str(info.value)


def test_problems_inside_resources_name_the_resource() -> None:
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(
            resources={
                "/a/*": {"allow_origins": ["https://a.example/"], "max_agee": 5},
                "/b/*": {"allow_origins": ["*"], "allow_credentials": True, "debug": True},
                "/c/*": "nope",
            }
        )
    assert info.value.problems == (
        "resources['/a/*']: unknown option 'max_agee' — did you mean 'max_age'?",
        "resources['/b/*'].debug: 'debug' applies to the whole middleware; set it at top level",
        "resources['/b/*'].allow_origins[0] '*': '*' cannot be combined with allow_credentials=True: it would let "
        "every web site read responses with your users' cookies — list the trusted origins explicitly, or use "
        "allow_origin_regex / allow_origin_func",
        "resources['/c/*']: expected an options dict or a CORSPolicy, not str",
    )


def test_nested_resources_are_refused() -> None:
    inner = CORSPolicy(resources={"/x": {}})
    with pytest.raises(CORSConfigError, match="cannot be nested"):
        CORSPolicy(resources={"/a/*": inner})


def test_a_resource_with_its_own_origin_rule_does_not_inherit_the_top_level_origins() -> None:
    # Origins are one unit: a regex in a resource replaces the top-level allow_origins="*".
    test_app, _ = client(
        allow_origins="*",
        resources={"/api/*": {"allow_origin_regex": r"https://[a-z]+\.example\.com"}, "/open/*": {}},
    )
    api_stranger = test_app.get("/api/x", headers={"Origin": "https://stranger.example"})
    assert "Access-Control-Allow-Origin" not in api_stranger.headers
    api_member = test_app.get("/api/x", headers={"Origin": "https://app.example.com"})
    assert api_member.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert (
        test_app.get("/open/x", headers={"Origin": "https://stranger.example"}).headers["Access-Control-Allow-Origin"]
        == "*"
    )
