"""Flask application factory: one CORS() object, bound to each application by init_app."""

from flask import Flask

from flask_cors_ext import CORS

cors = CORS(allow_headers=["Content-Type", "Authorization"])  # options common to every app


def create_app(config=None):
    app = Flask(__name__)
    app.config["CORS_ALLOW_ORIGINS"] = ["https://app.example.com"]  # CORS_* keys are options too
    app.config["CORS_ALLOW_CREDENTIALS"] = True
    app.config.from_mapping(config or {})  # e.g. {"CORS_ALLOW_ORIGINS": ["http://localhost:3000"]}

    @app.get("/api/profile")
    def profile():
        return {"name": "Ada"}

    cors.init_app(app)  # reads the CORS_* keys and validates the policy now
    return app
