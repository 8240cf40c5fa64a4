"""The playground (examples/playground.py) in Chromium, Firefox and WebKit: what its page shows.

Each test starts the playground afresh (so the default policy and an empty log) on free
loopback ports, opens its page (``http://localhost:P``) in a fresh context of each selected
engine (``CORS_BROWSERS``), and clicks its buttons through the engines' one interface
(engines.py): a button's ``click()`` and every read of the page are ``evaluate`` calls.
The page's origin is served through :func:`engines.drivable` (the playground's own
application, wrapped by the test), so WebKit's MiniBrowser can drive the page itself.

The assertions are on what the page shows — the verdict, the requests the API received,
the console reason — and on the console lines the engine itself printed: the page's box
for the engine at work must say exactly what that engine printed, then what its script saw.
What legitimately differs between engines (the script's error, the console's wording)
comes from observed.py or from the engine's own console, never from cors_wsgi.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from engines import LAST_LINE, Engine, EnginePage, cors_reasons, drivable
from observed import FAILED, header_not_allowed, method_not_allowed, no_allow_origin

PLAYGROUND = Path(__file__).resolve().parents[2] / "examples" / "playground.py"
WAIT_SECONDS = 10.0
BLOCKED = 'Blocked: fetch() rejected with "{error}". The script gets no status, no headers, no body.'
BLOCKED_RE = re.compile(re.escape(BLOCKED).replace(re.escape("{error}"), "(.*)"), re.S)
SEES = "// the script sees: "
ALLOWED = "Allowed: fetch() resolved, status 200."


@dataclass
class Origins:
    page: str
    api: str
    other: str


@pytest.fixture
def origins() -> Iterator[Origins]:
    spec = importlib.util.spec_from_file_location("playground_in_browsers", PLAYGROUND)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    api_server, page_server = module.serve(0, 0)
    page_server.set_app(drivable(page_server.get_app()))  # before any request: WebKit's page drives itself
    try:
        yield Origins(
            page=f"http://localhost:{page_server.server_port}",
            api=f"http://localhost:{api_server.server_port}",
            other=f"http://127.0.0.1:{page_server.server_port}",
        )
    finally:
        for server in (api_server, page_server):
            server.shutdown()
            server.server_close()


@dataclass
class Result:
    """What one result box of the page shows (``None``: the box has no such part)."""

    cls: str
    call: str
    verdict: str | None
    readable: str | None
    body: str | None
    console: str | None
    console_none: str | None
    in_force: str | None
    text: str
    engines: list[tuple[str, str | None]]  # (data-engine, its .engine-lines text)
    requests: list[dict[str, str]]  # kind, line, sent, answered

    def engine_lines(self, engine: str) -> str:
        found = [lines for name, lines in self.engines if name == engine]
        assert len(found) == 1 and found[0] is not None, (engine, self.engines)
        return found[0]


_RESULTS_JS = """
(name) => {
  const text = (box, selector) => {
    const node = box.querySelector(selector);
    return node === null ? null : node.textContent;
  };
  return [...document.querySelectorAll(`.result[data-case="${name}"]`)].map((box) => ({
    cls: box.getAttribute("class"),
    call: box.dataset.call,
    verdict: text(box, ".verdict"),
    readable: text(box, ".readable"),
    body: text(box, ".body"),
    console: text(box, ".console"),
    console_none: text(box, ".console-none"),
    in_force: text(box, ".in-force"),
    text: box.textContent,
    engines: [...box.querySelectorAll(".engine-console")].map(
      (part) => [part.dataset.engine, text(part, ".engine-lines")]),
    requests: [...box.querySelectorAll(".request")].map((part) => ({
      kind: part.dataset.kind,
      line: text(part, ".request-line"),
      sent: text(part, ".request-headers"),
      answered: text(part, ".response-headers"),
    })),
  }));
}
"""
_DONE_JS = "(name) => document.querySelectorAll(`.result[data-case='${name}'][data-state='done']`).length"
_CLICK_JS = "(id) => { document.getElementById(id).click(); return null; }"
_TEXT_JS = "(selector) => document.querySelector(selector).textContent"
_VALUE_JS = "(selector) => document.querySelector(selector).value"
# Playwright's is_hidden: no layout box, or visibility hidden.
_HIDDEN_JS = """(selector) => {
  const node = document.querySelector(selector);
  return !node.getClientRects().length || getComputedStyle(node).visibility === "hidden";
}"""
_FILL_JS = """(fields) => {
  for (const [name, value] of Object.entries(fields)) {
    const input = document.querySelector(`#policy input[name=${name}]`);
    if (typeof value === "boolean") input.checked = value; else input.value = value;
  }
  document.querySelector("#policy button[type=submit]").click();
  return null;
}"""
_APPLIED_JS = """(before) => document.getElementById("policy-repr").textContent !== before
  || !document.getElementById("policy-error").hidden"""


class PlaygroundPage:
    """The playground's page in a fresh context of one engine, and every console line the engine printed."""

    def __init__(self, engine: Engine, origins: Origins) -> None:
        self.engine = engine.name
        self.origins = origins
        self.tab: EnginePage = engine.new_page()
        self.tab.goto(origins.page + "/")
        assert self.tab.evaluate("() => location.origin") == origins.page
        self.until("() => document.getElementById('policy-repr').dataset.loaded === 'yes'")

    def until(self, function: str, arg: Any = None) -> None:
        """Poll ``function`` in the page until it returns something true (bounded)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while not self.tab.evaluate(function, arg):
            assert time.monotonic() < deadline, f"the page never got to: {function}"
            self.tab.wait(0.02)

    @property
    def console(self) -> list[str]:
        return self.tab.console()

    def click(self, case: str, expect_reasons: list[str] | None = None) -> tuple[Result, list[str]]:
        """Click the button of ``case``; return the result it added to the page, and the console lines it caused.

        With ``expect_reasons`` (the engine's CORS reasons, from observed.py), also wait (bounded)
        until the engine printed its whole report of the failure.
        """
        before = self.tab.evaluate(_DONE_JS, case)
        start = len(self.console)
        self.tab.evaluate(_CLICK_JS, f"case-{case}")
        deadline = time.monotonic() + WAIT_SECONDS
        while self.tab.evaluate(_DONE_JS, case) <= before:
            assert time.monotonic() < deadline, f"no result for {case}"
            self.tab.wait(0.02)
        if expect_reasons is not None:
            closing = LAST_LINE[self.engine]
            while time.monotonic() < deadline:
                lines = self.console[start:]
                if cors_reasons(self.engine, lines) == expect_reasons and any(closing.match(x) for x in lines):
                    break
                self.tab.wait(0.02)
            self.tab.wait(0.2)  # nothing more is on its way (Firefox's second line of a preflight's failure)
        return self.results(case)[0], self.console[start:]

    def results(self, case: str) -> list[Result]:
        """The results of ``case`` the page shows, the newest first."""
        return [Result(**shown) for shown in self.tab.evaluate(_RESULTS_JS, case)]

    def text(self, selector: str) -> str:
        text: str = self.tab.evaluate(_TEXT_JS, selector)
        return text

    def value(self, selector: str) -> str:
        value: str = self.tab.evaluate(_VALUE_JS, selector)
        return value

    def hidden(self, selector: str) -> bool:
        return bool(self.tab.evaluate(_HIDDEN_JS, selector))

    def apply_policy(self, **fields: str | bool) -> None:
        """Change the form's fields, press Apply, and wait until the page shows the answer."""
        before = self.text("#policy-repr")
        self.tab.evaluate(_FILL_JS, fields)
        self.until(_APPLIED_JS, before)

    def cors_report(self, lines: list[str]) -> list[str]:
        """The lines of ``lines`` that report a CORS failure: its reasons and the engine's closing line."""
        closing = LAST_LINE[self.engine]
        reasons = cors_reasons(self.engine, lines)
        return [line for line in lines if line in reasons or closing.match(line)]

    def close(self) -> None:
        self.tab.close()


@pytest.fixture
def page(engine: Engine, origins: Origins) -> Iterator[PlaygroundPage]:
    opened = PlaygroundPage(engine, origins)
    try:
        yield opened
    finally:
        opened.close()


def printed_for_the_box(lines: list[str]) -> list[str]:
    """The engine's console lines a box predicts: Chromium's generic "Failed to load resource: ..." aside."""
    return [line for line in lines if not line.startswith("Failed to load resource: ")]


def test_an_allowed_preflighted_call_shows_the_preflight_and_what_the_script_reads(
    page: PlaygroundPage, origins: Origins
) -> None:
    result, printed = page.click("put")
    assert result.cls == "result allowed"
    assert result.verdict == ALLOWED
    readable = (result.readable or "").splitlines()
    assert "x-total: 42" in readable  # exposed by the policy
    assert "content-type: application/json" in readable
    assert '"X-Token received": "secret"' in (result.body or "")
    assert result.console_none == "Nothing: the call passed the CORS checks."

    preflight, put = result.requests
    assert preflight["kind"] == "preflight"
    assert preflight["line"] == "1. preflight: OPTIONS /items/1 → 204"
    sent = [
        "Access-Control-Request-Method: PUT",
        "Access-Control-Request-Headers: x-token",
        f"Origin: {origins.page}",
    ]
    # The lines in the order the engine sent its headers (WebKit puts Origin first), Chromium's as it was pinned.
    assert sorted(preflight["sent"].splitlines()) == sorted(sent)
    if page.engine == "chromium":
        assert preflight["sent"].splitlines() == sent
    answered = preflight["answered"].splitlines()
    for line in (
        f"Access-Control-Allow-Origin: {origins.page}",
        "Access-Control-Allow-Methods: GET, POST, PUT",
        "Access-Control-Allow-Headers: X-Token",
        "Access-Control-Max-Age: 0",
    ):
        assert line in answered
    assert put["line"] == "2. the request: PUT /items/1 → 200"
    assert "X-Token: secret" in put["sent"].splitlines()
    assert "Access-Control-Expose-Headers: X-Total" in put["answered"].splitlines()
    assert page.cors_report(page.console) == [], page.console
    assert page.cors_report(printed) == []


def test_the_credentialed_call_sends_the_cookie_the_api_set(page: PlaygroundPage) -> None:
    login, _ = page.click("login")
    assert login.cls == "result allowed"
    [received] = login.requests
    assert received["line"] == "1. the request: POST /login → 200"  # no preflight: a simple POST
    assert "Set-Cookie: playground_session=" in received["answered"]

    result, _ = page.click("credentials")
    assert result.cls == "result allowed"
    [received] = result.requests
    cookie = [line for line in received["sent"].splitlines() if line.startswith("Cookie: ")]
    assert len(cookie) == 1 and cookie[0].startswith("Cookie: playground_session="), received  # same site: sent
    assert '"cookie received": "playground_session=' in (result.body or "")
    assert "Access-Control-Allow-Credentials: true" in received["answered"].splitlines()


def expected_reasons(engine: str, case: str, origins: Origins) -> list[str]:
    """The CORS reasons the engine prints for a refused ``case`` (observed.py)."""
    if case == "refused-header":
        return header_not_allowed(engine, "X-Debug")
    if case == "refused-method":
        return method_not_allowed(engine, "DELETE")
    return no_allow_origin(engine, origins.other, 200)  # a simple GET, answered 200 without the header


@pytest.mark.parametrize(
    ("case", "reason", "request_line"),
    [
        (
            "refused-header",
            "Request header field x-debug is not allowed by Access-Control-Allow-Headers in preflight response.",
            "1. preflight: OPTIONS /items → 200",
        ),
        (
            "refused-method",
            "Method DELETE is not allowed by Access-Control-Allow-Methods in preflight response.",
            "1. preflight: OPTIONS /items/1 → 200",
        ),
        (
            "refused-origin",
            "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
            "1. the request: GET /items → 200",  # a simple GET: sent, answered, and its answer withheld
        ),
    ],
    ids=["header", "method", "origin"],
)
def test_a_refused_call_shows_the_console_message_the_engine_printed(
    page: PlaygroundPage, origins: Origins, case: str, reason: str, request_line: str
) -> None:
    engine = page.engine
    reasons = expected_reasons(engine, case, origins)
    result, printed = page.click(case, expect_reasons=reasons)
    assert result.cls == "result blocked"
    seen = re.fullmatch(BLOCKED_RE, result.verdict or "")
    assert seen is not None, result.verdict
    script_error = seen.group(1)  # what the script saw, as the page shows it
    assert script_error == FAILED[engine]
    assert cors_reasons(engine, printed) == reasons, printed

    # The page's explanation (.console) is in Chromium's words, the message Chromium prints, word for word.
    origin = origins.other if case == "refused-origin" else origins.page
    path = "/items/1" if case == "refused-method" else "/items"
    chromium_message = (
        f"Access to fetch at '{origins.api}{path}' from origin '{origin}' has been blocked by CORS policy: {reason}"
    )
    assert result.console == chromium_message
    if engine == "chromium":
        [message] = page.cors_report(printed)
        assert message == chromium_message  # what Chromium itself printed

    assert [name for name, _ in result.engines] == ["chromium", "firefox", "webkit"]
    # The box of the engine at work: exactly what it printed, then what its script saw (the verdict shows it).
    assert result.engine_lines(engine).splitlines() == [*printed_for_the_box(printed), SEES + script_error], printed
    chromium, firefox, webkit = (result.engine_lines(name) for name in ("chromium", "firefox", "webkit"))
    assert chromium.splitlines()[0] == chromium_message
    assert chromium.endswith("\n" + SEES + FAILED["chromium"])
    assert firefox.startswith("Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote ")
    assert firefox.endswith("\n" + SEES + FAILED["firefox"])
    assert webkit.endswith("due to access control checks.\n" + SEES + FAILED["webkit"])
    [received] = result.requests  # a refused preflight: the request itself is never sent
    assert received["line"] == request_line
    assert f"Origin: {origin}" in received["sent"].splitlines()


@pytest.mark.parametrize(
    ("case", "field", "value", "request_lines", "answered_line"),
    [
        (
            "refused-header",
            "allow_headers",
            "X-Token, X-Debug",
            ["1. preflight: OPTIONS /items → 204", "2. the request: GET /items → 200"],
            "Access-Control-Allow-Headers: X-Token, X-Debug",
        ),
        (
            "refused-origin",
            "allow_origins",
            "{page}, {other}",
            ["1. the request: GET /items → 200"],
            "Access-Control-Allow-Origin: {other}",
        ),
    ],
    ids=["header", "origin"],
)
def test_a_policy_changed_in_the_form_turns_a_refused_call_into_an_allowed_one(
    page: PlaygroundPage,
    origins: Origins,
    case: str,
    field: str,
    value: str,
    request_lines: list[str],
    answered_line: str,
) -> None:
    refused, _ = page.click(case, expect_reasons=expected_reasons(page.engine, case, origins))
    assert refused.cls == "result blocked"
    reported = page.cors_report(page.console)
    assert reported, page.console

    value = value.format(page=origins.page, other=origins.other)
    default = page.value(f"#policy input[name={field}]")
    assert refused.in_force == f"{field} in force for this call: {default}"
    page.apply_policy(**{field: value})
    assert page.hidden("#policy-error")
    listed = ", ".join(f"'{item}'" for item in value.split(", "))
    assert f"{field}=[{listed}]" in page.text("#policy-repr")

    allowed, _ = page.click(case)
    assert allowed.cls == "result allowed"
    assert allowed.verdict == ALLOWED
    # The result says what this call met, and nothing that is no longer true.
    assert allowed.in_force == f"{field} in force for this call: {value}"
    for untrue in ("not allowed", "does not allow", "not in ", "refuse"):
        assert untrue not in allowed.text, (untrue, allowed.text)
    earlier = page.results(case)[-1]  # the refused call's result, still shown
    assert earlier.call != allowed.call
    assert earlier.in_force == f"{field} in force for this call: {default}"
    shown = allowed.requests
    assert [request["line"] for request in shown] == request_lines
    answered = [line for request in shown for line in request["answered"].splitlines()]
    assert answered_line.format(other=origins.other) in answered
    assert page.cors_report(page.console) == reported  # only the first, refused, call printed a report


def test_the_policy_in_force_is_shown_with_lists_before_and_after_apply(page: PlaygroundPage, origins: Origins) -> None:
    in_force = (
        f"CORSPolicy(allow_origins=['{origins.page}'], allow_methods=['GET', 'POST', 'PUT'], "
        "allow_headers=[{headers}], expose_headers=['X-Total'], allow_credentials=True, max_age=0, debug=True)"
    )
    assert page.text("#policy-repr") == in_force.format(headers="'X-Token'")
    page.apply_policy(allow_headers="X-Token, X-Debug")
    assert page.hidden("#policy-error")
    assert page.text("#policy-repr") == in_force.format(headers="'X-Token', 'X-Debug'")
    assert page.value("#policy input[name=allow_headers]") == "X-Token, X-Debug"  # the form keeps text
    page.apply_policy(allow_headers="")
    assert page.text("#policy-repr") == in_force.format(headers="")


def test_an_invalid_policy_in_the_form_is_refused_with_every_problem(page: PlaygroundPage, origins: Origins) -> None:
    before = page.text("#policy-repr")
    page.apply_policy(allow_origins="*", allow_headers="X-Token, Cookie", allow_credentials=True)
    error = page.text("#policy-error")
    assert error.startswith("Not applied, the API keeps its policy.\ninvalid CORS configuration (2 problems):\n")
    assert "  - allow_origins[0] '*': '*' cannot be combined with allow_credentials=True" in error
    assert "  - allow_headers[1] 'Cookie': " in error
    assert page.text("#policy-repr") == before
    still, _ = page.click("put")  # the old policy still answers
    assert still.cls == "result allowed"
