"""Micro-benchmark of cors_wsgi's request path against wsgicors, in one process.

Run from the repository root (``pip install -e ".[test,bench]"`` first)::

    python benchmarks/bench_core.py            # full run, about 55 s
    python benchmarks/bench_core.py --quick    # about 10 s, noisier
    python benchmarks/bench_core.py --json results.json

Method: every WSGI application is called directly with a prebuilt environ dict and a
no-op ``start_response``; the response iterable is not consumed (the body is the
application's own ``[b"ok"]``).  Neither middleware mutates the environ (checked after
the run), so environs are reused rather than copied.  Each scenario is auto-calibrated
so that one repeat lasts at least ``--min-repeat`` seconds (0.15 s by default) and run
``--repeats`` times (7), with the garbage collector off and one untimed warm-up call
before each repeat.  The repeats are interleaved: every round runs one repeat of every
scenario in a shuffled order, so the slow phases of a shared machine hit all scenarios
alike.  The MEDIAN of the per-call times of the repeats is reported; "overhead" is a
scenario's median minus the bare application's median.  ``--json`` keeps every repeat.

Caches are measured both ways.  wsgicors caches its origin decision
(``functools.lru_cache(maxsize=200)``), so repeating one origin measures its cache; the
"256 rotating" origins scenario cycles through more distinct allowed origins than that
cache holds, so every look-up misses.  Likewise the "rotating" preflight scenarios cycle
through 2,048 distinct ``Access-Control-Request-Headers`` values, as an attacker would,
so that no memo of earlier preflight decisions can hide the parsing cost.

Before anything is timed, every scenario is run once and its status and headers are
checked, so both middlewares are known to give the answer being measured (and the
hostile ``Access-Control-Request-Headers`` values are known not to raise).

The table printed at the end is a reStructuredText simple table for README.rst.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import itertools
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import _servers  # benchmarks/_servers.py: the machine and source lines, shared with the other benchmarks
import wsgicors  # type: ignore[import-untyped]

import cors_wsgi
from cors_wsgi import CORSMiddleware

Environ = dict[str, Any]
Headers = list[tuple[str, str]]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

ORIGIN = "https://app.example.com"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
#: Distinct origins cycled through in the "cold" scenarios: more than the 200 entries of
#: wsgicors' ``lru_cache`` on ``selectPolicy``, so every one of its look-ups misses.
COLD_ORIGINS = 256
ORIGIN_COUNTS = (1, 100, 1_000, 10_000)
#: Distinct Access-Control-Request-Headers values cycled through in one preflight
#: scenario: more than any small per-policy memo of preflight decisions holds.
ROTATING_REQUEST_HEADERS = 2048


# -- the applications ------------------------------------------------------------------


def bare_app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """The baseline: a trivial application (a fresh header list each call, as wsgicors appends to it)."""
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "2")])
    return [b"ok"]


def _write(data: bytes) -> None:
    return None


def noop_start_response(status: str, headers: Headers, exc_info: object = None) -> Callable[[bytes], object]:
    return _write


def ours_credentialed(origins: Sequence[str] = (ORIGIN,)) -> WSGIApp:
    return CORSMiddleware(bare_app, allow_origins=list(origins), allow_credentials=True)


def ours_public() -> WSGIApp:
    return CORSMiddleware(bare_app, allow_origins=["*"])


def theirs_credentialed(origins: Sequence[str] = (ORIGIN,)) -> WSGIApp:
    # wsgicors: origins are a space-separated list of fnmatch patterns; headers="*" echoes
    # Access-Control-Request-Headers (our default allow_headers="*" echoes the parsed names).
    app: WSGIApp = wsgicors.CORS(
        bare_app, headers="*", methods=", ".join(METHODS), origin=" ".join(origins), credentials="true"
    )
    return app


def theirs_public() -> WSGIApp:
    app: WSGIApp = wsgicors.CORS(bare_app, headers="*", methods=", ".join(METHODS), origin="*")
    return app


# -- environs --------------------------------------------------------------------------


def make_environ(method: str = "GET", origin: str | None = ORIGIN, **headers: str) -> Environ:
    environ: Environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/items",
        "QUERY_STRING": "",
        "SERVER_NAME": "api.example.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "api.example.com",
        "HTTP_ACCEPT": "application/json",
        "wsgi.url_scheme": "https",
    }
    if origin is not None:
        environ["HTTP_ORIGIN"] = origin
    for name, value in headers.items():
        environ["HTTP_" + name.upper()] = value
    return environ


def preflight_environ(request_headers: str = "content-type,x-token", origin: str = ORIGIN) -> Environ:
    return make_environ(
        "OPTIONS", origin, access_control_request_method="PUT", access_control_request_headers=request_headers
    )


def many_origins(count: int) -> list[str]:
    return [f"https://app{i}.example.com" for i in range(count)]


HOSTILE_HEADERS: dict[str, str] = {
    "8 KiB of commas": "," * 8192,
    "4,000 names x-h0,x-h1,...": ",".join(f"x-h{i}" for i in range(4000)),
    "2,000 names with spaces/tabs": ",".join(f" \tx-h{i}\t " for i in range(2000)),
    "1 MB value": ("x-a," * 262144)[:1_000_000],
}
LIMIT_CHARS = cors_wsgi.headers.MAX_REQUEST_HEADERS_LENGTH
LIMIT_ELEMENTS = cors_wsgi.headers.MAX_REQUEST_HEADER_NAMES


def _padded_names(k: int) -> str:
    """LIMIT_ELEMENTS names padded with spaces/tabs to LIMIT_CHARS: the most white space to
    strip that both of cors_wsgi's limits let through."""
    names = [f"x{k:06d}", *(f"x-h{i:04d}" for i in range(1, LIMIT_ELEMENTS))]
    pad = (LIMIT_CHARS - sum(map(len, names)) - (LIMIT_ELEMENTS - 1)) // (2 * LIMIT_ELEMENTS)
    space = (" \t" * pad)[:pad]
    return ",".join(f"{space}{name}{space}" for name in names)


