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
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Optional

from flask import Blueprint, Flask

from cors_wsgi import CORSConfigError
from cors_wsgi.middleware import is_preflight, respond_to_preflight

from .cli import cors_command
from .options import check_alone, core_options
from .state import APP_ONLY, EXTENSION_KEY, HANDLED_KEY, CORSState, Dialect, request_path

if TYPE_CHECKING:
    from types import TracebackType

    from flask.sansio.blueprints import BlueprintSetupState
    from typing_extensions import Unpack

    from .options import FlaskCORSOptions

__all__ = ["CORS", "FlaskCORSMiddleware", "install"]

StartResponse = Callable[..., Callable[[bytes], object]]
Headers = list[tuple[str, str]]
ExcInfo = tuple[type[BaseException], BaseException, Optional["TracebackType"]]


class FlaskCORSMiddleware:
    """The WSGI layer around ``app.wsgi_app``: answers preflights, adds headers to every response."""

    __slots__ = ("state", "wsgi_app")

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], state: CORSState) -> None:
        self.wsgi_app = wsgi_app
        self.state = state

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        environ[HANDLED_KEY] = True
        state = self.state
        if len(state.app.view_functions) != state.views_validated:
            state.prepare()  # the first request, or views were added: validate before any view runs
        if state.invalid_views:
            refused = state.refuse_invalid_view(environ)
            if refused is not None:
                status, headers, body = refused
                start_response(status, headers)
                return [body]
        if is_preflight(environ):
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
        path = request_path(environ)

        def start_response_with_cors(status: str, headers: Headers, exc_info: ExcInfo | None = None) -> Any:
            return start_response(status, state.with_cors_headers(environ, path, headers), exc_info)

        return self.wsgi_app(environ, start_response_with_cors)


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
        app.wsgi_app = FlaskCORSMiddleware(app.wsgi_app, state)  # type: ignore[method-assign]
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
