"""The machine's servers for the tests: PostgreSQL, Redis, RabbitMQ (and nginx for the end-to-end suite).

`manage_all.py test` calls ``prepare``: what is missing is installed with apt-get, a local server that
does not answer is started, and when PostgreSQL does not trust local connections (Debian's default
asks for a password on 127.0.0.1) a password-authenticated role is made for the tests over the Unix
socket. What needs root runs directly as root, else through sudo; with neither, the command a person
must run is printed instead.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
START_TIMEOUT_SECONDS = 90
# The role the tests use where PostgreSQL asks for a password. CREATEDB: each suite makes and drops
# its own databases; nothing the platform runs needs more.
TEST_ROLE = "marketplace"


class NotPermitted(SystemExit):
    """A step needs root, and this user is not root and has no sudo."""

    def __init__(self, commands: list[list[str]], why: str):
        lines = "\n".join(f"    sudo {shlex.join(command)}" for command in commands)
        super().__init__(f"{why}: this needs root, and sudo is not installed. As root, run:\n{lines}\n"
                         "then run this command again.")


@dataclass(frozen=True)
class Server:
    name: str
    variable: str
    default_port: int
    package: str
    program: str  # whose presence says the package is installed


SERVERS = (
    Server("PostgreSQL", "MARKETPLACE_DATABASE_URL", 5432, "postgresql", "pg_ctlcluster"),
    Server("Redis", "MARKETPLACE_REDIS_URL", 6379, "redis-server", "redis-server"),
    Server("RabbitMQ", "MARKETPLACE_BROKER_URL", 5672, "rabbitmq-server", "rabbitmq-server"),
)


# --- running things as root ----------------------------------------------------------------------

def program(name: str) -> str | None:
    """``name``'s path: on PATH, or in the sbin folders a non-root PATH leaves out (rabbitmqctl, nginx)."""
    found = shutil.which(name)
    if found:
        return found
    return next((str(path) for folder in ("/usr/sbin", "/sbin", "/usr/local/sbin")
                 if (path := Path(folder) / name).exists()), None)


def as_root(command: list[str], *, why: str) -> list[str]:
    """``command`` to run with root's rights: itself for root, through sudo for others."""
    if os.geteuid() == 0:
        return command
    sudo = shutil.which("sudo")
    if sudo is None:
        raise NotPermitted([command], why)
    # -H: root's HOME (RabbitMQ's Erlang cookie), not this user's.
    return [sudo, "-H", *command]


def as_user(user: str, command: list[str], *, why: str) -> list[str]:
    """``command`` run as system user ``user`` (postgres)."""
    if os.geteuid() == 0:
        return [program("runuser") or "runuser", "-u", user, "--", *command]
    sudo = shutil.which("sudo")
    if sudo is None:
        raise NotPermitted([["-u", user, *command]], why)
    return [sudo, "-u", user, *command]


def install(packages: list[str]) -> None:
    if not packages:
        return
    update = ["apt-get", "update", "-qq"]
    command = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", *packages]
    if os.geteuid() != 0 and shutil.which("sudo") is None:
        raise NotPermitted([update, command], f"{', '.join(packages)} not installed")
    print(f"Installing {' '.join(packages)} with apt-get ...", flush=True)
    subprocess.run(as_root(update, why="apt-get update"), check=True)
    subprocess.run(as_root(command, why="apt-get install"), check=True)


# --- answering -------------------------------------------------------------------------------------

