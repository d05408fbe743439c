"""The processes of a running platform: nginx, the gateway app, each service's web process (and, as
services grow them, their workers and schedulers). `up` runs them under honcho."""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from marketplace_libs.topology import REPO_ROOT, gateway_app_port, present_services

from . import nginx


@dataclass(frozen=True)
class Process:
    name: str
    command: str
    cwd: Path


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def web_command(app_dir: Path, port: int, *, asgi: bool, env: dict) -> str:
    workers = env.get("MARKETPLACE_WEB_CONCURRENCY", "2")
    if asgi:
        # One worker per process: socket services scale by processes on ports of their own (topology).
        return (f"{_bin('uvicorn')} config.asgi:application --host 127.0.0.1 --port {port} "
                f"--workers 1 --no-access-log --proxy-headers --forwarded-allow-ips 127.0.0.1 "
                f"--ws-max-size 65536 --ws-ping-interval 20 --ws-ping-timeout 20")
    # gthread: a slow client holds a thread, not a whole worker.
    return (f"{_bin('gunicorn')} config.wsgi --bind 127.0.0.1:{port} --workers {workers} "
            f"--worker-class gthread --threads {env.get('MARKETPLACE_WEB_THREADS', '4')} "
            f"--graceful-timeout 20 --keep-alive 75 --error-logfile - --log-level warning")


def platform_processes(env: dict, run_dir: Path) -> list[Process]:
    binary = nginx.ensure_installed()
    conf = nginx.render(run_dir / "nginx", env=env)
    nginx.test_config(binary, conf)
    processes = [
        Process("nginx", f"{binary} -e stderr -p {shlex.quote(str(conf.parent))} -c {shlex.quote(str(conf))} "
                         "-g 'daemon off;'", REPO_ROOT),
        Process("gateway", web_command(REPO_ROOT / "gateway", gateway_app_port(), asgi=False, env=env),
                REPO_ROOT / "gateway"),
    ]
    reports = service_reports(env)
    for spec in present_services():
        for index, port in enumerate(spec.process_ports()):
            name = spec.name if index == 0 else f"{spec.name}-{index + 1}"
            processes.append(Process(name, web_command(spec.project_dir, port, asgi=spec.asgi, env=env),
                                     spec.project_dir))
        processes.append(Process(f"{spec.name}-relay", f"{sys.executable} manage.py run_outbox_relay",
                                 spec.project_dir))
        report = reports.get(spec.name, {})
        if report.get("subscriptions") or report.get("periodic_tasks"):
            processes.append(Process(f"{spec.name}-worker", worker_command(spec.name, env), spec.project_dir))
        if report.get("periodic_tasks"):
            processes.append(Process(f"{spec.name}-beat", beat_command(spec.name, env), spec.project_dir))
    return processes


def beat_command(service: str, env: dict) -> str:
    schedule = var_dir(env) / "run" / f"{service}-celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    return f"{_bin('celery')} -A config.celery beat --loglevel INFO --schedule {shlex.quote(str(schedule))}"


def worker_command(service: str, env: dict) -> str:
    # Events are consumed in the worker's main loop (batch_consumer.py); the thread pool runs the
    # service's own background tasks, which mostly wait on the network (SMTP, payment provider).
    return (f"{_bin('celery')} -A config.celery worker --loglevel INFO --pool threads "
            f"--concurrency {env.get('MARKETPLACE_WORKER_CONCURRENCY', '4')} "
            f"--without-heartbeat --without-gossip --without-mingle -n {service}@%h")


def service_reports(env: dict) -> dict[str, dict]:
    """Each present service's events_info: its subscriptions and periodic tasks (asked in parallel)."""
    from .events_ops import ask

    found = {}
    for answer in ask(present_services(), ["events_info"], env, expect="subscriptions"):
        if answer.report is None:
            raise SystemExit(f"{answer.service}: manage.py events_info failed: {answer.error}")
        found[answer.service] = answer.report
    return found


def event_subscriptions(env: dict) -> dict[str, list[str]]:
    """Each present service's subscriptions (asked of the services themselves, in parallel)."""
    return {service: report["subscriptions"] for service, report in service_reports(env).items()}


def run_under_honcho(processes: list[Process], env: dict) -> int:
    from honcho.manager import Manager
    from honcho.printer import Printer

    manager = Manager(Printer(sys.stdout))
    for process in processes:
        manager.add_process(process.name, process.command, cwd=str(process.cwd), env=env)
    manager.loop()
    return manager.returncode or 0


def var_dir(env: dict) -> Path:
    return Path(env.get("MARKETPLACE_VAR_DIR", REPO_ROOT / "var"))


def child_environment(env: dict) -> dict:
    merged = dict(env)
    merged["PYTHONUNBUFFERED"] = "1"
    merged.setdefault("PATH", os.environ.get("PATH", ""))
    return merged
