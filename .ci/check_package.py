"""Build the sdist and wheel, check them with twine, and install each into a fresh venv.

Run by ``tox -e package`` (and so by ``.ci/run``)::

    python .ci/check_package.py

Proves that ``pip install .`` (from the sdist and from the wheel) and ``pip install ".[flask]"`` give
a working package in an empty virtual environment: the imports, the type marker, the ``cors-wsgi``
console script, and a real request through each of the middlewares (WSGI and ASGI) and the Flask extension.
"""

from __future__ import annotations

import glob
import subprocess
import sys
import tempfile
import venv
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
    print("package ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
