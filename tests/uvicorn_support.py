"""A real uvicorn server for tests -- now :func:`support.serve_asgi`; this name stays for its callers.

``from uvicorn_support import serving`` (``test_asgi_servers.py``, the browser suite) is
``support.serve_asgi``: an ASGI application served on a free 127.0.0.1 port, in a thread;
the port is yielded.  New code imports ``serve_asgi`` from ``support`` directly.
"""

from __future__ import annotations

from support import serve_asgi

serving = serve_asgi

__all__ = ["serving"]
