"""The Flask extension: ``CORS(app)``, ``init_app``, and the WSGI layer they install.

``init_app`` wraps ``app.wsgi_app`` with :class:`FlaskCORSMiddleware`, which answers
preflights at the WSGI layer — before Flask builds a request context, so neither
``before_request`` hooks, trailing-slash redirects nor 404/405 handling can break
them — and adds the CORS headers to every response Flask produces, whatever its
status.  Which policy applies is decided per request, most specific first:

1. ``@cross_origin`` on the view the URL routes to;
2. ``CORS(blueprint, ...)`` for that view's blueprint (or a parent blueprint);
3. the application's own policy (``CORS(app, ...)``), per path when it has
   ``resources``.

Options merge in the same order: decorator > blueprint > ``CORS()``/``init_app``
keyword arguments > ``CORS_*`` config > the core's defaults (``resources`` and
``debug`` are the application's alone); :mod:`flask_cors_ext.state` keeps them and
resolves the policy.  All CORS decisions are the core's.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable
from types import MethodType
from typing import TYPE_CHECKING, Any, Optional

from flask import Blueprint, Flask, Response, after_this_request, request, request_started
from werkzeug.datastructures import Headers as HeaderMap
from werkzeug.exceptions import HTTPException

from cors_wsgi import CORSConfigError
from cors_wsgi.middleware import is_preflight, preflight_answer, respond_to_preflight

from .cli import cors_command
from .options import check_alone, core_options
from .state import (
    APP_ONLY,
    DIALECT_OPTION,
    EXTENSION_KEY,
    HANDLED_KEY,
    VIEW_OPTIONS_ATTRIBUTE,
    CORSState,
    Dialect,
    request_path,
)

if TYPE_CHECKING:
    from types import TracebackType

    from flask.sansio.blueprints import BlueprintSetupState
    from typing_extensions import Unpack

    from .options import FlaskCORSOptions

__all__ = ["CORS", "FlaskCORSMiddleware", "install", "watch"]

StartResponse = Callable[..., Callable[[bytes], object]]
Headers = list[tuple[str, str]]
ExcInfo = tuple[type[BaseException], BaseException, Optional["TracebackType"]]


class FlaskCORSMiddleware:
    """The WSGI layer around ``app.wsgi_app``: answers preflights, adds headers to every response."""

    __slots__ = ("state", "wsgi_app", "views")

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], state: CORSState) -> None:
        self.wsgi_app = wsgi_app
        self.state = state
        #: The application's ``view_functions`` (the same dict for the application's life).
        self.views = state.app.view_functions

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if request_started.receivers:
            # Marked only when a receiver may see this request (an application being watched for
            # @cross_origin, see watch()): a key added to the environ costs Flask ~4k instructions.
            environ[HANDLED_KEY] = True
        state = self.state
        unrouted = state.unrouted
        if unrouted is not None and unrouted[0] == len(self.views):
            # One application-wide policy, chosen without routing, every view valid: the core's
            # answers, bound per request (preflights too: the core's answer, before Flask).
            answers = unrouted[1]
            origin = environ.get("HTTP_ORIGIN")
            if origin is None:
                wrapper = answers.no_origin
            elif "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ and environ.get("REQUEST_METHOD") == "OPTIONS":
                return respond_to_preflight(answers.compiled, environ, start_response, state.debug)
            else:
                wrapper = answers.any_origin or answers.by_origin.get(origin) or answers.for_origin(origin, environ)
            if wrapper is None:
                return self.wsgi_app(environ, start_response)
            return self.wsgi_app(environ, MethodType(wrapper, start_response))
        if len(self.views) != state.views_validated:
            state.prepare()  # the first request, or views were added: validate before any view runs
        if state.invalid_views:
            refused = state.refuse_invalid_view(environ)
            if refused is not None:
                status, headers, body = refused
                start_response(status, headers)
                return [body]
        if (
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
            and "HTTP_ORIGIN" in environ
            and environ.get("REQUEST_METHOD") == "OPTIONS"
        ):
            compiled = state.for_preflight(environ)
            if compiled is None:
                return self.wsgi_app(environ, start_response)
            form = state.forms.get(compiled) if state.forms else None
            if form is None:
                return respond_to_preflight(compiled, environ, start_response, state.debug)
            answer = form.preflight(environ, state.debug)
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [body] if body else []
            # None: Flask answers this preflight itself (its response gets the headers below)
        # Policies found from Flask's routing (per-endpoint tables, resolved once) when the response starts.
        return self.wsgi_app(
            environ, MethodType(_start_response_routed, (state, start_response, environ, request_path(environ)))
        )


def _start_response_routed(
    request: tuple[CORSState, StartResponse, dict[str, Any], str],
    status: str,
    headers: Headers,
    exc_info: ExcInfo | None = None,
) -> Any:
    """The ``start_response`` of a request whose policy depends on Flask's routing, bound per request."""
    state, start_response, environ, path = request
    return state.start_response(start_response, environ, path, status, headers, exc_info)


