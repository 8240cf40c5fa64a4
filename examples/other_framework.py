"""The same middleware around another WSGI framework: a Bottle application.

Nothing in :mod:`cors_wsgi` knows about Flask: ``CORSMiddleware`` wraps any WSGI
application.  Here it wraps a `Bottle <https://bottlepy.org>`_ app (``pip install
bottle``) that knows nothing about CORS, and covers only ``/api/*`` (``resources``):

* preflights are answered by the middleware, though Bottle itself answers ``OPTIONS``
  with ``405`` (its routes have no ``OPTIONS`` handler);
* Bottle's own error pages (``404``, ``405``) carry the CORS headers of an allowed
  origin, so the page's script sees the real error instead of a CORS failure;
* ``/health`` is outside ``/api/*``: the middleware does not touch it at all.

Run it on 127.0.0.1 (port 8080 unless ``--port`` says otherwise)::

    python examples/other_framework.py

Then try it with curl::

    # Any subdomain of example.com over https is allowed ("https://*.example.com").
    curl -i -H "Origin: https://notes.example.com" http://127.0.0.1:8080/api/notes

    # The preflight of a JSON POST: 204 from the middleware, Bottle is not called.
    curl -i -X OPTIONS -H "Origin: https://notes.example.com" -H "Access-Control-Request-Method: POST" \\
         -H "Access-Control-Request-Headers: content-type" http://127.0.0.1:8080/api/notes
    curl -i -H "Origin: https://notes.example.com" -H "Content-Type: application/json" \\
         -d '{"text": "buy pears"}' http://127.0.0.1:8080/api/notes

    # A look-alike host is not a subdomain of example.com: no CORS headers.
    curl -i -H "Origin: https://notes.example.com.evil.net" http://127.0.0.1:8080/api/notes

    # Bottle's own 404 page, with the CORS headers of the allowed origin.
    curl -i -H "Origin: http://localhost:3000" http://127.0.0.1:8080/api/nothing-here
"""

from __future__ import annotations

import argparse
import itertools
import threading
from typing import Any
from wsgiref.simple_server import make_server

import bottle

from cors_wsgi import CORSMiddleware

notes_app = bottle.Bottle()

_notes: list[dict[str, Any]] = [{"id": 1, "text": "try cors_wsgi with bottle"}]
_notes_lock = threading.Lock()
_next_id = itertools.count(2)


@notes_app.get("/api/notes")
def list_notes() -> dict[str, Any]:
    with _notes_lock:
        notes = list(_notes)
    bottle.response.set_header("X-Total-Count", str(len(notes)))
    return {"notes": notes}


@notes_app.post("/api/notes")
def add_note() -> dict[str, Any]:
    data = bottle.request.json or {}
    note = {"id": next(_next_id), "text": str(data.get("text", ""))}
    with _notes_lock:
        _notes.append(note)
    bottle.response.status = 201
    return note


@notes_app.delete("/api/notes/<note_id:int>")
def delete_note(note_id: int) -> dict[str, Any]:
    with _notes_lock:
        _notes[:] = [note for note in _notes if note["id"] != note_id]
    return {"deleted": note_id}


@notes_app.get("/health")
def health() -> str:
    return "ok"


#: The application to serve: Bottle behind the CORS middleware, which covers /api/* only.
app = CORSMiddleware(
    notes_app,
    resources={
        "/api/*": {
            "allow_origins": ["http://localhost:3000", "https://*.example.com"],
            "allow_methods": ["GET", "POST", "DELETE"],
            "allow_headers": ["Content-Type"],
            "expose_headers": ["X-Total-Count"],
            "max_age": 600,
        },
    },
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (default 8080; 0 picks a free one)")
    args = parser.parse_args(argv)
    # bottle.run(app, host="127.0.0.1", port=8080) works as well; wsgiref directly tells the
    # real port when --port 0 picks one.
    with make_server("127.0.0.1", args.port, app) as server:
        print(f"Serving on http://127.0.0.1:{server.server_port}  (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("\nstopping")


if __name__ == "__main__":
    main()
