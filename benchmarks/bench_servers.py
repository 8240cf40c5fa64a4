"""Throughput cost of the middleware behind real WSGI servers, measured with wrk on 127.0.0.1.

Run from the repository root (``pip install -e ".[test,bench]"`` and ``apt-get install -y wrk``
first)::

    python benchmarks/bench_servers.py                      # full run: about 12 minutes
    python benchmarks/bench_servers.py --duration 2 --warmup 1 --repeats 2 --apps wsgi   # a try-out, ~1 min
    python benchmarks/bench_servers.py --json servers.json  # also write every run

What is served: the trivial WSGI application of ``bench_core.py`` (``200 OK``, ``Content-Type``,
``Content-Length``, two bytes of body), once bare and once wrapped in
``CORSMiddleware(allow_origins=[ORIGIN], allow_credentials=True)``; with ``--apps flask`` also a
one-route Flask application, bare and with ``flask_cors_ext.CORS(app, allow_origins=[ORIGIN],
allow_credentials=True)``.  Each is served by gunicorn with sync workers, gunicorn with gthread
workers and waitress, every server a subprocess of its own on a free 127.0.0.1 port (see
``_servers.py``).  Every request wrk sends carries ``Origin: ORIGIN``, with and without the
middleware alike, so the only difference between the two is the middleware's work.

Method, for a shared machine with few CPUs:

* Few server processes, so the load generator keeps a CPU: by default ONE server worker process
  (gunicorn ``--workers 1``; waitress is one process) with 4 threads where the server has threads
  (gthread, waitress), and wrk with ONE thread and 8 keep-alive connections (gunicorn's sync
  worker closes every connection after its answer; wrk reconnects).  On 2 CPUs that is one CPU
  for the server's Python (it holds the GIL) and about one for wrk and the kernel.  Nothing is
  pinned.
* All servers are started at once and each is warmed up (``--warmup`` s of wrk) before any run is
  timed.  Before the first timed run and after the last, every server's answer is checked on the
  wire: status 200, body ``ok``, and with the middleware the literal
  ``Access-Control-Allow-Origin: https://app.example.com`` and
  ``Access-Control-Allow-Credentials: true`` headers; without it no ``Access-Control-*`` header.
  A run with any non-2xx answer stops the benchmark.
* Runs are interleaved: every round runs each server/application pair once without and once
  with the middleware, the pairs in a shuffled order, and the order within a pair alternates
  from round to round (A B, B A, A B, ...), so a slow phase of the machine falls on both sides.
* Reported: the MEDIAN requests/second over the rounds (and the spread, min-max, in %), the
  median of wrk's 99th-percentile latencies, and the throughput cost: the median over the rounds
  of ``1 - with/without`` computed within each round (paired, so drift between rounds cancels),
  with its min-max.  The target is a cost of at most 2 % for the WSGI middleware; a verdict is
  marked "noisy" when the per-round costs spread over more than ±2 %: then the machine was too
  busy to tell, and more or longer rounds (or a quieter machine) are needed.

wrk reports through a Lua ``done()`` hook (``-s``), which only formats the summary: requests are
built once and sent as they are, so the hook costs nothing per request.  The table printed at the
end is a reStructuredText simple table for README.rst; ``--json`` keeps every run.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.metadata
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _servers
from _servers import HOST, ORIGIN, SERVER_KINDS, Server

#: The application families: (label, app without the middleware, app with it).
FAMILIES = {"wsgi": ("WSGI app", "bare", "cors"), "flask": ("Flask", "flask", "flask-cors")}
TARGET_COST = 0.02

WRK_MISSING = """\
wrk is not installed (or not on PATH); it is the load generator of this benchmark.
Install it:
    Debian/Ubuntu:  apt-get install -y wrk
    Fedora:         dnf install wrk
    macOS:          brew install wrk
or build it from https://github.com/wg/wrk and pass --wrk /path/to/wrk."""

