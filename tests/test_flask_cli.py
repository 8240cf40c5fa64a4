"""``flask cors routes``: every URL rule, its methods, and the CORS policy in force for it.

What the command prints is checked against what the application really does: a request
from an allowed origin to a path the rule serves gets the CORS headers the printed policy
promises, a route said to have no CORS gets none.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask
from werkzeug.routing import BaseConverter

from cors_wsgi import CORSPolicy
from flask_cors_ext import CORS, cross_origin
from flask_cors_ext.cli import cors_command

README = Path(__file__).resolve().parent.parent / "README.rst"
ORIGIN = "https://app.example.com"
PARTNER = "https://partner.example.com"
ALL_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE"
HEADER = ["Rule", "Endpoint", "Methods", "CORS"]
NO_EXPOSE = {"expose_headers": "(none)", "allow_private_network": "no"}


def unwrap(pieces: list[str]) -> str:
    """A cell the table wrapped onto several lines, joined again (a line broken after '/' goes on
    without a space; one broken at a space or after a comma, with one)."""
    text = ""
    for piece in pieces:
        text += piece if not text or text.endswith("/") else " " + piece
    return text


class Printed:
    """What ``flask cors routes`` printed: the table's rows by endpoint, and the numbered policies."""

    def __init__(self, output: str) -> None:
        self.output = output
        table, *legend = output.split("\n\n")
        header, rule, *lines = table.splitlines()
        assert re.split(r"\s{2,}", header) == HEADER
        assert set(rule) == {"-", " "}
        starts = [match.start() for match in re.finditer(r"-+", rule)]
        rows: list[list[list[str]]] = []  # row -> column -> the cell's lines
        for line in lines:
            pieces = [line[start:end].strip() for start, end in zip(starts, [*starts[1:], None], strict=False)]
            if pieces[0].startswith("/"):  # a rule starts a row; a wrapped cell goes on below it
                rows.append([[] for _ in HEADER])
            for column, piece in zip(rows[-1], pieces, strict=True):
                if piece:
                    column.append(piece)
        self.rows = {unwrap(row[1]): dict(zip(HEADER, map(unwrap, row), strict=True)) for row in rows}
        self.policies: dict[str, tuple[str, dict[str, str]]] = {}
        for block in legend:
            title, *options = block.splitlines()
            number, summary = re.fullmatch(r"(\[[0-9]+\]) (.*)", title).groups()  # type: ignore[union-attr]
            values: dict[str, list[str]] = {}
            for line in options:
                option = re.fullmatch(r" {4}(\S+) {2,}(.*)", line)
                if option is not None:
                    values[option.group(1)] = [option.group(2)]
                else:  # a long value goes on, under itself
                    list(values.values())[-1].append(line.strip())
            self.policies[number] = (summary, {name: unwrap(value) for name, value in values.items()})

    def cors(self, endpoint: str) -> str:
        """The CORS cell of ``endpoint`` without its [n]."""
        return re.sub(r"^\[[0-9]+\] ", "", self.rows[endpoint]["CORS"])

    def policy(self, endpoint: str) -> dict[str, str]:
        """The options listed under the table for ``endpoint``'s policy."""
        number = re.match(r"\[[0-9]+\]", self.rows[endpoint]["CORS"])
        assert number is not None, self.rows[endpoint]
        summary, values = self.policies[number.group()]
        assert summary == self.cors(endpoint)
        return values


def cors_routes(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["cors", "routes", *args])
    assert result.exit_code == 0, result.output
    return str(result.output)


def printed(app: Flask) -> Printed:
    return Printed(cors_routes(app))


def as_json(app: Flask) -> dict[str, dict[str, Any]]:
    return {entry["endpoint"]: entry for entry in json.loads(cors_routes(app, "--json"))}


def acao(app: Flask, path: str, origin: str) -> str | None:
    """The Access-Control-Allow-Origin a GET of ``path`` from ``origin`` gets."""
    value: str | None = (
        app.test_client().get(path, headers={"Origin": origin}).headers.get("Access-Control-Allow-Origin")
    )
    return value


def readme_resources() -> dict[str, Any]:
    """The options of the README's ``resources`` example (the one with ``/reports/``), as written there."""
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", README.read_text(encoding="utf-8"))
    [block] = [b for b in blocks if "/reports/" in b]
    given: dict[str, Any] = {}
    exec(  # the README's own code; CORSMiddleware only records its options
        "\n".join(line[4:] for line in block.splitlines()),
        {"app": None, "CORSMiddleware": lambda app, **options: given.update(options)},
    )
    assert "resources" in given
    return given


