"""The processes of a running platform: nginx, the gateway app, each service's web process (and, as
services grow them, their workers and schedulers). `up` runs them under honcho."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from honcho.printer import Printer
from marketplace_libs.logging_setup import redact
from marketplace_libs.topology import REPO_ROOT, gateway_app_port, present_services

from . import nginx


@dataclass(frozen=True)
class Process:
    name: str
    command: str
    cwd: Path
    env: dict = field(default_factory=dict)  # on top of the platform's environment


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _trusted_proxies(env: dict) -> str:
    """The proxies whose X-Forwarded-For uvicorn believes: the platform's one list (MARKETPLACE_TRUSTED_PROXIES)."""
    from .nginx import trusted_proxies

    return ",".join(trusted_proxies(env))


def web_command(app_dir: Path, port: int, *, asgi: bool, env: dict) -> str:
    workers = env.get("MARKETPLACE_WEB_CONCURRENCY", "2")
    if asgi:
        # One worker per process: socket services scale by processes on ports of their own (topology).
        # No permessage-deflate: frames are small JSON, not worth a chat process's CPU to compress
        # (docs/decisions.md, 37).
        return (f"{_bin('uvicorn')} config.asgi:application --host 127.0.0.1 --port {port} "
                f"--workers 1 --no-access-log --proxy-headers --forwarded-allow-ips {_trusted_proxies(env)} "
                f"--ws-max-size 65536 --ws-ping-interval 20 --ws-ping-timeout 20 --ws-per-message-deflate false")
    # gthread: a slow client holds a thread, not a whole worker. No request-line limit of gunicorn's own
    # (4 KB, answered with an HTML 400): nginx bounds the line (8 KB) and answers a longer one with a 414 problem.
    return (f"{_bin('gunicorn')} config.wsgi --bind 127.0.0.1:{port} --workers {workers} "
            f"--worker-class gthread --threads {env.get('MARKETPLACE_WEB_THREADS', '4')} "
            f"--graceful-timeout 20 --keep-alive 75 --limit-request-line 0 --error-logfile - --log-level warning")


def platform_processes(env: dict, run_dir: Path) -> list[Process]:
    binary = nginx.ensure_installed()
    conf = nginx.render(run_dir / "nginx", env=env)
    nginx.test_config(binary, conf)
    processes = [
        Process("nginx", f"{binary} -e stderr -p {shlex.quote(str(conf.parent))} -c {shlex.quote(str(conf))} "
                         "-g 'daemon off;'", REPO_ROOT),
        Process("gateway", web_command(REPO_ROOT / "gateway", gateway_app_port(), asgi=False, env=env),
                REPO_ROOT / "gateway", metrics_environment(env, "gateway")),
    ]
    reports = service_reports(env)
    for spec in present_services():
        for index, port in enumerate(spec.process_ports()):
            name = spec.name if index == 0 else f"{spec.name}-{index + 1}"
            processes.append(Process(name, web_command(spec.project_dir, port, asgi=spec.asgi, env=env),
                                     spec.project_dir, {} if spec.asgi else metrics_environment(env, name)))
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


def metrics_environment(env: dict, name: str) -> dict:
    """gunicorn's workers of one web process share a Prometheus multiprocess directory (emptied
    now: files of an earlier run's workers would be counted again); any worker's /metrics then
    answers for all of them. uvicorn's processes are single-process and need none."""
    directory = var_dir(env) / "run" / "metrics" / name
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return {"PROMETHEUS_MULTIPROC_DIR": str(directory)}


def platform_log_path(env: dict) -> Path:
    """Where `up` copies the platform's combined output (read by `manage_all.py logs`)."""
    return var_dir(env) / "log" / "platform.log"


def run_under_honcho(processes: list[Process], env: dict, *, readable: bool = True) -> int:
    from honcho.manager import Manager

    log_path = platform_log_path(env)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    if log_path.exists():  # the previous run's log is kept beside, once
        log_path.replace(log_path.with_name(log_path.name + ".1"))
    printer = TeePrinter(sys.stdout, log_path, readable=readable)
    manager = Manager(printer)
    inherited = {name: value for name, value in env.items() if name != "PROMETHEUS_MULTIPROC_DIR"}
    for process in processes:
        manager.add_process(process.name, process.command, cwd=str(process.cwd), env={**inherited, **process.env})
    try:
        manager.loop()
    finally:
        printer.close()
    return manager.returncode or 0


def redact_plain_lines(data):
    """Secrets cut out of the lines that did not come through the platform's logging (nginx's error log
    quotes the request line, a socket's ``?token=`` included; a server's own stderr). JSON lines were
    redacted field by field when they were written and pass unchanged: their text holds names such as
    ``token_error`` whose values are no secret."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return "\n".join(line if line.lstrip().startswith("{") else redact(line) for line in text.split("\n"))


def readable_lines(text: str, *, colour: bool) -> str | None:
    """The console's form of a process's output: its JSON log lines made readable (devtools/logs.py),
    polls left out, other output as it is; None when nothing is left to show."""
    from .logs import console_plain, console_text

    shown = []
    for line in text.splitlines():
        record = _json_record(line)
        rendered = console_plain(line) if record is None else console_text(record, colour=colour)
        if rendered is not None:
            shown.append(rendered)
    return "\n".join(shown) if shown else None


def _json_record(line: str) -> dict | None:
    import json

    from marketplace_libs.logging_setup import flatten

    if not line.startswith("{"):
        return None
    try:
        parsed = json.loads(line)
    except ValueError:
        return None
    return flatten(parsed) if isinstance(parsed, dict) else None


class TeePrinter(Printer):
    """honcho's printer, which also appends every line as it came (without colours) to a file. With
    ``readable``, the console shows the JSON log lines readable instead (``up --json``: as they are)."""

    def __init__(self, output, copy_path: Path, *, readable: bool = True):
        super().__init__(output)
        self._readable = readable
        self._file = open(copy_path, "a", encoding="utf-8", buffering=1)
        self._copy = Printer(self._file, colour=False)

    def write(self, message):
        message = message._replace(data=redact_plain_lines(message.data))
        self._copy.width = self.width
        self._copy.write(message)
        if self._readable and message.type == "line":
            text = readable_lines(message.data, colour=self.colour and self._colours_supported)
            if text is None:
                return
            message = message._replace(data=text)
        super().write(message)

    def close(self) -> None:
        self._file.close()


def var_dir(env: dict) -> Path:
    return Path(env.get("MARKETPLACE_VAR_DIR", REPO_ROOT / "var"))


def child_environment(env: dict) -> dict:
    merged = dict(env)
    merged["PYTHONUNBUFFERED"] = "1"
    merged.setdefault("PATH", os.environ.get("PATH", ""))
    return merged
