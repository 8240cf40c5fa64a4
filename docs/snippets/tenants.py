"""Multi-tenant origins kept in a database, checked by allow_origin_func through a small cache."""

import sqlite3
import threading
import time

from cors_wsgi import CORSMiddleware

# The tenants' front-end origins, stored the way browsers send them: lowercase, no path.
db = sqlite3.connect(":memory:", check_same_thread=False)
db.execute("CREATE TABLE tenants (origin TEXT PRIMARY KEY)")
db.executemany("INSERT INTO tenants VALUES (?)", [("https://acme.example.com",), ("https://globex.example.net",)])
db_lock = threading.Lock()


def origin_is_a_tenant(origin):
    with db_lock:
        return db.execute("SELECT 1 FROM tenants WHERE origin = ?", (origin,)).fetchone() is not None


class TTLCache:
    """Remembers each answer of ``lookup`` for ``ttl`` seconds; at most ``size`` answers."""

    def __init__(self, lookup, ttl=60.0, size=10_000):
        self.lookup, self.ttl, self.size = lookup, ttl, size
        self.answers = {}  # origin -> (answer, expires at)
        self.lock = threading.Lock()

    def __call__(self, origin):
        now = time.monotonic()
        with self.lock:
            answer, expires = self.answers.get(origin, (None, 0.0))
        if expires > now:
            return answer
        answer = self.lookup(origin)
        with self.lock:
            if len(self.answers) >= self.size:  # a flood of made-up origins cannot grow it forever
                self.answers.clear()
            self.answers[origin] = (answer, now + self.ttl)
        return answer


def api(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"ok": true}']


app = CORSMiddleware(
    api,
    allow_origins=["https://app.example.com"],  # our own front-end: a set look-up, no database
    allow_origin_func=TTLCache(origin_is_a_tenant, ttl=60),  # everyone else: ask the tenants table
    allow_credentials=True,
)
