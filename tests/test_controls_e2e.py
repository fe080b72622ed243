"""The controls under real gunicorn with two workers: one journal, one fault sequence, one throttle."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from mockgraph.client import AdminError, MockGraph
from mockgraph.process import start_server
from tests.conftest import TOKEN

CONFIG = """
[journal]
size = 500
[faults.operations.get_privilegedoperationevent]
seed = 21
failure_rate = 0.5
[faults.operations.count_privilegedoperationevents]
throttle_after = 3
throttle_window_s = 60
"""


@pytest.fixture(scope="module")
def mock(tmp_path_factory):
    config = tmp_path_factory.mktemp("config") / "mockgraph.toml"
    config.write_text(CONFIG, encoding="utf-8")
    # Sync workers: each takes one connection at a time, so consecutive requests spread over both
    # and "one journal for all workers" is proven across processes (gthread, the default, may
    # let one worker take them all).
    with start_server("--workers", "2", "--worker-class", "sync", "--config", str(config)) as server:
        yield MockGraph(server.base_url)


def status_of(url: str, method: str = "GET", body: bytes | None = None) -> int:
    headers = {**TOKEN, "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_journal_is_one_for_all_workers_and_keeps_every_request_in_order(mock):
    mock.reset()
    url = mock.url("/beta/privilegedOperationEvents")
    for index in range(40):
        assert status_of(url, "POST", json.dumps({"userId": f"u{index}"}).encode()) == 201
    entries = mock.requests(method="POST")
    assert [entry["body"]["userId"] for entry in entries] == [f"u{index}" for index in range(40)]
    # Consecutive requests may all be taken by one worker (whichever wakes first). Requests in
    # flight together are spread, as a sync worker holds one connection at a time, once both
    # workers are up (gunicorn boots the second up to 0.1 s after the first; a round of 40 can
    # end before): repeat (at most 5 rounds) until both answered.
    for _round in range(5):
        mock.reset()
        with ThreadPoolExecutor(8) as pool:
            bodies = [json.dumps({"userId": f"c{index}"}).encode() for index in range(40)]
            assert list(pool.map(lambda body: status_of(url, "POST", body), bodies)) == [201] * 40
        entries = mock.requests(method="POST")
        assert sorted(entry["body"]["userId"] for entry in entries) == sorted(f"c{index}" for index in range(40))
        if len({entry["worker"] for entry in entries}) == 2:
            return
    pytest.fail("in 5 rounds of 40 requests in flight together, no round was answered by both workers")


def test_a_seeded_fault_sequence_is_the_servers_not_a_workers_and_replays_after_reset(mock):
    url = mock.url("/beta/privilegedOperationEvents/some-id")
    # Which worker takes a sequential request is the kernel's choice: repeat (at most 5 rounds)
    # until one replay was answered by both workers, so the claim is proven across processes.
    for _round in range(5):
        mock.reset()
        first = [status_of(url) for _ in range(24)]
        mock.reset()
        second = [status_of(url) for _ in range(24)]
        assert first == second
        assert {200} < set(first) <= {200, 500, 503, 504}
        if len({entry["worker"] for entry in mock.requests()}) == 2:
            return
    pytest.fail("in 5 rounds no replay was answered by both workers")


def test_throttling_counts_the_requests_of_every_worker(mock):
    mock.reset()
    url = mock.url("/beta/privilegedOperationEvents/$count")
    assert [status_of(url) for _ in range(8)] == [200, 200, 200] + [429] * 5
    throttled = mock.requests(status=429)
    assert all(0 < int(entry["response"]["headers"]["retry-after"]) <= 60 for entry in throttled)


def test_the_admin_client_reports_refusals_with_the_servers_message(mock):
    with pytest.raises(AdminError, match="stateful"):
        mock.seed([{"id": "e1"}])
