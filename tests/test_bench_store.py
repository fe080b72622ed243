"""The store benchmark runs and answers its queries correctly (its timings are for reading, not asserting)."""

from __future__ import annotations

from mockgraph.bench_store import QUERIES, format_rows, make_events, run_benchmark
from mockgraph.timestamps import to_ticks


def test_benchmark_answers_each_documented_query_from_an_index(tmp_path):
    events = make_events(2200)
    rows = run_benchmark([2200], repeat=1, directory=tmp_path)
    assert [row.query for row in rows] == list(QUERIES)
    by_query = {row.query: row for row in rows}
    assigned = sum(event["requestType"] == "Assign" for event in events)
    assert by_query["requestType eq + orderby desc, top 100"].page == min(assigned, 100) == 100
    low, high = to_ticks("2017-06-25T07:00:00Z"), to_ticks("2017-06-25T08:00:00Z")
    in_range = sum(low <= to_ticks(event["creationDateTime"]) <= high for event in events)
    ranged = by_query["1 h creationDateTime range + count + orderby desc"]
    assert ranged.page == ranged.matches == in_range > 0
    assert all("USING INDEX" in row.plan and "SCAN" not in row.plan for row in rows)
    assert "requestType__creationDateTime" in by_query["requestType eq + orderby desc, top 100"].plan
    assert "2200" in format_rows(rows)
