"""The origins of the browser tests: names under ``*.localhost`` on one loopback port, fixed at import.

Chromium, Firefox and WebKit all resolve every ``*.localhost`` name to loopback by
themselves (no ``/etc/hosts``, no resolver flags), so one threaded server on
``127.0.0.1:PORT`` serves every origin, dispatching on the ``Host`` header.  The port is
bound when this module is imported (the listening socket is handed to the server fixture
later), so a test module can name its origins as constants, in ``parametrize`` too.

``app.example.localhost`` and ``api.example.localhost`` are cross-origin but same-site
(the site is ``example.localhost``), as a front end and its API usually are: the API's
cookies go along with ``credentials: "include"`` in every engine, third-party cookie
rules or not.  ``*.other.localhost`` is another site.
"""

from __future__ import annotations

import socket

#: Listening since import; the ``server`` fixture serves on it.
LISTENER = socket.create_server(("127.0.0.1", 0))
PORT: int = LISTENER.getsockname()[1]


def origin(name: str) -> str:
    """``http://NAME.localhost:PORT`` — a page or API of the test server."""
    return f"http://{name}.localhost:{PORT}"


API = origin("api.example")
API2 = origin("api2.example")
PAGE = origin("app.example")
PARTNER = origin("partner.example")
EVIL = origin("evil.other")
API_HOSTS = ("api.example.localhost", "api2.example.localhost")
#: ``check --connect-to``: every host and port to the test server (a name under localhost need not resolve).
CONNECT_TO = f"::127.0.0.1:{PORT}"
