"""The ASGI answer equals the WSGI answer, for random policies and requests (Hypothesis).

Random valid policies and often hostile requests come from the fuzz suite's generators
(``tests/fuzz/fuzz_support.py``: ``policy``, ``request``, ``app_response``); each request
goes to ``cors_wsgi.CORSMiddleware`` as a WSGI environ and to ``cors_wsgi.asgi.CORSMiddleware``
as an ASGI scope, in front of the same application answer, and everything the client
would receive must be equal: status, every header in order (names compared
case-insensitively: ASGI names are lowercase), ``Vary`` included, the body, and whether
the application ran.

The ASGI request is spelled as an ASGI server would give it: header values as latin-1
bytes, ``scope["path"]`` as the text the WSGI ``PATH_INFO`` encodes (PEP 3333), under a
random ``root_path`` when the layout uses ``resources``; and a value with commas is sometimes
sent as the repeated header it could have come from (each value stripped of surrounding
white space, as an HTTP parser does), the WSGI side then getting those values joined
by ``,``, as a WSGI server joins a repeated header.  A
refusal reason in ``debug`` mode then quotes the first ``Origin`` instead of the joined
one, so bodies are compared only when ``Origin`` was not split.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import warnings
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent / "fuzz"))

# On a failure Hypothesis imports libcst to suggest a patch, whose import warns; with the
# repository's ``filterwarnings = error`` that would hide the real failure (as in tests/fuzz).
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    with contextlib.suppress(ImportError):
        import hypothesis.extra._patching  # noqa: F401

from fuzz_support import (
    RESOURCE_REGEX,
    SCALE,
    App,
    DrawSource,
    RandomSource,
    Req,
    Source,
    app_response,
    boolean,
    pick,
    policy,
    request,
    serve,
)
from support import run_async

from cors_wsgi import CORSMiddleware, CORSPolicy
from cors_wsgi.asgi import CORSMiddleware as ASGICORSMiddleware

LAYOUTS = ("options", "policy", "resources")
ROOT_PATHS = ("", "", "/v1", "/prefix/x")
#: Examples per property; ``CORS_FUZZ_SCALE`` (as in tests/fuzz) multiplies them for a longer run.
SETTINGS = settings(
    max_examples=max(1, int(50 * SCALE)), deadline=None, suppress_health_check=list(HealthCheck), print_blob=True
)


class ASGIApp:
    """The ASGI twin of ``fuzz_support.App``: the same final status, headers and body; counts its calls."""

    def __init__(self, wsgi_app: App) -> None:
        self.wsgi_app = wsgi_app
        self.calls = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.calls += 1
        app = self.wsgi_app
        headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in app.final_headers]
        await send({"type": "http.response.start", "status": int(app.final_status[:3]), "headers": headers})
        await send({"type": "http.response.body", "body": app.body})


class Pair:
    """One policy behind both adapters, in front of the same application answer."""

    def __init__(self, src: Source) -> None:
        self.layout = pick(src, LAYOUTS)
        self.options, self.spec = policy(src)
        self.other_options, self.other_spec = policy(src) if self.layout == "resources" else ({}, self.spec)
        self.debug = boolean(src)
        self.root_path = pick(src, ROOT_PATHS) if self.layout == "resources" else ""
        self.wsgi_app = App(app_response(src))
        self.asgi_app = ASGIApp(self.wsgi_app)
        if self.layout == "options":
            self.wsgi = CORSMiddleware(self.wsgi_app, **self.options, debug=self.debug)
            self.asgi = ASGICORSMiddleware(self.asgi_app, **self.options, debug=self.debug)
        elif self.layout == "policy":
            shared = CORSPolicy(**self.options)
            self.wsgi = CORSMiddleware(self.wsgi_app, shared)
            self.asgi = ASGICORSMiddleware(self.asgi_app, shared)
            self.wsgi.debug = self.asgi.debug = self.debug  # switched at run time
        else:
            resources = {"/api/*": self.options, RESOURCE_REGEX: self.other_options}
            self.wsgi = CORSMiddleware(self.wsgi_app, resources=resources, debug=self.debug)
            self.asgi = ASGICORSMiddleware(self.asgi_app, resources=resources, debug=self.debug)

    def describe(self) -> str:
        return (
            f"layout={self.layout} debug={self.debug} root_path={self.root_path!r}\n"
            f"options={self.options!r}\nother={self.other_options!r}\napp={self.wsgi_app.response!r}"
        )


FIELDS = {
    "origin": "origin",
    "acrm": "access-control-request-method",
    "acrh": "access-control-request-headers",
    "acrpn": "access-control-request-private-network",
}


def split_values(req: Req, split: dict[str, bool]) -> tuple[Req, dict[str, list[str]]]:
    """The request as a WSGI server hands it over, and its CORS headers as an ASGI server gives them.

    A value chosen to be split is sent to ASGI as the repeated header its commas
    suggest, each value stripped of surrounding spaces and tabs as an HTTP parser
    strips them; the WSGI side then gets those values joined by ``,``, as a WSGI
    server joins a repeated header.
    """
    values: dict[str, list[str]] = {}
    changes: dict[str, str] = {}
    for attribute, name in FIELDS.items():
        value = getattr(req, attribute)
        if value is None:
            continue
        if split[name] and "," in value:
            values[name] = [part.strip(" \t") for part in value.split(",")]
            changes[attribute] = ",".join(values[name])
        else:
            values[name] = [value]
    return dataclasses.replace(req, **changes), values


def asgi_scope(req: Req, root_path: str, values: dict[str, list[str]]) -> dict[str, Any]:
    headers: list[tuple[bytes, bytes]] = [(b"host", b"api.example.net")]
    for name, parts in values.items():
        headers += [(name.encode(), part.encode("latin-1")) for part in parts]
    # scope["path"] is text: the percent-decoded bytes as UTF-8, as the WSGI PATH_INFO spells them.
    path = req.path.encode("latin-1").decode("utf-8", "replace")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": req.method,
        "scheme": "http",
        "path": root_path + path,
        "raw_path": (root_path + path).encode("utf-8", "surrogateescape"),
        "root_path": root_path,
        "query_string": b"",
        "headers": headers,
    }


def asgi_exchange(app: ASGICORSMiddleware, scope: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    run_async(app(scope, receive, send))
    assert [m["type"] for m in messages] == ["http.response.start", "http.response.body"]
    start, body = messages
    headers = [(bytes(n).decode("latin-1"), bytes(v).decode("latin-1")) for n, v in start["headers"]]
    return start["status"], headers, body["body"]


def check(pair: Pair, req: Req, src: Source) -> None:
    split = {name: boolean(src) for name in FIELDS.values()}
    req, values = split_values(req, split)
    root_path = "" if pair.layout != "resources" or not req.path.startswith("/") else pair.root_path
    pair.wsgi_app.calls = pair.asgi_app.calls = 0
    wsgi = serve(pair.wsgi, req.environ())
    status, headers, body = asgi_exchange(pair.asgi, asgi_scope(req, root_path, values))
    note(f"split={split} root_path={root_path!r}")
    assert status == int(wsgi.status[:3])
    # A debug refusal quotes the first Origin when it was split, so its body and length differ.
    quoted_differently = len(values.get("origin", ())) > 1 and req.is_preflight and pair.debug
    compared = {"content-length"} if quoted_differently else set()
    assert [(n.lower(), v) for n, v in headers if n.lower() not in compared] == [
        (n.lower(), v) for n, v in wsgi.headers if n.lower() not in compared
    ]
    if not quoted_differently:
        assert body == wsgi.body
    assert pair.asgi_app.calls == pair.wsgi_app.calls


def run(src: Source, preflight: bool, pairs: int, requests: int) -> None:
    for _ in range(pairs):
        pair = Pair(src)
        for _ in range(requests):
            aim = pair.other_spec if pair.layout == "resources" and boolean(src) else pair.spec
            req = request(src, aim, preflight)
            try:
                check(pair, req, src)
            except BaseException:
                note(f"{pair.describe()}\nrequest={req.short()}")
                raise


@SETTINGS
@given(data=st.data())
def test_asgi_equals_wsgi_for_random_requests(data: st.DataObject) -> None:
    run(DrawSource(data.draw), preflight=False, pairs=1, requests=3)


@SETTINGS
@given(data=st.data())
def test_asgi_equals_wsgi_for_random_preflights(data: st.DataObject) -> None:
    run(DrawSource(data.draw), preflight=True, pairs=1, requests=3)


@settings(max_examples=max(1, int(5 * SCALE)), deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)
@given(seed=st.integers(0, 2**64 - 1))
def test_asgi_equals_wsgi_seeded(seed: int) -> None:
    src = RandomSource(seed)
    run(src, preflight=False, pairs=5, requests=20)
    run(src, preflight=True, pairs=5, requests=20)
