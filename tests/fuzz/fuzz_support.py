"""Strategies, an independent oracle and a checking WSGI "server" for the fuzz suite.

Nothing here calls into ``cors_wsgi`` to decide what is right: the oracle is written
from ``cors-facts.md`` and the README (the option table, the 2 KiB / 64-element limit
on ``Access-Control-Request-Headers``).  Configured origins are generated already
serialized, and spelled for the configuration in ways whose normalization is
documented (letter case, an explicit default port, one trailing slash).
"""

from __future__ import annotations

import io
import logging
import os
import random
import re
import string
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar, Protocol, TypeVar
from wsgiref.validate import validator

from hypothesis import settings
from hypothesis import strategies as st
from publicsuffixlist import PublicSuffixList

# ---------------------------------------------------------------------------------------
# Budgets
# ---------------------------------------------------------------------------------------

SCALE = float(os.environ.get("CORS_FUZZ_SCALE", "1"))


def budget(examples: int) -> settings:
    """The fuzz profile with ``examples`` (times ``CORS_FUZZ_SCALE``) examples."""
    return settings(settings.get_profile("fuzz"), max_examples=max(1, int(examples * SCALE)))


# ---------------------------------------------------------------------------------------
# Facts, written out here (not imported from the library)
# ---------------------------------------------------------------------------------------

TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# C0 controls and DEL: never in a header value, never raw in a log line.  U+0085, U+2028 and
# U+2029 end a line for str.splitlines(), so they are as good as a newline in a log viewer.
CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
SERIALIZED = re.compile(r"([a-z][a-z0-9+.\-]*)://([a-z0-9_\-]+(?:\.[a-z0-9_\-]+)*|\[[0-9a-f:.]+\])(?::([0-9]+))?")
DEFAULT_PORT = {"http": 80, "https": 443, "ws": 80, "wss": 443}
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
UPPERCASED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
SAFELISTED_HEADERS = frozenset({"accept", "accept-language", "content-language", "content-type"})
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


def first_value(value: str) -> str:
    """A repeated header arrives joined by ", "; its first value counts."""
    return value.split(",", 1)[0].strip(" \t") if "," in value else value


