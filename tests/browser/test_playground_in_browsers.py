"""The playground (examples/playground.py) in a real Chromium: what its page shows.

Each test starts the playground afresh (so the default policy and an empty log) on free
loopback ports, opens its page (``http://localhost:P``) in a fresh browser context, and
clicks its buttons.  The assertions are on what the page shows — the verdict, the
requests the API received, the console reason — and on the console messages Chromium
itself printed, captured with ``page.on("console")``.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PLAYGROUND = Path(__file__).resolve().parents[2] / "examples" / "playground.py"
CORS_MARKER = "has been blocked by CORS policy: "
WAIT_MS = 10_000
BLOCKED = 'Blocked: fetch() rejected with "TypeError: Failed to fetch". The script gets no status, no headers, no body.'


@dataclass
class Origins:
    page: str
    api: str
    other: str


@pytest.fixture
def origins() -> Iterator[Origins]:
    spec = importlib.util.spec_from_file_location("playground_in_chromium", PLAYGROUND)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    api_server, page_server = module.serve(0, 0)
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


class PlaygroundPage:
    """The playground's page in a fresh browser context, with every console line Chromium printed."""

    def __init__(self, browser: Any, origins: Origins) -> None:
        self.origins = origins
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on("console", lambda message: self.console.append(message.text))
        self.page.goto(origins.page + "/")
        self.page.wait_for_function("document.getElementById('policy-repr').dataset.loaded === 'yes'", timeout=WAIT_MS)

    def click(self, case: str, expect_cors_error: bool = False) -> Any:
        """Click the button of ``case``; return the result it added to the page (a locator).

        With ``expect_cors_error``, also wait (bounded) for Chromium's CORS console message.
        """
        shown = self.page.locator(f'.result[data-case="{case}"]')
        before = shown.count()
        if expect_cors_error:
            with self.page.expect_console_message(lambda message: CORS_MARKER in message.text, timeout=WAIT_MS):
                self.page.click(f"#case-{case}")
        else:
            self.page.click(f"#case-{case}")
        self.page.wait_for_function(
            "([name, count]) => document.querySelectorAll(`.result[data-case='${name}'][data-state='done']`).length"
            " > count",
            arg=[case, before],
            timeout=WAIT_MS,
        )
        return shown.first

    def apply_policy(self, **fields: str | bool) -> None:
        """Change the form's fields, press Apply, and wait until the page shows the answer."""
        before = self.page.text_content("#policy-repr")
        for name, value in fields.items():
            if isinstance(value, bool):
                self.page.set_checked(f"#policy input[name={name}]", value)
            else:
                self.page.fill(f"#policy input[name={name}]", value)
        self.page.click("#policy button[type=submit]")
        self.page.wait_for_function(
            "(before) => document.getElementById('policy-repr').textContent !== before"
            " || !document.getElementById('policy-error').hidden",
            arg=before,
            timeout=WAIT_MS,
        )

    @property
    def cors_console_lines(self) -> list[str]:
        return [line for line in self.console if CORS_MARKER in line]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def page(browser: Any, origins: Origins) -> Iterator[PlaygroundPage]:
    opened = PlaygroundPage(browser, origins)
    try:
        yield opened
    finally:
        opened.close()


def requests_shown(result: Any) -> list[dict[str, str]]:
    """What the result shows of each request the API received: its line, the headers sent and answered."""
    shown = []
    for index in range(result.locator(".request").count()):
        part = result.locator(".request").nth(index)
        shown.append(
            {
                "kind": part.get_attribute("data-kind"),
                "line": part.locator(".request-line").text_content(),
                "sent": part.locator(".request-headers").text_content(),
                "answered": part.locator(".response-headers").text_content(),
            }
        )
    return shown


def test_an_allowed_preflighted_call_shows_the_preflight_and_what_the_script_reads(
    page: PlaygroundPage, origins: Origins
) -> None:
    result = page.click("put")
    assert result.get_attribute("class") == "result allowed"
    assert result.locator(".verdict").text_content() == "Allowed: fetch() resolved, status 200."
    readable = (result.locator(".readable").text_content() or "").splitlines()
    assert "x-total: 42" in readable  # exposed by the policy
    assert "content-type: application/json" in readable
    assert '"X-Token received": "secret"' in (result.locator(".body").text_content() or "")
    assert result.locator(".console-none").text_content() == "Nothing: the call passed the CORS checks."

    preflight, put = requests_shown(result)
    assert preflight["kind"] == "preflight"
    assert preflight["line"] == "1. preflight: OPTIONS /items/1 → 204"
    assert preflight["sent"].splitlines() == [
        "Access-Control-Request-Method: PUT",
        "Access-Control-Request-Headers: x-token",
        f"Origin: {origins.page}",
    ]
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
    assert page.cors_console_lines == []


