"""Header names: tokens, the bounded ``Access-Control-Request-Headers`` parser, ``Vary`` merging.

Everything here is either run once at configuration time (token checks, the tables
of forbidden and safelisted names) or is a bounded, linear pass over one request
header (:func:`parse_request_headers`) or over the application's response headers
(:func:`add_cors_headers`, and :func:`add_raw_cors_headers` for the bytes headers of
ASGI).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

__all__ = [
    "FORBIDDEN_REQUEST_HEADERS",
    "MAX_REQUEST_HEADERS_LENGTH",
    "MAX_REQUEST_HEADER_NAMES",
    "SAFELISTED_REQUEST_HEADERS",
    "CORSResponseHeaders",
    "RawCORSHeaders",
    "add_cors_headers",
    "add_raw_cors_headers",
    "encode_headers",
    "forbidden_request_header_hint",
    "is_token",
    "parse_request_headers",
]

Header = tuple[str, str]
#: A header as ASGI carries it: lowercase name, value as latin-1 bytes.
RawHeader = tuple[bytes, bytes]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# What may appear, after lowercasing, in a well-formed Access-Control-Request-Headers
# value: token characters, the list separator and optional white space.
_REQUEST_HEADERS_VALUE = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z, \t]*")

#: Longest ``Access-Control-Request-Headers`` value that is parsed at all; a longer one
#: is refused without being looked at.  Browsers send the names they need, lowercased,
#: sorted, unique and comma-separated: 2 KiB is far beyond any real request.
MAX_REQUEST_HEADERS_LENGTH = 2048
#: Most comma-separated elements (names, and empty ones) one preflight may carry.
MAX_REQUEST_HEADER_NAMES = 64

#: Names a script can never set (Fetch "forbidden request-header"), lowercase.
FORBIDDEN_REQUEST_HEADERS = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "access-control-request-private-network",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)
_FORBIDDEN_PREFIXES = ("proxy-", "sec-")

#: Request headers that are always accepted in a preflight, whatever ``allow_headers``
#: says: the CORS-safelisted names.  Browsers list them in a preflight only when their
#: value is unusual (``Content-Type: application/json``); refusing them would only
#: break JSON APIs for origins that are already allowed.
SAFELISTED_REQUEST_HEADERS = frozenset({"accept", "accept-language", "content-language", "content-type"})


def is_token(value: str) -> bool:
    """True if ``value`` is an HTTP token (RFC 9110), the syntax of names and methods."""
    return _TOKEN.fullmatch(value) is not None


def forbidden_request_header_hint(name: str) -> str | None:
    """Explain why listing ``name`` in ``allow_headers`` is a mistake, or ``None`` if it is not."""
    lowered = name.lower()
    if lowered in ("cookie", "cookie2"):
        return "browsers never let scripts set it; cookies are sent when allow_credentials=True"
    if lowered.startswith("access-control-request-") or lowered == "origin":
        return "the browser sets it itself on every CORS request; it needs no listing"
    if lowered in FORBIDDEN_REQUEST_HEADERS or lowered.startswith(_FORBIDDEN_PREFIXES):
        return "it is a forbidden request header: browsers never let scripts set it, so listing it has no effect"
    return None


def parse_request_headers(value: str) -> list[str] | None:
    """Parse ``Access-Control-Request-Headers`` leniently and with bounded work.

    Accepts any letter case, spaces and tabs around names, any order, duplicates and
    empty elements.  Returns the distinct names, lowercased, in order of first
    appearance; ``None`` when the value is malformed (a character that cannot be in
    a header name, white space inside a name), longer than
    :data:`MAX_REQUEST_HEADERS_LENGTH` characters, or made of more than
    :data:`MAX_REQUEST_HEADER_NAMES` comma-separated elements (empty ones included).
    Never raises on a ``str``; an oversized value is refused after counting its
    commas, before anything is allocated for it.
    """
    if len(value) > MAX_REQUEST_HEADERS_LENGTH or value.count(",") >= MAX_REQUEST_HEADER_NAMES:
        return None
    value = value.lower()
    if _REQUEST_HEADERS_VALUE.fullmatch(value) is None:
        return None
    names = value.split(",")
    if " " in value or "\t" in value:
        names = [name.strip() for name in names]  # the only white space left is " " and "\t"
        for name in names:
            if " " in name or "\t" in name:
                return None
    if "" in names:
        names = [name for name in names if name]
    if len(set(names)) != len(names):
        names = list(dict.fromkeys(names))
    return names


def _vary_tokens(value: str) -> set[str]:
    return {token.strip(" \t").lower() for token in value.split(",")}


class CORSResponseHeaders(NamedTuple):
    """What to fold into the application's response headers (built once per policy or origin).

    ``headers`` are appended; ``vary`` (``"Origin"`` or ``None``) is merged into the
    application's ``Vary``; ``plain`` is ``headers`` plus a ``Vary`` header of its own:
    the whole result of :func:`add_cors_headers` when the application sent no ``Vary``
    and no ``Access-Control-*`` header, which callers may check for first.
    """

    headers: tuple[Header, ...]
    vary: str | None
    plain: tuple[Header, ...]

    @classmethod
    def build(cls, headers: tuple[Header, ...], vary: str | None) -> CORSResponseHeaders:
        """The answer appending ``headers`` and merging ``vary``."""
        return cls(headers, vary, (*headers, ("Vary", vary)) if vary is not None else headers)


def add_cors_headers(app_headers: list[Header], cors: CORSResponseHeaders) -> list[Header]:
    """Return the application's response headers with the CORS answer folded in.

    * The application's own ``Access-Control-*`` headers are dropped: on a path the
      middleware covers, it alone decides (two ``Access-Control-Allow-Origin`` values
      make the browser fail the request).
    * ``cors.vary`` is merged into the application's ``Vary``: appended to its last
      ``Vary`` header unless already named there (in any case) or the application
      varies on ``*``; added as a header of its own otherwise.
    * ``cors.headers`` are appended.
    """
    headers, vary, _ = cors
    merged: list[Header] = []
    last_vary = -1
    vary_needed = vary is not None
    vary_lower = vary.lower() if vary is not None else ""
    for header in app_headers:
        lowered = header[0].lower()
        if lowered.startswith("access-control-"):
            continue
        if lowered == "vary" and vary_needed:
            last_vary = len(merged)
            tokens = _vary_tokens(header[1])
            if "*" in tokens or vary_lower in tokens:
                vary_needed = False
        merged.append(header)
    if vary_needed:
        if last_vary >= 0:
            name, value = merged[last_vary]
            merged[last_vary] = (name, f"{value}, {vary}" if value.strip() else str(vary))
        else:
            merged.append(("Vary", str(vary)))
    merged.extend(headers)
    return merged


# -- the bytes form (ASGI) -------------------------------------------------------------


def encode_headers(headers: Iterable[Header]) -> tuple[RawHeader, ...]:
    """``headers`` as ASGI sends them: names lowercased, names and values encoded as latin-1.

    Every value this library builds is latin-1 text (ASCII, or a request's own latin-1
    bytes echoed back), so encoding never fails on them.
    """
    return tuple((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers)


class RawCORSHeaders(NamedTuple):
    """A :class:`CORSResponseHeaders` in the bytes form of ASGI (see :func:`add_raw_cors_headers`).

    ``headers`` are appended; ``vary`` (``b"Origin"`` or ``None``) is merged into the
    application's ``vary``; ``plain`` is ``headers`` plus a ``vary`` header of its own,
    the whole result when the application sent no ``vary`` and no ``access-control-*``
    header.  Names are lowercase bytes.
    """

    headers: tuple[RawHeader, ...]
    vary: bytes | None
    plain: tuple[RawHeader, ...]

    @classmethod
    def encode(cls, cors: CORSResponseHeaders) -> RawCORSHeaders:
        """The bytes form of ``cors`` (built once per policy or origin, or per request for the others)."""
        return cls(
            encode_headers(cors.headers),
            cors.vary.encode("latin-1") if cors.vary is not None else None,
            encode_headers(cors.plain),
        )


def _raw_vary_tokens(value: bytes) -> set[bytes]:
    return {token.strip(b" \t").lower() for token in value.split(b",")}


def add_raw_cors_headers(app_headers: Iterable[Sequence[bytes]], cors: RawCORSHeaders) -> list[RawHeader]:
    """:func:`add_cors_headers` for ASGI's bytes headers: a new list, ``app_headers`` untouched.

    The application's ``access-control-*`` headers are dropped (any letter case);
    ``cors.vary`` is merged into its last ``vary`` header unless already named there or
    the application varies on ``*``, added as a header of its own otherwise; then
    ``cors.headers`` are appended.  Header pairs may be tuples or two-item lists (ASGI
    allows both); the application's are kept as they came.
    """
    headers, vary, _ = cors
    merged: list[Any] = []
    last_vary = -1
    vary_needed = vary is not None
    vary_lower = vary.lower() if vary is not None else b""
    for header in app_headers:
        lowered = header[0].lower()
        if lowered.startswith(b"access-control-"):
            continue
        if lowered == b"vary" and vary_needed:
            last_vary = len(merged)
            tokens = _raw_vary_tokens(header[1])
            if b"*" in tokens or vary_lower in tokens:
                vary_needed = False
        merged.append(header)
    if vary is not None and vary_needed:
        if last_vary >= 0:
            name, value = merged[last_vary]
            # Blank as text (str.strip, as add_cors_headers): the same answer as the WSGI adapter's.
            merged[last_vary] = (name, value + b", " + vary if value.decode("latin-1").strip() else vary)
        else:
            merged.append((b"vary", vary))
    merged.extend(headers)
    return merged
