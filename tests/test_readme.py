"""README.rst is valid reStructuredText, and CI runs exactly the test command it gives."""

from __future__ import annotations

import re
from pathlib import Path

import docutils.core
import docutils.utils

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.rst").read_text(encoding="utf-8")


def test_readme_renders_without_warnings() -> None:
    docutils.core.publish_doctree(README, settings_overrides={"halt_level": 2, "report_level": 2, "traceback": True})


def literal_block_after(heading: str) -> str:
    match = re.search(re.escape(heading) + r".*?::\n\n    (.+?)\n", README, re.S)
    assert match is not None, f"no command after {heading!r}"
    return match.group(1)


def test_ci_runs_the_readme_test_command() -> None:
    command = literal_block_after("Run the tests")
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert command in ci_lines


def test_readme_playground_command_names_an_existing_example() -> None:
    command = literal_block_after("Run the playground")
    script = command.rsplit(" ", 1)[-1]
    assert (ROOT / script).is_file()
