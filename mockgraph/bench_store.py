"""Benchmark: list with ``$filter`` and ``$orderby`` as the stored collection grows.

``python -m mockgraph.bench_store [--sizes 1000,10000,100000] [--repeat 30]`` fills a file store
(as `serve` uses) with deterministic events, then times whole list requests through the app
(validation, OData parsing, SQL, JSON) for the list page's documented queries, and prints one
row per size and query: the median and 95th percentile in milliseconds, the events on the page
and the matches, and the index SQLite chose. A benchmark, not a test: nothing here asserts a
time. ``run_benchmark`` returns the rows for callers such as ``make bench``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from mockgraph.app import create_app
from mockgraph.odata import Columns, parse_filter, parse_orderby

EVENTS = "/beta/privilegedOperationEvents"
REQUEST_TYPES = (
    "Assign",
    "Activate",
    "Unassign",
    "Deactivate",
    "ScanAlertsNow",
    "DismissAlert",
    "FixAlertItem",
    "AccessReview_Review",
    "AccessReview_Create",
    "AccessReview_Update",
    "AccessReview_Delete",
)
# The list page's two documented queries, the first as a page of 100, the second counted; and a
# prefix that sorts late (an unbounded scan would read most of the userName index to reach it).
QUERIES = {
    "requestType eq + orderby desc, top 100": (
        "$filter=requestType eq 'Assign'&$orderby=creationDateTime desc&$top=100"
    ),
    "1 h creationDateTime range + count + orderby desc": (
        "$filter=(creationDateTime ge 2017-06-25T07:00:00Z) and (creationDateTime le 2017-06-25T08:00:00Z)"
        "&$count=true&$orderby=creationDateTime desc"
    ),
    "startswith(userName) + orderby userName, top 100": (
        "$filter=startswith(userName,'user9')&$orderby=userName&$top=100"
    ),
}
START_SECONDS = 1498348800  # 2017-06-25T00:00:00Z
SPAN_SECONDS = 30 * 86400  # events spread over 30 days


@dataclass
class Row:
    size: int
    query: str
    median_ms: float
    p95_ms: float
    page: int
    matches: int | None
    plan: str


def make_events(size: int) -> list[dict]:
    """Deterministic events: request types in turn, creation times spread evenly over 30 days."""
    events = []
    for index in range(size):
        seconds = START_SECONDS + (index * 7919) % SPAN_SECONDS
        created = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{index % 10_000_000:07d}Z"
        events.append(
            {
                "id": str(uuid.UUID(int=index + 1)),
                "userName": f"user{index}",
                "userId": str(uuid.UUID(int=(index % 500) + 1)),
                "roleName": f"Role {index % 40}",
                "requestType": REQUEST_TYPES[index % len(REQUEST_TYPES)],
                "creationDateTime": created,
                "expirationDateTime": None,
            }
        )
    return events


def _plan(table, query: str) -> str:
    """The indexes SQLite uses for the query's SELECT, as EXPLAIN QUERY PLAN says."""
    options = dict(part.split("=", 1) for part in query.split("&"))
    where = parse_filter(options.get("$filter"), _columns(table))
    order = parse_orderby(options.get("$orderby"), _columns(table))
    sql, params = table.select_sql("", where, order, 0, 101)
    with table.database.connection() as connection:
        steps = connection.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    return "; ".join(step[-1].replace(f"{table.table}__", "") for step in steps)


def _columns(table) -> Columns:
    return Columns(table.kinds, "bench")


def run_benchmark(sizes: list[int], repeat: int = 30, directory: Path | None = None) -> list[Row]:
    """Time each documented query at each size; a fresh file store per size."""
    rows = []
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        for size in sizes:
            app = create_app(
                {"MODE": "stateful", "STORE": str(Path(scratch) / f"bench-{size}.sqlite3"), "JOURNAL_SIZE": 0}
            )
            table = next(iter(app.extensions["mockgraph"]["store"].tables.values()))
            table.insert_many("", make_events(size))
            with table.database.connection() as connection:
                connection.execute("ANALYZE")
            client = app.test_client()
            headers = {"Authorization": "Bearer bench"}
            for name, query in QUERIES.items():
                url = f"{EVENTS}?{quote(query, safe='=&$')}"
                timings = []
                body = {}
                for _ in range(repeat + 2):
                    started = time.perf_counter()
                    response = client.get(url, headers=headers)
                    timings.append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200:
                        raise RuntimeError(f"{name}: {response.status_code} {response.get_data(as_text=True)}")
                    body = response.get_json()
                timings = sorted(timings[2:])  # the first two warm the caches
                rows.append(
                    Row(
                        size=size,
                        query=name,
                        median_ms=statistics.median(timings),
                        p95_ms=timings[max(0, int(len(timings) * 0.95) - 1)],
                        page=len(body["value"]),
                        matches=body.get("@odata.count"),
                        plan=_plan(table, query),
                    )
                )
            table.database.close()
    return rows


def format_rows(rows: list[Row]) -> str:
    lines = [f"{'events':>7}  {'query':<50} {'median ms':>9} {'p95 ms':>7} {'page':>5} {'count':>6}  plan"]
    for row in rows:
        count = "" if row.matches is None else str(row.matches)
        timing = f"{row.median_ms:>9.2f} {row.p95_ms:>7.2f}"
        lines.append(f"{row.size:>7}  {row.query:<50} {timing} {row.page:>5} {count:>6}  {row.plan}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mockgraph.bench_store", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated numbers of stored events")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per query and size")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    print(format_rows(run_benchmark(sizes, args.repeat)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
