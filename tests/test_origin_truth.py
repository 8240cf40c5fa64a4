"""A configured origin means exactly what a browser sends, or it is refused with the right spelling.

Regressions for issue 10, items 1-4: hosts converted with IDNA 2003 instead of UTS #46,
wildcards over public suffixes, IP addresses kept in spellings no browser sends, and an
``async def`` ``allow_origin_func`` whose un-awaited coroutine allowed every origin.
Every check is on the wire (what a browser would receive) or in the configuration
error a developer reads.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
from typing import Any

import idna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import client, preflight

from cors_wsgi import CORSConfigError, CORSPolicy


def answer(options: dict[str, Any], origin: str) -> dict[str, str]:
    """The CORS headers of a credentialed GET from ``origin`` (empty when refused)."""
    test_app, _ = client(**options)
    response = test_app.get("/", headers={"Origin": origin})
    return {
        name: value
        for name, value in response.headerlist
        if name in ("Access-Control-Allow-Origin", "Access-Control-Allow-Credentials")
    }


def allowed(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"}


def problems(**options: Any) -> list[str]:
    with pytest.raises(CORSConfigError) as caught:
        CORSPolicy(**options)
    return list(caught.value.problems)


# -- 1. internationalised host names: UTS #46 non-transitional, as the URL standard ------------


@pytest.mark.parametrize(
    ("configured", "browser_sends", "other_domain"),
    [
        ("https://faß.example", "https://xn--fa-hia.example", "https://fass.example"),
        ("https://ς.example", "https://xn--3xa.example", "https://xn--4xa.example"),
        ("https://FAß.Example:8443/", "https://xn--fa-hia.example:8443", "https://fass.example:8443"),
    ],
)
def test_a_non_ascii_host_means_what_the_browser_sends_and_never_the_idna2003_look_alike(
    configured: str, browser_sends: str, other_domain: str
) -> None:
    options = {"allow_origins": [configured], "allow_credentials": True}
    assert answer(options, browser_sends) == allowed(browser_sends)
    assert answer(options, other_domain) == {}


def test_a_subdomain_pattern_with_a_non_ascii_host_uses_the_same_conversion() -> None:
    options = {"allow_origins": ["https://*.faß.example"], "allow_credentials": True}
    assert answer(options, "https://shop.xn--fa-hia.example") == allowed("https://shop.xn--fa-hia.example")
    assert answer(options, "https://shop.fass.example") == {}


def test_the_policy_shows_the_spelling_browsers_send() -> None:
    policy = CORSPolicy(allow_origins=["https://faß.example", "https://*.Bücher.example"])
    assert policy.allow_origins == ("https://xn--fa-hia.example", "https://*.xn--bcher-kva.example")


def test_ascii_labels_beside_an_idn_label_keep_their_underscores_as_in_browsers() -> None:
    # The URL standard converts with UseSTD3ASCIIRules=false: '_dev' stays a valid label.
    options = {"allow_origins": ["https://_dev.Bücher.example"], "allow_credentials": True}
    assert answer(options, "https://_dev.xn--bcher-kva.example") == allowed("https://_dev.xn--bcher-kva.example")


def test_a_name_uts46_cannot_convert_is_refused_with_the_punycode_spelling_in_the_hint() -> None:
    (problem,) = problems(allow_origins=["https://☕.example:8443"])
    assert "not a valid internationalised domain name" in problem
    assert "write 'https://xn--53h.example:8443'" in problem


def test_an_invalid_punycode_label_is_refused() -> None:
    (problem,) = problems(allow_origins=["https://xn--zz.example"])
    assert "'xn--zz.example' is not a valid internationalised domain name" in problem


def test_a_trailing_dot_is_refused_because_it_is_another_origin() -> None:
    (problem,) = problems(allow_origins=["https://example.com."])
    assert "different origin from 'example.com'" in problem


# -- 2. wildcards over public suffixes -----------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    ["https://*.co.uk", "https://*.github.io", "https://*.vercel.app", "https://*.blogspot.com", "https://*.公司.cn"],
)
def test_a_wildcard_over_a_public_suffix_is_refused_with_a_hint(pattern: str) -> None:
    (problem,) = problems(allow_origins=[pattern], allow_credentials=True)
    assert "would accept every site under the public suffix" in problem
    assert "list your sites one by one" in problem
    assert "allow_origin_func" in problem


def test_a_wildcard_over_a_public_suffix_is_refused_without_credentials_too() -> None:
    assert problems(allow_origins=["https://*.github.io"])


def test_the_refused_public_suffix_wildcard_never_reaches_the_wire() -> None:
    # What the issue reproduced: attacker.github.io echoed with credentials.  Now the
    # configuration does not build, and the listed site works on its own.
    assert problems(allow_origins=["https://*.github.io"], allow_credentials=True)
    options = {"allow_origins": ["https://me.github.io"], "allow_credentials": True}
    assert answer(options, "https://me.github.io") == allowed("https://me.github.io")
    assert answer(options, "https://attacker.github.io") == {}


@pytest.mark.parametrize(
    ("pattern", "inside", "outside"),
    [
        ("https://*.example.co.uk", "https://shop.example.co.uk", "https://example2.co.uk"),
        ("https://*.me.github.io", "https://docs.me.github.io", "https://attacker.github.io"),
        ("http://*.localhost:3000", "http://app.localhost:3000", "http://localhost.evil:3000"),
    ],
)
def test_a_wildcard_under_a_registrable_domain_is_fine(pattern: str, inside: str, outside: str) -> None:
    options = {"allow_origins": [pattern], "allow_credentials": True}
    assert answer(options, inside) == allowed(inside)
    assert answer(options, outside) == {}


# -- 3. IP addresses in the spelling browsers send ------------------------------------------------


@pytest.mark.parametrize(
    ("configured", "browser_sends"),
    [
        ("http://[0:0:0:0:0:0:0:1]:3000", "http://[::1]:3000"),
        ("http://[::FFFF:127.0.0.1]:3000", "http://[::ffff:7f00:1]:3000"),
        ("http://[2001:DB8:0:0:1:0:0:1]", "http://[2001:db8::1:0:0:1]"),
        ("http://[1:0:0:2:0:0:0:3]", "http://[1:0:0:2::3]"),
    ],
)
def test_an_ipv6_origin_is_serialized_as_browsers_send_it(configured: str, browser_sends: str) -> None:
    options = {"allow_origins": [configured], "allow_credentials": True}
    assert answer(options, browser_sends) == allowed(browser_sends)
    assert CORSPolicy(allow_origins=[configured]).allow_origins == (browser_sends,)


@pytest.mark.parametrize(
    ("configured", "hint"),
    [
        ("http://127.1:3000", "write 'http://127.0.0.1:3000'"),
        ("http://0x7f.0.0.1:3000", "write 'http://127.0.0.1:3000'"),
        ("http://2130706433:3000", "write 'http://127.0.0.1:3000'"),
        ("http://010.0.0.1", "as '8.0.0.1'"),  # a leading zero is octal to a browser
    ],
)
def test_an_ipv4_origin_in_another_spelling_is_refused_with_the_one_browsers_send(configured: str, hint: str) -> None:
    (problem,) = problems(allow_origins=[configured])
    assert hint in problem


@pytest.mark.parametrize("configured", ["http://256.0.0.1", "http://1.2.3.4.5", "https://app.123", "http://1.2.3.09"])
def test_a_host_ending_in_a_number_that_is_no_address_is_refused(configured: str) -> None:
    (problem,) = problems(allow_origins=[configured])
    assert "not an IPv4 address" in problem


def test_the_dotted_decimal_origin_browsers_send_is_allowed() -> None:
    options = {"allow_origins": ["http://127.0.0.1:3000"], "allow_credentials": True}
    assert answer(options, "http://127.0.0.1:3000") == allowed("http://127.0.0.1:3000")
    assert answer(options, "http://127.1:3000") == {}


@pytest.mark.parametrize("pattern", ["https://*.0.0.1", "https://*.0x7f", "https://*.[::1]"])
def test_an_address_has_no_subdomains(pattern: str) -> None:
    assert problems(allow_origins=[pattern])


def _ipv6_spellings(address: ipaddress.IPv6Address) -> list[str]:
    exploded = address.exploded
    return [
        exploded,
        exploded.upper(),
        ":".join(part.lstrip("0") or "0" for part in exploded.split(":")),
        address.compressed,
        address.compressed.upper(),
    ]


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=2**128 - 1), st.sampled_from([0, 0xFFFF, 1]), st.integers(0, 7))
def test_every_spelling_of_one_ipv6_address_configures_the_same_policy(number: int, filler: int, zeros: int) -> None:
    # Bias towards addresses with runs of zero pieces, where compression rules matter.
    pieces = [(number >> (16 * i)) & 0xFFFF for i in range(8)]
    for index in range(zeros):
        pieces[(index * 3) % 8] = filler if index % 2 else 0
    address = ipaddress.IPv6Address(sum(piece << (16 * i) for i, piece in enumerate(pieces)))
    results = {CORSPolicy(allow_origins=[f"http://[{s}]:8080"]).allow_origins for s in _ipv6_spellings(address)}
    assert len(results) == 1
    (configured,) = results.pop()
    # ... and it is the spelling a browser sends: parseable back to the same address, in canonical form.
    host = configured.removeprefix("http://[").removesuffix("]:8080")
    assert ipaddress.IPv6Address(host) == address
    assert host == host.lower()
    assert ":::" not in host
    assert not any(part.startswith("0") and len(part) > 1 for part in host.split(":"))


_LABELS = st.sampled_from(["shop", "Bücher", "faß", "σίσυφος", "ς", "app", "ＡＰＰ", "日本", "straße"])


def _ascii_case(text: str, upper: bool) -> str:
    """Change the case of ASCII letters only (``str.upper`` would turn 'ß' into 'SS', another name)."""
    return "".join((ch.upper() if upper else ch.lower()) if ch.isascii() else ch for ch in text)


@settings(max_examples=150, deadline=None)
@given(st.lists(_LABELS, min_size=1, max_size=3), st.sampled_from([":443", "", "/"]))
def test_no_two_spellings_of_one_host_differ_in_effect(labels: list[str], suffix: str) -> None:
    host = ".".join([*labels, "example"])
    browser_host = idna.encode(host, uts46=True, transitional=False).decode()
    spellings = [host, _ascii_case(host, upper=True), _ascii_case(host, upper=False), browser_host]
    built = {CORSPolicy(allow_origins=[f"https://{spelling}{suffix}"]).allow_origins for spelling in spellings}
    assert built == {(f"https://{browser_host}",)}
    options = {"allow_origins": [f"https://{host}{suffix}"], "allow_credentials": True}
    assert answer(options, f"https://{browser_host}") == allowed(f"https://{browser_host}")


# -- 4. allow_origin_func: synchronous answers only ---------------------------------------------


async def async_allow(origin: str) -> bool:
    return origin == "https://app.example.com"


class AsyncCallable:
    async def __call__(self, origin: str) -> bool:
        return False


@pytest.mark.parametrize(
    "func",
    [async_allow, AsyncCallable(), functools.partial(async_allow)],
    ids=["async def", "async __call__", "partial of async def"],
)
def test_an_async_allow_origin_func_is_refused_at_construction(func: Any) -> None:
    (problem,) = problems(allow_origin_func=func, allow_credentials=True)
    assert "an async function cannot decide here" in problem
    assert "refreshes in the background" in problem


def test_the_issues_async_func_no_longer_lets_every_origin_in() -> None:
    with pytest.raises(CORSConfigError):
        client(allow_origin_func=async_allow, allow_credentials=True)


@pytest.mark.parametrize(
    ("result", "echoed"),
    [(True, True), (1, True), (False, False), (None, False), (0, False)],
)
def test_bool_like_results_count_by_their_truth(result: object, echoed: bool) -> None:
    options = {"allow_origin_func": lambda origin: result, "allow_credentials": True}
    expected = allowed("https://app.example.com") if echoed else {}
    assert answer(options, "https://app.example.com") == expected


def test_a_re_match_result_counts_by_its_truth() -> None:
    import re

    tenant = re.compile(r"https://[a-z]+\.tenants\.example")
    options = {"allow_origin_func": tenant.fullmatch, "allow_credentials": True}
    assert answer(options, "https://acme.tenants.example") == allowed("https://acme.tenants.example")
    assert answer(options, "https://evil.example.net") == {}


def _coroutine_result(origin: str) -> Any:
    return asyncio.sleep(0, result=True)  # a sync function handing back an awaitable


@pytest.mark.parametrize(
    ("func", "what"),
    [
        (_coroutine_result, "returned an awaitable (coroutine)"),
        (lambda origin: "yes", "returned str"),
        (lambda origin: ["tenant"], "returned list"),
    ],
    ids=["awaitable", "str", "list"],
)
def test_any_other_result_is_a_logged_refusal_on_actual_requests_and_preflights(
    func: Any, what: str, caplog: pytest.LogCaptureFixture
) -> None:
    test_app, app = client(allow_origin_func=func, allow_credentials=True)
    origin = "https://evil.example.net"
    with caplog.at_level(logging.ERROR, logger="cors_wsgi"):
        response = test_app.get("/", headers={"Origin": origin})
        refused_preflight = preflight(test_app, origin=origin, method="PUT")
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Vary"] == "Origin"
    assert refused_preflight.status_int == 403
    assert "Access-Control-Allow-Origin" not in refused_preflight.headers
    assert len(app.calls) == 1  # the GET reached the app; the preflight did not
    errors = [r.getMessage() for r in caplog.records if r.name == "cors_wsgi" and r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert all(what in message and "'https://evil.example.net'" in message for message in errors)
    assert all("the origin is refused" in message for message in errors)