#: Extra, cors_wsgi only: values just inside its limits (read from cors_wsgi.headers), so
#: its parser really runs.  Each maker gives variant ``k``; the scenarios rotate through
#: ROTATING_REQUEST_HEADERS distinct variants, as an attacker would, so no memo helps.
AT_LIMIT_HEADERS: dict[str, Callable[[int], str]] = {
    f"{LIMIT_ELEMENTS - 1} commas (at the element limit)": lambda k: f"x{k}" + "," * (LIMIT_ELEMENTS - 1),
    f"{LIMIT_ELEMENTS} distinct names (at the element limit)": lambda k: ",".join(
        [f"x-v{k}", *(f"x-header-{i}" for i in range(1, LIMIT_ELEMENTS))]
    ),
    f"{LIMIT_ELEMENTS} names padded to {LIMIT_CHARS:,} chars with spaces/tabs": _padded_names,
}


# -- timing ----------------------------------------------------------------------------


@dataclass
class Scenario:
    """One application and the environs it is called with, cycled through for ever."""

    key: str
    app: WSGIApp
    environs: list[Environ]
    iterations: int = 0
    per_call_ns: list[float] = field(default_factory=list)
    repeat_s: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        # One endless cycle, kept across calibration and repeats: with more distinct
        # environs than wsgicors' cache holds, every one of its look-ups then misses.
        self._cycle: Iterator[Environ] = itertools.cycle(self.environs)
        self._snapshots = [dict(e) for e in self.environs]

    def run(self, n: int) -> int:
        """Call the application ``n`` times after one untimed warm-up call; return the ns taken."""
        app, sr = self.app, noop_start_response
        app(next(self._cycle), sr)
        calls = itertools.islice(self._cycle, n)
        t0 = time.perf_counter_ns()
        for environ in calls:
            app(environ, sr)
        return time.perf_counter_ns() - t0

    def calibrate(self, min_repeat_s: float) -> None:
        """Find ``iterations`` so that one repeat lasts at least ``min_repeat_s``.

        Grow ``n`` until a run lasts a twentieth of the target, then scale from the
        fastest of three runs: the machine at its quickest still makes a full repeat.
        """
        n = 1
        while True:
            elapsed = self.run(n)
            if elapsed >= min_repeat_s * 5e7:
                break
            n *= 8 if elapsed < min_repeat_s * 5e6 else 2
        fastest = min(elapsed, self.run(n), self.run(n))
        self.iterations = max(n, math.ceil(n * min_repeat_s * 1e9 * 1.03 / max(fastest, 1)))

    def repeat(self, min_repeat_s: float) -> None:
        """Time one repeat of at least ``min_repeat_s``: a shorter one is discarded, ``n`` raised and run again."""
        while True:
            elapsed = self.run(self.iterations)
            if elapsed >= min_repeat_s * 1e9:
                break
            self.iterations = math.ceil(self.iterations * min_repeat_s * 1e9 * 1.03 / max(elapsed, 1))
        self.per_call_ns.append(elapsed / self.iterations)
        self.repeat_s.append(elapsed / 1e9)

    def check_unmutated(self) -> None:
        for environ, snapshot in zip(self.environs, self._snapshots, strict=True):
            if environ != snapshot:
                raise RuntimeError(f"{self.key}: the application mutated the environ; copy it per call")

    @property
    def median_ns(self) -> float:
        return statistics.median(self.per_call_ns)

    @property
    def min_ns(self) -> float:
        return min(self.per_call_ns)


