"""Per-request overhead of ``cors_wsgi.asgi.CORSMiddleware`` next to Starlette's ``CORSMiddleware``.

Run from the repository root (``pip install -e ".[test,bench]"`` first)::

    python benchmarks/bench_asgi.py                   # timings, about 30 s
    python benchmarks/bench_asgi.py --instructions    # also callgrind instruction counts, ~25 min
    python benchmarks/bench_asgi.py --json out.json   # also write every number

Three ASGI applications answer the same requests, side by side in one run: a bare
application (two messages: ``http.response.start`` with two headers, then the body),
the same application wrapped in ``cors_wsgi.asgi.CORSMiddleware``, and wrapped in
Starlette's ``starlette.middleware.cors.CORSMiddleware``.  Both middlewares are configured
alike: one allowed origin with credentials (or ``*`` for the public rows), the six
default methods, request headers echoed (``allow_headers=["*"]``).  The request kinds
are ``bench_core``'s: an allowed simple GET (credentialed and public), a whole preflight
(``PUT`` with ``content-type,x-token``), a refused origin, no ``Origin``, and 10,000
listed origins with the request's from the middle of the list.  Every request carries
the 13 headers Chromium sends with a cross-origin ``fetch()``.

No server and no event loop: each call is a coroutine driven with ``coro.send(None)``
(none of the three applications ever suspends), so only the applications' own work is
counted.  Before anything is measured, every case is run once and its status and CORS
headers are checked.

Time: each case is timed with ``timeit`` (auto-ranged, garbage collector off), the
repeats of all cases interleaved in shuffled rounds; the median of 7 is reported, and
the overhead is a case's median minus the bare application's for the same request.

Instructions (``--instructions``, needs ``apt-get install -y valgrind``): each case runs
1 and 1 + N times (N = 5,000: the count is exact, more calls change nothing) in a fresh
interpreter under ``valgrind --tool=callgrind`` with ``PYTHONHASHSEED=0``; the difference
in "Collected", divided by N, is the count per request, with start-up, imports, building
the row's middlewares and the first (warming) call cancelled out.  The count does not
depend on the machine's load; the overhead is a case's count minus the bare
application's, and the ratio "ours / Starlette's" compares the two overheads (the
target: at most 0.25 on every row).
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import timeit
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

import _servers  # benchmarks/_servers.py: the machine and source lines, shared with the other benchmarks
from starlette.middleware.cors import CORSMiddleware as StarletteCORSMiddleware

from cors_wsgi.asgi import CORSMiddleware

ORIGIN = "https://app.example.com"
REFUSED = "https://evil.example.net"
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
MANY = 10_000

ASGIApp = Callable[..., Coroutine[Any, Any, None]]


# -- the applications --------------------------------------------------------------------


async def bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The baseline: a trivial application (fresh messages and header list each call)."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"2")],
        }
    )
    await send({"type": "http.response.body", "body": b"ok"})


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message: dict[str, Any]) -> None:
    return None


def many_origins(count: int) -> list[str]:
    return [f"https://app{i}.example.com" for i in range(count)]


def ours(origins: list[str] | None = None) -> ASGIApp:
    if origins is None:  # public
        return CORSMiddleware(bare_app, allow_origins=["*"], allow_methods=METHODS, allow_headers="*")
    return CORSMiddleware(
        bare_app, allow_origins=origins, allow_credentials=True, allow_methods=METHODS, allow_headers="*"
    )


def starlettes(origins: list[str] | None = None) -> ASGIApp:
    if origins is None:
        return StarletteCORSMiddleware(bare_app, allow_origins=["*"], allow_methods=METHODS, allow_headers=["*"])
    return StarletteCORSMiddleware(
        bare_app, allow_origins=origins, allow_credentials=True, allow_methods=METHODS, allow_headers=["*"]
    )


# -- requests ------------------------------------------------------------------------------


def scope(method: str = "GET", origin: str | None = ORIGIN, **extra: str) -> dict[str, Any]:
    """An http scope carrying the headers Chromium sends with a cross-origin fetch()."""
    headers = [
        (b"host", b"api.example.com"),
        (b"connection", b"keep-alive"),
        (b"sec-ch-ua-platform", b'"Linux"'),
        (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0"),
        (b"sec-ch-ua", b'"Chromium";v="156", "Not)A;Brand";v="24"'),
        (b"sec-ch-ua-mobile", b"?0"),
        (b"accept", b"*/*"),
        (b"sec-fetch-site", b"cross-site"),
        (b"sec-fetch-mode", b"cors"),
        (b"sec-fetch-dest", b"empty"),
        (b"referer", b"https://app.example.com/"),
        (b"accept-encoding", b"gzip, deflate, br, zstd"),
        (b"accept-language", b"en-US,en;q=0.9"),
    ]
    if origin is not None:
        headers.insert(7, (b"origin", origin.encode()))
    for name, value in extra.items():
        headers.insert(8, (name.replace("_", "-").encode(), value.encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": "/api/items",
        "raw_path": b"/api/items",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


def preflight_scope(origin: str = ORIGIN) -> dict[str, Any]:
    return scope(
        "OPTIONS", origin, access_control_request_method="PUT", access_control_request_headers="content-type,x-token"
    )


# -- the cases -----------------------------------------------------------------------------

#: (row key, row label): each row is measured for the bare app, ours and Starlette's.
ROWS = {
    "get": "allowed simple GET, credentialed",
    "get_public": "allowed simple GET, public ``*``",
    "preflight": "preflight (PUT, content-type,x-token)",
    "refused": "refused origin GET",
    "no_origin": "no-Origin GET",
    "many": f"{MANY:,} origins, GET from the middle",
}
APPS = ("bare", "ours", "starlette")


def build_cases(rows: Iterable[str] = ROWS) -> dict[tuple[str, str], tuple[ASGIApp, dict[str, Any]]]:
    """(row, app) -> (ASGI application, scope) for every row of ``rows`` (all three apps of each)."""
    origins = many_origins(MANY)
    middle = origins[MANY // 2]
    apps: dict[str, dict[str, ASGIApp]] = {
        "credentialed": {"bare": bare_app, "ours": ours([ORIGIN]), "starlette": starlettes([ORIGIN])},
        "public": {"bare": bare_app, "ours": ours(), "starlette": starlettes()},
    }
    if "many" in rows:
        apps["many"] = {"bare": bare_app, "ours": ours(origins), "starlette": starlettes(origins)}
    requests = {
        "get": ("credentialed", scope()),
        "get_public": ("public", scope()),
        "preflight": ("credentialed", preflight_scope()),
        "refused": ("credentialed", scope(origin=REFUSED)),
        "no_origin": ("credentialed", scope(origin=None)),
        "many": ("many", scope(origin=middle)),
    }
    return {
        (row, name): (apps[policy][name], sc) for row, (policy, sc) in requests.items() if row in rows for name in APPS
    }


def call(app: ASGIApp, sc: dict[str, Any], sink: Any = send) -> None:
    """One request, the coroutine driven by hand: it must finish without suspending."""
    coroutine = app(sc, receive, sink)
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise RuntimeError("the application suspended: it cannot be driven without an event loop")


def answer(app: ASGIApp, sc: dict[str, Any]) -> tuple[int, dict[str, str]]:
    """The status and headers (names lowercased, repeated ones joined) the application sends."""
    messages: list[dict[str, Any]] = []

    async def keep(message: dict[str, Any]) -> None:
        messages.append(message)

    call(app, sc, keep)
    start = messages[0]
    headers: dict[str, str] = {}
    for name, value in start["headers"]:
        key = name.decode("latin-1").lower()
        headers[key] = f"{headers[key]}, {value.decode('latin-1')}" if key in headers else value.decode("latin-1")
    return start["status"], headers


def check(cases: dict[tuple[str, str], tuple[ASGIApp, dict[str, Any]]]) -> None:
    """Each case gives the answer its row is about, for both middlewares."""
    middle = many_origins(MANY)[MANY // 2]
    rows = {row for row, _ in cases}
    for name in ("ours", "starlette"):
        if "get" in rows:
            status, headers = answer(*cases["get", name])
            assert status == 200 and headers["access-control-allow-origin"] == ORIGIN, (name, headers)
            assert headers["access-control-allow-credentials"] == "true", (name, headers)
        if "get_public" in rows:
            status, headers = answer(*cases["get_public", name])
            assert headers["access-control-allow-origin"] == "*", (name, headers)
        if "preflight" in rows:
            status, headers = answer(*cases["preflight", name])
            assert status in (200, 204) and headers["access-control-allow-origin"] == ORIGIN, (name, headers)
            assert "PUT" in headers["access-control-allow-methods"], (name, headers)
            assert headers["access-control-allow-headers"].replace(" ", "") == "content-type,x-token", (name, headers)
        for row in ("refused", "no_origin"):
            if row in rows:
                status, headers = answer(*cases[row, name])
                assert status == 200 and "access-control-allow-origin" not in headers, (name, row, headers)
        if "many" in rows:
            status, headers = answer(*cases["many", name])
            assert headers["access-control-allow-origin"] == middle, (name, headers)
    for row in rows:
        assert answer(*cases[row, "bare"])[0] == 200


# -- time ----------------------------------------------------------------------------------


def time_per_call_ns(cases: dict[tuple[str, str], tuple[ASGIApp, dict[str, Any]]], repeats: int) -> dict[Any, float]:
    """The median time per call of every case, repeats interleaved in shuffled rounds."""
    timers = {key: timeit.Timer(lambda app=app, sc=sc: call(app, sc)) for key, (app, sc) in cases.items()}
    return _servers.interleaved_medians(timers, repeats)


# -- instructions ----------------------------------------------------------------------------


def loop(row: str, name: str, n: int) -> None:
    """Run one case ``n`` times, the garbage collector off (for callgrind).

    Builds that case's row only (both runs of a case build the same, so it cancels out).
    """
    cases = build_cases([row])
    app, sc = cases[row, name]
    gc.collect()
    gc.disable()
    for _ in range(n):
        call(app, sc)


def collected(row: str, name: str, count: int) -> int:
    """callgrind's instruction total for a process that builds every case and runs one ``count`` times."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__]
    command += ["--loop", row, name, str(count)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    result = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    match = re.search(r"Collected : (\d+)", result.stderr)
    if match is None:
        raise RuntimeError(f"no 'Collected' line from callgrind:\n{result.stderr[-2000:]}")
    return int(match.group(1))


def instructions_per_call(row: str, name: str, calls: int) -> float:
    return (collected(row, name, calls + 1) - collected(row, name, 1)) / calls


# -- the report ------------------------------------------------------------------------------


def starlette_version() -> str:
    try:
        return importlib.metadata.version("starlette")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def rst_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    border = "  ".join("=" * w for w in widths)

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([border, line(header), border, *(line(r) for r in rows), border])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats per case (median reported)")
    parser.add_argument("--instructions", action="store_true", help="also count instructions with callgrind")
    parser.add_argument("--calls", type=int, default=5_000, help="calls per callgrind run (default 5,000)")
    parser.add_argument("--rows", nargs="*", choices=list(ROWS), help="only these rows (default: all)")
    parser.add_argument("--json", metavar="PATH", help="write the numbers to PATH")
    parser.add_argument("--loop", nargs=3, metavar=("ROW", "APP", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.loop:
        loop(args.loop[0], args.loop[1], int(args.loop[2]))
        return 0
    rows = args.rows or list(ROWS)
    cases = build_cases(rows)
    check(cases)
    print(_servers.machine_line())
    print(f"{_servers.source_line()}; Starlette {starlette_version()}")
    print()
    data: dict[str, Any] = {"machine": _servers.machine_line(), "starlette": starlette_version(), "rows": {}}

    medians = time_per_call_ns({key: value for key, value in cases.items() if key[0] in rows}, args.repeats)
    table = []
    for row in rows:
        bare, mine, theirs = (medians[row, name] for name in APPS)
        table.append((ROWS[row], f"{bare:.0f}", f"{mine - bare:+.0f}", f"{theirs - bare:+.0f}"))
        data["rows"][row] = {"ns": {name: medians[row, name] for name in APPS}}
    print(f"Time per request, ns (median of {args.repeats} interleaved repeats; overhead = minus the bare app)")
    print(rst_table(("request", "bare app", "cors_wsgi.asgi", "Starlette"), table))

    if args.instructions:
        if shutil.which("valgrind") is None:
            print("\nvalgrind is not installed: apt-get install -y valgrind", file=sys.stderr)
            return 1
        print(f"\nInstructions per request (callgrind: 1 + {args.calls:,} calls minus 1 call, each in a fresh process)")
        table = []
        for row in rows:
            counts = {name: instructions_per_call(row, name, args.calls) for name in APPS}
            mine, theirs = counts["ours"] - counts["bare"], counts["starlette"] - counts["bare"]
            table.append(
                (ROWS[row], f"{counts['bare']:,.0f}", f"+{mine:,.0f}", f"+{theirs:,.0f}", f"{mine / theirs:.2f}")
            )
            data["rows"][row]["instructions"] = counts
            print(f"  {row}: {counts}", file=sys.stderr, flush=True)
        print(rst_table(("request", "bare app", "cors_wsgi.asgi", "Starlette", "ours / Starlette's"), table))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
