"""The WSGI adapter: environ -> engine -> a finished preflight, or headers added to the app's answer."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from types import MethodType
from typing import TYPE_CHECKING, Any, Optional

from .engine import (
    MAX_MEMO_ENTRIES,
    MAX_REMEMBERED_ORIGIN_LENGTH,
    UNEXPLAINED,
    CompiledPolicy,
    PreflightAnswer,
    decide_actual,
    decide_preflight,
    explain_preflight,
)
from .errors import CORSConfigError
from .headers import CORSResponseHeaders, add_cors_headers
from .policy import CORSPolicy
from .resources import wsgi_path_to_text

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Unpack

    from .policy import CORSOptions

__all__ = [
    "CORSMiddleware",
    "WSGIAnswers",
    "checked_debug",
    "cors_start_response",
    "is_preflight",
    "log_refused_origin",
    "policy_from_arguments",
    "preflight_answer",
    "respond_to_preflight",
]

Headers = list[tuple[str, str]]
ExcInfo = tuple[type[BaseException], BaseException, Optional["TracebackType"]]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

logger = logging.getLogger("cors_wsgi")
#: Response header names, as applications usually spell them, that never need merging with the
#: CORS answer (only Vary and Access-Control-* do): a set look-up instead of a look at the letters.
#: An empty name is one of them, so a name's first letter always exists.
_NEVER_MERGED = frozenset(
    {
        "",  # not a valid name, but it must not be looked into
        "Cache-Control",
        "Connection",
        "Content-Disposition",
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-Range",
        "Content-Security-Policy",
        "Content-Type",
        "Date",
        "ETag",
        "Expires",
        "Keep-Alive",
        "Last-Modified",
        "Link",
        "Location",
        "Pragma",
        "Referrer-Policy",
        "Retry-After",
        "Server",
        "Set-Cookie",
        "Strict-Transport-Security",
        "Transfer-Encoding",
        "WWW-Authenticate",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "X-Request-Id",
        "content-length",
        "content-type",
        "set-cookie",
    }
)


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


def _log_refused_preflight(policy: CompiledPolicy, environ: dict[str, Any], answer: PreflightAnswer) -> None:
    """Log a refused preflight (DEBUG) with its method and path; every request value escaped."""
    reason = answer.refusal
    if reason is UNEXPLAINED:
        reason = explain_preflight(
            policy,
            environ["HTTP_ORIGIN"],
            environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"],
            environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
            environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
        ).refusal
    logger.debug(
        "CORS preflight refused: %a %a: %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", ""), reason
    )


def log_refused_origin(environ: dict[str, Any], origin: str) -> None:
    """Log (DEBUG) that ``origin`` was refused on the request in ``environ``, with its method and
    path; every request value escaped (``ascii()``), so no CR/LF reaches the log."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "CORS origin refused: %a on %a %a", origin, environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", "")
        )


def preflight_answer(policy: CompiledPolicy, environ: dict[str, Any], debug: bool) -> PreflightAnswer:
    """The engine's answer to the preflight in ``environ`` (:func:`is_preflight`) under ``policy``.

    A refusal is logged (DEBUG) with the request's method and path; its ``refusal`` may be
    :data:`~cors_wsgi.engine.UNEXPLAINED` unless ``debug`` (see :func:`~cors_wsgi.engine.decide_preflight`).
    """
    answer = decide_preflight(
        policy,
        environ["HTTP_ORIGIN"],
        environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"],
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
        debug,
    )
    if answer.refusal is not None and logger.isEnabledFor(logging.DEBUG):
        _log_refused_preflight(policy, environ, answer)
    return answer


def respond_to_preflight(
    policy: CompiledPolicy, environ: dict[str, Any], start_response: StartResponse, debug: bool
) -> list[bytes]:
    """Answer the preflight in ``environ`` under ``policy``: call ``start_response``, return the body.

    For adapters (the Flask extension) that choose the policy themselves; ``environ``
    must be a preflight (:func:`is_preflight`).
    """
    answer = decide_preflight(
        policy,
        environ["HTTP_ORIGIN"],
        environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"],
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
        debug,
    )
    if answer.refusal is not None and logger.isEnabledFor(logging.DEBUG):
        _log_refused_preflight(policy, environ, answer)
    start_response(answer.status, list(answer.headers))
    return [answer.body] if answer.body else []


def cors_start_response(cors: CORSResponseHeaders) -> Callable[..., Any] | None:
    """The ``start_response`` wrapper that folds ``cors`` into the application's headers, built
    once per answer; bind it to a request's ``start_response`` with ``MethodType(wrapper,
    start_response)`` (a C-level bound method: no closure, no cells per request).  ``None``
    when ``cors`` adds nothing."""
    plain = list(cors.plain)
    if not plain:
        return None
    never_merged = _NEVER_MERGED

    def start_response_with_cors(
        start_response: StartResponse, status: str, headers: Headers, exc_info: ExcInfo | None = None
    ) -> Any:
        for name, _ in headers:
            # A Vary or Access-Control-* header to merge with?  Common names need no look at their letters.
            if name not in never_merged and name[0] in "aAvV":
                return start_response(status, add_cors_headers(headers, cors), exc_info)
        try:
            merged = headers + plain  # a new list: the application's is left as it is
        except TypeError:  # not a list (PEP 3333 asks for one; tolerated)
            merged = [*headers, *plain]
        return start_response(status, merged, exc_info)

    return start_response_with_cors


