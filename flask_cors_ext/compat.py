"""flask-cors 6.0's API on this library's engine: a flask-cors application switches by one import.

::

    from flask_cors_ext.compat import CORS, cross_origin   # was: from flask_cors import CORS, cross_origin

Same signatures as flask-cors 6 (``CORS(app=None, **kwargs)``, ``init_app(app, **kwargs)``,
``cross_origin(*args, **kwargs)``), the same option names and ``CORS_*`` keys, the same
defaults, meaning and header forms — except four deliberate differences, each refused or
warned with a message (see ``docs/migrating-from-flask-cors.rst``):

* ``origins="*"`` (the default too) with ``supports_credentials=True`` is a
  :class:`~cors_wsgi.CORSConfigError` (flask-cors answered every web site with its own
  origin and ``Access-Control-Allow-Credentials: true``);
* origin regular expressions match the whole origin (flask-cors's ``re.match`` accepted
  ``https://example.com.evil.net`` for ``https://example\\.com``): one warning at start-up
  per regex that is not anchored at its end, naming an origin it no longer accepts;
* ``Vary: Origin`` is sent whenever the answer depends on the origin; ``vary_header=False``
  is refused;
* a policy that is invalid for one view fails that view's requests only.

How it works: this module is a translation, not a second extension.  flask-cors options
become core options (:class:`cors_wsgi.CORSPolicy`), and the native extension
(:mod:`flask_cors_ext.state`, :mod:`flask_cors_ext.extension`) resolves them, per path and
per view, exactly as it resolves its own.  Every decision — is this origin allowed
(:meth:`cors_wsgi.origins.OriginMatcher.match`), this method
(:func:`cors_wsgi.engine.method_allowed`), these request headers
(:func:`cors_wsgi.engine.split_request_headers`), which ``resources`` entry covers this
path — is the core's.  Only the header *forms* are flask-cors's, written by
:class:`FlaskCORSForm`, registered for each compiled policy this module builds (the
native path never looks further than an empty dict).

Preflights are answered at the WSGI layer, before Flask's ``before_request`` hooks
(flask-cors ran them through the hooks, so an authentication hook failed them), with
``200`` as flask-cors's answers through Flask's automatic ``OPTIONS`` had.

Logging: this module logs under ``flask_cors.compat``, a child of the ``flask_cors``
logger, so ``logging.getLogger("flask_cors").setLevel(logging.DEBUG)`` keeps showing why
an origin, a method or a header was refused (request values escaped).  The core and the
extension log under ``cors_wsgi``.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any, TypeVar

from flask import Blueprint, Flask

from cors_wsgi import CORSConfigError, CORSPolicy
from cors_wsgi.engine import (
    MAX_MEMO_ENTRIES,
    MAX_MEMO_KEY_LENGTH,
    CompiledPolicy,
    first_value,
    method_allowed,
    split_request_headers,
)
from cors_wsgi.headers import (
    CORSResponseHeaders,
    add_cors_headers,
    forbidden_request_header_hint,
    parse_request_headers,
)
from cors_wsgi.origins import OriginSyntaxError, parse_configured_origin, parse_request_origin
from cors_wsgi.policy import OPTION_NAMES, merge_options
from cors_wsgi.regex_safety import backtracking_problems, witnesses
from cors_wsgi.resources import MatchFromStart

from .decorator import attach_options
from .extension import install
from .options import check_boolean
from .state import DIALECT_OPTION, AnswerForm

__all__ = [
    "CORS",
    "DEFAULT_METHODS",
    "LOG",
    "FlaskCORSForm",
    "cross_origin",
    "probably_regex",
    "translate",
]

#: Where this module logs: a child of ``flask_cors``, the logger flask-cors users already configure.
LOG = logging.getLogger("flask_cors.compat")

#: flask-cors's default ``methods``, in the order it sends them (sorted).
DEFAULT_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")

#: flask-cors's options (its ``DEFAULT_OPTIONS``), each read as ``CORS_`` + its upper-cased name too.
FLASK_CORS_OPTIONS = (
    "origins",
    "methods",
    "allow_headers",
    "expose_headers",
    "supports_credentials",
    "max_age",
    "send_wildcard",
    "automatic_options",
    "vary_header",
    "resources",
    "intercept_exceptions",
    "always_send",
    "allow_private_network",
)
#: flask-cors name -> core name; the core's own names are accepted too.
_ALIASES = {"origins": "allow_origins", "methods": "allow_methods", "supports_credentials": "allow_credentials"}
_CORE_NAMES = OPTION_NAMES
#: flask-cors switches that choose a header form: kept, under these keys, next to the core options.
_SWITCHES = ("send_wildcard", "always_send", "automatic_options", "vary_header")
_PREFIX = "flask_cors."
SEND_WILDCARD, ALWAYS_SEND, AUTOMATIC_OPTIONS, VARY_HEADER = (_PREFIX + name for name in _SWITCHES)
#: The origins flask-cors sends to a request without ``Origin`` (``always_send``): the non-regex ones.
LISTED = _PREFIX + "listed"
_KNOWN = frozenset((*_CORE_NAMES, *_SWITCHES, "intercept_exceptions"))
_SPELLINGS = (*FLASK_CORS_OPTIONS, *_CORE_NAMES)

_REGEX_CHARACTERS = frozenset("*\\]?$^[()")
_CREDENTIALS_MARKER = "'*' cannot be combined with allow_credentials=True"

# -- messages said once -------------------------------------------------------------------

_said: set[str] = set()
_MAX_SAID = 4096


def _warn_once(message: str) -> None:
    """Log ``message`` as a warning once per process (configuration is read more than once)."""
    if message in _said:
        return
    if len(_said) >= _MAX_SAID:
        _said.clear()
    _said.add(message)
    LOG.warning("%s", message)


# -- translation: flask-cors options -> core options ---------------------------------------


def probably_regex(value: object) -> bool:
    """flask-cors's rule: a compiled pattern, or a str with any of ``* \\ ] ? $ ^ [ ( )``."""
    if isinstance(value, re.Pattern):
        return True
    return isinstance(value, str) and not _REGEX_CHARACTERS.isdisjoint(value)


