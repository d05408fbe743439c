"""One platform process per container: ``python -m devtools.container <process>``.

The image (compose/Dockerfile) runs every part of the platform; which part is named by the
process's name, the very names ``manage_all.py up`` gives them (devtools/processes.py):

    nginx                   the gateway's nginx, rendered from gateway/nginx/nginx.conf.template
    gateway                 the gateway's Django edge app (gunicorn)
    <service>, <service>-2  a service's web process(es): gunicorn, or uvicorn for socket services
    <service>-relay         its outbox relay (manage.py run_outbox_relay)
    <service>-worker        its Celery worker
    <service>-beat          its Celery beat

The command lines come from devtools/processes.py itself, so they never drift from ``up``. Two
things differ in a container, and only these: web processes listen on every interface instead of
127.0.0.1, and nginx's
upstreams are the other containers' names (``auth:8101``) instead of local ports.

Other commands:

    migrate                 ``manage_all.py migrate``: databases, migrations, event topology (one-shot)
    manage <args...>        any ``manage_all.py`` command, e.g. ``manage run gigs search_index --rebuild -f``
    healthcheck [process]   exit 0 when the process answers (web processes: GET /readyz); without a
                            name, the process this container runs
    command <process>       print the command line instead of running it

Secrets: a variable ``MARKETPLACE_<NAME>_FILE`` names a file (a Docker or Kubernetes secret) whose
content becomes ``MARKETPLACE_<NAME>``; a missing or empty file leaves it unset.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from marketplace_libs.topology import (
    REPO_ROOT, ServiceSpec, gateway_app_port, gateway_port, present_services, service,
)

# processes.web_command's local bindings, and what they become in a container.
_LISTEN_REWRITES = (
    (re.compile(r"--bind 127\.0\.0\.1:(\d+)"), r"--bind 0.0.0.0:\1"),
    (re.compile(r"--host 127\.0\.0\.1 "), "--host 0.0.0.0 "),
)
_UPSTREAM = re.compile(r"(\bserver )127\.0\.0\.1:(\d+)")
ROLES = ("relay", "worker", "beat")


@dataclass(frozen=True)
class Target:
    """A process of the platform, by the name ``manage_all.py up`` gives it."""

    name: str
    kind: str  # nginx | gateway | web | relay | worker | beat
    spec: ServiceSpec | None = None
    index: int = 0  # which web process of a socket service (0 = the first)

    @property
    def port(self) -> int | None:
        if self.kind == "gateway":
            return gateway_app_port()
        if self.kind == "nginx":
            return gateway_port()
        if self.kind == "web":
            return self.spec.process_ports()[self.index]
        return None

    @property
    def cwd(self) -> Path:
        if self.kind == "gateway":
            return REPO_ROOT / "gateway"
        if self.spec is not None:
            return self.spec.project_dir
        return REPO_ROOT


def parse(name: str) -> Target:
    if name in ("nginx", "gateway"):
        return Target(name, name)
    base, _, suffix = name.rpartition("-")
    if base and suffix in ROLES:
        return Target(name, suffix, _present(base))
    if base and suffix.isdigit() and int(suffix) >= 2:
        spec = _present(base)
        index = int(suffix) - 1
        if index >= len(spec.process_ports()):
            raise SystemExit(f"{name}: {base} runs {len(spec.process_ports())} web process(es) "
                             "(MARKETPLACE_SOCKET_PROCESSES)")
        return Target(name, "web", spec, index)
    return Target(name, "web", _present(name))


def _present(name: str) -> ServiceSpec:
    try:
        spec = service(name)
    except KeyError:
        raise SystemExit(f"unknown process {name!r}: nginx, gateway, <service>[-N], <service>-relay, "
                         f"<service>-worker or <service>-beat, for {', '.join(s.name for s in present_services())}")
    if not spec.exists:
        raise SystemExit(f"the {name} service is not in this image (no projects/{name}/manage.py)")
    return spec


# --- command lines -----------------------------------------------------------------------------

def listen_everywhere(command: str) -> str:
    """processes.web_command's line for a container: the same, bound to every interface."""
    for pattern, replacement in _LISTEN_REWRITES:
        command, count = pattern.subn(replacement, command)
    if "127.0.0.1:" in command or "--host 127.0.0.1" in command:
        raise RuntimeError(f"devtools.processes changed its web command; update devtools/container.py: {command}")
    return command


def upstream_names() -> dict[int, str]:
    """Local port -> the container (or Kubernetes Service) that serves it: the process's name."""
    names = {gateway_app_port(): "gateway"}
    for spec in present_services():
        for index, port in enumerate(spec.process_ports()):
            names[port] = spec.name if index == 0 else f"{spec.name}-{index + 1}"
    return names


def containerise_nginx_config(text: str) -> str:
    """The rendered nginx.conf with each upstream's 127.0.0.1:<port> replaced by <process>:<port>."""
    names = upstream_names()

    def replace(match: re.Match) -> str:
        port = int(match.group(2))
        if port not in names:
            raise RuntimeError(f"nginx.conf names 127.0.0.1:{port}, which is no process of the platform")
        return f"{match.group(1)}{names[port]}:{port}"

    text = _UPSTREAM.sub(replace, text)
    if re.search(r"127\.0\.0\.1:\d", text):  # an address left behind (set_real_ip_from names no port)
        raise RuntimeError("the rendered nginx.conf still names 127.0.0.1; update devtools/container.py")
    return text


