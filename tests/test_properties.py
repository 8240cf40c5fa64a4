"""Property tests: random valid policies x random (often hostile) requests, and the two parsers.

The reference oracle is ``tests/oracle.py`` (the fuzz suite's too), written from the CORS
rules in ``cors-facts.md``; it never calls into ``cors_wsgi``.  Configured origins are drawn
from pools whose normalized spelling is written out by hand next to the configured spelling.
"""

from __future__ import annotations

import ast
import contextlib
import re
import string
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oracle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import (
    DEFAULT_PORT,
    SERIALIZED,
    UPPERCASED_METHODS,
    Exchange,
    Req,
    Spec,
    check_cors,
    check_wire,
    first_value,
    header_values,
    origin_allowed,
)

from cors_wsgi import CORSMiddleware, CORSPolicy
from cors_wsgi.headers import parse_request_headers
from cors_wsgi.origins import OriginSyntaxError, parse_configured_origin, parse_request_origin

# When a property fails, Hypothesis' pytest plugin imports libcst to suggest a patch, and
# libcst's import emits a DeprecationWarning (mypy_extensions.TypedDict) that the repo's
# ``filterwarnings = error`` turns into an INTERNALERROR hiding the real failure.
# Import it once now, with that warning silenced.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    with contextlib.suppress(ImportError):
        import hypothesis.extra._patching  # noqa: F401

# Budgets keep this file's run time around 15-20 s.
FULL_BUDGET = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SMALL_BUDGET = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------------------
# Configuration pools: (what the developer writes, what the browser sends for it)
# ---------------------------------------------------------------------------------------

EXACT_POOL = [
    ("https://example.com", "https://example.com"),
    ("https://a.example.com", "https://a.example.com"),
    ("http://example.com", "http://example.com"),
    ("https://example.com:8443", "https://example.com:8443"),
    ("http://localhost:3000", "http://localhost:3000"),
    ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    ("https://other.org", "https://other.org"),
    ("http://[::1]:8080", "http://[::1]:8080"),
    # spellings the configuration normalizes (case, default port, trailing slash, IDN)
    ("HTTPS://Shop.Example.COM:443/", "https://shop.example.com"),
    ("http://LOCALHOST:80", "http://localhost"),
    ("https://bücher.example", "https://xn--bcher-kva.example"),
]
# (configured pattern, scheme, parent host, port: "" default / "*" any / digits)
SUBDOMAIN_POOL = [
    ("https://*.example.com", "https", "example.com", ""),
    ("https://*.example.com:*", "https", "example.com", "*"),
    ("http://*.localhost:*", "http", "localhost", "*"),
    ("https://*.a.example.com:8443", "https", "a.example.com", "8443"),
]
# (configured pattern, scheme, host)
ANY_PORT_POOL = [
    ("http://localhost:*", "http", "localhost"),
    ("https://example.com:*", "https", "example.com"),
    ("http://127.0.0.1:*", "http", "127.0.0.1"),
]
METHOD_POOL = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "purge", "X-Custom", "get", "put"]
HEADER_POOL = ["X-Token", "Content-Type", "Authorization", "X-Requested-With", "x-lower", "Accept"]
EXPOSE_POOL = ["X-Total", "ETag", "X-Request-Id"]

# ---------------------------------------------------------------------------------------
# Request pools
# ---------------------------------------------------------------------------------------