def _items(value: object) -> list[object]:
    """flask-cors's ``ensure_iterable``: a str or a single pattern is one item."""
    if isinstance(value, (str, re.Pattern)) or not isinstance(value, Iterable):
        return [value]
    if isinstance(value, Mapping):
        return list(value)
    return list(value)


def _lost_example(
    regex: re.Pattern[str], suffixes: tuple[str, ...], valid: Callable[[str], object] = bool
) -> str | None:
    """A string flask-cors's ``re.match`` accepted and the whole-string match refuses (preferring
    samples ``valid`` accepts), or ``None`` when the two matches agree."""
    if backtracking_problems(regex):
        return None  # refused by the core anyway; never run
    samples = witnesses(regex, 16)
    samples.sort(key=lambda sample: not valid(sample))
    for sample in samples:
        for suffix in suffixes:
            candidate = sample + suffix
            if regex.match(candidate) and not regex.fullmatch(candidate):
                return candidate
    return None


def _compile(text: str, flags: int, where: str, problems: list[str]) -> re.Pattern[str] | None:
    try:
        return re.compile(text, flags)
    except re.error as error:
        problems.append(f"{where}: not a valid regular expression: {ascii(str(error))[1:-1]}")
    except (RecursionError, OverflowError, MemoryError) as error:
        problems.append(f"{where}: too complex to compile ({type(error).__name__})")
    return None


def _origins(value: object, shown: str, problems: list[str], name: str = "origins") -> dict[str, Any]:
    """``origins`` (spelled ``name`` by the user) as core options: exact origins and patterns,
    regexes, and the listed origins."""
    exact: list[str] = []
    regexes: list[re.Pattern[str]] = []
    listed: list[str] = []
    single = isinstance(value, (str, re.Pattern))
    for index, item in enumerate(_items(value)):
        where = f"{shown} {item!r}" if single else f"{shown}[{index}] {item!r}"
        if isinstance(item, re.Pattern):
            regexes.append(item)  # its own flags, as flask-cors
            continue
        if not isinstance(item, str):
            problems.append(f"{where}: an origin is a str or a compiled pattern, not {type(item).__name__}")
            continue
        if item in ("*", ".*"):
            exact.append("*")
            continue
        if "," in item and not probably_regex(item):
            parts = [part.strip() for part in item.split(",") if part.strip()]
            problems.append(
                f"{where}: one origin per item — flask-cors compared the whole string, so it never matched; "
                f"write {name}={parts!r}"
            )
            continue
        if not probably_regex(item):
            listed.append(item)
        try:
            parse_configured_origin(item)
        except OriginSyntaxError as error:
            if not probably_regex(item):
                problems.append(f"{where}: {error} (it could never match a browser's Origin)")
                continue
            regex = _compile(item, re.IGNORECASE, where, problems)
            if regex is not None:
                regexes.append(regex)
            continue
        exact.append(item)
    for regex in regexes:
        lost = _lost_example(regex, (".evil.example", "-evil.example", ":8443"), parse_request_origin)
        if lost is not None:
            _warn_once(
                f"{shown}: the regular expression {regex.pattern!r} must match the whole origin here; "
                f"flask-cors matched only its start, so it also accepted {lost!r}, which is refused now "
                "(list such an origin if it should be allowed)"
            )
    result: dict[str, Any] = {"allow_origins": exact, LISTED: tuple(sorted(listed))}
    if regexes:
        result["allow_origin_regex"] = regexes
    return result


