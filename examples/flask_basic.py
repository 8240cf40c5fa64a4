"""Flask: one application policy from ``CORS_*`` config, a view with its own, a blueprint with its own.

* ``/api/items``: the application's policy, read from the ``CORS_*`` config keys by
  ``CORS(app)``: the front-ends ``http://localhost:3000`` and ``https://app.example.com``,
  with cookies, ``X-Total-Count`` readable by scripts.
* ``/api/status``: ``@cross_origin(...)`` makes it public (any origin, no cookies).
* ``/partners/...``: the ``partners`` blueprint, ``CORS(partners, ...)``: only
  ``https://partner.example.com``, which must send an ``X-Partner-Key`` header (a
  ``before_request`` hook answers 401 without it).

Run it on 127.0.0.1 (port 5000 unless ``--port`` says otherwise)::

    python examples/flask_basic.py
    flask --app examples/flask_basic run            # the same app, through the flask command

Then try it with curl::

    # The application's policy: the origin is echoed, with credentials.
    curl -i -H "Origin: http://localhost:3000" http://127.0.0.1:5000/api/items

    # The decorated view: a public '*' for any origin.
    curl -i -H "Origin: https://anyone.example" http://127.0.0.1:5000/api/status

    # The blueprint: the partner's preflight is answered 204 before the 401 hook could run...
    curl -i -X OPTIONS -H "Origin: https://partner.example.com" -H "Access-Control-Request-Method: POST" \\
         -H "Access-Control-Request-Headers: x-partner-key, content-type" http://127.0.0.1:5000/partners/orders
    # ...and the hook's 401 carries the CORS headers, so the page can read the real error.
    curl -i -H "Origin: https://partner.example.com" http://127.0.0.1:5000/partners/orders
    # The application's front-end is not the partner: no Access-Control-Allow-Origin here.
    curl -i -H "Origin: http://localhost:3000" -H "X-Partner-Key: k" http://127.0.0.1:5000/partners/orders

    # What applies where (the flask command of the extension):
    flask --app examples/flask_basic cors routes
"""

from __future__ import annotations

import argparse
from typing import Any

from flask import Blueprint, Flask, jsonify, request
from flask.typing import ResponseReturnValue

from flask_cors_ext import CORS, cross_origin

ITEMS = [{"id": 1, "name": "apple"}, {"id": 2, "name": "pear"}]

app = Flask(__name__)
# The application-wide policy, as configuration (these could come from a settings file).
app.config.from_mapping(
    CORS_ALLOW_ORIGINS=["http://localhost:3000", "https://app.example.com"],
    CORS_ALLOW_CREDENTIALS=True,
    CORS_EXPOSE_HEADERS=["X-Total-Count"],
    CORS_MAX_AGE=600,
)


@app.get("/api/items")
def list_items() -> ResponseReturnValue:
    return jsonify(ITEMS), 200, {"X-Total-Count": str(len(ITEMS))}


@app.post("/api/items")
def add_item() -> ResponseReturnValue:
    data: dict[str, Any] = request.get_json(silent=True) or {}
    item = {"id": len(ITEMS) + 1, "name": str(data.get("name", "unnamed"))}
    return jsonify(item), 201


@app.get("/api/status")
@cross_origin(allow_origins="*", allow_credentials=False)  # public: any page may read it, never with cookies
def status() -> ResponseReturnValue:
    return jsonify(status="ok")


partners = Blueprint("partners", __name__, url_prefix="/partners")
# The blueprint's own origins; what it does not set (credentials, expose_headers,
# max_age) comes from the application's policy.
CORS(
    partners,
    allow_origins=["https://partner.example.com"],
    allow_methods=["GET", "POST"],
    allow_headers=["X-Partner-Key", "Content-Type"],
)


@partners.before_request
def require_partner_key() -> ResponseReturnValue | None:
    if not request.headers.get("X-Partner-Key"):
        return jsonify(error="X-Partner-Key header required"), 401
    return None


@partners.route("/orders", methods=["GET", "POST"])
def orders() -> ResponseReturnValue:
    if request.method == "POST":
        return jsonify(created=True), 201
    return jsonify(orders=[{"id": 7, "partner": request.headers["X-Partner-Key"]}])


app.register_blueprint(partners)

# Last, once every view and blueprint is registered: CORS(app) reads the CORS_* keys and
# checks every route's merged policy now, so a mistake fails at start-up, not at a request.
CORS(app)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, default=5000, help="port on 127.0.0.1 (default 5000; 0 picks a free one)")
    args = parser.parse_args(argv)
    app.run(host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
