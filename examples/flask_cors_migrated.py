"""A flask-cors application, switched to this library by changing one import line.

Everything below the import is flask-cors 6 code as it was: ``CORS_*`` config keys,
``resources`` with regular-expression keys and options of their own, and a
``@cross_origin`` view with a regex origin and regex header names.  The answers keep
flask-cors's forms (the origin echoed, ``200`` preflights, sorted lists); what changes is
listed in ``docs/migrating-from-flask-cors.rst`` — here, preflights are answered before
the ``before_request`` hook below (flask-cors let it refuse them with 401).

* ``/api/v1/...``: the front-ends ``http://localhost:3000`` and ``https://app.example.com``,
  with cookies; ``X-Total-Count`` readable by scripts (from the config).
* ``/api/public/...``: any origin, answered with ``*`` (``send_wildcard``).
* ``/widgets/<id>``: its own policy (``@cross_origin``): any ``https://<name>.partner.example``
  site, with ``X-Partner-*`` request headers.

Run it on 127.0.0.1 (port 5000 unless ``--port`` says otherwise)::

    python examples/flask_cors_migrated.py

Then try it with curl::

    curl -i -H "Origin: http://localhost:3000" http://127.0.0.1:5000/api/v1/items
    curl -i -X OPTIONS -H "Origin: https://shop.partner.example" -H "Access-Control-Request-Method: PUT" \\
         -H "Access-Control-Request-Headers: content-type, x-partner-key" http://127.0.0.1:5000/widgets/7
    curl -i -H "Origin: https://anyone.example" http://127.0.0.1:5000/api/public/status
"""

from __future__ import annotations

import argparse

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from flask_cors_ext.compat import CORS, cross_origin  # was: from flask_cors import CORS, cross_origin

ITEMS = [{"id": 1, "name": "apple"}, {"id": 2, "name": "pear"}]

app = Flask(__name__)
app.config["CORS_EXPOSE_HEADERS"] = ["X-Total-Count"]
app.config["CORS_MAX_AGE"] = 600

CORS(
    app,
    resources={
        r"/api/v1/.*": {"origins": ["http://localhost:3000", "https://app.example.com"], "supports_credentials": True},
        r"/api/public/.*": {"origins": "*", "send_wildcard": True},
    },
)


@app.before_request
def require_login() -> ResponseReturnValue | None:
    if request.path.startswith("/api/v1/") and "session" not in request.cookies:
        return jsonify(error="log in first"), 401
    return None


@app.route("/api/v1/items", methods=["GET", "POST"])
def list_items() -> ResponseReturnValue:
    return jsonify(ITEMS), 200, {"X-Total-Count": str(len(ITEMS))}


@app.route("/api/public/status")
def status() -> ResponseReturnValue:
    return jsonify(status="ok")


@app.route("/widgets/<int:widget_id>", methods=["GET", "PUT"])
@cross_origin(
    origins=r"https://[a-z0-9-]+\.partner\.example$",
    methods=["GET", "PUT"],
    allow_headers=["Content-Type", "X-Partner-.*"],
)
def widget(widget_id: int) -> ResponseReturnValue:
    return jsonify(id=widget_id, method=request.method)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, default=5000, help="port on 127.0.0.1 (default 5000; 0 picks a free one)")
    args = parser.parse_args(argv)
    app.run(host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
