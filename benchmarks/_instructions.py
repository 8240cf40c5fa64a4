"""Instructions per call, counted with callgrind: the measure a shared machine cannot blur.

A case (a callable making one request) is built and called twice in a fresh interpreter
under ``valgrind --tool=callgrind``; then, with the garbage collector off, it is called N
times from inside one C function, ``collections.deque(itertools.starmap(case, ...),
maxlen=0)``, and callgrind counts only what runs inside that function
(``--collect-atstart=no --toggle-collect=deque_extend``): start-up, imports, building the
case and its warming calls are never counted.  "Collected" / N is the count per call; it
includes the loop's own step, a few dozen instructions, the same for every case (so the
difference between two cases is exact).  ``PYTHONHASHSEED=0`` and no address-space
randomization (``setarch -R``: CPython's attribute caches are indexed by object
addresses) make the count the same to the instruction from one run to the next, whatever
the machine's load; so cases may run in parallel.

A benchmark script using this module accepts ``--loop CASE N`` and calls :func:`run_loop`.
"""

from __future__ import annotations

import concurrent.futures
import gc
import os
import platform
import re
import shutil
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterable
from itertools import repeat, starmap

__all__ = ["available", "collected", "per_call_many", "run_loop"]


def available() -> bool:
    """Whether valgrind is installed (``apt-get install -y valgrind``)."""
    return shutil.which("valgrind") is not None


def _command(script: str, case: str, calls: int) -> list[str]:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", "--collect-atstart=no"]
    command += ["--toggle-collect=deque_extend", sys.executable, script, "--loop", case, str(calls)]
    if shutil.which("setarch") is not None:
        command = ["setarch", platform.machine(), "-R", *command]
    return command


def collected(script: str, case: str, calls: int) -> int:
    """callgrind's count for ``calls`` calls of ``case`` (``python script --loop case calls``)."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    result = subprocess.run(_command(script, case, calls), capture_output=True, text=True, check=False, env=env)
    match = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or match is None:
        raise RuntimeError(f"{case}: callgrind run failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return int(match.group(1))


def per_call_many(script: str, cases: Iterable[str], calls: int, jobs: int = 2) -> dict[str, float]:
    """Instructions per call of every case, ``jobs`` callgrind processes at a time.

    Each case is first run once without valgrind, so that every module is compiled to
    bytecode (and checked to run) before anything is counted.
    """
    names = list(dict.fromkeys(cases))
    for name in names:
        subprocess.run([sys.executable, script, "--loop", name, "1"], check=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {name: pool.submit(collected, script, name, calls) for name in names}
        counts = {}
        for name, future in futures.items():
            counts[name] = future.result() / calls
            print(f"  {name}: {counts[name]:,.0f}", file=sys.stderr, flush=True)
    return counts


def run_loop(request: Callable[[], object], count: int) -> None:
    """Call ``request`` twice (warming), then ``count`` times inside ``deque_extend`` with GC off."""
    request()
    request()
    gc.collect()
    gc.disable()
    deque(starmap(request, repeat((), count)), maxlen=0)
