"""Origins: parsing one origin, and matching a request's origin against a policy.

Two parsers live here, for two different jobs:

* :func:`parse_configured_origin` reads what a *developer* wrote in ``allow_origins``.
  It is forgiving where the meaning is unambiguous (host case, an explicit default
  port, a single trailing slash, an internationalised host name) and raises
  :class:`OriginSyntaxError` with a hint for everything else.
* :func:`parse_request_origin` reads the ``Origin`` header a *client* sent.  It is
  strict: it accepts only an origin serialized the way a browser serializes it
  (lowercase scheme and host, no default port, no path).  Anything else is not
  matched by a pattern, a regular expression or a function, so nothing unusual is
  ever echoed back.

:class:`OriginMatcher` is built once from the configured origins.  Exact origins
are kept in a set (cost independent of their number); subdomain and any-port
patterns are kept in sets keyed so that a request's host is looked up label by
label, which makes it impossible for a pattern to accept a longer or foreign host.
"""

from __future__ import annotations

import functools
import inspect
import ipaddress
import logging
import re
from collections.abc import Callable
from typing import NamedTuple

import idna
from publicsuffixlist import PublicSuffixList

__all__ = [
    "DEFAULT_PORTS",
    "ConfiguredOrigin",
    "OriginMatcher",
    "OriginSyntaxError",
    "domain_to_ascii",
    "is_async_callable",
    "is_public_suffix",
    "parse_configured_origin",
    "parse_request_origin",
    "registrable_domain",
]

logger = logging.getLogger("cors_wsgi")

#: Ports that a browser omits when it serializes an origin of that scheme.
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

#: Longest ``Origin`` value worth parsing (scheme + 253-character host + port fit).
MAX_ORIGIN_LENGTH = 512

_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*")
_HOST_LABEL = re.compile(r"[a-z0-9_\-]+")  # as a URL host may be, like the request parser
_SERIALIZED_ORIGIN = re.compile(
    r"([a-z][a-z0-9+.\-]*)://"
    r"([a-z0-9_\-]+(?:\.[a-z0-9_\-]+)*|\[[0-9a-f:.]+\])"
    r"(?::([1-9][0-9]{0,4}))?"
)


_REGEX_SIGNS = re.compile(r"[\\^$(){}|+]")


class OriginSyntaxError(ValueError):
    """A configured origin cannot be understood; the message carries a hint."""


class _OtherSpelling(OriginSyntaxError):
    """A host that browsers send in another spelling, :attr:`host` (the hint names the whole origin)."""

    def __init__(self, message: str, host: str) -> None:
        super().__init__(message)
        self.host = host


class ConfiguredOrigin(NamedTuple):
    """One entry of ``allow_origins`` after parsing.

    ``kind`` is one of ``"any"`` (``*``), ``"null"``, ``"exact"``, ``"subdomains"``
    (``https://*.example.com``) or ``"any-port"`` (``https://example.com:*``).
    ``key`` is the normalized text used for matching: the serialized origin for
    ``exact``, ``scheme://host`` plus the port part for the patterns.
    """

    kind: str
    key: str


class RequestOrigin(NamedTuple):
    """A browser-serialized origin split into its parts (``port`` is ``""`` when implicit)."""

    scheme: str
    host: str
    port: str


def parse_request_origin(value: str) -> RequestOrigin | None:
    """Split an ``Origin`` header value, or return ``None`` if it is not a serialized origin.

    Only the exact form browsers send is accepted: lowercase scheme and host, a port
    only when it is not the scheme's default, nothing after the port.  The work is
    one bounded regular-expression match.
    """
    if len(value) > MAX_ORIGIN_LENGTH:
        return None
    match = _SERIALIZED_ORIGIN.fullmatch(value)
    if match is None:
        return None
    scheme, host, port = match.groups()
    if port is not None:
        number = int(port)
        if number > 65535 or DEFAULT_PORTS.get(scheme) == number:
            return None
        return RequestOrigin(scheme, host, port)
    return RequestOrigin(scheme, host, "")


