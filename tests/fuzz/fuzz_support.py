"""Strategies and a checking WSGI "server" for the fuzz suite; the oracle is ``tests/oracle.py``.

Nothing here calls into ``cors_wsgi`` to decide what is right: each generated policy
comes with the oracle's reading of it (:class:`oracle.Spec`), written down next to it by
hand.  Configured origins are generated already serialized, and spelled for the
configuration in ways whose normalization is documented (letter case, an explicit default
port, one trailing slash).  The oracle's names the fuzz tests use are importable from here
too (``from fuzz_support import check_cors``).
"""

from __future__ import annotations

import logging
import os
import random
import re
import string
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar, Protocol, TypeVar
from wsgiref.validate import validator

from hypothesis import settings
from hypothesis import strategies as st
from oracle import (  # tests/oracle.py: tests/ is on sys.path (tests/conftest.py)
    CONTROL,
    DEFAULT_PORT,
    SERIALIZED,
    UPPERCASED_METHODS,
    Exchange,
    Req,
    Spec,
    access_control,  # noqa: F401 -- this one and the next two: re-exported for the fuzz tests
    check_cors,  # noqa: F401
    check_wire,  # noqa: F401
    route_path,
)
from publicsuffixlist import PublicSuffixList

# ---------------------------------------------------------------------------------------
# Budgets
# ---------------------------------------------------------------------------------------

SCALE = float(os.environ.get("CORS_FUZZ_SCALE", "1"))


def budget(examples: int) -> settings:
    """The fuzz profile with ``examples`` (times ``CORS_FUZZ_SCALE``) examples."""
    return settings(settings.get_profile("fuzz"), max_examples=max(1, int(examples * SCALE)))


# ---------------------------------------------------------------------------------------
# Facts the generators need (the oracle's are in tests/oracle.py)
# ---------------------------------------------------------------------------------------

OPTION_NAMES = (
    "allow_origins",
    "allow_origin_regex",
    "allow_origin_func",
    "allow_methods",
    "allow_headers",
    "expose_headers",
    "allow_credentials",
    "max_age",
    "allow_private_network",
    "resources",
    "debug",
)
# The WSGI methods wsgiref.validate knows (others only warn, which the suite turns into errors).
WSGI_METHODS = ("GET", "HEAD", "POST", "OPTIONS", "PATCH", "PUT", "DELETE", "TRACE")


# ---------------------------------------------------------------------------------------
# Sources of choices: Hypothesis (shrinkable) or a seeded random.Random (fast)
# ---------------------------------------------------------------------------------------
#
# Every generator below takes a ``Source``.  Hypothesis draws cost about 0.5 ms each on this
# machine, so the properties that need a large budget run the same generators on a
# ``RandomSource`` seeded by Hypothesis (thousands of requests a second), and the
# shrinkable ``DrawSource`` runs at a smaller budget.

T = TypeVar("T")


class Source(Protocol):
    def integer(self, low: int, high: int) -> int: ...

    def text(self, alphabet: str, max_size: int) -> str: ...


class RandomSource:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        if high - low > 64 and self.random.random() < 0.2:
            return self.random.choice((low, low + 1, high - 1, high))  # the edges, more often
        return self.random.randint(low, high)

    def text(self, alphabet: str, max_size: int) -> str:
        return "".join(self.random.choices(alphabet, k=self.random.randint(0, max_size)))


class DrawSource:
    _integers: ClassVar[dict[tuple[int, int], st.SearchStrategy[int]]] = {}
    _texts: ClassVar[dict[tuple[str, int], st.SearchStrategy[str]]] = {}

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self.draw = draw

    def integer(self, low: int, high: int) -> int:
        strategy = self._integers.get((low, high))
        if strategy is None:
            strategy = self._integers[low, high] = st.integers(low, high)
        return int(self.draw(strategy))

    def text(self, alphabet: str, max_size: int) -> str:
        strategy = self._texts.get((alphabet, max_size))
        if strategy is None:
            strategy = self._texts[alphabet, max_size] = st.text(alphabet, max_size=max_size)
        return str(self.draw(strategy))


def pick(src: Source, items: Sequence[T]) -> T:
    return items[src.integer(0, len(items) - 1)]


def chance(src: Source, one_in: int) -> bool:
    return src.integer(0, one_in - 1) == 0


def boolean(src: Source) -> bool:
    return src.integer(0, 1) == 1


# ---------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------

