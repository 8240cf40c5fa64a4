"""Flask: one policy for the whole application."""

from flask import Flask

from flask_cors_ext import CORS

app = Flask(__name__)
CORS(app, allow_origins=["https://app.example.com"], allow_credentials=True)


@app.get("/api/items")
def items():
    return {"items": ["apple", "pear"]}
