"""The ASGI adapter: scope -> the same engine -> a finished preflight, or headers added to the app's answer.

::

    from cors_wsgi.asgi import CORSMiddleware

    app = CORSMiddleware(fastapi_app, allow_origins=["https://app.example.com"], allow_credentials=True)

Plain ASGI 3 (FastAPI, Starlette, Quart, Litestar, ... under uvicorn, hypercorn,
granian), no dependency.  The options, the :class:`~cors_wsgi.CORSPolicy`, the errors
and the answers are those of the WSGI :class:`cors_wsgi.CORSMiddleware`; only the
wire format differs.  Everything that does not depend on the request is computed when
the middleware is built (:class:`~cors_wsgi.engine.RawPolicy`: every precomputed answer
already in bytes), so a request costs a look through its headers for ``Origin`` and a
dictionary look-up or two.

Wrap the whole application, from outside (``app = CORSMiddleware(fastapi_app, ...)``):
Starlette's ``ServerErrorMiddleware`` sits outside every middleware added with
``add_middleware``, so only a middleware outside it sees the ``500`` it sends for an
unhandled exception and can add the CORS headers the browser needs to show the page
that ``500`` rather than a CORS error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

from .engine import CompiledPolicy, RawPolicy, actual_raw_response_headers, answer_raw_preflight
from .headers import RawCORSHeaders, RawHeader, add_raw_cors_headers
from .middleware import checked_debug, policy_from_arguments
from .policy import CORSPolicy
from .resources import asgi_route_path

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .policy import CORSOptions

__all__ = ["ASGIApp", "CORSMiddleware", "Message", "Receive", "Scope", "Send"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_ACRM = b"access-control-request-method"
_ACRH = b"access-control-request-headers"
_ACRPN = b"access-control-request-private-network"
_PREFLIGHT_HEADERS = frozenset((_ACRM, _ACRH, _ACRPN))
# First bytes (as ints) of the response header names that may need merging: vary, access-control-*.
_MERGE_FIRST_BYTES = frozenset(b"aAvV")


def _preflight_values(request_headers: Iterable[Sequence[bytes]]) -> dict[bytes, bytes]:
    """The ``Access-Control-Request-*`` headers of a request, repeated ones joined by ``,``.

    Joined as a WSGI server joins them, so the engine reads them as the WSGI adapter's:
    a repeated ``Access-Control-Request-Method`` counts by its first value, a repeated
    ``Access-Control-Request-Headers`` by all of its names.
    """
    found: dict[bytes, bytes] = {}
    for name, value in request_headers:
        if name in _PREFLIGHT_HEADERS:
            found[name] = found[name] + b"," + value if name in found else value
    return found


class CORSMiddleware:
    """Answer CORS preflights and add CORS headers to an ASGI application's responses.

    ::

        app = CORSMiddleware(app, allow_origins=["https://app.example.com"], allow_credentials=True)
        app = CORSMiddleware(app, policy)   # a prebuilt CORSPolicy, shared with a WSGI app if you like
        fastapi_app.add_middleware(CORSMiddleware, allow_origins=[...])   # works, but see below

    Give either a :class:`~cors_wsgi.CORSPolicy` or the options themselves (the same
    keywords as ``CORSPolicy``), not both; mistakes raise the same
    :class:`~cors_wsgi.CORSConfigError`.  On ``http`` requests to a path the policy
    covers:

    * a preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``)
      is answered here, ``204`` when allowed and ``403`` when refused; the
      application is not called;
    * every other request reaches the application, whose ``http.response.start``,
      whatever its status, gets the CORS headers for an allowed origin and
      ``vary: Origin`` merged whenever the answer depends on the origin.  Body
      messages pass untouched and unbuffered; the start message gets a new header
      list (the application's list is never changed), its other keys kept;
      exceptions propagate unchanged.

    ``lifespan`` and ``websocket`` scopes are passed on with the same ``scope``,
    ``receive`` and ``send`` objects.  With ``resources``, the policy is chosen on
    ``scope["path"]`` less ``scope["root_path"]`` (:func:`~cors_wsgi.resources.asgi_route_path`:
    what Starlette routes, also under ``uvicorn --root-path`` or inside a ``Mount``),
    made canonical like the WSGI adapter's.  Request header bytes are read as latin-1;
    names are expected lowercase and ``scope["headers"]`` re-iterable (a list), as ASGI
    servers give them and Starlette also requires.  :attr:`debug` can be switched at
    any time.

    Added with ``fastapi_app.add_middleware(...)`` instead, it sits *inside*
    Starlette's ``ServerErrorMiddleware``: the ``500`` answer to an unhandled exception
    is sent outside it, without CORS headers, and the browser reports a CORS error
    instead of the ``500``.  Wrapping the application from outside avoids that.
    """

    __slots__ = ("app", "_policy", "_debug", "_raw", "_raw_by_compiled")

    #: The wrapped ASGI application.
    app: ASGIApp

    def __init__(self, app: ASGIApp, policy: CORSPolicy | None = None, **options: Unpack[CORSOptions]) -> None:
        if not callable(app):
            raise TypeError(f"CORSMiddleware wraps an ASGI application (a callable), not {type(app).__name__}")
        policy = policy_from_arguments(policy, dict(options))
        self.app = app
        self._policy = policy
        self._debug = policy.debug
        # Every answer in bytes, once: for the one compiled policy, or for each resources entry.
        compiled = policy.compiled
        self._raw = RawPolicy(compiled) if compiled is not None else None
        self._raw_by_compiled: dict[CompiledPolicy, RawPolicy] = {}
        for entry in (policy.resources or {}).values():
            if entry.compiled is not None:
                self._raw_by_compiled[entry.compiled] = RawPolicy(entry.compiled)

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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan, websocket: untouched
            await self.app(scope, receive, send)
            return
        raw = self._raw
        if raw is None:
            # Chosen on the path the application routes, canonical (see cors_wsgi.resources).
            compiled = self._policy.compiled_for_path(asgi_route_path(scope["path"], scope.get("root_path", "")))
            if compiled is None:
                await self.app(scope, receive, send)
                return
            raw = self._raw_by_compiled[compiled]
        origin = None
        for name, value in scope["headers"]:  # a plain loop is the cheapest search (see bench_asgi.py)
            if name == b"origin":
                origin = value  # the first one: a repeated Origin counts by its first value
                break
        cors: RawCORSHeaders | None
        if origin is None:
            cors = raw.no_origin
        else:
            if scope["method"] == "OPTIONS":
                found = _preflight_values(scope["headers"])
                method = found.get(_ACRM)
                if method is not None:  # a preflight: answered here, the application not called
                    answer = answer_raw_preflight(raw, origin, method, found.get(_ACRH), found.get(_ACRPN), self._debug)
                    await send(
                        {"type": "http.response.start", "status": answer.status, "headers": list(answer.headers)}
                    )
                    await send({"type": "http.response.body", "body": answer.body})
                    return
            # Answers for '*' and for exactly listed origins are precomputed; the engine decides the rest.
            cors = raw.actual_any if raw.any_origin else raw.actual_by_origin.get(origin)
            if cors is None:
                cors = actual_raw_response_headers(raw, origin)
        plain = cors.plain
        if not plain:
            await self.app(scope, receive, send)
            return

        # A plain function returning send's own awaitable: no coroutine of its own per message.  What it
        # reads comes in as defaults, not closure cells, so that __call__ itself has no cell variables.
        def send_with_cors(
            message: Message, send: Send = send, cors: RawCORSHeaders = cors, plain: tuple[RawHeader, ...] = plain
        ) -> Awaitable[None]:
            if message["type"] == "http.response.start":
                try:
                    headers = [*message["headers"]]  # a new list: the application's is never changed
                except KeyError:  # optional in ASGI
                    headers = []
                for name, _ in headers:
                    if name and name[0] in _MERGE_FIRST_BYTES:  # a vary or access-control-* header to merge with
                        headers = add_raw_cors_headers(headers, cors)
                        break
                else:
                    headers += plain
                # The message gets the new list (as every ASGI middleware that adds headers does; Starlette's
                # also changes the list in place): its other keys (trailers, extensions) stay as they are.
                message["headers"] = headers
            return send(message)

        await self.app(scope, receive, send_with_cors)

    @property
    def debug(self) -> bool:
        """When true, refused preflights carry the partial CORS headers and a one-line
        plain-text reason, so the browser console and network tab name the culprit.

        Starts as the policy's ``debug``; may be switched at any time.  Only ``True`` or
        ``False`` is accepted (``"false"`` would be true).
        """
        return self._debug

    @debug.setter
    def debug(self, value: bool) -> None:
        self._debug = checked_debug(value)

    def __repr__(self) -> str:
        return f"CORSMiddleware({self.app!r}, {self._policy!r})"
