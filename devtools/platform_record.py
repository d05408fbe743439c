"""What `manage_all.py up` runs with, recorded under var/run/ so that the other commands, started in
another terminal without the same exports, talk to that platform rather than to the embedded default.

``var/run/platform.json`` holds the platform's variables with every secret masked (safe to print or
paste); the secrets themselves are in ``var/run/platform-secrets.json``, readable by its owner only
(like ~/.pgpass). Both are removed when `up` stops. A command whose own environment names a platform
(any of NAMING) keeps its own; ``MARKETPLACE_VAR_DIR`` only chooses which var/ folder's record to read.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from marketplace_libs.topology import REPO_ROOT

# Variables that say which platform a command talks to: set any in a shell, and it is that one.
NAMING = ("MARKETPLACE_DATABASE_URL", "MARKETPLACE_BROKER_URL", "MARKETPLACE_REDIS_URL",
          "MARKETPLACE_GATEWAY_PORT", "MARKETPLACE_PORT_BASE", "MARKETPLACE_DATABASE_PREFIX")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PRIVATE_KEY|TOKEN")
MASK = "***"


@dataclass(frozen=True)
class Record:
    pid: int
    gateway_url: str
    variables: dict[str, str]  # secrets masked
    secrets: dict[str, str]

    @property
    def running(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # another user's process: it is there
            return True
        return True

    def environment(self) -> dict[str, str]:
        return {**self.variables, **self.secrets}


def record_dir(env: dict) -> Path:
    return Path(env.get("MARKETPLACE_VAR_DIR") or REPO_ROOT / "var") / "run"


def masked(name: str, value: str) -> str:
    """``value`` as the shown record keeps it: a secret variable as ``***``, a URL without its password."""
    if SECRET_NAME.search(name.removeprefix("MARKETPLACE_")):
        return MASK
    if "://" in value:
        parts = urlsplit(value)
        if parts.password:
            return value.replace(f":{parts.password}@", f":{MASK}@", 1)
    return value


def write(env: dict, *, pid: int, gateway_url: str) -> Path:
    """Records the platform variables of ``env`` (those named MARKETPLACE_*)."""
    variables = {name: value for name, value in sorted(env.items()) if name.startswith("MARKETPLACE_")}
    shown = {name: masked(name, value) for name, value in variables.items()}
    secrets = {name: value for name, value in variables.items() if shown[name] != value}
    directory = record_dir(env)
    directory.mkdir(parents=True, exist_ok=True)
    secrets_path = directory / "platform-secrets.json"
    secrets_path.unlink(missing_ok=True)
    descriptor = os.open(secrets_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(secrets, handle)
    path = directory / "platform.json"
    path.write_text(json.dumps({"pid": pid, "gateway_url": gateway_url, "variables": shown}, indent=2) + "\n")
    return path


def remove(env: dict) -> None:
    directory = record_dir(env)
    for name in ("platform.json", "platform-secrets.json"):
        (directory / name).unlink(missing_ok=True)


def read(env: dict) -> Record | None:
    directory = record_dir(env)
    try:
        shown = json.loads((directory / "platform.json").read_text())
    except (FileNotFoundError, ValueError):
        return None
    try:
        secrets = json.loads((directory / "platform-secrets.json").read_text())
    except (FileNotFoundError, PermissionError, ValueError):
        secrets = {}
    return Record(pid=int(shown["pid"]), gateway_url=shown["gateway_url"], variables=shown["variables"],
                  secrets=secrets)


def names_a_platform(env: dict) -> bool:
    return any(env.get(name) for name in NAMING)


def adopt(env: dict) -> tuple[dict, str]:
    """``env`` with the running platform's recorded variables when it names none itself, and a line
    saying which platform that is."""
    if names_a_platform(env):
        return env, f"platform: this shell's environment ({describe(env)})"
    record = read(env)
    if record is None or not record.running:
        return env, f"platform: the embedded default ({describe(env)}); no `manage_all.py up` is running"
    missing = [name for name, value in record.variables.items() if MASK in value and name not in record.secrets]
    if missing:
        print(f"the running platform's secrets ({record_dir(env) / 'platform-secrets.json'}) are not "
              f"readable here: {', '.join(missing)}", file=sys.stderr)
    adopted = {**record.environment(), **env}
    return adopted, (f"platform: the one `manage_all.py up` runs (pid {record.pid}, {record.gateway_url}; "
                     f"{describe(record.variables)})")


def describe(env: dict) -> str:
    """The servers ``env`` names, passwords masked."""
    parts = []
    for name, label in (("MARKETPLACE_DATABASE_URL", "database"), ("MARKETPLACE_BROKER_URL", "broker"),
                        ("MARKETPLACE_REDIS_URL", "redis")):
        value = env.get(name)
        parts.append(f"{label} {masked(name, value) if value else 'embedded'}")
    return ", ".join(parts)