class Bench:
    """Registers scenarios, then times them in interleaved rounds.

    Every round runs one repeat of every scenario, in a shuffled order (fixed seed), so
    slow phases of a shared machine are spread over all scenarios instead of falling on
    the few that happened to run then.
    """

    def __init__(self, repeats: int, min_repeat_s: float, verbose: bool) -> None:
        self.repeats = repeats
        self.min_repeat_s = min_repeat_s
        self.verbose = verbose
        self.scenarios: dict[str, Scenario] = {}

    def add(self, key: str, app: WSGIApp, environs: Environ | Sequence[Environ]) -> None:
        seq = [environs] if isinstance(environs, dict) else list(environs)
        self.scenarios[key] = Scenario(key, app, seq)

    def run(self) -> None:
        rng = random.Random(20240601)
        order = list(self.scenarios.values())
        gc_was_enabled = gc.isenabled()
        gc.collect()
        gc.disable()
        try:
            for scenario in order:
                scenario.calibrate(self.min_repeat_s)
            for _ in range(self.repeats):
                rng.shuffle(order)
                for scenario in order:
                    scenario.repeat(self.min_repeat_s)
        finally:
            if gc_was_enabled:
                gc.enable()
        for scenario in self.scenarios.values():
            scenario.check_unmutated()
            if self.verbose:
                print(
                    f"  {scenario.key:<32} median {scenario.median_ns:10.1f}  min {scenario.min_ns:10.1f}"
                    f"  max {max(scenario.per_call_ns):10.1f} ns/call  (n={scenario.iterations},"
                    f" shortest repeat {min(scenario.repeat_s):.3f} s)",
                    file=sys.stderr,
                )

    def median(self, key: str) -> float:
        return self.scenarios[key].median_ns

    def overhead(self, key: str) -> float:
        """Median time per call minus the bare application's median."""
        return self.median(key) - self.median("bare")


# -- checks ----------------------------------------------------------------------------


def call_once(app: WSGIApp, environ: Environ) -> tuple[str, dict[str, str]]:
    captured: list[tuple[str, Headers]] = []

    def start_response(status: str, headers: Headers, exc_info: object = None) -> Callable[[bytes], object]:
        captured.append((status, list(headers)))
        return _write

    body = app(dict(environ), start_response)
    b"".join(body)
    status, headers = captured[-1]
    return status, {name.lower(): value for name, value in headers}