def _suggest(scheme: str, authority: str) -> str:
    return f"did you mean {scheme + '://' + authority!r}?"


def _normalize_host(host: str) -> str:
    """The host as a browser serializes it (WHATWG URL host parser), or :class:`OriginSyntaxError`.

    ``*.`` is already removed.  ASCII host names are lowercased; internationalised names
    are converted with UTS #46 non-transitional processing (:func:`domain_to_ascii`);
    IPv6 literals are serialized compressed; an IPv4 address must already be in the
    dotted-decimal form a browser sends, otherwise the hint names that form.
    """
    if host.startswith("["):
        return _normalize_ipv6(host)
    if not host:
        raise OriginSyntaxError("an origin needs a host")
    if not host.isascii() or "xn--" in host.lower():
        host = domain_to_ascii(host)
    host = host.lower()
    if host.endswith("."):
        raise OriginSyntaxError(
            f"{host!r} ends with a dot, which makes it a different origin from {host.rstrip('.')!r} "
            "(browsers send it as written) — remove the dot"
        )
    labels = host.split(".")
    if _ends_in_number(labels):
        return _check_ipv4(host, labels)
    for label in labels:
        if not _HOST_LABEL.fullmatch(label):
            raise OriginSyntaxError(f"the host {host!r} is not a valid host name (bad label {label!r})")
    return host


def domain_to_ascii(host: str) -> str:
    """Convert a host name as the WHATWG URL standard does (UTS #46, non-transitional).

    ``faß.example`` becomes ``xn--fa-hia.example`` (IDNA 2003, Python's built-in
    ``idna`` codec, would give ``fass.example``, a different domain).  A name the
    conversion refuses raises :class:`OriginSyntaxError`, with the ``xn--`` spelling a
    browser may use when one can be computed.
    """
    try:
        mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError, ValueError):
        mapped = ""
    if mapped:
        try:
            # ASCII labels are kept as they are (browsers do not apply the STD3 rules, so '_' stays
            # allowed); only Unicode and 'xn--' labels go through IDNA 2008's conversion and checks.
            return ".".join(
                label if label.isascii() and not label.startswith("xn--") else idna.alabel(label).decode("ascii")
                for label in mapped.split(".")
            )
        except (idna.IDNAError, UnicodeError, ValueError):
            pass
    try:
        spelled = ".".join(
            label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
            for label in mapped.split(".")
        )
    except (UnicodeError, ValueError):
        spelled = ""
    message = f"the host {host!r} is not a valid internationalised domain name (UTS #46 / IDNA 2008)"
    if spelled and spelled.lower() != host.lower():
        raise _OtherSpelling(f"{message}; if your browser's address bar shows {spelled!r} for it,", spelled) from None
    raise OriginSyntaxError(message) from None


def _ends_in_number(labels: list[str]) -> bool:
    """The URL standard's "ends in a number": such a host is parsed as an IPv4 address."""
    last = labels[-1]
    if last.isdigit():
        return True
    return last.startswith("0x") and all(ch in "0123456789abcdef" for ch in last[2:])


def _ipv4_number(part: str) -> int | None:
    if part.startswith("0x"):
        digits, base = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if not digits:
        return 0
    try:
        return int(digits, base) if digits.isascii() and digits.isalnum() else None
    except ValueError:
        return None


def _check_ipv4(host: str, labels: list[str]) -> str:
    """``host`` if it is an IPv4 address in dotted-decimal form; otherwise a hint with that form."""
    numbers = [_ipv4_number(label) for label in labels]
    address: int | None = None
    if 1 <= len(numbers) <= 4 and None not in numbers:
        *leading, last = [n for n in numbers if n is not None]
        if all(n <= 255 for n in leading) and last < 256 ** (5 - len(numbers)):
            address = last
            for index, number in enumerate(leading):
                address += number << (8 * (3 - index))
    if address is None:
        raise OriginSyntaxError(f"{host!r} ends in a number but is not an IPv4 address, so browsers refuse it")
    canonical = str(ipaddress.IPv4Address(address))
    if canonical != host:
        raise _OtherSpelling(f"browsers read the address {host!r} as {canonical!r} and send that spelling —", canonical)
    return host


