#!/usr/bin/env python3
"""The developers' command line over every service of the marketplace.

    python3 manage_all.py up          migrate, then run the whole platform (Ctrl-C stops it)
    python3 manage_all.py test        every test, on the real servers
    python3 manage_all.py --help      every command

On first use it makes the virtualenv in .venv/ and installs requirements/dev.txt
and libs/ into it (again whenever those files change), then runs inside it.
It needs only Python 3.11+ to start.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".installed-requirements"
REQUIREMENT_FILES = sorted((ROOT / "requirements").glob("*.txt")) + [ROOT / "libs" / "pyproject.toml"]


def _requirements_digest() -> str:
    digest = hashlib.sha256()
    for path in REQUIREMENT_FILES:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _create_venv() -> None:
    print(f"Creating the virtualenv in {VENV} ...", flush=True)
    try:
        result = subprocess.run([sys.executable, "-m", "venv", str(VENV)])
        if result.returncode == 0:
            return
        # Debian ships venv's pip bootstrap separately.
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        install = ["apt-get", "install", "-y", "-qq", f"{version}-venv"]
        if os.geteuid() != 0:
            raise SystemExit(f"Could not create a virtualenv. Run: sudo {' '.join(install)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(install, check=True, env=env)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    except BaseException:
        # A half-made .venv would be trusted by the next run.
        shutil.rmtree(VENV, ignore_errors=True)
        raise


def ensure_virtualenv() -> None:
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if sys.version_info < (3, 11):
        raise SystemExit("manage_all.py needs Python 3.11 or newer")
    if not (VENV / "bin" / "pip").exists():  # none, or one an interrupted venv left without pip
        shutil.rmtree(VENV, ignore_errors=True)
        _create_venv()
    digest = _requirements_digest()
    if not STAMP.exists() or STAMP.read_text() != digest:
        print("Installing the pinned requirements into .venv ...", flush=True)
        pip = [str(VENV_PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        installed = subprocess.run([*pip, "-r", str(ROOT / "requirements" / "dev.txt")]).returncode == 0 and \
            subprocess.run([*pip, "--no-deps", "-e", str(ROOT / "libs")]).returncode == 0
        if not installed:
            STAMP.unlink(missing_ok=True)  # installed again on the next run
            raise SystemExit("Installing the requirements into .venv failed (above); run the command again.")
        STAMP.write_text(digest)
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])


if __name__ == "__main__":
    ensure_virtualenv()
    sys.path.insert(0, str(ROOT))
    from devtools.cli import main

    sys.exit(main(sys.argv[1:]))