GOOD_ORIGINS = [
    "https://example.com",
    "https://a.example.com",
    "https://b.a.example.com",
    "https://b.a.example.com:8443",
    "https://a.example.com:8443",
    "https://example.com:8443",
    "https://example.com:9000",
    "http://example.com",
    "http://localhost",
    "http://localhost:3000",
    "http://localhost:8000",
    "http://app.localhost:3000",
    "http://127.0.0.1",
    "http://127.0.0.1:5000",
    "https://other.org",
    "http://[::1]:8080",
    "https://shop.example.com",
    "https://x.shop.example.com",
    "https://xn--bcher-kva.example",
    "null",
]
HOSTILE_ORIGINS = [
    "https://a.example.com.evil.net",
    "https://example.com.evil.net",
    "https://evil.net/.example.com",
    "https://attackerexample.com",
    "https://evil-example.com",
    "https://evilexample.com",
    "http://localhost.evil.net:3000",
    "https://a.example.com:8443.evil.net",
    "https://EXAMPLE.com",
    "HTTPS://example.com",
    "https://example.com/",
    "https://example.com:443",
    "http://localhost:80",
    "https://example.com.",
    "https://.example.com",
    "https://a..example.com",
    "https://bücher.example",
    " https://example.com",
    "https://example.com ",
    "https://example.com\r\nSet-Cookie: x=1",
    "https://example.com\n",
    "https://example.com\r",
    "https://example.com\x00",
    "https://evil.net, https://example.com",
    "https://example.com, https://evil.net",
    "https://example.com,https://a.example.com",
    "null, https://example.com",
    "https://example.com, null",
    "https://example.com:08443",
    "https://example.com:99999",
    "https://example.com:0",
    "https://example.com:",
    "https://user@example.com",
    "https://*.example.com",
    "*",
    "Null",
    "NULL",
    "file://",
    "",
    "http://[::1]",
    "http://[::1:8080",
    "https://example.com\u00e9",
    "https://\u00e9xample.com",
]

LATIN1_TEXT = st.text(alphabet=st.characters(max_codepoint=255), max_size=60)
ORIGIN_PIECES = st.sampled_from(
    [
        "https://",
        "http://",
        "null",
        "example.com",
        ".example.com",
        "a.",
        "evil.net",
        ":",
        "8443",
        "*",
        "/",
        ",",
        " ",
        "\t",
        "\r\n",
        "localhost",
        "\u00e9",
        "[::1]",
    ]
)
ORIGINS = st.one_of(
    st.none(),
    st.sampled_from(GOOD_ORIGINS),
    st.sampled_from(HOSTILE_ORIGINS),
    LATIN1_TEXT,
    st.lists(ORIGIN_PIECES, max_size=6).map("".join),
)
REQUEST_METHODS = st.one_of(
    st.sampled_from(["GET", "POST", "PUT", "OPTIONS", "OPTIONS", "OPTIONS", "patch", "HEAD", "DELETE", "BREW"]),
    st.text(alphabet=st.characters(max_codepoint=255), min_size=1, max_size=10),
)
ACRM_VALUES_PRESENT = st.one_of(
    st.sampled_from(
        [
            "GET",
            "POST",
            "HEAD",
            "PUT",
            "PATCH",
            "patch",
            "DELETE",
            "OPTIONS",
            "purge",
            "X-Custom",
            "OS",
            "get",
            "CONNECT",
            "",
            "GET, PUT",
            "PUT, GET",
            "PUT\r\n",
            "PUT\r\nX-Injected: 1",
            "P UT",
            "*",
        ]
    ),
    LATIN1_TEXT,
)
ACRM_VALUES = st.one_of(st.none(), ACRM_VALUES_PRESENT)
ACRH_NAMES = [
    "x-token",
    "content-type",
    "authorization",
    "x-requested-with",
    "x-other",
    "accept",
    "x-lower",
    "",
    "x token",
    "x-\u00e9",
]


PADDINGS = st.sampled_from(["", "", " ", "\t", "  ", " \t "])
_SEPARATORS = st.sampled_from([",", ", ", " ,"])
CASE_MASKS = st.integers(0, 2**16 - 1)


def random_case(text: str, mask: int) -> str:
    """``text`` with the letters whose bit is set in ``mask`` uppercased."""
    return "".join(c.upper() if mask >> (i % 16) & 1 else c for i, c in enumerate(text))


