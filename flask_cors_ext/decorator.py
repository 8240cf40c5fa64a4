"""``@cross_origin``: a policy of its own for one view."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request, request_started
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException

from cors_wsgi import CORSConfigError
from cors_wsgi.engine import actual_response_headers
from cors_wsgi.headers import add_cors_headers
from cors_wsgi.middleware import is_preflight, preflight_answer

from .extension import EXTENSION_KEY, HANDLED_KEY, VIEW_OPTIONS_ATTRIBUTE, install
from .options import check_alone, core_options

__all__ = ["cross_origin"]

F = TypeVar("F", bound=Callable[..., Any])


def cross_origin(**options: Any) -> Callable[[F], F]:
    """Give one view a CORS policy of its own; put it below ``@app.route``::

        @app.route("/special", methods=["GET", "PUT"])
        @cross_origin(allow_origins=["https://partner.example.com"], allow_credentials=True)
        def special(): ...

    The options (core names or flask-cors spellings) override the application's and
    the blueprint's for this view.  They are checked now, at decoration time.

    Preflights to the view are answered at the WSGI layer by the extension, so
    ``before_request`` hooks cannot break them.  Without ``CORS(app)``, the extension
    installs itself during the application's first request (answering that request's
    preflight before the hooks too); only an error response to that very first request
    can miss its CORS headers.  ``CORS(app, resources={})`` (no application-wide
    policy) installs it from the start.
    """
    normalized = core_options(options, "@cross_origin")
    if "resources" in normalized or "debug" in normalized:
        raise CORSConfigError(["@cross_origin: 'resources' and 'debug' apply to the whole application; use CORS(app)"])
    check_alone(normalized, "@cross_origin")
    _install_before_first_request()

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def view_with_cors(*args: Any, **kwargs: Any) -> Any:
            if request.environ.get(HANDLED_KEY):
                if request.method == "OPTIONS":
                    return current_app.make_default_options_response()
                return current_app.ensure_sync(view)(*args, **kwargs)
            return _answer_in_view(view, args, kwargs)

        setattr(view_with_cors, VIEW_OPTIONS_ATTRIBUTE, normalized)
        # Route OPTIONS to this view, so that it can answer its own preflight on the first
        # request of an application without CORS(app), before the extension is installed.
        view_with_cors.provide_automatic_options = False  # type: ignore[attr-defined]
        view_with_cors.required_methods = {"OPTIONS"}  # type: ignore[attr-defined]
        return view_with_cors  # type: ignore[return-value]

    return decorate


class _PreflightAnswered(HTTPException):
    """Carries a preflight answer out of ``request_started``, past ``before_request`` hooks."""


def _install_on_request(app: Flask, **_extra: Any) -> None:
    """``request_started`` receiver for applications with ``@cross_origin`` views but no ``CORS(app)``.

    It installs the extension (so the WSGI layer handles every later request) and
    answers a preflight of this very request: Flask sends ``request_started`` after
    routing but before ``before_request`` hooks, and an ``HTTPException`` carrying a
    response is returned as that response.
    """
    environ = request.environ
    if environ.get(HANDLED_KEY):
        return
    state = app.extensions.get(EXTENSION_KEY)
    if state is None:
        if not any(hasattr(view, VIEW_OPTIONS_ATTRIBUTE) for view in app.view_functions.values()):
            return
        state = install(app)
    if is_preflight(environ):
        compiled = state.for_preflight(environ)
        if compiled is not None:
            answer = preflight_answer(compiled, environ, state.debug)
            raise _PreflightAnswered(response=app.response_class(answer.body, answer.status, list(answer.headers)))


def _install_before_first_request() -> None:
    request_started.connect(_install_on_request)  # idempotent: blinker connects a receiver once


def _answer_in_view(view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Serve the first request of an application without ``CORS(app)``: the WSGI layer was
    installed during it (by :func:`_install_on_request`) and handles the next ones."""
    state = install(current_app._get_current_object())  # type: ignore[attr-defined]
    resolved = state.for_view(request.endpoint or "", request.path)
    environ = request.environ
    if resolved is None or resolved.compiled is None:  # pragma: no cover - a decorated view always resolves
        return current_app.ensure_sync(view)(*args, **kwargs)
    if is_preflight(environ):  # pragma: no cover - answered by _install_on_request already
        answer = preflight_answer(resolved.compiled, environ, state.debug)
        return current_app.response_class(answer.body, answer.status, list(answer.headers))
    if request.method == "OPTIONS":
        response = current_app.make_default_options_response()
    else:
        response = current_app.make_response(current_app.ensure_sync(view)(*args, **kwargs))
    cors = actual_response_headers(resolved.compiled, environ.get("HTTP_ORIGIN"))
    response.headers = Headers(add_cors_headers(response.headers.to_wsgi_list(), cors))
    return response
