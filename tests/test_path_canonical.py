"""Per-path policies are chosen on the path a router serves, whatever its spelling.

A. ``//admin/users``, ``/./admin/users``, ``/x/../admin/users`` (and ``/x/..%2Fadmin/users``,
   which a browser does send) must get the ``/admin/*`` policy, never the broader ``/*`` one:
   under gunicorn, Flask serves ``//admin/users`` with the ``/admin/users`` view.
B. ``"/café/*"`` must cover a browser's request for ``/caf%C3%A9/x``, which reaches a WSGI
   application as ``PATH_INFO = "/cafÃ©/x"`` (PEP 3333: the bytes read as latin-1).

Checked through the WSGI middleware, through Flask, and behind real servers on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import posixpath
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from hypothesis import given, settings
from hypothesis import strategies as st
from support import Launcher, RecordingApp, free_port, http_call, serve_wsgi, wsgi_environ

from cors_wsgi import CORSConfigError, CORSMiddleware, CORSPolicy
from cors_wsgi.cli import main as cors_main
from cors_wsgi.resources import canonical_path, wsgi_path_to_text
from flask_cors_ext import CORS, cross_origin

TESTS = Path(__file__).resolve().parent
BENCHMARKS = TESTS.parent / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.append(str(BENCHMARKS))

import _servers  # noqa: E402

# As in test_properties.py: a failing property makes Hypothesis import libcst, whose
# DeprecationWarning ``filterwarnings = error`` would turn into an INTERNALERROR.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    with contextlib.suppress(ImportError):
        import hypothesis.extra._patching  # noqa: F401

SHOP = "https://shop.example.com"
ADMIN = "https://admin.example.com"
PARTNER = "https://partner.example.com"
CAFE = "https://cafe.example.com"
NIHON = "https://nihon.example.jp"

SHOP_AND_ADMIN: dict[str, Any] = {
    "allow_credentials": True,
    "resources": {"/*": {"allow_origins": [SHOP]}, "/admin/*": {"allow_origins": [ADMIN]}},
}
NON_ASCII: dict[str, Any] = {
    "resources": {
        "/café/*": {"allow_origins": [CAFE]},
        "/日本/*": {"allow_origins": [NIHON]},
        "/*": {"allow_origins": [SHOP]},
    },
}

#: Spellings of /admin/users that are not canonical.  A browser sends the '//' ones as written,
#: and '/x/..%2Fadmin/users' (which servers decode to '/x/../admin/users'); other clients send any.
ADMIN_SPELLINGS = [
    "//admin/users",
    "///admin/users",
    "/admin//users",
    "/./admin/users",
    "/admin/./users",
    "/x/../admin/users",
    "/../admin/users",
    "/x/y/../../admin/users",
    "/x/..//admin/users",
    "admin/users",
]


def pep3333(text: str) -> str:
    """The PATH_INFO a WSGI server passes for a request whose decoded path is ``text``."""
    return text.encode("utf-8").decode("latin-1")


def call(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    """Call a WSGI app directly: status, headers (last value of each name), body."""
    seen: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        seen.append((status, headers))
        return lambda _: None

    body = b"".join(app(environ, start_response))
    status, headers = seen[-1]
    return status, dict(headers), body


def get(app: Callable[..., Iterable[bytes]], path_info: str, origin: str) -> tuple[str, dict[str, str], bytes]:
    return call(app, wsgi_environ("GET", path_info, ORIGIN=origin))


def options(app: Callable[..., Iterable[bytes]], path_info: str, origin: str) -> tuple[str, dict[str, str], bytes]:
    return call(app, wsgi_environ("OPTIONS", path_info, ORIGIN=origin, ACCESS_CONTROL_REQUEST_METHOD="PUT"))


# -- A. the core: canonical_path and the middleware ------------------------------------------------


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("/admin/users", "/admin/users"),
        ("/", "/"),
        ("", "/"),
        ("//admin/users", "/admin/users"),
        ("///admin//users", "/admin/users"),
        ("/./admin/users", "/admin/users"),
        ("/x/../admin/users", "/admin/users"),
        ("/../admin/users", "/admin/users"),  # '..' never climbs above '/'
        ("/../../..", "/"),
        ("/admin/users/", "/admin/users/"),  # a trailing slash is kept
        ("/admin/users//", "/admin/users/"),
        ("/admin/.", "/admin/"),  # a last '.' or '..' leaves a trailing slash (RFC 3986 5.2.4)
        ("/admin/users/..", "/admin/"),
        ("/admin/..", "/"),
        ("/a//../b", "/b"),  # slashes are collapsed first
        ("/.well-known/x", "/.well-known/x"),  # '.well-known' is a name, not a dot segment
        ("/..x/.../x..", "/..x/.../x.."),
        ("admin/users", "/admin/users"),
        ("/%2e%2e/admin", "/%2e%2e/admin"),  # no second percent-decoding
        ("/a+b/Admin", "/a+b/Admin"),  # no '+'-to-space, no case folding
        ("/café/./x", "/café/x"),
    ],
)
def test_canonical_path(path: str, canonical: str) -> None:
    assert canonical_path(path) == canonical
    assert canonical_path(canonical) == canonical


def test_an_already_canonical_path_is_returned_as_it_is() -> None:
    path = "/admin/users/42"
    assert canonical_path(path) is path


@pytest.mark.parametrize("spelling", ADMIN_SPELLINGS)
def test_a_spelling_of_an_admin_path_gets_the_admin_policy_not_the_broader_one(spelling: str) -> None:
    recorder = RecordingApp()
    app = CORSMiddleware(recorder, **SHOP_AND_ADMIN)

    status, headers, _ = get(app, spelling, SHOP)
    assert status == "200 OK"
    assert "Access-Control-Allow-Origin" not in headers
    assert "Access-Control-Allow-Credentials" not in headers
    assert headers["Vary"] == "Origin"

    status, headers, _ = get(app, spelling, ADMIN)
    assert headers["Access-Control-Allow-Origin"] == ADMIN
    assert headers["Access-Control-Allow-Credentials"] == "true"

    status, headers, _ = options(app, spelling, SHOP)
    assert status == "403 Forbidden"
    assert "Access-Control-Allow-Origin" not in headers
    status, headers, _ = options(app, spelling, ADMIN)
    assert status == "204 No Content"
    assert headers["Access-Control-Allow-Origin"] == ADMIN

    # The application ran for the two GETs only, and saw the path exactly as the server passed it.
    assert [call["PATH_INFO"] for call in recorder.calls] == [spelling, spelling]


@pytest.mark.parametrize(
    ("path_info", "allowed"),
    [
        ("/admin/users", ADMIN),
        ("/shop/cart", SHOP),
        ("/admin/..", SHOP),  # that is '/'
        ("/admin/.", ADMIN),  # that is '/admin/'
        ("/admin", SHOP),  # '/admin/*' covers '/admin/' and below, never '/admin'
        ("//admin", SHOP),
        ("/.admin/users", SHOP),  # a name, not a dot segment
        ("/ADMIN/users", SHOP),  # case-sensitive
    ],
)
def test_the_policy_is_the_canonical_paths(path_info: str, allowed: str) -> None:
    app = CORSMiddleware(RecordingApp(), **SHOP_AND_ADMIN)
    for origin in (SHOP, ADMIN):
        _, headers, _ = get(app, path_info, origin)
        assert headers.get("Access-Control-Allow-Origin") == (origin if origin == allowed else None), origin


def test_exact_and_regex_patterns_match_the_canonical_path_too() -> None:
    app = CORSMiddleware(
        RecordingApp(),
        resources={
            "/*": {"allow_origins": [SHOP]},
            "/admin/users": {"allow_origins": [ADMIN]},
            re.compile(r"/admin/reports/[0-9]+"): {"allow_origins": [PARTNER]},
        },
    )
    assert get(app, "//admin/users", ADMIN)[1]["Access-Control-Allow-Origin"] == ADMIN
    assert "Access-Control-Allow-Origin" not in get(app, "//admin/users", SHOP)[1]
    assert get(app, "/x/../admin/reports/7", PARTNER)[1]["Access-Control-Allow-Origin"] == PARTNER
    assert "Access-Control-Allow-Origin" not in get(app, "/admin//reports/7", SHOP)[1]


@pytest.mark.parametrize(
    ("pattern", "hint"),
    [
        ("/admin//users", "did you mean '/admin/users'?"),
        ("/admin/./users", "did you mean '/admin/users'?"),
        ("/x/../admin/*", "did you mean '/admin/*'?"),
        ("//admin/*", "did you mean '/admin/*'?"),
    ],
)
def test_a_plain_pattern_that_is_not_canonical_is_refused_with_a_hint(pattern: str, hint: str) -> None:
    with pytest.raises(CORSConfigError) as info:
        CORSPolicy(resources={pattern: {"allow_origins": [ADMIN]}})
    assert "requests are matched on their canonical path" in str(info.value)
    assert hint in str(info.value)


def test_a_policy_without_resources_is_the_same_on_every_path() -> None:
    app = CORSMiddleware(RecordingApp(), allow_origins=[SHOP])
    for path_info in ("//admin/users", "/x/../y", pep3333("/café"), ""):
        assert get(app, path_info, SHOP)[1]["Access-Control-Allow-Origin"] == SHOP


# -- B. the core: non-ASCII patterns ---------------------------------------------------------------


def test_wsgi_path_to_text_decodes_pep3333_path_info_like_werkzeug() -> None:
    assert wsgi_path_to_text("/cafÃ©/x") == "/café/x"
    assert wsgi_path_to_text(pep3333("/日本/x")) == "/日本/x"
    ascii_path = "/plain/path"
    assert wsgi_path_to_text(ascii_path) is ascii_path
    assert wsgi_path_to_text("/caf\xe9") == "/caf\ufffd"  # invalid UTF-8 (a lone latin-1 byte): replaced
    assert wsgi_path_to_text("/\u65e5\u672c") == "/日本"  # not latin-1 bytes at all: already text


@pytest.mark.parametrize(
    ("decoded", "allowed"),
    [
        ("/café/x", CAFE),
        ("/café/", CAFE),
        ("/日本/x/y", NIHON),
        ("//café/./x", CAFE),  # decoded, then canonical
        ("/cafe/x", SHOP),
        ("/caf/x", SHOP),
    ],
)
def test_a_non_ascii_pattern_covers_the_path_a_wsgi_server_passes(decoded: str, allowed: str) -> None:
    recorder = RecordingApp()
    app = CORSMiddleware(recorder, **NON_ASCII)
    path_info = pep3333(decoded)
    for origin in (CAFE, NIHON, SHOP):
        _, headers, _ = get(app, path_info, origin)
        assert headers.get("Access-Control-Allow-Origin") == (origin if origin == allowed else None), origin
    status, headers, _ = options(app, path_info, allowed)
    assert status == "204 No Content"
    assert headers["Access-Control-Allow-Origin"] == allowed
    assert {call["PATH_INFO"] for call in recorder.calls} == {path_info}  # the environ is left as it is


@pytest.mark.parametrize(
    "path_info",
    ["/caf\xe9/x", "/\xff\xfe/x", "/\xc3/x", "/\udc80/x", "/日本/x", "/\x00/x", "/é" * 2000],
)
def test_any_path_info_string_is_answered_and_never_raises(path_info: str) -> None:
    app = CORSMiddleware(RecordingApp(), **NON_ASCII)
    status, _, _ = get(app, path_info, SHOP)
    assert status == "200 OK"
    status, _, _ = options(app, path_info, SHOP)
    assert status in ("204 No Content", "403 Forbidden")


def test_a_server_that_passes_decoded_text_still_gets_the_pattern() -> None:
    # Not PEP 3333, but seen: PATH_INFO already decoded to text.  It is used as it is.
    app = CORSMiddleware(RecordingApp(), **NON_ASCII)
    assert get(app, "/日本/x", NIHON)[1]["Access-Control-Allow-Origin"] == NIHON


@pytest.mark.parametrize(
    ("url", "origin", "status"),
    [
        ("https://api.example.net/caf%C3%A9/x", CAFE, 0),
        ("https://api.example.net/caf%C3%A9/x", SHOP, 1),
        ("https://api.example.net//admin/users", SHOP, 1),
        ("https://api.example.net/x/..%2Fadmin/users", SHOP, 1),
        ("https://api.example.net/x/..%2Fadmin/users", ADMIN, 0),
    ],
)
def test_cli_explain_picks_the_policy_the_middleware_picks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, url: str, origin: str, status: int
) -> None:
    config = tmp_path / "cors.json"
    resources = {**SHOP_AND_ADMIN["resources"], **NON_ASCII["resources"]}
    config.write_text(json.dumps({"allow_credentials": True, "resources": resources}))
    assert cors_main(["explain", "--config", str(config), "--url", url, "--origin", origin, "--json"]) == status
    capsys.readouterr()


# -- the property: every spelling gets the policy of its canonical spelling ------------------------

SEGMENTS = st.sampled_from(["", ".", "..", "admin", "users", "x", "café", "日本"])
PROPERTY_RESOURCES: dict[Any, Any] = {
    "/*": {"allow_origins": [SHOP]},
    "/admin/*": {"allow_origins": [ADMIN]},
    "/admin/users": {"allow_origins": [PARTNER]},
    "/café/*": {"allow_origins": [CAFE]},
    re.compile(r"/x/[^/]+/users"): {"allow_origins": [NIHON]},
}
PROPERTY_POLICY = CORSPolicy(resources=PROPERTY_RESOURCES)
PROPERTY_APP = CORSMiddleware(RecordingApp(), PROPERTY_POLICY)
PROPERTY_ORIGINS = (SHOP, ADMIN, PARTNER, CAFE, NIHON)


def allowed_origins(path_info: str) -> set[str]:
    return {
        origin
        for origin in PROPERTY_ORIGINS
        if get(PROPERTY_APP, path_info, origin)[1].get("Access-Control-Allow-Origin") == origin
    }


@settings(deadline=None)
@given(segments=st.lists(SEGMENTS, max_size=8), leading=st.sampled_from(["/", "//", ""]))
def test_every_spelling_gets_the_policy_of_its_canonical_spelling(segments: list[str], leading: str) -> None:
    path = leading + "/".join(segments)
    canonical = canonical_path(path)
    # The canonical path is canonical: absolute, no empty, '.' or '..' segments but a trailing one.
    assert canonical.startswith("/")
    assert canonical_path(canonical) == canonical
    assert all(part not in (".", "..") for part in canonical.split("/"))
    assert "//" not in canonical
    # Reference model: POSIX path normalization of the slash-merged path, trailing slash kept.
    expected = posixpath.normpath("/" + path.lstrip("/"))
    if path.rsplit("/", 1)[-1] in ("", ".", "..") and expected != "/":
        expected += "/"
    assert canonical == expected
    # The same policy, so never a broader one: in the core table, and on the wire from PATH_INFO.
    assert PROPERTY_POLICY.compiled_for_path(path) is PROPERTY_POLICY.compiled_for_path(canonical)
    assert allowed_origins(pep3333(path)) == allowed_origins(pep3333(canonical))


# -- A and B through Flask -------------------------------------------------------------------------


def admin_shop_app(**options: Any) -> Flask:
    """Flask with an admin view and a shop view; CORS(app, **SHOP_AND_ADMIN, **options)."""
    app = Flask(__name__)

    @app.route("/admin/users", methods=["GET", "PUT"])
    def admin_users() -> str:
        return f"admin users ({request.path})"

    @app.route("/shop/items", methods=["GET", "PUT"])
    def shop_items() -> str:
        return "shop items"

    @app.route("/café/menu", methods=["GET", "PUT"])
    def cafe_menu() -> str:
        return "menu"

    @app.route("/")
    def index() -> str:
        return "index"

    CORS(app, **{**SHOP_AND_ADMIN, **options})
    return app


@pytest.mark.parametrize(
    ("path_info", "status", "answer"),
    [
        ("//admin/users", "200 OK", b"admin users (/admin/users)"),  # leading slashes stripped to one
        ("///admin/users", "200 OK", b"admin users (/admin/users)"),
        ("/admin//users", "308 PERMANENT REDIRECT", "https://api.example.net/admin/users"),  # merge_slashes
        ("/./admin/users", "404 NOT FOUND", None),  # dot segments are routed as written
        ("/x/../admin/users", "404 NOT FOUND", None),
    ],
)
def test_what_werkzeug_routing_does_with_each_spelling(path_info: str, status: str, answer: object) -> None:
    """The facts the Flask extension relies on (Werkzeug 3.1, no CORS involved)."""

    def flask_app(catch_all: bool) -> Flask:
        app = Flask(__name__)
        app.add_url_rule("/admin/users", "admin_users", lambda: f"admin users ({request.path})")
        if catch_all:
            app.add_url_rule("/<path:anything>", "catch_all", lambda anything: f"catch-all {anything}")
        return app

    got_status, headers, body = call(flask_app(catch_all=False), wsgi_environ("GET", path_info))
    assert got_status == status
    if status.startswith("200"):
        assert body == answer
    elif status.startswith("308"):
        assert headers["Location"] == answer
    else:  # a view whose rule captures the dot segments serves them
        assert (
            call(flask_app(catch_all=True), wsgi_environ("GET", path_info))[2] == f"catch-all {path_info[1:]}".encode()
        )


def test_flask_serves_double_slash_admin_with_the_admin_view_and_the_admin_policy() -> None:
    app = admin_shop_app()
    status, headers, body = get(app, "//admin/users", SHOP)
    assert (status, body) == ("200 OK", b"admin users (/admin/users)")  # what Werkzeug 3.1 does with '//'
    assert "Access-Control-Allow-Origin" not in headers
    assert "Access-Control-Allow-Credentials" not in headers

    status, headers, body = get(app, "//admin/users", ADMIN)
    assert headers["Access-Control-Allow-Origin"] == ADMIN
    assert headers["Access-Control-Allow-Credentials"] == "true"

    status, headers, body = options(app, "//admin/users", SHOP)
    assert status[:3] == "403"
    assert "Access-Control-Allow-Origin" not in headers
    status, headers, _ = options(app, "//admin/users", ADMIN)
    assert status.startswith("204")
    assert headers["Access-Control-Allow-Origin"] == ADMIN


@pytest.mark.parametrize("spelling", ADMIN_SPELLINGS)
def test_flask_never_gives_a_spelling_of_an_admin_path_the_shop_policy(spelling: str) -> None:
    app = admin_shop_app()
    status, headers, _ = get(app, spelling, SHOP)
    # Werkzeug serves '//admin/users' and 'admin/users', redirects '/admin//users' (merge_slashes)
    # and answers 404 to the dot-segment spellings; none of these answers is the shop's to read.
    assert status[:3] in ("200", "308", "404")
    assert "Access-Control-Allow-Origin" not in headers
    assert get(app, spelling, ADMIN)[1]["Access-Control-Allow-Origin"] == ADMIN
    status, headers, _ = options(app, spelling, SHOP)
    assert status[:3] == "403"
    assert "Access-Control-Allow-Origin" not in headers
    assert options(app, spelling, ADMIN)[1]["Access-Control-Allow-Origin"] == ADMIN


def test_flask_test_client_with_path_info_set_explicitly() -> None:
    client = admin_shop_app().test_client()
    response = client.get("/", environ_overrides={"PATH_INFO": "//admin/users"}, headers={"Origin": SHOP})
    assert response.text == "admin users (/admin/users)"
    assert "Access-Control-Allow-Origin" not in response.headers
    response = client.options(
        "/",
        environ_overrides={"PATH_INFO": "//admin/users"},
        headers={"Origin": SHOP, "Access-Control-Request-Method": "PUT"},
    )
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers


def test_flask_view_policies_follow_the_view_that_serves_the_spelling() -> None:
    """@cross_origin on the admin view: '//admin/users' is that view, and so is '/admin//users',
    which Flask redirects there (merge_slashes); '/x/../admin/users' is no view (a 404)."""
    app = Flask(__name__)

    @app.route("/admin/users", methods=["GET", "PUT"])
    @cross_origin(allow_origins=[PARTNER])
    def admin_users() -> str:
        return "admin users"

    CORS(app, allow_origins=[SHOP])
    for spelling in ("//admin/users", "/admin//users"):
        assert options(app, spelling, PARTNER)[1]["Access-Control-Allow-Origin"] == PARTNER, spelling
        assert options(app, spelling, SHOP)[0][:3] == "403", spelling
        assert get(app, spelling, PARTNER)[1]["Access-Control-Allow-Origin"] == PARTNER, spelling
        assert "Access-Control-Allow-Origin" not in get(app, spelling, SHOP)[1], spelling
    # Mounted below a SCRIPT_NAME, the redirect's target is read below it too.
    environ = wsgi_environ("OPTIONS", "/admin//users", ORIGIN=PARTNER, ACCESS_CONTROL_REQUEST_METHOD="PUT")
    environ["SCRIPT_NAME"] = "/mounted"
    assert call(app, environ)[1]["Access-Control-Allow-Origin"] == PARTNER
    status, headers, _ = get(app, "/x/../admin/users", SHOP)
    assert status[:3] == "404"
    assert headers["Access-Control-Allow-Origin"] == SHOP  # the application's policy: no view serves it


@pytest.mark.parametrize("with_view_policy", [False, True], ids=["resources only", "and a decorated view"])
def test_flask_strict_slashes_false_gets_the_policy_of_the_rule_that_serves_it(with_view_policy: bool) -> None:
    """A rule '/admin/' with strict_slashes=False serves '/admin' itself (no redirect): the request
    is the admin view's, so it gets '/admin/*', never the broader '/*' that covers '/admin'."""
    app = Flask(__name__)

    @app.route("/admin/", methods=["GET", "DELETE"], strict_slashes=False)
    def admin() -> str:
        return "admin"

    if with_view_policy:
        app.add_url_rule("/partner", "partner", cross_origin(allow_origins=[PARTNER])(lambda: "partner"))
    CORS(app, **SHOP_AND_ADMIN)
    assert get(app, "/admin", SHOP)[2] == b"admin"
    for path in ("/admin", "/admin/"):
        status, headers, _ = get(app, path, SHOP)
        assert "Access-Control-Allow-Origin" not in headers, path
        assert get(app, path, ADMIN)[1]["Access-Control-Allow-Origin"] == ADMIN, path
        environ = wsgi_environ("OPTIONS", path, ORIGIN=SHOP, ACCESS_CONTROL_REQUEST_METHOD="DELETE")
        status, headers, _ = call(app, environ)
        assert status[:3] == "403", path  # so the browser never sends the shop's DELETE to /admin
        environ = wsgi_environ("OPTIONS", path, ORIGIN=ADMIN, ACCESS_CONTROL_REQUEST_METHOD="DELETE")
        assert call(app, environ)[1]["Access-Control-Allow-Origin"] == ADMIN, path


def test_flask_a_non_ascii_resource_pattern_covers_the_browsers_request() -> None:
    app = admin_shop_app(resources={"/*": {"allow_origins": [SHOP]}, "/café/*": {"allow_origins": [CAFE]}})
    client = app.test_client()
    for url in ("/café/menu", "/caf%C3%A9/menu"):
        response = client.get(url, headers={"Origin": CAFE})
        assert response.text == "menu"
        assert response.headers["Access-Control-Allow-Origin"] == CAFE
        assert "Access-Control-Allow-Origin" not in client.get(url, headers={"Origin": SHOP}).headers
        answer = client.options(url, headers={"Origin": CAFE, "Access-Control-Request-Method": "PUT"})
        assert answer.status_code == 204
        assert answer.headers["Access-Control-Allow-Origin"] == CAFE
    # The same with the PATH_INFO a real server produces, set by hand.
    status, headers, body = get(app, pep3333("/café/menu"), CAFE)
    assert (status, body) == ("200 OK", b"menu")
    assert headers["Access-Control-Allow-Origin"] == CAFE
    assert get(app, pep3333("//café/menu"), CAFE)[1]["Access-Control-Allow-Origin"] == CAFE


# -- behind real servers on 127.0.0.1 --------------------------------------------------------------


class EchoPath:
    """Answers ``200`` with the PATH_INFO it was given, as a Python literal."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return [repr(environ["PATH_INFO"]).encode()]


def served_app(kind: str) -> Callable[..., Iterable[bytes]]:
    """What the real servers serve (gunicorn imports it by name): ``core`` or ``flask``."""
    resources = {**SHOP_AND_ADMIN["resources"], **NON_ASCII["resources"]}
    if kind == "core":
        return CORSMiddleware(EchoPath(), allow_credentials=True, resources=resources)
    return admin_shop_app(resources=resources)


def send(port: int, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    reply = http_call(port, method, path, headers)
    return reply.status, dict(reply.headers), reply.body


@contextlib.contextmanager
def in_thread(server_kind: str, app: Callable[..., Iterable[bytes]]) -> Iterator[int]:
    if server_kind == "wsgiref":
        with serve_wsgi(app) as port:
            yield port
        return
    with _servers.waitress_in_thread(app, threads=2) as port:
        yield port


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    """gunicorn (which passes PATH_INFO as received, '//' included) serving the core and Flask apps."""
    launcher = Launcher(tmp_path_factory.mktemp("gunicorn"))
    try:
        ports: dict[str, int] = {}
        for kind in ("core", "flask"):
            port = free_port()
            command = ["-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning"]
            command += ["--pythonpath", str(TESTS), f"test_path_canonical:served_app({kind!r})"]
            ports[kind] = launcher.start(*command, port=port, ready_path="/")
        yield ports
    finally:
        launcher.stop_all()


def test_gunicorn_keeps_the_double_slash_and_the_core_gives_it_the_admin_policy(gunicorn: dict[str, int]) -> None:
    port = gunicorn["core"]
    status, headers, body = send(port, "GET", "//admin/users", {"Origin": SHOP})
    assert (status, body) == (200, b"'//admin/users'")  # the app sees the path as sent
    assert "Access-Control-Allow-Origin" not in headers
    status, headers, body = send(port, "GET", "//admin/users", {"Origin": ADMIN})
    assert headers["Access-Control-Allow-Origin"] == ADMIN
    status, headers, _ = send(
        port, "OPTIONS", "//admin/users", {"Origin": SHOP, "Access-Control-Request-Method": "PUT"}
    )
    assert status == 403
    assert "Access-Control-Allow-Origin" not in headers


def test_gunicorn_flask_double_slash_admin_is_not_readable_by_the_shop(gunicorn: dict[str, int]) -> None:
    port = gunicorn["flask"]
    status, headers, body = send(port, "GET", "//admin/users", {"Origin": SHOP, "Cookie": "session=admin"})
    assert (status, body) == (200, b"admin users (/admin/users)")
    assert "Access-Control-Allow-Origin" not in headers
    assert "Access-Control-Allow-Credentials" not in headers
    status, headers, _ = send(port, "GET", "//admin/users", {"Origin": ADMIN})
    assert headers["Access-Control-Allow-Origin"] == ADMIN
    status, headers, _ = send(
        port, "OPTIONS", "//admin/users", {"Origin": SHOP, "Access-Control-Request-Method": "PUT"}
    )
    assert status == 403
    assert "Access-Control-Allow-Origin" not in headers
    status, headers, _ = send(
        port, "OPTIONS", "//admin/users", {"Origin": ADMIN, "Access-Control-Request-Method": "PUT"}
    )
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == ADMIN
    status, headers, body = send(port, "GET", "/caf%C3%A9/menu", {"Origin": CAFE})
    assert (status, body) == (200, b"menu")
    assert headers["Access-Control-Allow-Origin"] == CAFE


@pytest.mark.parametrize("server_kind", ["wsgiref", "waitress"])
def test_real_servers_percent_encoded_non_ascii_and_browser_spellings(server_kind: str) -> None:
    with in_thread(server_kind, served_app("core")) as port:
        status, headers, body = send(port, "GET", "/caf%C3%A9/x", {"Origin": CAFE})
        assert (status, body) == (200, repr(pep3333("/café/x")).encode())  # PEP 3333: latin-1 in the environ
        assert headers["Access-Control-Allow-Origin"] == CAFE
        status, headers, _ = send(
            port, "OPTIONS", "/%E6%97%A5%E6%9C%AC/x", {"Origin": NIHON, "Access-Control-Request-Method": "PUT"}
        )
        assert status == 204
        assert headers["Access-Control-Allow-Origin"] == NIHON
        # What a browser sends as written: an inner '//', and '..%2F' (the server decodes it to '../').
        for path in ("/admin//users", "/x/..%2Fadmin/users"):
            status, headers, _ = send(port, "GET", path, {"Origin": SHOP})
            assert status == 200
            assert "Access-Control-Allow-Origin" not in headers, path
            assert send(port, "GET", path, {"Origin": ADMIN})[1]["Access-Control-Allow-Origin"] == ADMIN


def test_the_path_benchmark_measures_what_its_rows_say() -> None:
    """benchmarks/bench_paths.py's self-check: each row's path gets the policy its name says."""
    import bench_paths

    bench_paths.check()
