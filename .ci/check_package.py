"""Build the sdist and wheel, check them with twine, and install each into a fresh venv.

Run by ``tox -e package`` (and so by ``.ci/run``)::

    python .ci/check_package.py

Proves that ``pip install .`` (from the sdist and from the wheel) and ``pip install ".[flask]"`` give
a working package in an empty virtual environment: the imports, the type marker, the ``cors-wsgi``
console script, and a real request through each of the middlewares (WSGI and ASGI) and the Flask extension.
"""

from __future__ import annotations

import glob
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SMOKE_CORE = """
import importlib.resources, wsgiref.util
from cors_wsgi import CORSMiddleware
assert importlib.resources.files("cors_wsgi").joinpath("py.typed").is_file()
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
seen = []
environ = {"REQUEST_METHOD": "GET", "HTTP_ORIGIN": "https://app.example.com"}
wsgiref.util.setup_testing_defaults(environ)
CORSMiddleware(app, allow_origins=["https://app.example.com"])(environ, lambda s, h, e=None: seen.extend(h))
assert ("Access-Control-Allow-Origin", "https://app.example.com") in seen, seen
print("core ok")
"""

SMOKE_ASGI = """
import asyncio, importlib.util
from cors_wsgi.asgi import CORSMiddleware
assert importlib.util.find_spec("starlette") is None  # plain ASGI 3: no framework needed
async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})
async def receive():
    return {"type": "http.request"}
seen = []
async def send(message):
    seen.append(message)
scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"origin", b"https://app.example.com")]}
asyncio.run(CORSMiddleware(app, allow_origins=["https://app.example.com"])(scope, receive, send))
assert (b"access-control-allow-origin", b"https://app.example.com") in seen[0]["headers"], seen
print("asgi ok")
"""

SMOKE_FLASK = """
from flask import Flask
from flask_cors_ext import CORS
app = Flask(__name__)
CORS(app, allow_origins=["https://app.example.com"])
@app.get("/")
def index():
    return "ok"
answer = app.test_client().get("/", headers={"Origin": "https://app.example.com"})
assert answer.headers["Access-Control-Allow-Origin"] == "https://app.example.com", answer.headers
print("flask ok")
"""


#: A user's project, type-checked with mypy --strict against an editable install (``pip install -e .``).
TYPED_USER_CODE = """
from flask import Flask
from cors_wsgi import CORSMiddleware, CORSPolicy
from cors_wsgi.asgi import CORSMiddleware as ASGICORSMiddleware
from flask_cors_ext import CORS, cross_origin

policy: CORSPolicy = CORSPolicy(allow_origins=["https://app.example.com"], max_age=600)
app = Flask(__name__)
CORS(app, allow_origins=["https://app.example.com"])
wrapped: CORSMiddleware = CORSMiddleware(app.wsgi_app, policy)

@app.get("/")
@cross_origin(allow_credentials=True, allow_origins=["https://app.example.com"])
def index() -> str:
    return "ok"
"""


def readme_command(readme: str, heading: str) -> str:
    """The one-line command in the literal block that follows ``heading``'s paragraph in README.rst."""
    found = re.search(re.escape(heading) + r".*?::\n\n    (.+?)\n", readme, re.S)
    assert found is not None, f"README.rst: no command after {heading!r}"
    return found.group(1)


def readme_walkthrough(temp: Path) -> None:
    """A fresh clone, the README's set-up and playground commands exactly as written, the page served,
    then Ctrl-C: the playground must stop cleanly (exit status 0)."""
    readme = (ROOT / "README.rst").read_text(encoding="utf-8")
    commands = [readme_command(readme, "Set up once"), readme_command(readme, "Run the playground")]
    clone = temp / "clone"
    run("git", "clone", "--quiet", ROOT, clone)
    script = "set -e\n" + "\n".join(commands) + "\n"
    print("+ (in a fresh clone)", " && ".join(commands), flush=True)
    process = subprocess.Popen(
        ["bash", "-c", script],
        cwd=clone,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    output: list[str] = []
    address = None
    deadline = time.monotonic() + 600
    while address is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        found = re.search(r"Open the page: (http://\S+)", line)
        address = found.group(1) if found else None
    assert address is not None, "the playground printed no address:\n" + "".join(output[-40:])
    with urllib.request.urlopen(address, timeout=30) as page:
        assert page.status == 200 and b"<html" in page.read().lower()
    os.killpg(process.pid, signal.SIGINT)
    rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0, f"exit {process.returncode} after Ctrl-C:\n{rest}"
    print("README walk-through ok:", address, flush=True)


def run(*command: str | Path) -> None:
    shown = [str(part) if "\n" not in str(part) else "<script>" for part in command]
    print("+", " ".join(shown), flush=True)
    subprocess.run([str(part) for part in command], check=True)


def fresh_venv(where: Path) -> Path:
    venv.create(where, with_pip=True)
    return where / "bin" / "python"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="cors-wsgi-package-") as temp:
        dist = Path(temp) / "dist"
        run(sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", dist, ROOT)
        wheel = Path(glob.glob(str(dist / "*.whl"))[0])
        with zipfile.ZipFile(wheel) as archive:
            tops = {name.split("/", 1)[0] for name in archive.namelist()}
        expected = {
            "cors_wsgi",
            "flask_cors_ext",
            wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info",
        }
        assert tops == expected, f"the wheel holds {sorted(tops)}, expected {sorted(expected)}"
        sdist = Path(glob.glob(str(dist / "*.tar.gz"))[0])
        run(sys.executable, "-m", "twine", "check", "--strict", wheel, sdist)

        python = fresh_venv(Path(temp) / "from-sdist")
        run(python, "-m", "pip", "install", "--quiet", sdist)
        run(python, "-c", SMOKE_CORE)
        run(python, "-c", SMOKE_ASGI)
        run(Path(temp) / "from-sdist" / "bin" / "cors-wsgi", "--help")

        python = fresh_venv(Path(temp) / "from-wheel-flask")
        run(python, "-m", "pip", "install", "--quiet", f"{wheel}[flask]")
        run(python, "-c", SMOKE_CORE)
        run(python, "-c", SMOKE_FLASK)
        # The README's developer install: "pip install -e ." must leave the packages visible to type checkers
        # (a plain .pth file, not an import hook), so a user's project type-checks against a checkout.
        python = fresh_venv(Path(temp) / "editable")
        run(python, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[flask]", "mypy")
        project = Path(temp) / "user-project"
        project.mkdir()
        (project / "app.py").write_text(TYPED_USER_CODE)
        run(python, "-m", "mypy", "--strict", "--no-incremental", project / "app.py")
        readme_walkthrough(Path(temp))
    print("package ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
