"""``cors-wsgi check | explain`` (also ``python -m cors_wsgi``): judge a server's CORS answers the way a browser does.

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
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the same parser, as the "tomli" backport (a dependency on 3.10)
    import tomli as tomllib

from . import __version__
from .browser import (
    ENGINES,
    MAX_REDIRECTS,
    REDIRECT_STATUSES,
    SCRIPT_ERRORS,
    CORSRequest,
    EngineVerdict,
    Response,
    Verdict,
    check_actual,
    check_in,
    check_preflight,
    chromium_console_line,
    follow_redirect,
    needs_preflight,
    preflight_request_headers,
    readable_response_headers,
    unsafe_header_names,
    url_origin,
)
from .diagnosis import diagnose
from .engine import actual_response_headers, answer_preflight
from .errors import CORSConfigError
from .headers import add_cors_headers, forbidden_request_header_hint
from .methods import FORBIDDEN_METHODS, normalize_method
from .origins import OriginSyntaxError, parse_configured_origin, parse_request_origin
from .policy import CORSPolicy

__all__ = ["main"]

Header = tuple[str, str]

ALLOWED, BLOCKED, ERROR = 0, 1, 2
TIMEOUT = 10.0
#: How cors_wsgi's debug mode begins the body of a refused preflight.
_DEBUG_REFUSAL = b"CORS preflight refused: "
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class UsageError(Exception):
    """A bad argument: printed as one line, exit status 2."""


def _origin(value: str) -> str:
    if value == "null" or parse_request_origin(value) is not None:
        return value
    try:
        written = parse_configured_origin(value)
    except OriginSyntaxError as error:
        hint = f": {error}"
    else:
        if written.kind == "exact":
            hint = f" (did you mean {written.key!r}?)"
        else:
            hint = ": a pattern is not an origin; give one origin the page could have"
    raise UsageError(
        f"bad origin {value!r}: an origin is scheme://host[:port] as a browser sends it, lowercase, "
        f"no default port, no path or trailing slash{hint}"
    )


def _method(value: str) -> str:
    if not _TOKEN.fullmatch(value):
        raise UsageError(f"bad method {value!r}: not an HTTP method name")
    if value.upper() in FORBIDDEN_METHODS:
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
        if name.lower() in ("cookie", "cookie2"):
            forbidden = "scripts cannot set it; to send the page's cookies, use --credentials (credentials: 'include')"
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


_CONNECT_TO = re.compile(r"(\[[^\]]*\]|[^:\[\]]*):(\d*):(\[[^\]]*\]|[^:\[\]]*):(\d*)")

#: ``(host, port)`` -> ``(host, port)``: where ``--connect-to`` sends a request; "" and 0 match any.
ConnectTo = dict[tuple[str, int], tuple[str, int]]


def _connect_to(values: Sequence[str]) -> ConnectTo:
    """Parse ``--connect-to HOST:PORT:CONNECT_HOST:CONNECT_PORT`` values (curl's syntax)."""
    rules: ConnectTo = {}
    for value in values:
        found = _CONNECT_TO.fullmatch(value)
        if found is None or not (found[3] or found[4]):
            raise UsageError(
                f"bad --connect-to {value!r}: expected HOST:PORT:CONNECT_HOST:CONNECT_PORT "
                "(e.g. api.example.com:443:127.0.0.1:8443; an empty HOST or PORT matches any)"
            )
        host, port, to_host, to_port = (
            part.strip("[]") if i % 2 == 0 else part for i, part in enumerate(found.groups())
        )
        rules[(host.lower(), int(port or 0))] = (to_host, int(to_port or 0))
    return rules


def _tls_context(cacert: str | None, insecure: bool) -> ssl.SSLContext:
    """The TLS settings of ``check``: the system's CAs, plus ``--cacert``; none at all with ``--insecure``."""
    try:
        context = ssl.create_default_context(cafile=cacert)
    except (OSError, ssl.SSLError) as error:
        raise UsageError(f"--cacert {cacert}: cannot load it as PEM certificates: {_describe(error)}") from None
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _connection(
    url: str, connect_to: ConnectTo, context: ssl.SSLContext | None = None
) -> tuple[http.client.HTTPConnection, str, str]:
    """A connection for ``url`` (honouring ``--connect-to``), the request target, and the Host header."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"bad URL {url!r}: expected http://host[:port]/path or https://...")
    try:
        port = parts.port
    except ValueError as error:
        raise UsageError(f"bad URL {url!r}: {error}") from None
    https = parts.scheme == "https"
    host = parts.hostname
    effective_port = port or (443 if https else 80)
    host_header = parts.netloc.rpartition("@")[2]
    for key in ((host, effective_port), (host, 0), ("", effective_port), ("", 0)):
        if key in connect_to:
            to_host, to_port = connect_to[key]
            host, effective_port = to_host or host, to_port or effective_port
            break
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if https:
        context = context or ssl.create_default_context()
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, effective_port, timeout=TIMEOUT, context=context
        )
        if host != parts.hostname:  # verify the certificate against the URL's host, not the address used
            connection = _SNIConnection(host, effective_port, parts.hostname, context)
        return connection, path, host_header
    return http.client.HTTPConnection(host, effective_port, timeout=TIMEOUT), path, host_header


class _SNIConnection(http.client.HTTPSConnection):
    """An HTTPS connection to one address that presents and verifies another host name (``--connect-to``)."""

    def __init__(self, host: str, port: int, server_hostname: str, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=TIMEOUT, context=context)
        self._server_hostname = server_hostname
        self._ssl_context = context

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._ssl_context.wrap_socket(self.sock, server_hostname=self._server_hostname)


def _send(
    url: str, method: str, headers: list[Header], connect_to: ConnectTo, context: ssl.SSLContext
) -> tuple[Response, bytes]:
    """Send one request; its answer and the first KiB of its body."""
    connection, path, host_header = _connection(url, connect_to, context)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host_header)
        for name, value in headers:
            connection.putheader(name, value)
        if method in ("POST", "PUT", "PATCH"):
            connection.putheader("Content-Length", "0")
        connection.endheaders()
        answer = connection.getresponse()
        body = answer.read(1024)
        return Response(answer.status, tuple(answer.getheaders())), body
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
    connect_to = _connect_to(args.connect_to)
    context = _tls_context(args.cacert, args.insecure)
    _connection(args.url, connect_to)  # validate the URL before any sending
    steps: list[dict[str, Any]] = []
    preflighted = needs_preflight(request.method, request.headers)
    if url_origin(args.url) == request.origin:
        note = "same-origin request: the browser applies no CORS checks (nothing was sent)"
        return _report(request, False, steps, Verdict(True, notes=(note,)), None), Verdict(True, notes=(note,))
    url, hop = args.url, request
    notes: tuple[str, ...] = ()
    judged: list[Judged] = []
    try:
        for hops in range(MAX_REDIRECTS + 1):
            redirected = {"redirected_from": steps[-1]["request"]["url"]} if hops else {}
            if needs_preflight(hop.method, hop.headers):
                sent = [*preflight_request_headers(hop), ("Accept", "*/*")]
                answer, body = _send(url, "OPTIONS", sent, connect_to, context)
                steps.append({**_step("preflight", "OPTIONS", url, sent, answer), **redirected})
                if body.startswith(_DEBUG_REFUSAL):  # cors_wsgi's debug mode says why it refused
                    steps[-1]["server_refusal"] = body.split(b"\n", 1)[0][len(_DEBUG_REFUSAL) :].decode(
                        "ascii", "replace"
                    )
                judged.append(Judged("preflight", hop, answer, url, args.url if hops else None, request.origin))
                verdict = check_preflight(hop, answer)
                steps[-1]["passed"] = verdict.allowed
                if not verdict.allowed:
                    report = _report(request, preflighted, steps, verdict, None)
                    return _with_engines(report, args.browser, judged, verdict), verdict
                notes += verdict.notes
            accept = [] if any(name.lower() == "accept" for name, _ in hop.headers) else [("Accept", "*/*")]
            sent = [("Origin", hop.origin), *accept, *hop.headers]
            answer, _ = _send(url, hop.method, sent, connect_to, context)
            steps.append({**_step("actual", hop.method, url, sent, answer), **redirected})
            judged.append(Judged("actual", hop, answer, url, args.url if hops else None, request.origin))
            verdict = check_actual(hop, answer)
            steps[-1]["passed"] = verdict.allowed
            if not verdict.allowed or answer.status not in REDIRECT_STATUSES:
                break
            if not any(name.lower() == "location" for name, _ in answer.headers):
                break  # a 3xx without Location is the response itself
            following = follow_redirect(hop, answer, url, hops)
            if isinstance(following, Verdict):
                verdict = following
                break
            hop, url = following
    except (OSError, http.client.HTTPException, ssl.SSLError) as error:
        raise NetworkError(f"cannot reach {url}: {_describe(error)}") from None
    if verdict.allowed and notes:
        verdict = Verdict(True, notes=tuple(dict.fromkeys(notes)))
    report = _report(request, preflighted, steps, verdict, answer if verdict.allowed else None)
    return _with_engines(report, args.browser, judged, verdict), verdict


class Judged(NamedTuple):
    """One answer a browser judges: the step, the request as sent then, the answer, its URL and, after
    a redirect, the URL first fetched; the page's origin (which Chromium's console names even after a
    redirect made the request's ``Origin`` null)."""

    step: str
    request: CORSRequest
    response: Response
    url: str
    redirected_from: str | None
    page_origin: str | None = None


def _engines(browser: str) -> tuple[str, ...]:
    return ENGINES if browser == "all" else (browser,)


def _engine_verdict(engine: str, judged: Sequence[Judged], verdict: Verdict) -> EngineVerdict:
    """``engine``'s verdict on the exchange: its own checks on each answer, in order; a failure of the
    redirect rules (``verdict``, which no answer's check gives) is the same in every engine."""
    for one in judged:
        found = check_in(engine, one.request, one.response, one.step, one.url, one.redirected_from, one.page_origin)
        if not found.allowed:
            return found
    if verdict.allowed or verdict.reason is None:
        return EngineVerdict(engine, True)
    last = judged[-1]
    console = (chromium_console_line(last.request, verdict.reason, last.url, last.redirected_from, last.page_origin),)
    return EngineVerdict(
        engine, False, verdict.step, (verdict.reason,), console if engine == "chromium" else (), SCRIPT_ERRORS[engine]
    )


def _with_engines(report: dict[str, Any], browser: str, judged: Sequence[Judged], verdict: Verdict) -> dict[str, Any]:
    """``report`` with each asked engine's verdict and console lines under ``"browsers"``."""
    report["browsers"] = [_engine_verdict(engine, judged, verdict).as_dict() for engine in _engines(browser)]
    return report


class NetworkError(Exception):
    """The server could not be reached: printed as one line, exit status 2."""


def _describe(error: BaseException) -> str:
    if isinstance(error, socket.gaierror):
        return f"unknown host ({error.strerror})"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused (is the server running on that port?)"
    if isinstance(error, TimeoutError | socket.timeout):
        return f"no answer within {TIMEOUT:g} s"
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"certificate verify failed ({error.verify_message or error}): the server's certificate is not trusted; "
            "for a local certificate "
            "give its CA with --cacert FILE (e.g. mkcert's rootCA.pem), or skip the check with --insecure"
        )
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