# -- what applies where ---------------------------------------------------------------------------


def test_the_readme_regex_resource_example_is_found_by_a_real_path() -> None:
    app = Flask(__name__)
    app.add_url_rule("/reports/<int:n>.csv", "report", lambda n: "csv")
    app.add_url_rule("/api/v1/admin", "admin", lambda: "admin")
    app.add_url_rule("/api/items/<int:item>", "item", lambda item: "item")
    app.add_url_rule("/reportsX", "not_a_report", lambda: "")
    CORS(app, **readme_resources())

    shown = printed(app)
    assert shown.rows["report"] == {
        "Rule": "/reports/<int:n>.csv",
        "Endpoint": "report",
        "Methods": "GET",
        "CORS": shown.rows["report"]["CORS"],
    }
    assert shown.cors("report") == r"resource re.compile('/reports/[0-9]+\\.csv')"
    assert shown.policy("report") == {
        "allow_origins": "https://bi.example.com",
        "allow_methods": ALL_METHODS,
        "allow_headers": "*",
        "allow_credentials": "yes",
        "max_age": "600",
        **NO_EXPOSE,
    }
    assert shown.cors("admin") == "resource '/api/v1/admin'"
    assert shown.policy("admin")["allow_origins"] == "https://admin.example.com"
    assert shown.cors("item") == "resource '/api/*'"
    assert shown.cors("not_a_report") == "no CORS (no resource covers /reportsX)"

    # What it says is what a browser gets.
    assert acao(app, "/reports/2024.csv", "https://bi.example.com") == "https://bi.example.com"
    assert acao(app, "/api/v1/admin", "https://admin.example.com") == "https://admin.example.com"
    assert acao(app, "/api/v1/admin", ORIGIN) is None
    assert acao(app, "/api/items/7", ORIGIN) == ORIGIN
    assert acao(app, "/reportsX", "https://bi.example.com") is None

    report = as_json(app)["report"]
    assert report["sample_path"] == "/reports/1.csv"
    assert report["sample_routed"] is True
    assert report["resource"] == {"pattern": r"/reports/[0-9]+\.csv", "kind": "regex"}
    assert report["source"] == "resource"
    assert report["policy"]["allow_origins"] == ["https://bi.example.com"]


def test_two_resources_sharing_one_policy_object_are_each_named() -> None:
    shared = CORSPolicy(allow_origins=[PARTNER], max_age=30)
    app = Flask(__name__)
    app.add_url_rule("/first/one", "one", lambda: "one")
    app.add_url_rule("/second/<name>", "two", lambda name: "two")
    CORS(app, resources={"/first/*": shared, "/second/*": shared, "/third": {"allow_origins": [ORIGIN]}})
    shown = printed(app)
    assert shown.cors("one") == "resource '/first/*'"
    assert shown.cors("two") == "resource '/second/*'"
    assert (
        shown.policy("one")
        == shown.policy("two")
        == {
            "allow_origins": PARTNER,
            "allow_methods": ALL_METHODS,
            "allow_headers": "*",
            "allow_credentials": "no",
            "max_age": "30",
            **NO_EXPOSE,
        }
    )
    assert shown.rows["one"]["CORS"] != shown.rows["two"]["CORS"]  # [1] and [2]: two sources
    entries = as_json(app)
    assert entries["one"]["resource"] == {"pattern": "/first/*", "kind": "subtree"}
    assert entries["two"]["resource"] == {"pattern": "/second/*", "kind": "subtree"}
    assert entries["two"]["sample_path"] == "/second/x"
    assert acao(app, "/second/anything", PARTNER) == PARTNER


def full_app() -> Flask:
    """Config, CORS() with resources, a CORS(blueprint), a @cross_origin view and an uncovered route."""
    app = Flask(__name__)
    app.config["CORS_MAX_AGE"] = 100

    @app.route("/api/items/<int:item>", methods=["GET", "POST", "DELETE"])
    def item(item: int) -> str:
        return "item"

    @app.route("/api/special")
    @cross_origin(origins=[PARTNER], max_age=5, expose_headers=["X-Total"])
    def special() -> str:
        return "special"

    @app.route("/public/<path:name>")
    def public(name: str) -> str:
        return "public"

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


