"""A real uvicorn server for tests: an ASGI application served on a free 127.0.0.1 port, in a thread.

Used by ``test_asgi_servers.py`` and the browser suite.  The socket is bound here (port 0,
loopback only) and handed to uvicorn, so the port is known before the server starts;
uvicorn's own logging configuration is left alone (``log_config=None``), so that pytest
keeps capturing its records.  Stopping sets ``should_exit`` and joins the thread, bounded.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

START_TIMEOUT = 15.0


@contextmanager
def serving(app: Any, root_path: str = "", lifespan: str = "auto") -> Iterator[int]:
    """Serve ``app`` with uvicorn on ``127.0.0.1`` in a thread; yield the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, root_path=root_path, lifespan=lifespan
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn-test-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