def _normalize_ipv6(host: str) -> str:
    """``[...]`` as the URL standard serializes it: lowercase, the longest zero run compressed."""
    inner = host[1:-1] if host.endswith("]") else ""
    if not inner or "%" in inner:
        raise OriginSyntaxError(f"{host!r} is not a valid IPv6 address literal")
    try:
        packed = ipaddress.IPv6Address(inner).packed
    except ValueError:
        raise OriginSyntaxError(f"{host!r} is not a valid IPv6 address literal") from None
    pieces = [int.from_bytes(packed[i : i + 2], "big") for i in range(0, 16, 2)]
    start, length = -1, 1  # only a run of two or more zero pieces is compressed: the first longest one
    index = 0
    while index < 8:
        if pieces[index]:
            index += 1
            continue
        end = index
        while end < 8 and pieces[end] == 0:
            end += 1
        if end - index > length:
            start, length = index, end - index
        index = end
    if start < 0:
        return "[" + ":".join(f"{piece:x}" for piece in pieces) + "]"
    head = ":".join(f"{piece:x}" for piece in pieces[:start])
    tail = ":".join(f"{piece:x}" for piece in pieces[start + length :])
    return f"[{head}::{tail}]"


@functools.cache
def _public_suffix_list() -> PublicSuffixList:
    # Built on first use (~70 ms, ICANN and private sections of the list the package ships);
    # only subdomain patterns and credentialed regexes need it, never a request.
    return PublicSuffixList()


def is_public_suffix(host: str) -> bool:
    """True when anyone can register a site directly under ``host`` (``com``, ``co.uk``, ``github.io``).

    From the Public Suffix List (ICANN and private sections), shipped offline by the
    ``publicsuffixlist`` package; unlisted top-level names count as public, as the
    list's default rule says.  ``localhost`` is not: its subdomains are loopback names.
    """
    return host != "localhost" and bool(_public_suffix_list().is_public(host))


def registrable_domain(host: str) -> str | None:
    """The registrable domain ("site") of ``host``: ``a.b.example.co.uk`` -> ``example.co.uk``.

    ``None`` when ``host`` is itself a public suffix (see :func:`is_public_suffix`).
    """
    if host == "localhost" or host.endswith(".localhost"):
        return "localhost"
    found = _public_suffix_list().privatesuffix(host)
    return found if isinstance(found, str) else None


