"""``cors-wsgi explain`` never gives wrong advice: its fixes follow from the refusal actually found.

The property: over random policies and requests, whenever ``explain`` says BLOCKED it names
at least one fix; making exactly the fixes it names (as a user would, in the config file)
makes the same request pass; and every fix is needed (leaving any one out keeps it blocked).
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cors_wsgi.cli import main

A, B, LOCAL = "https://a.example", "https://b.example", "http://localhost:3000"
ORIGINS = [A, B, LOCAL]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]
HEADERS = ["X-Token", "X-Trace", "Content-Type"]


@pytest.fixture
def config_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def explain(config: Path, options: dict[str, Any], request: list[str]) -> tuple[int, dict[str, Any]]:
    config.write_text(json.dumps(options))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["explain", "--config", str(config), *request, "--json"])
    return status, json.loads(out.getvalue()) if status != 2 else {"error": err.getvalue()}


def apply(options: dict[str, Any], request: list[str], fixes: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """The fixes made the way a user would make them: in the config file, or in the page's code."""
    options = json.loads(json.dumps(options))
    request = list(request)
    for fix in fixes:
        if fix["side"] == "client":
            assert fix["option"] == "method"
            request[request.index("--method") + 1] = fix["value"]
        elif fix["action"] == "cover":
            options.setdefault("resources", {})[fix["value"]] = {}
        elif fix["resource"] is not None:
            options.setdefault("resources", {}).setdefault(fix["resource"], {})[fix["option"]] = fix["new_value"]
        else:
            options[fix["option"]] = fix["new_value"]
    return options, request


def lists(values: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just("*"), st.lists(st.sampled_from(values), unique=True, max_size=len(values)))


@st.composite
def policies(draw: st.DrawFn) -> dict[str, Any]:
    options: dict[str, Any] = {}
    credentials = draw(st.booleans())
    origins = draw(st.one_of(st.none(), lists(ORIGINS)))
    if origins in (None, "*") and credentials:
        origins = draw(st.lists(st.sampled_from(ORIGINS), unique=True))
    for name, value in (
        ("allow_origins", origins),
        ("allow_methods", draw(st.one_of(st.none(), lists(METHODS)))),
        ("allow_headers", draw(st.one_of(st.none(), lists(HEADERS)))),
    ):
        if value is not None:
            options[name] = value
    if credentials:
        options["allow_credentials"] = True
    if draw(st.booleans()):  # the rules above for /api/* only; /other is not covered at all
        entry = {"allow_methods": draw(lists(METHODS))} if draw(st.booleans()) else {}
        options = {**options, "resources": {"/api/*": entry}}
    return options


@st.composite
def requests(draw: st.DrawFn) -> list[str]:
    path = draw(st.sampled_from(["/api/items", "/other"]))
    request = ["--url", f"http://api.example{path}", "--origin", draw(st.sampled_from(ORIGINS))]
    request += ["--method", draw(st.sampled_from([*METHODS, "patch", "PROPFIND"]))]
    for name in draw(st.lists(st.sampled_from(HEADERS), unique=True)):
        request += ["--header", f"{name}:{'application/json' if name == 'Content-Type' else '1'}"]
    if draw(st.booleans()):
        request.append("--credentials")
    return request


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(options=policies(), request=requests())
def test_every_fix_explain_names_is_needed_and_together_they_let_the_request_through(
    config_dir: Path, options: dict[str, Any], request: list[str]
) -> None:
    config = config_dir / "cors.json"
    status, report = explain(config, options, request)
    if status == 0:
        assert report["fix"] == []
        return
    assert status == 1
    fixes = report["fix"]
    assert fixes, f"blocked without a fix: {report['verdict']}"
    fixed_options, fixed_request = apply(options, request, fixes)
    status, after = explain(config, fixed_options, fixed_request)
    assert status == 0, f"after {[fix['text'] for fix in fixes]}: {after['verdict']}"
    for left_out in range(len(fixes)):
        if fixes[left_out]["action"] == "cover":
            continue  # the fixes after it are made in the entry it adds: they imply it
        partial_options, partial_request = apply(options, request, fixes[:left_out] + fixes[left_out + 1 :])
        status, _ = explain(config, partial_options, partial_request)
        # still blocked (1), or a configuration the policy refuses (2: '*' with credentials)
        assert status != 0, f"{fixes[left_out]['text']!r} was not needed"


def test_a_refused_header_is_not_blamed_on_the_origin(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = config_dir / "cors.toml"
    config.write_text('allow_origins = ["https://admin.example.com"]\nallow_headers = ["X-Request-Id"]\n')
    request = ["--origin", "https://admin.example.com", "--method", "PUT", "--header", "X-Token:1"]
    status = main(["explain", "--config", str(config), *request, "--url", "https://api.example.com/items"])
    out = capsys.readouterr().out
    assert status == 1
    assert "fix on the server: add 'x-token' to allow_headers" in out
    assert "allow the origin" not in out
    assert "add 'https://admin.example.com'" not in out


def test_a_method_spelled_in_lowercase_is_fixed_in_the_page(
    config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_dir / "cors.json"
    config.write_text(json.dumps({"allow_origins": [A], "allow_methods": ["GET", "PATCH"]}))
    status = main(["explain", "--config", str(config), "--origin", A, "--method", "patch"])
    out = capsys.readouterr().out
    assert status == 1
    assert "fix in the page: the page must send the method as 'PATCH'" in out


def test_the_fix_names_the_resources_entry_that_covers_the_path(
    config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_dir / "cors.json"
    config.write_text(
        json.dumps({"allow_origins": [A], "resources": {"/api/*": {}, "/admin/*": {"allow_methods": ["GET"]}}})
    )
    status = main(
        ["explain", "--config", str(config), "--origin", A, "--method", "DELETE", "--url", "http://x/admin/1"]
    )
    out = capsys.readouterr().out
    assert status == 1
    assert "fix on the server: add 'DELETE' to allow_methods in resources['/admin/*']" in out


def test_without_options_explain_uses_the_middlewares_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    # CORSMiddleware(app) allows every origin for requests without credentials: so does explain.
    assert main(["explain", "--origin", "https://anyone.example", "--method", "GET"]) == 0
    assert "Access-Control-Allow-Origin: *" in capsys.readouterr().out