_ACRH_NAME_LISTS = st.lists(st.sampled_from(ACRH_NAMES), max_size=6)


@st.composite
def acrh_lists(draw: st.DrawFn) -> str:
    """A header list with random case, spaces, tabs, empties and duplicates."""
    names = draw(_ACRH_NAME_LISTS)
    parts = []
    for name in names:
        left, right = draw(PADDINGS), draw(PADDINGS)
        parts.append(f"{left}{random_case(name, draw(CASE_MASKS))}{right}")
    return draw(_SEPARATORS).join(parts)


HUGE_ACRH = [
    "x-a," * 3000,
    "," * 200_000,
    ",".join(f"x-h{i}" for i in range(200)),
    "x-token," + " " * 5000,
    "a" * 10_000,
]
ACRH_VALUES = st.one_of(st.none(), acrh_lists(), st.sampled_from(HUGE_ACRH), LATIN1_TEXT)
PATHS = ["/api/items", "/api/", "/api/x/y", "/api", "/apiary", "/other", "/"]


# ---------------------------------------------------------------------------------------
# Random policies, and the oracle's reading of each (tests/oracle.py)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """How a drawn policy is put in front of the application."""

    debug: bool
    resources: bool  # under resources={"/api/*": ...}: other paths are not covered


_EXACT_CHOICES = st.lists(st.sampled_from(EXACT_POOL), unique=True, max_size=5)
_SUBDOMAIN_CHOICES = st.lists(st.sampled_from(SUBDOMAIN_POOL), unique=True, max_size=2)
_ANY_PORT_CHOICES = st.lists(st.sampled_from(ANY_PORT_POOL), unique=True, max_size=2)
_ONE_IN_FIVE = st.integers(0, 4).map(lambda n: n == 0)
_METHOD_CHOICES = st.one_of(st.just("*"), st.lists(st.sampled_from(METHOD_POOL), max_size=5))
_HEADER_CHOICES = st.one_of(st.just("*"), st.lists(st.sampled_from(HEADER_POOL), max_size=4))
# Unique: what the middleware sends for a name listed twice is not a documented rule.
_EXPOSE_CHOICES = st.lists(st.sampled_from(EXPOSE_POOL), unique=True, max_size=3)
_EXPOSE_OR_STAR = st.one_of(st.just("*"), _EXPOSE_CHOICES)
_MAX_AGES = st.one_of(st.none(), st.integers(0, 86400))


@dataclass(frozen=True)
class Policy:
    """Drawn options, the oracle's reading of them, and how they are put in front of the app."""

    options: dict[str, Any]
    spec: Spec
    layout: Layout


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    credentials = draw(st.booleans())
    exact = draw(_EXACT_CHOICES)
    subdomains = draw(_SUBDOMAIN_CHOICES)
    any_port = draw(_ANY_PORT_CHOICES)
    null = not credentials and draw(st.booleans())
    star = not credentials and draw(_ONE_IN_FIVE)
    configured = [c for c, _ in exact] + [s[0] for s in subdomains] + [p[0] for p in any_port]
    configured += ["null"] * null + ["*"] * star
    configured = draw(st.randoms(use_true_random=False)).sample(configured, len(configured))
    allow_origins: str | list[str] = ", ".join(configured) if draw(st.booleans()) else configured

    methods = draw(_METHOD_CHOICES)
    headers = draw(_HEADER_CHOICES)
    expose = draw(_EXPOSE_CHOICES if credentials else _EXPOSE_OR_STAR)
    max_age = draw(_MAX_AGES)
    private_network = draw(st.booleans())
    options: dict[str, Any] = {
        "allow_origins": allow_origins,
        "allow_credentials": credentials,
        "allow_methods": methods,
        "allow_headers": headers,
        "expose_headers": expose,
        "max_age": max_age,
        "allow_private_network": private_network,
    }
    spec = Spec(
        any_origin=star,
        null=null,
        exact=frozenset(n for _, n in exact),
        subdomains=tuple((s, p, port) for _, s, p, port in subdomains),
        any_port=frozenset((s, h) for _, s, h in any_port),
        credentials=credentials,
        # Browsers uppercase six methods, so the configuration reads a lowercase spelling as them.
        methods=None
        if methods == "*"
        else frozenset(m.upper() if m.upper() in UPPERCASED_METHODS else m for m in methods),
        headers=None if headers == "*" else frozenset(h.lower() for h in headers),
        expose=("*",) if expose == "*" else tuple(expose),
        max_age=max_age,
        private_network=private_network,
    )
    return Policy(options, spec, Layout(debug=draw(st.booleans()), resources=draw(st.booleans())))


