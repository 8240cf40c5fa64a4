"""``flask cors routes``: every URL rule with the CORS policy in force for it, and where it comes from.

Each rule is checked on a real path it serves (its *sample path*: every variable filled in
with a value its converter accepts) by the same lookups the extension makes at request time
(:meth:`~flask_cors_ext.state.CORSState.for_view`, then the ``resources`` table), never by
comparing the rule's text with the patterns: ``/reports/<int:n>.csv`` is checked as
``/reports/1.csv``, which a ``re.compile(r"/reports/[0-9]+\\.csv")`` resource covers.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule
from werkzeug.routing.converters import (
    AnyConverter,
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
    ValidationError,
)

from cors_wsgi import CORSConfigError, CORSPolicy
from cors_wsgi.policy import PathKey
from cors_wsgi.resources import MatchFromStart, ResourceTable, parse_path_pattern

from .state import DIALECT_OPTION, EXTENSION_KEY, VIEW_OPTIONS_ATTRIBUTE, CORSState

__all__ = ["COLUMNS", "MAX_WIDTH", "RouteReport", "cors_command", "route_reports", "route_table", "sample_path"]

#: ``flask cors``: added to ``app.cli`` by ``CORS(app)``, and to every application through the
#: ``flask.commands`` entry point of this package.
cors_command = AppGroup("cors", help="Inspect the CORS policies of this application.")

#: The columns of :func:`route_table` (one row per rule, the policy's values in full).
COLUMNS = ("Rule", "Endpoint", "Origins", "Methods", "Headers", "Credentials", "Max-Age", "Source")
#: The printed table and the policies under it fit in this many columns (long cells are wrapped).
MAX_WIDTH = 100
#: Methods ``flask cors routes`` leaves out of its table, as ``flask routes`` does (``--json`` has them).
HIDDEN_METHODS = frozenset({"HEAD", "OPTIONS"})

_VARIABLE = re.compile(r"<(?:[a-zA-Z_][a-zA-Z0-9_]*(?:\(.*?\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")
#: Values tried, in order, for a variable whose converter is not one of Werkzeug's own.
_OTHER_SAMPLES = ("x", "1", "a", "0", "x-1", "a/b")


@dataclass(frozen=True)
class RouteReport:
    """What ``flask cors routes`` knows about one URL rule."""

    rule: str
    endpoint: str
    #: The rule's own methods (what Flask routes to the view), sorted.
    methods: tuple[str, ...]
    #: The path the rule was checked on: the rule with each variable filled in.
    sample_path: str
    #: Whether Flask routes :attr:`sample_path` to this rule (else the check is only indicative).
    sample_routed: bool
    #: ``"decorator"``, ``"blueprint"``, ``"resource"``, ``"CORS() options"``, ``"config"``,
    #: ``"defaults"``, or ``None``: no CORS handling for this rule.
    source: str | None
    #: The registered name of the blueprint with ``CORS(blueprint)`` options over the view, if any.
    blueprint: str | None
    #: The ``resources`` key covering :attr:`sample_path`, as given, if any.
    resource: PathKey | None
    #: The policy in force, or ``None``.
    policy: CORSPolicy | None
    #: Where the policy comes from, or why there is none, in the table's words (``"resource '/api/*'"``,
    #: ``"blueprint 'admin'"``, ``"no CORS (no resource covers /other)"``).
    summary: str
    #: Problems of an invalid view policy (requests to the view then fail with 500).
    problems: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The object ``flask cors routes --json`` prints for this rule."""
        resource = None
        if self.resource is not None:
            parsed = parse_path_pattern(self.resource)
            text = self.resource if isinstance(self.resource, str) else parsed.text
            resource = {"pattern": text, "kind": parsed.kind}
        return {
            "rule": self.rule,
            "endpoint": self.endpoint,
            "methods": list(self.methods),
            "sample_path": self.sample_path,
            "sample_routed": self.sample_routed,
            "cors": self.policy is not None,
            "source": self.source,
            "blueprint": self.blueprint or None,
            "resource": resource,
            "summary": self.summary,
            "policy": None if self.policy is None else policy_json(self.policy),
            "problems": list(self.problems),
        }


def describe_resource(key: PathKey | None) -> str:
    """A ``resources`` key as written in Python (``'/api/*'``, ``re.compile('...')``, ``re.match('...')``)."""
    if isinstance(key, MatchFromStart):
        return f"re.match({key.regex.pattern!r})"
    return repr(key)


