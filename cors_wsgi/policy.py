"""Options in, validated and immutable policy out: the configuration "compiler".

:class:`CORSPolicy` checks every option once, collects *all* problems into a single
:class:`~cors_wsgi.CORSConfigError`, normalizes what is unambiguous, and hands the
result to :class:`~cors_wsgi.engine.CompiledPolicy`, which precomputes every
response-header value that does not depend on the request.  The request path
(:mod:`cors_wsgi.engine`) then does only dictionary and set look-ups on those values.
This module imports the engine, never the reverse.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypedDict, Union

from .engine import CompiledPolicy
from .errors import CORSConfigError
from .headers import forbidden_request_header_hint, is_token
from .methods import DEFAULT_METHODS, FORBIDDEN_METHODS, NORMALIZED_METHODS
from .origins import ConfiguredOrigin, OriginSyntaxError, is_async_callable, parse_configured_origin
from .regex_safety import backtracking_problems, lookalike_problem
from .resources import MatchFromStart, PathPattern, PathPatternError, ResourceTable, parse_path_pattern

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "DEFAULT_METHODS",
    "OPTION_NAMES",
    "ORIGIN_OPTIONS",
    "CORSOptions",
    "CORSPolicy",
    "CompiledPolicy",
    "merge_options",
]

Header = tuple[str, str]
PathKey = Union[str, "re.Pattern[str]", MatchFromStart]

MAX_MAX_AGE = 86400


class CORSOptions(TypedDict, total=False):
    """The options of :class:`CORSPolicy` and :class:`~cors_wsgi.CORSMiddleware`.

    See the README's option table for the meaning and default of each.
    """

    allow_origins: str | Iterable[str]
    allow_origin_regex: str | re.Pattern[str] | Iterable[str | re.Pattern[str]] | None
    allow_origin_func: Callable[[str], object] | None
    allow_methods: str | Iterable[str]
    allow_headers: str | re.Pattern[str] | Iterable[str | re.Pattern[str]]
    expose_headers: str | Iterable[str]
    allow_credentials: bool
    max_age: int | timedelta | None
    allow_private_network: bool
    resources: Mapping[PathKey, Mapping[str, Any] | CORSPolicy] | None
    debug: bool


#: Every option name, in documentation order.
OPTION_NAMES: tuple[str, ...] = tuple(CORSOptions.__annotations__)
# Options that describe the whole middleware, not one path's policy.
_TOP_LEVEL_ONLY = ("resources", "debug")


#: The options that together say which origins are allowed; inherited as one unit.
ORIGIN_OPTIONS = ("allow_origins", "allow_origin_regex", "allow_origin_func")


def merge_options(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Options of several layers (defaults first), each later layer overriding the earlier ones.

    The origin options (:data:`ORIGIN_OPTIONS`) are one unit: a layer that sets any of
    them replaces all three, so that a ``resources`` entry with only an
    ``allow_origin_regex`` does not also inherit ``allow_origins="*"``.
    """
    merged: dict[str, Any] = {}
    for layer in layers:
        if any(name in layer for name in ORIGIN_OPTIONS):
            for name in ORIGIN_OPTIONS:
                merged.pop(name, None)
        merged.update(layer)
    return merged


class _Problems:
    """Collects configuration problems, each prefixed with where it was found."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.messages: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.messages.append(f"{self.prefix}{where}: {message}")

    def nested(self, prefix: str) -> _Problems:
        child = _Problems(self.prefix + prefix)
        child.messages = self.messages
        return child


def _check_names(names: Iterable[object], problems: _Problems, where: str, allowed: tuple[str, ...]) -> None:
    for name in names:
        if name in allowed:
            continue
        close = difflib.get_close_matches(str(name), allowed, n=1)
        hint = f" — did you mean {close[0]!r}?" if close else f"; the options are: {', '.join(allowed)}"
        problems.add(where, f"unknown option {name!r}{hint}")


def _as_list(value: object, problems: _Problems, name: str) -> list[object] | None:
    """A str is a comma-separated list; other iterables are taken element by element."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
        problems.add(name, f"expected a str or an iterable of str, not {type(value).__name__}")
        return None
    return list(value)


