"""Multi-tenant API: the allowed origins are rows of a SQLite table, read through a small TTL cache.

Each tenant has a web front-end on its own origin.  The middleware asks
``allow_origin_func`` about every origin it does not know; that function reads a
:class:`TTLCache` in front of the ``tenants`` table, so the table is queried once per
origin per ``ttl`` seconds, not on every request, whatever the answer (unknown origins
are remembered too).  A new tenant row is allowed without a restart: after at most
``ttl`` seconds, or at once when the process that adds it calls ``invalidate()``
(:meth:`TenantAPI.add_tenant` does).  Every lookup opens its own short-lived SQLite
connection, so any number of server threads can ask at once.

Run it on 127.0.0.1 (port 8000 unless ``--port`` says otherwise)::

    python examples/tenants_db.py                          # in memory, one demo tenant: http://localhost:3000
    python examples/tenants_db.py --db tenants.sqlite --ttl 10

Add a tenant to the file while the server runs (from another shell); the server allows
it within ``--ttl`` seconds::

    python examples/tenants_db.py --db tenants.sqlite --add acme https://acme.example.com

Then try it with curl::

    # A tenant's front-end: allowed, with cookies; X-Tenant names the tenant.
    curl -i -H "Origin: http://localhost:3000" http://127.0.0.1:8000/api/whoami

    # Its preflight for a JSON POST with a bearer token: 204.
    curl -i -X OPTIONS -H "Origin: http://localhost:3000" -H "Access-Control-Request-Method: POST" \\
         -H "Access-Control-Request-Headers: authorization, content-type" http://127.0.0.1:8000/api/whoami

    # Not a tenant (yet): no Access-Control-Allow-Origin; the answer is cached for --ttl seconds.
    curl -i -H "Origin: https://acme.example.com" http://127.0.0.1:8000/api/whoami
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterable
from contextlib import closing
from socketserver import ThreadingMixIn
from typing import Any, Generic, TypeVar
from wsgiref.simple_server import WSGIServer, make_server

from cors_wsgi import CORSMiddleware

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

SCHEMA = """
CREATE TABLE IF NOT EXISTS tenants (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    origin TEXT NOT NULL UNIQUE,   -- exactly as browsers send it: scheme://host[:port], lowercase
    active INTEGER NOT NULL DEFAULT 1
)
"""


class TTLCache(Generic[K, V]):
    """A thread-safe cache of ``loader(key)`` answers, each kept for ``ttl`` seconds.

    Every answer is cached, ``None`` (a negative answer) included.  Concurrent misses
    for one key wait for a single ``loader`` call instead of each making their own.
    An answer loaded while :meth:`invalidate` ran is not stored (it may be stale).
    At most ``max_entries`` answers are kept (the oldest go first), so a stream of
    made-up keys cannot grow it without bound.
    """

    def __init__(
        self,
        loader: Callable[[K], V],
        ttl: float,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl < 0:
            raise ValueError(f"ttl is a number of seconds >= 0, not {ttl!r}")
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, not {max_entries!r}")
        self._loader = loader
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[K, tuple[float, V]] = {}  # key -> (expires at, answer), oldest first
        self._loading: dict[K, threading.Lock] = {}
        self._generation = 0

    def get(self, key: K) -> V:
        """The cached answer for ``key``, loading it when absent or expired."""
        with self._lock:
            fresh = self._fresh(key)
            if fresh is not None:
                return fresh[1]
            key_lock = self._loading.setdefault(key, threading.Lock())
        with key_lock:  # one load per key at a time; the others wait for its answer
            with self._lock:
                fresh = self._fresh(key)
                if fresh is not None:
                    return fresh[1]
                generation = self._generation
            try:
                value = self._loader(key)
            except BaseException:
                with self._lock:
                    self._done_loading(key, key_lock)
                raise
            with self._lock:  # stored before the key's lock is dropped: no second load sneaks in
                if generation == self._generation:
                    self._store(key, value)
                self._done_loading(key, key_lock)
            return value

    __call__ = get

    def invalidate(self, key: K | None = None) -> None:
        """Forget ``key``'s answer (every answer when ``key`` is ``None``); the next get loads anew."""
        with self._lock:
            self._generation += 1
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _fresh(self, key: K) -> tuple[float, V] | None:
        entry = self._entries.get(key)
        if entry is not None and entry[0] > self._clock():
            return entry
        return None

    def _done_loading(self, key: K, key_lock: threading.Lock) -> None:
        if self._loading.get(key) is key_lock:
            del self._loading[key]

    def _store(self, key: K, value: V) -> None:
        self._entries.pop(key, None)  # re-inserted last: the dict stays oldest-first
        while len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = (self._clock() + self._ttl, value)


