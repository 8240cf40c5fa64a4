"""Flask: an application policy, and one view with a policy of its own."""

from flask import Flask

from flask_cors_ext import CORS, cross_origin

app = Flask(__name__)
CORS(app, allow_origins=["https://app.example.com"], allow_credentials=True)


@app.get("/api/items")  # the application's policy
def items():
    return {"items": []}


@app.get("/api/status")
@cross_origin(allow_origins="*", allow_credentials=False)  # below @app.get: public, without cookies
def status():
    return {"status": "ok"}
