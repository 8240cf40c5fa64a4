"""``flask cors routes``: every URL rule with its effective CORS policy and where that policy came from."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from flask import Blueprint, Flask

from flask_cors_ext import CORS, cross_origin
from flask_cors_ext.cli import cors_command

ORIGIN = "https://app.example.com"
PARTNER = "https://partner.example.com"
ALL_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE"
COLUMNS = ["Rule", "Endpoint", "Origins", "Methods", "Headers", "Credentials", "Max-Age", "Source"]
NO_POLICY = {"Origins": "-", "Methods": "-", "Headers": "-", "Credentials": "-", "Max-Age": "-"}


def cors_routes(app: Flask) -> dict[str, dict[str, str]]:
    """Run ``flask cors routes`` and parse its table: endpoint -> {column: cell}."""
    result = app.test_cli_runner().invoke(args=["cors", "routes"])
    assert result.exit_code == 0, result.output
    return parse_table(result.output)


def parse_table(output: str) -> dict[str, dict[str, str]]:
    header, rule, *lines = output.splitlines()
    assert re.split(r"\s{2,}", header) == COLUMNS
    assert set(rule) == {"-", " "}
    rows: dict[str, dict[str, str]] = {}
    for line in lines:
        row = dict(zip(COLUMNS, re.split(r"\s{2,}", line), strict=True))
        rows[row["Endpoint"]] = row
    return rows


def policy(row: dict[str, str]) -> dict[str, str]:
    """A row without its Rule and Endpoint cells."""
    return {name: value for name, value in row.items() if name not in ("Rule", "Endpoint")}


def full_app() -> Flask:
    """Config, CORS() with resources, a CORS(blueprint), a @cross_origin view and an uncovered route."""
    app = Flask(__name__)
    app.config["CORS_MAX_AGE"] = 100

    @app.route("/api/items/<int:item>")
    def item(item: int) -> str:
        return "item"

    @app.route("/api/special")
    @cross_origin(origins=[PARTNER], max_age=5)
    def special() -> str:
        return "special"

    @app.route("/public/logo")
    def logo() -> str:
        return "logo"

    @app.route("/other")
    def other() -> str:
        return "other"

    admin = Blueprint("admin", __name__, url_prefix="/admin")

    @admin.route("/panel", methods=["GET", "POST"])
    def panel() -> str:
        return "panel"

    CORS(admin, origins=[PARTNER], supports_credentials=True, allow_headers=["X-Token", "Authorization"])
    app.register_blueprint(admin)
    CORS(
        app,
        resources={
            "/api/*": {"allow_origins": [ORIGIN], "allow_methods": ["GET", "PUT"]},
            "/public/*": {"allow_origins": "*"},
        },
    )
    return app


def test_table_lists_every_rule_with_its_policy_and_source() -> None:
    rows = cors_routes(full_app())
    assert sorted(rows) == ["admin.panel", "item", "logo", "other", "special", "static"]
    assert rows["item"] == {
        "Rule": "/api/items/<int:item>",
        "Endpoint": "item",
        "Origins": ORIGIN,
        "Methods": "GET, PUT",
        "Headers": "*",
        "Credentials": "no",
        "Max-Age": "100",  # from CORS_MAX_AGE
        "Source": "resource '/api/*'",
    }
    assert policy(rows["logo"]) == {
        "Origins": "*",
        "Methods": ALL_METHODS,
        "Headers": "*",
        "Credentials": "no",
        "Max-Age": "100",
        "Source": "resource '/public/*'",
    }
    assert policy(rows["special"]) == {
        "Origins": PARTNER,
        "Methods": "GET, PUT",  # inherited from the resource '/api/*' covering the view
        "Headers": "*",
        "Credentials": "no",
        "Max-Age": "5",
        "Source": "decorator",
    }
    assert rows["admin.panel"] == {
        "Rule": "/admin/panel",
        "Endpoint": "admin.panel",
        "Origins": PARTNER,
        "Methods": ALL_METHODS,
        "Headers": "X-Token, Authorization",
        "Credentials": "yes",
        "Max-Age": "100",
        "Source": "blueprint 'admin'",
    }
    assert policy(rows["other"]) == {**NO_POLICY, "Source": "no CORS (no resource pattern)"}
    assert rows["static"]["Rule"] == "/static/<path:filename>"


def test_table_is_sorted_by_rule() -> None:
    result = full_app().test_cli_runner().invoke(args=["cors", "routes"])
    rules = [line.split()[0] for line in result.output.splitlines()[2:]]
    assert rules == sorted(rules)


def test_source_is_config_when_only_cors_config_keys_shape_the_policy() -> None:
    app = Flask(__name__)
    app.config.update(CORS_ORIGINS=[ORIGIN, PARTNER], CORS_SUPPORTS_CREDENTIALS=True)
    app.add_url_rule("/data", "data", lambda: "data")
    CORS(app)
    assert policy(cors_routes(app)["data"]) == {
        "Origins": f"{ORIGIN}, {PARTNER}",
        "Methods": ALL_METHODS,
        "Headers": "*",
        "Credentials": "yes",
        "Max-Age": "-",
        "Source": "config",
    }


def test_source_is_cors_options_when_keywords_are_given() -> None:
    app = Flask(__name__)
    app.add_url_rule("/data", "data", lambda: "data")
    CORS().init_app(app, methods=["GET", "PUT"], allow_headers=[], max_age=3)
    assert policy(cors_routes(app)["data"]) == {
        "Origins": "*",
        "Methods": "GET, PUT",
        "Headers": "(safelisted only)",
        "Credentials": "no",
        "Max-Age": "3",
        "Source": "CORS() options",
    }


def test_source_is_defaults_for_a_bare_cors_app() -> None:
    app = Flask(__name__)
    app.add_url_rule("/data", "data", lambda: "data")
    CORS(app)
    assert policy(cors_routes(app)["data"]) == {
        "Origins": "*",
        "Methods": ALL_METHODS,
        "Headers": "*",
        "Credentials": "no",
        "Max-Age": "-",
        "Source": "defaults",
    }


def test_routes_outside_a_blueprint_have_no_cors_without_cors_app() -> None:
    app = Flask(__name__)
    app.add_url_rule("/plain", "plain", lambda: "plain")
    blueprint = Blueprint("api", __name__, url_prefix="/api")
    blueprint.add_url_rule("/items", "items", lambda: "items")
    CORS(blueprint, origins=[PARTNER])
    app.register_blueprint(blueprint)
    rows = cors_routes(app)
    assert policy(rows["plain"]) == {**NO_POLICY, "Source": "no CORS"}
    assert rows["api.items"]["Origins"] == PARTNER
    assert rows["api.items"]["Source"] == "blueprint 'api'"


def test_nested_blueprint_names_its_registered_name() -> None:
    app = Flask(__name__)
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__)
    child.add_url_rule("/leaf", "leaf", lambda: "leaf")
    CORS(child, origins=[PARTNER])
    parent.register_blueprint(child, url_prefix="/child")
    app.register_blueprint(parent, url_prefix="/parent")
    row = cors_routes(app)["parent.child.leaf"]
    assert row["Rule"] == "/parent/child/leaf"
    assert row["Source"] == "blueprint 'parent.child'"


def test_origin_regex_and_function_are_shown() -> None:
    def trusted_tenant(origin: str) -> bool:
        return origin.endswith(".tenant.example")

    app = Flask(__name__)
    app.add_url_rule("/regex", "regex", cross_origin(allow_origin_regex=r"https://[a-z]+\.example\.com")(lambda: ""))
    app.add_url_rule("/func", "func", cross_origin(allow_origin_func=trusted_tenant)(lambda: ""))
    CORS(app)
    rows = cors_routes(app)
    assert rows["regex"]["Origins"] == r"regex 'https://[a-z]+\\.example\\.com'"
    assert rows["func"]["Origins"] == "func test_origin_regex_and_function_are_shown.<locals>.trusted_tenant"
    assert rows["static"]["Origins"] == "*"


def test_regex_resource_pattern_is_named_as_the_source() -> None:
    app = Flask(__name__)
    app.add_url_rule("/v1/items", "items", lambda: "items")
    CORS(app, resources={re.compile(r"/v[0-9]+/items"): {"allow_origins": [ORIGIN]}})
    assert cors_routes(app)["items"]["Source"] == "resource re.compile('/v[0-9]+/items')"


def test_routes_command_exists_for_an_app_using_only_cross_origin(tmp_path: Path) -> None:
    # Without CORS(app) nothing touches app.cli: the command comes from the package's
    # "flask.commands" entry point, which the real `flask` command line loads.
    (tmp_path / "decorated_only.py").write_text(
        "from flask import Flask\n"
        "from flask_cors_ext import cross_origin\n"
        "app = Flask(__name__)\n"
        f"app.add_url_rule('/special', 'special', cross_origin(origins=[{PARTNER!r}])(lambda: 'special'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "decorated_only", "cors", "routes"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    special = next(line for line in result.stdout.splitlines() if line.startswith("/special"))
    assert PARTNER in special
    assert special.rstrip().endswith("decorator")


def test_routes_of_an_app_using_only_cross_origin_are_described() -> None:
    app = Flask(__name__)
    app.add_url_rule("/special", "special", cross_origin(origins=[PARTNER])(lambda: "special"))
    runner = app.test_cli_runner()
    result = runner.invoke(cors_command, ["routes"])
    assert result.exit_code == 0, result.output
    rows = parse_table(result.output)
    assert rows["special"]["Source"] == "decorator"
    assert rows["special"]["Origins"] == PARTNER