class WSGIAnswers:
    """One compiled policy's answers as bound-ready ``start_response`` wrappers (see
    :func:`cors_start_response`).  Internal to the WSGI adapters.

    The wrappers of exactly listed origins are built when an origin is first seen (so
    10,000 listed origins cost no more memory until used); other allowed origins' static
    decisions are kept too, bounded (at most :data:`~cors_wsgi.engine.MAX_MEMO_ENTRIES`
    beyond the listed ones); an ``allow_origin_func``'s never are.
    """

    __slots__ = ("compiled", "any_origin", "no_origin", "refused", "by_origin", "listed", "remember")

    def __init__(self, compiled: CompiledPolicy) -> None:
        self.compiled = compiled
        #: The wrapper for every Origin when the policy allows any origin, else ``None``.
        self.any_origin = cors_start_response(compiled.actual_any) if compiled.any_origin else None
        self.no_origin = cors_start_response(compiled.no_origin)
        self.refused = cors_start_response(compiled.refused)
        self.by_origin: dict[str, Callable[..., Any] | None] = {}
        self.listed = 0
        self.remember = compiled.origin_matcher.func is None

    def for_origin(self, origin: str, environ: dict[str, Any]) -> Callable[..., Any] | None:
        """The wrapper for ``origin`` (not in :attr:`by_origin`), decided by the engine; a refusal
        is logged (DEBUG) with the request's method and path, every time (refusals are not kept
        here: the engine remembers the decision)."""
        compiled = self.compiled
        cors = decide_actual(compiled, origin)
        if cors is compiled.refused:
            log_refused_origin(environ, origin)
            return self.refused
        wrapper = cors_start_response(cors)
        by_origin = self.by_origin
        if origin in compiled.actual_by_origin:
            self.listed += 1
        elif not self.remember or len(origin) > MAX_REMEMBERED_ORIGIN_LENGTH:
            return wrapper
        elif len(by_origin) >= self.listed + MAX_MEMO_ENTRIES:
            listed = compiled.actual_by_origin
            by_origin = self.by_origin = {o: w for o, w in by_origin.items() if o in listed}
        by_origin[origin] = wrapper
        return wrapper


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

    __slots__ = ("app", "_policy", "_debug", "_answers", "_answers_by_compiled")

    #: The wrapped WSGI application.
    app: WSGIApp

    def __init__(self, app: WSGIApp, policy: CORSPolicy | None = None, **options: Unpack[CORSOptions]) -> None:
        if not callable(app):
            raise TypeError(f"CORSMiddleware wraps a WSGI application (a callable), not {type(app).__name__}")
        policy = policy_from_arguments(policy, dict(options))
        self.app = app
        self._policy = policy
        self._debug = policy.debug
        compiled = policy.compiled
        self._answers = WSGIAnswers(compiled) if compiled is not None else None
        self._answers_by_compiled = {
            entry.compiled: WSGIAnswers(entry.compiled)
            for entry in (policy.resources or {}).values()
            if entry.compiled is not None
        }

    @property
    def policy(self) -> CORSPolicy:
        """The immutable policy in force (read-only: to change it, build a new middleware)."""
        return self._policy

    @policy.setter
    def policy(self, value: CORSPolicy) -> None:
        raise AttributeError(
            "CORSMiddleware.policy is read-only: its answers are compiled when the middleware is built — "
            "to change the policy, build a new middleware: CORSMiddleware(app, new_policy)"
        )

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        answers = self._answers
        if answers is None:
            # Chosen on the decoded, canonical path (see cors_wsgi.resources); the environ is left as it is.
            path: str = environ.get("PATH_INFO", "")
            compiled = self._policy.compiled_for_path(path if path.isascii() else wsgi_path_to_text(path))
            if compiled is None:
                return self.app(environ, start_response)
            answers = self._answers_by_compiled[compiled]
        origin = environ.get("HTTP_ORIGIN")
        if origin is None:
            wrapper = answers.no_origin
        elif "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ and environ.get("REQUEST_METHOD") == "OPTIONS":
            return respond_to_preflight(answers.compiled, environ, start_response, self._debug)
        else:
            # Wrappers for '*' and for every allowed origin seen are kept; the engine decides the others.
            wrapper = answers.any_origin or answers.by_origin.get(origin) or answers.for_origin(origin, environ)
        if wrapper is None:
            return self.app(environ, start_response)
        return self.app(environ, MethodType(wrapper, start_response))

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
        return f"CORSMiddleware({self.app!r}, {self._policy!r})"
