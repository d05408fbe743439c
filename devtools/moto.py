"""moto's server mode: a real local S3 endpoint for the storage tests.

moto[server] pins a newer jsonschema than the platform does, so it lives in its own virtualenv
(``var/tools/moto/``, from requirements/moto.txt) and runs as its own process, left running between
test runs like the other local servers. The tests find it through ``MARKETPLACE_TEST_S3_ENDPOINT``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from marketplace_libs.topology import REPO_ROOT

REQUIREMENTS = REPO_ROOT / "requirements" / "moto.txt"
DEFAULT_PORT = 5055
START_TIMEOUT_SECONDS = 60
VARIABLE = "MARKETPLACE_TEST_S3_ENDPOINT"


def venv_dir(var_dir: Path) -> Path:
    return var_dir / "tools" / "moto"


def ensure_installed(var_dir: Path) -> Path:
    """The moto_server program, its virtualenv made (or brought to requirements/moto.txt) first."""
    venv = venv_dir(var_dir)
    program = venv / "bin" / "moto_server"
    stamp = venv / "requirements.txt"
    wanted = REQUIREMENTS.read_text()
    if program.exists() and stamp.exists() and stamp.read_text() == wanted:
        return program
    print("moto: installing moto[server] into", venv, flush=True)
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "-r", str(REQUIREMENTS)], check=True)
    stamp.write_text(wanted)
    return program


def _answers(endpoint: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{endpoint}/moto-api/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def ensure_running(var_dir: Path, *, port: int | None = None) -> str:
    """The endpoint of a moto server on 127.0.0.1, started (detached, logging to var/moto.log) if none
    answers there."""
    port = port or int(os.environ.get("MARKETPLACE_TEST_S3_PORT", DEFAULT_PORT))
    endpoint = f"http://127.0.0.1:{port}"
    if _answers(endpoint):
        return endpoint
    program = ensure_installed(var_dir)
    log = (var_dir / "moto.log").open("ab")
    subprocess.Popen([str(program), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT,
                     stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if _answers(endpoint):
            return endpoint
        time.sleep(0.2)
    raise SystemExit(f"moto_server did not answer on {endpoint} within {START_TIMEOUT_SECONDS} s; "
                     f"see {var_dir / 'moto.log'}")


def ensure_libmagic() -> None:
    """Debian's libmagic1, which python-magic loads to read uploads' types (docs/files.md)."""
    import ctypes.util

    if ctypes.util.find_library("magic") is None:
        from .servers import install

        install(["libmagic1"])


def prepare(env: dict, *, var_dir: Path) -> dict:
    """The files layer's local needs: libmagic, and ``env`` with a running moto server's endpoint (a
    person's own setting is kept)."""
    ensure_libmagic()
    if env.get(VARIABLE):
        return env
    return {**env, VARIABLE: ensure_running(var_dir)}


if __name__ == "__main__":  # python -m devtools.moto: start one and print its endpoint
    print(ensure_running(REPO_ROOT / "var"))
