"""The engine's small decision functions shared by the native answers and ``flask_cors_ext.compat``."""

from __future__ import annotations

import re

from cors_wsgi import CORSPolicy
from cors_wsgi.engine import CompiledPolicy, first_value, method_allowed, split_request_headers


def compiled(**options: object) -> CompiledPolicy:
    policy = CORSPolicy(allow_origins=["https://app.example.com"], **options)  # type: ignore[arg-type]
    assert policy.compiled is not None
    return policy.compiled


def test_method_allowed_listed_safelisted_or_any_token() -> None:
    policy = compiled(allow_methods=["PUT"])
    assert method_allowed(policy, "PUT")
    assert method_allowed(policy, "POST")  # safelisted: browsers never ask for it to be listed
    assert not method_allowed(policy, "put")  # compared case-sensitively, as browsers compare
    assert not method_allowed(policy, "DELETE")
    anything = compiled(allow_methods="*")
    assert method_allowed(anything, "PROPFIND")
    assert not method_allowed(anything, "NOT A TOKEN")
    assert not method_allowed(anything, "X" * 65)


def test_first_value_of_a_repeated_header() -> None:
    assert first_value("PUT, DELETE") == "PUT"
    assert first_value("PUT") == "PUT"


def test_split_request_headers() -> None:
    policy = compiled(allow_headers=["X-Token", re.compile(r"x-company-.*")])
    assert split_request_headers(policy, ["x-token", "content-type", "x-company-id", "x-other"]) == (
        ["x-token", "content-type", "x-company-id"],
        ["x-other"],
    )
    assert split_request_headers(policy, ["x-token"]) == (["x-token"], [])
    assert split_request_headers(compiled(allow_headers="*"), ["x-any"]) == (["x-any"], [])