class TenantStore:
    """The ``tenants`` table in a SQLite file, or in memory for ``":memory:"``.

    Every call opens its own connection and closes it, so threads never share one.
    ``trace``, when given, receives every SQL statement executed (see
    :meth:`sqlite3.Connection.set_trace_callback`).
    """

    def __init__(self, database: str, trace: Callable[[str], None] | None = None) -> None:
        self._trace = trace
        self._keeper: sqlite3.Connection | None = None
        if database == ":memory:":
            # One private in-memory database shared by this store's connections; it lives
            # as long as at least one connection to it is open.
            self._target, self._uri = f"file:tenants-{uuid.uuid4().hex}?mode=memory&cache=shared", True
            self._keeper = self._connect()
        else:
            self._target, self._uri = database, False
        with closing(self._connect()) as db, db:
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._target, uri=self._uri, timeout=5.0)
        if self._trace is not None:
            db.set_trace_callback(self._trace)
        return db

    def tenant_for_origin(self, origin: str) -> str | None:
        """The name of the active tenant whose front-end is ``origin``, else ``None``."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT name FROM tenants WHERE origin = ? AND active = 1", (origin,)).fetchone()
        return None if row is None else str(row[0])

    def add(self, name: str, origin: str) -> str:
        """Add (or reactivate) a tenant; return ``origin`` as stored: the way browsers send it."""
        origin = origin.strip().rstrip("/").lower()
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO tenants (name, origin) VALUES (?, ?) "
                "ON CONFLICT(origin) DO UPDATE SET name = excluded.name, active = 1",
                (name, origin),
            )
        return origin

    def close(self) -> None:
        if self._keeper is not None:
            self._keeper.close()
            self._keeper = None


class TenantAPI:
    """The WSGI application: a tiny tenant-aware API behind the CORS middleware."""

    def __init__(self, store: TenantStore, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        #: origin -> tenant name (``None``: not a tenant); the only way requests reach the table.
        self.tenants: TTLCache[str, str | None] = TTLCache(store.tenant_for_origin, ttl, clock=clock)
        self.cors = CORSMiddleware(
            self.api,
            allow_origin_func=self.is_tenant_origin,
            allow_credentials=True,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["X-Tenant"],
            # Browsers reuse a preflight answer this long, even after a tenant is removed.
            max_age=60,
        )

    def is_tenant_origin(self, origin: str) -> bool:
        """``allow_origin_func``: the middleware asks it about every request's origin."""
        return self.tenants.get(origin) is not None

    def add_tenant(self, name: str, origin: str) -> None:
        """Add a tenant and allow its origin at once (not only after the TTL)."""
        self.tenants.invalidate(self.store.add(name, origin))

    def api(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """``/api/whoami``: which tenant's front-end is calling (read from the same cache)."""
        payload: dict[str, str | None]
        if environ.get("PATH_INFO") != "/api/whoami":
            status, payload, tenant = "404 Not Found", {"error": "not found"}, None
        else:
            origin = environ.get("HTTP_ORIGIN")
            tenant = self.tenants.get(origin) if origin else None
            status, payload = "200 OK", {"tenant": tenant, "method": environ["REQUEST_METHOD"]}
        body = json.dumps(payload).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        if tenant is not None:
            headers.append(("X-Tenant", tenant))
        start_response(status, headers)
        return [body]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.cors(environ, start_response)


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server, one thread per connection (the cache and store are thread-safe)."""

    daemon_threads = True


def create_app(database: str = ":memory:", ttl: float = 30.0) -> TenantAPI:
    """The API over ``database``; an in-memory one starts with a demo tenant on ``http://localhost:3000``."""
    store = TenantStore(database)
    if database == ":memory:":
        store.add("demo", "http://localhost:3000")
    return TenantAPI(store, ttl)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", default=":memory:", help="SQLite file, or :memory: (the default)")
    parser.add_argument("--ttl", type=float, default=30.0, help="seconds an answer is cached (default 30)")
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000; 0 picks a free one)")
    parser.add_argument("--add", nargs=2, metavar=("NAME", "ORIGIN"), help="add a tenant to --db and exit")
    args = parser.parse_args(argv)
    if args.add:
        if args.db == ":memory:":
            parser.error("--add needs --db FILE (an in-memory database ends with this process)")
        TenantStore(args.db).add(*args.add)
        print(f"added tenant {args.add[0]!r} for {args.add[1]}")
        return
    app = create_app(args.db, args.ttl)
    with make_server("127.0.0.1", args.port, app, server_class=ThreadingWSGIServer) as server:
        print(f"Serving on http://127.0.0.1:{server.server_port}  (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("\nstopping")


if __name__ == "__main__":
    main()