def test_the_credentialed_call_sends_the_cookie_the_api_set(page: PlaygroundPage) -> None:
    login = page.click("login")
    assert login.get_attribute("class") == "result allowed"
    [received] = requests_shown(login)
    assert received["line"] == "1. the request: POST /login → 200"  # no preflight: a simple POST
    assert "Set-Cookie: playground_session=" in received["answered"]

    result = page.click("credentials")
    assert result.get_attribute("class") == "result allowed"
    [received] = requests_shown(result)
    cookie = [line for line in received["sent"].splitlines() if line.startswith("Cookie: ")]
    assert len(cookie) == 1 and cookie[0].startswith("Cookie: playground_session=")  # same site: sent
    assert '"cookie received": "playground_session=' in (result.locator(".body").text_content() or "")
    assert "Access-Control-Allow-Credentials: true" in received["answered"].splitlines()


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
def test_a_refused_call_shows_the_console_message_chromium_printed(
    page: PlaygroundPage, origins: Origins, case: str, reason: str, request_line: str
) -> None:
    result = page.click(case, expect_cors_error=True)
    assert result.get_attribute("class") == "result blocked"
    assert result.locator(".verdict").text_content() == BLOCKED
    shown = result.locator(".console").text_content()
    [printed] = page.cors_console_lines
    assert shown == printed  # the page's explanation is Chromium's own message, word for word
    origin = origins.other if case == "refused-origin" else origins.page
    path = "/items/1" if case == "refused-method" else "/items"
    assert (
        printed
        == f"Access to fetch at '{origins.api}{path}' from origin '{origin}' has been blocked by CORS policy: {reason}"
    )
    engines = result.locator(".engine-console")
    assert engines.evaluate_all("parts => parts.map(part => part.dataset.engine)") == ["chromium", "firefox", "webkit"]
    chromium, firefox, webkit = (engines.nth(i).locator(".engine-lines").text_content() or "" for i in range(3))
    assert chromium.splitlines() == [printed, "// the script sees: TypeError: Failed to fetch"]
    assert firefox.startswith("Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote ")
    assert firefox.endswith("// the script sees: TypeError: NetworkError when attempting to fetch resource.")
    assert webkit.endswith("due to access control checks.\n// the script sees: TypeError: Load failed")
    [received] = requests_shown(result)  # a refused preflight: the request itself is never sent
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
    refused = page.click(case, expect_cors_error=True)
    assert refused.get_attribute("class") == "result blocked"

    value = value.format(page=origins.page, other=origins.other)
    default = page.page.input_value(f"#policy input[name={field}]")
    assert refused.locator(".in-force").text_content() == f"{field} in force for this call: {default}"
    page.apply_policy(**{field: value})
    assert page.page.is_hidden("#policy-error")
    listed = ", ".join(f"'{item}'" for item in value.split(", "))
    assert f"{field}=[{listed}]" in (page.page.text_content("#policy-repr") or "")

    allowed = page.click(case)
    assert allowed.get_attribute("class") == "result allowed"
    assert allowed.locator(".verdict").text_content() == "Allowed: fetch() resolved, status 200."
    # The result says what this call met, and nothing that is no longer true.
    assert allowed.locator(".in-force").text_content() == f"{field} in force for this call: {value}"
    text = allowed.text_content() or ""
    for untrue in ("not allowed", "does not allow", "not in ", "refuse"):
        assert untrue not in text, (untrue, text)
    earlier = page.page.locator(f'.result[data-case="{case}"]').last  # the refused call's result, still shown
    assert earlier.get_attribute("data-call") != allowed.get_attribute("data-call")
    assert earlier.locator(".in-force").text_content() == f"{field} in force for this call: {default}"
    shown = requests_shown(allowed)
    assert [request["line"] for request in shown] == request_lines
    answered = [line for request in shown for line in request["answered"].splitlines()]
    assert answered_line.format(other=origins.other) in answered
    assert len(page.cors_console_lines) == 1  # only the first, refused, call printed one


def test_the_policy_in_force_is_shown_with_lists_before_and_after_apply(page: PlaygroundPage, origins: Origins) -> None:
    in_force = (
        f"CORSPolicy(allow_origins=['{origins.page}'], allow_methods=['GET', 'POST', 'PUT'], "
        "allow_headers=[{headers}], expose_headers=['X-Total'], allow_credentials=True, max_age=0, debug=True)"
    )
    assert page.page.text_content("#policy-repr") == in_force.format(headers="'X-Token'")
    page.apply_policy(allow_headers="X-Token, X-Debug")
    assert page.page.is_hidden("#policy-error")
    assert page.page.text_content("#policy-repr") == in_force.format(headers="'X-Token', 'X-Debug'")
    assert page.page.input_value("#policy input[name=allow_headers]") == "X-Token, X-Debug"  # the form keeps text
    page.apply_policy(allow_headers="")
    assert page.page.text_content("#policy-repr") == in_force.format(headers="")


def test_an_invalid_policy_in_the_form_is_refused_with_every_problem(page: PlaygroundPage, origins: Origins) -> None:
    before = page.page.text_content("#policy-repr")
    page.apply_policy(allow_origins="*", allow_headers="X-Token, Cookie", allow_credentials=True)
    error = page.page.text_content("#policy-error") or ""
    assert error.startswith("Not applied, the API keeps its policy.\ninvalid CORS configuration (2 problems):\n")
    assert "  - allow_origins[0] '*': '*' cannot be combined with allow_credentials=True" in error
    assert "  - allow_headers[1] 'Cookie': " in error
    assert page.page.text_content("#policy-repr") == before
    still = page.click("put")  # the old policy still answers
    assert still.get_attribute("class") == "result allowed"