def test_every_rule_is_listed_with_its_own_methods_and_where_its_policy_comes_from() -> None:
    app = full_app()
    shown = printed(app)
    assert sorted(shown.rows) == ["admin.panel", "item", "other", "public", "special", "static"]
    assert [line.split()[0] for line in shown.output.splitlines()[2:8]] == [
        "/admin/panel",
        "/api/items/<int:item>",
        "/api/special",
        "/other",
        "/public/<path:name>",
        "/static/<path:filename>",
    ]
    assert shown.rows["item"]["Methods"] == "DELETE, GET, POST"  # the route's, not the policy's GET, PUT
    assert shown.rows["item"]["Rule"] == "/api/items/<int:item>"
    assert shown.cors("item") == "resource '/api/*'"
    assert shown.policy("item") == {
        "allow_origins": ORIGIN,
        "allow_methods": "GET, PUT",
        "allow_headers": "*",
        "allow_credentials": "no",
        "max_age": "100",  # from CORS_MAX_AGE
        **NO_EXPOSE,
    }
    assert shown.cors("special") == "decorator"
    assert shown.policy("special") == {
        "allow_origins": PARTNER,
        "allow_methods": "GET, PUT",  # inherited from the resource '/api/*' covering the view
        "allow_headers": "*",
        "expose_headers": "X-Total",
        "allow_credentials": "no",
        "max_age": "5",
        "allow_private_network": "no",
    }
    assert shown.rows["admin.panel"]["Methods"] == "GET, POST"
    assert shown.cors("admin.panel") == "blueprint 'admin'"
    assert shown.policy("admin.panel") == {
        "allow_origins": PARTNER,
        "allow_methods": ALL_METHODS,
        "allow_headers": "X-Token, Authorization",
        "allow_credentials": "yes",
        "max_age": "100",
        **NO_EXPOSE,
    }
    assert shown.cors("public") == "resource '/public/*'"
    assert shown.policy("public")["allow_origins"] == "*"
    assert shown.rows["other"]["CORS"] == "no CORS (no resource covers /other)"
    assert shown.rows["static"]["CORS"] == "no CORS (no resource covers /static/a/b)"

    # Each promise on the wire.
    assert acao(app, "/api/items/12", ORIGIN) == ORIGIN
    assert acao(app, "/api/special", PARTNER) == PARTNER
    assert acao(app, "/api/special", ORIGIN) is None
    assert acao(app, "/public/deep/file.txt", "https://anyone.example") == "*"
    assert acao(app, "/admin/panel", PARTNER) == PARTNER
    assert acao(app, "/other", ORIGIN) is None
    preflight = app.test_client().options(
        "/api/special", headers={"Origin": PARTNER, "Access-Control-Request-Method": "PUT"}
    )
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert preflight.headers["Access-Control-Max-Age"] == "5"


def test_json_lists_every_rule_with_its_policy_in_full() -> None:
    entries = as_json(full_app())
    assert sorted(entries) == ["admin.panel", "item", "other", "public", "special", "static"]
    assert entries["item"] == {
        "rule": "/api/items/<int:item>",
        "endpoint": "item",
        "methods": ["DELETE", "GET", "HEAD", "OPTIONS", "POST"],
        "sample_path": "/api/items/1",
        "sample_routed": True,
        "cors": True,
        "source": "resource",
        "blueprint": None,
        "resource": {"pattern": "/api/*", "kind": "subtree"},
        "summary": "resource '/api/*'",
        "policy": {
            "allow_origins": [ORIGIN],
            "allow_origin_regex": [],
            "allow_origin_func": None,
            "allow_methods": ["GET", "PUT"],
            "allow_headers": ["*"],
            "allow_header_regex": [],
            "expose_headers": [],
            "allow_credentials": False,
            "max_age": 100,
            "allow_private_network": False,
        },
        "problems": [],
    }
    special = entries["special"]
    assert (special["source"], special["blueprint"], special["resource"]) == (
        "decorator",
        None,
        {"pattern": "/api/*", "kind": "subtree"},  # the resource the decorator's options are laid over
    )
    assert special["policy"]["expose_headers"] == ["X-Total"]
    panel = entries["admin.panel"]
    assert (panel["source"], panel["blueprint"], panel["summary"]) == ("blueprint", "admin", "blueprint 'admin'")
    assert panel["policy"]["allow_credentials"] is True
    assert entries["public"]["sample_path"] == "/public/a/b"
    other = entries["other"]
    assert (other["cors"], other["source"], other["policy"], other["resource"]) == (False, None, None, None)
    assert other["summary"] == "no CORS (no resource covers /other)"