def _methods(value: object) -> object:
    """Upper-cased, in the order flask-cors sends them (a list sorted as given, then upper-cased)."""
    if isinstance(value, str):
        return value.upper()
    if isinstance(value, Iterable):
        try:
            ordered = sorted(value)
        except TypeError:
            ordered = list(value)
        return [item.upper() if isinstance(item, str) else item for item in ordered]
    return value


def _allow_headers(value: object, shown: str, problems: list[str]) -> list[object]:
    result: list[object] = []
    for item in _items(value):
        if isinstance(item, str) and item in ("*", ".*"):
            result.append("*")
        elif isinstance(item, str) and probably_regex(item):
            regex = _compile(item, re.IGNORECASE, f"{shown} {item!r}", problems)
            if regex is not None:
                lost = _lost_example(regex, ("-x", "x"))
                if lost is not None:
                    _warn_once(
                        f"{shown}: the regular expression {item!r} must match the whole header name here; "
                        f"flask-cors matched only its start, so it also accepted {lost!r}, which is refused now"
                    )
                result.append(regex)
        elif isinstance(item, str) and forbidden_request_header_hint(item) is not None:
            # flask-cors listed it harmlessly: browsers never ask for it.  The core refuses it.
            _warn_once(f"{shown}: {item!r} ignored: {forbidden_request_header_hint(item)}")
        else:
            result.append(item)
    return result


def _expose_headers(value: object, shown: str) -> object:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
        ordered = False
    elif isinstance(value, Iterable):
        ordered = True
    else:
        return value
    kept = []
    for item in value:
        if isinstance(item, str) and item.lower() in ("set-cookie", "set-cookie2"):
            _warn_once(f"{shown}: {item!r} ignored: browsers never expose Set-Cookie to scripts")
        else:
            kept.append(item)
    return sorted(str(item) for item in kept) if ordered else kept  # flask-cors sends a list sorted


def _max_age(value: object, shown: str, problems: list[str]) -> int | None:
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        return value
    elif isinstance(value, float) and value.is_integer():
        return int(value)
    elif isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        return int(value.strip())
    problems.append(f"{shown}: expected seconds as an int, a timedelta or a numeric str, not {value!r}")
    return None


def _resource_key(key: object, shown: str, problems: list[str]) -> object:
    """A flask-cors ``resources`` key as a core key: ``"/*"``, an exact path, or :class:`MatchFromStart`."""
    if isinstance(key, re.Pattern):
        return MatchFromStart(key)
    if not isinstance(key, str):
        problems.append(f"{shown}: a resources key is a str or a compiled pattern, not {type(key).__name__}")
        return None
    if key in ("*", ".*", "/*"):
        return "/*"
    if probably_regex(key):
        regex = _compile(key, 0, f"{shown} {key!r}", problems)
        return None if regex is None else MatchFromStart(regex)
    return key


def _flask_cors_order(key: object) -> tuple[int, int, int, int]:
    """flask-cors 6's ``parse_resources`` sort key: literal paths, then compiled patterns, then
    regex strings; within each, more ``/`` first, then longer."""
    if isinstance(key, re.Pattern):
        return (1, 0, -key.pattern.count("/"), -len(key.pattern))
    text = str(key)
    if probably_regex(text):
        return (1, 1, -text.count("/"), -len(text))
    return (0, 0, -text.count("/"), -len(text))


