"""The test suites' second opinion: what the middleware should answer, written from the rules.

One model, used by ``tests/test_properties.py`` and the fuzz suite (``tests/fuzz``, through
``fuzz_support``), and by whatever else compares the library's answers with the CORS rules.
Nothing here imports ``cors_wsgi`` or ``flask_cors_ext``: every fact is written out from
``cors-facts.md`` and the README (the option table; the 2 KiB / 64-element limit on
``Access-Control-Request-Headers``; the path a policy is chosen on), so that a mistake in
the library's decision code cannot be repeated here.  ``test_the_oracle_is_independent``
in ``tests/test_properties.py`` keeps it so.

* :class:`Spec` -- what one policy allows, in the oracle's own terms (the generators that
  draw a configuration write its ``Spec`` down next to it, by hand);
* :func:`origin_allowed`, :func:`method_allowed`, :func:`parse_acrh`, :func:`preflight_passes`,
  :func:`route_path` -- the rules;
* :class:`Req` and :class:`Exchange` -- a request (and its WSGI environ) and the answer seen;
* :func:`check_wire` -- what any answer must look like, whatever the policy;
  :func:`check_cors` -- the answer on a path the policy covers, against the rules.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# ---------------------------------------------------------------------------------------
# Facts, written out here (not imported from the library)
# ---------------------------------------------------------------------------------------

TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# C0 controls and DEL: never in a header value, never raw in a log line.  U+0085, U+2028 and
# U+2029 end a line for str.splitlines(), so they are as good as a newline in a log viewer.
CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
#: An origin exactly as a browser serializes it: lowercase scheme and host, ASCII, a port only
#: when it is not the scheme's default (ASCII digits: ``\d`` would take any Unicode digit).
SERIALIZED = re.compile(r"([a-z][a-z0-9+.\-]*)://([a-z0-9_\-]+(?:\.[a-z0-9_\-]+)*|\[[0-9a-f:.]+\])(?::([0-9]+))?")
DEFAULT_PORT = {"http": 80, "https": 443, "ws": 80, "wss": 443}
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
#: Browsers uppercase these six, so a configuration reads a lowercase spelling as them.
UPPERCASED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
SAFELISTED_HEADERS = frozenset({"accept", "accept-language", "content-language", "content-type"})
#: The body of a refused preflight in debug mode: one line, this prefix, the reason escaped.
REFUSAL_PREFIX = "CORS preflight refused: "
DEBUG_CONTENT_TYPE = "text/plain; charset=utf-8"


def first_value(value: str) -> str:
    """A repeated header arrives joined by ", "; its first value counts."""
    return value.split(",", 1)[0].strip(" \t") if "," in value else value


def header_values(headers: list[tuple[str, str]], name: str) -> list[str]:
    """Every value of ``name`` (compared case-insensitively), in order."""
    return [v for n, v in headers if n.lower() == name.lower()]


def list_tokens(headers: list[tuple[str, str]], name: str) -> set[str]:
    """The elements of a list header (every value of it), lowercased, empty ones dropped."""
    return {t.strip(" \t").lower() for v in header_values(headers, name) for t in v.split(",") if t.strip(" \t")}


def list_tokens_exact(headers: list[tuple[str, str]], name: str) -> set[str]:
    """Tokens of a list header, case kept (methods compare case-sensitively)."""
    return {t.strip(" \t") for v in header_values(headers, name) for t in v.split(",")}


def access_control(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The ``Access-Control-*`` headers, as sent."""
    return [(n, v) for n, v in headers if n.lower().startswith("access-control-")]


# ---------------------------------------------------------------------------------------
# A policy, and the rules
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """What one policy allows, in the oracle's own terms."""

    any_origin: bool = False
    null: bool = False
    exact: frozenset[str] = frozenset()  # serialized origins
    subdomains: tuple[tuple[str, str, str], ...] = ()  # (scheme, parent host, "" default | "*" | port digits)
    any_port: frozenset[tuple[str, str]] = frozenset()  # (scheme, host)
    regex: re.Pattern[str] | None = None
    func: Callable[[str], object] | None = None
    credentials: bool = False
    methods: frozenset[str] | None = None  # None: "*"
    headers: frozenset[str] | None = None  # lowercase; None: "*"
    expose: tuple[str, ...] = ()
    max_age: int | None = None
    private_network: bool = False
    seeds: tuple[str, ...] = field(default=(), compare=False)  # origins requests aim near


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


def method_allowed(spec: Spec, acrm: str) -> bool:
    """Is the requested method (``Access-Control-Request-Method``, its first value) allowed?"""
    method = first_value(acrm)
    if method in SAFELISTED_METHODS:
        return True
    if spec.methods is None:
        return TOKEN.fullmatch(method) is not None
    return method in spec.methods


def preflight_passes(spec: Spec, acrm: str, acrh: str | None) -> bool | None:
    """With the origin allowed: are the method and the header list allowed?  ``None``: either
    answer is right (a method value longer than any browser sends may be refused unread)."""
    passes = _preflight_passes(spec, acrm, acrh)
    return None if passes and len(acrm) > 64 else passes


def _preflight_passes(spec: Spec, acrm: str, acrh: str | None) -> bool:
    if not method_allowed(spec, acrm):
        return False
    if acrh:
        names = parse_acrh(acrh)
        if names is None:
            return False
        if spec.headers is not None and any(n not in spec.headers and n not in SAFELISTED_HEADERS for n in names):
            return False
    return True


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


# ---------------------------------------------------------------------------------------
# A request and the answer to it
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
        """A complete WSGI environ for the request (the header values as a server hands them over)."""
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


@dataclass
class Exchange:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


# ---------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------


def check_wire(exchange: Exchange) -> None:
    """What any response must look like on the wire, whatever the policy."""
    assert re.fullmatch(r"[1-5][0-9][0-9] [^\x00-\x1f\x7f]*", exchange.status), exchange.status
    for name, value in exchange.headers:
        assert isinstance(name, str)
        assert isinstance(value, str)
        assert TOKEN.fullmatch(name), name
        assert not CONTROL.search(value), (name, value[:200])  # no CR, LF or NUL among them
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
    if acao:
        # Soundness: never an Access-Control-Allow-Origin for an origin the policy does not allow;
        # '*' only from a '*' policy, and otherwise exactly the request's own origin.
        if spec.any_origin:
            assert acao == ["*"], (acao, spec)
        else:
            assert origin is not None and allowed, (acao, None if origin is None else origin[:200], spec)
            assert acao == [origin], (acao, origin[:200])
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
                # A one-line, escaped reason, as UTF-8 text of its stated length.
                body = exchange.body.decode("ascii")
                assert body.startswith(REFUSAL_PREFIX) and body.endswith("\n") and body.count("\n") == 1
                assert not CONTROL.search(body[:-1])
                assert header_values(headers, "Content-Type") == [DEBUG_CONTENT_TYPE], headers
                assert header_values(headers, "Content-Length") == [str(len(exchange.body))], headers
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
    elif spec.any_origin:
        # No Origin: a public policy's answer is static, '*' all the same (cache safety).
        assert acao == ["*"], headers
        assert header_values(headers, "Access-Control-Allow-Credentials") == []
    else:
        assert access_control(headers) == [], headers


def check_allowed_preflight(spec: Spec, req: Req, headers: list[tuple[str, str]], body: bytes, origin: str) -> None:
    assert req.acrm is not None
    assert body == b""
    assert header_values(headers, "Access-Control-Allow-Origin") == (["*"] if spec.any_origin else [origin]), headers
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
