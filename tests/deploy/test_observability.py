"""Logs (Filebeat, Elasticsearch, Kibana) and metrics (Prometheus) of the compose stack."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import COMPOSE_DIR

ES = COMPOSE_DIR / "elasticsearch"
KIBANA = COMPOSE_DIR / "kibana"
FILEBEAT = yaml.safe_load((COMPOSE_DIR / "filebeat" / "filebeat.yml").read_text())
ALERTS = yaml.safe_load((COMPOSE_DIR / "prometheus" / "alerts.yml").read_text())
TEMPLATE = json.loads((ES / "index-template.json").read_text())
# The metric names of the platform: django-prometheus's defaults, and the event backbone's own.
KNOWN_METRICS = {
    "up",
    "django_http_requests_total_by_view_transport_method", "django_http_responses_total_by_status_total",
    "django_http_requests_latency_seconds_by_view_method_bucket",
    "marketplace_events_published_total", "marketplace_events_handled_total",
    "marketplace_events_dead_lettered_total", "marketplace_outbox_lag_seconds",
    "marketplace_events_handler_seconds_bucket",
}
PROMQL_WORDS = {"sum", "by", "rate", "increase", "max", "histogram_quantile", "unless", "on", "and", "or",
                "without", "le", "job", "status", "service", "outcome", "bool", "role", "process"}


# --- Elasticsearch ------------------------------------------------------------------------------------

def test_filebeat_writes_where_the_template_applies():
    index = FILEBEAT["output.elasticsearch"]["index"]
    assert any(re.fullmatch(pattern.replace("*", ".*"), index) for pattern in TEMPLATE["index_patterns"])
    assert "data_stream" in TEMPLATE
    assert FILEBEAT["setup.template.enabled"] is False and FILEBEAT["setup.ilm.enabled"] is False


def test_the_template_uses_the_ilm_policy():
    policy = json.loads((ES / "ilm-policy.json").read_text())
    assert TEMPLATE["template"]["settings"]["index.lifecycle.name"] == "marketplace-logs"
    phases = policy["policy"]["phases"]
    assert phases["hot"]["actions"]["rollover"] and phases["delete"]["actions"] == {"delete": {}}
    setup = (ES / "setup.sh").read_text()
    assert "/_ilm/policy/marketplace-logs " in setup and "/_index_template/marketplace-logs " in setup
    for name in re.findall(r"@\$HERE/([\w.-]+)", setup):
        assert (ES / name).exists(), name


def test_filebeat_user_may_write_the_logs():
    role = json.loads((ES / "filebeat-role.json").read_text())
    assert {"create_doc", "auto_configure"} <= set(role["indices"][0]["privileges"])
    assert FILEBEAT["output.elasticsearch"]["username"] == "marketplace_filebeat"
    assert "/_security/user/marketplace_filebeat" in (ES / "setup.sh").read_text()


def test_the_gig_search_user_reaches_the_gig_index():
    from marketplace_libs.topology import database_name

    role = json.loads((ES / "search-role.json").read_text())
    index = database_name("gigs")
    assert any(re.fullmatch(pattern.replace("*", ".*"), index) for pattern in role["indices"][0]["names"])
    assert not any(re.fullmatch(pattern.replace("*", ".*"), "marketplace-logs-x")
                   for pattern in role["indices"][0]["names"]), "the search user must not touch the logs"


def test_filebeat_ships_every_container_of_the_project(compose):
    inputs = FILEBEAT["filebeat.inputs"]
    assert inputs[0]["paths"] == ["/var/lib/docker/containers/*/*.log"]
    project = next(p["drop_event"] for p in FILEBEAT["processors"] if "drop_event" in p)
    assert project["when"]["not"]["equals"]["container.labels.com_docker_compose_project"] == compose["name"]
    mounts = compose["services"]["filebeat"]["volumes"]
    assert "/var/lib/docker/containers:/var/lib/docker/containers:ro" in mounts
    for name, spec in compose["services"].items():
        assert spec["logging"]["driver"] == "json-file", f"{name}: Filebeat reads json-file logs"


def _script() -> str:
    return next(p["script"]["source"] for p in FILEBEAT["processors"] if "script" in p)


HARNESS = """
function Event(fields) { this.fields = fields; }
Event.prototype._walk = function (key, create) {
  if (Object.prototype.hasOwnProperty.call(this.fields, key)) { return [this.fields, key]; }
  var parts = key.split("."), node = this.fields;
  for (var i = 0; i < parts.length - 1; i++) {
    if (node[parts[i]] === undefined || node[parts[i]] === null || typeof node[parts[i]] !== "object") {
      if (!create) { return null; }
      node[parts[i]] = {};
    }
    node = node[parts[i]];
  }
  return [node, parts[parts.length - 1]];
};
Event.prototype.Get = function (key) {
  var at = this._walk(key, false);
  if (at === null || at[0][at[1]] === undefined) { return null; }
  return at[0][at[1]];
};
Event.prototype.Put = function (key, value) { var at = this._walk(key, true); at[0][at[1]] = value; };
Event.prototype.Delete = function (key) { var at = this._walk(key, false); if (at) { delete at[0][at[1]]; } };
var lines = JSON.parse(require("fs").readFileSync(0, "utf8"));
var out = [];
for (var i = 0; i < lines.length; i++) { var e = new Event(lines[i]); process(e); out.push(e.fields); }
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed (Filebeat's script is JavaScript)")
def test_log_lines_become_ecs():
    lines = [
        # an access line with plain keys
        {"timestamp": "2026-01-02T03:04:05.123456Z", "level": "info", "logger": "marketplace.access",
         "message": "request", "service": "orders", "request_id": "r-1", "user_id": "u-1", "method": "POST",
         "path": "/api/orders/", "status": 201, "duration_ms": 12.5},
        # nginx's json_access line: ECS already, dotted keys (Filebeat's expand_keys nests them)
        {"@timestamp": "2026-01-02T03:04:05+00:00", "log": {"level": "info", "logger": "nginx.access"},
         "message": "request", "service": {"name": "nginx"}, "event": {"dataset": "nginx.access", "duration": 4000000},
         "trace": {"id": "r-1"}, "http": {"request": {"method": "GET"}, "response": {"status_code": 200}},
         "marketplace": {"duration_ms": 4}, "client": {"ip": "10.0.0.1"}},
        {"message": "event_handled", "service": "users", "outcome": "applied", "correlation_id": "r-1",
         "duration_ms": 3.0, "level": "info"},
        {"message": "event_dead_lettered", "service": "gigs", "level": "error", "event_type": "order.completed"},
        # already ECS: unchanged
        {"message": "request", "service": {"name": "auth"}, "http": {"response": {"status_code": 200}}},
        # a server's own line
        {"message": "LOG:  checkpoint complete", "container": {"labels": {"com_docker_compose_service": "postgres"}}},
    ]
    result = subprocess.run(["node", "-e", _script() + HARNESS], input=json.dumps(lines),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    access, proxy, handled, dead, ecs, server = json.loads(result.stdout)
    assert access["service"] == {"name": "orders"}
    assert access["trace"] == {"id": "r-1"} and access["user"] == {"id": "u-1"}
    assert access["http"]["request"]["method"] == "POST" and access["http"]["response"]["status_code"] == 201
    assert access["url"] == {"path": "/api/orders/"} and access["log"]["level"] == "info"
    assert access["marketplace"]["duration_ms"] == 12.5 and access["event"]["duration"] == 12_500_000
    assert access["event"]["dataset"] == "marketplace.access"
    assert proxy["service"] == {"name": "nginx"} and proxy["event"] == {"dataset": "nginx.access", "duration": 4000000}
    assert proxy["marketplace"] == {"duration_ms": 4} and proxy["trace"] == {"id": "r-1"}
    assert handled["event"]["action"] == "event_handled"
    assert handled["marketplace"]["event_outcome"] == "applied" and handled["marketplace"]["correlation_id"] == "r-1"
    assert dead["event"]["action"] == "event_dead_lettered" and dead["marketplace"]["event_type"] == "order.completed"
    assert ecs["service"] == {"name": "auth"} and ecs["http"]["response"]["status_code"] == 200
    assert server["service"] == {"name": "postgres"} and "event" not in server


# --- Kibana ----------------------------------------------------------------------------------------------

def _saved_objects() -> list[dict]:
    return [json.loads(line) for line in (KIBANA / "saved-objects.ndjson").read_text().splitlines() if line]


def test_saved_objects_file_is_current():
    result = subprocess.run([sys.executable, str(KIBANA / "saved_objects.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_saved_objects_references_resolve():
    objects = _saved_objects()
    ids = {(item["type"], item["id"]) for item in objects}
    for item in objects:
        for reference in item.get("references", []):
            assert (reference["type"], reference["id"]) in ids, (item["id"], reference)
        for key in ("visState", "panelsJSON", "optionsJSON", "fieldFormatMap"):
            if key in item["attributes"]:
                json.loads(item["attributes"][key])
        if "kibanaSavedObjectMeta" in item["attributes"]:
            json.loads(item["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])


def test_the_dashboard_shows_what_operators_need():
    objects = {item["id"]: item for item in _saved_objects()}
    dashboard = objects["marketplace-overview"]
    panels = {reference["id"] for reference in dashboard["references"]}
    titles = " | ".join(objects[panel]["attributes"]["title"].lower() for panel in panels)
    for needed in ("requests per service and status", "p95 latency", "errors", "events published and handled",
                   "dead letters"):
        assert needed in titles, needed
    data_view = objects["marketplace-logs"]
    assert data_view["type"] == "index-pattern"
    assert re.fullmatch(data_view["attributes"]["title"].replace("*", ".*"), FILEBEAT["output.elasticsearch"]["index"])


def test_visualized_fields_are_mapped():
    def mapped(field):
        node = TEMPLATE["template"]["mappings"]["properties"]
        parts = field.split(".")
        for part in parts[:-1]:
            node = node.get(part, {}).get("properties", {})
        return parts[-1] in node

    for item in _saved_objects():
        if item["type"] != "visualization":
            continue
        for agg in json.loads(item["attributes"]["visState"])["aggs"]:
            field = agg["params"].get("field")
            if field:
                assert mapped(field), (item["id"], field)


def test_import_script_posts_the_file():
    script = (KIBANA / "import.sh").read_text()
    assert "saved-objects.ndjson" in script and "_import?overwrite=true" in script and "kbn-xsrf" in script


# --- Prometheus ---------------------------------------------------------------------------------------------

def _rules() -> dict[str, dict]:
    return {rule["alert"]: rule for group in ALERTS["groups"] for rule in group["rules"]}


def test_alerts_cover_what_operators_need():
    rules = _rules()
    expressions = " ".join(rule["expr"] for rule in rules.values())
    assert "status=~\"5..\"" in expressions, "error rate"
    assert "histogram_quantile(0.95" in expressions and "django_http_requests_latency" in expressions, "p95 latency"
    assert "marketplace_outbox_lag_seconds" in expressions, "outbox lag"
    assert "marketplace_events_dead_lettered_total" in expressions, "dead letters"
    assert "up{" in expressions, "a service down"


def test_alert_rules_are_well_formed():
    for name, rule in _rules().items():
        assert re.fullmatch(r"Marketplace[A-Za-z0-9]+", name)
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert re.fullmatch(r"\d+[smh]", rule["for"])
        expr = rule["expr"]
        assert expr.count("(") == expr.count(")") and expr.count("{") == expr.count("}"), name
        words = set(re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*", re.sub(r'"[^"]*"|\[[^\]]*\]', "", expr)))
        unknown = words - PROMQL_WORDS - KNOWN_METRICS
        assert not unknown, f"{name}: unknown metric or word {sorted(unknown)}"


def test_prometheus_loads_the_rules():
    config = yaml.safe_load((COMPOSE_DIR / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    mount = "./prometheus:/etc/prometheus:ro"
    compose = yaml.safe_load((COMPOSE_DIR / "docker-compose.yml").read_text())
    assert mount in compose["services"]["prometheus"]["volumes"]