def _resources(value: object, shown: str, problems: list[str], where: str) -> dict[Any, Any]:
    """flask-cors ``resources`` (dict, str, list or pattern) as a core mapping, in flask-cors's priority order."""
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, (str, re.Pattern)):
        pairs = [(value, {})]
    elif isinstance(value, Iterable):
        pairs = [(key, {}) for key in value]
    else:
        problems.append(f"{shown}: expected a dict, a str, a list or a compiled pattern, not {type(value).__name__}")
        return {}
    pairs = [(".*" if key == "*" else key, entry) for key, entry in pairs]
    pairs.sort(key=lambda pair: _flask_cors_order(pair[0]))
    result: dict[Any, Any] = {}
    everything: object = None
    for key, entry in pairs:
        entry_where = f"{shown}[{key!r}]"
        if everything is not None:
            _warn_once(
                f"{entry_where}: flask-cors tries it after {everything!r}, which covers every path, so it never "
                "applied there either — ignored"
            )
            continue
        core_key = _resource_key(key, entry_where, problems)
        if core_key is None:
            continue
        if not isinstance(entry, Mapping):
            problems.append(f"{entry_where}: expected a dict of options, not {type(entry).__name__}")
            continue
        if core_key == "/*":
            everything = key
        if core_key in result:
            continue  # flask-cors stops at the first entry that matches
        try:
            result[core_key] = translate(entry, f"{where} resources[{key!r}]")
        except CORSConfigError as error:
            problems.extend(error.problems)
    return result


def translate(options: Mapping[str, Any], where: str, *, key_prefix: str = "") -> dict[str, Any]:
    """flask-cors options (or ``CORS_*`` keys, with ``key_prefix="CORS_"``) as core options.

    Returns core options (:class:`cors_wsgi.policy.CORSOptions`) plus the flask-cors
    switches under ``flask_cors.*`` keys, for :class:`FlaskCORSForm`.  ``None`` means the
    default, as in flask-cors's config.  Unknown names and the legacy ``headers`` are
    logged and ignored, as flask-cors did; a value that could never work raises
    :class:`~cors_wsgi.CORSConfigError` listing every problem.
    """

    def shown(name: str) -> str:
        return repr(key_prefix + name.upper() if key_prefix else name)

    problems: list[str] = []
    result: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    explicit_regex: object = None
    for name, value in options.items():
        if value is None:
            continue
        if name == "headers":
            _warn_once(
                f"{where}: {shown(name)} is not a flask-cors option (flask-cors never read it) — ignored; "
                f"the request headers a preflight may ask for are set by {shown('allow_headers')} (default: all)"
            )
            continue
        core = _ALIASES.get(name, name)
        if core not in _KNOWN:
            close = difflib.get_close_matches(name, _SPELLINGS, n=1)
            hint = f" — did you mean {shown(close[0])}?" if close else ""
            _warn_once(f"{where}: unknown option {shown(name)} ignored{hint}")
            continue
        if core in spelled:
            problems.append(f"{where}: {shown(spelled[core])} and {shown(name)} are the same option; give it once")
            continue
        spelled[core] = name
        label = f"{where}: {shown(name)}"
        if core in ("allow_credentials", "allow_private_network", "intercept_exceptions", *_SWITCHES):
            problem = check_boolean(value, shown(name), from_config=bool(key_prefix))
            if problem is not None:
                problems.append(f"{where}: {problem}")
            elif core in _SWITCHES:
                result[_PREFIX + core] = value
            elif core != "intercept_exceptions":  # accepted: error responses always carry the headers
                result[core] = value
        elif core == "allow_origins":
            result.update(_origins(value, label, problems, shown(name)[1:-1]))
        elif core == "allow_origin_regex":
            explicit_regex = value
        elif core == "allow_methods":
            result[core] = _methods(value)
        elif core == "allow_headers":
            result[core] = _allow_headers(value, label, problems)
        elif core == "expose_headers":
            result[core] = _expose_headers(value, label)
        elif core == "max_age":
            result[core] = _max_age(value, label, problems)
        elif core == "resources":
            result[core] = _resources(value, label, problems, where)
        elif core == "debug":
            problem = check_boolean(value, shown(name), from_config=bool(key_prefix), none_ok=True)
            if problem is not None:
                problems.append(f"{where}: {problem}")
            else:
                result[core] = value
        else:  # allow_origin_func: the core's own
            result[core] = value
    if explicit_regex is not None:
        given = result.get("allow_origin_regex", [])
        extra = _items(explicit_regex)
        result["allow_origin_regex"] = [*given, *extra]
    if ("allow_origin_regex" in result or "allow_origin_func" in result) and "allow_origins" not in result:
        result["allow_origins"] = []
    if "allow_origins" in result:
        result.setdefault(LISTED, ())
    if problems:
        raise CORSConfigError(problems)
    return result


