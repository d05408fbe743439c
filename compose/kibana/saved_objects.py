"""Writes saved-objects.ndjson: the Kibana data view, visualizations and dashboard of the platform's
logs, which the kibana-setup service imports (import.sh). Kibana stores several attributes as JSON
inside JSON; this script keeps them readable here and writes them correctly there.

    python3 compose/kibana/saved_objects.py            # rewrite saved-objects.ndjson
    python3 compose/kibana/saved_objects.py --check    # exit 1 when the file is stale (tests/deploy)

The fields are ECS names, as compose/filebeat/filebeat.yml ships them: service.name, log.level,
http.response.status_code, marketplace.duration_ms, event.action (event_published, event_handled,
event_dead_lettered), trace.id (the request id).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TARGET = Path(__file__).with_name("saved-objects.ndjson")
DATA_VIEW = "marketplace-logs"
CORE_VERSION = "8.8.0"
# Access lines: one per HTTP request, of nginx (the whole request, as the client saw it) and of
# each Django process behind it.
ACCESS = 'event.dataset : ("marketplace.access" or "nginx.access")'


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _search_source(query: str) -> str:
    return _json({"query": {"query": query, "language": "kuery"}, "filter": [],
                  "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"})


def _data_view_reference() -> list[dict]:
    return [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern", "id": DATA_VIEW}]


# --- aggregations ------------------------------------------------------------------------------------

def count(agg_id="1"):
    return {"id": agg_id, "enabled": True, "type": "count", "params": {}, "schema": "metric"}


def p95(field, agg_id="1"):
    return {"id": agg_id, "enabled": True, "type": "percentiles", "schema": "metric",
            "params": {"field": field, "percents": [95]}}


def over_time(agg_id="2"):
    return {"id": agg_id, "enabled": True, "type": "date_histogram", "schema": "segment",
            "params": {"field": "@timestamp", "useNormalizedEsInterval": True, "scaleMetricValues": False,
                       "interval": "auto", "drop_partials": False, "min_doc_count": 1, "extended_bounds": {}}}


def terms(field, agg_id, schema, *, size=10, order_by="1"):
    return {"id": agg_id, "enabled": True, "type": "terms", "schema": schema,
            "params": {"field": field, "orderBy": order_by, "order": "desc", "size": size,
                       "otherBucket": False, "otherBucketLabel": "Other",
                       "missingBucket": False, "missingBucketLabel": "Missing"}}


# --- visualizations ----------------------------------------------------------------------------------

def xy_params(chart: str, axis_title: str, *, stacked: bool) -> dict:
    return {
        "type": chart,
        "grid": {"categoryLines": False},
        "categoryAxes": [{"id": "CategoryAxis-1", "type": "category", "position": "bottom", "show": True,
                          "scale": {"type": "linear"}, "labels": {"show": True, "filter": True, "truncate": 100},
                          "title": {}}],
        "valueAxes": [{"id": "ValueAxis-1", "name": "LeftAxis-1", "type": "value", "position": "left",
                       "show": True, "scale": {"type": "linear", "mode": "normal"},
                       "labels": {"show": True, "rotate": 0, "filter": False, "truncate": 100},
                       "title": {"text": axis_title}}],
        "seriesParams": [{"show": True, "type": chart, "mode": "stacked" if stacked else "normal",
                          "data": {"label": axis_title, "id": "1"}, "valueAxis": "ValueAxis-1",
                          "drawLinesBetweenPoints": True, "lineWidth": 2, "interpolate": "linear",
                          "showCircles": True}],
        "addTooltip": True, "detailedTooltip": True, "addLegend": True, "legendPosition": "right",
        "times": [], "addTimeMarker": False, "labels": {},
        "thresholdLine": {"show": False, "value": 10, "width": 1, "style": "full", "color": "#E7664C"},
        "palette": {"type": "palette", "name": "default"}, "fittingFunction": "linear", "radiusRatio": 9,
    }


TABLE_PARAMS = {"perPage": 20, "showPartialRows": False, "showMetricsAtAllLevels": False, "showTotal": True,
                "totalFunc": "sum", "percentageCol": "", "autoFitRowToContent": False}


def visualization(vis_id: str, title: str, vis_type: str, params: dict, aggs: list, query: str,
                  description: str) -> dict:
    return {
        "id": vis_id,
        "type": "visualization",
        "coreMigrationVersion": CORE_VERSION,
        "typeMigrationVersion": "8.5.0",
        "attributes": {
            "title": title,
            "description": description,
            "visState": _json({"title": title, "type": vis_type, "params": params, "aggs": aggs}),
            "uiStateJSON": "{}",
            "version": 1,
            "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source(query)},
        },
        "references": _data_view_reference(),
    }


VISUALIZATIONS = [
    visualization(
        "marketplace-requests-by-service-status", "Requests per service and status", "table", TABLE_PARAMS,
        [count(), terms("service.name", "2", "bucket", size=20), terms("http.response.status_code", "3", "bucket", size=20)],
        ACCESS, "Access-log lines (nginx, the gateway app, every service) per service and HTTP status."),
    visualization(
        "marketplace-requests-over-time", "Requests over time, by status", "histogram",
        xy_params("histogram", "requests", stacked=True),
        [count(), over_time(), terms("http.response.status_code", "3", "group", size=20)],
        ACCESS, "Every access-log line, stacked by HTTP status."),
    visualization(
        "marketplace-latency-p95", "p95 latency per service (ms)", "line",
        xy_params("line", "p95 latency (ms)", stacked=False),
        [p95("marketplace.duration_ms"), over_time(), terms("service.name", "3", "group", size=20, order_by="_key")],
        ACCESS, "95th percentile of the request duration each process logged, in milliseconds."),
    visualization(
        "marketplace-errors", "Errors per service", "histogram",
        xy_params("histogram", "errors", stacked=True),
        [count(), over_time(), terms("service.name", "3", "group", size=20)],
        'log.level : ("error" or "critical") or http.response.status_code >= 500',
        "Log lines at error level and responses with a 5xx status."),
    visualization(
        "marketplace-events", "Events published and handled", "histogram",
        xy_params("histogram", "events", stacked=True),
        [count(), over_time(), terms("event.action", "3", "group", size=10)],
        'event.action : ("event_published" or "event_handled" or "event_retry")',
        "The event backbone: events published by the relays, handled (and retried) by the consumers."),
    visualization(
        "marketplace-dead-letters", "Dead letters", "table", TABLE_PARAMS,
        [count(), terms("service.name", "2", "bucket", size=20), terms("marketplace.event_type", "3", "bucket", size=50)],
        'event.action : "event_dead_lettered"',
        "Events a consumer gave up on, per consuming service and event type (manage_all.py events dead-letters)."),
]

SAVED_SEARCH = {
    "id": "marketplace-log-lines",
    "type": "search",
    "coreMigrationVersion": CORE_VERSION,
    "typeMigrationVersion": "8.0.0",
    "attributes": {
        "title": "Marketplace log lines",
        "description": "Every log line; filter on trace.id (the request id) to follow one request "
                       "through nginx, the gateway, the services and the events it caused.",
        "columns": ["service.name", "log.level", "message", "trace.id", "marketplace.correlation_id", "user.id"],
        "sort": [["@timestamp", "desc"]],
        "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source("")},
    },
    "references": _data_view_reference(),
}

DATA_VIEW_OBJECT = {
    "id": DATA_VIEW,
    "type": "index-pattern",
    "coreMigrationVersion": CORE_VERSION,
    "typeMigrationVersion": "8.0.0",
    "attributes": {
        "title": "marketplace-logs*",
        "name": "Marketplace logs",
        "timeFieldName": "@timestamp",
        "fieldFormatMap": _json({"event.duration": {"id": "duration", "params": {
            "inputFormat": "nanoseconds", "outputFormat": "asMilliseconds", "outputPrecision": 1}}}),
    },
    "references": [],
}


def dashboard() -> dict:
    layout = [  # (panel, x, y, w, h)
        ("marketplace-requests-over-time", 0, 0, 24, 14),
        ("marketplace-latency-p95", 24, 0, 24, 14),
        ("marketplace-requests-by-service-status", 0, 14, 24, 16),
        ("marketplace-errors", 24, 14, 24, 16),
        ("marketplace-events", 0, 30, 24, 15),
        ("marketplace-dead-letters", 24, 30, 24, 15),
        ("marketplace-log-lines", 0, 45, 48, 20),
    ]
    panels, references = [], []
    for index, (object_id, x, y, w, h) in enumerate(layout, start=1):
        kind = "search" if object_id == SAVED_SEARCH["id"] else "visualization"
        panels.append({"version": CORE_VERSION, "type": kind, "panelIndex": str(index),
                       "gridData": {"x": x, "y": y, "w": w, "h": h, "i": str(index)},
                       "embeddableConfig": {"enhancements": {}}, "panelRefName": f"panel_{index}"})
        references.append({"name": f"panel_{index}", "type": kind, "id": object_id})
    return {
        "id": "marketplace-overview",
        "type": "dashboard",
        "coreMigrationVersion": CORE_VERSION,
        "typeMigrationVersion": "8.9.0",
        "attributes": {
            "title": "Marketplace overview",
            "description": "Requests per service and status, p95 latency, errors, events published and "
                           "handled, dead letters; and every log line (filter on trace.id).",
            "panelsJSON": _json(panels),
            "optionsJSON": _json({"useMargins": True, "syncColors": False, "syncCursor": True,
                                  "syncTooltips": False, "hidePanelTitles": False}),
            "timeRestore": True,
            "timeFrom": "now-24h",
            "timeTo": "now",
            "refreshInterval": {"pause": False, "value": 30000},
            "version": 1,
            "kibanaSavedObjectMeta": {"searchSourceJSON": _json({"query": {"query": "", "language": "kuery"},
                                                                 "filter": []})},
        },
        "references": references,
    }


def objects() -> list[dict]:
    return [DATA_VIEW_OBJECT, *VISUALIZATIONS, SAVED_SEARCH, dashboard()]


def ndjson() -> str:
    return "".join(json.dumps(item, sort_keys=True) + "\n" for item in objects())


def main(argv: list[str]) -> int:
    text = ndjson()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET} is stale: run python3 {Path(__file__).as_posix()}")
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
