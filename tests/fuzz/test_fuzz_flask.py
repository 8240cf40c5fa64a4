"""The Flask extension under random valid policies and random, often hostile, requests.

A small Flask application (a route for several methods, a view that raises, a
trailing-slash route, a view that sets its own ``Access-Control-Allow-Origin``, a
``before_request`` hook refusing what it does not know) gets ``CORS(app, ...)`` with
options in the core's or flask-cors's spelling, per path or application-wide.  Flask's
own ``wsgi_app`` is wrapped in ``wsgiref.validate.validator`` before ``CORS`` wraps it,
and the whole application is served through another validator.

The same invariants as for the core middleware hold: nothing raises, no control
character in a header value, no ``*`` with credentials, an ``Access-Control-Allow-Origin``
only ever for an origin the oracle allows (and always for one it allows), the status
of preflights as the oracle says, and preflights never reach a view or a hook.
"""

from __future__ import annotations

import logging
from wsgiref.validate import validator

from flask import Flask, abort, request
from fuzz_support import (
    DrawSource,
    LogChecker,
    RandomSource,
    Req,
    Source,
    access_control,
    boolean,
    budget,
    check_cors,
    check_wire,
    pick,
    policy,
    serve,
)
from fuzz_support import request as draw_request
from hypothesis import given, note
from hypothesis import strategies as st

from flask_cors_ext import CORS

ALIASES = {"allow_origins": "origins", "allow_methods": "methods", "allow_credentials": "supports_credentials"}
logging.getLogger("fuzz_flask").disabled = True  # Flask logs the view that raises, every time


class FlaskStack:
    def __init__(self, src: Source) -> None:
        options, self.spec = policy(src)
        if boolean(src):  # flask-cors spellings
            options = {ALIASES.get(name, name): value for name, value in options.items()}
        self.per_path = boolean(src)
        self.debug = boolean(src)
        self.options = options
        self.views = 0
        app = Flask("fuzz_flask")

        @app.before_request
        def count_and_guard() -> None:
            self.views += 1
            if request.headers.get("X-Deny"):
                abort(401)

        @app.route("/api/items", methods=["GET", "POST", "PUT", "DELETE"])
        def items() -> str:
            return "items"

        @app.route("/api/boom")
        def boom() -> str:
            raise RuntimeError("the view failed")

        @app.route("/api/slash/")
        def slash() -> str:
            return "slash"

        @app.route("/api/own")
        def own() -> tuple[str, int, dict[str, str]]:
            return "own", 200, {"Access-Control-Allow-Origin": "https://evil.example", "Vary": "Accept-Encoding"}

        @app.route("/other")
        def other() -> str:
            return "other"

        app.wsgi_app = validator(app.wsgi_app)  # type: ignore[method-assign]
        if self.per_path:
            CORS(app, resources={"/api/*": options}, debug=self.debug)
        else:
            CORS(app, **options, debug=self.debug)
        self.app = app

    def describe(self) -> str:
        return f"per_path={self.per_path} debug={self.debug}\noptions={self.options!r}"

    def check(self, req: Req) -> None:
        self.views = 0
        exchange = serve(self.app, req.environ())
        check_wire(exchange)
        if self.per_path and not req.path.startswith("/api/"):
            assert access_control(exchange.headers) == [], exchange.headers
            return
        check_cors(self.spec, req, exchange, self.debug)
        if req.is_preflight:
            assert self.views == 0, "a preflight reached a before_request hook"


PATHS = ("/api/items", "/api/boom", "/api/slash", "/api/slash/", "/api/own", "/api/nowhere", "/other", "/")


def run(src: Source, log_checker: LogChecker, preflight: bool, stacks: int, requests: int) -> None:
    for _ in range(stacks):
        stack = FlaskStack(src)
        for _ in range(requests):
            req = draw_request(src, stack.spec, preflight)
            if boolean(src):
                req.path = pick(src, PATHS)
            log_checker.bad.clear()
            try:
                stack.check(req)
                assert log_checker.bad == []
            except BaseException:
                note(f"{stack.describe()}\nrequest={req.short()}")
                raise


def test_flask_stack_smoke(log_checker: LogChecker) -> None:
    """The stack itself works: an allowed origin is answered, a hook does run for a GET."""
    stack = FlaskStack(RandomSource(0))
    stack.check(Req("GET", "/api/items", None))
    assert stack.views == 1


@budget(200)
@given(data=st.data())
def test_flask_random_request_drawn(data: st.DataObject, log_checker: LogChecker) -> None:
    run(DrawSource(data.draw), log_checker, preflight=False, stacks=1, requests=3)


@budget(200)
@given(data=st.data())
def test_flask_random_preflight_drawn(data: st.DataObject, log_checker: LogChecker) -> None:
    run(DrawSource(data.draw), log_checker, preflight=True, stacks=1, requests=3)


@budget(50)
@given(seed=st.integers(0, 2**64 - 1))
def test_flask_random_request_seeded(seed: int, log_checker: LogChecker) -> None:
    run(RandomSource(seed), log_checker, preflight=False, stacks=5, requests=30)


@budget(50)
@given(seed=st.integers(0, 2**64 - 1))
def test_flask_random_preflight_seeded(seed: int, log_checker: LogChecker) -> None:
    run(RandomSource(seed), log_checker, preflight=True, stacks=5, requests=30)
