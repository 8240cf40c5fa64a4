"""User-written regular expressions checked once, at configuration time (cors_wsgi.regex_safety).

Item 5: a credentialed ``allow_origin_regex`` must not accept look-alikes of the origins it
was written for (``https://.*example\\.com`` accepts ``https://evilexample.com``, the wsgicors
bug).  Item 9: no regex (origin or ``resources`` path key) may backtrack super-linearly:
``https://(a+)+\\.example\\.com`` lets one short ``Origin`` header cost seconds.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cors_wsgi import CORSConfigError, CORSPolicy
from cors_wsgi import regex_safety as rs
from tests.support import client, preflight


def problems_of(**options: object) -> tuple[str, ...]:
    with pytest.raises(CORSConfigError) as caught:
        CORSPolicy(**options)  # type: ignore[arg-type]
    return tuple(caught.value.problems)


def allowed(options: dict[str, object], origin: str) -> dict[str, str]:
    """The CORS headers of a GET and of a preflight from ``origin`` (they must agree)."""
    test_app, _ = client(**options)
    got = test_app.get("/", headers={"Origin": origin})
    answer = {k: v for k, v in got.headerlist if k.startswith("Access-Control-Allow-")}
    pre = preflight(test_app, origin=origin, method="PUT")
    pre_answer = {
        k: v for k, v in pre.headerlist if k in ("Access-Control-Allow-Origin", "Access-Control-Allow-Credentials")
    }
    assert pre_answer == answer
    return answer


# -- item 5: look-alike origins ------------------------------------------------------------------

REFUSED = [
    # pattern, the sample it starts from, the look-alike it would have let in
    (r"https://.*\.example\.com.*", "https://a.example.com", "https://a.example.com.evil.test"),
    (r"https://.*example\.com", "https://example.com", "https://evilexample.com"),  # wsgicors
    (r"https://[a-z]*example\.com", "https://example.com", "https://evilexample.com"),
    (r"https://[a-z0-9-]+\.github\.io", "https://a.github.io", "https://evila.github.io"),  # a public suffix
    (r"https://app.example.com", "https://app.example.com", "https://appxexample.com"),  # unescaped dots
    (r"https://app\.example\.[a-z]+", "https://app.example.a", "https://app.example.z"),
    (r"https://app\.example\.com\S*", "https://app.example.com", "https://app.example.com.evil.test"),
    (r"http://localhost.*", "http://localhost", "http://localhost.evil.test"),
    (r"http://localhost(:[0-9]+)?.*", "http://localhost", "http://localhost.evil.test"),
    (r".*app\.example\.com", "https://app.example.com", "http://app.example.com"),  # scheme through '.*'
    (r"https://app\.example\.com[:0-9]*", "https://app.example.com", "https://app.example.com:8443"),
    (r"(?i)https://.*EXAMPLE\.COM", "https://example.com", "https://evilexample.com"),
]


@pytest.mark.parametrize(("pattern", "witness", "lookalike"), REFUSED)
def test_a_credentialed_regex_accepting_a_lookalike_is_refused(pattern: str, witness: str, lookalike: str) -> None:
    found = problems_of(allow_origin_regex=pattern, allow_credentials=True)
    assert len(found) == 1
    message = found[0]
    assert message.startswith(f"allow_origin_regex {pattern!r}: with allow_credentials=True it accepts ")
    assert f"{witness!r} but also {lookalike!r}" in message
    assert "your users' cookies" in message
    # The same options without credentials are valid, and the look-alike really gets in: the refusal is real.
    assert allowed({"allow_origin_regex": pattern}, lookalike)["Access-Control-Allow-Origin"] == lookalike
    assert allowed({"allow_origin_regex": re.compile(pattern)}, witness)["Access-Control-Allow-Origin"] == witness


@pytest.mark.parametrize(
    ("pattern", "hint"),
    [
        (r"https://.*example\.com", r"r'https://([a-z0-9-]+\.)*example\.com'"),
        (r"https://app.example.com", r"write '\.' for a literal dot"),
        (r".*app\.example\.com", "spell the scheme out"),
        (r"https://app\.example\.com[:0-9]*", "'(:[0-9]+)?' for any port on purpose"),
    ],
)
def test_the_lookalike_message_says_how_to_write_it(pattern: str, hint: str) -> None:
    (message,) = problems_of(allow_origin_regex=pattern, allow_credentials=True)
    assert hint in message


ACCEPTED = [
    # pattern, origins it is meant for, look-alikes it must refuse on the wire
    (
        r"https://([a-z0-9-]+\.)*example\.com",
        ["https://example.com", "https://a.b.example.com"],
        ["https://evilexample.com", "https://example.com.evil.test", "http://example.com", "https://example.com:8443"],
    ),
    (
        r"https://[a-z0-9-]+\.example\.com",
        ["https://app.example.com"],
        ["https://example.com", "https://app.example.com.evil.test", "https://appexample.com"],
    ),
    (
        r"https://(app|admin)\.example\.com",
        ["https://app.example.com", "https://admin.example.com"],
        ["https://evilapp.example.com.evil.test", "http://app.example.com"],
    ),
    # A port (or scheme) the regex spells out is deliberate: only the ones it names get in.
    (
        r"https://app\.example\.com(:8443)?",
        ["https://app.example.com", "https://app.example.com:8443"],
        ["https://app.example.com:8444", "http://app.example.com"],
    ),
    (
        r"https?://app\.example\.com",
        ["https://app.example.com", "http://app.example.com"],
        ["https://app.example.com:8443", "https://evilapp.example.com"],
    ),
    (
        r"https://app\.example\.com(:[0-9]+)?",
        ["https://app.example.com", "https://app.example.com:8443"],
        ["https://app.example.com.evil.test", "https://app.example.com0"],
    ),
    # Development origins on loopback: any port is this machine.
    (
        r"http://localhost:[0-9]+",
        ["http://localhost:3000", "http://localhost:8080"],
        ["http://localhost", "http://localhost.evil.test:3000", "https://localhost:3000"],
    ),
    (r"http://127\.0\.0\.1:\d+", ["http://127.0.0.1:5173"], ["http://127.0.0.1.evil.test:5173"]),
    (
        r"https://pr-[0-9]+\.preview\.example\.com",
        ["https://pr-42.preview.example.com"],
        ["https://pr-42.preview.example.com.evil.test", "https://pr-x.preview.example.com"],
    ),
    (
        r"https://.*\.example\.com",  # only subdomains: '.*' cannot leave the host of a serialized origin
        ["https://a.example.com", "https://a.b.example.com"],
        ["https://a.example.com.evil.net", "https://evilexample.com", "http://a.example.com"],
    ),
    (
        r"https://www\.example\.(com|org)",
        ["https://www.example.com", "https://www.example.org"],
        ["https://www.example.net", "https://wwwxexample.com"],
    ),
]


@pytest.mark.parametrize(("pattern", "good", "bad"), ACCEPTED)
def test_an_anchored_credentialed_regex_is_accepted_and_exact_on_the_wire(
    pattern: str, good: list[str], bad: list[str]
) -> None:
    options: dict[str, object] = {"allow_origin_regex": pattern, "allow_credentials": True}
    for origin in good:
        assert allowed(options, origin) == {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
        }
    for origin in bad:
        assert allowed(options, origin) == {}
    assert rs.find_lookalike(re.compile(pattern)) is None


def test_lookalikes_are_only_checked_with_credentials() -> None:
    for pattern, _, lookalike in REFUSED:
        assert CORSPolicy(allow_origin_regex=pattern).allow_origin_regex is not None, lookalike


def test_the_any_site_probe_keeps_its_message() -> None:
    # '.*' is reported as before (it matches a made-up origin), not as a look-alike as well.
    (message,) = problems_of(allow_origin_regex=".*", allow_credentials=True)
    assert "it lets any web site in (it matches 'https://cors-wsgi-probe.invalid')" in message


def test_lookalikes_of_one_origin() -> None:
    kinds = dict(rs.lookalikes("https://a.example.com:8443"))
    assert kinds["suffix"] == "https://a.example.com.evil.test:8443"
    assert kinds["glued"] == "https://evilexample.com:8443"  # never x.a.example.com: that is our own subdomain
    assert kinds["tld"] == "https://a.example.zzz:8443"
    assert kinds["dot"] == "https://a.examplexcom:8443"  # 'axexample.com' is merely another subdomain-free host
    assert kinds["scheme"] == "http://a.example.com:8443"
    assert [o for k, o in rs.lookalikes("https://a.example.com:8443") if k == "port"] == [
        "https://a.example.com:8444",
        "https://a.example.com",
    ]
    assert {k for k, _ in rs.lookalikes("http://app.localhost:3000")} == {"suffix", "glued", "dot"}
    assert {k for k, _ in rs.lookalikes("http://[::1]:3000")} == {"suffix"}
    assert rs.lookalikes("not an origin") == []


def test_messages_carry_no_raw_line_breaks() -> None:
    for pattern in ("https://.*example\\.com|\r\n", "https://(\n+)+\\.x", "https://(\r|\r)+x"):
        for message in problems_of(allow_origin_regex=pattern, allow_credentials=True):
            assert "\r" not in message and "\n" not in message, message


# -- item 9: catastrophic backtracking -------------------------------------------------------------

SLOW = [
    # pattern, construct named in the message, rewrite hint
    (r"https://(a+)+\.example\.com", "nested quantifier 'a+' inside '(a+)+'", "'(a+)+' matches what 'a+' matches"),
    (r"https://([a-z]*)*\.example\.com", "nested quantifier '[a-z]*' inside '([a-z]*)*'", "what '[a-z]*' matches"),
    (r"https://(a{1,2})+\.example\.com", "nested quantifier 'a{1,2}'", "matches what 'a+' matches"),
    (r"https://([a-z]+\.?)+example\.com", r"nested quantifier '[a-z]+' inside '([a-z]+\.?)+'", "end (or start)"),
    (r"https://(\w+-?)*\.example\.com", r"nested quantifier '\w+'", "cannot match"),
    (r"https://(a|a)*\.example\.com", "alternatives 'a|a' inside the repeat '(a|a)*'", "at most one alternative"),
    (r"https://(a|aa)+\.example\.com", "alternatives 'a|aa' inside the repeat '(a|aa)+'", "'(a|aa)+' as 'a+'"),
    (r"https://(ab|a|b)+\.example\.com", "alternatives 'ab|a|b'", "'(ab|a|b)+' as '[ab]+'"),
    (r"https://(x.*y.*)*\.example\.com", "nested quantifier '.*' inside '(x.*y.*)*'", "end (or start)"),
    (r"https://.*.*.*\.example\.com", "3 unbounded repeats in a row (all can match 'a'): '.*', '.*', '.*'", "O(n^3)"),
    (r"https://[a-z.]+[a-z.]+[a-z.]+x", "3 unbounded repeats in a row", "separate them"),
]


@pytest.mark.parametrize(("pattern", "construct", "hint"), SLOW)
@pytest.mark.parametrize("credentials", [False, True])
def test_a_regex_that_can_backtrack_catastrophically_is_refused(
    pattern: str, construct: str, hint: str, credentials: bool
) -> None:
    for given_as in (pattern, re.compile(pattern)):
        (message,) = problems_of(allow_origin_regex=given_as, allow_credentials=credentials)
        assert message.startswith(f"allow_origin_regex {pattern!r}: ")
        assert construct in message
        assert hint in message


@pytest.mark.parametrize(("pattern", "construct", "hint"), SLOW)
def test_a_path_regex_that_can_backtrack_catastrophically_is_refused(pattern: str, construct: str, hint: str) -> None:
    path = re.compile(pattern.replace("https://", "/api/"))
    found = problems_of(resources={path: {"allow_origins": ["https://app.example.com"]}, "/open/*": {}})
    assert len(found) == 1
    assert found[0].startswith(f"resources[{path!r}]: ")
    assert construct in found[0]


FAST = [
    r"https://([a-z0-9-]+\.)*example\.com",
    r"https://[a-z0-9]+(-[a-z0-9]+)*\.example\.com",
    r"https://.*\.example\.com",
    r"https://.*\..*\.com",  # two '.*' with a shared '.': quadratic, about 2 ms at 512 characters, accepted
    r"https://(a|ab)+\.example\.com",  # 'a|ab' parses as 'a(?:|b)': one way to read any text, linear
    r"https://(www\.)?example\.com",
    r"https://(?:a+)?b",
    r"https://(a*+)+b" if hasattr(re, "NOFLAG") else r"https://a+b",  # possessive (3.11+): no backtracking into it
    r"/api/(?:admin|users|groups|reports|settings)(?:/.*)?",
    r"/api/v[0-9]+/.*/items/.*",
    r"/r/.*",
    r"(?P<x>a)(?P=x)+",
    r"(?=a)a+(?!b)",
]


@pytest.mark.parametrize("pattern", FAST)
def test_regexes_without_super_linear_backtracking_are_accepted(pattern: str) -> None:
    assert rs.backtracking_problems(re.compile(pattern)) == ()
    CORSPolicy(allow_origin_regex=pattern, resources={re.compile(pattern): {}})


def test_the_refused_regex_really_is_slow_and_the_accepted_rewrite_is_not() -> None:
    # Not a timing assert on the check: on the regex it refuses.  2**16 paths vs one.
    slow, fast = re.compile(r"https://(a+)+\.example\.com"), re.compile(r"https://a+\.example\.com")
    origin = "https://" + "a" * 16 + ":"
    start = time.perf_counter()
    assert slow.fullmatch(origin) is None
    slow_cost = time.perf_counter() - start
    start = time.perf_counter()
    assert fast.fullmatch(origin) is None
    fast_cost = time.perf_counter() - start
    assert slow_cost > 20 * fast_cost


HOSTILE = [
    "(" * 90 + "a" + ")" * 90,  # deep but within the analysis limit
    "(" * 90 + "a+" + ")+" * 90,
    "(" * 300 + "a" + ")" * 300,  # deeper than the analysis limit
    "|".join(f"https://app{i}\\.example\\.com" for i in range(400)),  # about 10k characters, flat
    "a*" * 5000,
    "(a|b)" * 2500,
    "[a-z]" * 3000 + "x{1,5}" * 500,
    "(?:(?:a|b|c)+d)*" * 600,
    "x" * 10_000 + "(a+)+",
    "(?i)" + "[^\\W\\d]+-" * 1000,
    "a{0,65535}" * 50,
]


@pytest.mark.parametrize("pattern", HOSTILE, ids=lambda p: f"{p[:20]}...{len(p)}")
def test_the_checks_are_bounded_on_hostile_patterns(pattern: str) -> None:
    try:
        regex = re.compile(pattern)
    except (RecursionError, re.error, OverflowError):
        pytest.skip("this Python cannot compile it")
    start = time.perf_counter()
    problems = rs.backtracking_problems.__wrapped__(regex)
    samples = rs.witnesses(regex) if not problems else rs._candidates(regex)
    assert len(samples) <= 32
    assert all(len(s) <= 600 for s in samples)
    assert time.perf_counter() - start < 1.0
    assert isinstance(problems, tuple) and len(problems) <= 2
    for message in problems:
        assert "\n" not in message and len(message) < 800


def test_too_deep_or_too_long_to_check_is_refused_with_a_reason() -> None:
    deep = re.compile("(" * 300 + "a" + ")" * 300)
    (message,) = rs.backtracking_problems(deep)
    assert message.startswith("cannot be checked for catastrophic backtracking (too deeply nested;")
    long = re.compile("a" * (rs.MAX_PATTERN_LENGTH + 1))
    (message,) = rs.backtracking_problems(long)
    assert "longer than" in message


def test_the_check_of_typical_regexes_is_cheap() -> None:
    # Config-time cost: each typical regex is parsed and walked once (measured ~0.2-1 ms each).
    start = time.perf_counter()
    for pattern in FAST:
        rs.backtracking_problems.__wrapped__(re.compile(pattern))
    assert time.perf_counter() - start < 1.0


# -- the witness generator -----------------------------------------------------------------------

_ATOMS = st.one_of(
    st.sampled_from(list("abcz019-_.:/")).map(re.escape),
    st.sampled_from([".", "[a-z]", "[0-9]", "[^.:/]", r"\d", r"\w", "[a-c.-]", "[^a]"]),
)


def _regexes() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.lists(inner, min_size=1, max_size=4).map("".join),
            st.lists(inner, min_size=2, max_size=3).map(lambda alts: "(" + "|".join(alts) + ")"),
            st.tuples(inner, st.sampled_from(["*", "+", "?", "{2}", "{1,3}", "*?", "{0,2}"])).map(
                lambda t: f"(?:{t[0]}){t[1]}"
            ),
        )

    return st.recursive(_ATOMS, extend, max_leaves=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_regexes(), st.booleans())
def test_every_sample_the_generator_builds_is_matched(pattern: str, ignore_case: bool) -> None:
    regex = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    candidates = rs._candidates(regex)  # the raw generator, before witnesses() filters anything
    assert candidates, pattern
    for candidate in candidates:
        assert regex.fullmatch(candidate), (pattern, candidate)
    assert rs.witnesses(regex) == candidates


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["app", "admin", "www", "static"]), min_size=1, max_size=4, unique=True))
def test_alternatives_are_all_sampled(names: list[str]) -> None:
    regex = re.compile(r"https?://(" + "|".join(names) + r")\.example\.com(:8443)?")
    hosts = {w.split("://")[1].split(".")[0] for w in rs.witnesses(regex)}
    assert hosts == set(names)
