"""A misspelt option of the Flask extension is caught by a type checker in the user's project."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parent.parent


def type_check(folder: Path, source: str) -> tuple[int, str]:
    """mypy --strict on ``source`` as a user's module, with this checkout's packages importable."""
    module = folder / "user_app.py"
    module.write_text(textwrap.dedent(source), encoding="utf-8")
    arguments = ["--strict", "--cache-dir", str(folder / ".mypy_cache"), "--config-file", str(folder / "none.ini")]
    out, err, status = mypy_api.run([*arguments, str(module)])
    return status, out + err


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder (and so one mypy cache: Flask is analysed once) for the module's checks."""
    path = tmp_path_factory.mktemp("typing")
    (path / "none.ini").write_text("[mypy]\n", encoding="utf-8")
    return path


@pytest.fixture
def in_checkout(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MYPYPATH", str(ROOT))
    return folder


def test_misspelt_options_are_type_errors(in_checkout: Path) -> None:
    status, report = type_check(
        in_checkout,
        """
        from flask import Flask
        from flask_cors_ext import CORS, cross_origin

        app = Flask(__name__)
        CORS(app, allow_orgins=["https://app.example.com"])
        CORS().init_app(app, supports_credential=True)

        @app.get("/x")
        @cross_origin(origin="https://app.example.com")
        def x() -> str:
            return "x"
        """,
    )
    assert status == 1, report
    assert 'Unexpected keyword argument "allow_orgins" for "CORS"' in report
    assert 'Unexpected keyword argument "supports_credential" for "init_app" of "CORS"' in report
    assert 'Unexpected keyword argument "origin" for "cross_origin"' in report


def test_both_vocabularies_and_their_value_types_check(in_checkout: Path) -> None:
    status, report = type_check(
        in_checkout,
        """
        import re
        from datetime import timedelta

        from flask import Flask
        from flask_cors_ext import CORS, cross_origin

        app = Flask(__name__)
        CORS(
            app,
            origins=["https://app.example.com"],
            supports_credentials=True,
            methods="GET, PUT",
            allow_headers=["X-Token", re.compile(r"X-Company-.+")],
            max_age=timedelta(minutes=10),
            resources={"/api/*": {"allow_origins": ["https://partner.example.com"]}},
        )

        @app.get("/x")
        @cross_origin(allow_origins=["https://app.example.com"], allow_credentials=True)
        def x() -> str:
            return "x"
        """,
    )
    assert status == 0, report


def test_a_value_of_the_wrong_type_is_a_type_error(in_checkout: Path) -> None:
    status, report = type_check(
        in_checkout,
        """
        from flask import Flask
        from flask_cors_ext import CORS

        CORS(Flask(__name__), supports_credentials="false")
        """,
    )
    assert status == 1, report
    assert 'Argument "supports_credentials" to "CORS" has incompatible type "str"; expected "bool"' in report
