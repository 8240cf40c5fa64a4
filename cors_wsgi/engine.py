"""The CORS decision: the compiled policy, and pure functions of it and the request's CORS headers.

:class:`CompiledPolicy` holds every precomputed value one path's answers need (built
by :class:`~cors_wsgi.CORSPolicy`, which imports this module, never the reverse).
No WSGI and no framework here: every adapter (the WSGI middleware, the Flask
extension, the ``explain`` command) asks the same two questions:

* :func:`answer_preflight` — the complete answer to a preflight request;
* :func:`actual_response_headers` — the headers to add to the application's own
  answer to any other request on a covered path.

Request values are only compared against precomputed sets; the only things built
per request are the short header lists returned.  The adapters call the same decisions
without logging, :func:`decide_preflight` and :func:`decide_actual`, and log refusals
themselves with the request's method and path; a refused preflight's reason is built
only when ``debug`` needs it (:func:`explain_preflight` builds it on demand).

Adapters whose headers are bytes (ASGI) ask the same questions through
:class:`RawPolicy`: :func:`answer_raw_preflight` and :func:`actual_raw_response_headers`
give the same answers with lowercase ``bytes`` names and ``bytes`` values, precomputed
once per policy and origin like the ``str`` ones, so that no header is encoded per
request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import NamedTuple

from .headers import (
    SAFELISTED_REQUEST_HEADERS,
    CORSResponseHeaders,
    RawCORSHeaders,
    RawHeader,
    encode_headers,
    is_token,
    parse_request_headers,
)
from .methods import SAFELISTED_METHODS
from .origins import ConfiguredOrigin, OriginMatcher

__all__ = [
    "CompiledPolicy",
    "PreflightAnswer",
    "RawPolicy",
    "RawPreflightAnswer",
    "actual_raw_response_headers",
    "actual_response_headers",
    "answer_preflight",
    "answer_raw_preflight",
    "decide_actual",
    "decide_preflight",
    "explain_preflight",
    "first_value",
    "method_allowed",
    "split_request_headers",
]

logger = logging.getLogger("cors_wsgi")

Header = tuple[str, str]

_ALLOWED_STATUS = "204 No Content"
_REFUSED_STATUS = "403 Forbidden"
_DEBUG_PARTIAL_STATUS = "200 OK"
_TEXT = ("Content-Type", "text/plain; charset=utf-8")
_ANY_ORIGIN: tuple[Header, ...] = (("Access-Control-Allow-Origin", "*"),)

#: Preflight answers memoized per policy, at most (the memo is emptied when full).
MAX_MEMO_ENTRIES = 1024
#: Longest request values (all four together) whose answer is memoized.
MAX_MEMO_KEY_LENGTH = 2048
#: Longest ``Origin`` whose decision :class:`RawPolicy` remembers (real origins are far shorter).
MAX_REMEMBERED_ORIGIN_LENGTH = 256
#: The ``refusal`` of an answer from :func:`decide_preflight` whose reason nobody asked for
#: (no ``debug``): :func:`explain_preflight` builds the reason on demand.
UNEXPLAINED = "refused (reason not built: ask explain_preflight)"


class PreflightAnswer(NamedTuple):
    """A finished answer to a preflight request.

    ``headers`` is a tuple: an adapter passes ``list(headers)`` to its server.
    ``refusal`` is ``None`` when the preflight is allowed, otherwise a one-line reason
    in which every request-supplied value is escaped (``ascii()``), safe to log or send.
    """

    status: str
    headers: tuple[Header, ...]
    body: bytes
    refusal: str | None


class CompiledPolicy:
    """Every value one path's CORS answers need, precomputed.  Internal.

    Built by :class:`~cors_wsgi.CORSPolicy` from validated, normalized options; read
    by the decisions below.  Read-only after construction, except
    :attr:`preflight_memo`, a bounded memo of preflight decisions (see
    :func:`answer_preflight`).
    """

    __slots__ = (
        "any_origin",
        "origin_matcher",
        "vary_origin",
        "credentials",
        "methods_any",
        "methods",
        "methods_value",
        "headers_any",
        "headers",
        "headers_value",
        "header_regexes",
        "max_age_headers",
        "private_network",
        "preflight_vary",
        "preflight_origin_headers",
        "preflight_memo",
        "refused_preflight",
        "origin_decisions",
        "actual_by_origin",
        "actual_any",
        "actual_allowed_static",
        "no_origin",
        "refused",
    )

    def __init__(
        self,
        origins: list[ConfiguredOrigin],
        regexes: tuple[re.Pattern[str], ...],
        func: Callable[[str], object] | None,
        credentials: bool,
        methods: list[str],
        headers: list[str],
        expose: list[str],
        max_age: int | None,
        private_network: bool,
        header_regexes: tuple[re.Pattern[str], ...] = (),
    ) -> None:
        self.any_origin = any(o.kind == "any" for o in origins)
        self.origin_matcher = OriginMatcher(origins, regexes, func)
        self.vary_origin = not self.any_origin
        self.credentials: tuple[Header, ...] = (("Access-Control-Allow-Credentials", "true"),) if credentials else ()
        self.methods_any = methods == ["*"]
        self.methods = frozenset(methods) | SAFELISTED_METHODS
        self.methods_value = ", ".join(methods)
        self.headers_any = headers == ["*"]
        self.headers = frozenset(h.lower() for h in headers)
        self.headers_value = ", ".join(headers)
        #: Patterns (case-insensitive) a requested header name may match instead of being listed.
        self.header_regexes = header_regexes
        self.max_age_headers: tuple[Header, ...] = (
            (("Access-Control-Max-Age", str(max_age)),) if max_age is not None else ()
        )
        self.private_network = private_network
        vary = ["Access-Control-Request-Method", "Access-Control-Request-Headers"]
        if private_network:
            vary.append("Access-Control-Request-Private-Network")
        if self.vary_origin:
            vary.insert(0, "Origin")
        self.preflight_vary = ", ".join(vary)
        expose_headers: tuple[Header, ...] = (("Access-Control-Expose-Headers", ", ".join(expose)),) if expose else ()
        self.actual_any = CORSResponseHeaders.build((("Access-Control-Allow-Origin", "*"), *expose_headers), None)
        self.actual_allowed_static = (*self.credentials, *expose_headers)
        # A public policy's answer is static: '*' on every response, with or without Origin, and no
        # Vary, so a shared cache can serve any stored response to anyone (Fetch, "CORS protocol and
        # HTTP caches").  Otherwise the answer depends on Origin, and every response says so.
        self.refused = CORSResponseHeaders.build((), "Origin" if self.vary_origin else None)
        self.no_origin = self.actual_any if self.any_origin else self.refused
        # Whole answers for each exactly listed origin: a request from one costs one look-up.
        exact = () if self.any_origin else self.origin_matcher.exact
        self.preflight_origin_headers: dict[str, tuple[Header, ...]] = {
            origin: (("Access-Control-Allow-Origin", origin), *self.credentials) for origin in exact
        }
        self.actual_by_origin = {
            origin: CORSResponseHeaders.build(
                (("Access-Control-Allow-Origin", origin), *self.actual_allowed_static), "Origin"
            )
            for origin in exact
        }
        self.preflight_memo: dict[tuple[str, str, str | None, str | None], PreflightAnswer] = {}
        #: The answer to a preflight from a refused origin, without debug (its reason is not built).
        self.refused_preflight = PreflightAnswer(
            _REFUSED_STATUS,
            (_TEXT, ("Content-Length", "0"), ("Vary", self.preflight_vary)),
            b"",
            UNEXPLAINED,
        )
        #: Origins the matcher decided that are not listed exactly -> the origin to echo, or
        #: ``None`` for a refusal.  Only when no function decides (it may change its mind), for
        #: origins up to MAX_REMEMBERED_ORIGIN_LENGTH characters, at most MAX_MEMO_ENTRIES
        #: (then forgotten), so a repeated refused origin costs a look-up, not a parse.
        self.origin_decisions: dict[str, str | None] = {}


#: Longer request values are shown cut to this many characters in refusal reasons.
_SHOWN_LENGTH = 100
#: An Access-Control-Request-Method longer than this is refused unread (methods are short tokens).
_MAX_METHOD_LENGTH = 64


def _shown(value: str) -> str:
    """``value`` escaped for a message (``ascii()``), cut to its first characters when long."""
    if len(value) > _SHOWN_LENGTH:
        return f"{value[:_SHOWN_LENGTH]!a}... ({len(value)} characters)"
    return ascii(value)


def first_value(value: str) -> str:
    """A header the server received twice arrives joined by commas; the first counts."""
    return value.split(",", 1)[0].strip(" \t") if "," in value else value


def method_allowed(policy: CompiledPolicy, method: str) -> bool:
    """Whether a preflight may ask for ``method`` (one ``Access-Control-Request-Method`` value,
    see :func:`first_value`): listed, CORS-safelisted, or any token when the policy allows
    any method.  Compared case-sensitively, as browsers compare; a value longer than any
    method is refused."""
    if len(method) > _MAX_METHOD_LENGTH:
        return False
    return method in policy.methods or (policy.methods_any and is_token(method))


def split_request_headers(policy: CompiledPolicy, names: list[str]) -> tuple[list[str], list[str]]:
    """The requested header names (lowercase, as :func:`~cors_wsgi.headers.parse_request_headers`
    gives them) split into ``(allowed, refused)``, each in request order.

    A name is allowed when the policy allows any header, lists it, matches one of its
    header patterns (as a whole, any case), or is CORS-safelisted.
    """
    if policy.headers_any:
        return names, []
    listed = policy.headers
    if all(name in listed for name in names):
        return names, []
    allowed: list[str] = []
    refused: list[str] = []
    for name in names:
        if (
            name in listed
            or name in SAFELISTED_REQUEST_HEADERS
            or any(regex.fullmatch(name) for regex in policy.header_regexes)
        ):
            allowed.append(name)
        else:
            refused.append(name)
    return allowed, refused


def _match_origin(policy: CompiledPolicy, origin: str) -> tuple[str | None, bool]:
    """The origin to echo for a non-listed ``origin`` (``None``: refused), and whether that
    decision is static (no function decided); static decisions are remembered, bounded."""
    decisions = policy.origin_decisions
    if origin in decisions:
        return decisions[origin], True
    matcher = policy.origin_matcher
    matched = matcher.match(origin)
    if matcher.func is not None:
        return matched, False
    if len(origin) <= MAX_REMEMBERED_ORIGIN_LENGTH:
        if len(decisions) >= MAX_MEMO_ENTRIES:
            decisions.clear()
        decisions[origin] = matched
    return matched, True


def _refuse(policy: CompiledPolicy, reason: str, debug: bool, partial: tuple[Header, ...]) -> PreflightAnswer:
    if not debug:
        plain: tuple[Header, ...] = (_TEXT, ("Content-Length", "0"), ("Vary", policy.preflight_vary))
        return PreflightAnswer(_REFUSED_STATUS, plain, b"", reason)
    body = f"CORS preflight refused: {reason}\n".encode("ascii")
    # With the origin allowed, a 2xx answer carrying the partial headers makes the
    # browser go on to the method and header checks, so its console names the culprit.
    status = _DEBUG_PARTIAL_STATUS if partial else _REFUSED_STATUS
    headers = (*partial, _TEXT, ("Content-Length", str(len(body))), ("Vary", policy.preflight_vary))
    return PreflightAnswer(status, headers, body, reason)


def answer_preflight(
    policy: CompiledPolicy,
    origin: str,
    request_method: str,
    request_headers: str | None = None,
    request_private_network: str | None = None,
    debug: bool = False,
) -> PreflightAnswer:
    """Answer a preflight: ``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``.

    ``origin``, ``request_method``, ``request_headers`` and ``request_private_network``
    are the raw values of ``Origin``, ``Access-Control-Request-Method``,
    ``Access-Control-Request-Headers`` and ``Access-Control-Request-Private-Network``.
    Allowed: ``204`` with the CORS headers.  Refused (origin, method or any header):
    ``403`` with no CORS headers, or with ``debug`` the partial headers and the reason.
    ``refusal`` is always the reason here, and a refusal is logged (DEBUG).

    Answers depend only on the immutable policy and these values, so they are
    memoized per policy (browsers repeat the same few preflights), except where an
    ``allow_origin_func`` decides (it may change its mind), for refused origins (cheap
    to refuse again, and a stream of made-up origins must not crowd out real answers),
    for oversized values, and for refusals in ``debug`` form.  The memo is bounded; it
    is emptied when full.  Adapters call :func:`decide_preflight`, the same answer
    without the reason unless ``debug`` asks for it.
    """
    answer = decide_preflight(policy, origin, request_method, request_headers, request_private_network, debug)
    if answer.refusal is UNEXPLAINED:
        answer = explain_preflight(policy, origin, request_method, request_headers, request_private_network)
    if answer.refusal is not None and logger.isEnabledFor(logging.DEBUG):
        logger.debug("CORS preflight refused: %s", answer.refusal)
    return answer


def explain_preflight(
    policy: CompiledPolicy,
    origin: str,
    request_method: str,
    request_headers: str | None = None,
    request_private_network: str | None = None,
) -> PreflightAnswer:
    """The answer of :func:`decide_preflight` (without ``debug``) with its reason always built:
    for a log line, or the ``explain`` command.  Neither memoized nor logged."""
    return _answer_preflight(policy, origin, request_method, request_headers, request_private_network, False, True)[0]


def decide_preflight(
    policy: CompiledPolicy,
    origin: str,
    request_method: str,
    request_headers: str | None = None,
    request_private_network: str | None = None,
    debug: bool = False,
) -> PreflightAnswer:
    """:func:`answer_preflight` for adapters: the same status, headers and body, not logged,
    and the reason of a refusal built only when ``debug`` needs it for the body.

    A refused answer's ``refusal`` is then either the reason or :data:`UNEXPLAINED`
    (:func:`explain_preflight` builds it): a refused origin costs a look-up or two, not
    a message nobody reads.  The adapter logs a refusal itself, with the request's
    method and path.
    """
    if not debug and policy.origin_decisions.get(origin, origin) is None:
        return policy.refused_preflight  # a refused origin, remembered: refused again at the cost of a look-up
    size = len(origin) + len(request_method)
    if request_headers is not None:
        size += len(request_headers)
    if request_private_network is not None:
        size += len(request_private_network)
    if size > MAX_MEMO_KEY_LENGTH:
        # Never looked up nor stored: hashing a huge fresh value would cost more than the answer.
        return _answer_preflight(
            policy, origin, request_method, request_headers, request_private_network, debug, debug
        )[0]
    key = (origin, request_method, request_headers, request_private_network)
    memo = policy.preflight_memo
    remembered = memo.get(key)
    if remembered is not None and (remembered.refusal is None or not debug):
        return remembered
    answer, static = _answer_preflight(
        policy, origin, request_method, request_headers, request_private_network, debug, debug
    )
    if static and (answer.refusal is None or not debug):
        if len(memo) >= MAX_MEMO_ENTRIES:
            memo.clear()
        memo[key] = answer
    return answer


def _answer_preflight(
    policy: CompiledPolicy,
    origin: str,
    request_method: str,
    request_headers: str | None,
    request_private_network: str | None,
    debug: bool,
    explain: bool,
) -> tuple[PreflightAnswer, bool]:
    """The answer, and whether it may be memoized (the origin was allowed, not by a function).

    Without ``explain``, a refused origin gets the precomputed unexplained answer."""
    static = True
    if policy.any_origin:
        origin_headers = _ANY_ORIGIN
    else:
        found = policy.preflight_origin_headers.get(origin)
        if found is None:
            matched, static = _match_origin(policy, origin)
            if matched is None:  # not memoized: cheap to refuse again
                if not explain:
                    return policy.refused_preflight, False
                return _refuse(policy, f"origin {_shown(origin)} is not allowed", debug, ()), False
            found = (("Access-Control-Allow-Origin", matched), *policy.credentials)
        origin_headers = found
    headers, refusal = _decide_preflight(policy, request_method, request_headers, request_private_network)
    if refusal is None:
        return PreflightAnswer(_ALLOWED_STATUS, (*origin_headers, *headers), b"", None), static
    return _refuse(policy, refusal, debug, (*origin_headers, *headers)), static


def _decide_preflight(
    policy: CompiledPolicy, request_method: str, request_headers: str | None, request_private_network: str | None
) -> tuple[tuple[Header, ...], str | None]:
    """Everything of a preflight answer after the origin: ``(headers, None)`` if allowed,
    ``(partial headers, reason)`` if refused."""
    if len(request_method) > _MAX_METHOD_LENGTH:
        reason = f"Access-Control-Request-Method is too long ({len(request_method)} characters)"
        return (("Access-Control-Allow-Methods", policy.methods_value),), reason
    method = first_value(request_method)
    if method_allowed(policy, method):
        allow_methods = method if policy.methods_any else policy.methods_value
    else:
        reason = f"method {method!a} is not allowed (allowed: {policy.methods_value})"
        if method.upper() in policy.methods:
            reason += f"; methods are case-sensitive, did the script mean {method.upper()!r}?"
        return (("Access-Control-Allow-Methods", policy.methods_value),), reason
    headers: list[Header] = [("Access-Control-Allow-Methods", allow_methods)]

    allow_headers: str | None = None
    if request_headers:
        names = parse_request_headers(request_headers)
        if names is None:
            return tuple(headers), "Access-Control-Request-Headers is malformed or too long"
        if policy.headers_any:
            allow_headers = ", ".join(names) if names else None
        else:
            allow_headers = policy.headers_value or None
            allowed_names, refused = split_request_headers(policy, names)
            implicit = [name for name in allowed_names if name not in policy.headers]
            if implicit:
                allow_headers = ", ".join(filter(None, (policy.headers_value, *implicit)))
            if refused:
                if allow_headers is not None:
                    headers.append(("Access-Control-Allow-Headers", allow_headers))
                patterns = (f"re {regex.pattern!a}" for regex in policy.header_regexes)
                allowed = ", ".join(filter(None, (policy.headers_value, *patterns))) or "none"
                return tuple(headers), f"request header {refused[0]!a} is not allowed (allowed: {allowed})"
    if allow_headers is not None:
        headers.append(("Access-Control-Allow-Headers", allow_headers))
    headers.extend(policy.max_age_headers)
    if (
        policy.private_network
        and request_private_network is not None
        and len(request_private_network) <= 16
        and request_private_network.strip(" \t").lower() == "true"
    ):
        headers.append(("Access-Control-Allow-Private-Network", "true"))
    headers.append(("Vary", policy.preflight_vary))
    return tuple(headers), None


def actual_response_headers(policy: CompiledPolicy, origin: str | None) -> CORSResponseHeaders:
    """The CORS headers for the application's answer to a non-preflight request.

    Returns what :func:`~cors_wsgi.headers.add_cors_headers` folds into the
    application's headers (precomputed for exactly listed origins).  ``origin`` is the raw
    ``Origin`` value or ``None`` when absent.  A refused origin gets no CORS headers,
    only ``Vary: Origin``, and is logged (DEBUG); :func:`decide_actual` does not log.
    """
    answer = decide_actual(policy, origin)
    if answer is policy.refused and origin is not None and logger.isEnabledFor(logging.DEBUG):
        logger.debug("CORS origin refused: %s", ascii(origin))
    return answer


def decide_actual(policy: CompiledPolicy, origin: str | None) -> CORSResponseHeaders:
    """:func:`actual_response_headers` without logging: a refusal is :attr:`CompiledPolicy.refused`
    (the very object), which the adapter logs with the request's method and path."""
    if origin is None:
        return policy.no_origin
    if policy.any_origin:
        return policy.actual_any
    answer = policy.actual_by_origin.get(origin)
    if answer is not None:
        return answer
    allowed, _ = _match_origin(policy, origin)
    if allowed is None:
        return policy.refused
    return CORSResponseHeaders.build(
        (("Access-Control-Allow-Origin", allowed), *policy.actual_allowed_static), "Origin"
    )