def _options_file(path: str) -> dict[str, Any]:
    """The options in a ``.toml`` or ``.json`` file: its top-level keys are ``CORSPolicy`` keywords."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        raise UsageError(f"cannot read --config {path}: {error.strerror or error}") from None
    try:
        if path.endswith(".toml"):
            options: object = tomllib.loads(data.decode("utf-8"))
        elif path.endswith(".json"):
            options = json.loads(data)
        else:
            raise UsageError(f"--config {path}: expected a .toml or .json file")
    except (ValueError, UnicodeDecodeError) as error:  # tomllib.TOMLDecodeError and JSONDecodeError are ValueErrors
        raise UsageError(f"--config {path}: not valid {path.rpartition('.')[2].upper()}: {error}") from None
    if not isinstance(options, dict):
        raise UsageError(f"--config {path}: expected a table (object) of options, e.g. allow_origins = [...]")
    resources = options.get("resources")
    if isinstance(resources, dict):  # path patterns starting with "re:" are regular expressions
        options["resources"] = {
            re.compile(pattern[3:]) if isinstance(pattern, str) and pattern.startswith("re:") else pattern: value
            for pattern, value in resources.items()
        }
    return options


def _policy(args: argparse.Namespace) -> CORSPolicy:
    options: dict[str, Any] = _options_file(args.config) if args.config else {}
    flags: dict[str, Any] = {
        "allow_origins": args.allow_origin,
        "allow_methods": args.allow_method,
        "allow_headers": args.allow_header,
        "expose_headers": args.expose_header,
    }
    options.update((name, value) for name, value in flags.items() if value)
    if args.allow_credentials:
        options["allow_credentials"] = True
    if args.max_age is not None:
        options["max_age"] = args.max_age
    if args.debug:
        options["debug"] = True
    return CORSPolicy(**options)  # what is not given has the middleware's defaults (allow_origins="*")


def _status(line: str) -> int:
    return int(line.split(" ", 1)[0])


def _explain(args: argparse.Namespace) -> tuple[dict[str, Any], Verdict]:
    request = _request(args)
    policy = _policy(args)
    url = args.url
    path = urlsplit(url).path or "/"
    compiled = policy.compiled_for_path(unquote(path))  # the server percent-decodes the path once
    steps: list[dict[str, Any]] = []
    preflighted = needs_preflight(request.method, request.headers)
    notes: tuple[str, ...] = ()
    judged: list[Judged] = []
    shown_url = url or "https://api.example/"  # the URL in the consoles' words, when --url is not given
    if compiled is None:
        report, verdict = _explain_uncovered(request, preflighted, url, path)
        step = "preflight" if preflighted else "actual"
        response = Response(report["steps"][-1]["response"]["status"], _UNCOVERED_HEADERS)
        report = _with_engines(report, args.browser, [Judged(step, request, response, shown_url, None)], verdict)
        return _with_fixes(report, verdict, policy, unquote(path), request, preflighted), verdict
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
        judged.append(Judged("preflight", request, response, shown_url, None))
        verdict = check_preflight(request, response)
        steps[-1]["passed"] = verdict.allowed
        if not verdict.allowed:
            report = _with_engines(_report(request, preflighted, steps, verdict, None), args.browser, judged, verdict)
            return _with_fixes(report, verdict, policy, unquote(path), request, preflighted), verdict
        notes = verdict.notes
    sent = [("Origin", request.origin), *request.headers]
    app_headers: list[Header] = [("Content-Type", "text/plain; charset=utf-8")]
    response = Response(200, tuple(add_cors_headers(app_headers, actual_response_headers(compiled, request.origin))))
    steps.append(_step("actual", request.method, url, sent, response))
    steps[-1]["note"] = "the application's own answer (here 200 text/plain) with the middleware's headers added"
    judged.append(Judged("actual", request, response, shown_url, None))
    verdict = check_actual(request, response)
    steps[-1]["passed"] = verdict.allowed
    if verdict.allowed and notes:
        verdict = Verdict(True, notes=notes)
    report = _with_engines(_report(request, preflighted, steps, verdict, response), args.browser, judged, verdict)
    return _with_fixes(report, verdict, policy, unquote(path), request, preflighted), verdict


def _with_fixes(
    report: dict[str, Any], verdict: Verdict, policy: CORSPolicy, path: str, request: CORSRequest, preflighted: bool
) -> dict[str, Any]:
    """``report`` with its ``"fix"`` list: what in the policy refuses the request (empty when allowed)."""
    fixes = []
    if not verdict.allowed:
        names = unsafe_header_names(request.headers) if preflighted else []
        method = request.method if preflighted else "GET"
        fixes = diagnose(policy, path, request.origin, method, names, request.credentials)
    report["fix"] = [fix.as_dict() for fix in fixes]
    return report


_UNCOVERED_HEADERS = (("Content-Type", "text/plain; charset=utf-8"),)


def _explain_uncovered(request: CORSRequest, preflighted: bool, url: str, path: str) -> tuple[dict[str, Any], Verdict]:
    """No ``resources`` pattern covers ``path``: the application answers alone, without CORS headers."""
    note = (
        f"no resources pattern covers {path}: the middleware leaves this request to the application "
        "(assumed here to send no CORS headers of its own)"
    )
    response = Response(200, _UNCOVERED_HEADERS)
    if preflighted:
        sent = preflight_request_headers(request)
        steps = [{**_step("preflight", "OPTIONS", url, sent, response), "note": note}]
        verdict = check_preflight(request, response)
    else:
        steps = [{**_step("actual", request.method, url, [("Origin", request.origin), *request.headers], response)}]
        steps[-1]["note"] = note
        verdict = check_actual(request, response)
    steps[-1]["passed"] = verdict.allowed
    return _report(request, preflighted, steps, verdict, None), verdict


# -- output and main ---------------------------------------------------------------------


def _print_text(report: dict[str, Any], verdict: Verdict) -> None:
    if not report["preflight_needed"]:
        print("no preflight: a simple request (safelisted method and headers)")
    for step in report["steps"]:
        sent = step["request"]
        came_from = f" (redirected from {step['redirected_from']})" if "redirected_from" in step else ""
        print(f"> {step['step']}: {sent['method']} {sent['url']}{came_from}".rstrip())
        for name, value in sent["headers"]:
            print(f">   {name}: {value}")
        answer = step["response"]
        if answer is not None:
            print(f"< {answer['status']}")
            for name, value in answer["headers"]:
                print(f"<   {name}: {value}")
        if "note" in step:
            print(f"  note: {step['note']}")
        if "middleware_refusal" in step:
            print(f"  middleware: refused, {step['middleware_refusal']}")
        if "server_refusal" in step:
            print(f"  server (debug mode): refused, {step['server_refusal']}")
        print(f"  {step['step']} check: {'passed' if step.get('passed') else 'FAILED'}")
    fixes = report.get("fix") or []
    fix_lines = [f"fix {'on the server' if f['side'] == 'server' else 'in the page'}: {f['text']}" for f in fixes]
    if not fixes and verdict.hint is not None:
        fix_lines = [f"fix on the server: {verdict.hint}"]
    readable = ", ".join(report["readable_headers"]) or "none"
    if [engine["engine"] for engine in report["browsers"]] != ["chromium"]:
        _print_engines(report["browsers"])
        if verdict.allowed:
            print(f"response headers the page can read: {readable}")
        for line in fix_lines:
            print(line)
    elif verdict.allowed:
        print(f"verdict: ALLOWED (response headers the page can read: {readable})")
    else:
        print(f"verdict: BLOCKED at the {verdict.step}")
        print(f"  browser console: {verdict.reason}")
        for line in fix_lines:
            print(f"  {line}")
    for note in verdict.notes:
        print(f"  note: {note}")


def _print_engines(engines: list[dict[str, Any]]) -> None:
    """Each engine's verdict on one line (side by side), then its console lines word for word."""
    width = max(len(engine["browser"]) for engine in engines) + 1
    for engine in engines:
        verdict = "ALLOWED" if engine["allowed"] else f"BLOCKED at the {engine['step']}"
        print(f"verdict in {engine['browser'] + ':':<{width}} {verdict}")
    for engine in engines:
        if engine["allowed"]:
            continue
        print(f"  {engine['browser']} ({engine['engine']}) console:")
        for line in engine["console"] or [f"(not recorded for {engine['engine']}) {engine['reasons'][0]}"]:
            print(f"    {line}")
        print(f"    the script sees: {engine['script_error']}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cors-wsgi", description="Judge CORS answers the way a browser does (exit 0 allowed, 1 blocked, 2 error)."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    def request_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--origin", required=True, help="the page's origin, e.g. https://app.example.com")
        sub.add_argument("--method", default="GET", help="the request's method (default GET)")
        sub.add_argument(
            "--header", action="append", default=[], metavar="NAME[:VALUE]", help="a header the script sets (repeat)"
        )
        sub.add_argument("--credentials", action="store_true", help="credentials: 'include' (cookies)")
        sub.add_argument("--json", action="store_true", help="machine-readable output")
        sub.add_argument(
            "--browser",
            choices=[*ENGINES, "all"],
            default="chromium",
            help="whose verdict and console words: chromium (Chrome, Edge), firefox, webkit (Safari), or all "
            "three side by side (default chromium)",
        )

    check = commands.add_parser("check", help="send the preflight and the request to a live server")
    check.add_argument("url")
    request_options(check)
    check.add_argument(
        "--cacert", metavar="FILE", help="also trust the CA certificates in this PEM file (a local HTTPS server's)"
    )
    check.add_argument(
        "--insecure", action="store_true", help="do not verify the server's certificate (local testing only)"
    )
    check.add_argument(
        "--connect-to",
        action="append",
        default=[],
        metavar="HOST:PORT:CONNECT_HOST:CONNECT_PORT",
        help="send requests for HOST:PORT to CONNECT_HOST:CONNECT_PORT instead, keeping the URL and Host "
        "header (as curl's --connect-to; an empty HOST or PORT matches any; repeat)",
    )

    explain = commands.add_parser("explain", help="offline: what the middleware would answer, and the verdict")
    explain.add_argument("--url", default="", help="its path picks the resources policy; otherwise shown only")
    request_options(explain)
    explain.add_argument(
        "--config",
        metavar="FILE",
        help="the middleware's options from a .toml or .json file (top-level keys are CORSPolicy keywords; "
        "resources keys starting with 're:' are regular expressions); flags given too override the file",
    )
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
    allowed = verdict.allowed and all(engine["allowed"] for engine in report.get("browsers", ()))
    return ALLOWED if allowed else BLOCKED
