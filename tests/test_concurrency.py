"""Concurrency and faults on the file store: parallel POSTs across four workers, killed processes.

Nothing acknowledged is lost: an event answered 201 is committed before the answer leaves, so
it survives a worker killed with SIGKILL mid-run and a whole server killed and started again on
the same file.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mockgraph.process import start_server
from tests.conftest import TOKEN

EVENTS = "/beta/privilegedOperationEvents"
THREADS = 16


def post(base_url: str, sandbox: str, marker: str) -> str | None:
    """The id of the stored event, or None when the request failed (a killed worker, say)."""
    body = json.dumps({"userName": marker, "requestType": "Assign"}).encode()
    headers = {**TOKEN, "Content-Type": "application/json", "Workbook-Session-Id": sandbox}
    request = urllib.request.Request(base_url + EVENTS, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return json.loads(response.read())["id"] if response.status == 201 else None
    except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, OSError):
        return None  # no answer, or one cut off: not acknowledged


def get_json(url: str, sandbox: str) -> dict:
    request = urllib.request.Request(url, headers={**TOKEN, "Workbook-Session-Id": sandbox})
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())


def stored_ids(base_url: str, sandbox: str) -> list[str]:
    """Every id in the sandbox, read page by page through @odata.nextLink."""
    ids: list[str] = []
    url: str | None = f"{base_url}{EVENTS}?$select=id&$top=1000"
    for _ in range(1000):
        page = get_json(url, sandbox)
        ids += [event["id"] for event in page["value"]]
        url = page.get("@odata.nextLink")
        if url is None:
            return ids
    raise AssertionError("paging did not end")


def count(base_url: str, sandbox: str) -> int:
    request = urllib.request.Request(f"{base_url}{EVENTS}/$count", headers={**TOKEN, "Workbook-Session-Id": sandbox})
    with urllib.request.urlopen(request, timeout=15) as response:
        return int(response.read())


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def test_thousands_of_parallel_posts_across_four_workers_are_all_stored_exactly(tmp_path):
    total = 2000
    with start_server("--stateful", "--workers", "4", "--store", str(tmp_path / "store.sqlite3")) as server:
        with ThreadPoolExecutor(THREADS) as pool:
            ids = list(pool.map(lambda n: post(server.base_url, "parallel", f"p{n}"), range(total), timeout=300))
        assert None not in ids
        assert len(set(ids)) == total
        assert count(server.base_url, "parallel") == total
        assert sorted(stored_ids(server.base_url, "parallel")) == sorted(ids)


def test_acknowledged_events_survive_a_killed_worker_and_a_killed_then_restarted_server(tmp_path):
    store = tmp_path / "store.sqlite3"
    attempts = 1200
    server = start_server("--stateful", "--workers", "4", "--store", str(store))
    try:
        victim = worker_pids(server.pid)[0]
        with ThreadPoolExecutor(THREADS) as pool:
            futures = [pool.submit(post, server.base_url, "faults", f"f{n}") for n in range(attempts)]
            deadline = time.monotonic() + 60
            while sum(f.done() for f in futures) < attempts // 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            os.kill(victim, signal.SIGKILL)  # mid-run: gunicorn replaces it, requests in flight fail
            acknowledged = {f.result(timeout=120) for f in futures} - {None}
        assert victim not in worker_pids(server.pid)
        assert len(acknowledged) >= attempts * 0.9  # only what the killed worker held may fail
        os.killpg(server.pid, signal.SIGKILL)  # the whole server, master included: no clean shutdown
        server.process.wait(timeout=10)
    finally:
        server.stop()
    with start_server("--stateful", "--workers", "4", "--store", str(store)) as restarted:
        stored = set(stored_ids(restarted.base_url, "faults"))
        assert acknowledged <= stored  # nothing acknowledged is lost
        assert len(stored) <= attempts  # and nothing was stored twice
        assert count(restarted.base_url, "faults") == len(stored)
