"""``@cross_origin``: a policy of its own for one view."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, Response, after_this_request, request, request_started
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException

from cors_wsgi import CORSConfigError
from cors_wsgi.middleware import is_preflight, preflight_answer

from .extension import install
from .options import check_alone, core_options
from .state import DIALECT_OPTION, EXTENSION_KEY, HANDLED_KEY, VIEW_OPTIONS_ATTRIBUTE, request_path

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .options import FlaskCORSOptions

__all__ = ["cross_origin"]

F = TypeVar("F", bound=Callable[..., Any])


def cross_origin(**options: Unpack[FlaskCORSOptions]) -> Callable[[F], F]:
    """Give one view a CORS policy of its own; put it below ``@app.route``::

        @app.route("/special", methods=["GET", "PUT"])
        @cross_origin(allow_origins=["https://partner.example.com"], allow_credentials=True)
        def special(): ...

    The options (core names or flask-cors spellings) override the application's and
    the blueprint's for this view.  They are checked now, at decoration time.  The view
    itself is left as it is: the options are attached to it.

    Preflights to the view are answered at the WSGI layer by the extension, so
    ``before_request`` hooks cannot break them.  Without ``CORS(app)``, the extension
    installs itself during the application's first request, and serves that request
    from Flask's ``request_started`` signal, which comes before the hooks.
    """
    normalized = core_options(options, "@cross_origin")
    if "resources" in normalized or "debug" in normalized:
        raise CORSConfigError(["@cross_origin: 'resources' and 'debug' apply to the whole application; use CORS(app)"])
    check_alone(normalized, "@cross_origin")
    request_started.connect(_serve_unwrapped_request)  # blinker connects a receiver only once

    def decorate(view: F) -> F:
        setattr(view, VIEW_OPTIONS_ATTRIBUTE, normalized)
        return view

    return decorate


#: Applications seen by the receiver below with no ``@cross_origin`` view: their number of views.
_views_without_policies: weakref.WeakKeyDictionary[Flask, int] = weakref.WeakKeyDictionary()


class _PreflightAnswered(HTTPException):
    """Carries a preflight answer out of ``request_started``, past ``before_request`` hooks."""


def _exact_response(app: Flask, status: str, headers: list[tuple[str, str]], body: bytes) -> Response:
    """A response that leaves Flask with exactly ``headers``: Flask turns an exception's response
    into a new one, with a default Content-Type."""

    @after_this_request
    def exactly_the_answer(response: Response) -> Response:
        response.headers = Headers(headers)
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
        response.headers = Headers(state.with_cors_headers(environ, path, response.headers.to_wsgi_list()))
        return response
