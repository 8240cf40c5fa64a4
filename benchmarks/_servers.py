"""Shared helpers of ``bench_servers.py``, ``soak.py`` and ``tests/test_soak.py``: real WSGI
servers (gunicorn, waitress) started as subprocesses on a free 127.0.0.1 port, the applications
they serve, the server's resident memory, and a description of the machine.

The applications are built by :func:`build` from a name, inside the server process::

    python benchmarks/_servers.py waitress cors --port 8000 --threads 4   # serve one by hand
    python -m gunicorn --pythonpath benchmarks "_servers:build('cors')"   # what gunicorn is given

Everything listens on 127.0.0.1 only.  A server is started in a session of its own
(``start_new_session``) and stopped by signalling that process group, so gunicorn's workers
go with their arbiter, also when the caller fails half-way.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import http.client
import importlib.metadata
import logging
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cors_wsgi
from cors_wsgi import CORSMiddleware

Environ = dict[str, Any]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

HOST = "127.0.0.1"
BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
#: The checkout (or site-packages) the cors_wsgi being measured was imported from: put first on
#: the server's PYTHONPATH, so that the server runs the same code as this process.
SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(cors_wsgi.__file__)))
ORIGIN = "https://app.example.com"
SERVER_KINDS = ("gunicorn-sync", "gunicorn-gthread", "waitress")


# -- the applications ------------------------------------------------------------------


def bare_app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """The trivial application: two bytes of body, Content-Type and Content-Length."""
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "2")])
    return [b"ok"]


def _flask_app(with_cors: bool) -> WSGIApp:
    from flask import Flask

    app = Flask("bench_servers")

    @app.route("/")
    def index() -> tuple[str, int, dict[str, str]]:
        return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}

    if with_cors:
        import flask_cors_ext

        flask_cors_ext.CORS(app, allow_origins=[ORIGIN], allow_credentials=True)
    return app


def build(name: str) -> WSGIApp:
    """The WSGI application called ``name``: what the server processes serve."""
    if name == "bare":
        return bare_app
    if name == "cors":
        return CORSMiddleware(bare_app, allow_origins=[ORIGIN], allow_credentials=True)
    if name == "flask":
        return _flask_app(with_cors=False)
    if name == "flask-cors":
        return _flask_app(with_cors=True)
    if name == "soak":
        import soak_app  # benchmarks/soak_app.py, on the server's path

        return soak_app.make_app()
    raise ValueError(f"unknown application {name!r}")


APP_NAMES = ("bare", "cors", "flask", "flask-cors", "soak")


# -- starting and stopping servers -----------------------------------------------------


def free_port() -> int:
    """A port nothing listens on now (the server binds it a moment later; a lost race is retried)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def server_command(kind: str, app: str, port: int, workers: int = 1, threads: int = 4) -> list[str]:
    """The command line that serves ``build(app)`` with server ``kind`` on 127.0.0.1:``port``."""
    if kind == "waitress":
        runner = os.path.join(BENCH_DIR, "_servers.py")
        return [sys.executable, runner, "waitress", app, "--port", str(port), "--threads", str(threads)]
    if kind in ("gunicorn-sync", "gunicorn-gthread"):
        worker_class = kind.split("-", 1)[1]
        command = [sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{port}", "--workers", str(workers)]
        command += ["--worker-class", worker_class, "--log-level", "warning", "--pythonpath", BENCH_DIR]
        if worker_class == "gthread":
            command += ["--threads", str(threads)]
        return [*command, f"_servers:build({app!r})"]
    raise ValueError(f"unknown server {kind!r} (one of {', '.join(SERVER_KINDS)})")


def describe_server(kind: str, workers: int = 1, threads: int = 4) -> str:
    if kind == "waitress":
        return f"waitress ({threads} threads)"
    if kind == "gunicorn-gthread":
        return f"gunicorn gthread ({workers} worker{'s' * (workers != 1)} x {threads} threads)"
    return f"gunicorn sync ({workers} worker{'s' * (workers != 1)})"


def server_version(kind: str) -> str:
    package = kind.split("-", 1)[0]
    try:
        return f"{package} {importlib.metadata.version(package)}"
    except importlib.metadata.PackageNotFoundError:
        return f"{package} (not installed)"


def missing_server_package(kind: str) -> str | None:
    """A message telling how to install the package of server ``kind``, or ``None`` when it is there."""
    package = kind.split("-", 1)[0]
    try:
        importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return f"{package} is not installed: pip install {package}  (or pip install -e '.[test,bench]')"
    return None


def _server_env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [SOURCE_ROOT, BENCH_DIR]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Server:
    """A server subprocess listening on 127.0.0.1:``port``; its stderr goes to a temporary file."""

    kind: str
    app: str
    port: int
    process: subprocess.Popen[bytes]
    log: Any  # the temporary file holding the server's output
    workers: int = 1
    threads: int = 4
    started_pids: tuple[int, ...] = field(default=())

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def output(self, limit: int = 4000) -> str:
        self.log.flush()
        self.log.seek(0)
        text: str = self.log.read().decode("utf-8", "replace")
        return text[-limit:]

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the server's process group, SIGKILL it after ``timeout`` s; always reaps the process."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        # Whatever is left of the group (gunicorn workers whose arbiter died first) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)
        self.log.close()


def start_server(
    kind: str, app: str, workers: int = 1, threads: int = 4, ready_timeout: float = 30.0, attempts: int = 3
) -> Server:
    """Start ``kind`` serving ``build(app)`` on a free loopback port and wait until it answers."""
    last_error = ""
    for _ in range(attempts):
        port = free_port()
        log = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by Server.stop()
        process = subprocess.Popen(
            server_command(kind, app, port, workers, threads),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_server_env(),
            start_new_session=True,
        )
        server = Server(kind, app, port, process, log, workers, threads)
        try:
            if wait_until_answering(server, ready_timeout):
                server.started_pids = tuple(sorted(process_tree(server.pid)))
                return server
            last_error = f"{kind} exited with status {process.returncode}:\n{server.output()}"
        except BaseException:
            server.stop()
            raise
        server.stop()
    raise RuntimeError(f"could not start {kind} serving {app!r}: {last_error}")


def wait_until_answering(server: Server, timeout: float) -> bool:
    """Poll ``GET /`` until the server answers (True) or exits (False); TimeoutError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            return False
        connection = http.client.HTTPConnection(HOST, server.port, timeout=2)
        try:
            connection.request("GET", "/")
            connection.getresponse().read()
            # gunicorn answers from a worker: wait until every worker has booted, so that the
            # process tree (and its memory) is complete when the caller looks at it.
            if len(process_tree(server.pid)) >= expected_processes(server):
                return True
        except (OSError, http.client.HTTPException):
            pass
        finally:
            connection.close()
        time.sleep(0.05)
    raise TimeoutError(f"{server.kind} did not answer on {server.url} within {timeout} s:\n{server.output()}")


def expected_processes(server: Server) -> int:
    return 1 if server.kind == "waitress" else 1 + server.workers


@contextlib.contextmanager
def running_server(kind: str, app: str, workers: int = 1, threads: int = 4) -> Iterator[Server]:
    server = start_server(kind, app, workers, threads)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def waitress_in_thread(app: WSGIApp, threads: int = 8) -> Iterator[int]:
    """Serve ``app`` with waitress from a thread of this process (so that the caller can reach
    into the application while it serves); yields the port.  Clients must have closed their
    connections when the block ends: the server then stops within seconds, or this raises."""
    import waitress
    from waitress import wasyncore

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server: Any = waitress.create_server(app, host=HOST, port=0, threads=threads)
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            server.run()
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    def stop() -> None:
        # On the server's own loop thread, so that no socket is closed under its select().
        server.close()
        wasyncore.close_all(server._map)

    thread = threading.Thread(target=serve, name="waitress-in-thread", daemon=True)
    thread.start()
    try:
        yield int(server.effective_port)
    finally:
        deadline = time.monotonic() + 5
        while len(server._map) > 2 and time.monotonic() < deadline:  # the listener and the trigger
            time.sleep(0.01)
        server.task_dispatcher.shutdown()
        server.trigger.pull_trigger(stop)
        thread.join(timeout=5)
    if thread.is_alive() or errors:
        raise RuntimeError(f"waitress did not stop cleanly: alive={thread.is_alive()}, errors={errors}")


# -- memory ----------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (gunicorn: the arbiter and its workers)."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as f:
                    todo.extend(int(child) for child in f.read().split())
        except OSError:
            continue
    return pids


def rss_kib(pid: int) -> int:
    """VmRSS of ``pid`` in KiB, from /proc/PID/status (0 when the process is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(pid: int) -> tuple[int, dict[int, int]]:
    """The resident memory of ``pid`` and its descendants: the total and each process's, in KiB."""
    each = {p: rss_kib(p) for p in process_tree(pid)}
    return sum(each.values()), each


# -- the machine -----------------------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_line() -> str:
    cpus = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cpus or 0
    try:
        load = f", load average {os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        load = ""
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.system()} "
        f"{platform.machine()}, CPU: {cpu_model()}, {cpus} CPUs ({usable} usable){load}"
    )


