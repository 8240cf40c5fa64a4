"""Look at the built HTML docs in a real browser: no code block may be clipped or need a scroll bar.

Usage: ``python docs/check_layout.py docs/_build/html`` (after ``sphinx-build -b html``).  Every page
is opened in headless Chromium at a common laptop width (1440x900 CSS pixels); each code block or table
wider than its box or the text column, and a page wider than the window, is reported with its page
and first line.  Screenshots of the index
and recipes pages are written next to the HTML (``_screenshots/``) to be looked at.

Needs Playwright and Chromium (``/usr/bin/chromium`` or ``$CHROMIUM``).  Without Chromium the check
is skipped with a message, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

WIDTH, HEIGHT = 1440, 900
SCREENSHOTS = ("index.html", "recipes.html")

#: Every code block or table wider than its box (hidden behind a scroll bar or clipped), and anything
#: reaching past the text column or the window: how many pixels too wide, and its first line.
OVERFLOWS = """
() => {
  const found = [];
  const column = document.querySelector(".content").getBoundingClientRect().right;
  for (const node of document.querySelectorAll(".content pre, .content table, .content .table-wrapper")) {
    const excess = Math.max(node.scrollWidth - node.clientWidth, node.getBoundingClientRect().right - column);
    if (excess > 1) found.push([Math.round(excess), node.innerText.split("\\n")[0].slice(0, 100)]);
  }
  const escape = "this-will-duplicate-information-and-it-is-still-useful-here";
  for (const node of document.querySelectorAll(`.contents:not(.${escape})`)) {
    found.push([0, "a '.. contents::' block, which Furo shows as an error (its sidebar lists the page's sections)"]);
  }
  const page = document.documentElement;
  if (page.scrollWidth > page.clientWidth + 1) found.push([page.scrollWidth - page.clientWidth, "(the page)"]);
  return found;
}
"""


def chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    html = Path(argv[0]).resolve()
    pages = sorted(p for p in html.glob("*.html") if p.name not in ("genindex.html", "search.html", "py-modindex.html"))
    if not pages:
        print(f"check_layout: no HTML pages in {html}: build the docs first", file=sys.stderr)
        return 2
    executable = chromium()
    if executable is None:
        if os.environ.get("CI") == "true":
            print("check_layout: Chromium is missing (apt-get install -y chromium)", file=sys.stderr)
            return 1
        print("check_layout: skipped, no Chromium (apt-get install -y chromium)")
        return 0
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only when there is a browser to drive

    shots = html / "_screenshots"
    shots.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        for path in pages:
            page.goto(path.as_uri())
            for excess, first_line in page.evaluate(OVERFLOWS):
                what = f"a code block is {excess} px too wide" if excess else "an error on the page"
                problems.append(f"{path.name}: {what}: {first_line!r}")
            if path.name in SCREENSHOTS:
                page.screenshot(path=str(shots / path.with_suffix(".png").name), full_page=False)
        browser.close()
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"check_layout: {len(pages)} pages at {WIDTH}x{HEIGHT}, {len(problems)} problems")
    print(f"screenshots: {shots}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
