"""`manage_all.py bench http` and its floor (bench/floor_http), without running a benchmark: the command
parses, and the floor renders the same fields as the services on each path, so the bench compares like
with like."""

import json
import os
import subprocess
import sys

from conftest import REPO, manage_all
from test_commands import _shell

sys.path.insert(0, str(REPO / "bench"))

FIELDS = """
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("check")
shapes = {}
for name, path in json.loads(sys.argv[1]).items():
    module, _, attribute = path.rpartition(".")
    serializer = getattr(__import__(module, fromlist=[attribute]), attribute)
    shapes[name] = sorted(serializer().fields)
print(json.dumps(shapes))
"""

SERVICE = {
    "gigs": {"gig": "catalog.serializers.GigOutput", "summary": "catalog.serializers.GigSummaryOutput",
             "package": "catalog.serializers.PackageOutput", "seller": "catalog.serializers.SellerOutput",
             "image": "catalog.serializers.ImageOutput"},
    "auth": {"me": "accounts.serializers.MeOutput"},
    "orders": {"order": "orders.serializers.OrderSummaryOutput"},
}
FLOOR = {"gig": "floor.serializers.GigSerializer", "summary": "floor.serializers.GigSummarySerializer",
         "package": "floor.serializers.PackageSerializer", "seller": "floor.serializers.SellerSerializer",
         "image": "floor.serializers.ImageSerializer", "me": "floor.serializers.MeSerializer",
         "order": "floor.serializers.OrderSerializer"}


def _fields(cwd, serializers: dict, env: dict) -> dict:
    ran = subprocess.run([sys.executable, "-c", FIELDS, json.dumps(serializers)], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr[-3000:]
    return json.loads(ran.stdout.strip().splitlines()[-1])


def test_bench_http_is_a_command_with_its_options():
    shown = manage_all("bench", "http", "--help", env=_shell())
    assert shown.returncode == 0, shown.stderr
    for option in ("--quick", "--gigs", "--only", "N of M paths within target"):
        assert option in shown.stdout, option


def test_bench_names_its_benchmarks_when_none_is_given():
    shown = manage_all("bench", env=_shell())
    assert shown.returncode == 2 and "http" in shown.stderr


def test_the_floor_passes_django_checks_and_renders_the_services_fields():
    libs = str(REPO / "libs")
    service_fields = {}
    for service, serializers in SERVICE.items():
        env = {**_shell(), "PYTHONPATH": libs, "DJANGO_SETTINGS_MODULE": "config.settings",
               "MARKETPLACE_VAR_DIR": os.environ.get("TMPDIR", "/tmp") + "/bench-http-fields"}
        service_fields.update(_fields(REPO / "projects" / service, serializers, env))
    url = "postgres://postgres@127.0.0.1:5432/not_connected_to"
    floor_env = {**_shell(), "DJANGO_SETTINGS_MODULE": "floor.settings", "FLOOR_GIGS_DATABASE": url,
                 "FLOOR_AUTH_DATABASE": url, "FLOOR_ORDERS_DATABASE": url}
    floor_fields = _fields(REPO / "bench" / "floor_http", FLOOR, floor_env)
    # The service shows seller_earnings to the order's seller only, as the floor does.
    assert floor_fields == service_fields


def _run(latencies: list[float], *, cpu: dict | None = None) -> "http_paths.Run":
    import http_paths

    return http_paths.Run(requests=len(latencies), seconds=1.0, latencies=latencies, cpu=cpu or {})


def test_the_report_holds_the_service_to_its_tail_and_shows_the_floors_beside_it():
    import http_paths

    path = http_paths.Path_("GET /api/gigs/<id>/", "gigs", False, make=None)
    result = http_paths.Result(
        path, floor=_run([5.0] * 10, cpu={"floor": 0.05, "postgres": 0.01}),
        service=_run([5.0] * 10, cpu={"service": 0.06, "postgres": 0.01}), rate=5.0,
        paced=_run([10.0] * 97 + [40.0] * 3), single=_run([10.0] * 5),
        floor_paced=_run([10.0] * 97 + [120.0] * 3), floor_single=_run([10.0] * 5))
    row = http_paths.table([result]).splitlines()[-1]
    # The floor's tail (12 ×) is shown, the service's (4 ×) is what the target reads.
    assert "| 12.0 · 4.0 |" in row and row.endswith("| yes |")
    result.paced = _run([10.0] * 97 + [60.0] * 3)
    assert not result.checks()["paced p99 ≤ 5× single p50"]
    assert "no: paced p99 ≤ 5× single p50" in http_paths.table([result])
