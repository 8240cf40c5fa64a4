"""The main demo: a page on one origin calling an API on another, in your own browser.

Run ``python examples/demo.py`` and open the printed page address.  The page
(``http://127.0.0.1:8001``) calls the API (``http://localhost:8000``), a plain WSGI
app wrapped by :class:`cors_wsgi.CORSMiddleware`.  Each button shows whether the
browser let the page read the answer; the refused ones print the browser's reason
in the developer console (F12), and the API's ``debug`` mode explains its refusals
in the preflight's response body (network tab).

Only loopback addresses are used.  Stop with Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cors_wsgi import CORSMiddleware

PAGE_TEMPLATE = """<!doctype html>
<meta charset="utf-8">
<title>cors_wsgi demo</title>
<style>
body{font:15px system-ui;margin:2em;max-width:50em} button{margin:.2em} pre{background:#f4f4f4;padding:1em}
</style>
<h1>cors_wsgi demo</h1>
<p>This page is <code id="me"></code>; the API is <code>__API__</code>.</p>
<button id="simple">Simple GET</button>
<button id="json">JSON POST (preflighted)</button>
<button id="put">PUT with X-Token + cookies</button>
<button id="refused-header">Header the API refuses</button>
<button id="refused-method">Method the API refuses</button>
<pre id="out">Click a button.</pre>
<script>
const API = "__API__";
document.getElementById("me").textContent = location.origin;
const cases = {
  "simple": () => fetch(API + "/items"),
  "json": () => fetch(API + "/items", {method: "POST", headers: {"Content-Type": "application/json"},
                                       body: JSON.stringify({name: "pear"})}),
  "put": () => fetch(API + "/items/1", {method: "PUT", credentials: "include", headers: {"X-Token": "secret"}}),
  "refused-header": () => fetch(API + "/items", {headers: {"X-Unlisted": "1"}}),
  "refused-method": () => fetch(API + "/items/1", {method: "DELETE"}),
};
for (const [id, run] of Object.entries(cases)) {
  document.getElementById(id).onclick = async () => {
    const out = document.getElementById("out");
    try {
      const response = await run();
      out.textContent = `allowed: ${response.status}\\n` +
        `X-Total (exposed): ${response.headers.get("X-Total")}\\n` + await response.text();
    } catch (error) {
      out.textContent = `blocked by the browser: ${error}\\n(see the console for the reason)`;
    }
  };
}
</script>
"""


def api_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """A tiny JSON API: every request is echoed back."""
    body = json.dumps({"method": environ["REQUEST_METHOD"], "path": environ.get("PATH_INFO", "")}).encode()
    start_response(
        "200 OK",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("X-Total", "42")],
    )
    return [body]


def make_api(page_origin: str) -> CORSMiddleware:
    """The API wrapped by the middleware: the page's origin only, with cookies."""
    return CORSMiddleware(
        api_app,
        allow_origins=[page_origin],
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT"],
        allow_headers=["X-Token"],
        expose_headers=["X-Total"],
        max_age=0,  # no preflight caching, so every click shows a fresh preflight
        debug=True,
    )


def make_page(api_origin: str) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """A WSGI app serving the demo page."""
    page = PAGE_TEMPLATE.replace("__API__", api_origin).encode()

    def page_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(page)))])
        return [page]

    return page_app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        print(f"  {self.address_string()} {format % args!r}")


def serve(api_port: int, page_port: int) -> tuple[WSGIServer, WSGIServer]:
    """Start both servers in background threads; return them (already serving)."""
    # Bind first (a port of 0 picks a free one), then install the apps that know both origins.
    api_server = make_server("127.0.0.1", api_port, api_app, handler_class=_QuietHandler)
    page_server = make_server("127.0.0.1", page_port, api_app, handler_class=_QuietHandler)
    api_origin = f"http://localhost:{api_server.server_port}"
    page_origin = f"http://127.0.0.1:{page_server.server_port}"
    api_server.set_app(make_api(page_origin))
    page_server.set_app(make_page(api_origin))
    for server in (api_server, page_server):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    return api_server, page_server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--page-port", type=int, default=8001)
    args = parser.parse_args(argv)
    api_server, page_server = serve(args.api_port, args.page_port)
    print(f"API  (cors_wsgi): http://localhost:{api_server.server_port}")
    print(f"Open the page:    http://127.0.0.1:{page_server.server_port}   (Ctrl-C to stop)")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nstopping")
    finally:
        for server in (api_server, page_server):
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    main()
