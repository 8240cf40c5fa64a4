"""Micro-benchmark of choosing a ``resources`` policy from a path: decoding and canonicalizing it.

Run from the repository root (``pip install -e ".[test,bench]"`` first)::

    python benchmarks/bench_paths.py                  # timings, about 40 s
    python benchmarks/bench_paths.py --instructions   # also callgrind instruction counts, ~8 min

For each kind of path — already canonical ASCII (the common case), a ``//`` in it, dot
segments, non-ASCII (as a WSGI server passes it: UTF-8 bytes read as latin-1) — it times
per call, with ``timeit`` (auto-ranged, median of 7 repeats interleaved with every other
case's in shuffled rounds, garbage collector off):

* ``wsgi_path_to_text`` (PEP 3333 latin-1 -> text; ASCII returns at once),
* ``canonical_path``,
* "choose: now": the look-up CORSMiddleware makes, on a table of five ``resources``
  patterns, with the path decoded when not ASCII and made canonical,
* "choose: before": the same table's look-up as it was before (raw ``PATH_INFO``),
* and a bare function call: the loop and call overhead included in every column.

Times on a shared machine wander; ``--instructions`` counts instructions instead, which
does not depend on the load: each case runs N times under ``valgrind --tool=callgrind``,
and the difference in "Collected" from a run of no calls, divided by N, is printed (the
"bare call" column is the loop and call overhead included in every other column).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import timeit
from collections.abc import Callable

import _servers  # benchmarks/_servers.py: the machine and source lines, shared with the other benchmarks

from cors_wsgi import CORSPolicy
from cors_wsgi.resources import ResourceTable, canonical_path, parse_path_pattern, wsgi_path_to_text


def pep3333(text: str) -> str:
    """The PATH_INFO a WSGI server passes for the decoded path ``text``."""
    return text.encode("utf-8").decode("latin-1")


PATHS: dict[str, str] = {
    "canonical ASCII": "/api/v1/items/42",
    "'//' in it": "//api/v1//items/42",
    "dot segments": "/api/./v1/x/../items/42",
    "non-ASCII (PEP 3333)": pep3333("/café/menü/42"),
    "non-ASCII + '//'": pep3333("//café/menü/42"),
}

RESOURCES: dict[object, dict[str, object]] = {
    "/*": {"allow_origins": ["https://shop.example.com"]},
    "/api/*": {"allow_origins": ["https://app.example.com"]},
    "/api/v1/*": {"allow_origins": ["https://v1.example.com"]},
    "/café/*": {"allow_origins": ["https://cafe.example.com"]},
    re.compile(r"/reports/[0-9]+"): {"allow_origins": ["https://reports.example.com"]},
}
POLICY = CORSPolicy(resources=RESOURCES)  # type: ignore[arg-type]


class _TableBefore(ResourceTable[object]):
    """The look-up as it was before paths were decoded and made canonical (verbatim)."""

    __slots__ = ()

    def lookup(self, path: str) -> object | None:
        value = self._exact.get(path)
        if value is not None:
            return value
        for matches, value in self._regexes:  # the bound regex.fullmatch
            if matches(path):
                return value
        subtrees = self._subtrees
        if subtrees:
            end = path.rfind("/")
            while end > 0:
                value = subtrees.get(path[: end + 1])
                if value is not None:
                    return value
                end = path.rfind("/", 0, end)
        return self._everything


ENTRIES = [(parse_path_pattern(key), key) for key in RESOURCES]
TABLE_NOW: ResourceTable[object] = ResourceTable(ENTRIES)
TABLE_BEFORE = _TableBefore(ENTRIES)


def _noop(path: str) -> str:
    return path


def _before(path: str) -> object:
    """The policy choice before: the raw PATH_INFO looked up as it is."""
    return TABLE_BEFORE.lookup(path)


def _now(path: str) -> object:
    """The policy choice now, as CORSMiddleware makes it: decoded only when not ASCII, then
    looked up (the look-up makes it canonical, after three substring tests)."""
    return TABLE_NOW.lookup(path if path.isascii() else wsgi_path_to_text(path))


FUNCTIONS: dict[str, Callable[[str], object]] = {
    "bare call": _noop,
    "wsgi_path_to_text": wsgi_path_to_text,
    "canonical_path": canonical_path,
    "choose: before": _before,
    "choose: now": _now,
}


def time_per_call_ns(repeats: int) -> dict[tuple[str, str], float]:
    """Median ns per call of every (function, path) case.

    Each case is auto-ranged once (a repeat of at least 0.2 s); then the repeats are
    interleaved, every round running one repeat of every case in a shuffled order (fixed
    seed) with the garbage collector off, as bench_core.py does, so that the slow phases
    of a shared machine fall on all cases alike.
    """
    timers = {
        (name, path_name): timeit.Timer("f(p)", globals={"f": function, "p": path})
        for name, function in FUNCTIONS.items()
        for path_name, path in PATHS.items()
    }
    return _servers.interleaved_medians(timers, repeats)  # type: ignore[return-value]


def check() -> None:
    """The cases mean what their names say (and each spelling gets its canonical path's policy)."""
    assert canonical_path(PATHS["canonical ASCII"]) is PATHS["canonical ASCII"]
    for name, path in PATHS.items():
        text = wsgi_path_to_text(path)
        assert (text == path) == path.isascii(), name
        assert POLICY.compiled_for_path(text) is POLICY.compiled_for_path(canonical_path(text)), name
    assert _now(PATHS["'//' in it"]) == _now(PATHS["canonical ASCII"]) == "/api/v1/*"
    assert _now(PATHS["non-ASCII (PEP 3333)"]) == "/café/*"
    assert _before(PATHS["non-ASCII (PEP 3333)"]) == "/*"  # the bug this measures the fix of


def loop(function_name: str, path_name: str, n: int) -> None:
    """Run one case ``n`` times (for callgrind)."""
    function, path = FUNCTIONS[function_name], PATHS[path_name]
    for _ in range(n):
        function(path)


def collected(function_name: str, path_name: str, count: int) -> int:
    """callgrind's instruction total for a process that runs one case ``count`` times.

    ``PYTHONHASHSEED=0`` makes the count repeatable to the instruction; each run takes
    10-20 s (the interpreter and the imports under valgrind).
    """
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__]
    command += ["--loop", function_name, path_name, str(count)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    result = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    match = re.search(r"Collected : (\d+)", result.stderr)
    if match is None:
        raise RuntimeError(f"no 'Collected' line from callgrind:\n{result.stderr[-2000:]}")
    return int(match.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7, help="timeit repeats per case (median reported)")
    parser.add_argument("--instructions", action="store_true", help="also count instructions with callgrind")
    parser.add_argument("--calls", type=int, default=20_000, help="calls per callgrind run (default 20,000)")
    parser.add_argument("--loop", nargs=3, metavar=("FUNCTION", "PATH", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.loop:
        loop(args.loop[0], args.loop[1], int(args.loop[2]))
        return 0
    check()
    print(_servers.machine_line())
    print(_servers.source_line())
    print()
    names = list(FUNCTIONS)
    width = max(map(len, PATHS))
    print(f"{'ns per call':<{width}}  " + "  ".join(f"{name:>20}" for name in names))
    medians = time_per_call_ns(args.repeats)
    for path_name in PATHS:
        cells = [f"{medians[name, path_name]:20.0f}" for name in names]
        print(f"{path_name:<{width}}  " + "  ".join(cells))
    if args.instructions:
        if shutil.which("valgrind") is None:
            print("\nvalgrind is not installed: apt-get install -y valgrind", file=sys.stderr)
            return 1
        zero = collected("bare call", "canonical ASCII", 0)  # start-up and imports: the same for every case
        print(f"\ninstructions per call (callgrind: a run of {args.calls:,} calls minus a run of none)")
        print(f"{'':<{width}}  " + "  ".join(f"{name:>20}" for name in names), flush=True)
        for path_name in PATHS:
            cells = [f"{(collected(name, path_name, args.calls) - zero) / args.calls:20.0f}" for name in names]
            print(f"{path_name:<{width}}  " + "  ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
