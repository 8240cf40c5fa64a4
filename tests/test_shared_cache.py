"""A shared HTTP cache in front of the middleware never serves one origin's CORS answer to another.

``SharedCache`` is a small, honest model of RFC 9111: it stores responses to ``GET``
(cacheable status, not ``no-store`` / ``private``) under their URL, together with the
request's values of the header fields the response's ``Vary`` names, and serves a
stored response only to a request whose values of those fields match (section 4.1);
``Vary: *`` never matches.  It knows nothing of CORS.

Random sequences of requests (origins allowed, refused, repeated or absent, on a few
URLs, with and without ``Accept-Encoding``) go through the cache, under several
policies (the public ``*`` one, a credentialed list, patterns, per-path resources, a
function) and application responses with and without a ``Vary`` of their own.  The
invariant: whatever the cache serves carries exactly the ``Access-Control-*`` headers
the middleware gives that request directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from support import wsgi_environ

from cors_wsgi import CORSMiddleware

A = "https://a.example.com"
B = "https://b.example.com"
SUB = "https://x.sub.example.com"
EVIL = "https://evil.example"

Headers = list[tuple[str, str]]


# ---------------------------------------------------------------------------------------
# The cache
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    path: str
    headers: tuple[tuple[str, str], ...] = ()  # (name, value), names as sent

    def header(self, name: str) -> str | None:
        """The field's value, repeated lines combined with ', ' (RFC 9110 5.3), or None."""
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return ", ".join(values) if values else None


@dataclass
class Response:
    status: str
    headers: Headers
    body: bytes

    def values(self, name: str) -> list[str]:
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def list_values(self, name: str) -> list[str]:
        return [t.strip(" \t").lower() for v in self.values(name) for t in v.split(",") if t.strip(" \t")]


@dataclass
class Stored:
    response: Response
    vary: tuple[str, ...] | None  # lowercase field names; None for "Vary: *"
    selecting: dict[str, str | None]  # the storing request's values of those fields


CACHEABLE_BY_DEFAULT = {"200", "203", "204", "206", "300", "301", "308", "404", "405", "410", "414", "501"}


def normalized(value: str | None) -> str | None:
    """RFC 9111 4.1 allows normalizing; only white space around the value is, here."""
    return None if value is None else value.strip(" \t")


@dataclass
class SharedCache:
    """A shared cache that stores every storable response and is always fresh (worst case)."""

    origin_server: Callable[[Request], Response]
    store: dict[str, list[Stored]] = field(default_factory=dict)
    hits: int = 0

    def handle(self, request: Request) -> Response:
        stored = self.select(request)
        if stored is not None:
            self.hits += 1
            return stored.response
        response = self.origin_server(request)
        self.maybe_store(request, response)
        return response

    def select(self, request: Request) -> Stored | None:
        for stored in self.store.get(request.path, []):
            if stored.vary is None:
                continue  # "Vary: *" always fails to match
            if all(normalized(request.header(name)) == stored.selecting[name] for name in stored.vary):
                return stored
        return None

    def maybe_store(self, request: Request, response: Response) -> None:
        directives = {d.strip().lower().split("=")[0] for d in ", ".join(response.values("Cache-Control")).split(",")}
        if response.status[:3] not in CACHEABLE_BY_DEFAULT or {"no-store", "private"} & directives:
            return
        vary_names = response.list_values("Vary")
        vary = None if "*" in vary_names else tuple(dict.fromkeys(vary_names))
        selecting = {name: normalized(request.header(name)) for name in vary or ()}
        entry = Stored(response, vary, selecting)
        variants = self.store.setdefault(request.path, [])
        # A new response replaces the stored one it would be selected in place of.
        variants[:] = [s for s in variants if not (s.vary == vary and s.selecting == selecting)]
        variants.append(entry)


# ---------------------------------------------------------------------------------------
# The origin server: an application behind the middleware
# ---------------------------------------------------------------------------------------


APP_VARY = [None, "Accept-Encoding", "Cookie", "origin", "*", ""]