def parse_configured_origin(text: object) -> ConfiguredOrigin:
    """Parse one entry of ``allow_origins`` written by a developer.

    Raises :class:`OriginSyntaxError` whose message explains the problem and, when
    the intent is clear, suggests the corrected spelling.
    """
    if not isinstance(text, str):
        raise OriginSyntaxError(f"an origin must be a string, not {type(text).__name__}")
    if text != text.strip():
        raise OriginSyntaxError(f"an origin has no surrounding white space — did you mean {text.strip()!r}?")
    if text == "*":
        return ConfiguredOrigin("any", "*")
    if text == "null":
        return ConfiguredOrigin("null", "null")
    if text.lower() == "null":
        raise OriginSyntaxError("the opaque origin is spelled in lowercase — did you mean 'null'?")
    if not text:
        raise OriginSyntaxError("an origin cannot be empty")
    if any(ch in text for ch in "\r\n\t\x00 "):
        raise OriginSyntaxError("an origin cannot contain white space or control characters")

    if _REGEX_SIGNS.search(text):
        raise OriginSyntaxError(
            "this looks like a regular expression; pass it as allow_origin_regex "
            "(it must match the whole origin), or use a pattern such as 'https://*.example.com'"
        )
    scheme, sep, rest = text.partition("://")
    if not sep:
        guess = text.split("/", 1)[0]
        scheme_guess = "http" if guess.split(":")[0] in ("localhost", "127.0.0.1") else "https"
        raise OriginSyntaxError(f"an origin needs a scheme — {_suggest(scheme_guess, guess)}")
    scheme = scheme.lower()
    if not _SCHEME.fullmatch(scheme):
        raise OriginSyntaxError(f"{scheme!r} is not a valid URL scheme")

    if rest.endswith("/") and not rest.endswith("//"):
        rest = rest[:-1]  # "https://example.com/" is unambiguous: drop one trailing slash
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in authority:
        raise OriginSyntaxError(f"an origin has no user information — {_suggest(scheme, authority.rsplit('@', 1)[1])}")
    if len(authority) != len(rest):
        what = {"/": "path", "?": "query", "#": "fragment"}[rest[len(authority)]]
        raise OriginSyntaxError(f"an origin has no {what} — {_suggest(scheme, authority)}")

    if authority.startswith("["):
        close = authority.find("]")
        host, port_text = authority[: close + 1], authority[close + 1 :]
        if close < 0 or (port_text and not port_text.startswith(":")):
            raise OriginSyntaxError(f"{authority!r} is not a valid IPv6 host")
        port_text = port_text[1:] if port_text else ""
        has_port = bool(authority[close + 1 :])
    else:
        host, has_colon, port_text = authority.partition(":")
        has_port = bool(has_colon)

    port = ""
    if has_port:
        if port_text == "*":
            port = ":*"
        elif port_text.isdigit() and port_text.isascii() and 0 < int(port_text) <= 65535:
            if DEFAULT_PORTS.get(scheme) != int(port_text):
                port = f":{int(port_text)}"
        else:
            raise OriginSyntaxError(f"{port_text!r} is not a port (a number from 1 to 65535, or '*' for any port)")

    subdomains = host.startswith("*.")
    bare_host = host[2:] if subdomains else host
    if "*" in bare_host:
        raise OriginSyntaxError(
            "'*' is only meaningful as a whole leading label ('https://*.example.com') "
            "or as the port ('https://example.com:*'); for a regular expression use allow_origin_regex"
        )
    try:
        bare_host = _normalize_host(bare_host)
    except _OtherSpelling as exc:
        shown = f"{scheme}://{'*.' if subdomains else ''}{exc.host}{port}"
        raise OriginSyntaxError(f"{exc} write {shown!r}") from None
    if subdomains:
        if bare_host.startswith("[") or _ends_in_number(bare_host.split(".")):
            raise OriginSyntaxError("an IP address has no subdomains")
        if "." not in bare_host and bare_host != "localhost":
            raise OriginSyntaxError(
                f"'*.{bare_host}' would accept every site under a top-level domain; "
                "name the registrable domain ('https://*.example.com')"
            )
        if is_public_suffix(bare_host):
            raise OriginSyntaxError(
                f"'*.{bare_host}' would accept every site under the public suffix {bare_host!r}, where anyone "
                f"can register one (Public Suffix List) — list your sites one by one "
                f"('{scheme}://yours.{bare_host}'), or decide in allow_origin_func"
            )
        return ConfiguredOrigin("subdomains", f"{scheme}://{bare_host}{port}")
    if port == ":*":
        return ConfiguredOrigin("any-port", f"{scheme}://{bare_host}")
    return ConfiguredOrigin("exact", f"{scheme}://{bare_host}{port}")


