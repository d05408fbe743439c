"""manage_all.py's commands. Each works over every service present under projects/."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from marketplace_libs.topology import (
    REPO_ROOT, database_name, gateway_port, present_services, service,
)

from . import localstripe, processes

PYTHON = sys.executable


def _manage(app_dir: Path, *args: str, env: dict | None = None, check: bool = True) -> int:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=app_dir, env=env or os.environ.copy())
    if check and result.returncode:
        raise SystemExit(result.returncode)
    return result.returncode


def _service_dir(name: str) -> Path:
    if name == "gateway":
        return REPO_ROOT / "gateway"
    try:
        spec = service(name)
    except KeyError:
        raise SystemExit(f"unknown service {name!r}; known: {', '.join(s.name for s in present_services())}")
    if not spec.exists:
        raise SystemExit(f"the {name} service has no project here (no projects/{name}/manage.py)")
    return spec.project_dir


# --- databases ---------------------------------------------------------------------------------

def ensure_databases(env: dict) -> None:
    """Creates marketplace_<service> on the PostgreSQL server for each service that lacks one."""
    url = env.get("MARKETPLACE_DATABASE_URL")
    if not url:
        return  # SQLite files are created on first use
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    names = [database_name(spec.name) for spec in present_services()]
    with psycopg.connect(admin_url, autocommit=True) as connection:
        existing = {row[0] for row in connection.execute("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                connection.execute(f'CREATE DATABASE "{name}"')
                print(f"created database {name}")


def migrate(env: dict) -> None:
    ensure_databases(env)
    for spec in present_services():
        print(f"== migrate {spec.name}", flush=True)
        _manage(spec.project_dir, "migrate", "--noinput", env=env)
        # Queues exist before any worker runs, so no event published meanwhile is dropped.
        _manage(spec.project_dir, "declare_event_topology", env=env)


# --- commands ---------------------------------------------------------------------------------

def cmd_up(args) -> int:
    from . import platform_record

    env = processes.child_environment(dict(os.environ))
    if localstripe.wanted(env):
        # The stripe provider on this machine: localstripe, told to send its webhooks to this gateway.
        env = localstripe.with_defaults(env)
        localstripe.ensure_running(env, log_dir=processes.var_dir(env) / "log")
        localstripe.register_webhook(env, endpoint_id=f"platform-{gateway_port()}",
                                     gateway_url=f"http://127.0.0.1:{gateway_port()}")
    if not args.no_migrate:
        migrate(env)
    run_dir = processes.var_dir(env) / "run"
    platform = processes.platform_processes(env, run_dir)
    base_url = f"http://127.0.0.1:{gateway_port()}"
    print(f"\nMarketplace on {base_url}/  (Ctrl-C stops everything)")
    print(f"  API docs      {base_url}/api/docs/")
    print(f"  health        {base_url}/healthz")
    for spec in present_services():
        print(f"  {spec.name:<13} {base_url}{spec.api_prefix}   admin {base_url}/admin/{spec.name}/")
    print(f"  servers       {platform_record.describe(env)}")
    if localstripe.wanted(env):
        print(f"  stripe        localstripe at {env['MARKETPLACE_STRIPE_API_BASE']}, webhooks to "
              f"{base_url}/api/payments/webhooks/stripe")
    print(f"  logs          {processes.platform_log_path(env)}  (manage_all.py logs [service] [--request-id ID])")
    record = platform_record.write(env, pid=os.getpid(), gateway_url=base_url)
    print(f"  recorded in   {record}  (other manage_all.py commands talk to this platform)")
    print(flush=True)
    try:
        return processes.run_under_honcho(platform, env, readable=not args.json)
    finally:
        platform_record.remove(env)


def cmd_migrate(args) -> int:
    migrate(dict(os.environ))
    return 0


def cmd_makemigrations(args) -> int:
    names = args.services or [spec.name for spec in present_services()]
    for name in names:
        _manage(_service_dir(name), "makemigrations", *args.extra)
    return 0


def cmd_check(args) -> int:
    for spec in present_services():
        print(f"== check {spec.name}", flush=True)
        _manage(spec.project_dir, "check", "--fail-level", "WARNING")
        _manage(spec.project_dir, "makemigrations", "--check", "--dry-run")
    _manage(REPO_ROOT / "gateway", "check")
    from . import nginx

    conf = nginx.render(processes.var_dir(dict(os.environ)) / "check" / "nginx")
    nginx.test_config(nginx.ensure_installed(), conf)
    print("nginx configuration ok")
    return 0


def cmd_seed(args) -> int:
    import httpx

    from marketplace_libs.topology import gateway_port

    from .seed import Seeder

    env = dict(os.environ)
    if env.get("MARKETPLACE_ENV") == "production":
        print("seed refuses to run with MARKETPLACE_ENV=production: every demo password, the staff "
              "account's too, is published.")
        return 1
    base_url = f"http://127.0.0.1:{gateway_port()}"
    try:
        httpx.get(f"{base_url}/healthz", timeout=3)
    except httpx.HTTPError:
        print(f"The platform is not answering at {base_url}: start `python3 manage_all.py up` in another "
              "terminal, then seed (the demo data goes through the API and the events, as in production).")
        return 1
    for spec in present_services():
        if _has_command(spec.project_dir, "seed_demo"):
            print(f"== seed {spec.name}", flush=True)
            _manage(spec.project_dir, "seed_demo", env=env)
    print("== seed through the gateway", flush=True)
    secret = env.get("MARKETPLACE_PAYMENT_WEBHOOK_SECRET", "whsec_development_only_0f3c9a")
    payments = service("payments").project_dir

    def release_earning(order_id: str) -> bool:
        return _manage(payments, "release_earning", order_id, env=env, check=False) == 0

    Seeder(base_url, secret, release_earning).run()
    print(f"demo password for every account: {PASSWORD_HINT}")
    return 0


PASSWORD_HINT = "demo passphrase 2026"


def _has_command(project_dir: Path, command: str) -> bool:
    return any(project_dir.glob(f"*/management/commands/{command}.py"))


def cmd_createsuperuser(args) -> int:
    # Staff accounts live in the auth service; every other admin signs them in from there.
    return _manage(_service_dir("auth"), "createsuperuser", *args.extra, check=False)


def cmd_status(args) -> int:
    from . import events_ops

    return events_ops.platform_status(dict(os.environ))


def cmd_logs(args) -> int:
    from . import logs

    return logs.run(args, processes.platform_log_path(dict(os.environ)))


def cmd_shell(args) -> int:
    return _manage(_service_dir(args.service), "shell", *args.extra, check=False)


def cmd_run(args) -> int:
    return _manage(_service_dir(args.service), *args.extra, check=False)


def cmd_test(args) -> int:
    from . import testing

    return testing.run(args.targets, pytest_args=args.pytest_args)


def cmd_events(args) -> int:
    from . import events_ops

    return events_ops.run(args.events_action or "status", args, dict(os.environ))


def _add_events_parser(commands) -> None:
    events = commands.add_parser("events", help="the event backbone: outbox lag, queues, dead letters, traces, "
                                                "docs/events.md (no action: status)")
    events.set_defaults(func=cmd_events)
    actions = events.add_subparsers(dest="events_action", metavar="action")
    actions.add_parser("status", help="per service: outbox backlog, queue depths, dead letters, subscriptions")
    dead = actions.add_parser("dead-letters", help="list the dead letters of some or all services")
    dead.add_argument("services", nargs="*")
    replay = actions.add_parser("replay", help="send a service's dead letters back to its own queue")
    replay.add_argument("service")
    replay.add_argument("--event", metavar="EVENT_ID", help="only this event")
    trace = actions.add_parser("trace", help="who published one event, who applied it")
    trace.add_argument("event_id")
    docs = actions.add_parser("docs", help="write docs/events.md from the catalogue and the subscriptions")
    docs.add_argument("--check", action="store_true", help="write nothing; exit 1 when the file is stale")


def cmd_bench(args) -> int:
    import importlib

    sys.path.insert(0, str(REPO_ROOT / "bench"))
    return importlib.import_module(args.module).main(args.extra) or 0


def _add_bench_parser(commands) -> None:
    # One subparser per bench; everything after its name goes to the bench's own parser (main(argv)).
    bench = commands.add_parser("bench", help="benchmarks against their floors, with targets (docs/performance.md)")
    benches = bench.add_subparsers(dest="bench", required=True)
    benches.add_parser("events", help="CPU per event against a kombu floor; latency, loss, faults (issue 25)",
                       add_help=False).set_defaults(func=cmd_bench, module="events_cost")
    benches.add_parser("chat", help="CPU per chat message against a bare Channels floor; latency, loss (issue 25)",
                       add_help=False).set_defaults(func=cmd_bench, module="chat_cost")
    benches.add_parser("http", help="CPU per request of the hot HTTP paths against a plain DRF floor (issue 24)",
                       add_help=False).set_defaults(func=cmd_bench, module="http_paths")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="manage_all.py", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="migrate, then run the whole platform in the foreground")
    up.add_argument("--no-migrate", action="store_true")
    up.add_argument("--json", action="store_true",
                    help="print the processes' JSON log lines as they are (var/log/platform.log always has them)")
    up.set_defaults(func=cmd_up)
    commands.add_parser("migrate", help="create the databases and apply every service's migrations"
                        ).set_defaults(func=cmd_migrate)
    make = commands.add_parser("makemigrations", help="makemigrations for some or all services")
    make.add_argument("services", nargs="*")
    make.set_defaults(func=cmd_makemigrations, extra=[])
    commands.add_parser("check", help="Django checks, missing migrations and the nginx config"
                        ).set_defaults(func=cmd_check)
    test = commands.add_parser("test", help="run tests: all, or some of libs, gateway, <service>, e2e")
    test.add_argument("targets", nargs="*")
    test.add_argument("--pytest-args", default="", help="extra arguments for pytest, quoted")
    test.set_defaults(func=cmd_test)
    commands.add_parser("seed", help="demo users, sellers, gigs, orders, reviews").set_defaults(func=cmd_seed)
    superuser = commands.add_parser("createsuperuser", help="a staff account (signs in to every admin)")
    superuser.add_argument("extra", nargs=argparse.REMAINDER)
    superuser.set_defaults(func=cmd_createsuperuser)
    commands.add_parser("status", help="every service's readiness, outbox lag, queue depth and dead letters"
                        ).set_defaults(func=cmd_status)
    logs = commands.add_parser("logs", help="the running platform's merged log (var/log/platform.log), readable")
    logs.add_argument("service", nargs="?", help="only this service's processes (or nginx, gateway)")
    logs.add_argument("--request-id", metavar="ID",
                      help="only the lines of this request: gateway, services and the events it caused")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing lines as they are written")
    logs.add_argument("--json", action="store_true", help="print the matching lines as their JSON")
    logs.add_argument("--file", metavar="PATH",
                      help="another log file of the same form (e.g. var/e2e/log/platform.log)")
    logs.set_defaults(func=cmd_logs)
    shell = commands.add_parser("shell", help="a Django shell in one service")
    shell.add_argument("service")
    shell.add_argument("extra", nargs=argparse.REMAINDER, help="Django's shell options, e.g. -c 'print(1)'")
    shell.set_defaults(func=cmd_shell)
    run = commands.add_parser("run", help="run a manage.py command in one service")
    run.add_argument("service")
    run.add_argument("extra", nargs=argparse.REMAINDER)
    run.set_defaults(func=cmd_run)
    _add_events_parser(commands)
    _add_bench_parser(commands)
    return parser


# Commands whose further arguments are manage.py's, and how many arguments of their own come first.
PASSED_ON = {"createsuperuser": 0, "shell": 1, "run": 1, "bench": 1}
# Commands with environments of their own: `up` names the platform, `test` runs on the test servers,
# a bench on private ports, databases and vhosts.
OWN_ENVIRONMENT = frozenset({"up", "test", "bench"})


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command in PASSED_ON:
        # Everything after the command's own arguments goes to manage.py as it is (argparse's REMAINDER
        # would refuse `createsuperuser --noinput`).
        own = 1 + PASSED_ON[command]
        args = build_parser().parse_args(argv[:own])
        args.extra = argv[own:]
    else:
        args = build_parser().parse_args(argv)
    if args.command not in OWN_ENVIRONMENT:
        from . import platform_record

        env, which = platform_record.adopt(dict(os.environ))
        os.environ.update(env)
        print(which, file=sys.stderr, flush=True)
    return args.func(args) or 0
