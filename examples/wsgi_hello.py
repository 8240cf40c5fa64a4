"""Hello, CORS: a plain WSGI application wrapped by :class:`cors_wsgi.CORSMiddleware`.

Run it with the standard library's ``wsgiref`` server on 127.0.0.1 (the port is the
first argument or ``--port``; 8000 when none is given; 0 picks a free one)::

    python examples/wsgi_hello.py               # http://127.0.0.1:8000
    python examples/wsgi_hello.py 8080          # or: python examples/wsgi_hello.py --port 8080

Then try it with curl::

    # An allowed origin: it is echoed back, with Vary: Origin for caches.
    curl -i -H "Origin: http://localhost:3000" http://127.0.0.1:8000/hello

    # The preflight a browser sends before a PUT with a JSON body and a token: 204, no body.
    curl -i -X OPTIONS -H "Origin: http://localhost:3000" -H "Access-Control-Request-Method: PUT" \\
         -H "Access-Control-Request-Headers: content-type, authorization" http://127.0.0.1:8000/hello

    # An origin that is not listed: the application still answers 200, but without any
    # Access-Control-Allow-Origin the browser keeps the answer from the page's script.
    curl -i -H "Origin: https://evil.example" http://127.0.0.1:8000/hello

    # A preflight for a method that is not allowed: 403, no CORS headers.
    curl -i -X OPTIONS -H "Origin: http://localhost:3000" -H "Access-Control-Request-Method: PATCH" \\
         http://127.0.0.1:8000/hello

``app`` is an ordinary WSGI application, so any WSGI server can serve it.  From the
repository's root, with waitress (``pip install waitress``)::

    waitress-serve --host 127.0.0.1 --port 8000 examples.wsgi_hello:app
    python -c "from waitress import serve; from examples.wsgi_hello import app; serve(app, host='127.0.0.1', port=8000)"

and with gunicorn (``pip install gunicorn``; it imports ``wsgi_hello`` from the
``examples`` folder)::

    cd examples && gunicorn -b 127.0.0.1:8000 wsgi_hello:app
    gunicorn --chdir examples -b 127.0.0.1:8000 wsgi_hello:app     # the same, from the root
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import make_server

from cors_wsgi import CORSMiddleware

DEFAULT_PORT = 8000

_request_ids = itertools.count(1)


def hello_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """``/hello`` greets the calling page; every other path is a JSON 404."""
    if environ.get("PATH_INFO") != "/hello":
        status, payload = "404 Not Found", {"error": "not found", "path": environ.get("PATH_INFO", "")}
    else:
        who = environ.get("HTTP_ORIGIN", "world")
        status, payload = "200 OK", {"message": f"Hello, {who}!", "method": environ["REQUEST_METHOD"]}
    body = json.dumps(payload).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("X-Request-Id", str(next(_request_ids))),
        ],
    )
    return [body]


#: The application to serve: ``hello_app`` behind the CORS middleware.
app = CORSMiddleware(
    hello_app,
    allow_origins=["http://localhost:3000", "https://app.example.com"],
    allow_methods=["GET", "PUT", "DELETE"],
    allow_headers=["Content-Type", "Authorization"],
    expose_headers=["X-Request-Id"],  # lets the page's script read this response header
    max_age=600,  # browsers may reuse a preflight answer for 10 minutes
)


def parse_port(argv: list[str] | None = None) -> int:
    """The port from ``[PORT]`` or ``--port PORT`` (``--port`` wins); 8000 by default."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("port", nargs="?", type=int, help=f"port to listen on (default {DEFAULT_PORT})")
    parser.add_argument("--port", dest="port_option", type=int, metavar="PORT", help="the same, as an option")
    args = parser.parse_args(argv)
    for port in (args.port_option, args.port):
        if port is not None:
            return int(port)
    return DEFAULT_PORT


def main(argv: list[str] | None = None) -> None:
    port = parse_port(argv)
    with make_server("127.0.0.1", port, app) as server:
        print(f"Serving on http://127.0.0.1:{server.server_port}  (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("\nstopping")


if __name__ == "__main__":
    main()
