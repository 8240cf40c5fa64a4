"""Shared fixtures of the whole test suite (the helpers behind them: ``tests/support.py``).

Being here, at the top of ``tests/``, this file also puts ``tests/`` on ``sys.path`` (pytest's
default ``prepend`` import mode), for every test below it, ``tests/fuzz`` and
``tests/browser`` included: ``import support`` and ``import oracle`` work everywhere.

* ``wsgi_server`` -- ``port = wsgi_server(app)`` serves ``app`` on ``127.0.0.1:port`` with a
  threaded wsgiref server until the test ends (:func:`support.serve_wsgi`, whose keyword
  arguments it takes; for a fixture of a wider scope, use ``serve_wsgi`` itself);
* ``launch`` -- a :class:`support.Launcher`: ``port = launch.start("examples/x.py", "--port",
  "0")`` runs a server command as a subprocess until the test ends, its output in
  ``tmp_path`` and shown if it does not come up.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import Launcher, WSGIApp, serve_wsgi


@pytest.fixture
def wsgi_server() -> Iterator[Callable[..., int]]:
    """Start a threaded loopback WSGI server per call, ``wsgi_server(app, **options) -> port``."""
    with contextlib.ExitStack() as servers:

        def start(app: WSGIApp, **options: Any) -> int:
            return servers.enter_context(serve_wsgi(app, **options))

        yield start


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launcher]:
    """Server commands run as subprocesses, every one stopped when the test ends."""
    launcher = Launcher(tmp_path)
    try:
        yield launcher
    finally:
        launcher.stop_all()
