"""PostgreSQL's cost of a gig search that the kept results cannot answer (a *miss*), per search.

Replays the searches of ``manage_all.py bench http`` (bench/gig_search.py: SEARCH_QUERIES ×
PRICE_FILTERS, ordered by relevance) in-process through the gig service's own view, with the kept
results (catalog/search/memo.py) bypassed so that every search runs its statements, on a database
seeded by bench/gig_search.py (by default the one ``bench http`` seeds and reuses). The connection is
read-only: the database is only ever read.

Per search it reports the CPU of the PostgreSQL backend serving the connection (from /proc, as the
benches read it) and the sum of ``EXPLAIN (ANALYZE)`` execution times of the statements the search
ran; ``--dump`` writes every search's count, first page ids and facets to a file, so that two runs
(``--service-dir`` another copy of projects/gigs) can be compared answer for answer.

    .venv/bin/python bench/search_miss_cost.py                       # this checkout's code
    .venv/bin/python bench/search_miss_cost.py --service-dir /other/checkout/projects/gigs
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from gig_search import PRICE_FILTERS, SEARCH_QUERIES  # noqa: E402

from _cpu import TICKS, process_ticks  # noqa: E402


def setup(service_dir: Path, database_prefix: str, redis_url: str) -> None:
    os.environ.update(MARKETPLACE_DATABASE_URL=os.environ.get("MARKETPLACE_DATABASE_URL",
                                                              "postgres://postgres@127.0.0.1:5432"),
                      MARKETPLACE_DATABASE_PREFIX=database_prefix, MARKETPLACE_REDIS_URL=redis_url,
                      DJANGO_SETTINGS_MODULE="config.settings", MARKETPLACE_LOG_LEVEL="WARNING")
    sys.path.insert(0, str(service_dir))
    import django
    from django.conf import settings

    django.setup()
    settings.DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c default_transaction_read_only=on"
    settings.MARKETPLACE_ELASTICSEARCH_URL = ""
    from catalog.search import memo

    memo.get = lambda key: None  # every search a miss
    memo.put = lambda key, value: None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--service-dir", type=Path, default=ROOT / "projects" / "gigs")
    parser.add_argument("--database-prefix", default="bench_http_marketplace_")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the 300 searches for the CPU figure")
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--dump", type=Path, help="write each search's answer here (JSON)")
    args = parser.parse_args()
    setup(args.service_dir, args.database_prefix, args.redis_url)

    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    searches = [{"q": q, **prices, "ordering": "relevance"} for q in SEARCH_QUERIES for prices in PRICE_FILTERS]
    answers = {}
    for params in searches:  # warm: connection, caches, the buffer cache
        body = client.get("/api/gigs/", params).json()
        answers[urlencode(params)] = {"count": body["count"], "ids": [gig["id"] for gig in body["results"]],
                                      "facets": body["facets"]}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

    per_round = []
    for _ in range(args.rounds):
        began, wall = process_ticks(pid), time.perf_counter()
        for params in searches:
            client.get("/api/gigs/", params)
        per_round.append((1000 * (process_ticks(pid) - began) / TICKS / len(searches),
                          1000 * (time.perf_counter() - wall) / len(searches)))
    print(f"{args.service_dir}: {len(searches)} searches × {args.rounds}, every one a miss; "
          f"load average {os.getloadavg()[0]:.2f}")
    print("PostgreSQL backend CPU ms per search, each round: "
          + ", ".join(f"{cpu:.2f}" for cpu, _ in per_round)
          + f" (median {statistics.median(cpu for cpu, _ in per_round):.2f}); "
          + f"wall ms per search in-process {statistics.median(wall for _, wall in per_round):.1f}")

    if not args.no_explain:
        statements: list[tuple[str, tuple]] = []

        def capture(execute, sql, sql_params, many, context):
            statements.append((sql, tuple(sql_params or ())))
            return execute(sql, sql_params, many, context)

        totals, per_kind = [], {}
        for params in searches:
            statements.clear()
            with connection.execute_wrapper(capture):
                client.get("/api/gigs/", params)
            total = 0.0
            with connection.cursor() as cursor:
                for sql, sql_params in statements:
                    if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                        continue
                    cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", sql_params)
                    plan = cursor.fetchone()[0][0]
                    ms = plan["Execution Time"] + plan["Planning Time"]
                    total += ms
                    kind = ("summary and first ids" if sql.startswith("WITH matching") else "summary" if "COUNT(" in sql
                            else "page ids" if "ts_rank(" in sql or "similarity" in sql else "other")
                    per_kind.setdefault(kind, []).append(ms)
            totals.append(total)
        print(f"EXPLAIN ANALYZE (planning + execution) ms per search: mean {statistics.mean(totals):.2f}, "
              f"median {statistics.median(totals):.2f}, max {max(totals):.2f}")
        for kind, values in per_kind.items():
            print(f"   {kind}: {len(values) / len(searches):.1f} statements per search, "
                  f"{sum(values) / len(searches):.2f} ms per search")
    if args.dump:
        args.dump.write_text(json.dumps(answers, indent=1, sort_keys=True))
        print(f"answers written to {args.dump}")


if __name__ == "__main__":
    main()