LATIN1_ALPHABET = "".join(map(chr, range(256)))
CONTROLS = ("\r\n", "\r", "\n", "\x00", "\x7f", "\t", "\x0b", "\x1b", "\x85", "\xff")
MEGABYTE = 1_000_000
_HUGE_UNITS = (",", ", ", "a", "x-a,", " ", "\t", "\xff", "\x00", "\r\n", "https://a.example.com", "*", "\u00e9,")


def latin1(src: Source, max_size: int = 40) -> str:
    """Any text a WSGI server can hand over (the header's bytes decoded as latin-1)."""
    return src.text(LATIN1_ALPHABET, max_size)


def huge(src: Source) -> str:
    """A unit repeated up to 1 MB (cheap to generate, hostile to parse)."""
    unit = pick(src, _HUGE_UNITS) if boolean(src) else (latin1(src, 8) or "x")
    tier = src.integer(0, 19)  # mostly up to 64 KiB, one in ten up to 1 MB (a server's limit is lower)
    size = (
        src.integer(1, 4096) if tier < 10 else src.integer(4097, 65536) if tier < 18 else src.integer(65537, MEGABYTE)
    )
    return (unit * (size // len(unit) + 1))[:size]


def repeated(src: Source, one: Callable[[], str]) -> str:
    """One header value, or the header sent 2-3 times (a WSGI server joins them with ', ')."""
    return ", ".join(one() for _ in range(pick(src, (1, 1, 1, 1, 2, 3))))


# ---------------------------------------------------------------------------------------
# Policies and the oracle's view of them
# ---------------------------------------------------------------------------------------

_LABELS = ("a", "b", "api", "app", "example", "com", "org", "evil", "net", "sub", "x-1", "xn--bcher-kva", "_s")
_LABEL_ALPHABET = string.ascii_lowercase + string.digits + "-_"
_IPV6 = ("[::1]", "[2001:db8::1]", "[::ffff:7f00:1]")  # as browsers serialize them
#: Other spellings of the same addresses, which a configuration may use (normalized, like host case).
_IPV6_SPELLINGS = {
    "[::1]": "[0:0:0:0:0:0:0:1]",
    "[::ffff:7f00:1]": "[::FFFF:127.0.0.1]",
    "[2001:db8::1]": "[2001:DB8:0::1]",
}
#: The Public Suffix List (the same offline copy the library reads): a subdomain pattern over a
#: public suffix is a configuration error, so random valid policies avoid them.
_PUBLIC_SUFFIXES = PublicSuffixList()
_SCHEMES = ("http", "https", "https", "ws", "wss", "chrome-extension")
_PORTS = (80, 443, 3000, 8080, 8443, 1, 65535)
_TLDS = ("com", "org", "net", "test", "localhost")


def label(src: Source) -> str:
    return pick(src, _LABELS) if not chance(src, 4) else (src.text(_LABEL_ALPHABET, 10) or "z")


def host(src: Source) -> str:
    kind = src.integer(0, 5)
    if kind == 0:
        return "localhost"
    if kind == 1:
        return pick(src, _IPV6)
    labels = [label(src) for _ in range(src.integer(1, 4))]
    last = labels[-1]
    if last.isdigit() or (last.startswith("0x") and all(ch in string.hexdigits for ch in last[2:])):
        labels.append("test")  # a host ending in a number is an IPv4 address to a browser (or invalid)
    return ".".join(labels)


def parent(src: Source) -> str:
    """A host a subdomain pattern may name: 'localhost' or two labels or more, not an IP address."""
    if chance(src, 5):
        return "localhost"
    found = ".".join([*(label(src) for _ in range(src.integer(1, 2))), pick(src, _TLDS)])
    return found if found.endswith("localhost") or not _PUBLIC_SUFFIXES.is_public(found) else f"site.{found}"


def port(src: Source) -> int | None:
    kind = src.integer(0, 3)
    return None if kind == 0 else pick(src, _PORTS) if kind == 1 else src.integer(1, 65535)


def serialize(scheme: str, host: str, port: int | None) -> str:
    if port is None or DEFAULT_PORT.get(scheme) == port:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def exact_entry(src: Source) -> tuple[str, str]:
    """(what the developer writes, the serialized origin a browser sends)."""
    scheme, the_host, the_port = pick(src, _SCHEMES), host(src), port(src)
    serialized = serialize(scheme, the_host, the_port)
    text = serialized
    if the_host in _IPV6_SPELLINGS and boolean(src):
        text = serialize(scheme, _IPV6_SPELLINGS[the_host], the_port)  # normalized to the browser's spelling
    if boolean(src) and the_port is None and scheme in DEFAULT_PORT:
        text += f":{DEFAULT_PORT[scheme]}"  # normalized away
    if boolean(src):
        text = text.upper()  # scheme and host are case-insensitive
    if boolean(src):
        text += "/"  # one trailing slash is normalized away
    return text, serialized


def subdomain_entry(src: Source) -> tuple[str, tuple[str, str, str]]:
    """(``scheme://*.parent[:port]``, (scheme, parent, "" | "*" | port digits))."""
    scheme, the_parent = pick(src, _SCHEMES), parent(src)
    the_port: int | str | None = "*" if chance(src, 3) else port(src)
    if the_port == "*":
        text, port_part = f"{scheme}://*.{the_parent}:*", "*"
    elif the_port is None:
        text, port_part = f"{scheme}://*.{the_parent}", ""
    else:
        text = f"{scheme}://*.{the_parent}:{the_port}"
        port_part = "" if DEFAULT_PORT.get(scheme) == the_port else str(the_port)
    return (text.upper() if boolean(src) else text), (scheme, the_parent, port_part)


def any_port_entry(src: Source) -> tuple[str, tuple[str, str]]:
    scheme, the_host = pick(src, _SCHEMES), host(src)
    return f"{scheme}://{the_host}:*", (scheme, the_host)


def _never(origin: str) -> bool:
    raise LookupError("the tenant database is down")


ANCHORED_REGEXES: tuple[re.Pattern[str] | str, ...] = (
    re.compile(r"https://[a-z0-9-]+\.example\.org"),
    re.compile(r"http://localhost:[0-9]+"),
    re.compile(r"https?://(a|b)\.example\.com(:[0-9]+)?"),
    r"wss://sub\.[a-z]+\.net",
)
# Any web site: a configuration error with credentials, fine without.
PERMISSIVE_REGEXES: tuple[re.Pattern[str] | str, ...] = (re.compile(r"HTTPS://.*", re.IGNORECASE), re.compile(r".*"))
# Pure functions: the oracle calls them too.
FUNCS: tuple[Callable[[str], object], ...] = (
    lambda origin: origin.endswith(".example.com"),
    lambda origin: "b" in origin,
    lambda origin: len(origin) % 2,  # a truthy int
    lambda origin: [origin] if "a" in origin else [],  # a truthy list
    _never,
)


_METHODS = (
    "GET",
    "POST",
    "PUT",
    "PATCH",
    "DELETE",
    "HEAD",
    "OPTIONS",
    "purge",
    "X-Custom",
    "get",
    "put",
    "delete",
    "M-SEARCH",
)
_HEADERS = ("X-Token", "Content-Type", "Authorization", "X-Requested-With", "x-lower", "Accept", "X-A_B")
_EXPOSE = ("X-Total", "ETag", "X-Request-Id")
# Every token character but '*': a '*' inside an allowed header name is refused (it reads as a wildcard
# that is not one), so random valid policies leave it out.
_TOKEN_ALPHABET = string.ascii_letters + string.digits + "!#$%&'+-.^_`|~"


def name_from(src: Source, pool: Sequence[str]) -> str:
    """A name from ``pool`` or a random token; random ones start with 'X-', so they are never a
    forbidden method or header name, nor '*'."""
    return pick(src, pool) if not chance(src, 3) else "X-" + (src.text(_TOKEN_ALPHABET, 12) or "y")


def policy(src: Source) -> tuple[dict[str, Any], Spec]:
    """Random *valid* options (every option, several spellings) and the oracle's reading of them."""
    credentials = boolean(src)
    exact = [exact_entry(src) for _ in range(src.integer(0, 4))]
    subdomains = [subdomain_entry(src) for _ in range(src.integer(0, 2))]
    any_port = [any_port_entry(src) for _ in range(src.integer(0, 2))]
    null = not credentials and chance(src, 4)
    star = not credentials and chance(src, 5)
    regex = (
        pick(src, ANCHORED_REGEXES if credentials else ANCHORED_REGEXES + PERMISSIVE_REGEXES)
        if chance(src, 4)
        else None
    )
    func = pick(src, FUNCS) if chance(src, 4) else None
    configured = [t for t, _ in exact] + [t for t, _ in subdomains] + [t for t, _ in any_port]
    configured += ["null"] * null + ["*"] * star
    for i in range(len(configured) - 1, 0, -1):  # shuffle
        j = src.integer(0, i)
        configured[i], configured[j] = configured[j], configured[i]

    options: dict[str, Any] = {}
    omit_origins = not configured and (not credentials or regex is not None or func is not None) and boolean(src)
    if not omit_origins:
        options["allow_origins"] = ", ".join(configured) if boolean(src) else configured
    if regex is not None:
        options["allow_origin_regex"] = regex
    if func is not None:
        options["allow_origin_func"] = func
    if credentials or boolean(src):
        options["allow_credentials"] = credentials

    kind = src.integer(0, 2)
    if kind == 0:
        methods: list[str] | str = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]  # the documented default
    else:
        methods = "*" if kind == 1 and chance(src, 2) else [name_from(src, _METHODS) for _ in range(src.integer(0, 5))]
        options["allow_methods"] = methods
    kind = src.integer(0, 2)
    if kind == 0:
        headers: list[str] | str = "*"  # the documented default
    else:
        headers = "*" if kind == 1 and chance(src, 2) else [name_from(src, _HEADERS) for _ in range(src.integer(0, 4))]
        options["allow_headers"] = ", ".join(headers) if isinstance(headers, list) and boolean(src) else headers
    expose: tuple[str, ...] = ()
    kind = src.integer(0, 2)
    if kind == 1:
        listed = {}
        for _ in range(src.integer(0, 3)):
            name = name_from(src, _EXPOSE)
            listed.setdefault(name.lower(), name)
        expose = tuple(listed.values())
        options["expose_headers"] = list(expose)
    elif kind == 2 and not credentials:
        expose = ("*",)
        options["expose_headers"] = "*"
    max_age = src.integer(0, 86400) if boolean(src) else None
    if max_age is not None:
        options["max_age"] = timedelta(seconds=max_age) if boolean(src) else max_age
    private_network = boolean(src)
    if private_network or boolean(src):
        options["allow_private_network"] = private_network

    default_star = omit_origins and regex is None and func is None
    spec = Spec(
        any_origin=star or default_star,
        null=null,
        exact=frozenset(s for _, s in exact),
        subdomains=tuple(s for _, s in subdomains),
        any_port=frozenset(s for _, s in any_port),
        regex=re.compile(regex) if isinstance(regex, str) else regex,
        func=func,
        credentials=credentials,
        methods=None
        if methods == "*"
        else frozenset(m.upper() if m.upper() in UPPERCASED_METHODS else m for m in methods),
        headers=None if headers == "*" else frozenset(h.lower() for h in headers),
        expose=expose,
        max_age=max_age,
        private_network=private_network,
        seeds=tuple(s for _, s in exact)
        + tuple(f"{s}://x.{p}" + (f":{pp}" if pp not in ("", "*") else "") for _, (s, p, pp) in subdomains)
        + tuple(f"{s}://{h}:8080" for _, (s, h) in any_port),
    )
    return options, spec


# Paths: two resources with different policies, and paths neither covers.
RESOURCE_REGEX = re.compile(r"/r/[0-9]+")


def resource_for(path: str) -> str | None:
    """Which of the two resources covers ``path`` (regex before subtree; neither: None)."""
    path = route_path(path)
    if RESOURCE_REGEX.fullmatch(path):
        return "regex"
    if path.startswith("/api/"):
        return "subtree"
    return None


# ---------------------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------------------


_EVIL = ("https://evil.net", "null", "https://a.example.com.evil.net", "http://localhost:1")
_FALLBACK_SEEDS = ("https://a.example.com", "https://b.example.org", "http://localhost:3000", "null")
_ODD_ORIGINS = ("", "null", "NULL", "Null", "*", "null, null", " ", "https://", "file://")
_PATHS = ("/api/items", "/api/", "/api", "/apiary", "/API/items", "/r/12", "/r/12/x", "/r/", "/", "/other")


def path(src: Source) -> str:
    kind = src.integer(0, 3)
    if kind <= 1:
        return pick(src, _PATHS)
    return ("/" if kind == 2 else "/api/") + latin1(src, 20)


def origin_near(src: Source, spec: Spec) -> str:
    """An origin the policy allows, or a near miss of one."""
    base = pick(src, spec.seeds + _FALLBACK_SEEDS)
    match = SERIALIZED.fullmatch(base)
    mutation = src.integer(0, 17)
    if mutation == 0 or match is None:
        return base
    scheme, the_host, the_port = match.group(1), match.group(2), match.group(3)
    port_part = f":{the_port}" if the_port else ""
    if mutation == 1:
        return f"{scheme}://{label(src)}.{the_host}{port_part}"  # a subdomain of it
    if mutation == 2:
        return f"{scheme}://{label(src)}{the_host}{port_part}"  # a look-alike host
    if mutation == 3:
        return f"{base}:{port(src) or 0}"
    if mutation == 4:
        return f"{scheme}://{the_host}:{port(src) or 99999}"
    if mutation == 5:
        return base + pick(src, CONTROLS) + "Set-Cookie: x=1"
    if mutation == 6:
        return pick(src, CONTROLS) + base
    if mutation == 7:
        return base + ", " + pick(src, _EVIL)
    if mutation == 8:
        return pick(src, _EVIL) + ", " + base
    if mutation == 9:
        return f"{scheme}://{'a.' * src.integer(100, 3000)}{the_host}"  # a very long host
    return (
        f"{base}.evil.net",
        base.upper(),
        base + "/",
        base[:-1],
        base.replace("://", "://user@"),
        base + ".",
        base + ":0" + (the_port or "443"),
        base + "\t,",
    )[mutation - 10]


def request_origin(src: Source, spec: Spec) -> str | None:
    kind = src.integer(0, 9)
    if kind == 0:
        return None
    if kind <= 5:
        return repeated(src, lambda: origin_near(src, spec))
    if kind == 6:
        return repeated(src, lambda: latin1(src))
    if kind == 7:
        return huge(src)
    return pick(src, _ODD_ORIGINS)


_ACRM = (
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
    "*",
    "M-SEARCH",
)


def request_method(src: Source) -> str:
    kind = src.integer(0, 5)
    if kind <= 2:
        return repeated(src, lambda: pick(src, _ACRM))
    if kind == 3:
        return pick(src, _ACRM) + "\r\nX-Injected: 1"
    if kind == 4:
        return latin1(src)
    return huge(src)


_ACRH_NAMES = (
    "x-token",
    "content-type",
    "authorization",
    "x-requested-with",
    "x-lower",
    "accept",
    "x-a_b",
    "",
    "x token",
    "x-\u00e9",
    "x\x00",
    "x\r\ny",
    "cookie",
)
_PADS = ("", "", " ", "\t", "  ", " \t ")


def _acrh_list(src: Source, spec: Spec) -> str:
    listed = sorted(spec.headers or ())
    parts = []
    for _ in range(src.integer(0, 8)):
        kind = src.integer(0, 3)
        if kind == 0 and listed:
            name = pick(src, listed)
        elif kind == 1:
            name = name_from(src, _HEADERS)
        else:
            name = pick(src, _ACRH_NAMES)
        mask = src.integer(0, 2**16 - 1)
        name = "".join(c.upper() if mask >> (i % 16) & 1 else c for i, c in enumerate(name))
        parts.append(pick(src, _PADS) + name + pick(src, _PADS))
    return pick(src, (",", ", ", " ,")).join(parts)


def request_headers(src: Source, spec: Spec) -> str | None:
    kind = src.integer(0, 9)
    if kind <= 1:
        return None
    if kind <= 5:
        return repeated(src, lambda: _acrh_list(src, spec))
    if kind == 6:
        return ",".join(["x-token"] * src.integer(60, 70))  # around the element limit
    if kind == 7:
        n = src.integer(2040, 2056)
        return ("x-token," + " " * n)[:n]  # around the length limit
    if kind == 8:
        return latin1(src)
    return huge(src)


_ACRPN = ("true", "TRUE", " true\t", "false", "true, true", "", "1")


def request_private_network(src: Source) -> str | None:
    kind = src.integer(0, 5)
    if kind <= 1:
        return None
    if kind <= 3:
        return pick(src, _ACRPN)
    return latin1(src) if kind == 4 else huge(src)


_REQUEST_METHODS = (*WSGI_METHODS, "OPTIONS", "OPTIONS", "OPTIONS", "GET")


def request(src: Source, spec: Spec, preflight: bool = False) -> Req:
    """A request aimed at ``spec`` (``preflight=True``: always a preflight)."""
    method = "OPTIONS" if preflight else pick(src, _REQUEST_METHODS)
    origin = request_origin(src, spec)
    if preflight and origin is None:
        origin = repeated(src, lambda: origin_near(src, spec))
    acrm = request_method(src) if preflight or boolean(src) else None
    return Req(method, path(src), origin, acrm, request_headers(src, spec), request_private_network(src))


# ---------------------------------------------------------------------------------------
# The application behind the middleware, and the "server" in front of it
# ---------------------------------------------------------------------------------------


@dataclass
class AppResponse:
    status: str
    headers: list[tuple[str, str]]
    fail_after_start: bool = False  # starts 200, then reports an error with exc_info


ERROR_HEADERS = [("Content-Type", "text/plain"), ("X-Error", "1")]
_STATUSES = (
    "200 OK",
    "201 Created",
    "204 No Content",
    "301 Moved Permanently",
    "304 Not Modified",
    "404 Not Found",
    "500 Internal Server Error",
)
_APP_EXTRAS = (
    ("Vary", "Accept-Encoding"),
    ("vary", "origin"),
    ("Vary", "*"),
    ("Vary", ""),
    ("Vary", "Cookie, Origin"),
    ("Access-Control-Allow-Origin", "https://evil.example"),
    ("access-control-allow-origin", "*"),
    ("Access-Control-Allow-Credentials", "true"),
    ("Access-Control-Expose-Headers", "X-Secret"),
    ("X-Total", "3"),
    ("Set-Cookie", "s=1; Path=/"),
    ("Cache-Control", "public, max-age=60"),
)


def app_response(src: Source) -> AppResponse:
    status = pick(src, _STATUSES)
    headers: list[tuple[str, str]] = []
    if status[:3] not in ("204", "304"):
        headers.append(("Content-Type", "text/plain"))
    # At most one of each header name, and never the application's own '*' with credentials.
    chosen: dict[str, tuple[str, str]] = {}
    for _ in range(src.integer(0, 4)):
        header = pick(src, _APP_EXTRAS)
        chosen.setdefault(header[0].lower(), header)
    if "access-control-allow-credentials" in chosen and chosen.get("access-control-allow-origin", ("", ""))[1] == "*":
        del chosen["access-control-allow-origin"]
    headers += chosen.values()
    return AppResponse(status, headers, chance(src, 10))


class App:
    """A WSGI application answering with a chosen response; counts its calls."""

    def __init__(self, response: AppResponse) -> None:
        self.response = response
        self.calls = 0

    @property
    def final_status(self) -> str:
        return "500 Internal Server Error" if self.response.fail_after_start else self.response.status

    @property
    def final_headers(self) -> list[tuple[str, str]]:
        return list(ERROR_HEADERS) if self.response.fail_after_start else list(self.response.headers)

    @property
    def body(self) -> bytes:
        return b"" if self.final_status[:3] in ("204", "304") else b"app body"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.calls += 1
        if self.response.fail_after_start:
            start_response("200 OK", [("Content-Type", "text/plain")])
            try:
                raise RuntimeError("the view failed")
            except RuntimeError:
                start_response(self.final_status, self.final_headers, sys.exc_info())
        else:
            start_response(self.response.status, list(self.response.headers))
        return [self.body] if self.body else []


def serve(wsgi_app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> Exchange:
    """Call ``validator(wsgi_app)`` like a server: the last ``start_response`` before the body wins."""
    seen: list[tuple[str, list[tuple[str, str]]]] = []
    sent = False

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        if exc_info is not None and sent:
            raise exc_info[1].with_traceback(exc_info[2])
        seen.append((status, list(headers)))
        return lambda data: None

    result = validator(wsgi_app)(environ, start_response)
    try:
        chunks = []
        for chunk in result:
            sent = True
            chunks.append(chunk)
    finally:
        result.close()
    assert seen, "start_response was never called"
    status, headers = seen[-1]
    return Exchange(status, headers, b"".join(chunks))


# ---------------------------------------------------------------------------------------
# Logging: every record the library writes is checked as it is written
# ---------------------------------------------------------------------------------------


class LogChecker(logging.Handler):
    """Formats every ``cors_wsgi`` record and remembers those with a raw control character."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.bad: list[str] = []
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        message = record.getMessage()
        if CONTROL.search(message):
            self.bad.append(message[:300])
        if record.exc_info and record.exc_info[1] is not None and CONTROL.search(str(record.exc_info[1])):
            self.bad.append(f"exception text: {str(record.exc_info[1])[:300]}")
