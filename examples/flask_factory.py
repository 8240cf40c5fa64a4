"""Flask application factory: ``cors = CORS()`` once, ``cors.init_app(app)`` per application.

``create_app(env)`` builds the application for one environment; the CORS policy is
plain configuration (``CORS_*`` keys) chosen per environment:

``dev``   the front-end's dev server ``http://localhost:3000``, with cookies; refused
          preflights explain themselves (``CORS_DEBUG``), and no preflight caching.
``prod``  the origins listed in the ``ALLOWED_ORIGINS`` environment variable (comma
          separated), with cookies; start-up fails with a clear message when it is missing.
``test``  any port of ``http://localhost`` (test suites start front-ends on free ports).

The environment is ``create_app``'s argument, else ``--env``, else ``APP_ENV`` (``dev``).
Run it on 127.0.0.1 (port 5000 unless ``--port`` says otherwise)::

    python examples/flask_factory.py --env dev
    ALLOWED_ORIGINS=https://app.example.com,https://admin.example.com python examples/flask_factory.py --env prod
    python examples/flask_factory.py --env prod          # fails: ALLOWED_ORIGINS is not set

    # through the flask command: it finds create_app() (APP_ENV picks the environment),
    # or calls it the way you write it
    APP_ENV=dev flask --app examples/flask_factory run
    flask --app "examples/flask_factory:create_app('test')" run

Then try it with curl::

    # dev: the front-end's origin, with credentials.
    curl -i -H "Origin: http://localhost:3000" http://127.0.0.1:5000/api/profile

    # dev: a preflight asking for a header the API does not allow: with CORS_DEBUG the
    # answer is 200 with the body naming the header (the browser console names it too).
    curl -i -X OPTIONS -H "Origin: http://localhost:3000" -H "Access-Control-Request-Method: GET" \\
         -H "Access-Control-Request-Headers: x-debug-token" http://127.0.0.1:5000/api/profile

    # prod: a listed origin gets its own name back; any other gets no CORS headers.
    curl -i -H "Origin: https://admin.example.com" http://127.0.0.1:5000/api/profile
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from flask_cors_ext import CORS

ENVIRONMENTS = ("dev", "prod", "test")

#: The extension, created once; bound to each application by ``init_app``.
cors = CORS()

api = Blueprint("api", __name__, url_prefix="/api")


@api.get("/profile")
def profile() -> ResponseReturnValue:
    return jsonify(name="Ada", plan="pro"), 200, {"X-Request-Id": "42"}


@api.get("/health")
def health() -> ResponseReturnValue:
    return jsonify(status="ok")


class ConfigurationError(RuntimeError):
    """A setting the chosen environment needs is missing or wrong."""


def allowed_origins_from(environ: Mapping[str, str]) -> list[str]:
    """The origins in ``ALLOWED_ORIGINS`` (comma separated); a clear error when there are none."""
    raw = environ.get("ALLOWED_ORIGINS", "")
    origins = [origin.strip() for origin in raw.split(",") if origin.strip()]
    if not origins:
        state = "is not set" if "ALLOWED_ORIGINS" not in environ else "is empty"
        raise ConfigurationError(
            f"ALLOWED_ORIGINS {state}: the prod environment needs the origins of the web pages allowed "
            "to call this API, comma separated, e.g. "
            "ALLOWED_ORIGINS=https://app.example.com,https://admin.example.com"
        )
    return origins


def settings_for(env: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """The Flask configuration (``CORS_*`` keys included) of one environment."""
    common: dict[str, Any] = {
        "CORS_ALLOW_CREDENTIALS": True,
        "CORS_ALLOW_HEADERS": ["Content-Type", "Authorization"],
        "CORS_EXPOSE_HEADERS": ["X-Request-Id"],
    }
    if env == "dev":
        return {**common, "CORS_ALLOW_ORIGINS": ["http://localhost:3000"], "CORS_DEBUG": True, "CORS_MAX_AGE": 0}
    if env == "prod":
        return {**common, "CORS_ALLOW_ORIGINS": allowed_origins_from(environ), "CORS_MAX_AGE": 7200}
    if env == "test":
        return {**common, "TESTING": True, "CORS_ALLOW_ORIGINS": ["http://localhost:*"]}
    raise ConfigurationError(f"unknown environment {env!r}: choose one of {', '.join(ENVIRONMENTS)}")


def create_app(env: str | None = None, environ: Mapping[str, str] | None = None) -> Flask:
    """The application for ``env`` (default: ``APP_ENV``, else ``dev``).

    ``environ`` is where settings such as ``ALLOWED_ORIGINS`` are read (``os.environ``
    by default).  A bad CORS setting fails here, at start-up, with
    :class:`cors_wsgi.CORSConfigError`; a missing one with :class:`ConfigurationError`.
    """
    environ = os.environ if environ is None else environ
    env = env or environ.get("APP_ENV", "dev")
    app = Flask(__name__)
    app.config.from_mapping(settings_for(env, environ), APP_ENV=env)
    app.register_blueprint(api)
    cors.init_app(app)  # reads this application's CORS_* keys
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--env", choices=ENVIRONMENTS, help="the environment (default: $APP_ENV, else dev)")
    parser.add_argument("--port", type=int, default=5000, help="port on 127.0.0.1 (default 5000; 0 picks a free one)")
    args = parser.parse_args(argv)
    try:
        app = create_app(args.env)
    except ConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    app.run(host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
