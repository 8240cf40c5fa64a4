"""Bounded soak: a million mixed CORS requests through a real server on 127.0.0.1, every answer
checked, the server's resident memory watched.

Run from the repository root (``pip install -e ".[test,bench]"`` first)::

    python benchmarks/soak.py                                  # 1,000,000 requests via waitress
    python benchmarks/soak.py --server gunicorn-gthread        # the same through gunicorn
    python benchmarks/soak.py --requests 20000 --warmup 2000   # a short try-out
    python benchmarks/soak.py --json soak.json

The server (waitress with 4 threads, or gunicorn with one gthread worker of 4 threads) is a
subprocess serving :func:`make_app` (``soak_app.py``): ``CORSMiddleware`` with two exact origins and a pattern,
credentials, ``GET``/``PUT``, ``X-Token``, ``X-Total`` exposed and ``max_age=600``, around an
application that echoes the request's ``X-Request-Id`` in a header and as the body.

Clients: ``--processes`` processes (default 2), each with ``--connections`` threads (default 4),
each thread with one ``http.client`` keep-alive connection.  Requests rotate through five kinds:

* ``preflight allowed``: ``OPTIONS`` from an allowed origin asking for ``PUT`` and ``x-token``;
* ``preflight refused``: ``OPTIONS`` from an origin that is not allowed;
* ``actual allowed``: ``GET`` or ``PUT`` (with a JSON body) from an allowed origin;
* ``actual refused``: ``POST`` (with a body) from an origin that is not allowed;
* ``no Origin``: ``GET`` without ``Origin``.

Allowed and refused origins rotate too (three of each), so an answer that carried another
request's ``Access-Control-Allow-Origin`` would be caught.  Every response is checked for its
status, its ``Access-Control-Allow-Origin`` (exactly the request's own origin, or absent) and,
past the middleware, its echoed ``X-Request-Id``; every ``--verify-every``-th response of each
kind (10th by default, 1 = all) is checked in full: status line, every header but the server's
own ``Date``/``Server``/``Connection``, names spelled exactly, and the body.  A request that
raises (reset, timeout, malformed answer) is a transport error; the connection is then opened
again.

Memory: after ``--warmup`` requests (not counted), the server's VmRSS (from /proc/PID/status; for
gunicorn the sum over arbiter and workers) is read, then after every tenth of the requests and
at the end.  The run FAILS (exit status 1) on any transport error or wrong answer, if not every
request was sent within ``--max-seconds``, if a server process died or was replaced, or if the
resident memory ever exceeds the start by more than ``--rss-growth-pct`` % plus
``--rss-growth-mb`` MB.  ``tests/test_soak.py`` runs :func:`run_soak` with small sizes in CI.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import itertools
import json
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _servers
from _servers import HOST
from soak_app import echo_app, make_app  # noqa: F401  (re-exported; soak_app.py so that _servers need not import soak)

ALLOWED = ("https://app.example.com", "https://admin.example.com", "https://shop.example.org")
REFUSED = ("https://evil.example", "https://app.example.com.evil.net", "http://app.example.com")
KINDS = ("preflight allowed", "preflight refused", "actual allowed", "actual refused", "no Origin")
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
#: Headers the server adds on its own: not part of the middleware's answer.
SERVER_OWNED = frozenset({"date", "server", "connection", "keep-alive"})
MAX_SAMPLES = 10


# -- requests and their exact answers --------------------------------------------------

Headers = list[tuple[str, str]]


@dataclass(frozen=True)
class Request:
    kind: str
    method: str
    origin: str | None
    headers: dict[str, str]
    body: bytes | None
    request_id: str | None  # echoed by the application (None: a preflight, answered by the middleware)

    def expected(self) -> tuple[int, str, Headers, bytes]:
        """Status, reason, every header (server-owned ones left out; sorted) and body of the right answer."""
        if self.kind == "preflight allowed":
            assert self.origin is not None
            headers = [
                ("Access-Control-Allow-Origin", self.origin),
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Allow-Methods", "GET, PUT"),
                ("Access-Control-Allow-Headers", "X-Token"),
                ("Access-Control-Max-Age", "600"),
                ("Vary", PREFLIGHT_VARY),
            ]
            return 204, "No Content", sorted(headers), b""
        if self.kind == "preflight refused":
            headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "0"), ("Vary", PREFLIGHT_VARY)]
            return 403, "Forbidden", sorted(headers), b""
        assert self.request_id is not None
        body = self.request_id.encode("ascii")
        headers = [
            ("Content-Type", "text/plain"),
            ("Content-Length", str(len(body))),
            ("X-Request-Id", self.request_id),
            ("Vary", "Origin"),
        ]
        if self.kind == "actual allowed":
            assert self.origin is not None
            headers += [
                ("Access-Control-Allow-Origin", self.origin),
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Expose-Headers", "X-Total"),
            ]
        return 200, "OK", sorted(headers), body

    @property
    def allowed_origin(self) -> str | None:
        """The ``Access-Control-Allow-Origin`` the answer must carry (None: none at all)."""
        return self.origin if self.kind in ("preflight allowed", "actual allowed") else None


def make_request(index: int, tag: str) -> Request:
    """The ``index``-th request of the rotation: the kind cycles fastest, then the origin."""
    kind = KINDS[index % len(KINDS)]
    turn = index // len(KINDS)
    allowed, refused = ALLOWED[turn % len(ALLOWED)], REFUSED[turn % len(REFUSED)]
    if kind == "preflight allowed":
        headers = {
            "Origin": allowed,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-token",
        }
        return Request(kind, "OPTIONS", allowed, headers, None, None)
    if kind == "preflight refused":
        headers = {"Origin": refused, "Access-Control-Request-Method": "PUT"}
        return Request(kind, "OPTIONS", refused, headers, None, None)
    request_id = f"{tag}-{index}"
    if kind == "actual allowed":
        if turn % 2:
            headers = {"Origin": allowed, "X-Request-Id": request_id, "Content-Type": "application/json"}
            return Request(kind, "PUT", allowed, headers, b'{"n": %d}' % index, request_id)
        return Request(kind, "GET", allowed, {"Origin": allowed, "X-Request-Id": request_id}, None, request_id)
    if kind == "actual refused":
        headers = {"Origin": refused, "X-Request-Id": request_id, "Content-Type": "text/plain"}
        return Request(kind, "POST", refused, headers, b"x" * (1 + turn % 64), request_id)
    return Request(kind, "GET", None, {"X-Request-Id": request_id}, None, request_id)


def judge(request: Request, response: http.client.HTTPResponse, body: bytes, full: bool) -> str | None:
    """What is wrong with the answer (None: nothing).  Always status, ACAO and the echoed id; all when ``full``."""
    status, reason, headers, expected_body = request.expected()
    if response.status != status:
        return f"status {response.status}, expected {status}"
    acao = response.msg.get_all("Access-Control-Allow-Origin") or []
    want = [request.allowed_origin] if request.allowed_origin is not None else []
    if acao != want:
        return f"Access-Control-Allow-Origin {acao}, expected {want} (request Origin {request.origin!r})"
    if request.request_id is not None and response.getheader("X-Request-Id") != request.request_id:
        return f"X-Request-Id {response.getheader('X-Request-Id')!r}, expected {request.request_id!r}"
    if not full:
        return None
    got = sorted((n, v) for n, v in response.getheaders() if n.lower() not in SERVER_OWNED)
    if (response.status, response.reason, got, body) != (status, reason, headers, expected_body):
        return (
            f"answer {response.status} {response.reason} {got} {body[:80]!r}, expected {status} {reason} "
            f"{headers} {expected_body!r}"
        )
    return None


# -- the clients -----------------------------------------------------------------------


@dataclass
class Counts:
    """What one batch (or the whole run) saw."""

    sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    verified: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    wrong: int = 0
    transport_errors: int = 0
    out_of_time: bool = False
    samples: list[str] = field(default_factory=list)

    def add(self, other: Counts) -> None:
        for kind in KINDS:
            self.sent[kind] += other.sent[kind]
            self.verified[kind] += other.verified[kind]
        self.wrong += other.wrong
        self.transport_errors += other.transport_errors
        self.out_of_time |= other.out_of_time
        self.samples.extend(other.samples[: MAX_SAMPLES - len(self.samples)])

    @property
    def total(self) -> int:
        return sum(self.sent.values())


@dataclass(frozen=True)
class Batch:
    port: int
    start: int  # the first index of the rotation
    count: int
    connections: int
    verify_every: int
    deadline: float  # time.time() after which no request is sent
    tag: str
    timeout: float = 30.0


def run_batch(batch: Batch) -> Counts:
    """Send requests ``start .. start+count-1`` over ``connections`` threads (thread ``t`` takes
    every ``connections``-th index from ``start + t``), each on one keep-alive connection."""
    counts = [Counts() for _ in range(batch.connections)]

    def client(number: int) -> None:
        mine = counts[number]
        connection = http.client.HTTPConnection(HOST, batch.port, timeout=batch.timeout)
        seen = dict.fromkeys(KINDS, 0)
        try:
            for index in range(batch.start + number, batch.start + batch.count, batch.connections):
                if time.time() > batch.deadline:
                    mine.out_of_time = True
                    return
                request = make_request(index, batch.tag)
                seen[request.kind] += 1
                full = seen[request.kind] % batch.verify_every == 0
                mine.sent[request.kind] += 1
                try:
                    connection.request(request.method, "/items", body=request.body, headers=request.headers)
                    response = connection.getresponse()
                    body = response.read()
                except (OSError, http.client.HTTPException) as error:
                    mine.transport_errors += 1
                    if len(mine.samples) < MAX_SAMPLES:
                        mine.samples.append(f"{request.kind} #{index}: {type(error).__name__}: {error}")
                    connection.close()  # opened again by the next request
                    continue
                problem = judge(request, response, body, full)
                if full:
                    mine.verified[request.kind] += 1
                if problem is not None:
                    mine.wrong += 1
                    if len(mine.samples) < MAX_SAMPLES:
                        mine.samples.append(f"{request.kind} #{index} ({request.method}): {problem}")
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,), name=f"soak-client-{n}") for n in range(batch.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, batch.deadline - time.time()) + 2 * batch.timeout)
    total = Counts()
    for one in counts:
        total.add(one)
    if any(thread.is_alive() for thread in threads):
        total.out_of_time = True
        total.samples.append("a client thread did not finish in time")
    return total


# -- the run ---------------------------------------------------------------------------


def rss_limit_kib(start_kib: int, growth_pct: float, growth_mb: float) -> int:
    """The most resident memory allowed: the start plus ``growth_pct`` % plus ``growth_mb`` MB."""
    return int(start_kib * (1 + growth_pct / 100) + growth_mb * 1024)


@dataclass
class Checkpoint:
    label: str
    requests: int
    elapsed_s: float
    rss_kib: int


@dataclass
class SoakResult:
    server: str
    requests: int
    counts: Counts
    warmup: Counts
    checkpoints: list[Checkpoint]
    elapsed_s: float
    rss_limit_kib: int
    failures: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def rss_start_kib(self) -> int:
        return self.checkpoints[0].rss_kib

    @property
    def rss_peak_kib(self) -> int:
        return max(c.rss_kib for c in self.checkpoints)

    @property
    def rss_end_kib(self) -> int:
        return self.checkpoints[-1].rss_kib


def run_soak(
    server: str = "waitress",
    requests: int = 1_000_000,
    warmup: int = 10_000,
    processes: int = 2,
    connections: int = 4,
    verify_every: int = 10,
    checkpoints: int = 10,
    max_seconds: float = 3600.0,
    rss_growth_pct: float = 10.0,
    rss_growth_mb: float = 5.0,
    workers: int = 1,
    threads: int = 4,
    progress: Callable[[str], None] | None = None,
) -> SoakResult:
    """Start ``server`` serving :func:`make_app`, send ``warmup`` then ``requests`` requests, judge.

    ``processes=0`` runs the client threads in this process instead of a pool of processes.
    """
    if requests < checkpoints or checkpoints < 1 or connections < 1 or verify_every < 1:
        raise ValueError("need requests >= checkpoints >= 1, connections >= 1 and verify_every >= 1")
    say = progress or (lambda message: None)
    started = time.monotonic()
    deadline = time.time() + max_seconds
    failures: list[str] = []
    counts, warm = Counts(), Counts()
    marks: list[Checkpoint] = []
    running = _servers.start_server(server, "soak", workers, threads)
    pool: concurrent.futures.Executor | None = None
    try:
        if processes > 0:
            pool = concurrent.futures.ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))

        def send(start: int, count: int, tag: str) -> Counts:
            shares = max(1, processes)
            bounds = [start + count * i // shares for i in range(shares + 1)]
            batches = [
                Batch(running.port, lo, hi - lo, connections, verify_every, deadline, f"{tag}{i}")
                for i, (lo, hi) in enumerate(itertools.pairwise(bounds))
                if hi > lo
            ]
            total = Counts()
            results = pool.map(run_batch, batches) if pool is not None else map(run_batch, batches)
            for result in results:
                total.add(result)
            return total

        def rss() -> int:
            kib, _ = _servers.tree_rss_kib(running.pid)
            return kib

        if warmup:
            warm = send(0, warmup, "w")
            say(f"warm-up: {warm.total:,} requests, {warm.transport_errors} transport errors, {warm.wrong} wrong")
        marks.append(Checkpoint("start", 0, time.monotonic() - started, rss()))
        say(f"server RSS after warm-up: {marks[0].rss_kib:,} KiB")
        done = 0
        for step in range(1, checkpoints + 1):
            target = requests * step // checkpoints
            counts.add(send(warmup + done, target - done, f"s{step}-"))
            done = target
            label = "end" if step == checkpoints else f"{100 * step // checkpoints}%"
            marks.append(Checkpoint(label, counts.total, time.monotonic() - started, rss()))
            say(
                f"{label:>4}: {counts.total:,} requests, {counts.transport_errors} transport errors, "
                f"{counts.wrong} wrong, server RSS {marks[-1].rss_kib:,} KiB"
            )
            if counts.out_of_time:
                break
            if not running.alive() or tuple(sorted(_servers.process_tree(running.pid))) != running.started_pids:
                break
        alive = running.alive()
        pids_now = tuple(sorted(_servers.process_tree(running.pid))) if alive else ()
    finally:
        running.stop()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    elapsed = time.monotonic() - started

    rss_start = marks[0].rss_kib
    limit = rss_limit_kib(rss_start, rss_growth_pct, rss_growth_mb)
    both = Counts()
    both.add(warm)
    both.add(counts)
    if both.transport_errors:
        failures.append(f"{both.transport_errors} transport errors (warm-up included)")
    if both.wrong:
        failures.append(f"{both.wrong} wrong answers (warm-up included)")
    if counts.total < requests:
        failures.append(f"only {counts.total:,} of {requests:,} requests sent within --max-seconds {max_seconds:g}")
    if not alive:
        failures.append(f"the server died:\n{running.output()}")
    elif pids_now != running.started_pids:
        failures.append(f"server processes changed from {running.started_pids} to {pids_now} (a worker restarted)")
    peak = max(c.rss_kib for c in marks)
    if peak > limit:
        failures.append(
            f"server RSS grew from {rss_start:,} KiB to {peak:,} KiB (limit {limit:,} KiB: "
            f"+{rss_growth_pct:g}% + {rss_growth_mb:g} MB)"
        )
    description = _servers.describe_server(server, workers, threads)
    return SoakResult(description, requests, counts, warm, marks, elapsed, limit, failures)


# -- the report ------------------------------------------------------------------------


def summary(result: SoakResult, processes: int, connections: int, verify_every: int) -> str:
    c = result.counts
    rate = c.total / max(result.elapsed_s, 1e-9)
    lines = [
        f"Soak: {c.total:,} requests (after {result.warmup.total:,} of warm-up) through {result.server} on "
        f"127.0.0.1, {max(processes, 1)} client process(es) x {connections} keep-alive connections; "
        f"{result.elapsed_s:.0f} s in all, {rate:,.0f} requests/s.",
        f"Transport errors: {c.transport_errors + result.warmup.transport_errors}; wrong answers: "
        f"{c.wrong + result.warmup.wrong} (every response's status, Access-Control-Allow-Origin and echoed "
        f"request id checked; {'every one' if verify_every == 1 else f'every {verify_every}th of each kind'} "
        "in full).",
        "",
    ]
    kinds = [(k, f"{c.sent[k]:,}", f"{c.verified[k]:,}") for k in KINDS]
    lines.append(_servers.rst_table(("request kind", "sent", "fully verified"), kinds))
    lines.append("")
    start = result.rss_start_kib
    rows = [
        (
            m.label,
            f"{m.requests:,}",
            f"{m.elapsed_s:.0f} s",
            f"{m.rss_kib:,} KiB",
            f"{(m.rss_kib - start) / 1024:+.1f} MB",
        )
        for m in result.checkpoints
    ]
    lines.append(_servers.rst_table(("checkpoint", "requests", "time", "server RSS", "vs start"), rows))
    lines.append("")
    growth = result.rss_peak_kib - start
    lines.append(
        f"Server RSS: {start:,} KiB after warm-up, {result.rss_end_kib:,} KiB at the end, peak {result.rss_peak_kib:,}"
        f" KiB ({growth / 1024:+.1f} MB, {growth / max(start, 1):+.1%}); limit {result.rss_limit_kib:,} KiB."
    )
    if c.samples or result.warmup.samples:
        lines.append("First problems:")
        lines.extend(f"  {s}" for s in [*result.warmup.samples, *c.samples][:MAX_SAMPLES])
    lines.append("PASS" if result.ok else "FAIL: " + "; ".join(result.failures))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--server", default="waitress", choices=["waitress", "gunicorn-gthread", "gunicorn-sync"])
    parser.add_argument("--requests", type=int, default=1_000_000, help="requests measured (default 1,000,000)")
    parser.add_argument("--warmup", type=int, default=10_000, help="requests before the first RSS reading (10,000)")
    parser.add_argument("--processes", type=int, default=2, help="client processes (default 2; 0 = threads here)")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections per client process (4)")
    parser.add_argument("--verify-every", type=int, default=10, help="check every Nth answer of a kind in full (10)")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="give up (and fail) after this (3600)")
    parser.add_argument("--rss-growth-pct", type=float, default=10.0, help="allowed RSS growth in %% (default 10)")
    parser.add_argument("--rss-growth-mb", type=float, default=5.0, help="plus this many MB (default 5)")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn worker processes (default 1)")
    parser.add_argument("--threads", type=int, default=4, help="server threads per process (default 4)")
    parser.add_argument("--json", metavar="PATH", help="write the numbers to PATH")
    args = parser.parse_args(argv)
    missing = _servers.missing_server_package(args.server)
    if missing:
        parser.error(missing)

    machine, source = _servers.machine_line(), _servers.source_line()
    result = run_soak(
        server=args.server,
        requests=args.requests,
        warmup=args.warmup,
        processes=args.processes,
        connections=args.connections,
        verify_every=args.verify_every,
        max_seconds=args.max_seconds,
        rss_growth_pct=args.rss_growth_pct,
        rss_growth_mb=args.rss_growth_mb,
        workers=args.workers,
        threads=args.threads,
        progress=lambda message: print(message, file=sys.stderr, flush=True),
    )
    print(machine)
    print(source)
    print(_servers.server_version(args.server))
    print(summary(result, args.processes, args.connections, args.verify_every))
    if args.json:
        data = {
            "machine": machine,
            "source": source,
            "server": result.server,
            "server_version": _servers.server_version(args.server),
            "options": vars(args),
            "ok": result.ok,
            "failures": result.failures,
            "elapsed_s": result.elapsed_s,
            "counts": asdict(result.counts),
            "warmup": asdict(result.warmup),
            "checkpoints": [asdict(c) for c in result.checkpoints],
            "rss_limit_kib": result.rss_limit_kib,
        }
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