def _func_allows(result: object, origin: str) -> bool:
    """Whether an ``allow_origin_func`` result other than True/False/None allows ``origin``.

    An ``int`` or a :class:`re.Match` counts by its truth.  Anything else — above all an
    awaitable from an ``async def`` function, which is always true — is a refusal, logged.
    """
    if isinstance(result, (int, re.Match)):
        return bool(result)
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if callable(close):
            close()  # never awaited: closed so Python does not warn about it later
        logger.error(
            "allow_origin_func returned an awaitable (%s) for origin %r, not True or False; the origin is "
            "refused (the middleware cannot await it: give a plain function reading a cache refreshed elsewhere)",
            type(result).__name__,
            origin,
        )
        return False
    logger.error(
        "allow_origin_func returned %s for origin %r, not True or False; the origin is refused",
        type(result).__name__,
        origin,
    )
    return False


def is_async_callable(func: object) -> bool:
    """True for an ``async def`` function, async generator function, or object with an async ``__call__``."""
    call_method = inspect.getattr_static(type(func), "__call__", None)  # a class with ``async def __call__``
    for candidate in (func, call_method):
        if inspect.iscoroutinefunction(candidate) or inspect.isasyncgenfunction(candidate):
            return True
    return False


class OriginMatcher:
    """Decides whether a request's ``Origin`` is allowed; built once, read-only after.

    :meth:`match` returns the value to send in ``Access-Control-Allow-Origin`` (the
    origin itself) or ``None`` when the origin is not allowed.  A policy that allows
    every origin (``*``) is handled by the caller, which sends a static ``*``.
    """

    __slots__ = ("exact", "any_port", "subdomains", "regexes", "func", "_needs_parse")

    def __init__(
        self,
        configured: list[ConfiguredOrigin],
        regexes: tuple[re.Pattern[str], ...] = (),
        func: Callable[[str], object] | None = None,
    ) -> None:
        #: Serialized origins (and ``"null"`` when listed) looked up in O(1).
        self.exact = frozenset(o.key for o in configured if o.kind in ("exact", "null"))
        #: ``scheme://host`` of ``:*`` patterns.
        self.any_port = frozenset(o.key for o in configured if o.kind == "any-port")
        #: ``scheme://parent`` + ``""``/``":port"``/``":*"`` of ``*.`` patterns.
        self.subdomains = frozenset(o.key for o in configured if o.kind == "subdomains")
        #: Regular expressions an origin must match as a whole (any of them).
        self.regexes = regexes
        self.func = func
        self._needs_parse = bool(self.any_port or self.subdomains or regexes or func is not None)

    def match(self, origin: str) -> str | None:
        """Return the origin to echo if ``origin`` is allowed, else ``None``.

        A repeated header (joined with commas by the server) counts by its first value.
        """
        if origin in self.exact:
            return origin
        comma = origin.find(",")
        if comma >= 0:
            if comma > MAX_ORIGIN_LENGTH:
                return None  # the first value is too long to be an origin: not copied out
            origin = origin[:comma].strip(" \t")
            if origin in self.exact:
                return origin
        if not self._needs_parse:
            return None
        parsed = parse_request_origin(origin)
        if parsed is None:
            return None
        if self._matches_pattern(parsed):
            return origin
        for regex in self.regexes:
            if regex.fullmatch(origin):
                return origin
        if self.func is not None:
            try:
                result = self.func(origin)
            except Exception:
                logger.exception("allow_origin_func raised for origin %r; the origin is refused", origin)
                return None
            if result is True or (result is not False and result is not None and _func_allows(result, origin)):
                return origin
        return None

    def _matches_pattern(self, parsed: RequestOrigin) -> bool:
        scheme, host, port = parsed
        if self.any_port and f"{scheme}://{host}" in self.any_port:
            return True
        if not self.subdomains or host.startswith("["):
            return False
        port_part = f":{port}" if port else ""
        dot = host.find(".")
        while dot >= 0:
            parent = f"{scheme}://{host[dot + 1 :]}"
            if parent + port_part in self.subdomains or parent + ":*" in self.subdomains:
                return True
            dot = host.find(".", dot + 1)
        return False
