"""Benchmark of the Flask extension against bare Flask and flask-cors, in one process.

Run from the repository root (``pip install -e ".[test,bench]"`` first)::

    python benchmarks/bench_flask.py            # about 2 minutes
    python benchmarks/bench_flask.py --quick    # about 30 s, noisier

Three applications with the same route (``GET /items`` returning a short text) are
called directly as WSGI applications, each request with a fresh copy of a prebuilt
environ (Flask writes into it) and its response closed, as a server would:

* bare Flask;
* Flask + ``flask_cors_ext.CORS(app, allow_origins=[ORIGIN], allow_credentials=True)``;
* Flask + ``flask_cors_ext.compat.CORS(app, origins=[ORIGIN], supports_credentials=True)``
  (flask-cors's API and header forms on this library's engine);
* Flask + ``flask_cors.CORS(app, origins=[ORIGIN], supports_credentials=True)``.

Scenarios: an allowed simple ``GET`` with ``Origin``; the same from a refused origin and
without ``Origin``; a preflight (``OPTIONS`` with ``Access-Control-Request-Method: PUT`` and
``-Headers: content-type,x-token``), which bare Flask answers with its automatic ``OPTIONS``
response; a preflight whose ``Access-Control-Request-Headers`` is 8 KiB of commas; and the
allowed ``GET`` with 100, 1,000 and 10,000 allowed origins (the requesting one listed last).
Another application adds a ``@cross_origin`` view, so that preflights are routed to find
the view's policy.

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
from flask_cors_ext import compat

ORIGIN = "https://app.example.com"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


ORIGIN_COUNTS = (1, 100, 1_000, 10_000)


def origin_list(count: int) -> list[str]:
    """``count`` allowed origins, ORIGIN the last one (a list scan pays for all of them)."""
    return [f"https://app{i}.example.com" for i in range(count - 1)] + [ORIGIN]


def make_app(kind: str, origins: int = 1) -> Flask:
    app = Flask(f"bench_{kind}_{origins}")

    @app.route("/items", methods=["GET", "PUT"])
    def items() -> str:
        return "items"

    allowed = origin_list(origins)
    if kind == "ours":
        flask_cors_ext.CORS(app, allow_origins=allowed, allow_credentials=True)
    elif kind == "ours-decorated":

        @app.route("/special", methods=["GET", "PUT"])
        @flask_cors_ext.cross_origin(allow_origins=["https://partner.example.com"])
        def special() -> str:
            return "special"

        flask_cors_ext.CORS(app, allow_origins=allowed, allow_credentials=True)
    elif kind == "compat":
        compat.CORS(app, origins=allowed, supports_credentials=True)
    elif kind == "flask-cors":
        flask_cors.CORS(app, origins=allowed, supports_credentials=True)
    return app


def environ(method: str, **headers: str) -> dict[str, Any]:
    return EnvironBuilder(path="/items", method=method, headers=headers).get_environ()


def preflight(request_headers: str) -> dict[str, Any]:
    return environ(
        "OPTIONS",
        Origin=ORIGIN,
        **{"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": request_headers},
    )


GET = environ("GET", Origin=ORIGIN)
REFUSED = environ("GET", Origin="https://evil.example.net")
NO_ORIGIN = environ("GET")
PREFLIGHT = preflight("content-type,x-token")
HOSTILE = preflight("," * 8192)


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> Callable[[bytes], None]:
    return lambda data: None


def call(app: WSGIApp, template: dict[str, Any]) -> None:
    body = app(dict(template), _start_response)
    close = getattr(body, "close", None)
    if close is not None:
        close()


def check(app: Flask, template: dict[str, Any], expect_cors: bool | None) -> None:
    """Run once and check the answer, so that nothing fast but wrong is measured.

    ``expect_cors``: the allowed origin comes back (True), no ``Access-Control-Allow-Origin``
    at all (False), or anything but a server error (None).
    """
    seen: list[tuple[str, dict[str, str]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> Any:
        seen.append((status, dict(headers)))
        return lambda data: None

    body = app(dict(template), start_response)
    getattr(body, "close", lambda: None)()
    status, headers = seen[0]
    assert not status.startswith("5"), (app.name, status)
    if expect_cors is not None:
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

    contenders = ("ours", "compat", "flask-cors")
    apps: dict[tuple[str, int], Flask] = {
        ("bare", 1): make_app("bare"),
        ("ours-decorated", 1): make_app("ours-decorated"),
    }
    apps.update({(kind, count): make_app(kind, count) for kind in contenders for count in ORIGIN_COUNTS})
    plan: dict[tuple[str, int, str], tuple[dict[str, Any], bool | None]] = {
        ("bare", 1, "get"): (GET, False),
        ("bare", 1, "pre"): (PREFLIGHT, False),
        ("ours-decorated", 1, "pre"): (PREFLIGHT, True),
    }
    for kind in contenders:
        plan[kind, 1, "pre"] = (PREFLIGHT, True)
        # flask-cors sends its only configured origin even to other origins (always_send); a browser refuses
        # it.  compat sends it to requests without Origin only (always_send), as flask-cors does there.
        plan[kind, 1, "refused"] = (REFUSED, False if kind != "flask-cors" else None)
        plan[kind, 1, "no-origin"] = (NO_ORIGIN, False if kind == "ours" else None)
        plan[kind, 1, "hostile"] = (HOSTILE, None)
        for count in ORIGIN_COUNTS:
            plan[kind, count, "get"] = (GET, True)
    scenarios: dict[tuple[str, int, str], Scenario] = {}
    for (kind, count, what), (template, expect) in plan.items():
        check(apps[kind, count], template, expect)
        scenarios[kind, count, what] = Scenario(apps[kind, count], template)

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
    bare_get, bare_pre = m["bare", 1, "get"], m["bare", 1, "pre"]

    def added(kind: str, what: str = "get", count: int = 1) -> float:
        return m[kind, count, what] - bare_get

    def percent(kind: str, what: str) -> str:
        return f"{added(kind, what):.2f} µs ({added(kind, what) / bare_get:.0%})"

    def times_bare_options(kind: str, what: str) -> str:
        return f"{m[kind, 1, what]:.2f} µs ({m[kind, 1, what] / bare_pre:.2f}x)"

    def of_one(kind: str, count: int) -> str:
        return f"{m[kind, count, 'get']:.1f} µs ({m[kind, count, 'get'] / m[kind, 1, 'get']:.2f}x)"

    def within(what: str, limit: float) -> tuple[str, str]:
        """compat's time for a whole request over flask_cors_ext's."""
        ratio = m["compat", 1, what] / m["ours", 1, what]
        return f"{ratio:.2f}x", "yes" if ratio <= limit else "NO"

    compat_get, compat_get_met = within("get", 1.5)
    compat_pre, compat_pre_met = within("pre", 1.5)
    rows = [
        ("bare Flask: GET, absolute", *[f"{bare_get:.1f} µs"] * 3, "baseline", "n/a"),
        (
            "GET added cost (% of bare GET)",
            percent("ours", "get"),
            percent("compat", "get"),
            percent("flask-cors", "get"),
            "<= 10%",
            "yes" if added("ours") <= 0.10 * bare_get else "NO",
        ),
        (
            "refused origin GET added cost",
            percent("ours", "refused"),
            percent("compat", "refused"),
            percent("flask-cors", "refused"),
            "none",
            "n/a",
        ),
        (
            "no-Origin GET added cost",
            percent("ours", "no-origin"),
            percent("compat", "no-origin"),
            percent("flask-cors", "no-origin"),
            "none",
            "n/a",
        ),
        ("bare Flask: automatic OPTIONS, absolute", *[f"{bare_pre:.1f} µs"] * 3, "baseline", "n/a"),
        (
            "preflight (x bare OPTIONS)",
            times_bare_options("ours", "pre"),
            times_bare_options("compat", "pre"),
            times_bare_options("flask-cors", "pre"),
            "<= 0.25x",
            "yes" if m["ours", 1, "pre"] <= 0.25 * bare_pre else "NO",
        ),
        (
            "preflight, app with a @cross_origin view",
            times_bare_options("ours-decorated", "pre"),
            "n/a",
            "n/a",
            "<= 0.25x",
            "yes" if m["ours-decorated", 1, "pre"] <= 0.25 * bare_pre else "NO",
        ),
        (
            "preflight, ACRH 8 KiB of commas",
            times_bare_options("ours", "hostile"),
            times_bare_options("compat", "hostile"),
            times_bare_options("flask-cors", "hostile"),
            "< 50 µs",
            "yes" if m["ours", 1, "hostile"] < 50 else "NO",
        ),
        ("GET, whole request (x flask_cors_ext)", "1.00x", compat_get, "n/a", "<= 1.5x", compat_get_met),
        ("preflight, whole request (x flask_cors_ext)", "1.00x", compat_pre, "n/a", "<= 1.5x", compat_pre_met),
    ]
    for count in ORIGIN_COUNTS[1:]:
        ratio = m["ours", count, "get"] / m["ours", 1, "get"]
        rows.append(
            (
                f"GET, {count:,} origins (x 1 origin)",
                of_one("ours", count),
                of_one("compat", count),
                of_one("flask-cors", count),
                "<= 1.2x",
                "yes" if ratio <= 1.2 else f"NO ({ratio:.2f}x)",
            )
        )
    header = ("scenario", "flask_cors_ext", "compat", "flask-cors", "target", "met?")
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
