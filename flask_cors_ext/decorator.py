"""``@cross_origin``: a policy of its own for one view."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, request
from werkzeug.datastructures import Headers

from cors_wsgi import CORSConfigError, CORSPolicy
from cors_wsgi.engine import actual_response_headers, answer_preflight
from cors_wsgi.headers import add_cors_headers
from cors_wsgi.middleware import is_preflight

from .extension import HANDLED_KEY, VIEW_OPTIONS_ATTRIBUTE, install
from .options import core_options

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
    installs itself when the view first runs; until then (the first request) the view
    answers its preflights itself.
    """
    normalized = core_options(options, "@cross_origin")
    if "resources" in normalized or "debug" in normalized:
        raise CORSConfigError(["@cross_origin: 'resources' and 'debug' apply to the whole application; use CORS(app)"])
    _check_alone(normalized)

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


def _check_alone(options: dict[str, Any]) -> None:
    """Validate the decorator's options now; origins may still come from the application."""
    alone = dict(options)
    if not {"allow_origins", "allow_origin_regex", "allow_origin_func"} & alone.keys():
        alone["allow_origins"] = ["https://origins-come-from-the-application.invalid"]
    try:
        CORSPolicy(**alone)
    except CORSConfigError as error:
        raise CORSConfigError([f"@cross_origin: {problem}" for problem in error.problems]) from None


def _answer_in_view(view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Serve a request the extension's WSGI layer did not see (it is installed for the next ones)."""
    state = install(current_app)
    endpoint = request.endpoint or ""
    resolved = state.for_endpoint(endpoint)
    environ = request.environ
    if resolved is None or resolved.compiled is None:  # pragma: no cover - a decorated view always resolves
        return current_app.ensure_sync(view)(*args, **kwargs)
    if is_preflight(environ):
        answer = answer_preflight(
            resolved.compiled,
            environ["HTTP_ORIGIN"],
            environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"],
            environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
            environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
            state.debug,
        )
        return current_app.response_class(answer.body, status=answer.status, headers=list(answer.headers))
    if request.method == "OPTIONS":
        response = current_app.make_default_options_response()
    else:
        response = current_app.make_response(current_app.ensure_sync(view)(*args, **kwargs))
    cors = actual_response_headers(resolved.compiled, environ.get("HTTP_ORIGIN"))
    response.headers = Headers(add_cors_headers(response.headers.to_wsgi_list(), cors))
    return response
