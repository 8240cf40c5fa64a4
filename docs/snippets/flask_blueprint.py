"""Flask: a policy for one blueprint's routes only."""

from flask import Blueprint, Flask

from flask_cors_ext import CORS

partners = Blueprint("partners", __name__, url_prefix="/partners")
CORS(partners, allow_origins=["https://partner.example.com"], allow_headers=["X-Partner-Key"])


@partners.get("/orders")
def orders():
    return {"orders": []}


app = Flask(__name__)
app.register_blueprint(partners)


@app.get("/health")  # not in the blueprint, and there is no CORS(app): no CORS headers here
def health():
    return "ok"