_install_lock = threading.Lock()


def install(app: Flask, dialect: Dialect | None = None) -> CORSState:
    """The application's :class:`CORSState`, creating it and wrapping ``app.wsgi_app`` once.

    ``dialect``: the vocabulary of the caller (``None``: the native one;
    :mod:`flask_cors_ext.compat` passes its own).  One application uses one of them.
    """
    state = app.extensions.get(EXTENSION_KEY)
    if isinstance(state, CORSState):
        return _same_dialect(state, dialect)
    with _install_lock:
        state = app.extensions.get(EXTENSION_KEY)
        if isinstance(state, CORSState):
            return _same_dialect(state, dialect)
        state = CORSState(app, dialect)
        lazy = _lazy_layers.pop(app, None)
        if lazy is None:
            app.wsgi_app = FlaskCORSMiddleware(app.wsgi_app, state)  # type: ignore[method-assign]
        else:  # watched for @cross_origin views (see watch()): the CORS layer takes the watcher's place
            lazy.layer = FlaskCORSMiddleware(lazy.wsgi_app, state)
            if app.wsgi_app is lazy:  # nothing wrapped it since: no extra hop
                app.wsgi_app = lazy.layer  # type: ignore[method-assign]
        if "cors" not in app.cli.commands:
            app.cli.add_command(cors_command)
        app.extensions[EXTENSION_KEY] = state
        return state


def _same_dialect(state: CORSState, dialect: Dialect | None) -> CORSState:
    if state.dialect is not dialect:
        ours = "flask_cors_ext" if state.dialect is None else state.dialect.name
        theirs = "flask_cors_ext" if dialect is None else dialect.name
        raise CORSConfigError(
            [
                f"the application {state.app.name!r} already uses {ours}'s CORS; it cannot also use {theirs}'s — "
                "import CORS and cross_origin from one module"
            ]
        )
    return state


class CORS:
    """Cross-origin resource sharing for a Flask application or blueprint.

    ::

        CORS(app)                                      # public '*' on every route
        CORS(app, allow_origins=["https://app.example.com"], allow_credentials=True)
        cors = CORS(); cors.init_app(app)              # application factories
        CORS(blueprint, allow_origins=[...])           # only that blueprint's routes

    Options are the core's (see :class:`cors_wsgi.CORSPolicy`) or their flask-cors
    spellings (``origins``, ``methods``, ``supports_credentials``, ...).  They are
    checked here; the policy itself is built and validated by ``init_app``, together
    with the ``CORS_*`` keys of ``app.config``.  One instance may initialise many
    applications; each keeps its own state in ``app.extensions["cors"]``.
    """

    def __init__(self, app: Flask | Blueprint | None = None, **options: Unpack[FlaskCORSOptions]) -> None:
        self.options = core_options(options, "CORS()")
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask | Blueprint, **options: Unpack[FlaskCORSOptions]) -> None:
        """Bind to ``app`` (or a blueprint); ``options`` here override the constructor's."""
        merged = {**self.options, **core_options(options, "init_app()")}
        if isinstance(app, Blueprint):
            self._init_blueprint(app, merged)
            return
        if not isinstance(app, Flask):
            raise TypeError(f"CORS binds to a Flask application or a Blueprint, not {type(app).__name__}")
        install(app).configure_app(merged)

    @staticmethod
    def _init_blueprint(blueprint: Blueprint, options: dict[str, Any]) -> None:
        where = f"CORS(blueprint {blueprint.name!r})"
        for name in APP_ONLY:
            if name in options:
                raise CORSConfigError([f"{where}: {name!r} applies to the whole application; pass it to CORS(app)"])
        check_alone(options, where)

        def register(setup: BlueprintSetupState) -> None:
            name = ".".join(part for part in (getattr(setup, "name_prefix", ""), setup.name) if part)
            install(setup.app).configure_blueprint(name, options)  # type: ignore[arg-type]

        blueprint.record(register)


# -- applications using @cross_origin without CORS(app) ---------------------------------


