"""The soak of ``benchmarks/soak.py``, short: 20,000 mixed requests through waitress on 127.0.0.1.

The full run (a million requests) is ``python benchmarks/soak.py``; this is the same code with
small sizes, so the checks it relies on run on every commit.  The later tests show that those
checks can fail: a leaked ``Access-Control-Allow-Origin``, a wrong header and a dropped
connection are each caught.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.append(str(BENCHMARKS))  # the client processes (spawned) inherit it

import _servers  # noqa: E402
import soak  # noqa: E402

REQUESTS = 20_000
WARMUP = 2_000
VERIFY_EVERY = 10
KINDS = ("preflight allowed", "preflight refused", "actual allowed", "actual refused", "no Origin")


def test_soak_through_waitress_has_no_errors_and_flat_memory() -> None:
    started = time.monotonic()
    result = soak.run_soak(
        server="waitress",
        requests=REQUESTS,
        warmup=WARMUP,
        processes=1,
        connections=4,
        verify_every=VERIFY_EVERY,
        max_seconds=150,
        rss_growth_pct=10,
        rss_growth_mb=5,
    )
    assert result.failures == []
    assert result.ok
    counts = result.counts
    assert counts.transport_errors == 0
    assert counts.wrong == 0
    assert counts.samples == []
    assert result.warmup.transport_errors == result.warmup.wrong == 0
    assert result.warmup.total == WARMUP
    # Every request was sent, the five kinds in equal shares, and a tenth of each checked in full.
    assert counts.sent == dict.fromkeys(KINDS, REQUESTS // 5)
    assert all(counts.verified[kind] >= REQUESTS // 5 // VERIFY_EVERY - 4 for kind in KINDS), counts.verified
    # The server's memory, read after the warm-up, after every tenth and at the end, stayed flat.
    labels = [c.label for c in result.checkpoints]
    assert labels == ["start", "10%", "20%", "30%", "40%", "50%", "60%", "70%", "80%", "90%", "end"]
    assert [c.requests for c in result.checkpoints] == [REQUESTS * i // 10 for i in range(11)]
    start = result.checkpoints[0].rss_kib
    assert start > 1000  # a real reading of a live Python process, in KiB
    assert all(c.rss_kib <= start * 1.10 + 5 * 1024 for c in result.checkpoints), result.checkpoints
    assert time.monotonic() - started < 150


def test_rss_limit_is_start_plus_percent_plus_megabytes() -> None:
    assert soak.rss_limit_kib(100_000, 10, 5) == 100_000 + 10_000 + 5 * 1024
    assert soak.rss_limit_kib(100_000, 0, 0) == 100_000


# -- the checks can fail -------------------------------------------------------------------


class LeakyMiddleware:
    """A broken CORS layer: each answer also gets the previous answer's Access-Control-Allow-Origin."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.last: str | None = None
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def leaky_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            with self.lock:
                mine = [v for n, v in headers if n == "Access-Control-Allow-Origin"]
                if self.last is not None and not mine:
                    headers = [*headers, ("Access-Control-Allow-Origin", self.last)]
                if mine:
                    self.last = mine[0]
            return start_response(status, headers, exc_info)

        return self.app(environ, leaky_start_response)


def wrong_vary(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """A subtler break: ``Vary: Origin`` becomes ``Vary: origin`` (seen only by the full check)."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def sr(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [(n, "origin" if (n, v) == ("Vary", "Origin") else v) for n, v in headers]
            return start_response(status, headers, exc_info)

        return app(environ, sr)

    return wrapped


def batch(port: int, count: int, verify_every: int) -> soak.Batch:
    return soak.Batch(port, 0, count, 1, verify_every, time.time() + 60, "t", timeout=10)


def test_a_leaked_origin_is_caught_on_every_response() -> None:
    with _servers.waitress_in_thread(LeakyMiddleware(soak.make_app()), threads=2) as port:
        counts = soak.run_batch(batch(port, 50, verify_every=1_000_000))  # no full checks: the light one suffices
    assert counts.total == 50
    assert counts.transport_errors == 0
    assert counts.wrong > 0
    assert any("Access-Control-Allow-Origin" in sample for sample in counts.samples), counts.samples


def test_a_wrong_header_value_is_caught_by_the_full_check_only() -> None:
    app = wrong_vary(soak.make_app())
    with _servers.waitress_in_thread(app, threads=2) as port:
        light = soak.run_batch(batch(port, 25, verify_every=1_000_000))
        full = soak.run_batch(batch(port, 25, verify_every=1))
    assert (light.total, light.wrong, light.transport_errors) == (25, 0, 0)
    assert full.verified == dict.fromkeys(KINDS, 5)
    assert full.wrong == 15  # the three kinds that reach the application
    assert "('Vary', 'origin')" in full.samples[0]


@pytest.fixture
def hanging_up_port() -> Iterator[int]:
    """A loopback port whose listener accepts each connection and closes it unanswered."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5)
                with contextlib.suppress(OSError):
                    connection.recv(65536)

    thread = threading.Thread(target=serve, name="hang-up-listener")
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
    assert not thread.is_alive()


def test_a_dropped_connection_is_a_transport_error(hanging_up_port: int) -> None:
    counts = soak.run_batch(batch(hanging_up_port, 10, verify_every=1))
    assert counts.total == 10
    assert counts.transport_errors == 10
    assert counts.wrong == 0
    assert any("RemoteDisconnected" in s or "ConnectionResetError" in s for s in counts.samples), counts.samples


def test_the_soak_server_answers_as_the_soak_expects() -> None:
    """One request of each kind, judged here by hand from literal values, not by the soak's own table."""
    with _servers.waitress_in_thread(soak.make_app(), threads=2) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request(
                "OPTIONS",
                "/items",
                headers={
                    "Origin": "https://shop.example.org",
                    "Access-Control-Request-Method": "PUT",
                    "Access-Control-Request-Headers": "x-token",
                },
            )
            with connection.getresponse() as response:
                assert (response.status, response.read()) == (204, b"")
                assert response.msg.get_all("Access-Control-Allow-Origin") == ["https://shop.example.org"]
                assert response.getheader("Access-Control-Allow-Methods") == "GET, PUT"
                assert response.getheader("Access-Control-Allow-Headers") == "X-Token"
            connection.request("GET", "/items", headers={"Origin": "https://admin.example.com", "X-Request-Id": "a-1"})
            with connection.getresponse() as response:
                assert (response.status, response.read()) == (200, b"a-1")
                assert response.msg.get_all("Access-Control-Allow-Origin") == ["https://admin.example.com"]
                assert response.getheader("Access-Control-Expose-Headers") == "X-Total"
                assert response.getheader("X-Request-Id") == "a-1"
            connection.request("GET", "/items", headers={"Origin": "http://app.example.com", "X-Request-Id": "a-2"})
            with connection.getresponse() as response:
                assert (response.status, response.read()) == (200, b"a-2")
                assert response.msg.get_all("Access-Control-Allow-Origin") is None
                assert response.getheader("Vary") == "Origin"
        finally:
            connection.close()
