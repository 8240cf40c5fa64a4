"""``flask cors routes``: every URL rule with the CORS policy in force for it, and where it comes from."""

from __future__ import annotations

import re

import click
from flask import current_app
from flask.cli import AppGroup

from cors_wsgi import CORSPolicy
from cors_wsgi.resources import MatchFromStart

from .state import DIALECT_OPTION, EXTENSION_KEY, VIEW_OPTIONS_ATTRIBUTE, CORSState

__all__ = ["cors_command", "route_table"]

#: ``flask cors``: added to ``app.cli`` by ``CORS(app)``, and to every application through the
#: ``flask.commands`` entry point of this package.
cors_command = AppGroup("cors", help="Inspect the CORS policies of this application.")

COLUMNS = ("Rule", "Endpoint", "Origins", "Methods", "Headers", "Credentials", "Max-Age", "Source")


def _describe(policy: CORSPolicy) -> tuple[str, str, str, str, str]:
    """The columns of one policy that covers every path (``policy.resources`` is ``None``)."""
    origins = list(policy.allow_origins or ())
    regexes = policy.allow_origin_regex
    for regex in (regexes,) if isinstance(regexes, re.Pattern) else regexes or ():
        origins.append(f"regex {regex.pattern!r}")
    if policy.allow_origin_func is not None:
        origins.append(f"func {getattr(policy.allow_origin_func, '__qualname__', repr(policy.allow_origin_func))}")
    return (
        ", ".join(origins) or "(none)",
        ", ".join(policy.allow_methods or ()),
        ", ".join(h if isinstance(h, str) else f"regex {h.pattern!r}" for h in policy.allow_headers or ())
        or "(safelisted only)",
        "yes" if policy.allow_credentials else "no",
        "-" if policy.max_age is None else str(policy.max_age),
    )


def route_table() -> list[tuple[str, ...]]:
    """One row per URL rule of the current application (see :data:`COLUMNS`)."""
    state: CORSState | None = current_app.extensions.get(EXTENSION_KEY)
    if state is None:
        found = [getattr(view, VIEW_OPTIONS_ATTRIBUTE, None) for view in current_app.view_functions.values()]
        options = [view_options for view_options in found if isinstance(view_options, dict)]
        if options:  # @cross_origin views only: describe them without installing
            state = CORSState(current_app, next((o[DIALECT_OPTION] for o in options if DIALECT_OPTION in o), None))
    rows: list[tuple[str, ...]] = []
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        endpoint = str(rule.endpoint)
        if state is None:
            rows.append((rule.rule, endpoint, "-", "-", "-", "-", "-", "no CORS (the extension is not installed)"))
            continue
        resolved = state.for_view(endpoint, rule.rule)
        if resolved is not None:
            rows.append((rule.rule, endpoint, *_describe(resolved.policy), resolved.source))
            continue
        app_policy = state.app_policy
        if app_policy is None:
            rows.append((rule.rule, endpoint, "-", "-", "-", "-", "-", "no CORS"))
        elif app_policy.resources is None:
            source = "CORS() options" if state.app_options else "config" if state.config_options else "defaults"
            rows.append((rule.rule, endpoint, *_describe(app_policy), source))
        else:
            pattern, policy = _resource_for(app_policy, rule.rule)
            if policy is None:
                rows.append((rule.rule, endpoint, "-", "-", "-", "-", "-", "no CORS (no resource pattern)"))
            else:
                shown = f"re.match({pattern.regex.pattern!r})" if isinstance(pattern, MatchFromStart) else repr(pattern)
                rows.append((rule.rule, endpoint, *_describe(policy), f"resource {shown}"))
    return rows


def _resource_for(app_policy: CORSPolicy, path: str) -> tuple[object, CORSPolicy | None]:
    """The resource whose compiled policy covers ``path`` (a rule's text stands for its paths)."""
    compiled = app_policy.compiled_for_path(path)
    for pattern, policy in (app_policy.resources or {}).items():
        if compiled is not None and policy.compiled is compiled:
            return pattern, policy
    return None, None


@cors_command.command("routes")
def routes_command() -> None:
    """Show every URL rule with its CORS policy and where that policy comes from."""
    rows = [COLUMNS, *route_table()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    for index, row in enumerate(rows):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            click.echo("  ".join("-" * width for width in widths))