LUA = """\
wrk.headers["Origin"] = "%s"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests": %%d, "duration_us": %%d, "bytes": %%d, ' ..
    '"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d, ' ..
    '"p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass
class Run:
    """One timed wrk run against one server."""

    round: int
    requests: int
    duration_s: float
    rps: float
    p50_us: int
    p90_us: int
    p99_us: int
    max_us: int
    socket_errors: dict[str, int]


@dataclass
class Target:
    """One server serving one application."""

    kind: str
    app: str
    server: Server | None = None
    runs: list[Run] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.app}"

    def median_rps(self) -> float:
        return statistics.median(r.rps for r in self.runs)

    def spread(self) -> float:
        """(max - min) / median of the requests/second of the rounds."""
        values = [r.rps for r in self.runs]
        return (max(values) - min(values)) / statistics.median(values)

    def median_p99_ms(self) -> float:
        return statistics.median(r.p99_us for r in self.runs) / 1000


@dataclass
class Pair:
    family: str
    without: Target
    with_cors: Target

    def costs(self) -> list[float]:
        """``1 - with/without`` within each round."""
        return [1 - c.rps / b.rps for b, c in zip(self.without.runs, self.with_cors.runs, strict=True)]


# -- wrk -------------------------------------------------------------------------------


def find_wrk(path: str | None) -> str:
    found = shutil.which(path or "wrk")
    if found is None:
        print(WRK_MISSING, file=sys.stderr)
        sys.exit(2)
    return found


def wrk_version(wrk: str) -> str:
    out = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0].split(" Copyright")[0] if first else "wrk (unknown version)"


def run_wrk(wrk: str, lua: str, url: str, seconds: int, connections: int, threads: int) -> dict[str, Any]:
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", lua, url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            result: dict[str, Any] = json.loads(line[len("WRK_JSON ") :])
            return result
    raise RuntimeError(f"wrk gave no summary (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


# -- checks ----------------------------------------------------------------------------


def check_answer(target: Target) -> None:
    """One GET with the allowed Origin, judged on the wire: literal header names and values."""
    assert target.server is not None
    connection = http.client.HTTPConnection(HOST, target.server.port, timeout=10)
    try:
        connection.request("GET", "/", headers={"Origin": ORIGIN})
        response = connection.getresponse()
        body = response.read()
        headers = response.getheaders()
    finally:
        connection.close()
    problems = []
    if response.status != 200 or body != b"ok":
        problems.append(f"answer {response.status} {body[:60]!r}, expected 200 b'ok'")
    cors = [(n, v) for n, v in headers if n.lower().startswith("access-control-")]
    if target.app in ("cors", "flask-cors"):
        expected = [("Access-Control-Allow-Credentials", "true"), ("Access-Control-Allow-Origin", ORIGIN)]
        if sorted(cors) != expected:
            problems.append(f"CORS headers {cors}, expected exactly {expected}")
    elif cors:
        problems.append(f"CORS headers {cors} from the application without the middleware")
    if problems:
        raise RuntimeError(f"{target.key} on {target.server.url}: {'; '.join(problems)}")


# -- the run ---------------------------------------------------------------------------


def measure(
    target: Target, wrk: str, lua: str, round_: int, seconds: int, connections: int, threads: int
) -> Run | None:
    assert target.server is not None
    if not target.server.alive():
        raise RuntimeError(f"{target.key} died:\n{target.server.output()}")
    raw = run_wrk(wrk, lua, target.server.url, seconds, connections, threads)
    if raw["status"]:
        raise RuntimeError(f"{target.key}: {raw['status']} answers were not 2xx/3xx; stopping: {raw}")
    if raw["requests"] == 0:
        raise RuntimeError(f"{target.key}: wrk completed no request: {raw}")
    if round_ < 0:  # warm-up
        return None
    duration = raw["duration_us"] / 1e6
    run = Run(
        round=round_,
        requests=raw["requests"],
        duration_s=duration,
        rps=raw["requests"] / duration,
        p50_us=raw["p50_us"],
        p90_us=raw["p90_us"],
        p99_us=raw["p99_us"],
        max_us=raw["max_us"],
        socket_errors={k: raw[k] for k in ("connect", "read", "write", "timeout")},
    )
    target.runs.append(run)
    return run


def fmt_rps(target: Target) -> str:
    return f"{target.median_rps():,.0f} (±{target.spread() / 2:.0%})"


def verdict(cost: float, costs: Sequence[float]) -> str:
    """Met or not; "noisy" when the rounds disagree by more than the target itself."""
    met = "yes" if cost <= TARGET_COST else "NO"
    half_range = (max(costs) - min(costs)) / 2
    return f"{met} (noisy: ±{half_range:.0%})" if half_range > TARGET_COST else met


def build_rows(pairs: Sequence[Pair], workers: int, threads: int) -> list[tuple[str, ...]]:
    rows = []
    for pair in pairs:
        costs = pair.costs()
        cost = statistics.median(costs)
        is_wsgi = pair.family == "WSGI app"
        rows.append(
            (
                _servers.describe_server(pair.without.kind, workers, threads),
                pair.family,
                fmt_rps(pair.without),
                fmt_rps(pair.with_cors),
                f"{cost:+.1%} ({min(costs):+.1%} .. {max(costs):+.1%})",
                f"{pair.without.median_p99_ms():.1f} ms",
                f"{pair.with_cors.median_p99_ms():.1f} ms",
                "<= 2%" if is_wsgi else "none",
                verdict(cost, costs) if is_wsgi else "n/a",
            )
        )
    return rows


HEADER = (
    "server",
    "application",
    "req/s without CORS",
    "req/s with CORS",
    "throughput cost (min .. max)",
    "p99 without",
    "p99 with",
    "target",
    "met?",
)


def versions(kinds: Sequence[str], wrk: str) -> str:
    names = [_servers.server_version(k) for k in dict.fromkeys(k.split("-", 1)[0] for k in kinds)]
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        names.append(f"Flask {importlib.metadata.version('flask')}")
    return ", ".join([*names, wrk_version(wrk)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--servers", default=",".join(SERVER_KINDS), help="comma-separated (default: all three)")
    parser.add_argument("--apps", default="wsgi,flask", help="wsgi and/or flask (default: both)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per timed wrk run (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of wrk per server before timing (3)")
    parser.add_argument("--repeats", type=int, default=5, help="rounds: timed runs per server and app (default 5)")
    parser.add_argument("--connections", type=int, default=8, help="wrk keep-alive connections (default 8)")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn worker processes (default 1)")
    parser.add_argument("--threads", type=int, default=4, help="gthread/waitress threads per process (default 4)")
    parser.add_argument("--wrk", default=None, help="path of the wrk binary (default: wrk on PATH)")
    parser.add_argument("--seed", type=int, default=20240601, help="seed of the shuffled pair order")
    parser.add_argument("--json", metavar="PATH", help="write every run to PATH")
    args = parser.parse_args(argv)

    kinds = [k.strip() for k in args.servers.split(",") if k.strip()]
    families = [f.strip() for f in args.apps.split(",") if f.strip()]
    for kind in kinds:
        if kind not in SERVER_KINDS:
            parser.error(f"unknown server {kind!r}; choose from {', '.join(SERVER_KINDS)}")
        missing = _servers.missing_server_package(kind)
        if missing:
            parser.error(missing)
    for family in families:
        if family not in FAMILIES:
            parser.error(f"unknown application family {family!r}; choose from {', '.join(FAMILIES)}")
    if args.repeats < 1 or args.duration <= 0 or args.connections < args.wrk_threads:
        parser.error("need --repeats >= 1, --duration > 0 and --connections >= --wrk-threads")
    wrk = find_wrk(args.wrk)

    pairs = [
        Pair(FAMILIES[f][0], Target(kind, FAMILIES[f][1]), Target(kind, FAMILIES[f][2]))
        for kind in kinds
        for f in families
    ]
    targets = [t for p in pairs for t in (p.without, p.with_cors)]
    planned = len(targets) * (args.warmup + args.repeats * args.duration)
    machine, source, server_versions = _servers.machine_line(), _servers.source_line(), versions(kinds, wrk)
    print(f"{len(targets)} servers; about {planned / 60:.1f} minutes of load.", file=sys.stderr)

    started = time.perf_counter()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA % ORIGIN)
        lua = f.name
    try:
        for target in targets:
            target.server = _servers.start_server(target.kind, target.app, args.workers, args.threads)
        for target in targets:
            check_answer(target)
            measure(target, wrk, lua, -1, args.warmup, args.connections, args.wrk_threads)
        rng = random.Random(args.seed)
        order = list(range(len(pairs)))
        for round_ in range(args.repeats):
            rng.shuffle(order)
            for index in order:
                pair = pairs[index]
                sides = [pair.without, pair.with_cors]
                if (round_ + index) % 2:
                    sides.reverse()
                for target in sides:
                    run = measure(target, wrk, lua, round_, args.duration, args.connections, args.wrk_threads)
                    assert run is not None
                    print(
                        f"  round {round_ + 1}/{args.repeats} {target.key:<28} {run.rps:9,.0f} req/s"
                        f"  p99 {run.p99_us / 1000:7.1f} ms",
                        file=sys.stderr,
                    )
        for target in targets:
            check_answer(target)
    finally:
        for target in targets:
            if target.server is not None:
                target.server.stop()
        os.unlink(lua)
    elapsed = time.perf_counter() - started

    rows = build_rows(pairs, args.workers, args.threads)
    socket_errors = {t.key: sum(sum(r.socket_errors.values()) for r in t.runs) for t in targets}
    print(machine)
    print(source)
    print(server_versions)
    print(
        f"wrk: {args.wrk_threads} thread(s), {args.connections} connections, {args.duration:g} s per run after "
        f"{args.warmup:g} s of warm-up; {args.repeats} interleaved rounds, medians; every request with "
        f"'Origin: {ORIGIN}'. Cost = median of the per-round 1 - with/without. Run took {elapsed:.0f} s."
    )
    if any(socket_errors.values()):
        print(f"socket errors reported by wrk: {socket_errors}")
    print()
    print(_servers.rst_table(HEADER, rows))

    if args.json:
        data = {
            "machine": machine,
            "source": source,
            "versions": server_versions,
            "python": sys.version,
            "options": vars(args),
            "elapsed_s": elapsed,
            "targets": {
                t.key: {
                    "server": _servers.describe_server(t.kind, args.workers, args.threads),
                    "app": t.app,
                    "median_rps": t.median_rps(),
                    "median_p99_us": statistics.median(r.p99_us for r in t.runs),
                    "runs": [asdict(r) for r in t.runs],
                }
                for t in targets
            },
            "pairs": [
                {
                    "server": p.without.kind,
                    "family": p.family,
                    "costs": p.costs(),
                    "median_cost": statistics.median(p.costs()),
                }
                for p in pairs
            ],
            "rows": [dict(zip(HEADER, row, strict=True)) for row in rows],
        }
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
