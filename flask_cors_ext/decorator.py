"""``@cross_origin``: a policy of its own for one view."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, request_started

from cors_wsgi import CORSConfigError

from .extension import _serve_unwrapped_request, watch
from .options import check_alone, core_options
from .state import VIEW_OPTIONS_ATTRIBUTE

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .options import FlaskCORSOptions

# _serve_unwrapped_request: re-exported for flask_cors_ext.compat, which connects it itself.
__all__ = ["_serve_unwrapped_request", "attach_options", "cross_origin"]

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
    at the WSGI layer like the later ones (see :func:`attach_options`).
    """
    normalized = core_options(options, "@cross_origin")
    if "resources" in normalized or "debug" in normalized:
        raise CORSConfigError(["@cross_origin: 'resources' and 'debug' apply to the whole application; use CORS(app)"])
    check_alone(normalized, "@cross_origin")

    def decorate(view: F) -> F:
        attach_options(view, normalized)
        return view

    return decorate


def attach_options(view: Callable[..., Any], options: dict[str, Any]) -> None:
    """Attach ``@cross_origin`` options to ``view``, and watch for the applications it is registered with.

    No global signal receiver (one would tax every Flask application in the process):
    Flask's ``add_url_rule`` iterates the view's ``required_methods``, so that attribute
    becomes a :class:`_WatchRegistration` — the same methods (none unless the view had
    some) — which, when Flask reads it, has *that* application install the extension at
    its first request unless ``CORS(app)`` does so first
    (:func:`flask_cors_ext.extension.watch`).  An application that never registers a
    decorated view never pays for it.  :mod:`flask_cors_ext.compat` may use it too.
    """
    setattr(view, VIEW_OPTIONS_ATTRIBUTE, options)
    required = getattr(view, "required_methods", ())
    if not isinstance(required, _WatchRegistration):
        view.required_methods = _WatchRegistration(required)  # type: ignore[attr-defined]


class _WatchRegistration:
    """A decorated view's ``required_methods``: the view's own (if any), and a hook run when
    Flask's ``add_url_rule`` reads them (see :func:`attach_options`)."""

    __slots__ = ("methods",)

    def __init__(self, methods: Iterable[str]) -> None:
        self.methods = tuple(methods)

    def __iter__(self) -> Iterator[str]:
        caller = sys._getframe(1).f_locals.get("self")  # add_url_rule's application
        if isinstance(caller, Flask):
            watch(caller)
        else:  # read by something else than Flask's add_url_rule: every application is watched, as before
            request_started.connect(_serve_unwrapped_request)
        return iter(self.methods)

    def __repr__(self) -> str:
        return repr(set(self.methods))
