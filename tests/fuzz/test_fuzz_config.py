"""Random valid and invalid configurations: a policy, or one ``CORSConfigError`` listing every problem.

Options are drawn with every name ``CORSPolicy`` takes (and some it does not), each
with a value that is right, nearly right, or garbage: ints, floats, bytes, nested
lists, dicts, sets, huge strings, CR/LF, NUL and other control characters, unicode,
compiled patterns (str and bytes), callables.  Whatever happens:

* the result is a ``CORSPolicy`` or a ``CORSConfigError`` (a ``ValueError``), never
  any other exception, and ``CORSMiddleware`` agrees with ``CORSPolicy``;
* a ``CORSConfigError`` lists at least one problem, and neither a problem nor the
  message carries a raw control character (the message's own line breaks aside);
* a policy that was built answers a request and a preflight without raising.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from fuzz_support import (
    CONTROL,
    OPTION_NAMES,
    DrawSource,
    RandomSource,
    Req,
    Source,
    boolean,
    budget,
    chance,
    check_wire,
    huge,
    latin1,
    pick,
    serve,
)
from hypothesis import given, note
from hypothesis import strategies as st

from cors_wsgi import CORSConfigError, CORSMiddleware, CORSPolicy
from flask_cors_ext import CORS

ANY_TEXT = "".join(map(chr, range(0x250))) + "\u2028\u2029\u3002\ufb01\u0130\u212a\U0001f600"
INJECTIONS = ("\r\n", "\n", "\r", "\x00", "\x7f", "\x1b", "\x85", "\u2028", "\t", "\x0b")


class Opaque:
    """An object no option accepts."""


ATOMS: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    1,
    -1,
    600,
    86400,
    86401,
    2**70,
    1.5,
    float("nan"),
    float("inf"),
    b"https://a.example.com",
    bytearray(b"GET"),
    timedelta(seconds=600),
    timedelta(seconds=1.5),
    timedelta(days=-1),
    timedelta(days=2),
    re.compile(r"https://a\.example\.com"),
    re.compile(rb"https://a\.example\.com"),
    re.compile(r"/api/.*"),
    Opaque(),
    len,
    int,
    str.isupper,
    (),
    [],
    {},
    frozenset(),
    "",
    "*",
    "null",
)
ORIGIN_TEXTS = (
    "https://a.example.com",
    "https://*.example.com",
    "http://localhost:*",
    "https://*.example.com:*",
    "http://[::1]:8080",
    "null",
    "NULL",
    "*",
    "https://a.example.com/",
    "https://a.example.com/path",
    "https://a.example.com?q",
    "https://a.example.com#f",
    "a.example.com",
    "localhost:3000",
    "https://user@a.example.com",
    "https://exa mple.com",
    " https://a.example.com",
    "https://bücher.example",
    "https://xn--.example",
    "https://[::1",
    "https://[zz]",
    "https://*.com",
    "https://*example.com",
    "https://foo.*.com",
    "https://*.1.2.3.4",
    "https://a.example.com:0",
    "https://a.example.com:65536",
    "https://a.example.com:port",
    "HTTPS://A.EXAMPLE.COM:443/",
    "https://.*\\.example\\.com",
    "1http://a",
    "https://a..b",
    "https://",
)
METHOD_TEXTS = ("GET", "PUT", "patch", "PATCH", "delete", "CONNECT", "trace", "X-Custom", "X Y", "GET,PUT", "*", "")
HEADER_TEXTS = (
    "X-Token",
    "Content-Type",
    "Cookie",
    "Sec-Fetch-Mode",
    "Proxy-X",
    "Origin",
    "Set-Cookie",
    "X Y",
    "*",
    "",
)
REGEX_TEXTS = (
    r"https://[a-z]+\.example\.com",
    r".*",
    r"https?://.*",
    r"null|https://a\.example\.com",
    "(",
    "[a-z",
    "a{2,1}",
    "(?P<a>x)(?P<a>y)",
    "\\",
    "(?<\n",
    "(?\r)",
    "(?P<a\nb>x)",
)
PATH_KEYS: tuple[Any, ...] = (
    "/api/*",
    "/api",
    "/*",
    "*",
    "api",
    "/a*b",
    "/api/.*",
    "/api/(x)",
    "/\r\n",
    re.compile(r"/r/[0-9]+"),
    re.compile(rb"/r"),
    1,
    None,
    ("/t",),
)
UNKNOWN_NAMES = ("origins", "allow_origin", "max-age", "ALLOW_ORIGINS", "allow_headers ", "\r\nallow_origins", "")


def hostile_text(src: Source, pool: tuple[str, ...]) -> str:
    """A string from ``pool``, perhaps with a control character or unicode put in, or made huge."""
    kind = src.integer(0, 9)
    if kind <= 4:
        return pick(src, pool)
    if kind <= 6:
        text = pick(src, pool)
        at = src.integer(0, len(text))
        return text[:at] + pick(src, INJECTIONS) + text[at:]
    if kind == 7:
        return src.text(ANY_TEXT, 30)
    if kind == 8:
        return latin1(src, 30)
    return huge(src)[:5000]


def garbage(src: Source, depth: int = 0) -> Any:
    kind = src.integer(0, 7 if depth < 2 else 3)
    if kind <= 1:
        return pick(src, ATOMS)
    if kind == 2:
        return hostile_text(src, ORIGIN_TEXTS + METHOD_TEXTS + HEADER_TEXTS)
    if kind == 3:
        return latin1(src, 20).encode("latin-1")
    if kind == 4:
        return [garbage(src, depth + 1) for _ in range(src.integer(0, 4))]
    if kind == 5:
        return tuple(garbage(src, depth + 1) for _ in range(src.integer(0, 3)))
    if kind == 6:
        return {pick(src, ("a", "b", "*")): garbage(src, depth + 1) for _ in range(src.integer(0, 2))}
    return frozenset(hostile_text(src, HEADER_TEXTS) for _ in range(src.integer(0, 3)))


def list_of(src: Source, pool: tuple[str, ...]) -> Any:
    items = [hostile_text(src, pool) if not chance(src, 6) else garbage(src, 1) for _ in range(src.integer(0, 5))]
    if boolean(src) and all(isinstance(item, str) for item in items):
        return ", ".join(items)
    return items if boolean(src) else tuple(items)


def value_for(src: Source, name: str, depth: int) -> Any:
    if chance(src, 5):
        return garbage(src)
    if name == "allow_origins":
        return list_of(src, ORIGIN_TEXTS) if not chance(src, 4) else hostile_text(src, ORIGIN_TEXTS)
    if name == "allow_origin_regex":
        text = hostile_text(src, REGEX_TEXTS)
        return re.compile(text) if boolean(src) and _compiles(text) else text
    if name == "allow_origin_func":
        return pick(src, (lambda origin: True, lambda origin: origin.endswith(".example.com"), len, None, "f"))
    if name == "allow_methods":
        return list_of(src, METHOD_TEXTS)
    if name in ("allow_headers", "expose_headers"):
        return list_of(src, HEADER_TEXTS)
    if name in ("allow_credentials", "allow_private_network", "debug"):
        return boolean(src) if not chance(src, 4) else pick(src, (0, 1, "true", "False", None))
    if name == "max_age":
        return pick(src, (0, 600, 86400, 86401, -1, 1.5, "600", timedelta(minutes=10), timedelta(seconds=0.5), None))
    if name == "resources":
        if depth > 0:
            return garbage(src)
        return {pick(src, PATH_KEYS): entry(src) for _ in range(src.integer(0, 3))}
    raise AssertionError(name)


def _compiles(text: str) -> bool:
    try:
        re.compile(text)
    except (re.error, RecursionError, OverflowError):
        return False
    return True


def entry(src: Source) -> Any:
    kind = src.integer(0, 5)
    if kind == 0:
        return garbage(src)
    if kind == 1:
        return CORSPolicy(allow_origins=["https://a.example.com"])
    return options(src, depth=1)


def options(src: Source, depth: int = 0) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    for _ in range(src.integer(0, 6)):
        name = pick(src, OPTION_NAMES) if not chance(src, 12) else pick(src, UNKNOWN_NAMES)
        chosen[name] = value_for(src, name, depth) if name in OPTION_NAMES else garbage(src)
    return chosen


# ---------------------------------------------------------------------------------------
# The properties
# ---------------------------------------------------------------------------------------


def check_error(error: CORSConfigError) -> None:
    assert isinstance(error, ValueError)
    assert len(error.problems) >= 1
    for problem in error.problems:
        assert isinstance(problem, str) and problem
        assert not CONTROL.search(problem), problem[:500]
    message = str(error)
    assert len(message.split("\n")) == 1 + len(error.problems), message[:500]
    assert "\r" not in message


def build_or_error(opts: dict[str, Any]) -> CORSPolicy | CORSConfigError:
    try:
        return CORSPolicy(**opts)
    except CORSConfigError as error:
        return error


def check_options(opts: dict[str, Any]) -> None:
    result = build_or_error(opts)
    if isinstance(result, CORSConfigError):
        check_error(result)
        with pytest.raises(CORSConfigError) as caught:
            CORSMiddleware(lambda environ, start_response: [], **opts)
        assert caught.value.problems == result.problems
        return
    assert isinstance(result, CORSPolicy)
    app_calls: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        app_calls.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    middleware = CORSMiddleware(app, result)
    for req in (
        Req("GET", "/api/items", "https://a.example.com"),
        Req("OPTIONS", "/api/items", "https://a.example.com", "PUT", "x-token"),
        Req("GET", "/r/1", None),
    ):
        check_wire(serve(middleware, req.environ()))


# A developer's regular expression such as '[[a]' makes re warn (FutureWarning); the suite turns
# warnings into errors, so these are ignored here.
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@budget(2000)
@given(data=st.data())
def test_random_configuration_drawn(data: st.DataObject) -> None:
    opts = options(DrawSource(data.draw))
    note(repr(opts)[:2000])
    check_options(opts)


@budget(200)
@given(seed=st.integers(0, 2**64 - 1))
def test_random_configuration_seeded(seed: int) -> None:
    src = RandomSource(seed)
    for _ in range(100):
        opts = options(src)
        try:
            check_options(opts)
        except BaseException:
            note(repr(opts)[:2000])
            raise


FLASK_ALIASES = ("origins", "methods", "supports_credentials", "send_wildcard", "vary_header", "automatic_options")
FLASK_ALIASES += ("always_send", "intercept_exceptions")


def flask_options(src: Source) -> tuple[dict[str, Any], dict[str, Any]]:
    """(keyword options, CORS_* config keys), flask-cors spellings included."""
    core = options(src)
    keywords: dict[str, Any] = {}
    for name, value in core.items():
        renamed = {"allow_origins": "origins", "allow_methods": "methods", "allow_credentials": "supports_credentials"}
        keywords[renamed.get(name, name) if boolean(src) else name] = value
    for _ in range(src.integer(0, 2)):
        keywords[pick(src, FLASK_ALIASES)] = pick(src, (True, False, None, "yes", 1))
    config = {f"CORS_{name.upper()}": value for name, value in options(src).items() if chance(src, 2)}
    return keywords, config


@budget(120)
@given(seed=st.integers(0, 2**64 - 1))
def test_random_flask_configuration_seeded(seed: int) -> None:
    src = RandomSource(seed)
    for _ in range(20):
        keywords, config = flask_options(src)
        app = Flask("fuzz_config")
        app.config.update(config)

        @app.route("/api/items")
        def items() -> str:
            return "items"

        try:
            CORS(app, **keywords)
            for req in (
                Req("GET", "/api/items", "https://a.example.com"),
                Req("OPTIONS", "/api/items", "https://a.example.com", "PUT", "x-token"),
            ):
                check_wire(serve(app, req.environ()))
        except CORSConfigError as error:
            check_error(error)
        except BaseException:
            note(f"keywords={keywords!r}"[:2000] + f"\nconfig={config!r}"[:2000])
            raise