# -- the bytes form (ASGI) -------------------------------------------------------------


class RawPreflightAnswer(NamedTuple):
    """A :class:`PreflightAnswer` in the bytes form of ASGI.

    ``status`` is the code (``204``); ``headers`` have lowercase ``bytes`` names and
    ``bytes`` values (an adapter sends ``list(headers)``: a fresh list that the server or
    an outer middleware may change); ``refusal`` is the same escaped reason.
    """

    status: int
    headers: tuple[RawHeader, ...]
    body: bytes
    refusal: str | None

    @classmethod
    def encode(cls, answer: PreflightAnswer) -> RawPreflightAnswer:
        """The bytes form of ``answer``."""
        return cls(int(answer.status[:3]), encode_headers(answer.headers), answer.body, answer.refusal)


class RawPolicy:
    """One :class:`CompiledPolicy`'s precomputed answers in the bytes form of ASGI.

    Built once, when an adapter is configured (one per compiled policy it may use),
    read by :func:`actual_raw_response_headers` and :func:`answer_raw_preflight`.
    Request values are taken as the ``bytes`` an ASGI server gives: exactly listed
    origins are looked up without decoding; the decision for any other origin (a
    pattern's or a regex's, refusals included) is remembered in the same table, since
    an immutable policy cannot change its mind — except when an ``allow_origin_func``
    decides, which may — for origins up to :data:`MAX_REMEMBERED_ORIGIN_LENGTH`
    characters and at most :data:`MAX_MEMO_ENTRIES` of them (then forgotten, the listed
    ones kept), so a refused origin costs what an allowed one does and a stream of
    made-up origins costs bounded memory.  A refusal is logged (DEBUG) when it is
    decided, not again while it is remembered.  Preflight answers are memoized by the
    request's bytes under the engine's own rules (see :func:`answer_raw_preflight`).
    Only :attr:`actual_by_origin` and :attr:`preflight_memo` change after construction.
    """

    __slots__ = (
        "compiled",
        "any_origin",
        "no_origin",
        "refused",
        "actual_any",
        "actual_by_origin",
        "listed",
        "remember",
        "preflight_memo",
    )

    def __init__(self, compiled: CompiledPolicy) -> None:
        self.compiled = compiled
        self.any_origin = compiled.any_origin
        self.no_origin = RawCORSHeaders.encode(compiled.no_origin)
        self.refused = RawCORSHeaders.encode(compiled.refused)
        self.actual_any = RawCORSHeaders.encode(compiled.actual_any)
        #: The answers for the listed origins, never forgotten.
        self.listed: dict[bytes, RawCORSHeaders] = {
            origin.encode("latin-1"): RawCORSHeaders.encode(answer)
            for origin, answer in compiled.actual_by_origin.items()
        }
        #: Looked up first: the listed origins' answers, and the decisions remembered for others.
        self.actual_by_origin = dict(self.listed)
        #: Decisions are remembered only when they cannot change (no allow_origin_func).
        self.remember = compiled.origin_matcher.func is None
        self.preflight_memo: dict[tuple[bytes, bytes, bytes | None, bytes | None], RawPreflightAnswer] = {}

    def __repr__(self) -> str:
        return f"<RawPolicy of {len(self.listed)} listed origins, any_origin={self.any_origin}>"


