"""Option names for Flask: the one alias table (flask-cors names -> core names) and ``CORS_*`` config.

Every CORS decision is the core's (:mod:`cors_wsgi`); this module only translates
names, so a flask-cors user can keep their spelling, and refuses the flask-cors
switches that would turn off a safety this library always keeps.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from cors_wsgi import CORSConfigError, CORSPolicy
from cors_wsgi.policy import OPTION_NAMES, CORSOptions

__all__ = [
    "ALIASES",
    "BOOLEAN_OPTIONS",
    "COMPATIBILITY_ONLY",
    "FlaskCORSOptions",
    "check_alone",
    "check_boolean",
    "config_options",
    "core_options",
]


class FlaskCORSOptions(CORSOptions, total=False):
    """The keyword options of :class:`~flask_cors_ext.CORS`, ``init_app`` and
    :func:`~flask_cors_ext.cross_origin`: the core's (:class:`cors_wsgi.policy.CORSOptions`),
    flask-cors's spellings of three of them, and flask-cors's switches this extension
    accepts with the values it keeps (see :data:`COMPATIBILITY_ONLY`).

    Typed so that a misspelt option (``allow_orgins=...``, ``origin=...``) is caught by
    a type checker in your project, not only when the application starts.
    """

    origins: str | Iterable[str]
    methods: str | Iterable[str]
    supports_credentials: bool
    send_wildcard: bool
    vary_header: bool
    automatic_options: bool
    always_send: bool
    intercept_exceptions: bool


#: flask-cors spelling -> core spelling.  flask-cors's ``allow_headers``,
#: ``expose_headers``, ``max_age``, ``resources`` and ``allow_private_network`` are
#: already the core's names.
ALIASES: Mapping[str, str] = {
    "origins": "allow_origins",
    "methods": "allow_methods",
    "supports_credentials": "allow_credentials",
}

#: flask-cors switches with no counterpart here: name -> (values accepted, why).
#: ``None`` as the accepted values means any bool is accepted (and has no effect).
COMPATIBILITY_ONLY: Mapping[str, tuple[tuple[bool, ...] | None, str]] = {
    "send_wildcard": (
        None,
        "a public policy ('*') always answers with a static '*', and a listed origin is always echoed",
    ),
    "vary_header": (
        (True,),
        "'Vary: Origin' is always sent when the answer depends on the origin; without it a shared cache "
        "can serve one origin's answer to another",
    ),
    "automatic_options": (
        (True,),
        "preflights are always answered by the middleware, before Flask's routing and hooks",
    ),
    "always_send": (
        None,
        "a public '*' policy answers every request (cache-safe static answer); a policy that depends on the "
        "origin answers requests without Origin with 'Vary: Origin' only",
    ),
    "intercept_exceptions": (
        (True,),
        "error responses (404, 405, 500) always carry the CORS headers, so the browser shows the real error",
    ),
}

_KNOWN = (*OPTION_NAMES, *ALIASES, *COMPATIBILITY_ONLY)

#: Core options that take True or False, and nothing else (``"false"`` is not false).
#: ``debug`` may also be ``None``: not set, follow ``app.debug``.
BOOLEAN_OPTIONS = frozenset({"allow_credentials", "allow_private_network", "debug"})


def check_boolean(value: object, shown: str, *, from_config: bool = False, none_ok: bool = False) -> str | None:
    """The problem with ``value`` for a boolean option shown as ``shown``, or ``None`` when it is a bool.

    Never reads truthiness: ``"false"``, ``"0"``, ``0`` and ``1`` are all refused.
    """
    if isinstance(value, bool) or (none_ok and value is None):
        return None
    problem = f"{shown} expects True or False, not {value!r}"
    if isinstance(value, str):
        if from_config:
            problem += (
                " — environment strings are not parsed; use app.config.from_prefixed_env(), "
                "which reads JSON (false/true)"
            )
        else:
            problem += " — strings are not parsed; write True or False"
    return problem


def core_options(options: Mapping[str, Any], where: str, *, key_prefix: str = "") -> dict[str, Any]:
    """Translate options given in either vocabulary to core names, checking every name.

    ``where`` names the caller in messages (``"CORS()"``, ``"app.config"``, ...);
    ``key_prefix`` is how names are spelled there (``"CORS_"`` for config keys, whose
    names are then shown upper-cased).  Raises :class:`~cors_wsgi.CORSConfigError`
    listing every unknown name (with a "did you mean"), every option given in both
    spellings, and every flask-cors switch set to a value this library refuses.
    """

    def shown(name: str) -> str:
        return repr(key_prefix + name.upper() if key_prefix else name)

    problems: list[str] = []
    result: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for name, value in options.items():
        if name in COMPATIBILITY_ONLY:
            accepted, why = COMPATIBILITY_ONLY[name]
            problem = check_boolean(value, shown(name), from_config=bool(key_prefix))
            if problem is not None:
                problems.append(f"{where}: {problem}")
            elif accepted is not None and value not in accepted:
                problems.append(f"{where}: {shown(name)}={value!r} is not supported: {why}")
            continue
        core = ALIASES.get(name, name)
        if core not in OPTION_NAMES:
            close = difflib.get_close_matches(name, _KNOWN, n=1)
            hint = f" — did you mean {shown(close[0])}?" if close else ""
            problems.append(f"{where}: unknown option {shown(name)}{hint}")
            continue
        if core in spelled:
            problems.append(
                f"{where}: {shown(spelled[core])} and {shown(name)} are the same option; "
                f"give it once (as {shown(core)})"
            )
            continue
        spelled[core] = name
        if core in BOOLEAN_OPTIONS:
            problem = check_boolean(value, shown(name), from_config=bool(key_prefix), none_ok=core == "debug")
            if problem is not None:
                problems.append(f"{where}: {problem}")
                continue
        result[core] = value
    resources = result.get("resources")
    if isinstance(resources, Mapping):  # each entry may use either vocabulary too
        translated: dict[Any, Any] = {}
        for pattern, entry in resources.items():
            translated[pattern] = entry
            if isinstance(entry, Mapping):
                try:
                    translated[pattern] = core_options(entry, f"{where} resources[{pattern!r}]")
                except CORSConfigError as error:
                    problems.extend(error.problems)
        result["resources"] = translated
    if problems:
        raise CORSConfigError(problems)
    return result


def check_alone(options: Mapping[str, Any], where: str) -> None:
    """Validate options that will be merged over the application's later (decorator, blueprint).

    Everything is checked now except what the application may still supply: when
    these options name no origins, a stand-in origin list is used for the check.
    """
    alone = dict(options)
    if not {"allow_origins", "allow_origin_regex", "allow_origin_func"} & alone.keys():
        alone["allow_origins"] = ["https://origins-come-from-the-application.invalid"]
    try:
        CORSPolicy(**alone)
    except CORSConfigError as error:
        raise CORSConfigError([f"{where}: {problem}" for problem in error.problems]) from None


def config_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The options set by ``CORS_*`` keys of a Flask config, in core names.

    Each option may be set under ``CORS_`` + its upper-cased name in either vocabulary
    (``CORS_ALLOW_ORIGINS`` or ``CORS_ORIGINS``).  An unknown ``CORS_*`` key is an error.
    """
    given = {key[len("CORS_") :].lower(): value for key, value in config.items() if key.startswith("CORS_")}
    return core_options(given, "app.config", key_prefix="CORS_")
