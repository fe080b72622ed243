"""`mockgraph serve --stateful` under real gunicorn: one file store shared by every worker."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from mockgraph.process import start_server
from tests.conftest import TOKEN

EVENTS = "/beta/privilegedOperationEvents"


def send(url: str, method: str = "GET", body: dict | None = None, headers: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    headers = {**TOKEN, **({"Content-Type": "application/json"} if data else {}), **(headers or {})}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = tmp_path_factory.mktemp("store") / "events.sqlite3"
    with start_server("--stateful", "--workers", "2", "--store", str(store)) as running:
        yield running


def test_every_worker_sees_what_any_worker_stored(server):
    status, headers, body = send(server.base_url + EVENTS, "POST", {"userName": "served", "requestType": "Assign"})
    assert status == 201
    created = json.loads(body)
    assert headers["Location"] == f"{server.base_url}{EVENTS}/{created['id']}"
    assert created["@odata.context"] == f"{server.base_url}/beta/$metadata#privilegedOperationEvents/$entity"
    for _ in range(6):  # successive connections land on either worker
        status, _, body = send(f"{server.base_url}{EVENTS}/{created['id']}")
        assert status == 200 and json.loads(body)["userName"] == "served"


def test_an_encoded_slash_in_a_key_stays_one_segment_under_gunicorn(server):
    status, _, body = send(f"{server.base_url}{EVENTS}/a%2Fb")
    assert status == 404
    error = json.loads(body)["error"]
    assert error["code"] == "itemNotFound" and "'a/b'" in error["message"]


def test_next_link_is_absolute_on_the_servers_own_host(server):
    for index in range(3):
        send(server.base_url + EVENTS, "POST", {"userName": f"page{index}"}, {"Workbook-Session-Id": "paging"})
    status, _, body = send(f"{server.base_url}{EVENTS}?$top=2&$count=true", headers={"Workbook-Session-Id": "paging"})
    page = json.loads(body)
    assert status == 200 and page["@odata.count"] == 3
    assert page["@odata.nextLink"] == f"{server.base_url}{EVENTS}?$top=2&$count=true&$skiptoken=2"
    status, _, body = send(page["@odata.nextLink"], headers={"Workbook-Session-Id": "paging"})
    assert [event["userName"] for event in json.loads(body)["value"]] == ["page2"]


def test_a_memory_store_is_refused_for_several_workers():
    with pytest.raises(RuntimeError, match="exited"):
        start_server("--stateful", "--workers", "2", "--store", ":memory:", timeout=15)


def test_a_server_restarted_on_its_store_with_the_same_seed_file_holds_each_seed_once(tmp_path):
    seeds = tmp_path / "seeds.json"
    seeds.write_text(json.dumps([{"id": "seed-1", "requestType": "Assign"}, {"id": "seed-2", "userName": "b"}]))
    store = tmp_path / "events.sqlite3"
    for _ in range(2):
        with start_server("--stateful", "--workers", "2", "--store", str(store), "--seed-data", str(seeds)) as running:
            status, _, body = send(f"{running.base_url}{EVENTS}/$count")
            assert status == 200 and body == b"2"
            status, _, body = send(f"{running.base_url}{EVENTS}/seed-1")
            assert status == 200 and json.loads(body)["requestType"] == "Assign"
