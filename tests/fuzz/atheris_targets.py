"""Coverage-guided fuzz targets (atheris / libFuzzer) for the three request-facing parsers.

Run one by hand::

    python tests/fuzz/atheris_targets.py request_origin -max_total_time=60

(``tests/fuzz/test_fuzz_atheris.py`` runs each for a bounded time under ``tox -e fuzz``.)
The input bytes are decoded as latin-1 (what a WSGI server hands over for a header) for
the request parsers, and as UTF-8 with lone surrogates for ``parse_configured_origin``
(any str a developer can write).  Each target checks its properties itself and raises
``AssertionError`` on a violation; any other exception than the documented one is a
crash too.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

import atheris

with atheris.instrument_imports():
    from cors_wsgi.headers import parse_request_headers
    from cors_wsgi.origins import OriginSyntaxError, parse_configured_origin, parse_request_origin

DEFAULT_PORT = {"http": 80, "https": 443, "ws": 80, "wss": 443}
CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
LOWER_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+")
SERIALIZED = re.compile(r"([a-z][a-z0-9+.\-]*)://([a-z0-9_\-]+(?:\.[a-z0-9_\-]+)*|\[[0-9a-f:.]+\])(?::([0-9]+))?")


def request_origin(data: bytes) -> None:
    value = data.decode("latin-1")
    parsed = parse_request_origin(value)
    if parsed is None:
        return
    scheme, host, port = parsed
    # Only a browser-serialized origin is accepted, and it splits back into itself.
    assert f"{scheme}://{host}" + (f":{port}" if port else "") == value, (value, parsed)
    assert SERIALIZED.fullmatch(value), value
    assert value.isascii() and value == value.lower(), value
    if port:
        assert port[0] != "0" and int(port) <= 65535 and DEFAULT_PORT.get(scheme) != int(port), value


def configured_origin(data: bytes) -> None:
    value = data.decode("utf-8", "surrogateescape")
    try:
        configured = parse_configured_origin(value)
    except OriginSyntaxError as error:
        message = str(error)
        assert message, value
        assert not CONTROL.search(message), (value, message)
        return
    kind, key = configured
    assert kind in ("any", "null", "exact", "subdomains", "any-port"), configured
    assert key.isascii() and not CONTROL.search(key) and " " not in key, configured
    # Normalizing is idempotent: what it returns reads back as itself.
    shown = {"subdomains": key.replace("://", "://*.", 1), "any-port": key + ":*"}.get(kind, key)
    assert parse_configured_origin(shown) == configured, (value, configured, shown)
    if kind == "exact" and len(key) <= 253:
        # An exact origin is a serialized origin: a browser's Origin header can equal it.
        assert parse_request_origin(key) is not None, (value, key)


def request_headers(data: bytes) -> None:
    value = data.decode("latin-1")
    names = parse_request_headers(value)
    if names is None:
        return
    assert len(value) <= 2048 and value.count(",") < 64, len(value)
    assert len(names) == len(set(names)), names
    for name in names:
        assert LOWER_TOKEN.fullmatch(name), (value, name)
    expected = [e.strip(" \t").lower() for e in value.split(",") if e.strip(" \t")]
    assert names == list(dict.fromkeys(expected)), (value, names)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "request_origin": request_origin,
    "configured_origin": configured_origin,
    "request_headers": request_headers,
}


def main() -> None:
    target = sys.argv[1]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], TARGETS[target])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
