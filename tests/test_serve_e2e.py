"""End to end: `mockgraph serve` under real gunicorn answers the page's example over HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from mockgraph.process import start_server
from tests.conftest import TOKEN


@pytest.fixture(scope="module")
def server():
    with start_server("--workers", "2") as running:
        yield running


def send(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_served_mock_answers_the_page_example_with_201_and_the_example_payload(server, create_example):
    request = create_example.request
    path = request.url.split("graph.microsoft.com", 1)[1]
    headers = {**request.headers, **TOKEN}
    headers.pop("Content-length")  # urllib sets the true length
    status, answer_headers, body = send(server.base_url + path, "POST", request.raw_body.encode(), headers)
    assert status == 201
    assert json.loads(body) == create_example.response.body
    assert answer_headers["Content-Type"].startswith("application/json;odata.metadata=minimal")
    assert answer_headers["OData-Version"] == "4.0"
    assert answer_headers["request-id"] == answer_headers["client-request-id"]


def test_served_mock_answers_errors_in_graph_envelope(server):
    status, _, body = send(server.base_url + "/beta/privilegedOperationEvents", "POST", b"{}")
    assert status == 401
    assert json.loads(body)["error"]["code"] == "InvalidAuthenticationToken"
    status, _, body = send(server.base_url + "/beta/nothing-here")
    assert status == 404 and json.loads(body)["error"]["code"] == "ResourceNotFound"


def test_server_binds_loopback_and_stops_by_its_own_pid(create_example):
    running = start_server("--workers", "1")
    assert running.host == "127.0.0.1"
    running.stop()
    assert running.process.poll() is not None
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(running.base_url + "/openapi.json", timeout=2)