def expect(label: str, app: WSGIApp, environ: Environ, status: str, **headers: str | None) -> None:
    got_status, got = call_once(app, environ)
    problems = []
    if not got_status.startswith(status):
        problems.append(f"status {got_status!r}, expected {status!r}")
    for name, value in headers.items():
        actual = got.get(name.replace("_", "-"))
        if value == "":  # present, any value
            if actual is None:
                problems.append(f"{name} missing")
        elif actual != value:
            problems.append(f"{name}={actual!r}, expected {value!r}")
    if problems:
        raise RuntimeError(f"check failed for {label}: {'; '.join(problems)}")


# -- the run ---------------------------------------------------------------------------


def source_line() -> str:
    """Which cors_wsgi and wsgicors were measured."""
    return f"{_servers.source_line()}; wsgicors {wsgicors_version()}"


def wsgicors_version() -> str:
    try:
        return importlib.metadata.version("wsgicors")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@dataclass
class Row:
    scenario: str
    ours: str
    theirs: str
    target: str
    met: str


def us(ns: float) -> str:
    return f"{ns / 1000:.3f} µs"


def verdict(ok: bool, detail: str) -> str:
    return f"{'yes' if ok else 'NO'} ({detail})"


def run_checks() -> None:
    cred, pub = ours_credentialed(), ours_public()
    tcred, tpub = theirs_credentialed(), theirs_public()
    get, no_origin = make_environ(), make_environ(origin=None)
    refused = make_environ(origin="https://evil.example.net")
    pre = preflight_environ()
    for label, app in (("cors_wsgi", cred), ("wsgicors", tcred)):
        expect(
            f"{label} GET", app, get, "200", access_control_allow_origin=ORIGIN, access_control_allow_credentials="true"
        )
        expect(f"{label} refused GET", app, refused, "200", access_control_allow_origin=None)
        expect(f"{label} no-Origin GET", app, no_origin, "200", access_control_allow_origin=None)
        expect(
            f"{label} preflight",
            app,
            pre,
            "204",
            access_control_allow_origin=ORIGIN,
            access_control_allow_credentials="true",
            access_control_allow_methods="",
            access_control_allow_headers="",
        )
        for value in HOSTILE_HEADERS.values():
            call_once(app, preflight_environ(value))  # must answer, not raise
    for make in AT_LIMIT_HEADERS.values():
        statuses = {call_once(cred, preflight_environ(make(k)))[0] for k in (0, ROTATING_REQUEST_HEADERS - 1)}
        if len(statuses) != 1:
            raise RuntimeError(f"the variants of one at-limit value get different answers: {statuses}")
    expect("cors_wsgi vary", cred, refused, "200", vary="Origin")
    for label, app in (("cors_wsgi", pub), ("wsgicors", tpub)):
        expect(f"{label} public GET", app, get, "200", access_control_allow_origin="*")
    middle = many_origins(10_000)[5_000]
    expect(
        "cors_wsgi 10k",
        ours_credentialed(many_origins(10_000)),
        make_environ(origin=middle),
        "200",
        access_control_allow_origin=middle,
    )
    expect(
        "wsgicors 10k",
        theirs_credentialed(many_origins(10_000)),
        make_environ(origin=middle),
        "200",
        access_control_allow_origin=middle,
    )


