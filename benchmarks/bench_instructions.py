"""Instructions added per request, counted with callgrind: core, Flask, ASGI and a real server's path.

Run from the repository root (``pip install -e ".[test,bench]"`` and ``apt-get install -y
valgrind`` first)::

    python benchmarks/bench_instructions.py                     # every row, about 15 minutes
    python benchmarks/bench_instructions.py --rows core_get flask_app   # some rows only
    python benchmarks/bench_instructions.py --json out.json     # also write every count

Every row is one request kind answered by several applications side by side in one run:
the bare application, ours, and a peer where one exists (wsgicors 0.7.0 for the core,
Starlette's ``CORSMiddleware`` for ASGI, the core ``CORSMiddleware`` around the same Flask
app for the extension).  Each case is counted by :mod:`_instructions` (N calls in a fresh
interpreter under callgrind, only the loop counted, ``PYTHONHASHSEED=0``, no address
randomization, GC off), so the numbers do not depend on the machine's load: an overhead is a
case's count minus the bare application's, to the instruction.  Before anything is counted,
every case is run once and its answer checked (status, ``Access-Control-Allow-Origin``), so nothing fast but wrong
is measured.

The rows:

* ``core_*`` — ``cors_wsgi.CORSMiddleware`` and wsgicors around a trivial WSGI application,
  called directly (``bench_core.py``'s environs and configuration: one allowed origin with
  credentials, the six default methods, request headers echoed);
* ``flask_*`` — Flask 3 applications called as WSGI applications, each request with a fresh
  copy of its environ and its response closed: bare Flask, ``CORS(app)``, and the core
  middleware around the same bare app; a 50-route application with ``@cross_origin`` views
  and a ``CORS(blueprint)``; and a bare Flask application in a process where another
  application's view uses ``@cross_origin`` (what using the decorator costs everyone else);
* ``gunicorn_*`` — the whole request path of gunicorn's sync worker (parser, environ,
  response, the application) on a fake socket: what a served request costs in total;
* ``asgi_*`` — ``bench_asgi.py``'s rows (``cors_wsgi.asgi`` and Starlette's middleware).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tracemalloc
from collections.abc import Callable, Iterable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _instructions
import _servers

ORIGIN = "https://app.example.com"
REFUSED = "https://evil.example.net"
PARTNER = "https://partner.example.com"
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
MANY = 10_000

Environ = dict[str, Any]
WSGIApp = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]

# -- requests --------------------------------------------------------------------------------


def make_environ(method: str = "GET", origin: str | None = ORIGIN, path: str = "/api/items", **headers: str) -> Environ:
    """A WSGI environ as a server builds it (``bench_core.py``'s)."""
    environ: Environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "api.example.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "api.example.com",
        "HTTP_ACCEPT": "application/json",
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if origin is not None:
        environ["HTTP_ORIGIN"] = origin
    for name, value in headers.items():
        environ["HTTP_" + name.upper()] = value
    return environ


def preflight_environ(
    origin: str = ORIGIN, path: str = "/api/items", request_headers: str = "content-type,x-token"
) -> Environ:
    return make_environ(
        "OPTIONS", origin, path, access_control_request_method="PUT", access_control_request_headers=request_headers
    )


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> Callable[[bytes], None]:
    return _write


def _write(data: bytes) -> None:
    return None


def wsgi_request(app: WSGIApp, environ: Environ, copy: bool) -> Callable[[], None]:
    """One request to ``app``: the body iterated and closed, as a server does."""
    if copy:  # Flask writes into its environ: a fresh copy per request (the bare case pays it too)

        def request() -> None:
            body = app(dict(environ), _start_response)
            for _ in body:
                pass
            close = getattr(body, "close", None)
            if close is not None:
                close()

        return request

    def request_reused() -> None:
        body = app(environ, _start_response)
        for _ in body:
            pass
        close = getattr(body, "close", None)
        if close is not None:
            close()

    return request_reused


def answer(app: WSGIApp, environ: Environ) -> tuple[str, dict[str, str]]:
    """Status and headers (repeated names joined) of one request."""
    seen: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> Callable[[bytes], None]:
        seen.append((status, headers))
        return _write

    body = app(dict(environ), start_response)
    for _ in body:
        pass
    getattr(body, "close", lambda: None)()
    joined: dict[str, str] = {}
    for name, value in seen[0][1]:
        joined[name.lower()] = f"{joined[name.lower()]}, {value}" if name.lower() in joined else value
    return seen[0][0], joined


# -- the core ----------------------------------------------------------------------------------


def bare_app(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The trivial application (a fresh header list each call: wsgicors appends to it)."""
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "2")])
    return [b"ok"]


def ours(origins: list[str] | None = None, app: WSGIApp = bare_app) -> WSGIApp:
    from cors_wsgi import CORSMiddleware

    if origins is None:
        return CORSMiddleware(app, allow_origins=["*"], allow_methods=METHODS)
    return CORSMiddleware(app, allow_origins=origins, allow_credentials=True, allow_methods=METHODS)


def wsgicors_app(origins: list[str] | None = None) -> WSGIApp:
    import wsgicors  # type: ignore[import-untyped]

    if origins is None:
        app: WSGIApp = wsgicors.CORS(bare_app, headers="*", methods=", ".join(METHODS), origin="*")
        return app
    app = wsgicors.CORS(bare_app, headers="*", methods=", ".join(METHODS), origin=" ".join(origins), credentials="true")
    return app


def many_origins(count: int = MANY) -> list[str]:
    return [f"https://app{i}.example.com" for i in range(count)]


#: Row -> (label, environ maker, expected status prefix, expected Access-Control-Allow-Origin).
CORE_ROWS: dict[str, tuple[str, Callable[[], Environ], str, str | None]] = {
    "core_get": ("allowed simple GET, credentialed", make_environ, "200", ORIGIN),
    "core_get_public": ("allowed simple GET, public ``*``", make_environ, "200", "*"),
    "core_no_origin": ("no ``Origin``", lambda: make_environ(origin=None), "200", None),
    "core_refused": ("refused origin GET", lambda: make_environ(origin=REFUSED), "200", None),
    "core_preflight": ("preflight (PUT, content-type,x-token)", preflight_environ, "20", ORIGIN),
    "core_preflight_refused": ("refused preflight (origin not allowed)", lambda: preflight_environ(REFUSED), "", None),
    "core_many": (
        f"{MANY:,} exact origins, GET from the middle",
        lambda: make_environ(origin=many_origins()[MANY // 2]),
        "200",
        many_origins()[MANY // 2],
    ),
}


def core_case(row: str, name: str) -> tuple[WSGIApp, Environ]:
    origins: list[str] | None = [ORIGIN]
    if row == "core_get_public":
        origins = None
    elif row == "core_many":
        origins = many_origins()
    app = {"bare": lambda: bare_app, "ours": lambda: ours(origins), "wsgicors": lambda: wsgicors_app(origins)}[name]()
    return app, CORE_ROWS[row][1]()


# -- Flask -------------------------------------------------------------------------------------


def flask_app(name: str, cors: str = "none") -> Any:
    """A Flask app with ``GET/PUT /api/items``; ``cors``: none, app (``CORS(app)``), or core (the core around it)."""
    from flask import Flask

    app = Flask(name)

    @app.route("/api/items", methods=["GET", "PUT"])
    def items() -> str:
        return "items"

    if cors == "app":
        from flask_cors_ext import CORS

        CORS(app, allow_origins=[ORIGIN], allow_credentials=True)
    elif cors == "core":
        return ours([ORIGIN], app)
    return app


def flask_routes_app(cors: bool) -> Any:
    """50 routes: 40 plain, 5 with ``@cross_origin``, 5 in a blueprint with ``CORS(blueprint)``; ``CORS(app)``."""
    from flask import Blueprint, Flask

    app = Flask("routes50")
    blueprint = Blueprint("partner", "routes50_bp", url_prefix="/partner")

    def view(name: str) -> Callable[..., str]:
        def answer(**arguments: object) -> str:
            return name

        answer.__name__ = name
        return answer

    for i in range(40):
        app.add_url_rule(f"/api/r{i}/<int:item>", f"r{i}", view(f"r{i}"), methods=["GET", "PUT"])
    for i in range(5):
        decorated = view(f"d{i}")
        if cors:
            from flask_cors_ext import cross_origin

            decorated = cross_origin(allow_origins=[PARTNER, ORIGIN], allow_methods=["GET", "PUT"])(decorated)
        app.add_url_rule(f"/api/d{i}", f"d{i}", decorated, methods=["GET", "PUT"])
    for i in range(5):
        blueprint.add_url_rule(f"/b{i}", f"b{i}", view(f"b{i}"), methods=["GET", "PUT"])
    if cors:
        from flask_cors_ext import CORS

        CORS(blueprint, allow_origins=[PARTNER, ORIGIN])
    app.register_blueprint(blueprint)
    if cors:
        from flask_cors_ext import CORS

        CORS(app, allow_origins=[ORIGIN], allow_credentials=True)
    return app


def flask_taxed_app() -> Any:
    """A bare Flask app, in a process where another application's view uses ``@cross_origin``."""
    from flask import Flask

    from flask_cors_ext import cross_origin

    other = Flask("other")

    @other.route("/special")
    @cross_origin(allow_origins=[PARTNER])
    def special() -> str:
        return "special"

    other.test_client().get("/special", headers={"Origin": PARTNER})  # the other app has served a request
    return flask_app("taxed")


#: Row -> label, the applications (name -> builder), environ maker, expected (status prefix, allowed origin).
FLASK_ROWS: dict[str, tuple[str, dict[str, Callable[[], Any]], Callable[[], Environ], str, str | None]] = {
    "flask_app": (
        "Flask GET, ``CORS(app)``",
        {
            "bare": lambda: flask_app("bare"),
            "ours": lambda: flask_app("ext", "app"),
            "core": lambda: flask_app("core", "core"),
        },
        make_environ,
        "200",
        ORIGIN,
    ),
    "flask_no_origin": (
        "Flask GET without ``Origin``, ``CORS(app)``",
        {
            "bare": lambda: flask_app("bare"),
            "ours": lambda: flask_app("ext", "app"),
            "core": lambda: flask_app("core", "core"),
        },
        lambda: make_environ(origin=None),
        "200",
        None,
    ),
    "flask_preflight": (
        "Flask preflight, ``CORS(app)``",
        {
            "bare": lambda: flask_app("bare"),
            "ours": lambda: flask_app("ext", "app"),
            "core": lambda: flask_app("core", "core"),
        },
        preflight_environ,
        "20",
        ORIGIN,
    ),
    "flask_routes_plain": (
        "50 routes, GET to a plain view",
        {"bare": lambda: flask_routes_app(False), "ours": lambda: flask_routes_app(True)},
        lambda: make_environ(path="/api/r20/7"),
        "200",
        ORIGIN,
    ),
    "flask_routes_view": (
        "50 routes, GET to a ``@cross_origin`` view",
        {"bare": lambda: flask_routes_app(False), "ours": lambda: flask_routes_app(True)},
        lambda: make_environ(path="/api/d3"),
        "200",
        ORIGIN,
    ),
    "flask_routes_blueprint": (
        "50 routes, GET to a ``CORS(blueprint)`` view",
        {"bare": lambda: flask_routes_app(False), "ours": lambda: flask_routes_app(True)},
        lambda: make_environ(path="/partner/b3"),
        "200",
        ORIGIN,
    ),
    "flask_routes_preflight": (
        "50 routes, preflight to a ``@cross_origin`` view",
        {"bare": lambda: flask_routes_app(False), "ours": lambda: flask_routes_app(True)},
        lambda: preflight_environ(path="/api/d3"),
        "20",
        ORIGIN,
    ),
    "flask_taxed": (
        "bare Flask GET, another app's view uses ``@cross_origin``",
        {"bare": lambda: flask_app("bare"), "ours": flask_taxed_app},
        make_environ,
        "200",
        None,
    ),
}


# -- gunicorn's request path on a fake socket ----------------------------------------------------


class FakeSocket:
    """What gunicorn's sync worker reads a request from and writes the answer to."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.sent = 0

    def recv(self, size: int) -> bytes:
        data, self.request = self.request[:size], self.request[size:]
        return data

    def sendall(self, data: bytes) -> None:
        self.sent += len(data)

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", 8000)


GET_BYTES = (
    b"GET /api/items HTTP/1.1\r\nHost: api.example.com\r\nAccept: application/json\r\n"
    b"Origin: " + ORIGIN.encode() + b"\r\nConnection: close\r\n\r\n"
)


def gunicorn_request(app: WSGIApp) -> Callable[[], None]:
    """gunicorn's sync worker's ``handle`` + ``handle_request`` (gunicorn 23-27), minus logging."""
    from gunicorn import http
    from gunicorn.config import Config
    from gunicorn.http import wsgi

    cfg = Config()
    addr = ("127.0.0.1", 50000)
    server = ("127.0.0.1", 8000)

    def request() -> None:
        client = FakeSocket(GET_BYTES)
        parser = http.get_parser(cfg, client, addr)
        req = next(parser)
        resp, environ = wsgi.create(req, client, addr, server, cfg)
        resp.force_close()
        respiter = app(environ, resp.start_response)
        try:
            for item in respiter:
                resp.write(item)
            resp.close()
        finally:
            if hasattr(respiter, "close"):
                respiter.close()

    return request


GUNICORN_APPS: dict[str, Callable[[], WSGIApp]] = {
    "bare": lambda: bare_app,
    "ours": lambda: ours([ORIGIN]),
    "wsgicors": lambda: wsgicors_app([ORIGIN]),
}


# -- ASGI (bench_asgi.py's rows) -------------------------------------------------------------


ASGI_ROWS = {"asgi_get": "get", "asgi_preflight": "preflight", "asgi_no_origin": "no_origin", "asgi_many": "many"}


def asgi_request(row: str, name: str) -> Callable[[], None]:
    import bench_asgi

    app, scope = bench_asgi.build_cases([row])[row, name]
    return lambda: bench_asgi.call(app, scope)


# -- every case ----------------------------------------------------------------------------------


def rows_and_apps() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Row -> (label, application names); the first name is the baseline."""
    rows: dict[str, tuple[str, tuple[str, ...]]] = {}
    for row, (label, *_) in CORE_ROWS.items():
        rows[row] = (label, ("bare", "ours", "wsgicors"))
    for row, (label, apps, *_) in FLASK_ROWS.items():
        rows[row] = (label, tuple(apps))
    rows["gunicorn_get"] = ("gunicorn sync worker, whole allowed GET", tuple(GUNICORN_APPS))
    import bench_asgi

    for row, asgi_row in ASGI_ROWS.items():
        rows[row] = (f"ASGI: {bench_asgi.ROWS[asgi_row]}", ("bare", "ours", "starlette"))
    return rows


def build(case: str) -> Callable[[], None]:
    """The request function of case ``ROW:APP``."""
    row, name = case.split(":")
    if row in CORE_ROWS:
        app, environ = core_case(row, name)
        return wsgi_request(app, environ, copy=False)
    if row in FLASK_ROWS:
        _, apps, make, _, _ = FLASK_ROWS[row]
        return wsgi_request(apps[name](), make(), copy=True)
    if row == "gunicorn_get":
        return gunicorn_request(GUNICORN_APPS[name]())
    if row in ASGI_ROWS:
        return asgi_request(ASGI_ROWS[row], name)
    raise ValueError(f"unknown case {case!r}")


def check(rows: Iterable[str]) -> None:
    """Every WSGI case's answer is the one its row is about (bench_asgi checks its own)."""
    for row in rows:
        if row in CORE_ROWS:
            _, make, status, allowed = CORE_ROWS[row]
            for name in ("ours", "wsgicors"):
                got_status, headers = answer(*core_case(row, name))
                assert got_status.startswith(status), (row, name, got_status)
                assert headers.get("access-control-allow-origin") == allowed, (row, name, headers)
        elif row in FLASK_ROWS:
            _, apps, make, status, allowed = FLASK_ROWS[row]
            for name, builder in apps.items():
                got_status, headers = answer(builder(), make())
                assert got_status.startswith(status), (row, name, got_status)
                if name != "bare":
                    assert headers.get("access-control-allow-origin") == allowed, (row, name, headers)
        elif row in ASGI_ROWS:
            import bench_asgi

            bench_asgi.check(bench_asgi.build_cases([ASGI_ROWS[row]]))


def memory_at_many_origins() -> tuple[int, int]:
    """Bytes allocated (tracemalloc) building the middleware with 1 and with 10,000 exact origins."""
    sizes = []
    for origins in ([ORIGIN], many_origins()):
        tracemalloc.start()
        middleware = ours(origins)
        size, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del middleware
        sizes.append(size)
    return sizes[0], sizes[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", nargs="*", help="only these rows (default: all)")
    parser.add_argument("--calls", type=int, default=1_000, help="calls counted per case (default 1,000)")
    parser.add_argument("--jobs", type=int, default=2, help="callgrind processes at a time (default 2)")
    parser.add_argument("--json", metavar="PATH", help="write the counts to PATH")
    parser.add_argument("--loop", nargs=2, metavar=("CASE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.loop:
        _instructions.run_loop(build(args.loop[0]), int(args.loop[1]))
        return 0
    every = rows_and_apps()
    rows = args.rows or list(every)
    unknown = [row for row in rows if row not in every]
    if unknown:
        parser.error(f"unknown rows {unknown}; the rows are {', '.join(every)}")
    if not _instructions.available():
        print("valgrind is not installed: apt-get install -y valgrind", file=sys.stderr)
        return 1
    check(rows)
    print(_servers.machine_line())
    print(_servers.source_line())
    print(f"Instructions per request (callgrind, {args.calls:,} calls per case; see _instructions.py)")
    print()
    cases = [f"{row}:{name}" for row in rows for name in every[row][1]]
    counts = _instructions.per_call_many(os.path.abspath(__file__), cases, args.calls, args.jobs)
    table = []
    for row in rows:
        label, names = every[row]
        base = counts[f"{row}:{names[0]}"]
        cells = [label, f"{base:,.0f}"]
        for name in names[1:]:
            cells.append(f"{counts[f'{row}:{name}'] - base:+,.0f}")
        if len(names) == 3:
            mine, theirs = (counts[f"{row}:{name}"] - base for name in names[1:])
            cells.append(f"{mine / theirs:.2f}" if theirs > 0 else "")
        else:
            cells += ["", ""]
        table.append((*cells, "/".join(names)))
    print(_servers.rst_table(("request", "baseline", "ours", "peer", "ours / peer", "apps"), table))
    one, many = memory_at_many_origins()
    print(f"\nMemory of a middleware with 1 / {MANY:,} exact origins (tracemalloc): {one:,} / {many:,} bytes")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            report = {"machine": _servers.machine_line(), "source": _servers.source_line(), "counts": counts}
            json.dump(report, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
