"""Benchmark of the Flask extension against bare Flask and flask-cors, in one process.

Run from the repository root (``pip install -e ".[test,bench]"`` first)::

    python benchmarks/bench_flask.py            # about 40 s
    python benchmarks/bench_flask.py --quick    # about 10 s, noisier

Three applications with the same route (``GET /items`` returning a short text) are
called directly as WSGI applications, each request with a fresh copy of a prebuilt
environ (Flask writes into it) and its response closed, as a server would:

* bare Flask;
* Flask + ``flask_cors_ext.CORS(app, allow_origins=[ORIGIN], allow_credentials=True)``;
* Flask + ``flask_cors.CORS(app, origins=[ORIGIN], supports_credentials=True)``.

Scenarios: an allowed simple ``GET`` with ``Origin``, and a preflight (``OPTIONS`` with
``Access-Control-Request-Method: PUT`` and ``-Headers: content-type,x-token``), which
bare Flask answers with its automatic ``OPTIONS`` response.  A fourth application adds
a ``@cross_origin`` view, so that preflights are routed to find the view's policy.

Repeats of all scenarios are interleaved in shuffled rounds; the MEDIAN is reported.
The table printed at the end is a reStructuredText simple table for README.rst.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import flask_cors  # type: ignore[import-untyped]
from flask import Flask
from werkzeug.test import EnvironBuilder

import flask_cors_ext

ORIGIN = "https://app.example.com"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def make_app(kind: str) -> Flask:
    app = Flask(f"bench_{kind}")

    @app.route("/items", methods=["GET", "PUT"])
    def items() -> str:
        return "items"

    if kind == "ours":
        flask_cors_ext.CORS(app, allow_origins=[ORIGIN], allow_credentials=True)
    elif kind == "ours-decorated":

        @app.route("/special", methods=["GET", "PUT"])
        @flask_cors_ext.cross_origin(allow_origins=["https://partner.example.com"])
        def special() -> str:
            return "special"

        flask_cors_ext.CORS(app, allow_origins=[ORIGIN], allow_credentials=True)
    elif kind == "flask-cors":
        flask_cors.CORS(app, origins=[ORIGIN], supports_credentials=True)
    return app


def environ(method: str, **headers: str) -> dict[str, Any]:
    return EnvironBuilder(path="/items", method=method, headers=headers).get_environ()


GET = environ("GET", Origin=ORIGIN)
PREFLIGHT = environ(
    "OPTIONS",
    Origin=ORIGIN,
    **{"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type,x-token"},
)


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> Callable[[bytes], None]:
    return lambda data: None


def call(app: WSGIApp, template: dict[str, Any]) -> None:
    body = app(dict(template), _start_response)
    close = getattr(body, "close", None)
    if close is not None:
        close()


def check(app: Flask, template: dict[str, Any], expect_cors: bool) -> None:
    """Run once and check the answer, so that nothing fast but wrong is measured."""
    seen: list[tuple[str, dict[str, str]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> Any:
        seen.append((status, dict(headers)))
        return lambda data: None

    body = app(dict(template), start_response)
    getattr(body, "close", lambda: None)()
    status, headers = seen[0]
    assert status.startswith("20"), (app.name, status)
    assert (headers.get("Access-Control-Allow-Origin") == ORIGIN) is expect_cors, (app.name, headers)


class Scenario:
    def __init__(self, app: Flask, template: dict[str, Any]) -> None:
        self.app, self.template, self.n, self.samples = app, template, 1, []

    def run(self, n: int) -> float:
        app, template = self.app, self.template
        start = time.perf_counter()
        for _ in range(n):
            call(app, template)
        return time.perf_counter() - start

    def calibrate(self, seconds: float) -> None:
        while self.run(self.n) < seconds / 4:
            self.n *= 2
        self.n = max(1, int(self.n * seconds / max(self.run(self.n), 1e-9)))

    def repeat(self) -> None:
        self.samples.append(self.run(self.n) / self.n * 1e6)

    @property
    def median_us(self) -> float:
        return statistics.median(self.samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 10 s: 5 repeats of 0.1 s")
    args = parser.parse_args(argv)
    repeats, seconds = (5, 0.1) if args.quick else (9, 0.3)

    apps = {kind: make_app(kind) for kind in ("bare", "ours", "ours-decorated", "flask-cors")}
    for kind, app in apps.items():
        check(app, GET, expect_cors=kind != "bare")
        check(app, PREFLIGHT, expect_cors=kind != "bare")
    scenarios = {
        (kind, what): Scenario(app, env)
        for kind, app in apps.items()
        for what, env in (("get", GET), ("pre", PREFLIGHT))
    }

    gc.collect()
    gc.disable()
    try:
        for scenario in scenarios.values():
            scenario.calibrate(seconds)
        order = list(scenarios.values())
        rng = random.Random(7)
        for _ in range(repeats):
            rng.shuffle(order)
            for scenario in order:
                scenario.repeat()
    finally:
        gc.enable()

    m = {key: scenario.median_us for key, scenario in scenarios.items()}
    bare_get, bare_pre = m["bare", "get"], m["bare", "pre"]

    def added(kind: str) -> float:
        return m[kind, "get"] - bare_get

    rows = [
        ("bare Flask: GET, absolute", f"{bare_get:.1f} µs", f"{bare_get:.1f} µs", "baseline", "n/a"),
        (
            "GET added cost (% of bare GET)",
            f"{added('ours'):.2f} µs ({added('ours') / bare_get:.0%})",
            f"{added('flask-cors'):.2f} µs ({added('flask-cors') / bare_get:.0%})",
            "<= 10%",
            "yes" if added("ours") <= 0.10 * bare_get else "NO",
        ),
        ("bare Flask: automatic OPTIONS, absolute", f"{bare_pre:.1f} µs", f"{bare_pre:.1f} µs", "baseline", "n/a"),
        (
            "preflight (x bare OPTIONS)",
            f"{m['ours', 'pre']:.2f} µs ({m['ours', 'pre'] / bare_pre:.2f}x)",
            f"{m['flask-cors', 'pre']:.2f} µs ({m['flask-cors', 'pre'] / bare_pre:.2f}x)",
            "<= 0.25x",
            "yes" if m["ours", "pre"] <= 0.25 * bare_pre else "NO",
        ),
        (
            "preflight, app with a @cross_origin view",
            f"{m['ours-decorated', 'pre']:.2f} µs ({m['ours-decorated', 'pre'] / bare_pre:.2f}x)",
            "n/a",
            "<= 0.25x",
            "yes" if m["ours-decorated", "pre"] <= 0.25 * bare_pre else "NO",
        ),
    ]
    header = ("scenario", "flask_cors_ext", "flask-cors", "target", "met?")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    rule = "  ".join("=" * w for w in widths)
    print(f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, {len(os_cpus())} CPUs")
    print(f"Median of {repeats} interleaved repeats of >= {seconds} s each.\n")
    print(rule)
    for index, row in enumerate((header, *rows)):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            print(rule)
    print(rule)
    return 0


def os_cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))


if __name__ == "__main__":
    sys.exit(main())
