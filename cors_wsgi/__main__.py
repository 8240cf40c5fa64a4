"""``python -m cors_wsgi check | explain``: judge a server's CORS answers the way a browser does.

``check``   sends the preflight (when a browser would) and the actual request to a live
            server with :mod:`http.client`, never following redirects, and prints the verdict.
``explain`` offline: builds a :class:`~cors_wsgi.CORSPolicy` from flags and prints what the
            middleware would answer (same engine) and the browser's verdict.

Exit status: 0 allowed, 1 blocked, 2 usage or network error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import socket
import ssl
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from .browser import (
    CORSRequest,
    Response,
    Verdict,
    check_actual,
    check_preflight,
    needs_preflight,
    normalize_method,
    preflight_request_headers,
    readable_response_headers,
    unsafe_header_names,
)
from .engine import actual_response_headers, answer_preflight
from .errors import CORSConfigError
from .headers import add_cors_headers, forbidden_request_header_hint
from .origins import parse_request_origin
from .policy import CORSPolicy

__all__ = ["main"]

Header = tuple[str, str]

ALLOWED, BLOCKED, ERROR = 0, 1, 2
TIMEOUT = 10.0
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})


class UsageError(Exception):
    """A bad argument: printed as one line, exit status 2."""


def _origin(value: str) -> str:
    if value == "null" or parse_request_origin(value) is not None:
        return value
    hint = ""
    parts = urlsplit(value)
    if parts.scheme and parts.netloc:
        hint = f" (did you mean {parts.scheme.lower()}://{parts.netloc.lower()}?)"
    raise UsageError(
        f"bad origin {value!r}: an origin is scheme://host[:port] as a browser sends it, lowercase, "
        f"no default port, no path or trailing slash{hint}"
    )


def _method(value: str) -> str:
    if not _TOKEN.fullmatch(value):
        raise UsageError(f"bad method {value!r}: not an HTTP method name")
    if value.upper() in _FORBIDDEN_METHODS:
        raise UsageError(f"method {value!r} is forbidden: fetch() throws before sending anything")
    return normalize_method(value)


def _headers(values: Sequence[str]) -> tuple[Header, ...]:
    parsed: list[Header] = []
    for item in values:
        name, _, value = item.partition(":")
        name, value = name.strip(), value.strip()
        if not _TOKEN.fullmatch(name):
            raise UsageError(f"bad header {item!r}: expected NAME or NAME:VALUE")
        forbidden = forbidden_request_header_hint(name)
        if forbidden is not None:
            raise UsageError(f"header {name!r}: {forbidden}")
        parsed.append((name, value))
    return tuple(parsed)


def _request(args: argparse.Namespace) -> CORSRequest:
    return CORSRequest(
        origin=_origin(args.origin),
        method=_method(args.method),
        headers=_headers(args.header),
        credentials=args.credentials,
        url=getattr(args, "url", ""),
    )


# -- check ------------------------------------------------------------------------------


def _connection(url: str) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"bad URL {url!r}: expected http://host[:port]/path or https://...")
    try:
        port = parts.port
    except ValueError as error:
        raise UsageError(f"bad URL {url!r}: {error}") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        return http.client.HTTPSConnection(parts.hostname, port, timeout=TIMEOUT), path
    return http.client.HTTPConnection(parts.hostname, port, timeout=TIMEOUT), path


def _send(url: str, method: str, headers: list[Header]) -> Response:
    connection, path = _connection(url)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        if method in ("POST", "PUT", "PATCH"):
            connection.putheader("Content-Length", "0")
        connection.endheaders()
        answer = connection.getresponse()
        answer.read()
        return Response(answer.status, tuple(answer.getheaders()))
    finally:
        connection.close()


def _step(name: str, method: str, url: str, sent: list[Header], response: Response | None) -> dict[str, Any]:
    return {
        "step": name,
        "request": {"method": method, "url": url, "headers": [list(h) for h in sent]},
        "response": None
        if response is None
        else {"status": response.status, "headers": [list(h) for h in response.headers]},
    }


def _check(args: argparse.Namespace) -> tuple[dict[str, Any], Verdict]:
    request = _request(args)
    _connection(args.url)  # validate the URL before any sending
    steps: list[dict[str, Any]] = []
    preflighted = needs_preflight(request.method, request.headers)
    notes: tuple[str, ...] = ()
    try:
        if preflighted:
            sent = [*preflight_request_headers(request), ("Accept", "*/*")]
            answer = _send(args.url, "OPTIONS", sent)
            steps.append(_step("preflight", "OPTIONS", args.url, sent, answer))
            verdict = check_preflight(request, answer)
            steps[-1]["passed"] = verdict.allowed
            if not verdict.allowed:
                return _report(request, preflighted, steps, verdict, None), verdict
            notes = verdict.notes
        accept = [] if any(name.lower() == "accept" for name, _ in request.headers) else [("Accept", "*/*")]
        sent = [("Origin", request.origin), *accept, *request.headers]
        answer = _send(args.url, request.method, sent)
    except (OSError, http.client.HTTPException, ssl.SSLError) as error:
        raise NetworkError(f"cannot reach {args.url}: {_describe(error)}") from None
    steps.append(_step("actual", request.method, args.url, sent, answer))
    verdict = check_actual(request, answer)
    steps[-1]["passed"] = verdict.allowed
    if verdict.allowed and notes:
        verdict = Verdict(True, notes=notes)
    return _report(request, preflighted, steps, verdict, answer), verdict


class NetworkError(Exception):
    """The server could not be reached: printed as one line, exit status 2."""


def _describe(error: BaseException) -> str:
    if isinstance(error, socket.gaierror):
        return f"unknown host ({error.strerror})"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused (is the server running on that port?)"
    if isinstance(error, TimeoutError | socket.timeout):
        return f"no answer within {TIMEOUT:g} s"
    return str(error) or type(error).__name__


def _report(
    request: CORSRequest, preflighted: bool, steps: list[dict[str, Any]], verdict: Verdict, actual: Response | None
) -> dict[str, Any]:
    return {
        "origin": request.origin,
        "method": request.method,
        "headers": [list(h) for h in request.headers],
        "credentials": request.credentials,
        "preflight_needed": preflighted,
        "steps": steps,
        "readable_headers": readable_response_headers(request, actual)
        if actual is not None and verdict.allowed
        else [],
        "verdict": verdict.as_dict(),
    }


# -- explain ----------------------------------------------------------------------------


def _policy(args: argparse.Namespace) -> CORSPolicy:
    options: dict[str, Any] = {"allow_origins": args.allow_origin, "allow_credentials": args.allow_credentials}
    if args.allow_method:
        options["allow_methods"] = args.allow_method
    if args.allow_header:
        options["allow_headers"] = args.allow_header
    if args.expose_header:
        options["expose_headers"] = args.expose_header
    if args.max_age is not None:
        options["max_age"] = args.max_age
    options["debug"] = args.debug
    return CORSPolicy(**options)


def _status(line: str) -> int:
    return int(line.split(" ", 1)[0])


def _explain(args: argparse.Namespace) -> tuple[dict[str, Any], Verdict]:
    request = _request(args)
    policy = _policy(args)
    compiled = policy.compiled
    assert compiled is not None  # no resources given
    steps: list[dict[str, Any]] = []
    preflighted = needs_preflight(request.method, request.headers)
    notes: tuple[str, ...] = ()
    url = args.url
    if preflighted:
        sent = preflight_request_headers(request)
        names = unsafe_header_names(request.headers)
        answer = answer_preflight(
            compiled, request.origin, request.method, ",".join(names) if names else None, None, policy.debug
        )
        response = Response(_status(answer.status), answer.headers)
        steps.append(_step("preflight", "OPTIONS", url, sent, response))
        if answer.refusal is not None:
            steps[-1]["middleware_refusal"] = answer.refusal
        verdict = check_preflight(request, response)
        steps[-1]["passed"] = verdict.allowed
        if not verdict.allowed:
            return _report(request, preflighted, steps, verdict, None), verdict
        notes = verdict.notes
    sent = [("Origin", request.origin), *request.headers]
    app_headers: list[Header] = [("Content-Type", "text/plain; charset=utf-8")]
    response = Response(200, tuple(add_cors_headers(app_headers, actual_response_headers(compiled, request.origin))))
    steps.append(_step("actual", request.method, url, sent, response))
    steps[-1]["note"] = "the application's own answer (here 200 text/plain) with the middleware's headers added"
    verdict = check_actual(request, response)
    steps[-1]["passed"] = verdict.allowed
    if verdict.allowed and notes:
        verdict = Verdict(True, notes=notes)
    return _report(request, preflighted, steps, verdict, response), verdict


# -- output and main ---------------------------------------------------------------------


def _print_text(report: dict[str, Any], verdict: Verdict) -> None:
    if not report["preflight_needed"]:
        print("no preflight: a simple request (safelisted method and headers)")
    for step in report["steps"]:
        sent = step["request"]
        print(f"> {step['step']}: {sent['method']} {sent['url']}".rstrip())
        for name, value in sent["headers"]:
            print(f">   {name}: {value}")
        answer = step["response"]
        if answer is not None:
            print(f"< {answer['status']}")
            for name, value in answer["headers"]:
                print(f"<   {name}: {value}")
        if "middleware_refusal" in step:
            print(f"  middleware: refused, {step['middleware_refusal']}")
        print(f"  {step['step']} check: {'passed' if step.get('passed') else 'FAILED'}")
    if verdict.allowed:
        readable = ", ".join(report["readable_headers"]) or "none"
        print(f"verdict: ALLOWED (response headers the page can read: {readable})")
    else:
        print(f"verdict: BLOCKED at the {verdict.step}")
        print(f"  browser console: {verdict.reason}")
        print(f"  fix on the server: {verdict.hint}")
    for note in verdict.notes:
        print(f"  note: {note}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cors-wsgi", description="Judge CORS answers the way a browser does (exit 0 allowed, 1 blocked, 2 error)."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def request_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--origin", required=True, help="the page's origin, e.g. https://app.example.com")
        sub.add_argument("--method", default="GET", help="the request's method (default GET)")
        sub.add_argument(
            "--header", action="append", default=[], metavar="NAME[:VALUE]", help="a header the script sets (repeat)"
        )
        sub.add_argument("--credentials", action="store_true", help="credentials: 'include' (cookies)")
        sub.add_argument("--json", action="store_true", help="machine-readable output")

    check = commands.add_parser("check", help="send the preflight and the request to a live server")
    check.add_argument("url")
    request_options(check)

    explain = commands.add_parser("explain", help="offline: what the middleware would answer, and the verdict")
    explain.add_argument("--url", default="", help="shown only")
    request_options(explain)
    explain.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN")
    explain.add_argument("--allow-credentials", action="store_true")
    explain.add_argument("--allow-method", action="append", default=[], metavar="METHOD")
    explain.add_argument("--allow-header", action="append", default=[], metavar="NAME")
    explain.add_argument("--expose-header", action="append", default=[], metavar="NAME")
    explain.add_argument("--max-age", type=int, default=None, metavar="SECONDS")
    explain.add_argument("--debug", action="store_true", help="the middleware's debug mode")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        report, verdict = _check(args) if args.command == "check" else _explain(args)
    except (UsageError, NetworkError) as error:
        print(f"cors-wsgi {args.command}: error: {error}", file=sys.stderr)
        return ERROR
    except CORSConfigError as error:
        print(f"cors-wsgi {args.command}: error: {error}", file=sys.stderr)
        return ERROR
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_text(report, verdict)
    return ALLOWED if verdict.allowed else BLOCKED


if __name__ == "__main__":
    sys.exit(main())
