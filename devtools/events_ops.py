"""`manage_all.py events`: the event machinery of every service, asked of the services themselves.

Each service answers for itself (`manage.py events_report` / `events_replay`, as JSON), with its
own settings and database, as the rules of the house require; this module asks them all at once
and prints the answers together. Exit codes: 0 when every service answered (and, for `trace` and
`replay --event`, the event was found), 1 otherwise, 2 for a malformed event id.
"""

from __future__ import annotations

import difflib
import json
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from marketplace_libs.topology import REPO_ROOT, ServiceSpec, present_services

COMMAND_TIMEOUT_SECONDS = 120
# operations.list_dead_letters() lists at most this many per service.
DEAD_LETTER_LISTING_LIMIT = 100
DIFF_LINES_SHOWN = 60


@dataclass(frozen=True)
class Answer:
    service: str
    report: dict | None  # None when the service could not answer
    error: str = ""


# --- asking the services ---------------------------------------------------------------------

def ask(specs: list[ServiceSpec], command: list[str], env: dict, *, expect: str = "service") -> list[Answer]:
    """Run ``manage.py <command>`` in every service at once; answers in the order of ``specs``."""
    if not specs:
        return []
    with ThreadPoolExecutor(max_workers=len(specs)) as pool:
        return list(pool.map(lambda spec: ask_one(spec, command, env, expect=expect), specs))


