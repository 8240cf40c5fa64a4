"""``cors-wsgi explain --config FILE``: the middleware's options from a TOML or JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cors_wsgi.cli import main

APP = "https://app.example.com"

TOML = """
allow_origins = ["https://app.example.com"]
allow_credentials = true
allow_methods = ["GET", "PUT"]
allow_headers = ["X-Token"]
expose_headers = ["X-Total"]
max_age = 600
"""


def explain(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    status = main(["explain", *args, "--json"])
    captured = capsys.readouterr()
    return status, json.loads(captured.out) if captured.out else {}, captured.err


def header(report: dict[str, Any], step: int, name: str) -> str | None:
    values = [value for key, value in report["steps"][step]["response"]["headers"] if key == name]
    return ", ".join(values) if values else None


def test_options_from_a_toml_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "cors.toml"
    config.write_text(TOML)
    status, report, _ = explain(
        capsys, "--config", str(config), "--origin", APP, "--method", "PUT", "--header", "X-Token:1", "--credentials"
    )
    assert status == 0
    assert header(report, 0, "Access-Control-Allow-Origin") == APP
    assert header(report, 0, "Access-Control-Allow-Credentials") == "true"
    assert header(report, 0, "Access-Control-Max-Age") == "600"
    assert header(report, 1, "Access-Control-Expose-Headers") == "X-Total"


def test_options_from_a_json_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "cors.json"
    config.write_text(json.dumps({"allow_origins": [APP], "allow_methods": ["GET"]}))
    status, report, _ = explain(capsys, "--config", str(config), "--origin", APP, "--method", "DELETE")
    assert status == 1
    assert report["steps"][0]["response"]["status"] == 403


def test_flags_override_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "cors.json"
    config.write_text(json.dumps({"allow_origins": ["https://other.example.com"], "allow_methods": ["GET"]}))
    status, report, _ = explain(
        capsys, "--config", str(config), "--allow-origin", APP, "--allow-method", "DELETE", "--origin", APP,
        "--method", "DELETE",
    )  # fmt: skip
    assert status == 0
    assert header(report, 0, "Access-Control-Allow-Methods") == "DELETE"


def test_resources_pick_the_policy_by_the_url_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "cors.json"
    config.write_text(
        json.dumps(
            {
                "resources": {
                    "/api/*": {"allow_origins": [APP]},
                    "re:/v[0-9]+/items": {"allow_origins": ["https://v.example.com"]},
                }
            }
        )
    )
    status, report, _ = explain(
        capsys, "--config", str(config), "--url", "https://api.example.com/api/x", "--origin", APP
    )
    assert status == 0
    assert header(report, 0, "Access-Control-Allow-Origin") == APP

    status, report, _ = explain(
        capsys,
        "--config",
        str(config),
        "--url",
        "https://api.example.com/v2/items",
        "--origin",
        "https://v.example.com",
    )
    assert status == 0
    assert header(report, 0, "Access-Control-Allow-Origin") == "https://v.example.com"

    status, report, _ = explain(
        capsys, "--config", str(config), "--url", "https://api.example.com/static/a.js", "--origin", APP
    )
    assert status == 1
    assert report["steps"][0]["note"] == (
        "no resources pattern covers /static/a.js: the middleware leaves this request to the application "
        "(assumed here to send no CORS headers of its own)"
    )
    assert report["verdict"]["reason"].startswith("No 'Access-Control-Allow-Origin' header is present")


def test_an_invalid_configuration_lists_every_problem(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "cors.json"
    config.write_text(json.dumps({"allow_origins": ["*"], "allow_credentials": True, "allow_metods": ["GET"]}))
    status, _, err = explain(capsys, "--config", str(config), "--origin", APP)
    assert status == 2
    assert err.startswith("cors-wsgi explain: error: ")
    assert "allow_metods" in err
    assert "allow_credentials" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cors.json", "{not json", "--config {path}: not valid JSON: "),
        ("cors.json", "[1, 2]", "--config {path}: expected a table (object) of options, e.g. allow_origins = [...]"),
        ("cors.yaml", "allow_origins: []", "--config {path}: expected a .toml or .json file"),
    ],
)
def test_bad_files_are_usage_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, content: str, message: str
) -> None:
    config = tmp_path / name
    config.write_text(content)
    status, _, err = explain(capsys, "--config", str(config), "--origin", APP)
    assert status == 2
    assert err.startswith("cors-wsgi explain: error: " + message.format(path=config))


def test_a_missing_file_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    status, _, err = explain(capsys, "--config", str(missing), "--origin", APP)
    assert status == 2
    assert err == f"cors-wsgi explain: error: cannot read --config {missing}: No such file or directory\n"


def test_invalid_toml_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "cors.toml"
    config.write_text("allow_origins = [")
    status, _, err = explain(capsys, "--config", str(config), "--origin", APP)
    assert status == 2
    assert err.startswith(f"cors-wsgi explain: error: --config {config}: not valid TOML: ")