def register(bench: Bench) -> dict[str, str]:
    """Build every scenario; return the statuses cors_wsgi gives the hostile preflights."""
    cred, pub = ours_credentialed(), ours_public()
    tcred, tpub = theirs_credentialed(), theirs_public()
    get = make_environ()
    bench.add("bare", bare_app, get)
    # 2. allowed simple GET
    bench.add("ours.get.credentialed", cred, get)
    bench.add("wsgicors.get.credentialed", tcred, get)
    bench.add("ours.get.public", pub, get)
    bench.add("wsgicors.get.public", tpub, get)
    # 3. a whole preflight
    bench.add("ours.preflight", cred, preflight_environ())
    bench.add("wsgicors.preflight", tcred, preflight_environ())
    rotating = [preflight_environ(f"content-type,x-token-{i}") for i in range(ROTATING_REQUEST_HEADERS)]
    bench.add("ours.preflight.rotating", cred, rotating)
    bench.add("wsgicors.preflight.rotating", tcred, rotating)
    # 4. refused origin, no Origin
    for key, environ in (
        ("refused", make_environ(origin="https://evil.example.net")),
        ("no_origin", make_environ(origin=None)),
    ):
        bench.add(f"ours.{key}", cred, environ)
        bench.add(f"wsgicors.{key}", tcred, environ)
    # 5. many exact origins, request from the middle of the list
    for count in ORIGIN_COUNTS[1:]:  # 1 origin is the credentialed GET above
        origins = many_origins(count)
        environ = make_environ(origin=origins[count // 2])
        ours = ours_credentialed(origins)
        bench.add(f"ours.origins.{count}", ours, environ)
        if count == ORIGIN_COUNTS[-1]:
            theirs = theirs_credentialed(origins)
            bench.add(f"wsgicors.origins.{count}", theirs, environ)
            mid = count // 2
            cold = [make_environ(origin=o) for o in origins[mid - COLD_ORIGINS // 2 : mid + COLD_ORIGINS // 2]]
            bench.add(f"ours.origins.{count}.cold", ours, cold)
            bench.add(f"wsgicors.origins.{count}.cold", theirs, cold)
    # 6. hostile Access-Control-Request-Headers
    statuses: dict[str, str] = {}
    for index, (label, value) in enumerate(HOSTILE_HEADERS.items()):
        environ = preflight_environ(value)
        statuses[label] = call_once(cred, environ)[0]
        bench.add(f"ours.hostile.{index}", cred, environ)
        bench.add(f"wsgicors.hostile.{index}", tcred, environ)
    for index, (label, make) in enumerate(AT_LIMIT_HEADERS.items()):
        environs = [preflight_environ(make(k)) for k in range(ROTATING_REQUEST_HEADERS)]
        statuses[label] = call_once(cred, environs[0])[0]
        bench.add(f"ours.at_limit.{index}", cred, environs)
    return statuses


def build_rows(bench: Bench, statuses: dict[str, str]) -> list[Row]:
    med, ovh = bench.median, bench.overhead
    bare = med("bare")
    rows = [Row("bare app, absolute (baseline)", us(bare), us(bare), "baseline", "n/a")]

    for key, label in (("credentialed", "credentialed"), ("public", "public ``*``")):
        o, t = ovh(f"ours.get.{key}"), ovh(f"wsgicors.get.{key}")
        rows.append(
            Row(f"GET overhead, {label}", us(o), us(t), "<= 0.5x wsgicors", verdict(o <= 0.5 * t, f"{o / t:.2f}x"))
        )

    o, t = med("ours.preflight"), med("wsgicors.preflight")
    rows.append(
        Row("preflight, absolute", us(o), us(t), "~1 µs (<= 1.0)", verdict(o <= 1000, f"{o / t:.2f}x wsgicors"))
    )

    o, t = med("ours.preflight.rotating"), med("wsgicors.preflight.rotating")
    rows.append(
        Row(
            f"... {ROTATING_REQUEST_HEADERS:,} rotating ACRH values",
            us(o),
            us(t),
            "none",
            f"n/a ({o / t:.2f}x wsgicors)",
        )
    )

    for key, label in (("refused", "refused origin GET"), ("no_origin", "no-Origin GET")):
        o, t = ovh(f"ours.{key}"), ovh(f"wsgicors.{key}")
        rows.append(Row(f"{label} overhead", us(o), us(t), "none", f"n/a ({o / t:.2f}x)"))

    base, t_base = ovh("ours.get.credentialed"), ovh("wsgicors.get.credentialed")
    rows.append(Row("GET overhead, 1 exact origin (as above)", us(base), us(t_base), "baseline", "n/a"))
    last = ORIGIN_COUNTS[-1]
    for count in ORIGIN_COUNTS[1:]:
        o = ovh(f"ours.origins.{count}")
        theirs = "not measured"
        if count == last:
            t = ovh(f"wsgicors.origins.{count}")
            theirs = f"{us(t)} ({t / t_base:.2f}x)"
        rows.append(
            Row(
                f"... {count:,} origins, same origin",
                f"{us(o)} ({o / base:.2f}x)",
                theirs,
                "<= 1.2x of 1 origin",
                verdict(o <= 1.2 * base, f"{o / base:.2f}x"),
            )
        )
    o, t = ovh(f"ours.origins.{last}.cold"), ovh(f"wsgicors.origins.{last}.cold")
    rows.append(
        Row(
            f"... {last:,} origins, {COLD_ORIGINS} rotating",
            f"{us(o)} ({o / base:.2f}x)",
            f"{us(t)} ({t / t_base:,.0f}x)",
            "<= 1.2x of 1 origin",
            verdict(o <= 1.2 * base, f"{o / base:.2f}x"),
        )
    )

    for index, label in enumerate(HOSTILE_HEADERS):
        o, t = med(f"ours.hostile.{index}"), med(f"wsgicors.hostile.{index}")
        rows.append(Row(f"preflight, ACRH {label}", us(o), us(t), "< 50 µs", verdict(o < 50_000, statuses[label][:3])))
    for index, label in enumerate(AT_LIMIT_HEADERS):
        o = med(f"ours.at_limit.{index}")
        rows.append(
            Row(
                f"preflight, ACRH {label}, rotating",
                us(o),
                "not measured",
                "< 50 µs",
                verdict(o < 50_000, statuses[label][:3]),
            )
        )
    return rows


def rst_table(rows: Sequence[Row]) -> str:
    header = ("scenario", "cors_wsgi", "wsgicors", "target", "met?")
    cells = [header, *((r.scenario, r.ours, r.theirs, r.target, r.met) for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    border = "  ".join("=" * w for w in widths)

    def line(c: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)).rstrip()

    return "\n".join([border, line(header), border, *(line(c) for c in cells[1:]), border])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="about 10 s: 5 repeats of >= 0.03 s")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per scenario (default 7, quick 5)")
    parser.add_argument("--min-repeat", type=float, default=None, help="seconds per repeat (default 0.15, quick 0.03)")
    parser.add_argument("--json", metavar="PATH", help="write the raw numbers to PATH")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each measurement to stderr")
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 5 if args.quick else 7
    if args.min_repeat is None:
        args.min_repeat = 0.03 if args.quick else 0.15

    machine = _servers.machine_line()
    source = source_line()
    started = time.perf_counter()
    run_checks()
    bench = Bench(args.repeats, args.min_repeat, args.verbose)
    statuses = register(bench)
    bench.run()
    rows = build_rows(bench, statuses)
    elapsed = time.perf_counter() - started

    bare = bench.scenarios["bare"]
    print(machine)
    print(source)
    print(
        f"Median of {args.repeats} interleaved repeats of >= {args.min_repeat} s each; overhead = median minus the "
        f"bare app's median ({bare.median_ns:.1f} ns; its repeats ranged {bare.min_ns:.1f}"
        f"-{max(bare.per_call_ns):.1f} ns); run took {elapsed:.0f} s."
    )
    print()
    print(rst_table(rows))

    if args.json:
        data = {
            "machine": machine,
            "source": source,
            "python": sys.version,
            "mode": "quick" if args.quick else "full",
            "repeats": args.repeats,
            "min_repeat_s": args.min_repeat,
            "elapsed_s": elapsed,
            "bare_ns": bare.median_ns,
            "scenarios": {
                s.key: {
                    "iterations": s.iterations,
                    "distinct_environs": len(s.environs),
                    "median_ns": s.median_ns,
                    "min_ns": s.min_ns,
                    "overhead_ns": s.median_ns - bare.median_ns,
                    "per_call_ns": s.per_call_ns,
                    "repeat_s": s.repeat_s,
                }
                for s in bench.scenarios.values()
            },
            "cors_wsgi_preflight_statuses": statuses,
            "rows": [asdict(r) for r in rows],
        }
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