def _origins(policy: CORSPolicy) -> list[str]:
    origins = list(policy.allow_origins or ())
    regexes = policy.allow_origin_regex
    for regex in (regexes,) if isinstance(regexes, re.Pattern) else regexes or ():
        origins.append(f"regex {regex.pattern!r}")
    if policy.allow_origin_func is not None:
        origins.append(f"func {_function_name(policy.allow_origin_func)}")
    return origins


def _function_name(function: object) -> str:
    return str(getattr(function, "__qualname__", repr(function)))


def _headers(policy: CORSPolicy) -> list[str]:
    return [h if isinstance(h, str) else f"regex {h.pattern!r}" for h in policy.allow_headers or ()]


def policy_lines(policy: CORSPolicy) -> list[tuple[str, list[str]]]:
    """The policy's options as the legend under the table shows them: (option, the values listed)."""
    return [
        ("allow_origins", _origins(policy) or ["(none)"]),
        ("allow_methods", list(policy.allow_methods or ())),
        ("allow_headers", _headers(policy) or ["(safelisted only)"]),
        ("expose_headers", list(policy.expose_headers or ()) or ["(none)"]),
        ("allow_credentials", ["yes" if policy.allow_credentials else "no"]),
        ("max_age", ["-" if policy.max_age is None else str(policy.max_age)]),
        ("allow_private_network", ["yes" if policy.allow_private_network else "no"]),
    ]


def policy_json(policy: CORSPolicy) -> dict[str, Any]:
    """The policy's normalized options as ``--json`` prints them."""
    regexes = policy.allow_origin_regex
    return {
        "allow_origins": list(policy.allow_origins or ()),
        "allow_origin_regex": [r.pattern for r in ((regexes,) if isinstance(regexes, re.Pattern) else regexes or ())],
        "allow_origin_func": None if policy.allow_origin_func is None else _function_name(policy.allow_origin_func),
        "allow_methods": list(policy.allow_methods or ()),
        "allow_headers": [h for h in policy.allow_headers or () if isinstance(h, str)],
        "allow_header_regex": [h.pattern for h in policy.allow_headers or () if not isinstance(h, str)],
        "expose_headers": list(policy.expose_headers or ()),
        "allow_credentials": bool(policy.allow_credentials),
        "max_age": policy.max_age,
        "allow_private_network": bool(policy.allow_private_network),
    }


# -- sample paths ---------------------------------------------------------------------------------


def _accepts(converter: BaseConverter, text: str) -> bool:
    if re.fullmatch(converter.regex, text) is None:
        return False
    try:
        converter.to_python(text)
    except (ValidationError, ValueError):
        return False
    return True


def _sample_value(converter: BaseConverter | None) -> str:
    """A value of one rule variable that ``converter`` accepts: ``int`` 1 (or its minimum), ``float``
    1.0, ``path`` a/b, ``uuid`` the nil UUID, ``any(...)`` its first item, ``string`` x (as many as its
    length needs), anything else the first of x, 1, a, 0, x-1, a/b it accepts."""
    if converter is None:
        return "x"
    candidates: Iterable[str]
    if isinstance(converter, IntegerConverter | FloatConverter):
        number = converter.min if converter.min is not None else 1
        if converter.max is not None and number > converter.max:
            number = converter.max
        candidates = [converter.to_url(float(number) if isinstance(converter, FloatConverter) else int(number))]
    elif isinstance(converter, PathConverter):
        candidates = ["a/b"]
    elif isinstance(converter, UUIDConverter):
        candidates = [converter.to_url(uuid.UUID(int=0))]
    elif isinstance(converter, AnyConverter):
        candidates = sorted(converter.items)
    elif isinstance(converter, UnicodeConverter):
        candidates = ("x" * length for length in range(1, 257))
    else:
        candidates = _OTHER_SAMPLES
    return next((text for text in candidates if _accepts(converter, text)), "x")


def _fill(template: str, converters: dict[str, BaseConverter]) -> str:
    return _VARIABLE.sub(lambda match: _sample_value(converters.get(match.group(1))), template)


def sample_path(rule: Rule) -> str:
    """A path ``rule`` serves: its text with every variable filled in (see :func:`_sample_value`)."""
    converters: dict[str, BaseConverter] = getattr(rule, "_converters", {})
    return _fill(rule.rule, converters)


def _routes_to(rule: Rule, path: str) -> bool:
    """Whether Flask routes ``path`` to ``rule`` for one of the rule's methods (two rules may share a
    path, each with methods of its own)."""
    converters: dict[str, BaseConverter] = getattr(rule, "_converters", {})
    url_map = rule.map
    methods = sorted(rule.methods or {"GET"}, key=lambda method: (method in HIDDEN_METHODS, method))
    try:
        if url_map.host_matching:
            adapter = url_map.bind(_fill(rule.host or "localhost", converters))
        else:
            adapter = url_map.bind("localhost", subdomain=_fill(rule.subdomain or "", converters) or None)
    except (HTTPException, ValueError):
        return False
    for method in methods:
        try:
            matched, _arguments = adapter.match(path, method=method, return_rule=True)
        except HTTPException:  # not found, not allowed, or a redirect (merged slashes, a trailing slash)
            continue
        if matched is rule:
            return True
    return False