def _tokens(
    value: object,
    problems: _Problems,
    name: str,
    what: str,
    patterns: list[tuple[int, re.Pattern[str]]] | None = None,
) -> list[tuple[int, str]] | None:
    """The valid tokens of ``value`` with their positions, reporting every invalid one.

    ``[(i, "*")]`` for the wildcard; ``None`` when ``value`` is not a list at all.  When
    ``patterns`` is given, compiled regular expressions are collected there (with their
    positions) instead of being refused.
    """
    if isinstance(value, re.Pattern):
        value = [value]
    items = _as_list(value, problems, name)
    if items is None:
        return None
    good: dict[str, int] = {}
    for index, item in enumerate(items):
        if patterns is not None and isinstance(item, re.Pattern):
            patterns.append((index, item))
        elif not isinstance(item, str):
            problems.add(f"{name}[{index}]", f"expected a str, not {type(item).__name__}")
        elif item == "*" or is_token(item):
            good.setdefault(item, index)
        else:
            problems.add(
                f"{name}[{index}] {item!r}",
                f"not a valid {what} (letters, digits and !#$%&'*+-.^_`|~ only, no spaces or commas)",
            )
    if "*" in good:
        return [(good["*"], "*")]
    return [(index, item) for item, index in good.items()]


def _bool(value: object, problems: _Problems, name: str) -> bool:
    if isinstance(value, bool):
        return value
    problems.add(name, f"expected True or False, not {value!r}")
    return False