def render_nginx(env: dict) -> Path:
    """Renders the template exactly as ``up`` does (devtools/nginx.py), then points it at the containers."""
    from . import nginx, processes

    conf = nginx.render(processes.var_dir(env) / "run" / "nginx", env=env)
    conf.write_text(containerise_nginx_config(conf.read_text()))
    return conf


def extra_environment(target: Target, env: dict) -> dict:
    """What `up` adds to the platform's environment for this process (devtools.processes.Process.env):
    gunicorn's workers share a Prometheus multiprocess directory."""
    from . import processes

    if target.kind == "gateway" or (target.kind == "web" and not target.spec.asgi):
        return processes.metrics_environment(env, target.name)
    return {}


def command_line(target: Target, env: dict, *, test_nginx: bool = True) -> str:
    from . import processes

    if target.kind == "nginx":
        from . import nginx

        binary = nginx.nginx_binary() or "/usr/sbin/nginx"
        conf = render_nginx(env)
        if test_nginx:  # as `up` does; resolves the upstreams' names, so only where they exist
            nginx.test_config(binary, conf)
        return (f"{binary} -e stderr -p {shlex.quote(str(conf.parent))} -c {shlex.quote(str(conf))} "
                "-g 'daemon off;'")
    if target.kind == "gateway":
        return listen_everywhere(processes.web_command(target.cwd, target.port, asgi=False, env=env))
    if target.kind == "web":
        return listen_everywhere(processes.web_command(target.cwd, target.port, asgi=target.spec.asgi, env=env))
    if target.kind == "relay":
        return f"{sys.executable} manage.py run_outbox_relay"
    if target.kind == "worker":
        return processes.worker_command(target.spec.name, env)
    return processes.beat_command(target.spec.name, env)


# --- secrets, health, running ---------------------------------------------------------------------

def load_secret_files(env: dict) -> dict:
    """MARKETPLACE_<NAME>_FILE=<path> -> MARKETPLACE_<NAME>=<its content> (unset when missing or empty)."""
    env = dict(env)
    for name in [key for key in env if key.startswith("MARKETPLACE_") and key.endswith("_FILE")]:
        target = name[: -len("_FILE")]
        path = Path(env.pop(name))
        content = path.read_text().strip() if path.is_file() else ""
        if content:
            env[target] = content + ("\n" if content.startswith("-----BEGIN") else "")
        else:
            env.pop(target, None)
    return env


def healthcheck(target: Target, *, timeout: float = 4.0) -> int:
    if target.port is None:
        print(f"{target.name} has no HTTP endpoint; its container is healthy while it runs")
        return 0
    if target.kind == "nginx":
        # Through nginx to the edge app: any answer of the edge app (200, or 503 while a service is
        # still starting) proves nginx is up; nginx's own 502 does not carry "gateway".
        url = f"http://127.0.0.1:{target.port}/healthz"
        accepted = (200, 503)
    else:
        url = f"http://127.0.0.1:{target.port}/readyz"
        accepted = (200,)
    request = urllib.request.Request(url, headers={"Host": "localhost", "User-Agent": "healthcheck"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    except OSError as error:
        print(f"{target.name}: {url}: {error}")
        return 1
    if target.kind == "nginx":
        try:
            ok = json.loads(body).get("gateway") == "ok"
        except ValueError:
            ok = False
    else:
        ok = True
    print(f"{target.name}: {url}: {status}")
    return 0 if status in accepted and ok else 1


def _marker(env: dict) -> Path:
    from .processes import var_dir

    return var_dir(env) / "run" / "container-process"


def _running_process(env: dict) -> str:
    try:
        return _marker(env).read_text().strip()
    except OSError:
        raise SystemExit("no process has started in this container yet")


def _exec(argv: list[str], cwd: Path, env: dict) -> None:
    sys.stdout.flush()
    os.chdir(cwd)
    os.execvpe(argv[0], argv, env)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0 if argv else 2
    env = load_secret_files(dict(os.environ))
    env["PYTHONUNBUFFERED"] = "1"
    os.environ.clear()
    os.environ.update(env)  # topology (socket processes, ports) reads os.environ
    command, rest = argv[0], argv[1:]
    if command == "migrate":
        _exec([sys.executable, str(REPO_ROOT / "manage_all.py"), "migrate", *rest], REPO_ROOT, env)
    if command == "manage":
        _exec([sys.executable, str(REPO_ROOT / "manage_all.py"), *rest], REPO_ROOT, env)
    if command == "healthcheck":
        name = rest[0] if rest else _running_process(env)
        return healthcheck(parse(name))
    if command == "command":
        target = parse(rest[0])
        print(command_line(target, env, test_nginx=False))
        return 0
    target = parse(command)
    argv = shlex.split(command_line(target, env))
    env.update(extra_environment(target, env))
    marker = _marker(env)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(target.name)
    _exec(argv, target.cwd, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
