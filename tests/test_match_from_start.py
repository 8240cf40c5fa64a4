"""``MatchFromStart``: a resources key matched from the start of the canonical path (flask-cors's meaning)."""

from __future__ import annotations

import re

import pytest
from support import client

from cors_wsgi import CORSConfigError, CORSPolicy
from cors_wsgi.resources import MatchFromStart

API = "https://api-client.example"
ANY = "https://any.example"
RESOURCES = {
    "/api/v1/exact": {"allow_origins": ["https://exact.example"]},
    MatchFromStart(re.compile(r"/api/v[0-9]+")): {"allow_origins": [API]},
    "/*": {"allow_origins": [ANY]},
}


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/v1", API),
        ("/api/v1/items", API),
        ("/api/v2x", API),  # from the start: any rest is allowed, as re.match
        ("/api/v1/exact", "https://exact.example"),  # an exact path still comes first
        ("//api/v1/items", API),  # on the canonical path
        ("/x/../api/v1/items", API),
        ("/prefix/api/v1", ANY),  # the start of the path, not anywhere in it
        ("/API/v1", ANY),  # case-sensitive
    ],
)
def test_a_match_from_start_key_covers_every_path_it_starts(path: str, allowed: str) -> None:
    test_app, _ = client(resources=RESOURCES)
    origins = [API, ANY, "https://exact.example"]
    got = [
        origin
        for origin in origins
        if test_app.get(path, headers={"Origin": origin}, expect_errors=True).headers.get("Access-Control-Allow-Origin")
        == origin
    ]
    assert got == [allowed]


def test_a_match_from_start_key_is_checked_like_any_regex() -> None:
    with pytest.raises(CORSConfigError) as caught:
        CORSPolicy(resources={MatchFromStart(re.compile(r"/(a+)+b")): {}, MatchFromStart("/api"): {}})  # type: ignore[arg-type]
    first, second = caught.value.problems
    assert "nested quantifier" in first
    assert "MatchFromStart takes a compiled regular expression, not str" in second