def actual_raw_response_headers(policy: RawPolicy, origin: bytes | None) -> RawCORSHeaders:
    """:func:`actual_response_headers` for a raw ``Origin`` value (``None`` when absent).

    Precomputed for no ``Origin``, ``*``, every exactly listed origin and refused
    origins; any other origin is decided by the engine, and the decision remembered in
    :attr:`RawPolicy.actual_by_origin` when it cannot change (see :class:`RawPolicy`).
    """
    if origin is None:
        return policy.no_origin
    if policy.any_origin:
        return policy.actual_any
    found = policy.actual_by_origin.get(origin)
    if found is not None:
        return found
    cors = actual_response_headers(policy.compiled, origin.decode("latin-1"))
    raw = policy.refused if cors is policy.compiled.refused else RawCORSHeaders.encode(cors)
    if policy.remember and len(origin) <= MAX_REMEMBERED_ORIGIN_LENGTH:
        remembered = policy.actual_by_origin
        if len(remembered) >= len(policy.listed) + MAX_MEMO_ENTRIES:
            remembered = policy.actual_by_origin = dict(policy.listed)  # forget the others, keep the listed
        remembered[origin] = raw
    return raw


def answer_raw_preflight(
    policy: RawPolicy,
    origin: bytes,
    request_method: bytes,
    request_headers: bytes | None = None,
    request_private_network: bytes | None = None,
    debug: bool = False,
) -> RawPreflightAnswer:
    """:func:`answer_preflight` for raw request values: the same decision, in bytes form.

    The values are decoded as latin-1 (what a WSGI server hands over) and answered by
    :func:`answer_preflight`.  An answer that engine memoizes is memoized here too,
    keyed by the request's bytes, so a repeated preflight costs one look-up; what it
    never memoizes (origins decided by a function, refused origins, oversized values,
    refusals in ``debug`` form) is decided again each time.  Bounded like its memo.
    """
    size = len(origin) + len(request_method) + len(request_headers or b"") + len(request_private_network or b"")
    key = (origin, request_method, request_headers, request_private_network)
    memo = policy.preflight_memo
    # An oversized value is never looked up: hashing it would cost more than the answer.
    remembered = memo.get(key) if size <= MAX_MEMO_KEY_LENGTH else None
    if remembered is not None and not (debug and remembered.refusal is not None):
        if remembered.refusal is not None and logger.isEnabledFor(logging.DEBUG):
            logger.debug("CORS preflight refused: %s", remembered.refusal)
        return remembered
    text = (
        origin.decode("latin-1"),
        request_method.decode("latin-1"),
        None if request_headers is None else request_headers.decode("latin-1"),
        None if request_private_network is None else request_private_network.decode("latin-1"),
    )
    answer = answer_preflight(policy.compiled, *text, debug)
    raw = RawPreflightAnswer.encode(answer)
    # Memoized here exactly when the engine memoized it (the same rules, the same bound).
    if size <= MAX_MEMO_KEY_LENGTH and policy.compiled.preflight_memo.get(text) is answer:
        if len(memo) >= MAX_MEMO_ENTRIES:
            memo.clear()
        memo[key] = raw
    return raw