def test_source_is_config_when_only_cors_config_keys_shape_the_policy() -> None:
    app = Flask(__name__)
    app.config.update(CORS_ORIGINS=[ORIGIN, PARTNER], CORS_SUPPORTS_CREDENTIALS=True)
    app.add_url_rule("/data", "data", lambda: "data")
    CORS(app)
    shown = printed(app)
    assert shown.cors("data") == "config"
    assert shown.policy("data") == {
        "allow_origins": f"{ORIGIN}, {PARTNER}",
        "allow_methods": ALL_METHODS,
        "allow_headers": "*",
        "allow_credentials": "yes",
        "max_age": "-",
        **NO_EXPOSE,
    }


def test_source_is_cors_options_when_keywords_are_given() -> None:
    app = Flask(__name__)
    app.add_url_rule("/data", "data", lambda: "data", methods=["PUT"])
    CORS().init_app(app, methods=["GET", "PUT"], allow_headers=[], max_age=3)
    shown = printed(app)
    assert shown.rows["data"]["Methods"] == "PUT"
    assert shown.cors("data") == "CORS() options"
    assert shown.policy("data") == {
        "allow_origins": "*",
        "allow_methods": "GET, PUT",
        "allow_headers": "(safelisted only)",
        "allow_credentials": "no",
        "max_age": "3",
        **NO_EXPOSE,
    }


def test_source_is_defaults_for_a_bare_cors_app_and_one_policy_is_listed_once() -> None:
    app = Flask(__name__)
    app.add_url_rule("/data", "data", lambda: "data")
    CORS(app)
    shown = printed(app)
    assert shown.rows["data"]["CORS"] == shown.rows["static"]["CORS"] == "[1] defaults"
    assert list(shown.policies) == ["[1]"]
    assert shown.policy("data")["allow_origins"] == "*"


def test_without_the_extension_every_route_says_so() -> None:
    app = Flask(__name__)
    app.add_url_rule("/plain", "plain", lambda: "plain")
    app.cli.add_command(cors_command)
    output = cors_routes(app)
    assert "\n\n" not in output  # no policy to list
    assert Printed(output).rows["plain"] == {
        "Rule": "/plain",
        "Endpoint": "plain",
        "Methods": "GET",
        "CORS": "no CORS (the extension is not installed)",
    }


def test_routes_outside_a_cors_blueprint_have_no_cors_without_cors_app() -> None:
    app = Flask(__name__)
    app.add_url_rule("/plain", "plain", lambda: "plain")
    blueprint = Blueprint("api", __name__, url_prefix="/api")
    blueprint.add_url_rule("/items", "items", lambda: "items")
    CORS(blueprint, origins=[PARTNER])
    app.register_blueprint(blueprint)
    shown = printed(app)
    assert shown.rows["plain"]["CORS"] == "no CORS"
    assert shown.cors("api.items") == "blueprint 'api'"
    assert shown.policy("api.items")["allow_origins"] == PARTNER
    assert acao(app, "/plain", PARTNER) is None
    assert acao(app, "/api/items", PARTNER) == PARTNER


def test_nested_blueprint_names_its_registered_name() -> None:
    app = Flask(__name__)
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__)
    child.add_url_rule("/leaf", "leaf", lambda: "leaf")
    CORS(child, origins=[PARTNER])
    parent.register_blueprint(child, url_prefix="/child")
    app.register_blueprint(parent, url_prefix="/parent")
    shown = printed(app)
    assert shown.rows["parent.child.leaf"]["Rule"] == "/parent/child/leaf"
    assert shown.cors("parent.child.leaf") == "blueprint 'parent.child'"
    assert as_json(app)["parent.child.leaf"]["blueprint"] == "parent.child"


def test_origin_regex_and_function_are_shown() -> None:
    def trusted_tenant(origin: str) -> bool:
        return origin.endswith(".tenant.example")

    app = Flask(__name__)
    app.add_url_rule("/regex", "regex", cross_origin(allow_origin_regex=r"https://[a-z]+\.example\.com")(lambda: ""))
    app.add_url_rule("/func", "func", cross_origin(allow_origin_func=trusted_tenant)(lambda: ""))
    CORS(app)
    shown = printed(app)
    assert shown.policy("regex")["allow_origins"] == r"regex 'https://[a-z]+\\.example\\.com'"
    assert (
        shown.policy("func")["allow_origins"] == "func test_origin_regex_and_function_are_shown.<locals>.trusted_tenant"
    )
    entries = as_json(app)
    assert entries["regex"]["policy"]["allow_origin_regex"] == [r"https://[a-z]+\.example\.com"]
    assert entries["func"]["policy"]["allow_origin_func"] == (
        "test_origin_regex_and_function_are_shown.<locals>.trusted_tenant"
    )


