"""The WSGI adapter: environ -> engine -> a finished preflight, or headers added to the app's answer."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Optional

from .engine import PreflightAnswer, actual_response_headers, answer_preflight
from .errors import CORSConfigError
from .headers import CORSResponseHeaders, add_cors_headers
from .policy import CompiledPolicy, CORSPolicy
from .resources import wsgi_path_to_text

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Unpack

    from .policy import CORSOptions

__all__ = [
    "CORSMiddleware",
    "checked_debug",
    "is_preflight",
    "policy_from_arguments",
    "preflight_answer",
    "respond_to_preflight",
]

Headers = list[tuple[str, str]]
ExcInfo = tuple[type[BaseException], BaseException, Optional["TracebackType"]]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def policy_from_arguments(policy: object, options: dict[str, Any]) -> CORSPolicy:
    """The policy of a middleware built as ``Middleware(app, policy)`` or ``Middleware(app, **options)``.

    Shared by every adapter (WSGI and ASGI), so that both take the same arguments and
    raise the same errors: a second positional argument that is not a
    :class:`~cors_wsgi.CORSPolicy` is a ``TypeError``; a policy together with options,
    or invalid options, a :class:`~cors_wsgi.CORSConfigError`.
    """
    if policy is None:
        return CORSPolicy(**options)
    if not isinstance(policy, CORSPolicy):
        raise TypeError(
            f"the second argument is a CORSPolicy, not {type(policy).__name__}; "
            "pass options as keywords: CORSMiddleware(app, allow_origins=[...])"
        )
    if options:
        raise CORSConfigError(
            [
                f"options {', '.join(sorted(options))}: give either a CORSPolicy or options, not both "
                "(derive a policy with policy.replace(...))"
            ]
        )
    return policy


def checked_debug(value: object) -> bool:
    """``value`` for a middleware's ``debug`` property: only ``True`` or ``False`` (``"false"`` would be true)."""
    if not isinstance(value, bool):
        raise TypeError(f"debug is True or False, not {value!r} (strings are not parsed: 'false' would be true)")
    return value


def is_preflight(environ: dict[str, Any]) -> bool:
    """True for a CORS preflight: ``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``."""
    return (
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
        and "HTTP_ORIGIN" in environ
        and environ.get("REQUEST_METHOD") == "OPTIONS"
    )


def preflight_answer(policy: CompiledPolicy, environ: dict[str, Any], debug: bool) -> PreflightAnswer:
    """The engine's answer to the preflight in ``environ`` (:func:`is_preflight`) under ``policy``."""
    return answer_preflight(
        policy,
        environ["HTTP_ORIGIN"],
        environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"],
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
        debug,
    )


def respond_to_preflight(
    policy: CompiledPolicy, environ: dict[str, Any], start_response: StartResponse, debug: bool
) -> list[bytes]:
    """Answer the preflight in ``environ`` under ``policy``: call ``start_response``, return the body.

    For adapters (the Flask extension) that choose the policy themselves; ``environ``
    must be a preflight (:func:`is_preflight`).
    """
    answer = preflight_answer(policy, environ, debug)
    start_response(answer.status, list(answer.headers))
    return [answer.body] if answer.body else []


class CORSMiddleware:
    """Answer CORS preflights and add CORS headers to a WSGI application's responses.

    ::

        app = CORSMiddleware(app, allow_origins=["https://app.example.com"], allow_credentials=True)
        app = CORSMiddleware(app, policy)   # a prebuilt CORSPolicy

    Give either a :class:`~cors_wsgi.CORSPolicy` or the options themselves (the same
    keywords as ``CORSPolicy``), not both.  On a path the policy covers:

    * a preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``)
      is answered here, ``204`` when allowed and ``403`` when refused; the
      application is not called;
    * every other request reaches the application, whose response, whatever its
      status, gets the CORS headers for an allowed origin and ``Vary: Origin``
      whenever the answer depends on the origin.

    With ``resources``, the policy is chosen on the request's path decoded to text and
    made canonical (``//admin/x``, ``/./admin/x`` and ``/x/../admin/x`` count as
    ``/admin/x``; see :mod:`cors_wsgi.resources`); the application still sees
    ``PATH_INFO`` exactly as the server passed it.  Paths no ``resources`` pattern
    covers pass through untouched.  The response body is
    never touched.  :attr:`debug` can be switched at any time from any thread.
    """

    __slots__ = ("app", "policy", "_debug", "_compiled")

    #: The wrapped WSGI application.
    app: WSGIApp
    #: The immutable policy in force.
    policy: CORSPolicy

    def __init__(self, app: WSGIApp, policy: CORSPolicy | None = None, **options: Unpack[CORSOptions]) -> None:
        if not callable(app):
            raise TypeError(f"CORSMiddleware wraps a WSGI application (a callable), not {type(app).__name__}")
        policy = policy_from_arguments(policy, dict(options))
        self.app = app
        self.policy = policy
        self._debug = policy.debug
        self._compiled = policy.compiled

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        policy: CompiledPolicy | None = self._compiled
        if policy is None:
            # Chosen on the decoded, canonical path (see cors_wsgi.resources); the environ is left as it is.
            path: str = environ.get("PATH_INFO", "")
            policy = self.policy.compiled_for_path(path if path.isascii() else wsgi_path_to_text(path))
            if policy is None:
                return self.app(environ, start_response)
        origin = environ.get("HTTP_ORIGIN")
        cors: CORSResponseHeaders | None
        if origin is None:
            cors = policy.no_origin
        else:
            if "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ and environ.get("REQUEST_METHOD") == "OPTIONS":
                return respond_to_preflight(policy, environ, start_response, self._debug)
            # Answers for '*' and for exactly listed origins are precomputed; the engine decides the rest.
            cors = policy.actual_any if policy.any_origin else policy.actual_by_origin.get(origin)
            if cors is None:
                cors = actual_response_headers(policy, origin)
        plain = cors.plain
        if not plain:
            return self.app(environ, start_response)

        def start_response_with_cors(status: str, headers: Headers, exc_info: ExcInfo | None = None) -> Any:
            for name, _ in headers:
                if name[:1] in "aAvV":  # a Vary or Access-Control-* header to merge with
                    return start_response(status, add_cors_headers(headers, cors), exc_info)
            return start_response(status, [*headers, *plain], exc_info)

        return self.app(environ, start_response_with_cors)

    @property
    def debug(self) -> bool:
        """When true, refused preflights carry the partial CORS headers and a one-line
        plain-text reason, so the browser console and network tab name the culprit.

        Starts as the policy's ``debug``; may be switched at any time from any thread.
        Only ``True`` or ``False`` is accepted (``"false"`` would be true).
        """
        return self._debug

    @debug.setter
    def debug(self, value: bool) -> None:
        self._debug = checked_debug(value)

    def __repr__(self) -> str:
        return f"CORSMiddleware({self.app!r}, {self.policy!r})"