def ask_one(spec: ServiceSpec, command: list[str], env: dict, *, expect: str = "service") -> Answer:
    try:
        result = subprocess.run([sys.executable, "manage.py", *command], cwd=spec.project_dir, env=env,
                                capture_output=True, text=True, timeout=COMMAND_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return Answer(spec.name, None, f"manage.py {command[0]} did not answer in {COMMAND_TIMEOUT_SECONDS}s")
    report = _report_in(result.stdout, expect)
    if result.returncode or report is None:
        return Answer(spec.name, None, _last_line(result.stderr) or f"manage.py {command[0]} exited "
                                                                    f"{result.returncode} without a report")
    return Answer(spec.name, report)


def _report_in(stdout: str, key: str) -> dict | None:
    # Log lines are JSON objects on stdout too (with a "service" of their own): the report is the
    # last object that has ``key`` and is not a log record.
    for line in reversed(stdout.splitlines()):
        try:
            candidate = json.loads(line)
        except ValueError:
            continue
        if isinstance(candidate, dict) and key in candidate and not _is_log_record(candidate):
            return candidate
    return None


def _is_log_record(candidate: dict) -> bool:
    # ECS log lines (logging_setup) have "@timestamp" and "log.level"; older ones "timestamp" and "level".
    return {"@timestamp", "log.level"} <= candidate.keys() or {"timestamp", "level"} <= candidate.keys()


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def resolve(names: list[str]) -> list[ServiceSpec]:
    """The named services (all present ones when none is named); unknown or absent names stop here."""
    present = {spec.name: spec for spec in present_services()}
    unknown = [name for name in names if name not in present]
    if unknown:
        raise SystemExit(f"no service {', '.join(unknown)} here; present: {', '.join(present) or 'none'}")
    return [present[name] for name in names] if names else list(present.values())


def _report_failures(answers: list[Answer]) -> bool:
    failed = [answer for answer in answers if answer.report is None]
    for answer in failed:
        print(f"{answer.service}: no answer: {answer.error}")
    if failed:
        print("(a service whose database or tables are missing needs `manage_all.py migrate` first)")
    return bool(failed)


# --- status ----------------------------------------------------------------------------------

def status(env: dict) -> int:
    answers = ask(resolve([]), ["events_report"], env)
    print(f"{'service':<14}{'outbox backlog':<32}{'events queue':<14}{'dead letters':<14}subscribes to")
    for answer in answers:
        if answer.report is not None:
            print(_status_line(answer.report))
    unreachable = [answer for answer in answers if answer.report and "error" in answer.report.get("queues", {})]
    for answer in unreachable:
        print(f"{answer.service}: broker unreachable: {answer.report['queues']['error']}")
    _hint_at_dead_letters(answers)
    return 1 if _report_failures(answers) or unreachable else 0


def _status_line(report: dict) -> str:
    outbox, queues = report.get("outbox", {}), report.get("queues", {})
    backlog = f"{outbox.get('unpublished', '?')} unpublished"
    if outbox.get("unpublished"):
        backlog += f", oldest {_age(outbox.get('oldest_unpublished_age_s', 0))}"
    if "error" in queues:
        events_depth = dead_depth = "unreachable"
    else:
        events_depth, dead_depth = _depth(queues.get("events")), _depth(queues.get("dead_letters"))
    subscriptions = ", ".join(report.get("subscriptions", [])) or "nothing"
    return f"{report['service']:<14}{backlog:<32}{events_depth:<14}{dead_depth:<14}{subscriptions}"


def _depth(depth: int | None) -> str:
    return "no queue" if depth is None else str(depth)


def _age(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _hint_at_dead_letters(answers: list[Answer]) -> None:
    waiting = [answer.service for answer in answers
               if answer.report and (answer.report.get("queues", {}).get("dead_letters") or 0) > 0]
    if waiting:
        print(f"\ndead letters waiting: manage_all.py events dead-letters {' '.join(waiting)}")


# --- the platform at a glance (manage_all.py status) -------------------------------------------

def platform_status(env: dict) -> int:
    """Each service's readiness (its /readyz), outbox lag, queue depth and dead letters, in one table;
    then the gateway's health. 0 when every service is ready and answered, and the gateway is ok."""
    from marketplace_libs.topology import gateway_port

    specs = resolve([])
    with ThreadPoolExecutor(max_workers=len(specs) + 1) as pool:
        waiting = [pool.submit(_readiness, spec) for spec in specs]
        gateway = pool.submit(_gateway_health, gateway_port())
        answers = ask(specs, ["events_report"], env)
        readiness = [future.result() for future in waiting]
    print(f"{'service':<15}{'address':<24}{'state':<8}{'outbox lag':<26}{'queue':<11}{'dead letters':<14}checks")
    healthy = True
    for spec, (state, checks), answer in zip(specs, readiness, answers):
        healthy &= state == "ready" and answer.report is not None
        outbox, queue, dead = _event_columns(answer)
        print(f"{spec.name:<15}{spec.local_url.removeprefix('http://'):<24}{state:<8}{outbox:<26}{queue:<11}"
              f"{dead:<14}{checks}")
    state = gateway.result()
    healthy &= state == "ok"
    print(f"\ngateway http://127.0.0.1:{gateway_port()}: {state}")
    _report_failures(answers)
    _hint_at_dead_letters(answers)
    return 0 if healthy else 1


def _readiness(spec: ServiceSpec) -> tuple[str, str]:
    """(state, the checks that failed, or all of them when none did)."""
    import httpx

    try:
        body = httpx.get(f"{spec.local_url}/readyz", timeout=3).json()
    except (httpx.HTTPError, ValueError) as error:
        return "down", type(error).__name__
    checks = body.get("checks", {})
    failing = {name: value for name, value in checks.items() if value != "ok"}
    return body.get("status", "?"), ", ".join(f"{k}={v}" for k, v in (failing or checks).items())


def _gateway_health(port: int) -> str:
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json().get("status", "?")
    except (httpx.HTTPError, ValueError) as error:
        return f"down ({type(error).__name__})"


def _event_columns(answer: Answer) -> tuple[str, str, str]:
    """(outbox lag, events queue depth, dead letters) as the service reported them."""
    if answer.report is None:
        return "?", "?", "?"
    outbox, queues = answer.report.get("outbox", {}), answer.report.get("queues", {})
    unpublished = outbox.get("unpublished", "?")
    lag_column = f"{_age(outbox.get('oldest_unpublished_age_s', 0))} ({unpublished} waiting)" if unpublished else "0"
    if "error" in queues:
        return lag_column, "unreachable", "unreachable"
    return lag_column, _depth(queues.get("events")), _depth(queues.get("dead_letters"))


# --- dead letters ----------------------------------------------------------------------------

def dead_letters(env: dict, names: list[str]) -> int:
    answers = ask(resolve(names), ["events_report", "--dead-letters"], env)
    for answer in answers:
        if answer.report is not None:
            _print_dead_letters(answer.service, answer.report.get("dead_letters", []))
    return 1 if _report_failures(answers) else 0


def _print_dead_letters(service: str, letters: list[dict]) -> None:
    if not letters:
        print(f"{service}: no dead letters")
        return
    more = ""
    if len(letters) >= DEAD_LETTER_LISTING_LIMIT:
        more = f" (the first {DEAD_LETTER_LISTING_LIMIT}; `manage_all.py events` gives the depth)"
    print(f"{service}: {len(letters)} dead letter(s) in {service}.events.dlq{more}")
    for letter in letters:
        print(_dead_letter_line(letter))


def _dead_letter_line(letter: dict) -> str:
    envelope = _envelope_of(letter.get("envelope"))
    event_id = letter.get("event_id") or envelope.get("id") or "(no id)"
    event_type = letter.get("type") or envelope.get("type") or "(no type)"
    # attempts 0: invalid on arrival, never handled. No attempts and no error: RabbitMQ itself
    # dead-lettered it at the queue's delivery limit (a worker died on it), with no headers of ours.
    attempts = letter.get("attempts")
    error = letter.get("error") or "(no error recorded: RabbitMQ dead-lettered it after repeated deliveries)"
    return (f"  {event_id}  {event_type}  attempts {'?' if attempts is None else attempts}  "
            f"{letter.get('dead_lettered_at') or '(time unknown)'}\n      {error}")


def _envelope_of(body) -> dict:
    """The envelope in a dead letter: the body itself when the worker dead-lettered it, or inside
    the Celery task message ``[args, kwargs, embed]`` when RabbitMQ did."""
    if isinstance(body, list) and body and isinstance(body[0], list) and body[0] and isinstance(body[0][0], dict):
        return body[0][0]
    return body if isinstance(body, dict) else {}


# --- replay ----------------------------------------------------------------------------------

def replay(env: dict, name: str, event_id: str | None) -> int:
    if event_id and not _is_uuid(event_id):
        print(f"{event_id!r} is not an event id (a UUID)")
        return 2
    [spec] = resolve([name])
    refusal = _why_not_replay(spec, env)
    if refusal:
        print(refusal)
        return 1
    command = ["events_replay", *(["--event", event_id] if event_id else [])]
    answer = ask_one(spec, command, env, expect="replayed")
    if answer.report is None:
        print(f"{name}: replay failed: {answer.error}")
        return 1
    return _print_replayed(name, answer.report["replayed"], event_id)


def _why_not_replay(spec: ServiceSpec, env: dict) -> str:
    """A reason to refuse, or "". Replayed letters go to the default exchange, which drops a message
    for a queue that does not exist while the broker still confirms it: the letter would be lost."""
    answer = ask_one(spec, ["events_report"], env)
    if answer.report is None:
        return f"{spec.name}: no answer: {answer.error}"
    queues = answer.report.get("queues", {})
    if "error" in queues:
        return f"{spec.name}: broker unreachable: {queues['error']}"
    if queues.get("events") is None:
        return (f"{spec.name} has no {spec.name}.events queue (it subscribes to nothing, or its topology is "
                f"not declared yet: manage_all.py migrate); its dead letters stay where they are")
    return ""


def _print_replayed(name: str, replayed: list[str], event_id: str | None) -> int:
    if event_id and not replayed:
        print(f"{name}: no dead letter with id {event_id} in {name}.events.dlq")
        return 1
    if not replayed:
        print(f"{name}: no dead letters to replay")
        return 0
    print(f"{name}: replayed {len(replayed)} dead letter(s) to {name}.events:")
    for replayed_id in replayed:
        print(f"  {replayed_id}")
    return 0


# --- trace -----------------------------------------------------------------------------------

def trace(env: dict, event_id: str) -> int:
    if not _is_uuid(event_id):
        print(f"{event_id!r} is not an event id (a UUID)")
        return 2
    specs = resolve([])
    answers = ask(specs, ["events_report", "--trace", event_id], env)
    failed = _report_failures(answers)
    reports = [answer.report for answer in answers if answer.report is not None]
    published = [report for report in reports if "published" in report]
    applied = [report for report in reports if "applied" in report]
    if not published and not applied:
        among = "of the services that answered, none" if failed else "no service"
        print(f"{among} knows event {event_id}: it is in no outbox and no inbox "
              f"(outbox rows are deleted 7 days after they were sent)")
        return 1
    event_type = (published[0]["published"] if published else applied[0]["applied"])["type"]
    print(f"event {event_id} ({event_type})")
    for report in published:
        print(_published_line(report))
    if not published:
        print(f"  no present service has it in its outbox (producer per the consumers: "
              f"{', '.join(sorted({report['applied']['producer'] for report in applied}))})")
    for report in applied:
        print(f"  applied by {report['service']} at {report['applied']['handled_at']}")
    _print_pending_subscribers(specs, env, event_type, {report["service"] for report in applied})
    return 1 if failed else 0


def _published_line(report: dict) -> str:
    published = report["published"]
    if published["published_at"]:
        sent = f"sent {published['published_at']}"
    else:
        sent = f"NOT SENT yet ({published['attempts']} attempt(s)"
        sent += f", last error: {published['last_error']})" if published["last_error"] else ")"
    correlation = published["correlation_id"] or "(none)"
    return (f"  published by {report['service']}: occurred {published['occurred_at']}, {sent}, "
            f"correlation id {correlation}")


def _print_pending_subscribers(specs: list[ServiceSpec], env: dict, event_type: str, applied_by: set[str]) -> None:
    answers = ask(specs, ["events_info"], env, expect="subscriptions")
    pending = [answer.service for answer in answers
               if answer.report and event_type in answer.report["subscriptions"] and answer.service not in applied_by]
    if pending:
        print(f"  not applied (yet) by subscriber(s): {', '.join(pending)} "
              f"(see manage_all.py events dead-letters {' '.join(pending)})")


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


# --- docs/events.md --------------------------------------------------------------------------

def docs(env: dict, *, check: bool) -> int:
    from . import events_docs, processes

    expected = events_docs.render(processes.event_subscriptions(env))
    path = events_docs.DOC_PATH
    shown = path.relative_to(REPO_ROOT)
    if not check:
        path.write_text(expected)
        print(f"wrote {shown}")
        return 0
    current = path.read_text() if path.exists() else ""
    if current == expected:
        print(f"{shown} is up to date")
        return 0
    diff = list(difflib.unified_diff(current.splitlines(), expected.splitlines(), f"{shown} (in the tree)",
                                     f"{shown} (generated)", lineterm=""))
    print("\n".join(diff[:DIFF_LINES_SHOWN]))
    if len(diff) > DIFF_LINES_SHOWN:
        print(f"... {len(diff) - DIFF_LINES_SHOWN} more diff lines")
    print(f"{shown} is out of date: run `manage_all.py events docs` and commit the result")
    return 1


# --- dispatch --------------------------------------------------------------------------------

def run(action: str, args, env: dict) -> int:
    if action == "status":
        return status(env)
    if action == "dead-letters":
        return dead_letters(env, args.services)
    if action == "replay":
        return replay(env, args.service, args.event)
    if action == "trace":
        return trace(env, args.event_id)
    if action == "docs":
        return docs(env, check=args.check)
    raise SystemExit(f"unknown events action {action!r}")