class CORSPolicy:
    """An immutable, validated CORS policy.

    Build it with the same keyword options as :class:`~cors_wsgi.CORSMiddleware`
    (every option is described in the README's option table and the API reference)::

        policy = CORSPolicy(allow_origins=["https://app.example.com"], allow_credentials=True)

    All options are checked when the policy is built; every problem found is reported
    in one :class:`~cors_wsgi.CORSConfigError`.  A policy can be shared by any number
    of middlewares and threads.  Its attributes hold the normalized options
    (``allow_origins`` as serialized origins and patterns, ``max_age`` in seconds, ...).
    """

    __slots__ = (
        "_given",
        "_compiled",
        "_table",
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

    _given: Mapping[str, Any]
    _compiled: CompiledPolicy | None
    _table: ResourceTable[CompiledPolicy] | None
    # The normalized options below are ``None`` on a policy built with ``resources``: each
    # entry of :attr:`resources` is a policy of its own that holds them.

    #: The normalized origins and patterns; ``("*",)`` for every origin.
    allow_origins: tuple[str, ...] | None
    #: Compiled; an origin must match it as a whole (``fullmatch``).  A tuple when a list was given
    #: (an origin matching any of them is allowed).
    allow_origin_regex: re.Pattern[str] | tuple[re.Pattern[str], ...] | None
    #: Called with the well-formed origins nothing else allowed; true allows.
    allow_origin_func: Callable[[str], object] | None
    #: Allowed methods; ``("*",)`` for any method.
    allow_methods: tuple[str, ...] | None
    #: Allowed request header names as given, then the compiled patterns a name may match
    #: (case-insensitively, as a whole); ``("*",)`` for any.
    allow_headers: tuple[str | re.Pattern[str], ...] | None
    #: Response header names scripts may read; ``("*",)`` for all (without credentials).
    expose_headers: tuple[str, ...] | None
    #: Whether ``Access-Control-Allow-Credentials: true`` is sent.
    allow_credentials: bool | None
    #: Seconds, or ``None`` to send no ``Access-Control-Max-Age`` (and on a policy with ``resources``).
    max_age: int | None
    #: Whether Chrome's legacy Private Network Access preflight is answered.
    allow_private_network: bool | None
    #: Per-path policies (pattern -> policy), or ``None`` when this policy covers every path.
    resources: Mapping[PathKey, CORSPolicy] | None
    #: Initial ``debug`` state of a middleware built from this policy.
    debug: bool

    def __init__(self, **options: Unpack[CORSOptions]) -> None:
        problems = _Problems()
        _check_names(options, problems, "CORSPolicy", OPTION_NAMES)
        self._build({k: v for k, v in options.items() if k in OPTION_NAMES}, problems)
        if problems.messages:
            raise CORSConfigError(problems.messages)

    # -- construction -------------------------------------------------------------------

    def _set(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)

    def _build(self, given: dict[str, Any], problems: _Problems) -> None:
        self._set("_given", MappingProxyType(dict(given)))
        self._set("debug", _bool(given.get("debug", False), problems, "debug"))
        resources = given.get("resources")
        if resources is not None:
            defaults = {k: v for k, v in given.items() if k not in _TOP_LEVEL_ONLY}
            self._build_resources(resources, defaults, problems)
            self._set("_compiled", None)
            for name in OPTION_NAMES:
                if name not in _TOP_LEVEL_ONLY:
                    self._set(name, None)
            return
        self._set("resources", None)
        self._set("_table", None)
        self._set("_compiled", self._compile(given, problems))

    def _build_resources(self, resources: object, defaults: dict[str, Any], problems: _Problems) -> None:
        if not isinstance(resources, Mapping):
            problems.add("resources", f"expected a mapping of path pattern -> options, not {type(resources).__name__}")
            self._set("resources", None)
            self._set("_table", None)
            return
        built: dict[PathKey, CORSPolicy] = {}
        entries: list[tuple[PathPattern, CompiledPolicy]] = []
        for key, value in resources.items():
            where = f"resources[{key!r}]"
            try:
                pattern = parse_path_pattern(key)
            except PathPatternError as exc:
                problems.add(where, str(exc))
                pattern = None
            if isinstance(value, CORSPolicy):
                if value.resources is not None:
                    problems.add(where, "a policy with its own resources cannot be nested in resources")
                    continue
                policy = value
            elif isinstance(value, Mapping):
                _check_names(value, problems, where, OPTION_NAMES)
                for name in _TOP_LEVEL_ONLY:
                    if name in value:
                        problems.add(
                            f"{where}.{name}", f"{name!r} applies to the whole middleware; set it at top level"
                        )
                own = {k: v for k, v in value.items() if k in OPTION_NAMES and k not in _TOP_LEVEL_ONLY}
                merged = merge_options(defaults, own)
                policy = CORSPolicy.__new__(CORSPolicy)
                policy._build(merged, problems.nested(f"{where}."))
            else:
                problems.add(where, f"expected an options dict or a CORSPolicy, not {type(value).__name__}")
                continue
            built[key] = policy
            if pattern is not None and policy._compiled is not None:
                entries.append((pattern, policy._compiled))
        self._set("resources", MappingProxyType(built))
        self._set("_table", ResourceTable(entries))

    def _compile(self, given: dict[str, Any], problems: _Problems) -> CompiledPolicy:
        credentials = _bool(given.get("allow_credentials", False), problems, "allow_credentials")
        private_network = _bool(given.get("allow_private_network", False), problems, "allow_private_network")
        self._set("allow_credentials", credentials)
        self._set("allow_private_network", private_network)

        given_regex = given.get("allow_origin_regex")
        regexes = self._compile_regexes(given_regex, problems)
        func = given.get("allow_origin_func")
        if func is not None and not callable(func):
            problems.add("allow_origin_func", f"expected a callable origin -> bool, not {type(func).__name__}")
            func = None
        elif func is not None and is_async_callable(func):
            problems.add(
                f"allow_origin_func {getattr(func, '__qualname__', type(func).__name__)!r}",
                "an async function cannot decide here: the middleware calls it without awaiting, and the "
                "un-awaited coroutine would count as true for every origin — keep the allowed origins in a set "
                "or cache that your app refreshes in the background, and pass a plain function that reads it "
                "(examples/tenants_db.py)",
            )
            func = None
        compiled_regexes = tuple(regex for _, regex in regexes)
        if isinstance(given_regex, (str, re.Pattern)):
            self._set("allow_origin_regex", compiled_regexes[0] if compiled_regexes else None)
        else:
            self._set("allow_origin_regex", compiled_regexes or None)
        self._set("allow_origin_func", func)

        if credentials:
            for where, regex in regexes:
                _check_credentialed_regex(regex, where, problems)
        # Judged on what was given, so that an invalid regex or function does not also bring the '*' default.
        decided_elsewhere = given.get("allow_origin_regex") is not None or given.get("allow_origin_func") is not None
        default_origins: object = [] if decided_elsewhere else "*"
        configured = self._compile_origins(given.get("allow_origins", default_origins), credentials, problems, given)
        any_origin = any(o.kind == "any" for o in configured)
        self._set("allow_origins", ("*",) if any_origin else tuple(_display_origin(o) for o in configured))

        methods = self._compile_methods(given.get("allow_methods", DEFAULT_METHODS), problems)
        self._set("allow_methods", tuple(methods))
        headers, header_regexes = self._compile_headers(given.get("allow_headers", "*"), problems)
        self._set("allow_headers", (*headers, *header_regexes))
        expose = self._compile_expose(given.get("expose_headers", ()), credentials, problems)
        self._set("expose_headers", tuple(expose))
        max_age = self._compile_max_age(given.get("max_age"), problems)
        self._set("max_age", max_age)

        return CompiledPolicy(
            configured,
            compiled_regexes,
            func,
            credentials,
            methods,
            headers,
            expose,
            max_age,
            private_network,
            header_regexes=tuple(header_regexes),
        )

    @staticmethod
    def _compile_regexes(value: object, problems: _Problems) -> list[tuple[str, re.Pattern[str]]]:
        """``allow_origin_regex`` — one str or compiled pattern, or several (any of them may match) —
        as ``(where, compiled)`` pairs, ``where`` naming the entry in messages."""
        if value is None:
            return []
        if isinstance(value, (str, re.Pattern)):
            entries: list[tuple[str, object]] = [("allow_origin_regex", value)]
        elif isinstance(value, (bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
            problems.add(
                "allow_origin_regex",
                f"expected a str, a compiled pattern or a list of them, not {type(value).__name__}",
            )
            return []
        else:
            entries = [(f"allow_origin_regex[{index}]", item) for index, item in enumerate(value)]
        compiled = [(where, _compile_origin_regex(item, where, problems)) for where, item in entries]
        return [(where, regex) for where, regex in compiled if regex is not None]

    @staticmethod
    def _compile_origins(
        value: object, credentials: bool, problems: _Problems, given: Mapping[str, Any]
    ) -> list[ConfiguredOrigin]:
        items = _as_list(value, problems, "allow_origins")
        if items is None:
            return []
        configured: list[ConfiguredOrigin] = []
        for index, item in enumerate(items):
            where = f"allow_origins[{index}] {item!r}"
            try:
                origin = parse_configured_origin(item)
            except OriginSyntaxError as exc:
                problems.add(where, str(exc))
                continue
            if credentials and origin.kind == "any":
                problems.add(
                    where if "allow_origins" in given else "allow_origins (default '*')",
                    "'*' cannot be combined with allow_credentials=True: it would let every web site "
                    "read responses with your users' cookies — list the trusted origins explicitly, "
                    "or use allow_origin_regex / allow_origin_func",
                )
            elif credentials and origin.kind == "null":
                problems.add(
                    where,
                    "'null' cannot be combined with allow_credentials=True: any sandboxed iframe or "
                    "file: page sends Origin: null, so it would let every site in",
                )
            configured.append(origin)
        return configured

    @staticmethod
    def _compile_methods(value: object, problems: _Problems) -> list[str]:
        methods = _tokens(value, problems, "allow_methods", "method name")
        if methods is None:
            return list(DEFAULT_METHODS)
        result: list[str] = []
        for index, method in methods:
            upper = method.upper()
            where = f"allow_methods[{index}] {method!r}"
            if upper in FORBIDDEN_METHODS:
                problems.add(where, "browsers forbid this method (fetch() throws); remove it")
            elif upper in NORMALIZED_METHODS:
                result.append(upper)  # browsers uppercase these six before sending
            elif upper == "PATCH" and method != "PATCH":
                problems.add(
                    where,
                    "methods are case-sensitive and browsers send PATCH as the script wrote it — did you mean 'PATCH'?",
                )
            else:
                result.append(method)
        return list(dict.fromkeys(result))

    @staticmethod
    def _compile_headers(value: object, problems: _Problems) -> tuple[list[str], list[re.Pattern[str]]]:
        """Allowed request header names, and compiled patterns a whole name may match (any case)."""
        patterns: list[tuple[int, re.Pattern[str]]] = []
        headers = _tokens(value, problems, "allow_headers", "header name", patterns)
        if headers is None:
            return [], []
        for index, name in headers:
            hint = forbidden_request_header_hint(name)
            if hint is not None:
                problems.add(f"allow_headers[{index}] {name!r}", hint)
            elif "*" in name and name != "*":
                problems.add(
                    f"allow_headers[{index}] {name!r}",
                    "'*' inside a name is not a wildcard (it would be taken literally) — for names matching a "
                    f"pattern pass re.compile({name.replace('*', '.*') if '.*' not in name else name!r})",
                )
        regexes: list[re.Pattern[str]] = []
        for index, pattern in patterns:
            where = f"allow_headers[{index}] {pattern.pattern!r}"
            if not isinstance(pattern.pattern, str):
                problems.add(where, "compile the regular expression from a str, not bytes")
                continue
            slow = backtracking_problems(pattern)
            for message in slow:
                problems.add(where, message)
            if not slow:  # header names are case-insensitive: so is the match
                regexes.append(re.compile(pattern.pattern, pattern.flags | re.IGNORECASE))
        return _unique_case_insensitive([name for _, name in headers]), regexes

    @staticmethod
    def _compile_expose(value: object, credentials: bool, problems: _Problems) -> list[str]:
        headers = _tokens(value, problems, "expose_headers", "header name")
        if headers is None:
            return []
        if credentials and headers and headers[0][1] == "*":
            problems.add(
                "expose_headers '*'",
                "'*' is not a wildcard for credentialed requests (browsers read it as a header named '*') — "
                "list the headers to expose",
            )
        for index, name in headers:
            if name.lower() in ("set-cookie", "set-cookie2"):
                problems.add(f"expose_headers[{index}] {name!r}", "browsers never expose Set-Cookie; remove it")
        return _unique_case_insensitive([name for _, name in headers])

    @staticmethod
    def _compile_max_age(value: object, problems: _Problems) -> int | None:
        if value is None:
            return None
        if isinstance(value, timedelta):
            seconds = value.total_seconds()
            if seconds != int(seconds):
                problems.add(f"max_age {value!r}", "must be a whole number of seconds")
                return None
            value = int(seconds)
        if isinstance(value, bool) or not isinstance(value, int):
            problems.add("max_age", f"expected seconds as an int or a timedelta, not {value!r}")
            return None
        if not 0 <= value <= MAX_MAX_AGE:
            problems.add(
                f"max_age {value!r}",
                f"must be between 0 and {MAX_MAX_AGE} seconds (Chromium caps it at 7200, Firefox at 86400)",
            )
            return None
        return value

    # -- immutability and helpers -------------------------------------------------------

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"CORSPolicy is immutable; use policy.replace({name}=...) to derive a new one")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("CORSPolicy is immutable")

    @property
    def options(self) -> Mapping[str, Any]:
        """The options this policy was built from, exactly as given (read-only)."""
        return self._given

    def replace(self, **changes: Unpack[CORSOptions]) -> CORSPolicy:
        """A new policy with ``changes`` applied on top of this policy's given options."""
        return CORSPolicy(**{**self._given, **changes})

    @property
    def compiled(self) -> CompiledPolicy | None:
        """The precomputed answer values (``None`` for a policy made of ``resources``)."""
        return self._compiled

    def compiled_for_path(self, path: str) -> CompiledPolicy | None:
        """The precomputed policy covering ``path``, or ``None`` when no CORS applies there.

        ``path`` is text — a WSGI ``PATH_INFO`` goes through
        :func:`cors_wsgi.resources.wsgi_path_to_text` first, an ASGI ``scope["path"]``
        is text already — and is compared in its canonical form
        (:func:`cors_wsgi.resources.canonical_path`): every spelling of a path gets
        the policy of the canonical one.
        """
        if self._table is None:
            return self._compiled
        return self._table.lookup(path)

    def __repr__(self) -> str:
        options = ", ".join(f"{name}={value!r}" for name, value in self._given.items())
        return f"CORSPolicy({options})"


#: Origins no credentialed policy means to allow: a regular expression that accepts one of them
#: accepts any web site (``.*``, ``https?://.*``, ``.+`` ...).
_STRANGER_ORIGINS = ("https://cors-wsgi-probe.invalid", "http://cors-wsgi-probe.invalid", "null")


def _compile_origin_regex(value: object, where: str, problems: _Problems) -> re.Pattern[str] | None:
    if isinstance(value, re.Pattern):
        if not isinstance(value.pattern, str):
            problems.add(where, "compile the regular expression from a str, not bytes")
            return None
        regex = value
    elif not isinstance(value, str):
        problems.add(where, f"expected a str or a compiled pattern, not {type(value).__name__}")
        return None
    else:
        try:
            regex = re.compile(value)
        except re.error as exc:  # its text quotes the pattern: escaped, so no CR/LF reaches a message
            problems.add(f"{where} {value!r}", f"not a valid regular expression: {ascii(str(exc))[1:-1]}")
            return None
        except (RecursionError, OverflowError, MemoryError) as exc:  # deep nesting, huge repeat counts
            problems.add(f"{where} {value!r}", f"too complex to compile ({type(exc).__name__})")
            return None
    # Refused before it ever runs: a request could make it backtrack for seconds (and so could the probes below).
    slow = backtracking_problems(regex)
    for message in slow:
        problems.add(f"{where} {regex.pattern!r}", message)
    return None if slow else regex


def _check_credentialed_regex(regex: re.Pattern[str], where: str, problems: _Problems) -> None:
    for stranger in _STRANGER_ORIGINS:
        if regex.fullmatch(stranger):
            problems.add(
                f"{where} {regex.pattern!r}",
                f"with allow_credentials=True it lets any web site in (it matches {stranger!r}): every site "
                "could read responses with your users' cookies — anchor it to your own domains, "
                r"e.g. r'https://([a-z0-9-]+\.)*example\.com'",
            )
            return
    lookalike = lookalike_problem(regex)  # e.g. 'https://.*example\.com' also accepts 'https://evilexample.com'
    if lookalike is not None:
        problems.add(f"{where} {regex.pattern!r}", lookalike)


def _display_origin(origin: ConfiguredOrigin) -> str:
    if origin.kind == "subdomains":
        scheme, _, rest = origin.key.partition("://")
        return f"{scheme}://*.{rest}"
    if origin.kind == "any-port":
        return f"{origin.key}:*"
    return origin.key


def _unique_case_insensitive(names: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.lower(), name)
    return list(seen.values())