def source_line() -> str:
    """Which cors_wsgi is measured: version, and the git commit of its checkout if any."""
    package_dir = os.path.dirname(os.path.abspath(cors_wsgi.__file__))
    described = ""
    try:
        commit = subprocess.run(
            ["git", "-C", package_dir, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", package_dir, "status", "--porcelain", "--", "."], capture_output=True, text=True, check=True
        ).stdout.strip()
        described = f" at git {commit}{' plus uncommitted changes' if changed else ''}"
    except (OSError, subprocess.CalledProcessError):
        pass
    return f"cors_wsgi {cors_wsgi.__version__}{described} ({package_dir})"


def rst_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A reStructuredText simple table."""
    cells = [tuple(header), *(tuple(r) for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    border = "  ".join("=" * w for w in widths)

    def line(c: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)).rstrip()

    return "\n".join([border, line(header), border, *(line(c) for c in cells[1:]), border])


# -- serving by hand / for waitress ----------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve one of the benchmark applications on 127.0.0.1.")
    parser.add_argument("server", choices=["waitress"])
    parser.add_argument("app", choices=APP_NAMES)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    import waitress

    # Under load waitress warns "Task queue depth is N" for every queued request: not news here.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    waitress.serve(build(args.app), host=HOST, port=args.port, threads=args.threads, ident="waitress")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def interleaved_medians(timers: Mapping[Hashable, timeit.Timer], repeats: int) -> dict[Hashable, float]:
    """The median nanoseconds per call of every timer, over ``repeats`` rounds.

    Each round runs one repeat of every case in a shuffled order (fixed seed) with the
    garbage collector off, so the slow phases of a shared machine fall on all cases alike.
    """
    numbers = {key: timer.autorange()[0] for key, timer in timers.items()}
    samples: dict[Hashable, list[float]] = {key: [] for key in timers}
    order = list(timers)
    rng = random.Random(20240601)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            rng.shuffle(order)
            for key in order:
                samples[key].append(timers[key].timeit(numbers[key]) / numbers[key] * 1e9)
    finally:
        if gc_was_enabled:
            gc.enable()
    return {key: statistics.median(values) for key, values in samples.items()}
