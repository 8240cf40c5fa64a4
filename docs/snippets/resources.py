"""One middleware, a different policy per path (resources)."""

import re

from cors_wsgi import CORSMiddleware


def api(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


app = CORSMiddleware(
    api,
    allow_credentials=True,  # the defaults of every entry below...
    max_age=600,
    resources={
        "/api/*": {"allow_origins": ["https://app.example.com"]},
        "/api/admin/*": {"allow_origins": ["https://admin.example.com"]},  # deeper subtree wins
        re.compile(r"/reports/[0-9]+\.csv"): {"allow_origins": ["https://bi.example.com"]},
        "/public/*": {"allow_origins": "*", "allow_credentials": False},  # ...which an entry may override
    },
)
# Paths no pattern covers (/health, /api without a slash) get no CORS handling at all.
