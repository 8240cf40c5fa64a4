"""Per-application CORS state: which policy applies to a view or a path.

:class:`CORSState` (kept in ``app.extensions["cors"]``) holds the options given by
``CORS_*`` config, ``CORS(app)``, ``CORS(blueprint)`` and ``@cross_origin``, resolves
them into core :class:`~cors_wsgi.CORSPolicy` objects once per view, and answers "which
compiled policy covers this request?" for the WSGI layer (:mod:`flask_cors_ext.extension`)
and for ``flask cors routes`` (:mod:`flask_cors_ext.cli`).  Merge order, most specific
first: decorator > blueprint > the ``resources`` entry covering the path > ``CORS()``
options > config.  All CORS decisions are the core's.

A :class:`Dialect` (:mod:`flask_cors_ext.compat`: flask-cors's vocabulary) may read the
options instead, build the policies, and register an :class:`AnswerForm` for each
compiled policy it builds (:attr:`CORSState.forms`); a native application's registry stays
empty, and its requests only test that.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol
from urllib.parse import unquote, urlsplit

from flask import Flask
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect, Rule

from cors_wsgi import CORSConfigError, CORSPolicy
from cors_wsgi.engine import CompiledPolicy, actual_response_headers
from cors_wsgi.headers import add_cors_headers
from cors_wsgi.middleware import WSGIAnswers, is_preflight
from cors_wsgi.policy import PathKey, merge_options
from cors_wsgi.resources import ResourceTable, parse_path_pattern, wsgi_path_to_text

from .options import check_boolean, config_options

__all__ = [
    "APP_ONLY",
    "DIALECT_OPTION",
    "EXTENSION_KEY",
    "HANDLED_KEY",
    "VIEW_OPTIONS_ATTRIBUTE",
    "AnswerForm",
    "CORSState",
    "Dialect",
    "ResolvedPolicy",
    "request_path",
]

logger = logging.getLogger("cors_wsgi")

#: ``app.extensions`` key of the per-app :class:`CORSState`.
EXTENSION_KEY = "cors"
#: Set in the WSGI environ by :class:`FlaskCORSMiddleware` for the requests it sees while a
#: ``request_started`` receiver may look at them (an added environ key costs Flask ~4k instructions).
HANDLED_KEY = "flask_cors_ext.handled"
#: The attribute ``@cross_origin`` sets on a view function: its options, in core names.
VIEW_OPTIONS_ATTRIBUTE = "cors_options"
#: Options that belong to the application's policy only and are never inherited.
APP_ONLY = ("resources", "debug")
#: Key, in a view's options, of the :class:`Dialect` that translated them (absent: the native one).
DIALECT_OPTION = "flask_cors_ext.dialect"

Headers = list[tuple[str, str]]
StartResponse = Callable[..., Callable[[bytes], object]]


class AnswerForm(Protocol):
    """How the answers of one compiled policy are written, when not in the native form.

    Registered in :attr:`CORSState.forms` by a :class:`Dialect` for the compiled
    policies it builds (:mod:`flask_cors_ext.compat`: flask-cors's header forms).  The
    decisions stay the core's; a form only renders them.
    """

    def response_headers(self, environ: dict[str, Any], headers: Headers) -> Headers:
        """``headers`` of a response Flask produced, with this policy's CORS answer folded in."""
        ...

    def preflight(self, environ: dict[str, Any], debug: bool) -> tuple[str, Headers, bytes] | None:
        """The whole answer to a preflight (status, headers, body), or ``None``: Flask answers it
        (its response then goes through :meth:`response_headers`)."""
        ...


class Dialect(Protocol):
    """Another vocabulary for the same extension (:mod:`flask_cors_ext.compat`).

    Reads the ``CORS_*`` keys, builds each policy from merged options (registering an
    :class:`AnswerForm` for every compiled policy it builds), and says what views inherit.
    """

    #: Shown in messages (``"flask_cors_ext.compat"``).
    name: str
    #: Whether ``@cross_origin`` and ``CORS(blueprint)`` options merge over ``CORS(app)``'s
    #: options and ``resources`` entries (native), or over the ``CORS_*`` config only (flask-cors).
    views_inherit_app_options: bool

    def config_options(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The options set by the ``CORS_*`` keys of ``config``."""
        ...

    def build(self, options: Mapping[str, Any], forms: dict[CompiledPolicy, AnswerForm], *, view: bool) -> CORSPolicy:
        """The policy for merged ``options`` (of a view when ``view``); raises
        :class:`~cors_wsgi.CORSConfigError`."""
        ...


def _cors_keys(config: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in config.items() if key.startswith("CORS_")}


class ResolvedPolicy(NamedTuple):
    """The policy in force for a view or path, and where it came from (for ``flask cors routes``)."""

    policy: CORSPolicy
    compiled: CompiledPolicy | None
    source: str


def _inheritable(options: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in options.items() if name not in APP_ONLY}


class CORSState:
    """Everything CORS knows about one Flask application; kept in ``app.extensions["cors"]``.

    Two applications never share a state, even when initialised from one :class:`CORS`.
    """

    def __init__(self, app: Flask, dialect: Dialect | None = None) -> None:
        self.app = app
        #: The vocabulary of this application's options (``None``: the native one).
        self.dialect = dialect
        #: Compiled policy -> how its answers are written, for policies built by a dialect.
        #: Empty for a native application: its requests only test that it is empty.
        self.forms: dict[CompiledPolicy, AnswerForm] = {}
        #: Options from ``CORS_*`` config keys (read again by every ``init_app``).
        self.config_options: dict[str, Any] = {}
        #: Keyword options of ``CORS(app)`` / ``init_app`` (``None`` while there is none).
        self.app_options: dict[str, Any] | None = None
        #: The application-wide policy (``None`` when only blueprints or views have one).
        self.app_policy: CORSPolicy | None = None
        #: Options of ``CORS(blueprint)``, by the blueprint's registered name.
        self.blueprint_options: dict[str, dict[str, Any]] = {}
        self._debug: bool | None = None
        self._resources: ResourceTable[PathKey] | None = None
        self._resource_options: dict[PathKey, Mapping[str, Any]] = {}
        self._views: dict[tuple[str, PathKey | None], ResolvedPolicy | None] = {}
        self._views_seen = -1
        #: How many view functions there were when every view's policy was last found valid.
        self.views_validated = -1
        self._has_view_policies = False
        self._started = False
        #: Views whose policy is invalid (added after ``CORS(app)``): endpoint -> problems.
        self.invalid_views: dict[str, tuple[str, ...]] = {}
        self._config_read: dict[str, Any] = {}
        self._lock = threading.Lock()
        #: The core's answers (start_response wrappers) of each compiled policy in use.
        self._answers: dict[CompiledPolicy, WSGIAnswers] = {}
        #: ``(number of views, answers)`` of the application-wide policy while no request needs
        #: routing to find its policy (no view, blueprint or ``resources`` policy, no dialect
        #: form, no invalid view) and the views are those validated: the WSGI layer then
        #: answers exactly as the core middleware does.  ``None`` otherwise.
        self.unrouted: tuple[int, WSGIAnswers] | None = None
        self.read_config()

    # -- configuration --------------------------------------------------------------------

    def read_config(self) -> None:
        """(Re)read the ``CORS_*`` keys of ``app.config``."""
        self._config_read = _cors_keys(self.app.config)
        read = config_options if self.dialect is None else self.dialect.config_options
        self.config_options = read(self.app.config)
        if self.app_options is None:
            self._debug = self.config_options.get("debug")

    def configure_app(self, options: Mapping[str, Any]) -> None:
        """Set the application-wide policy from ``CORS(app, **options)``; validates at once.

        A second call for the same application is an error: it would silently replace
        the first policy (one call with ``resources`` gives paths policies of their own).
        """
        if self.app_options is not None:
            raise CORSConfigError(
                [
                    f"CORS(app) / init_app(app): the application {self.app.name!r} already has a CORS policy "
                    "(a second call would silently replace the first) — call it once; for different "
                    "policies per path give resources={...}, per blueprint CORS(blueprint, ...), per view "
                    "@cross_origin(...)"
                ]
            )
        self._apply(options)

    def _apply(self, options: Mapping[str, Any]) -> None:
        self.read_config()
        merged = {**self.config_options, **options}
        debug = merged.pop("debug", None)
        forms: dict[CompiledPolicy, AnswerForm] = {}
        policy = self._build(merged, forms, view=False)
        self.forms.clear()  # in place: a view policy being built meanwhile still lands in the registry
        self.forms.update(forms)
        self.app_options = dict(options)
        self.app_policy = policy
        self._debug = debug
        resources = merged.get("resources")
        if isinstance(resources, Mapping):
            self._resources = ResourceTable((parse_path_pattern(key), key) for key in resources)
            self._resource_options = {
                key: value.options if isinstance(value, CORSPolicy) else value for key, value in resources.items()
            }
        else:
            self._resources, self._resource_options = None, {}
        self._forget_views()
        self._check_views()

    def prepare(self) -> None:
        """Called by the WSGI layer before a request whenever views were added since the last
        check, and before the first request: the ``CORS_*`` keys are read again then (keys set
        or changed after ``CORS(app)`` count, never silently ignored), and every view's policy
        is validated before any view runs."""
        if not self._started:
            with self._lock:
                first, self._started = not self._started, True
            if first:
                now = _cors_keys(self.app.config)
                if self.app_options is not None and now != self._config_read:
                    changed = sorted(
                        k for k in now.keys() | self._config_read.keys() if now.get(k) != self._config_read.get(k)
                    )
                    logger.info("%s set after CORS(app): the policy is built again with them", ", ".join(changed))
                    self._apply(self.app_options)
                elif self.app_options is None:
                    self.read_config()
        self._check_views(at_request_time=True)

    def configure_blueprint(self, name: str, options: Mapping[str, Any]) -> None:
        """Add ``CORS(blueprint, **options)`` for the blueprint registered as ``name``.

        The blueprint's views are validated against the application's options now if
        ``CORS(app)`` has run, otherwise by ``CORS(app)`` or when first requested.
        """
        self.blueprint_options[name] = dict(options)
        self._forget_views()
        if self.app_options is not None:
            self._check_views()

    @property
    def debug(self) -> bool:
        """Refused preflights explain themselves: the ``debug`` option, else ``app.debug``.

        Set it to True or False (``None``: follow ``app.debug`` again); anything else,
        ``"false"`` included, raises :class:`~cors_wsgi.CORSConfigError`.
        """
        return self.app.debug if self._debug is None else self._debug

    @debug.setter
    def debug(self, value: bool | None) -> None:
        problem = check_boolean(value, f"app.extensions[{EXTENSION_KEY!r}].debug", none_ok=True)
        if problem is not None:
            raise CORSConfigError([problem])
        self._debug = value

    def _build(self, options: Mapping[str, Any], forms: dict[CompiledPolicy, AnswerForm], *, view: bool) -> CORSPolicy:
        if self.dialect is None:
            return CORSPolicy(**options)
        return self.dialect.build(options, forms, view=view)

    # -- which policy applies -------------------------------------------------------------

    def _forget_views(self) -> None:
        with self._lock:
            self._views = {}
            self._views_seen = -1
            self.views_validated = -1
            self.unrouted = None

    def answers_for(self, compiled: CompiledPolicy) -> WSGIAnswers:
        """The core's answers for ``compiled`` (built once per compiled policy)."""
        answers = self._answers.get(compiled)
        if answers is None:
            with self._lock:
                answers = self._answers.setdefault(compiled, WSGIAnswers(compiled))
        return answers

    def _check_views(self, *, at_request_time: bool = False) -> None:
        """Resolve (and so validate) the policy of every URL rule registered so far.

        At configuration time (``CORS(app)``, ``CORS(blueprint)``) raises one
        :class:`~cors_wsgi.CORSConfigError` listing the problems of every view.  At request
        time — views added after ``CORS(app)``, checked by :meth:`prepare` before any of
        them runs — the invalid views are recorded in :attr:`invalid_views` and logged
        instead: each fails its own requests (:meth:`refuse_invalid_view`), the others work.
        """
        count = len(self.app.view_functions)
        problems: list[str] = []
        invalid: dict[str, tuple[str, ...]] = {}
        for rule in list(self.app.url_map.iter_rules()):
            if isinstance(rule.endpoint, str):
                try:
                    self.for_view(rule.endpoint, rule.rule)
                except CORSConfigError as error:
                    invalid[rule.endpoint] = error.problems
                    problems.extend(p for p in error.problems if p not in problems)
        if problems and not at_request_time:
            raise CORSConfigError(problems)
        if invalid.keys() - self.invalid_views.keys():
            logger.error(
                "invalid CORS policy: %s; requests to these views fail with 500 before they run:\n%s",
                ", ".join(sorted(invalid)),
                "\n".join(f"  - {problem}" for problem in problems),
            )
        self.invalid_views = invalid
        self.views_validated = count if self._started else -1  # the first request goes through prepare()
        compiled = self.app_policy.compiled if self.app_policy is not None else None
        if compiled is None or not self._started or invalid or self._needs_routing() or compiled in self.forms:
            self.unrouted = None
        else:
            self.unrouted = (count, self.answers_for(compiled))

    def refuse_invalid_view(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """The ``500`` answer for a request routed to a view whose policy is invalid, else ``None``.

        Checked before the view runs (so an invalid policy never lets a request through);
        the problems go to the log, and to the body when ``debug`` is on.
        """
        method = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD") if is_preflight(environ) else None
        rule = self._route(environ, method or environ.get("REQUEST_METHOD", "GET"))
        endpoint = rule.endpoint if rule is not None else None
        problems = self.invalid_views.get(endpoint) if isinstance(endpoint, str) else None
        if problems is None:
            return None
        logger.error("request to view %r refused: its CORS policy is invalid: %s", endpoint, "; ".join(problems))
        text = "invalid CORS policy for this view\n"
        if self.debug:
            text += "".join(f"  - {problem}\n" for problem in problems)
        body = text.encode("ascii", "backslashreplace")
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
        return "500 Internal Server Error", headers, body

    def _needs_routing(self) -> bool:
        """Whether choosing a policy needs Flask's routing (re-checked as views are added): a view
        or blueprint has a policy of its own, or ``resources`` meet a ``strict_slashes=False`` rule
        (which serves ``/admin`` with the rule ``/admin/``, see :func:`_as_routed`)."""
        views = self.app.view_functions
        if len(views) != self._views_seen:
            self._has_view_policies = (
                bool(self.blueprint_options)
                or any(hasattr(view, VIEW_OPTIONS_ATTRIBUTE) for view in views.values())
                or (
                    self._resources is not None
                    and any(
                        rule.rule.endswith("/") and rule.strict_slashes is False
                        for rule in self.app.url_map.iter_rules()
                    )
                )
            )
            self._views_seen = len(views)
        return self._has_view_policies

    def _blueprint_for(self, endpoint: str) -> tuple[str, dict[str, Any]] | None:
        name = endpoint
        while "." in name:
            name = name.rsplit(".", 1)[0]
            options = self.blueprint_options.get(name)
            if options is not None:
                return name, options
        return None

    def for_view(self, endpoint: str, path: str) -> ResolvedPolicy | None:
        """The policy of a view with a decorator or blueprint policy, or ``None`` to use the application's.

        Options merge as decorator > blueprint > the ``resources`` entry covering
        ``path`` > ``CORS()`` options > config (see :func:`cors_wsgi.policy.merge_options`).
        """
        resource = self._resources.lookup(path) if self._resources is not None else None
        key = (endpoint, resource)
        try:
            return self._views[key]
        except KeyError:
            pass
        view = self.app.view_functions.get(endpoint)
        decorator_options: dict[str, Any] | None = getattr(view, VIEW_OPTIONS_ATTRIBUTE, None)
        blueprint = self._blueprint_for(endpoint)
        resolved: ResolvedPolicy | None = None
        if decorator_options is not None or blueprint is not None:
            source = "decorator" if decorator_options is not None else f"blueprint {blueprint[0]!r}"  # type: ignore[index]
            if decorator_options is not None and decorator_options.get(DIALECT_OPTION) is not self.dialect:
                raise CORSConfigError([f"view {endpoint!r} ({source}): {_mixed(self.dialect, view)}"])
            layers = [_inheritable(self.config_options)]
            if self.dialect is None or self.dialect.views_inherit_app_options:
                layers.append(_inheritable(self.app_options or {}))
                if resource is not None:
                    layers.append(_inheritable(self._resource_options[resource]))
                if blueprint is not None:
                    layers.append(blueprint[1])
            elif blueprint is not None and decorator_options is None:
                layers.append(blueprint[1])
            if decorator_options is not None:
                layers.append({k: v for k, v in decorator_options.items() if k != DIALECT_OPTION})
            try:
                policy = self._build(merge_options(*layers), self.forms, view=True)
            except CORSConfigError as error:
                raise CORSConfigError([f"view {endpoint!r} ({source}): {p}" for p in error.problems]) from None
            resolved = ResolvedPolicy(policy, policy.compiled, source)
        with self._lock:
            self._views[key] = resolved
        return resolved

    def for_path(self, path: str) -> CompiledPolicy | None:
        """The application-wide policy covering ``path`` (``None``: no CORS there)."""
        return None if self.app_policy is None else self.app_policy.compiled_for_path(path)

    def for_response(self, environ: dict[str, Any], path: str) -> CompiledPolicy | None:
        """The policy for a response Flask produced: Flask has routed the request by now."""
        request = environ.get("werkzeug.request")
        rule = getattr(request, "url_rule", None)
        endpoint = rule.endpoint if rule is not None else None
        if endpoint is None and getattr(request, "routing_exception", None) is not None and self._needs_routing():
            rule = self._route(environ, environ.get("REQUEST_METHOD", "GET"))  # a 405, or a redirect
            endpoint = rule.endpoint if rule is not None else None
        path = _as_routed(rule, path)
        if isinstance(endpoint, str):
            resolved = self.for_view(endpoint, path)
            if resolved is not None:
                return resolved.compiled
        return self.for_path(path)

    def with_cors_headers(self, environ: dict[str, Any], path: str, headers: Headers) -> Headers:
        """``headers`` of a response Flask produced, with the CORS answer of its policy folded in."""
        compiled = self.for_response(environ, path)
        if compiled is None:
            return headers
        if self.forms:  # a dialect's application: its policies have forms of their own
            form = self.forms.get(compiled)
            if form is not None:
                return form.response_headers(environ, headers)
        return add_cors_headers(headers, actual_response_headers(compiled, environ.get("HTTP_ORIGIN")))

    def start_response(
        self,
        start_response: StartResponse,
        environ: dict[str, Any],
        path: str,
        status: str,
        headers: Headers,
        exc_info: Any = None,
    ) -> Any:
        """Call ``start_response`` with ``headers`` of a response Flask produced, the CORS answer of
        its policy (found from Flask's routing) folded in."""
        compiled = self.for_response(environ, path)
        if compiled is None:
            return start_response(status, headers, exc_info)
        if self.forms:  # a dialect's application: its policies have forms of their own
            form = self.forms.get(compiled)
            if form is not None:
                return start_response(status, form.response_headers(environ, headers), exc_info)
        answers = self.answers_for(compiled)
        origin = environ.get("HTTP_ORIGIN")
        if origin is None:
            wrapper = answers.no_origin
        else:
            wrapper = answers.any_origin or answers.by_origin.get(origin) or answers.for_origin(origin, environ)
        if wrapper is None:
            return start_response(status, headers, exc_info)
        return wrapper(start_response, status, headers, exc_info)

    def for_preflight(self, environ: dict[str, Any]) -> CompiledPolicy | None:
        """The policy for a preflight, routed here the way Flask would route the actual request."""
        path = request_path(environ)
        if self._needs_routing():
            rule = self._route(environ, environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"])
            path = _as_routed(rule, path)
            if rule is not None and isinstance(rule.endpoint, str):
                resolved = self.for_view(rule.endpoint, path)
                if resolved is not None:
                    return resolved.compiled
        return self.for_path(path)

    def _route(self, environ: dict[str, Any], method: str) -> Rule | None:
        """The rule a ``method`` request to this URL reaches (following Flask's redirects —
        a missing trailing slash, merged slashes — and taking the route's own methods when it
        does not accept ``method``)."""
        request = self.app.request_class(environ, populate_request=False)
        adapter = self.app.create_url_adapter(request)
        if adapter is None:
            return None
        path = request.path  # Werkzeug's: decoded, leading slashes stripped to one
        for _ in range(4):  # at most: not allowed (or not found), slashes merged, with the slash, matched
            try:
                rule, _arguments = adapter.match(path, method=method, return_rule=True)
                return rule
            except RequestRedirect as redirect:
                target = _redirect_path(redirect.new_url, adapter.get_host(None), adapter.script_name)
                if target is None or target == path:
                    return None
                path = target  # '/items' to '/items/', '/a//b' to '/a/b': the view there answers
            except MethodNotAllowed as error:
                method = next(iter(error.valid_methods or ()), "")
                if not method:
                    return None
            except HTTPException:  # not found; werkzeug only redirects to '/items/' for a method it accepts
                if path.endswith("/"):
                    return None
                path += "/"
        return None


def _mixed(dialect: Dialect | None, view: object) -> str:
    """Why a view's options cannot be read by an application of ``dialect``."""
    ours = "flask_cors_ext" if dialect is None else dialect.name
    theirs_dialect = getattr(view, VIEW_OPTIONS_ATTRIBUTE, {}).get(DIALECT_OPTION)
    theirs = "flask_cors_ext" if theirs_dialect is None else getattr(theirs_dialect, "name", "another module")
    return (
        f"its @cross_origin comes from {theirs} but the application uses {ours}'s CORS — "
        "import CORS and cross_origin from one module"
    )


def request_path(environ: dict[str, Any]) -> str:
    """The path that chooses a ``resources`` policy: ``PATH_INFO`` decoded to text as Werkzeug
    decodes it; the policy lookup then takes its canonical form (:mod:`cors_wsgi.resources`).

    Werkzeug routes ``//admin/x`` as ``/admin/x`` and redirects ``/admin//x`` there, both
    the canonical form; a dot segment is routed as written, and only a view whose rule
    captures it (``<path:...>``) serves it: the policy is then still the canonical path's.
    """
    return wsgi_path_to_text(environ.get("PATH_INFO", ""))


def _as_routed(rule: Rule | None, path: str) -> str:
    """The path whose ``resources`` policy applies to a request Flask routed to ``rule``.

    With ``strict_slashes=False`` Werkzeug serves ``/admin`` with the rule ``/admin/``
    itself (no redirect): the policy is then the one of ``/admin/``, the path the view
    is written for — never a broader one that happens to cover ``/admin``.
    """
    if rule is not None and rule.rule.endswith("/") and not path.endswith("/"):
        return path + "/"
    return path


def _redirect_path(new_url: str, host: str, script_name: str) -> str | None:
    """The path (below ``script_name``) of a redirect Werkzeug's routing raised, or ``None``
    when it leads out of this application."""
    parts = urlsplit(new_url)
    root = "/" + script_name.strip("/") if script_name.strip("/") else ""
    if parts.netloc != host or not (parts.path == root or parts.path.startswith(root + "/")):
        return None
    return unquote(parts.path[len(root) :]) or "/"