# -- the lookups ----------------------------------------------------------------------------------


def _state() -> CORSState | None:
    state: CORSState | None = current_app.extensions.get(EXTENSION_KEY)
    if state is None:
        found = [getattr(view, VIEW_OPTIONS_ATTRIBUTE, None) for view in current_app.view_functions.values()]
        options = [view_options for view_options in found if isinstance(view_options, dict)]
        if options:  # @cross_origin views only: describe them without installing
            state = CORSState(current_app, next((o[DIALECT_OPTION] for o in options if DIALECT_OPTION in o), None))
    return state


def _blueprint_of(state: CORSState, endpoint: str) -> str | None:
    """The innermost blueprint with ``CORS(blueprint)`` options over ``endpoint`` (as the state layers them)."""
    name = endpoint
    while "." in name:
        name = name.rsplit(".", 1)[0]
        if name in state.blueprint_options:
            return name
    return None


def route_reports() -> list[RouteReport]:
    """One :class:`RouteReport` per URL rule of the current application, sorted by rule."""
    state = _state()
    app_policy = state.app_policy if state is not None else None
    resources = app_policy.resources if app_policy is not None else None
    # The application's resources table keyed by the patterns as given: the same entries and the
    # same "most specific wins" lookup as the one that chooses the policy, so it names the key
    # that matched (two keys may share one CORSPolicy object).
    keys: ResourceTable[PathKey] | None = None
    if resources is not None:
        keys = ResourceTable((parse_path_pattern(key), key) for key in resources)
    reports: list[RouteReport] = []
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: (r.rule, str(r.endpoint))):
        endpoint = str(rule.endpoint)
        path = sample_path(rule)
        report = RouteReport(
            rule=rule.rule,
            endpoint=endpoint,
            methods=tuple(sorted(rule.methods or ())),
            sample_path=path,
            sample_routed=_routes_to(rule, path),
            source=None,
            blueprint=None,
            resource=None,
            policy=None,
            summary="no CORS (the extension is not installed)",
        )
        if state is not None:
            report = _with_policy(report, state, keys.lookup(path) if keys is not None else None)
        reports.append(report)
    return reports


def _with_policy(report: RouteReport, state: CORSState, resource: PathKey | None) -> RouteReport:
    """``report`` with the policy the extension applies to requests for its sample path."""
    report = replace(report, blueprint=_blueprint_of(state, report.endpoint), resource=resource, summary="no CORS")
    try:
        resolved = state.for_view(report.endpoint, report.sample_path)
    except CORSConfigError as error:
        return replace(report, summary="invalid policy (requests fail with 500)", problems=tuple(error.problems))
    if resolved is not None:  # a decorator's or a blueprint's policy
        source = "decorator" if resolved.source == "decorator" else "blueprint"
        return replace(report, source=source, policy=resolved.policy, summary=resolved.source)
    app_policy = state.app_policy
    if app_policy is None:
        return report
    if app_policy.resources is None:
        source = "CORS() options" if state.app_options else "config" if state.config_options else "defaults"
        return replace(report, source=source, policy=app_policy, summary=source)
    if resource is None:
        return replace(report, summary=f"no CORS (no resource covers {report.sample_path})")
    summary = f"resource {describe_resource(resource)}"
    return replace(report, source="resource", policy=app_policy.resources[resource], summary=summary)


def route_table() -> list[tuple[str, ...]]:
    """One row per URL rule of the current application (see :data:`COLUMNS`): the policy's values in
    full, its ``allow_methods`` under "Methods"; the source as :attr:`RouteReport.summary`."""
    rows: list[tuple[str, ...]] = []
    for report in route_reports():
        if report.policy is None:
            rows.append((report.rule, report.endpoint, "-", "-", "-", "-", "-", report.summary))
            continue
        values = {name: ", ".join(items) for name, items in policy_lines(report.policy)}
        rows.append(
            (
                report.rule,
                report.endpoint,
                values["allow_origins"],
                values["allow_methods"],
                values["allow_headers"],
                values["allow_credentials"],
                values["max_age"],
                report.summary,
            )
        )
    return rows