def _config_options(config: Mapping[str, Any]) -> dict[str, Any]:
    given = {key[len("CORS_") :].lower(): value for key, value in config.items() if key.startswith("CORS_")}
    return translate(given, "app.config", key_prefix="CORS_")


# -- building: core policy + a form per compiled policy -------------------------------------


def _any_origin(options: Mapping[str, Any]) -> tuple[bool, bool]:
    """Whether merged core ``options`` allow every origin, and whether by default."""
    origins = options.get("allow_origins")
    if origins is None:
        decided = options.get("allow_origin_regex") is not None or options.get("allow_origin_func") is not None
        return not decided, not decided
    items = [origins] if isinstance(origins, str) else list(origins)
    return "*" in items, False


def _where(key: object) -> str:
    if key is None:
        return ""
    shown = key.regex.pattern if isinstance(key, MatchFromStart) else key
    return f"resources[{shown!r}]: "


def _deviations(key: object, switches: Mapping[str, Any], options: Mapping[str, Any]) -> list[str]:
    """The deliberate differences from flask-cors that refuse a configuration."""
    problems: list[str] = []
    any_origin, by_default = _any_origin(options)
    if any_origin and options.get("allow_credentials") is True:
        problems.append(
            f"{_where(key)}origins '*'{' (the default)' if by_default else ''} with supports_credentials=True: "
            "flask-cors answered every web site with its own origin and 'Access-Control-Allow-Credentials: true', "
            "so any site could read your users' responses — list origins=[...], "
            "or use allow_origin_regex/allow_origin_func"
        )
    if switches.get(VARY_HEADER) is False and not (any_origin and switches.get(SEND_WILDCARD) is True):
        problems.append(
            f"{_where(key)}vary_header=False is not supported: 'Vary: Origin' is always sent when the answer "
            "depends on the origin; without it a shared cache serves one origin's answer to another — "
            "remove vary_header"
        )
    return problems