def application(own_vary: str | None) -> Callable[..., Iterable[bytes]]:
    """Public, cacheable answers that differ by path (and say so in their own Vary, if any)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        headers = [("Content-Type", "text/plain"), ("Cache-Control", "public, max-age=600"), ("X-Total", "3")]
        if own_vary is not None:
            headers.append(("Vary", own_vary))
        if path == "/other":
            headers.append(("Access-Control-Allow-Origin", "*"))  # the application's own, on a path no policy covers
        start_response("200 OK", headers)
        return [path.encode()]

    return app


def wsgi_server(wsgi_app: Callable[..., Iterable[bytes]]) -> Callable[[Request], Response]:
    def serve(request: Request) -> Response:
        environ = wsgi_environ("GET", request.path)
        for name in {n.lower() for n, _ in request.headers}:
            environ["HTTP_" + name.upper().replace("-", "_")] = request.header(name)
        seen: list[tuple[str, Headers]] = []
        body = b"".join(wsgi_app(environ, lambda status, headers, exc_info=None: seen.append((status, headers))))
        return Response(seen[-1][0], list(seen[-1][1]), body)

    return serve


POLICIES: dict[str, dict[str, Any]] = {
    "public *": {},
    "credentialed list": {"allow_origins": [A, B], "allow_credentials": True, "expose_headers": ["X-Total"]},
    "subdomain pattern": {"allow_origins": ["https://*.sub.example.com", A]},
    "function": {"allow_origin_func": lambda origin: origin in (A, SUB), "allow_credentials": True},
    "null listed": {"allow_origins": ["null", B]},
    "resources": {
        "resources": {
            "/api/*": {"allow_origins": [A, B], "allow_credentials": True},
            "/public/*": {"allow_origins": "*"},
        }
    },
}
PATHS = ["/api/items", "/api/users", "/public/logo", "/other"]
ORIGINS = [None, A, B, SUB, EVIL, "null", f"{A}, {EVIL}", f"{EVIL}, {A}", A + "/", "https://A.example.com"]


def access_control(response: Response) -> Headers:
    return sorted((n.lower(), v) for n, v in response.headers if n.lower().startswith("access-control-"))


def request_for(path: str, origin: str | None, encoding: str | None) -> Request:
    headers: list[tuple[str, str]] = []
    if origin is not None:
        # A repeated Origin arrives as two header lines; the cache combines them, so does WSGI.
        headers += [("Origin", part) for part in origin.split(", ")]
    if encoding is not None:
        headers.append(("Accept-Encoding", encoding))
    return Request(path, tuple(headers))


STEPS = st.lists(
    st.tuples(st.sampled_from(PATHS), st.sampled_from(ORIGINS), st.sampled_from([None, None, "gzip", "br"])),
    min_size=1,
    max_size=12,
)


@pytest.mark.parametrize("policy", POLICIES, ids=list(POLICIES))
@settings(max_examples=150, deadline=None)
@given(own_vary=st.sampled_from(APP_VARY), steps=STEPS)
# A response to a request without Origin, then one with: the classic poisoning order.
@example(own_vary=None, steps=[("/api/items", None, None), ("/api/items", A, None)])
@example(own_vary=None, steps=[("/api/items", A, None), ("/api/items", None, None), ("/api/items", B, None)])
@example(own_vary=None, steps=[("/api/items", EVIL, None), ("/api/items", A, None)])
@example(own_vary="Accept-Encoding", steps=[("/api/items", A, "gzip"), ("/api/items", B, "gzip")])
def test_a_shared_cache_never_serves_one_origins_answer_to_another(
    policy: str, own_vary: str | None, steps: list[tuple[str, str | None, str | None]]
) -> None:
    app = application(own_vary)
    cache = SharedCache(wsgi_server(CORSMiddleware(app, **POLICIES[policy])))
    direct = wsgi_server(CORSMiddleware(app, **POLICIES[policy]))
    for path, origin, encoding in steps:
        request = request_for(path, origin, encoding)
        served = cache.handle(request)
        expected = direct(request)
        assert served.body == expected.body
        assert access_control(served) == access_control(expected), (request, cache.store.get(path))


def test_the_cache_model_serves_from_the_store() -> None:
    """The model is a real cache: a repeated request is a hit, a different Vary value a miss."""
    calls: list[Request] = []

    def server(request: Request) -> Response:
        calls.append(request)
        return Response("200 OK", [("Vary", "Origin"), ("Cache-Control", "max-age=60")], b"x")

    cache = SharedCache(server)
    cache.handle(request_for("/api/items", A, None))
    cache.handle(request_for("/api/items", A, "gzip"))
    assert cache.hits == 1
    cache.handle(request_for("/api/items", B, None))
    cache.handle(request_for("/api/items", None, None))
    cache.handle(request_for("/api/items", None, None))
    assert (cache.hits, len(calls)) == (2, 3)


def test_without_vary_origin_the_cache_would_leak() -> None:
    """The property can fail: a middleware that forgets ``Vary: Origin`` is caught at once."""

    def forgetful(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def strip_vary(status: str, headers: Headers, exc_info: Any = None) -> Any:
            return start_response(status, [(n, v) for n, v in headers if n.lower() != "vary"], exc_info)

        return CORSMiddleware(application(None), **POLICIES["credentialed list"])(environ, strip_vary)

    cache = SharedCache(wsgi_server(forgetful))
    direct = wsgi_server(CORSMiddleware(application(None), **POLICIES["credentialed list"]))
    first = request_for("/api/items", A, None)
    second = request_for("/api/items", B, None)
    assert access_control(cache.handle(first)) == access_control(direct(first))
    assert access_control(cache.handle(second)) != access_control(direct(second))