def test_variables_are_filled_with_values_their_converters_accept() -> None:
    app = Flask(__name__)
    rules = {
        "/n/<int(min=5):n>": "/n/5",
        "/d/<int(fixed_digits=4):d>": "/d/0001",
        "/f/<float:f>": "/f/1.0",
        "/u/<uuid:u>": "/u/00000000-0000-0000-0000-000000000000",
        "/k/<any(zebra, apple):k>": "/k/apple",
        "/s/<string(length=3):s>": "/s/xxx",
        "/p/<path:p>/edit": "/p/a/b/edit",
    }
    for number, rule in enumerate(rules):
        app.add_url_rule(rule, f"view{number}", lambda **_: "")
    CORS(app, resources={re.compile(r"/(n/5|d/0001|f/1\.0|u/0+-0+-0+-0+-0+|k/apple|s/xxx|p/a/b/edit)"): {}})
    entries = {entry["rule"]: entry for entry in json.loads(cors_routes(app, "--json"))}
    for rule, path in rules.items():
        assert (entries[rule]["sample_path"], entries[rule]["sample_routed"], entries[rule]["cors"]) == (
            path,
            True,
            True,
        ), rule


def test_a_sample_path_flask_routes_elsewhere_is_said_so() -> None:
    class Sku(BaseConverter):
        regex = r"[A-Z]{3}-[0-9]{4}"

    app = Flask(__name__)
    app.url_map.converters["sku"] = Sku
    app.add_url_rule("/sku/<sku:code>", "sku", lambda code: "")
    CORS(app)
    shown = printed(app)
    assert shown.rows["sku"]["CORS"] == "[1] defaults (checked on /sku/x, which this rule does not serve)"
    assert as_json(app)["sku"]["sample_routed"] is False


def test_two_rules_on_one_path_with_methods_of_their_own_are_each_checked() -> None:
    app = Flask(__name__)
    app.add_url_rule("/items", "list_items", lambda: "", methods=["GET"])
    app.add_url_rule("/items", "add_item", lambda: "", methods=["POST"])
    CORS(app, origins=[ORIGIN])
    shown = printed(app)
    assert (shown.rows["list_items"]["Methods"], shown.rows["list_items"]["CORS"]) == ("GET", "[1] CORS() options")
    assert (shown.rows["add_item"]["Methods"], shown.rows["add_item"]["CORS"]) == ("POST", "[1] CORS() options")
    assert as_json(app)["add_item"]["sample_routed"] is True


def test_a_view_whose_policy_is_invalid_is_listed_with_its_problems() -> None:
    app = Flask(__name__)
    app.add_url_rule("/fine", "fine", lambda: "")
    CORS(app)
    app.add_url_rule("/broken", "broken", cross_origin(allow_credentials=True)(lambda: ""))  # '*' with credentials
    output = cors_routes(app)
    assert Printed(output.split("\n\nbroken:")[0]).rows["broken"]["CORS"] == "invalid policy (requests fail with 500)"
    problems = output.split("\n\nbroken: invalid CORS policy\n")[1].splitlines()
    assert problems[0].startswith("  - view 'broken' (decorator): allow_origins")
    assert as_json(app)["broken"]["problems"][0].startswith("view 'broken' (decorator): allow_origins")
    assert app.test_client().get("/broken", headers={"Origin": ORIGIN}).status_code == 500


def test_regex_resource_matched_from_the_start_is_shown_as_re_match() -> None:
    from cors_wsgi.resources import MatchFromStart

    app = Flask(__name__)
    app.add_url_rule("/v1/items", "items", lambda: "items")
    CORS(app, resources={MatchFromStart(re.compile(r"/v[0-9]+")): {"allow_origins": [ORIGIN]}})
    assert printed(app).cors("items") == "resource re.match('/v[0-9]+')"
    assert as_json(app)["items"]["resource"] == {"pattern": "/v[0-9]+", "kind": "regex-start"}


# -- the table's width ----------------------------------------------------------------------------