def watch(app: Flask) -> None:
    """Install the extension at ``app``'s first request, if ``CORS(app)`` has not by then.

    Called when Flask registers a ``@cross_origin`` view with ``app``
    (:func:`flask_cors_ext.decorator.attach_options`).  ``app.wsgi_app`` is wrapped in a
    :class:`_InstallOnFirstRequest` layer, which at the first request installs the
    extension in its own place (so preflights are answered before Flask, as with
    ``CORS(app)``), or is replaced by ``CORS(app)``'s layer when that comes first.  No
    signal receiver: a receiver on a Flask signal costs every application in the process
    (blinker walks its tables for every ``send``, ~6k instructions per request), this
    costs only the applications that register a decorated view.
    """
    if EXTENSION_KEY in app.extensions:
        return
    with _install_lock:
        if EXTENSION_KEY not in app.extensions and app not in _lazy_layers:
            lazy = _InstallOnFirstRequest(app.wsgi_app, app)
            _lazy_layers[app] = lazy
            app.wsgi_app = lazy  # type: ignore[method-assign]


class _InstallOnFirstRequest:
    """``app.wsgi_app`` of an application with ``@cross_origin`` views and no ``CORS(app)`` yet."""

    __slots__ = ("wsgi_app", "app", "layer")

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app
        #: The extension's layer once installed (every request goes through it from then on).
        self.layer: FlaskCORSMiddleware | None = None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        layer = self.layer
        if layer is None:
            views = self.app.view_functions.values()
            found = [o for o in (getattr(v, VIEW_OPTIONS_ATTRIBUTE, None) for v in views) if isinstance(o, dict)]
            install(self.app, next((o[DIALECT_OPTION] for o in found if DIALECT_OPTION in o), None))
            layer = self.layer
            if layer is None:  # the application was installed by other means meanwhile
                return self.wsgi_app(environ, start_response)
        return layer(environ, start_response)


#: The watching layer of each application :func:`watch` wrapped, until the extension is installed.
_lazy_layers: weakref.WeakKeyDictionary[Flask, _InstallOnFirstRequest] = weakref.WeakKeyDictionary()


#: Applications seen by the receiver below with no ``@cross_origin`` view: their number of views.
_views_without_policies: weakref.WeakKeyDictionary[Flask, int] = weakref.WeakKeyDictionary()


class _PreflightAnswered(HTTPException):
    """Carries a preflight answer out of ``request_started``, past ``before_request`` hooks."""


def _exact_response(app: Flask, status: str, headers: list[tuple[str, str]], body: bytes) -> Response:
    """A response that leaves Flask with exactly ``headers``: Flask turns an exception's response
    into a new one, with a default Content-Type."""

    @after_this_request
    def exactly_the_answer(response: Response) -> Response:
        response.headers = HeaderMap(headers)
        return response

    return app.response_class(body, status, headers)


def _serve_unwrapped_request(app: Flask, **_extra: Any) -> None:
    """``request_started`` receiver, for a request the extension's WSGI layer did not see.

    That is the first request of an application with ``@cross_origin`` views and no
    ``CORS(app)``: the extension is installed now (for every later request), and this
    one is served from here.  Flask sends ``request_started`` after routing and before
    ``before_request`` hooks: a preflight is answered by raising an ``HTTPException``
    carrying the answer, and any other response, error responses included, gets its
    CORS headers from an ``after_this_request`` callback.
    """
    environ = request.environ
    if environ.get(HANDLED_KEY):
        return
    state = app.extensions.get(EXTENSION_KEY)
    if state is None:
        views = app.view_functions
        if _views_without_policies.get(app) == len(views):
            return  # an application that does not use the extension: looked at already
        options = [getattr(view, VIEW_OPTIONS_ATTRIBUTE, None) for view in views.values()]
        found = [view_options for view_options in options if isinstance(view_options, dict)]
        if not found:
            _views_without_policies[app] = len(views)
            return
        state = install(app, next((o[DIALECT_OPTION] for o in found if DIALECT_OPTION in o), None))
    if is_preflight(environ):
        compiled = state.for_preflight(environ)
        form = state.forms.get(compiled) if compiled is not None and state.forms else None
        if form is not None:
            formed = form.preflight(environ, state.debug)
            if formed is not None:
                status, headers, body = formed
                raise _PreflightAnswered(response=_exact_response(app, status, headers, body))
            compiled = None  # Flask answers it: its response gets the headers below
        if compiled is not None:
            answer = preflight_answer(compiled, environ, state.debug)
            raise _PreflightAnswered(response=_exact_response(app, answer.status, list(answer.headers), answer.body))
        if form is None:
            return
    path = request_path(environ)

    @after_this_request
    def add_cors_headers_to(response: Response) -> Response:
        response.headers = HeaderMap(state.with_cors_headers(environ, path, response.headers.to_wsgi_list()))
        return response