REQUESTS = st.builds(
    Req,
    method=REQUEST_METHODS,
    path=st.sampled_from(PATHS),
    origin=ORIGINS,
    acrm=ACRM_VALUES,
    acrh=ACRH_VALUES,
    acrpn=st.sampled_from([None, "true", "TRUE", "false", ""]),
)


_COVERED_PATHS = st.sampled_from(["/api/items", "/api/x/y"])
_PRESENT_ORIGINS = st.one_of(st.sampled_from(GOOD_ORIGINS), st.sampled_from(HOSTILE_ORIGINS), LATIN1_TEXT)
_ACRPN = st.sampled_from([None, "true", "false"])


@st.composite
def preflights(draw: st.DrawFn) -> Req:
    """Preflights (OPTIONS + Origin + Access-Control-Request-Method) on a covered path."""
    return Req(
        method="OPTIONS",
        path=draw(_COVERED_PATHS),
        origin=draw(_PRESENT_ORIGINS),
        acrm=draw(ACRM_VALUES_PRESENT),
        acrh=draw(ACRH_VALUES),
        acrpn=draw(_ACRPN),
    )


# App behaviours: (status, headers)
APP_RESPONSES = st.tuples(
    st.sampled_from(["200 OK", "404 Not Found", "500 Internal Server Error", "302 Found"]),
    st.lists(
        st.sampled_from(
            [
                ("Vary", "Accept-Encoding"),
                ("Vary", "accept-encoding, origin"),
                ("Vary", "*"),
                ("Access-Control-Allow-Origin", "*"),
                ("X-Request-Id", "42"),
                ("Cache-Control", "no-store"),
            ]
        ),
        unique=True,
        max_size=3,
    ).map(lambda extra: [("Content-Type", "text/plain"), *extra]),
)


class App:
    def __init__(self, status: str, headers: list[tuple[str, str]]) -> None:
        self.status = status
        self.headers = headers
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.calls += 1
        start_response(self.status, list(self.headers))
        return [b"app body"]


def build(policy: Policy, app: App) -> CORSMiddleware:
    options, layout = policy.options, policy.layout
    if layout.resources:
        return CORSMiddleware(app, resources={"/api/*": options}, debug=layout.debug)
    if layout.debug:
        # A prebuilt policy, with debug switched on the instance afterwards.
        middleware = CORSMiddleware(app, CORSPolicy(**options))
        middleware.debug = True
        return middleware
    return CORSMiddleware(app, **options)