def long_app() -> Flask:
    origins = [f"https://tenant-{n}.customers.example.com" for n in range(12)]
    app = Flask(__name__)
    app.add_url_rule(
        "/organisations/<int:organisation>/projects/<int:project>/reports/<path:report_name>/download",
        "organisations.projects.reports.download_report_as_spreadsheet",
        lambda **_: "",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    )
    app.add_url_rule("/short", "short", lambda: "")
    CORS(
        app,
        resources={
            re.compile(r"/organisations/[0-9]+/projects/[0-9]+/reports/.+/download"): {
                "allow_origins": origins,
                "allow_headers": ["X-Organisation-Token", "X-Project-Token", "X-Requested-With", "Authorization"],
                "expose_headers": ["Content-Disposition", "X-Report-Generated-At"],
            },
            "/short": {"allow_origins": [ORIGIN]},
        },
    )
    return app


def test_the_table_fits_in_100_columns_and_wraps_what_does_not() -> None:
    output = cors_routes(long_app())
    lines = output.splitlines()
    assert max(len(line) for line in lines) <= 100, "\n".join(line for line in lines if len(line) > 100)
    assert max(len(line) for line in lines) >= 90  # the room is used, not wasted
    # Nothing is cut off: the wrapped cells read as they were.
    shown = Printed(output)
    rule = "/organisations/<int:organisation>/projects/<int:project>/reports/<path:report_name>/download"
    [row] = [row for row in shown.rows.values() if row["Rule"] == rule]
    assert row["Endpoint"].replace(" ", "") == "organisations.projects.reports.download_report_as_spreadsheet"
    assert row["Methods"] == "DELETE, GET, PATCH, POST, PUT"
    assert row["CORS"].replace(" ", "") == (
        "[1]resourcere.compile('/organisations/[0-9]+/projects/[0-9]+/reports/.+/download')"
    )
    assert shown.rows["short"]["CORS"] == "[2] resource '/short'"
    policy = shown.policies["[1]"][1]
    assert policy["allow_origins"] == ", ".join(f"https://tenant-{n}.customers.example.com" for n in range(12))
    assert policy["expose_headers"] == "Content-Disposition, X-Report-Generated-At"
    assert "    allow_origins          https://tenant-0.customers.example.com," in lines  # one origin a line


def test_json_parses_and_every_entry_has_the_documented_keys() -> None:
    app = long_app()
    entries = json.loads(cors_routes(app, "--json"))
    keys = {
        "rule",
        "endpoint",
        "methods",
        "sample_path",
        "sample_routed",
        "cors",
        "source",
        "blueprint",
        "resource",
        "summary",
        "policy",
        "problems",
    }
    assert [set(entry) for entry in entries] == [keys] * 3
    help_text = app.test_cli_runner().invoke(args=["cors", "routes", "--help"]).output
    for key in keys:
        assert re.search(rf"^\s+(\w+, )?{key}\b", help_text, re.MULTILINE), key  # documented in --help
    [download] = [e for e in entries if e["endpoint"].endswith("download_report_as_spreadsheet")]
    assert download["sample_path"] == "/organisations/1/projects/1/reports/a/b/download"
    assert len(download["policy"]["allow_origins"]) == 12


# -- the command line ---------------------------------------------------------------------------


@pytest.fixture
def decorated_only(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "decorated_only.py").write_text(
        "from flask import Flask\n"
        "from flask_cors_ext import cross_origin\n"
        "app = Flask(__name__)\n"
        f"app.add_url_rule('/special', 'special', cross_origin(origins=[{PARTNER!r}])(lambda: 'special'))\n"
    )
    yield tmp_path


def test_routes_command_exists_for_an_app_using_only_cross_origin(decorated_only: Path) -> None:
    # Without CORS(app) nothing touches app.cli: the command comes from the package's
    # "flask.commands" entry point, which the real `flask` command line loads.
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "decorated_only", "cors", "routes"],
        cwd=decorated_only,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    shown = Printed(result.stdout)
    assert shown.cors("special") == "decorator"
    assert shown.policy("special")["allow_origins"] == PARTNER
    assert shown.rows["static"]["CORS"] == "no CORS"


def test_routes_of_an_app_using_only_cross_origin_are_described() -> None:
    app = Flask(__name__)
    app.add_url_rule("/special", "special", cross_origin(origins=[PARTNER])(lambda: "special"))
    result = app.test_cli_runner().invoke(cors_command, ["routes"])
    assert result.exit_code == 0, result.output
    shown = Printed(result.output)
    assert shown.cors("special") == "decorator"
    assert shown.policy("special")["allow_origins"] == PARTNER