def header_values(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [v for n, v in headers if n.lower() == name.lower()]


def list_tokens(headers: list[tuple[str, str]], name: str) -> set[str]:
    return {t.strip(" \t").lower() for v in header_values(headers, name) for t in v.split(",") if t.strip(" \t")}


def access_control(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(n, v) for n, v in headers if n.lower().startswith("access-control-")]


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


@dataclass(frozen=True)
class Spec:
    """What one policy allows, in the oracle's own terms."""

    any_origin: bool = False
    null: bool = False
    exact: frozenset[str] = frozenset()
    subdomains: tuple[tuple[str, str, str], ...] = ()
    any_port: frozenset[tuple[str, str]] = frozenset()
    regex: re.Pattern[str] | None = None
    func: Callable[[str], object] | None = None
    credentials: bool = False
    methods: frozenset[str] | None = None  # None: "*"
    headers: frozenset[str] | None = None  # lowercase; None: "*"
    expose: tuple[str, ...] = ()
    max_age: int | None = None
    private_network: bool = False
    seeds: tuple[str, ...] = field(default=(), compare=False)  # origins requests aim near


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


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, step by step as the RFC writes it (the oracle's own copy)."""
    source, output = path, ""
    while source:
        if source.startswith("../"):
            source = source[3:]
        elif source.startswith(("./", "/./")):  # A and B of the RFC: both drop two characters
            source = source[2:]
        elif source == "/.":
            source = "/"
        elif source.startswith("/../"):
            source = source[3:]
            output = output[: max(output.rfind("/"), 0)]
        elif source == "/..":
            source = "/"
            output = output[: max(output.rfind("/"), 0)]
        elif source in (".", ".."):
            source = ""
        else:
            end = source.find("/", 1)
            end = len(source) if end < 0 else end
            output, source = output + source[:end], source[end:]
    return output


def route_path(path_info: str) -> str:
    """The path a policy is chosen on, as the README says: PATH_INFO decoded as UTF-8 (PEP 3333),
    runs of '/' as one, dot segments removed."""
    text = path_info.encode("latin-1").decode("utf-8", "replace")
    text = "/" + re.sub("/+", "/", text).lstrip("/")
    return remove_dot_segments(text) or "/"


def resource_for(path: str) -> str | None:
    """Which of the two resources covers ``path`` (regex before subtree; neither: None)."""
    path = route_path(path)
    if RESOURCE_REGEX.fullmatch(path):
        return "regex"
    if path.startswith("/api/"):
        return "subtree"
    return None


def origin_allowed(spec: Spec, origin: str) -> bool:
    """Would the policy let ``origin`` (one value) read the response?  ``*`` counts as yes."""
    if spec.any_origin:
        return True
    if origin == "null":
        return spec.null
    match = SERIALIZED.fullmatch(origin)
    if match is None:
        return False
    scheme, host, port = match.group(1), match.group(2), match.group(3) or ""
    if port and (port.startswith("0") or int(port) > 65535 or DEFAULT_PORT.get(scheme) == int(port)):
        return False
    if origin in spec.exact or (scheme, host) in spec.any_port:
        return True
    if not host.startswith("[") and any(
        scheme == s and host.endswith("." + parent) and pp in ("*", port) for s, parent, pp in spec.subdomains
    ):
        return True
    if spec.regex is not None and spec.regex.fullmatch(origin):
        return True
    if spec.func is not None:
        try:
            result = spec.func(origin)
        except Exception:
            return False
        # True allows; an int or a re.Match counts by its truth; any other value (a list, a str, an
        # awaitable) is a refusal, logged.
        return result is True or (isinstance(result, (int, re.Match)) and bool(result))
    return False


def host_is_dns_sized(origin: str) -> bool:
    match = SERIALIZED.fullmatch(origin)
    return match is None or len(match.group(2)) <= 253


def parse_acrh(value: str) -> list[str] | None:
    """``Access-Control-Request-Headers`` as the README describes it, or None when refused."""
    if len(value) > 2048 or value.count(",") >= 64:
        return None
    names: list[str] = []
    for element in value.split(","):
        name = element.strip(" \t")
        if not name:
            continue
        if not TOKEN.fullmatch(name):
            return None
        names.append(name.lower())
    return list(dict.fromkeys(names))


def preflight_passes(spec: Spec, acrm: str, acrh: str | None) -> bool | None:
    """With the origin allowed: are the method and the header list allowed?  ``None``: either
    answer is right (a method value longer than any browser sends may be refused unread)."""
    passes = _preflight_passes(spec, acrm, acrh)
    return None if passes and len(acrm) > 64 else passes


def _preflight_passes(spec: Spec, acrm: str, acrh: str | None) -> bool:
    method = first_value(acrm)
    if method not in SAFELISTED_METHODS:
        if spec.methods is None:
            if not TOKEN.fullmatch(method):
                return False
        elif method not in spec.methods:
            return False
    if acrh:
        names = parse_acrh(acrh)
        if names is None:
            return False
        if spec.headers is not None and any(n not in spec.headers and n not in SAFELISTED_HEADERS for n in names):
            return False
    return True


# ---------------------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------------------


@dataclass
class Req:
    method: str
    path: str
    origin: str | None
    acrm: str | None = None
    acrh: str | None = None
    acrpn: str | None = None

    def environ(self) -> dict[str, Any]:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": self.path,
            "QUERY_STRING": "",
            "SERVER_NAME": "api.example.net",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "api.example.net",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for key, value in (
            ("HTTP_ORIGIN", self.origin),
            ("HTTP_ACCESS_CONTROL_REQUEST_METHOD", self.acrm),
            ("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", self.acrh),
            ("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK", self.acrpn),
        ):
            if value is not None:
                environ[key] = value
        return environ

    def short(self) -> str:
        """The request, with values over 200 characters cut (and their length said)."""

        def cut(value: str | None) -> str:
            return repr(value) if value is None or len(value) <= 200 else f"{value[:200]!r}... ({len(value)} chars)"

        return (
            f"Req(method={self.method!r}, path={cut(self.path)}, origin={cut(self.origin)}, acrm={cut(self.acrm)}, "
            f"acrh={cut(self.acrh)}, acrpn={cut(self.acrpn)})"
        )

    @property
    def is_preflight(self) -> bool:
        return self.method == "OPTIONS" and self.origin is not None and self.acrm is not None


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


@dataclass
class Exchange:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


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


# ---------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------


def check_wire(exchange: Exchange) -> None:
    """What any response must look like on the wire, whatever the policy."""
    assert re.fullmatch(r"[1-5][0-9][0-9] [^\x00-\x1f\x7f]*", exchange.status), exchange.status
    for name, value in exchange.headers:
        assert TOKEN.fullmatch(name), name
        assert not CONTROL.search(value), (name, value[:200])
        value.encode("latin-1")
    acao = header_values(exchange.headers, "Access-Control-Allow-Origin")
    assert len(acao) <= 1, exchange.headers
    credentials = header_values(exchange.headers, "Access-Control-Allow-Credentials")
    assert credentials in ([], ["true"]), credentials
    assert not (acao == ["*"] and credentials), exchange.headers


def check_cors(spec: Spec, req: Req, exchange: Exchange, debug: bool) -> None:
    """The middleware's answer on a covered path, against the oracle (the application's part aside)."""
    headers = exchange.headers
    acao = header_values(headers, "Access-Control-Allow-Origin")
    origin = first_value(req.origin) if req.origin is not None else None
    allowed = origin is not None and origin_allowed(spec, origin)
    if allowed and not acao and origin is not None and req.origin is not None:
        first_raw = req.origin.split(",", 1)[0]
        if not host_is_dns_sized(origin) or len(first_raw) > 512:
            allowed = False  # longer than DNS allows (a 253-character host): may be refused unparsed
    if acao and origin is not None:
        # Soundness: never an Access-Control-Allow-Origin for an origin the policy does not allow.
        assert allowed, (acao, origin[:200], spec)
        assert acao == (["*"] if spec.any_origin else [origin]), (acao, origin[:200])
    if header_values(headers, "Access-Control-Allow-Credentials"):
        assert spec.credentials and acao
    if not spec.any_origin:
        vary = list_tokens(headers, "Vary")
        assert "origin" in vary or "*" in vary, headers

    if req.is_preflight:
        assert req.acrm is not None and origin is not None
        if not allowed:
            assert exchange.status == "403 Forbidden", exchange.status
            assert access_control(headers) == [], headers
        elif (verdict := preflight_passes(spec, req.acrm, req.acrh)) is None:
            assert exchange.status in ("204 No Content", "200 OK" if debug else "403 Forbidden"), exchange.status
        elif verdict:
            assert exchange.status == "204 No Content", (exchange.status, exchange.body[:300])
        elif debug:
            assert exchange.status == "200 OK", exchange.status
        else:
            assert exchange.status == "403 Forbidden", exchange.status
        if exchange.status == "204 No Content":
            check_allowed_preflight(spec, req, headers, exchange.body, origin)
        else:
            if not debug or not allowed:
                assert access_control(headers) == [], headers
            if debug:
                # A one-line, escaped reason.
                body = exchange.body.decode("ascii")
                assert body.startswith("CORS preflight refused: ") and body.endswith("\n") and body.count("\n") == 1
                assert not CONTROL.search(body[:-1])
            else:
                assert exchange.body == b""
        vary = list_tokens(headers, "Vary")
        assert {"access-control-request-method", "access-control-request-headers"} <= vary, headers
    elif origin is not None:
        if allowed:
            assert acao == (["*"] if spec.any_origin else [origin])
            assert header_values(headers, "Access-Control-Allow-Credentials") == (["true"] if spec.credentials else [])
            expose = header_values(headers, "Access-Control-Expose-Headers")
            assert expose == ([", ".join(spec.expose)] if spec.expose else []), expose
        else:
            assert access_control(headers) == [], headers
        assert bool(acao) == allowed, (acao, origin[:200])


def check_allowed_preflight(spec: Spec, req: Req, headers: list[tuple[str, str]], body: bytes, origin: str) -> None:
    assert req.acrm is not None
    assert body == b""
    method = first_value(req.acrm)
    assert method in SAFELISTED_METHODS or method in list_tokens_exact(headers, "Access-Control-Allow-Methods")
    requested = parse_acrh(req.acrh) if req.acrh else []
    assert requested is not None
    assert set(requested) <= list_tokens(headers, "Access-Control-Allow-Headers"), (requested, headers)
    assert header_values(headers, "Access-Control-Allow-Credentials") == (["true"] if spec.credentials else [])
    assert header_values(headers, "Access-Control-Max-Age") == ([str(spec.max_age)] if spec.max_age is not None else [])
    pna = header_values(headers, "Access-Control-Allow-Private-Network")
    if pna:
        assert pna == ["true"] and spec.private_network
        assert req.acrpn is not None and first_value(req.acrpn).strip(" \t").lower() == "true"
    elif spec.private_network and req.acrpn is not None and len(req.acrpn) <= 8:
        assert req.acrpn.strip(" \t").lower() != "true"
    if not spec.any_origin:
        assert "origin" in list_tokens(headers, "Vary")


def list_tokens_exact(headers: list[tuple[str, str]], name: str) -> set[str]:
    """Tokens of a list header, case kept (methods compare case-sensitively)."""
    return {t.strip(" \t") for v in header_values(headers, name) for t in v.split(",")}