# -- printing -------------------------------------------------------------------------------------


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken after a comma if one is near enough,
    else at a space, else after a slash, else exactly at ``width``."""
    width = max(width, 8)
    lines: list[str] = []
    while len(text) > width:
        cut = width
        for separator, limit in ((", ", width + 1), (" ", width + 1), ("/", width)):
            at = text.rfind(separator, 0, limit)
            if at > 0:
                cut = at + len(separator)
                break
        lines.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*lines, text]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> list[str]:
    """Columns two spaces apart, shrunk (widest first) until the lines fit in ``width``; cells that no
    longer fit are wrapped onto more lines."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    floor = [max(len(name), 6) for name in header]
    while sum(widths) + 2 * (len(widths) - 1) > width:
        widest = max((w - f, i) for i, (w, f) in enumerate(zip(widths, floor, strict=True)))[1]
        if widths[widest] <= floor[widest]:
            break
        widths[widest] -= 1
    lines = []
    for index, row in enumerate((header, *rows)):
        cells = [_wrap(cell, w) for cell, w in zip(row, widths, strict=True)]
        for n in range(max(len(cell) for cell in cells)):
            parts = [(cell[n] if n < len(cell) else "").ljust(w) for cell, w in zip(cells, widths, strict=True)]
            lines.append("  ".join(parts).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def render(reports: Sequence[RouteReport], width: int = MAX_WIDTH) -> list[str]:
    """The lines ``flask cors routes`` prints: the table, then each policy it refers to, numbered."""
    legend: dict[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], int] = {}
    rows = []
    for report in reports:
        methods = [m for m in report.methods if m not in HIDDEN_METHODS] or list(report.methods)
        cell = report.summary
        if report.policy is not None:
            values = tuple((name, tuple(items)) for name, items in policy_lines(report.policy))
            number = legend.setdefault((cell, values), len(legend) + 1)
            cell = f"[{number}] {cell}"
        if not report.sample_routed:
            cell += f" (checked on {report.sample_path}, which this rule does not serve)"
        rows.append((report.rule, report.endpoint, ", ".join(methods), cell))
    lines = _table(("Rule", "Endpoint", "Methods", "CORS"), rows, width)
    for (summary, values), number in legend.items():
        lines += ["", *_wrap(f"[{number}] {summary}", width)]
        name_width = max(len(name) for name, _items in values)
        room = width - 6 - name_width
        for name, items in values:
            joined = ", ".join(items)
            # A list too long for one line: one item a line, so that no origin is cut in two.
            shown = [joined] if len(joined) <= room else [*(f"{item}," for item in items[:-1]), items[-1]]
            wrapped = [line for item in shown for line in _wrap(item, room)]
            lines.append(f"    {name.ljust(name_width)}  {wrapped[0]}")
            lines += [" " * (6 + name_width) + more for more in wrapped[1:]]
    for report in reports:
        if report.problems:
            lines += ["", *_wrap(f"{report.endpoint}: invalid CORS policy", width)]
            lines += [line for problem in report.problems for line in _wrap(f"  - {problem}", width)]
    return lines


@cors_command.command("routes")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per URL rule (keys below).")
def routes_command(as_json: bool) -> None:
    """Show every URL rule, its methods, and the CORS policy in force for it.

    Each rule is checked on a path it serves, its variables filled in (int 1, float 1.0,
    path a/b, uuid 00000000-0000-0000-0000-000000000000, any(...) its first item, string
    x), by the lookups the extension makes at request time: a decorator's or blueprint's
    policy, else the resources pattern covering that path.  Methods: the rule's own
    (HEAD and OPTIONS left out, as by "flask routes"); CORS: where the policy comes from,
    [n] pointing to the policy's options listed under the table.

    \b
    --json prints one object per rule, with the keys:
      rule, endpoint    the URL rule and its endpoint
      methods           the rule's methods, HEAD and OPTIONS included
      sample_path       the path the rule was checked on
      sample_routed     whether Flask routes sample_path to this rule
      cors              whether a CORS policy applies
      source            decorator, blueprint, resource, CORS() options,
                        config, defaults; null without CORS
      blueprint         the blueprint whose CORS() options apply, or null
      resource          the resources pattern covering sample_path:
                        {"pattern", "kind": exact|subtree|regex|regex-start},
                        or null
      summary           the table's CORS column, without [n]
      policy            null, or the options in force: allow_origins,
                        allow_origin_regex, allow_origin_func, allow_methods,
                        allow_headers, allow_header_regex, expose_headers,
                        allow_credentials, max_age, allow_private_network
      problems          why the view's policy is invalid (its requests
                        fail with 500), or []
    """
    reports = route_reports()
    if as_json:
        click.echo(json.dumps([report.as_json() for report in reports], indent=2))
        return
    for line in render(reports):
        click.echo(line)
