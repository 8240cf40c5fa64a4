"""The playground (examples/playground.py) over real HTTP, without a browser.

Both origins run in process on free loopback ports: the page's origin
(``http://localhost:P``, which also serves the request log and the policy form's
endpoint) and the API (``http://localhost:A``).  Requests are sent the way a browser
would send them; the assertions are on what a user of the page would see: the headers
the API answered, the log and its verdicts, the policy in force.  Each test runs with
the plain WSGI API and with ``--flask``.  The last tests run the script itself.
"""

from __future__ import annotations

import errno
import http.client
import importlib.util
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "examples" / "playground.py"
TIMEOUT = 10.0


def load_playground() -> ModuleType:
    spec = importlib.util.spec_from_file_location("playground_under_test", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        assert len(values) <= 1, (name, values)
        return values[0] if values else None

    def cors(self) -> dict[str, str]:
        return {key: value for key, value in self.headers if key.lower().startswith("access-control-")}

    def json(self) -> Any:
        return json.loads(self.body)


def send(port: int, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> Reply:
    """One HTTP request to 127.0.0.1:port, with ``Host: localhost:port`` unless ``headers`` name another."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request(method, path, body=body or None, headers={"Host": f"localhost:{port}", **(headers or {})})
        response = connection.getresponse()
        return Reply(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


def post_json(port: int, path: str, data: object, **headers: str) -> Reply:
    return send(port, "POST", path, {"Content-Type": "application/json", **headers}, json.dumps(data).encode())


@dataclass
class Playground:
    api_port: int
    page_port: int

    @property
    def api(self) -> str:
        return f"http://localhost:{self.api_port}"

    @property
    def page(self) -> str:
        return f"http://localhost:{self.page_port}"

    @property
    def other(self) -> str:
        return f"http://127.0.0.1:{self.page_port}"

    def announce(
        self, case: str, path: str, method: str = "GET", origin: str | None = None, **more: Any
    ) -> dict[str, Any]:
        """Announce a call the way the page does before making it; returns its number, URL and log position."""
        data = {"case": case, "origin": origin or self.page, "path": path, "method": method, **more}
        reply = post_json(self.page_port, "/calls", data)
        assert reply.status == 200, reply.body
        announced: dict[str, Any] = reply.json()
        return announced

    def preflight(self, path: str, method: str, headers: str | None = None, origin: str | None = None) -> Reply:
        request = {"Origin": origin or self.page, "Access-Control-Request-Method": method}
        if headers is not None:
            request["Access-Control-Request-Headers"] = headers
        return send(self.api_port, "OPTIONS", path, request)

    def log(self, since: int = 0) -> dict[str, Any]:
        reply = send(self.page_port, "GET", f"/log?since={since}")
        assert reply.status == 200
        log: dict[str, Any] = reply.json()
        return log

    def policy(self) -> dict[str, Any]:
        policy: dict[str, Any] = send(self.page_port, "GET", "/policy").json()
        return policy


@pytest.fixture(params=[False, True], ids=["cors_wsgi", "flask"])
def playground(request: pytest.FixtureRequest) -> Iterator[Playground]:
    module = load_playground()
    api_server, page_server = module.serve(0, 0, flask=request.param)
    try:
        yield Playground(api_server.server_port, page_server.server_port)
    finally:
        for server in (api_server, page_server):
            server.shutdown()
            server.server_close()


def test_the_page_is_served_on_localhost_and_names_the_api(playground: Playground) -> None:
    page = send(playground.page_port, "GET", "/")
    assert page.status == 200
    assert page.header("Content-Type") == "text/html; charset=utf-8"
    html = page.body.decode()
    assert "<title>CORS playground</title>" in html
    assert f'"api": "{playground.api}"' in html
    assert f'"other": "{playground.other}"' in html
    assert "<script src" not in html and "<link" not in html  # self-contained: nothing fetched from elsewhere
    # The page's copy on the other origin sends the user to the page's own origin.
    elsewhere = send(playground.page_port, "GET", "/", {"Host": f"127.0.0.1:{playground.page_port}"})
    assert (elsewhere.status, elsewhere.header("Location")) == (302, f"{playground.page}/")
    frame = send(playground.page_port, "GET", "/frame", {"Host": f"127.0.0.1:{playground.page_port}"})
    assert frame.status == 200
    assert f'const PAGE_ORIGIN = "{playground.page}";' in frame.body.decode()


def test_the_log_shows_a_preflight_as_the_api_received_and_answered_it(playground: Playground) -> None:
    call = playground.announce("put", "/items/1", "PUT", headers=[["X-Token", "secret"]])
    assert call["url"] == f"{playground.api}/items/1"

    answer = playground.preflight("/items/1", "PUT", "x-token")
    assert answer.status == 204
    log = playground.log(call["since"])
    [entry] = log["entries"]
    assert (entry["kind"], entry["method"], entry["path"], entry["call"]) == (
        "preflight",
        "OPTIONS",
        "/items/1",
        call["call"],
    )
    assert ["Origin", playground.page] in entry["request_headers"]
    assert ["Access-Control-Request-Method", "PUT"] in entry["request_headers"]
    assert ["Access-Control-Request-Headers", "x-token"] in entry["request_headers"]
    assert entry["status"] == 204
    shown = {name: value for name, value in entry["response_headers"] if name.startswith("Access-Control-")}
    assert shown == {
        "Access-Control-Allow-Origin": playground.page,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "GET, POST, PUT",
        "Access-Control-Allow-Headers": "X-Token",
        "Access-Control-Max-Age": "0",
    }
    assert shown == answer.cors()  # the log shows what went on the wire
    assert log["calls"][call["call"]]["verdict"] is None  # the browser has not sent the PUT yet

    put = send(playground.api_port, "PUT", "/items/1", {"Origin": playground.page, "X-Token": "secret"})
    assert put.status == 200
    log = playground.log(call["since"])
    assert [entry["kind"] for entry in log["entries"]] == ["preflight", "request"]
    verdict = log["calls"][call["call"]]
    assert verdict["verdict"]["allowed"] is True
    assert verdict["console"] is None
    assert verdict["preflight_needed"] is True
    assert log["next"] == log["entries"][-1]["seq"]
    assert playground.log(log["next"])["entries"] == []


def test_a_refused_header_is_explained_in_the_browser_consoles_words(playground: Playground) -> None:
    call = playground.announce("refused-header", "/items", headers=[["X-Debug", "1"]])
    refused = playground.preflight("/items", "GET", "x-debug")
    assert refused.status == 200  # debug=True: the partial headers let the console name the header
    assert refused.header("Access-Control-Allow-Headers") == "X-Token"
    explained = playground.log(call["since"])["calls"][call["call"]]
    assert explained["verdict"]["allowed"] is False
    assert explained["console"] == (
        f"Access to fetch at '{playground.api}/items' from origin '{playground.page}' has been blocked by CORS "
        "policy: Request header field x-debug is not allowed by Access-Control-Allow-Headers in preflight response."
    )
    consoles = {engine["browser"]: engine for engine in explained["consoles"]}
    assert list(consoles) == ["Chrome", "Firefox", "Safari"]
    assert consoles["Chrome"]["console"] == [explained["console"]]
    assert consoles["Firefox"]["console"] == [
        "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at "
        f"{playground.api}/items. (Reason: header ‘x-debug’ is not allowed according to header "
        "‘Access-Control-Allow-Headers’ from CORS preflight response).",
        "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at "
        f"{playground.api}/items. (Reason: CORS request did not succeed). Status code: (null).",
    ]
    assert consoles["Safari"]["console"] == [
        "Request header field X-Debug is not allowed by Access-Control-Allow-Headers.",
        f"Fetch API cannot load {playground.api}/items due to access control checks.",
    ]
    assert consoles["Safari"]["script_error"] == "TypeError: Load failed"


def test_a_request_without_its_preflight_is_said_to_use_the_browsers_cache(playground: Playground) -> None:
    call = playground.announce("json", "/items", "POST", headers=[["Content-Type", "application/json"]])
    send(playground.api_port, "POST", "/items", {"Origin": playground.page, "Content-Type": "application/json"}, b"{}")
    explained = playground.log(call["since"])["calls"][call["call"]]
    assert explained["verdict"]["allowed"] is True
    assert explained["note"] == "No preflight reached the API: the browser reused the answer it cached (max_age)."


def test_a_policy_change_takes_effect_on_the_next_request(playground: Playground) -> None:
    before = playground.preflight("/items/1", "DELETE", origin=playground.other)
    assert before.status == 403
    assert before.cors() == {}

    form = {
        "allow_origins": f"{playground.page}, {playground.other}",
        "allow_methods": "GET, delete",
        "allow_headers": "",
        "expose_headers": "",
        "allow_credentials": False,
        "max_age": "",
        "debug": False,
    }
    changed = post_json(playground.page_port, "/policy", form)
    assert changed.status == 200
    assert changed.json()["form"] == {**form, "allow_methods": "GET, DELETE"}  # normalized as the API uses it
    assert playground.policy()["repr"] == changed.json()["repr"]
    # In force: the lists as one would write them in code, not the form's comma-separated text.
    in_force = changed.json()["repr"]
    assert f"allow_origins=['{playground.page}', '{playground.other}']" in in_force
    assert "allow_methods=['GET', 'delete']" in in_force
    assert "allow_headers=[], expose_headers=[]" in in_force

    call = playground.announce("refused-method", "/items/1", "DELETE", origin=playground.other)
    assert call["policy"] == changed.json()["form"]  # the policy this call meets
    after = playground.preflight("/items/1", "DELETE", origin=playground.other)
    assert after.status == 204
    assert after.cors() == {
        "Access-Control-Allow-Origin": playground.other,
        "Access-Control-Allow-Methods": "GET, DELETE",
    }
    get = send(playground.api_port, "GET", "/items", {"Origin": playground.other})
    assert get.cors() == {"Access-Control-Allow-Origin": playground.other}

    reset = post_json(playground.page_port, "/policy", playground.policy()["defaults"])
    assert reset.status == 200
    assert playground.preflight("/items/1", "DELETE", origin=playground.other).status == 403


def test_an_invalid_policy_lists_every_problem_and_the_old_policy_stays(playground: Playground) -> None:
    old = playground.policy()
    form = {
        **old["form"],
        "allow_origins": "*, https://example.com/app",
        "allow_headers": "X-Token, Cookie",
        "allow_credentials": True,
        "max_age": "999999",
    }
    refused = post_json(playground.page_port, "/policy", form)
    assert refused.status == 400
    answer = refused.json()
    assert answer["error"].startswith("invalid CORS configuration (4 problems):\n")
    assert len(answer["problems"]) == 4
    for where in (
        "allow_origins[0] '*': '*' cannot be combined with allow_credentials=True",
        "allow_origins[1] 'https://example.com/app': an origin has no path — did you mean 'https://example.com'?",
        "allow_headers[1] 'Cookie'",
        "max_age 999999: must be between 0 and 86400 seconds",
    ):
        assert sum(problem.startswith(where) for problem in answer["problems"]) == 1, (where, answer["problems"])
        assert f"  - {where}" in answer["error"]
    assert answer["repr"] == old["repr"]  # the answer shows the policy still in force
    assert playground.policy() == old

    unreadable = post_json(playground.page_port, "/policy", {**old["form"], "max_age": "ten"})
    assert unreadable.status == 400
    assert unreadable.json()["problems"] == ["max_age: expected seconds as an int or a timedelta, not 'ten'"]

    still = playground.preflight("/items/1", "PUT", "x-token")
    assert (still.status, still.header("Access-Control-Allow-Origin")) == (204, playground.page)


def test_the_page_origin_takes_json_only_from_itself(playground: Playground) -> None:
    before = playground.policy()
    wide_open = {**before["form"], "allow_origins": "http://evil.example"}
    as_form = send(
        playground.page_port, "POST", "/policy", {"Content-Type": "text/plain"}, json.dumps(wide_open).encode()
    )
    assert as_form.status == 403  # a cross-site form or no-cors fetch cannot change the policy
    from_elsewhere = post_json(playground.page_port, "/policy", wide_open, Origin="http://evil.example")
    assert from_elsewhere.status == 403
    rebound = send(playground.page_port, "GET", "/log", {"Host": f"evil.example:{playground.page_port}"})
    assert rebound.status == 421  # a DNS-rebound name cannot read the log
    assert playground.policy() == before


# -- the script itself ------------------------------------------------------------------------


def _lines(stream: Any, into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def start_script(*args: str) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    """Run the playground script; its printed lines arrive in the queue as they are printed."""
    command = [sys.executable, str(SCRIPT), *args]
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    assert process.stdout is not None
    printed: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(process.stdout, printed), daemon=True).start()
    return process, printed


@pytest.mark.parametrize("when", ["after-serving", "at-the-first-line"])
@pytest.mark.parametrize("flask", [False, True], ids=["cors_wsgi", "flask"])
def test_the_script_prints_the_address_serves_it_and_stops_cleanly_on_ctrl_c(flask: bool, when: str) -> None:
    # "at-the-first-line": Ctrl-C as soon as anything is printed, while the script is still
    # printing its address — the moment that used to end it with a KeyboardInterrupt.
    process, printed = start_script("--api-port", "0", "--page-port", "0", *(["--flask"] if flask else []))
    try:
        assert process.stderr is not None
        kind = "Flask + flask_cors_ext" if flask else "cors_wsgi"
        first = printed.get(timeout=TIMEOUT)
        assert first.startswith(f"API ({kind}):  http://localhost:")
        if when == "at-the-first-line":
            process.send_signal(signal.SIGINT)
        address_line = printed.get(timeout=TIMEOUT)
        assert address_line.startswith("Open the page: http://localhost:")
        assert address_line.endswith("/   (Ctrl-C to stop)\n")
        if when == "after-serving":
            address = address_line.split()[3]
            page = send(int(address.rsplit(":", 1)[1].rstrip("/")), "GET", "/")
            assert page.status == 200
            assert b"<title>CORS playground</title>" in page.body
            shown = "a Flask app with flask_cors_ext.CORS" if flask else "cors_wsgi.CORSMiddleware"
            assert f'"apiKind": "{shown}"'.encode() in page.body
            process.send_signal(signal.SIGINT)
        assert process.wait(timeout=TIMEOUT) == 0
        assert [printed.get(timeout=TIMEOUT), printed.get(timeout=TIMEOUT)] == ["\n", "stopping\n"]
        assert process.stderr.read() == ""  # no traceback, no KeyboardInterrupt
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=TIMEOUT)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize(
    ("busy", "what", "option"),
    [("--api-port", "the API's port", "--api-port"), ("--page-port", "the page's port", "--page-port")],
    ids=["api", "page"],
)
def test_the_script_names_the_busy_port_and_the_option_that_changes_it(busy: str, what: str, option: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = {"--api-port": "0", "--page-port": "0", busy: str(port)}
        result = subprocess.run(
            [sys.executable, str(SCRIPT), *(part for pair in ports.items() for part in pair)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT * 3,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            check=False,
        )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"cannot listen on 127.0.0.1:{port}, {what}: {os.strerror(errno.EADDRINUSE)} — "
        f"choose another with {option} PORT ({option} 0: any free port)\n"
    )
