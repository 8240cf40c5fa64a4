"""Run every snippet the documentation shows and check that it behaves as the text says.

``python docs/snippets/check_snippets.py`` (``tox -e docs`` runs it before building).
Each snippet is imported from its file, exactly as the pages include it, and driven
with Werkzeug's test client; no network, no server.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from werkzeug.test import Client

HERE = Path(__file__).resolve().parent
APP = "https://app.example.com"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_snippet_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def get(app: Any, path: str, origin: str | None = None) -> Any:
    headers = {"Origin": origin} if origin else {}
    return Client(app).get(path, headers=headers)


def preflight(app: Any, path: str, origin: str, method: str, headers: str | None = None) -> Any:
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        request_headers["Access-Control-Request-Headers"] = headers
    return Client(app).options(path, headers=request_headers)


def allowed(response: Any, origin: str, credentials: bool) -> None:
    assert response.headers.get("Access-Control-Allow-Origin") == origin, response.headers
    assert response.headers.get("Access-Control-Allow-Credentials") == ("true" if credentials else None)


def refused(response: Any) -> None:
    assert "Access-Control-Allow-Origin" not in response.headers, response.headers


def check_wsgi_app() -> None:
    app = load("wsgi_app").app
    response = get(app, "/", "http://localhost:3000")
    allowed(response, "http://localhost:3000", credentials=True)
    assert response.headers["Vary"] == "Origin"
    answer = preflight(app, "/", APP, "PUT", "content-type,authorization")
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Max-Age"] == "600"
    refused(get(app, "/", "https://evil.example"))
    assert preflight(app, "/", APP, "PUT", "x-token").status_code == 403


def check_flask_app_wide() -> None:
    app = load("flask_app_wide").app
    allowed(get(app, "/api/items", APP), APP, credentials=True)
    assert preflight(app, "/api/items", APP, "DELETE", "content-type").status_code == 204
    refused(get(app, "/api/items", "https://evil.example"))
    allowed(get(app, "/nothing-here", APP), APP, credentials=True)  # a 404 keeps its CORS headers


def check_flask_blueprint() -> None:
    app = load("flask_blueprint").app
    partner = "https://partner.example.com"
    allowed(get(app, "/partners/orders", partner), partner, credentials=False)
    assert preflight(app, "/partners/orders", partner, "GET", "x-partner-key").status_code == 204
    assert preflight(app, "/partners/orders", partner, "GET", "x-other").status_code == 403
    refused(get(app, "/partners/orders", APP))
    refused(get(app, "/health", partner))


def check_flask_per_route() -> None:
    app = load("flask_per_route").app
    allowed(get(app, "/api/items", APP), APP, credentials=True)
    refused(get(app, "/api/items", "https://anyone.example"))
    allowed(get(app, "/api/status", "https://anyone.example"), "*", credentials=False)


def check_flask_factory() -> None:
    module = load("flask_factory")
    production = module.create_app()
    development = module.create_app({"CORS_ALLOW_ORIGINS": ["http://localhost:3000"]})
    allowed(get(production, "/api/profile", APP), APP, credentials=True)
    refused(get(production, "/api/profile", "http://localhost:3000"))
    allowed(get(development, "/api/profile", "http://localhost:3000"), "http://localhost:3000", credentials=True)
    refused(get(development, "/api/profile", APP))
    answer = preflight(production, "/api/profile", APP, "GET", "authorization")
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Headers"] == "Content-Type, Authorization"


def check_tenants() -> None:
    module = load("tenants")
    app = module.app
    lookups: list[str] = []
    cache = app.policy.allow_origin_func
    real_lookup = cache.lookup
    cache.lookup = lambda origin: lookups.append(origin) or real_lookup(origin)
    allowed(get(app, "/", "https://acme.example.com"), "https://acme.example.com", credentials=True)
    allowed(get(app, "/", "https://acme.example.com"), "https://acme.example.com", credentials=True)
    assert preflight(app, "/", "https://acme.example.com", "PUT").status_code == 204
    assert lookups == ["https://acme.example.com"], lookups  # one query, then the cache answers
    allowed(get(app, "/", APP), APP, credentials=True)
    assert lookups == ["https://acme.example.com"], lookups  # a listed origin never reaches the function
    refused(get(app, "/", "https://evil.example"))
    refused(get(app, "/", "https://ACME.example.com"))  # not how a browser writes it: never looked up
    assert lookups == ["https://acme.example.com", "https://evil.example"], lookups


def check_resources() -> None:
    app = load("resources").app
    admin = "https://admin.example.com"
    allowed(get(app, "/api/items", APP), APP, credentials=True)
    refused(get(app, "/api/admin/users", APP))
    allowed(get(app, "/api/admin/users", admin), admin, credentials=True)
    allowed(get(app, "/reports/12.csv", "https://bi.example.com"), "https://bi.example.com", credentials=True)
    refused(get(app, "/reports/12.csv.bak", "https://bi.example.com"))
    allowed(get(app, "/public/logo.png", "https://anyone.example"), "*", credentials=False)
    for path in ("/health", "/api", "/apiary"):
        response = get(app, path, APP)
        refused(response)
        assert "Vary" not in response.headers, path  # not covered: untouched
    answer = preflight(app, "/api/items", APP, "PUT")
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Max-Age"] == "600"


def main() -> int:
    checks = [value for name, value in sorted(globals().items()) if name.startswith("check_")]
    for check in checks:
        check()
    print(f"docs snippets behave as documented ({len(checks)} snippet files checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
