"""Why a policy refuses a request, and the smallest change of options that lets it through.

``cors-wsgi explain`` prints these fixes: each one follows from what the policy actually
refuses (never a guess), and applying all of them to the options makes the request pass.

* :func:`diagnose` compares a request (origin, method, headers, credentials mode) with
  the policy covering its path, using the engine's own decisions, and returns
  :class:`Fix` objects, server side (an option to change, in the ``resources`` entry
  that covers the path when there is one) or client side (what the page must send).
* :func:`apply_fixes` is the same change made to an options mapping: what a user would
  write after reading the advice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .engine import actual_response_headers, method_allowed, split_request_headers
from .methods import SAFELISTED_METHODS, normalize_method
from .policy import CORSPolicy, PathKey
from .resources import ResourceTable, parse_path_pattern

__all__ = ["Fix", "apply_fixes", "diagnose"]

Header = tuple[str, str]


@dataclass(frozen=True)
class Fix:
    """One change that removes one refusal.

    ``side`` is ``"server"`` (change ``option`` of the policy; of ``resources[resource]``
    when ``resource`` is not ``None``) or ``"client"`` (the page must send ``value``).
    ``action`` is ``"add"`` (``value``, a tuple of strings, joins the option's list),
    ``"set"`` (``value`` replaces the option) or ``"cover"`` (add a ``resources`` entry
    covering the path ``value``).  ``new_value`` is the option's whole value after the
    change (the listed values kept).  ``text`` says it in one line.
    """

    side: str
    option: str
    action: str
    value: Any
    text: str
    resource: PathKey | None = None
    new_value: Any = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the entries of ``explain --json``'s ``"fix"`` list."""
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        resource = None if self.resource is None else _key_text(self.resource)
        return {
            "side": self.side,
            "resource": resource,
            "option": self.option,
            "action": self.action,
            "value": value,
            "new_value": list(self.new_value) if isinstance(self.new_value, tuple) else self.new_value,
            "text": self.text,
        }


def _key_text(key: PathKey) -> str:
    pattern = getattr(key, "pattern", None)
    if isinstance(pattern, str):
        return f"re:{pattern}"
    return str(key)


def covering_resource(policy: CORSPolicy, path: str) -> PathKey | None:
    """The ``resources`` key whose entry applies to ``path`` (the middleware's own choice), or ``None``."""
    if policy.resources is None:
        return None
    table: ResourceTable[PathKey] = ResourceTable((parse_path_pattern(key), key) for key in policy.resources)
    return table.lookup(path)


def diagnose(
    policy: CORSPolicy, path: str, origin: str, method: str, headers: Sequence[str], credentials: bool
) -> list[Fix]:
    """What in ``policy`` refuses this request, as fixes; an empty list when the policy allows it.

    ``path`` is the request's path (text), ``method`` as the script wrote it, ``headers``
    the CORS-unsafe request-header names (lowercase; empty for a simple request) and
    ``credentials`` whether the request is credentialed.  Only the preflight's rules apply
    to the method and headers, so pass none for a request that is not preflighted.
    """
    compiled = policy.compiled_for_path(path)
    if compiled is None:
        text = (
            f"add a resources entry covering {path} (e.g. {path!r} or a pattern such as '/api/*'): "
            "no pattern covers it, so the middleware leaves the request to the application"
        )
        cover = Fix("server", "resources", "cover", path, text, None, {path: {}})
        covered = CORSPolicy(**apply_fixes(policy.options, policy, [cover]))  # then what the new entry refuses
        return [cover, *diagnose(covered, path, origin, method, headers, credentials)]
    resource = covering_resource(policy, path)
    where = "" if resource is None else f" in resources[{_key_text(resource)!r}]"
    entry = policy if resource is None or policy.resources is None else policy.resources[resource]
    fixes: list[Fix] = []

    def server(option: str, action: str, value: Any, text: str) -> None:
        if action == "add":
            given = entry.options.get(option)
            if given is None:
                current: tuple[Any, ...] = tuple(getattr(entry, option) or ())
            elif isinstance(given, str):
                current = tuple(part.strip() for part in given.split(",") if part.strip())
            else:
                current = tuple(given)
            new_value: Any = (*current, *value)
        else:
            new_value = value
        text = text.replace("{where}", where) if "{where}" in text else text + where
        fixes.append(Fix("server", option, action, value, text, resource, new_value))

    allow_origin = dict(actual_response_headers(compiled, origin).headers).get("Access-Control-Allow-Origin")
    if allow_origin is None:
        server("allow_origins", "add", (origin,), f"add {origin!r} to allow_origins")
    elif allow_origin == "*" and credentials:
        listed = tuple(o for o in entry.allow_origins or () if o != "*")
        server(
            "allow_origins",
            "set",
            (*listed, origin),
            f"replace '*' in allow_origins{{where}} by a list of origins including {origin!r} "
            "('*' never allows credentialed requests)",
        )
    if credentials and not entry.allow_credentials:
        server("allow_credentials", "set", True, "set allow_credentials=True")

    sent_method = normalize_method(method)
    if sent_method not in SAFELISTED_METHODS and not method_allowed(compiled, sent_method):
        upper = sent_method.upper()
        if sent_method != upper:  # a lowercase method cannot be configured: the page must change
            fixes.append(
                Fix(
                    "client",
                    "method",
                    "set",
                    upper,
                    f"the page must send the method as {upper!r}: methods compare case-sensitively "
                    f"and browsers send {sent_method!r} as the script wrote it",
                )
            )
        if upper not in SAFELISTED_METHODS and not method_allowed(compiled, upper):
            server("allow_methods", "add", (upper,), f"add {upper!r} to allow_methods")
    refused = split_request_headers(compiled, list(headers))[1] if headers else []
    if refused:
        names = ", ".join(repr(name) for name in refused)
        server("allow_headers", "add", tuple(refused), f"add {names} to allow_headers")
    return fixes


def apply_fixes(options: Mapping[str, Any], policy: CORSPolicy, fixes: Sequence[Fix]) -> dict[str, Any]:
    """``options`` (the ``CORSPolicy`` keywords ``policy`` was built from) with the server-side ``fixes``
    made, as a user would after reading them; client fixes are skipped.

    A fix inside a ``resources`` entry writes that entry out in full (its inherited options
    included), so that giving it an origin option of its own keeps the inherited ones.
    """
    changed = dict(options)
    for fix in fixes:
        if fix.side != "server":
            continue
        if fix.action == "cover":
            changed["resources"] = {**(changed.get("resources") or {}), fix.value: {}}
        elif fix.resource is not None and policy.resources is not None:
            resources = dict(changed["resources"])
            current = resources[fix.resource]
            entry = dict(current.options if isinstance(current, CORSPolicy) else current)
            resources[fix.resource] = {**policy.resources[fix.resource].options, **entry, fix.option: fix.new_value}
            changed["resources"] = resources
        else:
            changed[fix.option] = fix.new_value
    return changed