def run(middleware: CORSMiddleware, req: Req) -> Exchange:
    """Call the middleware directly (no validator: some drawn methods are not HTTP's)."""
    seen: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        seen.append((status, headers))
        return lambda data: None

    result = middleware(req.environ(), start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    assert len(seen) == 1
    return Exchange(seen[0][0], seen[0][1], body)


def check_exchange(policy: Policy, app_response: tuple[str, list[Any]], req: Req) -> None:
    """One exchange: the wire, then the oracle's verdict on a covered path, then the application's part."""
    app = App(*app_response)
    middleware = build(policy, app)
    exchange = run(middleware, req)
    check_wire(exchange)

    covered = (not policy.layout.resources) or req.path.startswith("/api/")
    if not covered:
        assert app.calls == 1
        assert (exchange.status, exchange.headers, exchange.body) == (app.status, app.headers, b"app body")
        return

    check_cors(policy.spec, req, exchange, policy.layout.debug)
    if req.is_preflight:
        assert app.calls == 0, "the application was called for a preflight"
    else:
        assert app.calls == 1, "the application was not called for an ordinary request"
        assert exchange.status == app.status
        assert exchange.body == b"app body"
        # The application's own headers survive, in order (its Vary may gain "Origin").
        own = [(n, v) for n, v in app.headers if n.lower() not in ("vary", "access-control-allow-origin")]
        assert [h for h in exchange.headers if h in own] == own


def test_the_oracle_is_independent() -> None:
    """tests/oracle.py is a second opinion: it imports nothing of the library it judges."""
    tree = ast.parse(Path(oracle.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported, "no import found: the check itself is broken"
    assert not {name for name in imported if name.split(".")[0] in ("cors_wsgi", "flask_cors_ext")}, imported


# ---------------------------------------------------------------------------------------
# Middleware properties
# ---------------------------------------------------------------------------------------


@FULL_BUDGET
@given(policy=policies(), app_response=APP_RESPONSES, req=REQUESTS)
def test_random_policy_random_request(policy: Policy, app_response: Any, req: Req) -> None:
    check_exchange(policy, app_response, req)


@FULL_BUDGET
@given(policy=policies(), app_response=APP_RESPONSES, req=preflights())
def test_random_policy_random_preflight(policy: Policy, app_response: Any, req: Req) -> None:
    check_exchange(policy, app_response, req)


@SMALL_BUDGET
@given(
    policy=policies(),
    origin=st.sampled_from(GOOD_ORIGINS + HOSTILE_ORIGINS),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS"]),
)
def test_allowed_origin_gets_its_own_origin_back(policy: Policy, origin: str, method: str) -> None:
    """Completeness: every origin the oracle allows is echoed on an ordinary request."""
    spec = policy.spec
    app = App("200 OK", [("Content-Type", "text/plain")])
    middleware = build(policy, app)
    headers = run(middleware, Req(method, "/api/items", origin, None, None, None)).headers
    assert app.calls == 1
    first = first_value(origin)
    if spec.any_origin:
        assert header_values(headers, "Access-Control-Allow-Origin") == ["*"]
    elif origin_allowed(spec, first):
        assert header_values(headers, "Access-Control-Allow-Origin") == [first]
    else:
        assert header_values(headers, "Access-Control-Allow-Origin") == []


VALID_NAMES = st.lists(
    st.text(alphabet=string.ascii_lowercase + string.digits + "-_", min_size=1, max_size=12),
    min_size=1,
    max_size=8,
    unique=True,
)


@st.composite
def spellings(draw: st.DrawFn, names: list[str]) -> str:
    """Any permutation / case / white space / duplicate / empty-element spelling of ``names``."""
    duplicates = draw(st.lists(st.sampled_from(names), max_size=len(names)))
    elements = draw(st.permutations([*names, *duplicates, *[""] * draw(st.integers(0, 3))]))
    parts = []
    for element in elements:
        left, right = draw(PADDINGS), draw(PADDINGS)
        parts.append(f"{left}{random_case(element, draw(CASE_MASKS))}{right}")
    return ",".join(parts)


@SMALL_BUDGET
@given(data=st.data(), names=VALID_NAMES, listed=st.booleans(), credentials=st.booleans())
def test_preflight_answer_does_not_depend_on_the_header_list_spelling(
    data: st.DataObject, names: list[str], listed: bool, credentials: bool
) -> None:
    allow_headers = [f"X-{n}" for n in names[: len(names) // 2 + 1]] if listed else "*"
    app = App("200 OK", [("Content-Type", "text/plain")])
    middleware = CORSMiddleware(
        app, allow_origins=["https://app.example.com"], allow_credentials=credentials, allow_headers=allow_headers
    )
    prefixed = [f"x-{n}" for n in names]
    canonical = ",".join(sorted(prefixed))
    variant = data.draw(spellings(prefixed))

    def ask(acrh: str) -> tuple[str, list[tuple[str, str]]]:
        exchange = run(middleware, Req("OPTIONS", "/", "https://app.example.com", "PUT", acrh, None))
        return exchange.status, exchange.headers

    status_canonical, headers_canonical = ask(canonical)
    status_variant, headers_variant = ask(variant)
    assert status_canonical == status_variant
    expected_status = "204 No Content" if (not listed or len(names) // 2 + 1 >= len(names)) else "403 Forbidden"
    assert status_canonical == expected_status
    if listed:
        assert headers_canonical == headers_variant
    else:
        # "*" answers by naming the requested headers; the same set either way.
        def named(headers: list[tuple[str, str]]) -> set[str]:
            return {t.strip() for v in header_values(headers, "Access-Control-Allow-Headers") for t in v.split(",")}

        assert named(headers_canonical) == named(headers_variant) == set(prefixed)
    assert app.calls == 0


# ---------------------------------------------------------------------------------------
# parse_request_headers
# ---------------------------------------------------------------------------------------

_LOWER_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+")


@SMALL_BUDGET
@given(value=st.one_of(st.text(), LATIN1_TEXT, acrh_lists(), st.sampled_from(HUGE_ACRH)))
def test_parse_request_headers_never_raises_and_returns_lowercase_unique_tokens(value: str) -> None:
    result = parse_request_headers(value)
    if result is None:
        return
    assert isinstance(result, list)
    assert len(result) == len(set(result))
    for name in result:
        assert _LOWER_TOKEN.fullmatch(name), name


@SMALL_BUDGET
@given(data=st.data(), names=VALID_NAMES)
def test_parse_request_headers_accepts_every_spelling_equally(data: st.DataObject, names: list[str]) -> None:
    canonical = ",".join(sorted(names))
    variant = data.draw(spellings(names))
    assert parse_request_headers(canonical) == sorted(names)
    parsed = parse_request_headers(variant)
    assert parsed is not None, variant
    assert sorted(parsed) == sorted(names)
    # Order of first appearance, as documented.
    first_seen = list(dict.fromkeys(e.strip(" \t").lower() for e in variant.split(",") if e.strip(" \t")))
    assert parsed == first_seen


@SMALL_BUDGET
@given(names=VALID_NAMES, bad=st.sampled_from(["x token", "x-\u00e9", "x:y", "x\r\ny", "x\x00", "(x)", 'x"', "x/y"]))
def test_parse_request_headers_refuses_a_list_with_one_bad_name(names: list[str], bad: str) -> None:
    assert parse_request_headers(",".join([*names, bad])) is None


def test_parse_request_headers_is_bounded_on_huge_input() -> None:
    import time

    start = time.perf_counter()
    for value in ("," * 1_000_000, "a," * 500_000, " " * 1_000_000, "x-" + "a" * 1_000_000):
        assert parse_request_headers(value) is None
    assert time.perf_counter() - start < 0.5


# ---------------------------------------------------------------------------------------
# Origin parsing
# ---------------------------------------------------------------------------------------

_ALNUM = string.ascii_lowercase + string.digits
LABEL = st.tuples(
    st.text(_ALNUM, min_size=1, max_size=6), st.sampled_from(["", "", "-", "--"]), st.text(_ALNUM, max_size=4)
).map(lambda t: "".join(t) if t[2] else t[0])


def _ends_in_a_number(host: str) -> bool:
    """The URL standard's test: such a host is an IPv4 address to a browser ('1', '0x', '0x1f')."""
    last = host.rsplit(".", maxsplit=1)[-1]
    return last.isdigit() or (last.startswith("0x") and all(ch in string.hexdigits for ch in last[2:]))


DNS_HOST = st.lists(LABEL, min_size=1, max_size=4).map(".".join).filter(lambda h: not _ends_in_a_number(h))
IPV4_HOST = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
IPV6_HOST = st.sampled_from(["[::1]", "[2001:db8::1]", "[fe80::1:2]", "[::ffff:7f00:1]"])


_SCHEMES = st.sampled_from(["http", "https", "ws", "wss"])
_HOSTS = st.one_of(DNS_HOST, IPV4_HOST, IPV6_HOST)
_PORTS = st.one_of(st.none(), st.integers(1, 65535))


@st.composite
def serialized_origins(draw: st.DrawFn) -> str:
    """Origins exactly as a browser serializes them."""
    scheme = draw(_SCHEMES)
    host = draw(_HOSTS)
    port = draw(_PORTS)
    if port is None or port == DEFAULT_PORT[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


ORIGINISH_TEXT = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "https://",
                "http://",
                "HTTP://",
                "://",
                "*.",
                "*",
                ":*",
                ":",
                "[",
                "]",
                "::1",
                "@",
                "/",
                "?",
                "#",
                "..",
                ".",
                "-",
                "xn--",
                "example.com",
                "443",
                "99999",
                "0",
                "\u00fc",
                "\u0130",
                "\u2126",
                "\ufb01",
                " ",
                "\t",
                "\u3002",
                "null",
            ]
        ),
        st.text(max_size=4),
    ),
    max_size=8,
).map("".join)


@SMALL_BUDGET
@given(text=st.one_of(st.text(), ORIGINISH_TEXT, serialized_origins()))
def test_parse_configured_origin_returns_or_raises_origin_syntax_error(text: str) -> None:
    try:
        configured = parse_configured_origin(text)
    except OriginSyntaxError as exc:
        assert str(exc)
        return
    assert configured.kind in ("any", "null", "exact", "subdomains", "any-port")
    assert "\r" not in configured.key
    assert "\n" not in configured.key
    assert configured.key.isascii()


@SMALL_BUDGET
@given(value=st.one_of(st.text(), LATIN1_TEXT, ORIGINISH_TEXT, st.sampled_from(HOSTILE_ORIGINS + GOOD_ORIGINS)))
def test_parse_request_origin_never_raises_and_only_accepts_serialized_origins(value: str) -> None:
    parsed = parse_request_origin(value)
    if parsed is None:
        return
    scheme, host, port = parsed
    assert f"{scheme}://{host}" + (f":{port}" if port else "") == value
    assert SERIALIZED.fullmatch(value)
    assert value.isascii()
    assert value == value.lower()


@SMALL_BUDGET
@given(origin=serialized_origins())
def test_serialized_origin_round_trips_through_both_parsers(origin: str) -> None:
    configured = parse_configured_origin(origin)
    assert configured.kind == "exact"
    assert configured.key == origin
    parsed = parse_request_origin(origin)
    assert parsed is not None
    assert f"{parsed.scheme}://{parsed.host}" + (f":{parsed.port}" if parsed.port else "") == origin


@SMALL_BUDGET
@given(
    origin=serialized_origins(),
    upper=st.booleans(),
    slash=st.booleans(),
    default_port=st.booleans(),
)
def test_unambiguous_spellings_normalize_to_the_serialized_origin(
    origin: str, upper: bool, slash: bool, default_port: bool
) -> None:
    scheme, rest = origin.split("://")
    spelled = f"{scheme.upper() if upper else scheme}://{rest.upper() if upper else rest}"
    if default_port and re.fullmatch(r".*:\d+", rest) is None:
        spelled += f":{DEFAULT_PORT[scheme]}"
    if slash:
        spelled += "/"
    assert parse_configured_origin(spelled).key == origin
