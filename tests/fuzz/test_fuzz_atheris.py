"""Run each atheris target (``atheris_targets.py``) for a bounded time, in its own process.

libFuzzer ends the process when it stops, so each target runs in a subprocess; the
time is ``CORS_FUZZ_SECONDS`` (default 45) split across the targets.  Skipped, with the
reason, where atheris is not installed (it has wheels for Linux x86_64 only).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip(
    "atheris",
    reason="atheris is not installed (wheels exist for Linux x86_64 only): coverage-guided fuzzing skipped",
)

HERE = Path(__file__).parent
# Seeds of each target's corpus (the targets themselves are in atheris_targets.py).
SEEDS = {
    "request_origin": [
        "https://a.example.com",
        "http://localhost:3000",
        "http://[::1]:8080",
        "null",
        "https://a.b:443",
    ],
    "configured_origin": [
        "https://*.example.com:*",
        "HTTPS://Shop.Example.COM:443/",
        "https://bücher.example",
        "http://[::1]:*",
        "https://a.example.com/path",
    ],
    "request_headers": ["content-type,x-token", " X-Token ,\tAccept,,x-token", "x token", ",,,,"],
}
TARGETS = sorted(SEEDS)
SECONDS = max(3, int(os.environ.get("CORS_FUZZ_SECONDS", "45")) // len(TARGETS))
DICTIONARY = [
    '"https://"',
    '"http://"',
    '":*"',
    '"*."',
    '"["',
    '"]"',
    '"null"',
    '"xn--"',
    '","',
    '" "',
    '"\\x09"',
    '":443"',
]


@pytest.mark.parametrize("target", TARGETS)
def test_atheris_target(target: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for index, seed in enumerate(SEEDS[target]):
        (corpus / f"seed{index}").write_bytes(seed.encode("utf-8"))
    dictionary = tmp_path / "cors.dict"
    dictionary.write_text("\n".join(DICTIONARY) + "\n")
    command = [
        sys.executable,
        str(HERE / "atheris_targets.py"),
        target,
        f"-max_total_time={SECONDS}",
        "-max_len=4096",
        "-timeout=10",
        "-rss_limit_mb=2048",
        f"-dict={dictionary}",
        f"-artifact_prefix={tmp_path}/",
        "-print_final_stats=1",
        str(corpus),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS + 120, check=False)
    output = result.stdout + result.stderr
    crashes = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-")))
    assert result.returncode == 0 and not crashes, f"{target}: exit {result.returncode}, {crashes}\n{output[-6000:]}"
    runs = [line for line in output.splitlines() if line.startswith("Done ")]
    print(f"atheris {target}: {runs[-1] if runs else output[-300:]}")
