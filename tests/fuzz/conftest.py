"""The fuzz suite: hypothesis properties with large budgets, and atheris targets.

Run by ``tox -e fuzz`` (which sets ``CORS_FUZZ=1``, about 4 minutes on 2 CPUs); the default
``python -m pytest`` collects nothing here (a file named explicitly still runs).  Budgets are
per test (``fuzz_support.budget``), measured to fit, and scaled by ``CORS_FUZZ_SCALE``
(default 1.0; e.g. ``CORS_FUZZ_SCALE=10 tox -e fuzz`` for a long run); atheris runs
``CORS_FUZZ_SECONDS`` in all (default 45), split across its targets.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator

import pytest
from fuzz_support import LogChecker
from hypothesis import HealthCheck, settings

ENABLED = os.environ.get("CORS_FUZZ") == "1"

if not ENABLED:
    # Not collected at all: the default run stays fast.
    collect_ignore_glob = ["test_*.py"]

settings.register_profile(
    "fuzz",
    max_examples=20_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)

if ENABLED:
    settings.load_profile("fuzz")
    # On a failure Hypothesis imports libcst to suggest a patch, whose import warns; with the
    # repository's ``filterwarnings = error`` that would hide the real failure.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with contextlib.suppress(ImportError):
            import hypothesis.extra._patching  # noqa: F401


@pytest.fixture
def log_checker() -> Iterator[LogChecker]:
    """Every ``cors_wsgi`` record, DEBUG included, formatted and checked; none is kept or printed."""
    logger = logging.getLogger("cors_wsgi")
    checker = LogChecker()
    saved = logger.level, logger.propagate
    logger.addHandler(checker)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield checker
    finally:
        logger.removeHandler(checker)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