def address(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def answers(host: str, port: int, *, timeout: float = 2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def start_commands(server: Server) -> list[list[str]]:
    """What starts ``server`` on this machine (Debian's packages, no systemd needed)."""
    if server.package == "postgresql":
        newest = max(os.listdir("/etc/postgresql"), key=lambda version: [int(part) for part in version.split(".")
                                                                       if part.isdigit()])
        return [["pg_ctlcluster", "--skip-systemctl-redirect", newest, "main", "start"]]
    if server.package == "redis-server":
        return [["mkdir", "-p", "/var/lib/redis", "/var/log/redis"],
                [program("redis-server") or "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1",
                 "--port", "6379", "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
                 "--logfile", "/var/log/redis/marketplace.log"]]
    return [[program("rabbitmq-server") or "rabbitmq-server", "-detached"]]


def ensure_running(env: dict) -> None:
    """Installs and starts each configured local server that does not answer; waits until all do."""
    waiting = []
    elsewhere = []
    for server in SERVERS:
        url = env.get(server.variable)
        if not url:
            continue
        host, port = address(url, server.default_port)
        if answers(host, port):
            continue
        if host not in LOCAL_HOSTS or port != server.default_port:
            elsewhere.append(f"{server.name} at {server.variable}={redact_url(url)}")
            continue
        if program(server.program) is None:
            install([server.package])
        print(f"Starting {server.name} ...", flush=True)
        for command in start_commands(server):
            subprocess.run(as_root(command, why=f"starting {server.name}"), check=True)
        waiting.append((server, host, port))
    if elsewhere:
        raise SystemExit("Tests run on real servers, and these do not answer (they are not this machine's "
                         "own, so they are not started here):\n  " + "\n  ".join(elsewhere))
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    for server, host, port in waiting:
        while not answers(host, port):
            if time.monotonic() > deadline:
                raise SystemExit(f"{server.name} was started but does not answer on {host}:{port}")
            time.sleep(0.5)


# --- PostgreSQL's authentication ------------------------------------------------------------------

def redact_url(url: str) -> str:
    """``url`` without its password."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def refuses_credentials(error: Exception) -> bool:
    """Whether a failed connection was PostgreSQL asking for (another) password, rather than anything else."""
    text = str(error)
    return any(sign in text for sign in ("password authentication failed", "no password supplied",
                                         "Ident authentication failed", "Peer authentication failed",
                                         "pg_hba.conf rejects"))


def connection_error(url: str) -> Exception | None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    try:
        psycopg.connect(admin, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        return error
    return None


def password_file(var_dir: Path) -> Path:
    return var_dir / "postgres-password"


def with_role(url: str, role: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{role}:{quote(password, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def role_statement(role: str, password: str) -> str:
    """SQL that makes ``role`` (or resets its password): psql reads it on stdin, so the password is on
    no command line."""
    literal = "'" + password.replace("'", "''") + "'"
    return (f"SELECT format('CREATE ROLE %I', '{role}') WHERE NOT EXISTS "
            f"(SELECT FROM pg_roles WHERE rolname = '{role}') \\gexec\n"
            f"ALTER ROLE \"{role}\" WITH LOGIN CREATEDB PASSWORD {literal};\n")


def make_password_role(var_dir: Path, *, role: str = TEST_ROLE, port: int = 5432) -> str:
    """A new password for ``role`` (made when missing), set with psql as the postgres system user over
    the Unix socket (which Debian's pg_hba trusts for that user), kept in var/postgres-password (mode 600)."""
    path = password_file(var_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(24)
    command = as_user("postgres", ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-p", str(port), "-d", "postgres"],
                      why=f"making PostgreSQL role {role!r}")
    print(f"PostgreSQL asks for a password: making role {role!r} for the tests (password in {path})", flush=True)
    made = subprocess.run(command, input=role_statement(role, password), text=True, cwd="/", capture_output=True)
    if made.returncode:
        raise SystemExit(f"psql could not make role {role!r}: {made.stderr.strip()}")
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(password)
    return password


def database_url(url: str, var_dir: Path, *, configured: bool) -> str:
    """``url``, or where PostgreSQL refuses it for want of a password and the person configured no URL
    of their own, the tests' password-authenticated role on the same server."""
    error = connection_error(url)
    if error is None:
        return url
    if not refuses_credentials(error) or configured:
        raise SystemExit(f"PostgreSQL refuses {redact_url(url)}: {str(error).strip()}")
    stored = password_file(var_dir)
    if stored.exists():
        candidate = with_role(url, TEST_ROLE, stored.read_text().strip())
        if connection_error(candidate) is None:
            return candidate
    candidate = with_role(url, TEST_ROLE, make_password_role(var_dir, port=address(url, 5432)[1]))
    error = connection_error(candidate)
    if error is not None:
        raise SystemExit(f"PostgreSQL refuses role {TEST_ROLE!r} even with its new password "
                         f"(pg_hba.conf?): {str(error).strip()}")
    return candidate


def prepare(env: dict, *, configured: set[str], var_dir: Path, need_nginx: bool,
            stripe_for: dict | None = None) -> dict:
    """``env`` with servers that answer and accept it: installs, starts, and makes a PostgreSQL role
    as needed. ``configured``: the variables the person set themselves (never rewritten).
    ``stripe_for``: the environment of a platform that runs the stripe provider on localstripe (the
    end-to-end one), whose localstripe is started here too (the payment service's unit tests start
    one of their own)."""
    if need_nginx:  # the end-to-end suite: nginx, and Chromium for its page tests
        from . import browser, nginx

        nginx.ensure_installed()
        browser.ensure_installed()
    ensure_running(env)
    if stripe_for is not None:
        from . import localstripe

        if localstripe.wanted(stripe_for):
            localstripe.ensure_running(localstripe.with_defaults(stripe_for), log_dir=var_dir / "log")
    from . import moto  # S3 for the storage tests (its own module: docs/files.md)

    env = moto.prepare(env, var_dir=var_dir)
    url = env.get("MARKETPLACE_DATABASE_URL")
    if url:
        env = {**env, "MARKETPLACE_DATABASE_URL": database_url(
            url, var_dir, configured="MARKETPLACE_DATABASE_URL" in configured)}
    return env