class _FlaskCORSDialect:
    """flask-cors's vocabulary for the native state: a :class:`~flask_cors_ext.state.Dialect`."""

    name = "flask_cors_ext.compat"
    views_inherit_app_options = False  # @cross_origin reads the CORS_* config, not CORS(app)'s options

    def config_options(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return _config_options(config)

    def build(self, options: Mapping[str, Any], forms: dict[CompiledPolicy, AnswerForm], *, view: bool) -> CORSPolicy:
        opts = dict(options)
        opts.setdefault("allow_methods", list(DEFAULT_METHODS))
        switches = {key: opts.pop(key) for key in list(opts) if key.startswith(_PREFIX)}
        resources = opts.get("resources")
        entries: list[tuple[object, dict[str, Any], Mapping[str, Any]]] = []
        if isinstance(resources, Mapping):
            defaults = {k: v for k, v in opts.items() if k not in ("resources", "debug")}
            core_resources: dict[Any, Any] = {}
            for key, entry in resources.items():
                own = dict(entry) if isinstance(entry, Mapping) else {}
                entry_switches = {k: own.pop(k) for k in list(own) if k.startswith(_PREFIX)}
                core_resources[key] = own if isinstance(entry, Mapping) else entry
                entries.append((key, {**switches, **entry_switches}, merge_options(defaults, own)))
            opts["resources"] = core_resources
        else:
            entries.append((None, switches, opts))
        problems = [problem for key, found, merged in entries for problem in _deviations(key, found, merged)]
        try:
            policy = CORSPolicy(**opts)
        except CORSConfigError as error:
            credentials = any("supports_credentials=True" in problem for problem in problems)
            kept = [p for p in error.problems if not (credentials and _CREDENTIALS_MARKER in p)]
            raise CORSConfigError([*problems, *kept]) from None
        if problems:
            raise CORSConfigError(problems)
        for key, found, _ in entries:
            compiled = policy.compiled if key is None else policy.resources[key].compiled  # type: ignore[index]
            if compiled is not None:
                forms[compiled] = FlaskCORSForm(compiled, found, view=view)
        return policy


DIALECT = _FlaskCORSDialect()

# -- the header forms -----------------------------------------------------------------------

Header = tuple[str, str]
Headers = list[Header]

_ALLOW_ORIGIN = "Access-Control-Allow-Origin"
_PREFLIGHT_STATUS = "200 OK"  # flask-cors answered preflights through Flask's automatic OPTIONS


class FlaskCORSForm:
    """flask-cors 6's header forms for one compiled policy's decisions.

    * ``Access-Control-Allow-Origin``: the request's origin, also for ``origins="*"``
      unless ``send_wildcard=True`` (then ``*``); for a request without ``Origin`` with
      ``always_send`` (default): ``*`` for ``origins="*"``, else the first listed non-regex
      origin in sorted order (flask-cors built one header per such origin and sent the first);
    * ``Access-Control-Expose-Headers`` (sorted), ``-Allow-Credentials`` with it;
    * ``Access-Control-Allow-Private-Network: true|false`` whenever the request asks with ``true``;
    * preflights: ``200``; ``-Allow-Headers`` the requested names the policy allows, in the
      request's spelling, sorted; ``-Max-Age``; ``-Allow-Methods`` sorted (when the method is allowed);
    * ``Vary: Origin`` whenever the answer depends on the origin (flask-cors sent it for some
      policies only).

    With ``automatic_options=False`` on a view (flask-cors's decorator switch), preflights go
    to Flask, and ``OPTIONS`` answers Flask makes itself get no CORS headers.
    """

    __slots__ = (
        "compiled",
        "wildcard",
        "echo_any",
        "after_origin",
        "no_origin",
        "any_answer",
        "by_origin",
        "refused",
        "flask_answers",
        "preflight_vary",
        "static",
        "memo",
    )

    def __init__(self, compiled: CompiledPolicy, switches: Mapping[str, Any], *, view: bool) -> None:
        self.compiled = compiled
        send_wildcard = switches.get(SEND_WILDCARD, False) is True
        always_send = switches.get(ALWAYS_SEND, True) is True
        #: flask-cors's ``automatic_options=False``, which only its decorator read.
        self.flask_answers = view and switches.get(AUTOMATIC_OPTIONS, True) is False
        self.wildcard = compiled.any_origin and send_wildcard
        self.echo_any = compiled.any_origin and not send_wildcard
        vary = None if self.wildcard else "Origin"
        expose = tuple(h for h in compiled.actual_allowed_static if h[0] == "Access-Control-Expose-Headers")
        self.after_origin: tuple[Header, ...] = (*expose, *compiled.credentials)
        # flask-cors builds one header per listed non-regex origin, sorted, then keeps the first
        # (MultiDict.items()): a request without Origin gets '*', or the first of them.
        listed: tuple[str, ...] = ("*",) if compiled.any_origin else tuple(switches.get(LISTED, ()))
        sent = listed[:1] if always_send else ()
        headers = tuple((_ALLOW_ORIGIN, origin) for origin in sent)
        self.no_origin = CORSResponseHeaders.build((*headers, *self.after_origin) if sent else (), vary)
        self.any_answer = CORSResponseHeaders.build(((_ALLOW_ORIGIN, "*"), *self.after_origin), None)
        self.refused = CORSResponseHeaders.build((), vary)
        exact = () if compiled.any_origin else compiled.origin_matcher.exact
        self.by_origin = {
            origin: CORSResponseHeaders.build(((_ALLOW_ORIGIN, origin), *self.after_origin), "Origin")
            for origin in exact
        }
        core_vary = compiled.preflight_vary
        self.preflight_vary = f"Origin, {core_vary}" if self.echo_any else core_vary
        #: Preflight answers depend only on the request's values unless a function decides origins.
        self.static = compiled.origin_matcher.func is None
        self.memo: dict[tuple[str, str, str | None, str | None], tuple[str, Headers, bytes]] = {}

    def __repr__(self) -> str:
        return f"<FlaskCORSForm wildcard={self.wildcard} echo_any={self.echo_any} flask_answers={self.flask_answers}>"

    # -- actual requests --

    def actual(self, origin: str | None) -> CORSResponseHeaders:
        """The CORS headers for a response to a request with ``origin`` (``None``: no ``Origin``)."""
        if origin is None:
            return self.no_origin
        if self.wildcard:
            return self.any_answer
        if self.echo_any:
            return CORSResponseHeaders.build(((_ALLOW_ORIGIN, origin), *self.after_origin), "Origin")
        found = self.by_origin.get(origin)
        if found is not None:
            return found
        matched = self.compiled.origin_matcher.match(origin)  # the core's decision
        if matched is None:
            if LOG.isEnabledFor(logging.DEBUG):
                LOG.debug("The request's Origin %a does not match any of the allowed origins", origin)
            return self.refused
        return CORSResponseHeaders.build(((_ALLOW_ORIGIN, matched), *self.after_origin), "Origin")

    def response_headers(self, environ: dict[str, Any], headers: Headers) -> Headers:
        """``headers`` of a response Flask produced, with the CORS headers in flask-cors's forms."""
        origin = environ.get("HTTP_ORIGIN")
        cors = self.by_origin.get(origin) if origin is not None else None  # a listed origin: precomputed
        if cors is None:
            cors = self.actual(origin)
        if self.flask_answers and environ.get("REQUEST_METHOD") == "OPTIONS":
            rule = getattr(environ.get("werkzeug.request"), "url_rule", None)
            if rule is None or getattr(rule, "provide_automatic_options", False):
                return headers  # Flask's own OPTIONS answer: flask-cors's decorator never saw it
            if cors.headers and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
                extra, _ = self._preflight_part(environ)
                cors = CORSResponseHeaders.build((*cors.headers, *extra), cors.vary)
        if "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK" in environ and cors.headers and self._asks_private(environ):
            cors = CORSResponseHeaders.build((*cors.headers, self._private_network()), cors.vary)
        return add_cors_headers(headers, cors)

    # -- preflights --

    @staticmethod
    def _asks_private(environ: dict[str, Any]) -> bool:
        return bool(environ["HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"] == "true")

    def _private_network(self) -> Header:
        return ("Access-Control-Allow-Private-Network", "true" if self.compiled.private_network else "false")

    def _preflight_part(self, environ: dict[str, Any]) -> tuple[tuple[Header, ...], str | None]:
        """``-Allow-Headers``, ``-Max-Age``, ``-Allow-Methods`` for an allowed origin, and the refusal reason."""
        compiled = self.compiled
        method = first_value(environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"])
        if not method_allowed(compiled, method):  # flask-cors then sends none of the three
            return (), f"method {method[:64]!a} is not allowed (allowed: {compiled.methods_value})"
        part: list[Header] = []
        reason = None
        requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
        if requested:
            names = parse_request_headers(requested)
            if names is None:
                reason = "Access-Control-Request-Headers is malformed or too long"
            else:
                allowed, refused = split_request_headers(compiled, names)
                if refused:
                    reason = f"request header {refused[0]!a} is not allowed"
                if allowed:
                    part.append(("Access-Control-Allow-Headers", ", ".join(sorted(_spelled(requested, allowed)))))
        part.extend(compiled.max_age_headers)
        part.append(("Access-Control-Allow-Methods", compiled.methods_value))
        return tuple(part), reason

    def preflight(self, environ: dict[str, Any], debug: bool) -> tuple[str, Headers, bytes] | None:
        """The answer to a preflight, or ``None`` when Flask answers it (``automatic_options=False``)."""
        if self.flask_answers:
            return None
        origin = environ["HTTP_ORIGIN"]
        key = (
            origin,
            environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"],
            environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
            environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
        )
        remembered = self.memo.get(key) if not debug else None
        if remembered is not None:
            return remembered[0], list(remembered[1]), remembered[2]
        cors = self.actual(origin)
        headers = list(cors.headers)
        reason: str | None = None
        if headers:
            if key[3] == "true":
                headers.append(self._private_network())
            part, reason = self._preflight_part(environ)
            headers.extend(part)
        else:
            reason = f"origin {origin[:100]!a} is not allowed"
        body = f"CORS preflight refused: {reason}\n".encode("ascii") if debug and reason else b""
        content_type = "text/plain; charset=utf-8" if body else "text/html; charset=utf-8"
        headers.append(("Vary", self.preflight_vary))
        headers.extend((("Content-Type", content_type), ("Content-Length", str(len(body)))))
        if reason is not None and LOG.isEnabledFor(logging.DEBUG):
            LOG.debug("CORS preflight refused: %s", reason)
        answer = (_PREFLIGHT_STATUS, headers, body)
        if (
            not debug
            and self.static
            and cors is not self.refused
            and sum(len(value or "") for value in key) <= MAX_MEMO_KEY_LENGTH
        ):
            if len(self.memo) >= MAX_MEMO_ENTRIES:
                self.memo.clear()
            self.memo[key] = (answer[0], list(headers), body)
        return answer


def _spelled(requested: str, names: list[str]) -> list[str]:
    """``names`` (lowercase) as the request spelled them."""
    if requested.islower() or not any(ch.isupper() for ch in requested):
        return names
    spelling = {part.strip(" \t").lower(): part.strip(" \t") for part in requested.split(",")}
    return [spelling.get(name, name) for name in names]


# -- the public API -------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


class CORS:
    """flask-cors's ``CORS`` on this library's engine: ``CORS(app, **kwargs)`` or ``CORS().init_app(app)``.

    The options are flask-cors 6's (``origins``, ``methods``, ``allow_headers``,
    ``expose_headers``, ``supports_credentials``, ``max_age``, ``send_wildcard``,
    ``vary_header``, ``resources``, ``intercept_exceptions``, ``always_send``,
    ``allow_private_network``, ``automatic_options``), read over the ``CORS_*`` keys of
    ``app.config``; the core's names (``allow_origin_regex``, ``allow_origin_func``, ...)
    are accepted too.  Settings apply most specific first: a ``resources`` entry's
    options, then ``init_app`` keywords, the constructor's, ``CORS_*`` config, defaults.
    """

    def __init__(self, app: Flask | Blueprint | None = None, **kwargs: Any) -> None:
        self._options = translate(kwargs, "CORS()")
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask | Blueprint, **kwargs: Any) -> None:
        """Bind to ``app`` (or a blueprint); ``kwargs`` here override the constructor's."""
        options = merge_options(self._options, translate(kwargs, "init_app()")) if kwargs else dict(self._options)
        if isinstance(app, Blueprint):
            _init_blueprint(app, options)
            return
        if not isinstance(app, Flask):
            raise TypeError(f"CORS binds to a Flask application or a Blueprint, not {type(app).__name__}")
        install(app, DIALECT).configure_app(options)


def _init_blueprint(blueprint: Blueprint, options: dict[str, Any]) -> None:
    """flask-cors's ``CORS(blueprint)``: the blueprint's routes, with these options over the config."""
    resources = options.pop("resources", None)
    if resources is not None and list(resources) != ["/*"]:
        raise CORSConfigError(
            [
                f"CORS(blueprint {blueprint.name!r}): 'resources' other than every path — give them to CORS(app), "
                "or use @cross_origin on the views"
            ]
        )
    options.pop("debug", None)
    _check_alone(options, f"CORS(blueprint {blueprint.name!r})")

    def register(setup: Any) -> None:
        name = ".".join(part for part in (getattr(setup, "name_prefix", ""), setup.name) if part)
        install(setup.app, DIALECT).configure_blueprint(name, options)

    blueprint.record(register)


def _check_alone(options: Mapping[str, Any], where: str) -> None:
    """Validate view options now; origins may still come from the ``CORS_*`` config (a stand-in is used)."""
    alone = dict(options)
    if "allow_origins" not in alone:
        alone["allow_origins"] = ["https://origins-come-from-the-config.invalid"]
    try:
        DIALECT.build(alone, {}, view=True)
    except CORSConfigError as error:
        raise CORSConfigError([f"{where}: {problem}" for problem in error.problems]) from None


def cross_origin(*args: Any, **kwargs: Any) -> Callable[[F], F]:
    """flask-cors's ``@cross_origin(...)``: a policy of its own for one view; put it below ``@app.route``.

    The options are ``CORS``'s (without ``resources``), over the ``CORS_*`` config — not
    over ``CORS(app, ...)``'s options, as in flask-cors.  Checked now; the view is left as
    it is (the options are attached to it).  Preflights to it are answered before
    ``before_request`` hooks.
    """
    if args:
        _warn_once("@cross_origin: positional arguments are ignored (flask-cors ignored them too)")
    options = translate(kwargs, "@cross_origin")
    for name in ("resources", "debug"):
        if options.pop(name, None) is not None:
            _warn_once(f"@cross_origin: {name!r} applies to the whole application — ignored (give it to CORS(app))")
    _check_alone(options, "@cross_origin")
    options[DIALECT_OPTION] = DIALECT

    def decorate(view: F) -> F:
        attach_options(view, options)  # the applications it is registered with install the extension, no other
        return view

    return decorate
