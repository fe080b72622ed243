"""The fast lane (mockgraph/dispatch.py) answers exactly as Flask's routes do, and only where it may.

Every request below is sent to two apps built alike, one with the fast lane and one with
FAST_PATH off; status, headers, body and the journal entry must be the same (ids and times
aside). Each case also says which lane must have answered it, so a lane that silently hands
everything to Flask, or keeps what it must not, fails too.
"""

from __future__ import annotations

import orjson
import pytest

from mockgraph import create_app
from mockgraph.dispatch import EnvironHeaders, ExampleDispatcher

CREATE = "create_privilegedoperationevent_from_privilegedoperationevents"
PATH = "/privilegedOperationEvents"
TOKEN = "Bearer test-token"
BODY = orjson.dumps(
    {
        "userId": "userId-value",
        "userName": "userName-value",
        "userMail": "userMail-value",
        "roleId": "roleId-value",
        "roleName": "roleName-value",
        "expirationTime": "datetime-value",
    }
)
JSON = "application/json"
ORIGIN = "http://localhost:5173"


def _headers(**extra: str) -> dict:
    return {"Authorization": TOKEN, "Content-Type": JSON, **extra}


# (name, method, url, headers, body, lane): lane "fast" must be answered by the dispatcher alone.
CASES = [
    ("create", "POST", PATH, _headers(), BODY, "fast"),
    ("create under /beta", "POST", "/beta" + PATH, _headers(), BODY, "fast"),
    ("create under /v1.0", "POST", "/v1.0" + PATH, _headers(), BODY, "fast"),
    ("client-request-id echoed", "POST", PATH, _headers(**{"client-request-id": "abc-123"}), BODY, "fast"),
    ("json with charset", "POST", PATH, _headers(**{"Content-Type": JSON + "; charset=utf-8"}), BODY, "fast"),
    ("allowed origin", "POST", PATH, _headers(Origin=ORIGIN), BODY, "fast"),
    ("other origin", "POST", PATH, _headers(Origin="https://example.com"), BODY, "fast"),
    ("list", "GET", PATH, {"Authorization": TOKEN}, b"", "fast"),
    ("count", "GET", PATH + "/$count", {"Authorization": TOKEN}, b"", "fast"),
    ("list sent a body", "GET", PATH, _headers(), b'{"a": 1}', "fast"),
    ("no token", "POST", PATH, {"Content-Type": JSON}, BODY, "flask"),
    ("not bearer", "POST", PATH, _headers(Authorization="Basic abc"), BODY, "flask"),
    ("bad json", "POST", PATH, _headers(), b'{"userId": ', "flask"),
    ("not an object", "POST", PATH, _headers(), b"[1, 2]", "flask"),
    ("unknown property", "POST", PATH, _headers(), b'{"colour": "red"}', "flask"),
    ("wrong type", "POST", PATH, _headers(), b'{"userId": 7}', "flask"),
    ("empty body", "POST", PATH, _headers(), b"", "flask"),
    ("text body", "POST", PATH, _headers(**{"Content-Type": "text/plain"}), BODY, "flask"),
    ("too large", "POST", PATH, _headers(), b'{"userId": "' + b"x" * 2048 + b'"}', "flask"),
    ("query string", "GET", PATH + "?$top=1", {"Authorization": TOKEN}, b"", "flask"),
    ("prefer", "POST", PATH, _headers(Prefer="code=404"), BODY, "flask"),
    ("empty prefer", "POST", PATH, _headers(Prefer=""), BODY, "flask"),
    ("fault header", "POST", PATH, _headers(**{"mockgraph-fault": "status=503"}), BODY, "flask"),
    ("trailing slash", "POST", PATH + "/", _headers(), BODY, "flask"),
    ("wrong method", "PUT", PATH, _headers(), BODY, "flask"),
    ("preflight", "OPTIONS", PATH, {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}, b"", "flask"),
    ("keyed path", "GET", PATH + "/some-id", {"Authorization": TOKEN}, b"", "flask"),
    ("encoded slash", "POST", "/beta%2FprivilegedOperationEvents", _headers(), BODY, "flask"),
]

CONFIG = {"MAX_BODY_BYTES": 1024, "CONTRACT_CACHE": ""}


class LaneCounter:
    """Stands in for the Flask app behind the dispatcher and counts the requests handed to it."""

    def __init__(self, app):
        self.app, self.calls = app, 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.app(environ, start_response)


def dispatcher_of(app) -> ExampleDispatcher:
    dispatcher = app.wsgi_app.app  # KeepEncodedSlashes -> ExampleDispatcher -> Flask
    assert isinstance(dispatcher, ExampleDispatcher)
    return dispatcher


@pytest.fixture(scope="module")
def lanes():
    fast, reference = create_app(CONFIG), create_app({**CONFIG, "FAST_PATH": False})
    counter = LaneCounter(dispatcher_of(fast).app)
    dispatcher_of(fast).app = counter
    assert not isinstance(reference.wsgi_app.app, ExampleDispatcher)
    return fast.test_client(), reference.test_client(), counter


def _normalized(response) -> dict:
    headers = [(name.lower(), value) for name, value in response.headers]
    request_id = response.headers.get("request-id")
    headers = [(name, "<id>" if value == request_id else value) for name, value in headers]
    body = response.get_data()
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        document = body
    if isinstance(document, dict) and "error" in document:
        inner = document["error"]["innerError"]
        assert inner["request-id"] == request_id
        inner["date"] = inner["request-id"] = "<x>"
        inner["client-request-id"] = "<id>" if inner["client-request-id"] == request_id else inner["client-request-id"]
    return {"status": response.status, "headers": headers, "body": document}


def _last_entry(client) -> dict:
    entries = client.get("/_mockgraph/requests?limit=1").get_json()["value"]
    assert entries, "the request was not journaled"
    entry = entries[-1]
    request_id = entry["response"]["headers"].get("request-id")
    for key in ("id", "time", "worker"):
        entry.pop(key)
    entry["response"]["headers"] = {
        name: ("<id>" if value == request_id else value) for name, value in entry["response"]["headers"].items()
    }
    body = entry["response"]["body"]
    if isinstance(body, dict) and "error" in body:
        body["error"]["innerError"] = "<x>"
    return entry


@pytest.mark.parametrize(("name", "method", "url", "headers", "body", "lane"), CASES, ids=[case[0] for case in CASES])
def test_fast_lane_answers_and_journals_as_flask_does(lanes, name, method, url, headers, body, lane):
    fast, reference, counter = lanes
    before = counter.calls
    answers = [client.open(url, method=method, headers=headers, data=body) for client in (fast, reference)]
    assert _normalized(answers[0]) == _normalized(answers[1])
    handed_to_flask = counter.calls - before
    assert handed_to_flask == (0 if lane == "fast" else 1), f"{name}: expected the {lane} lane"
    assert _last_entry(fast) == _last_entry(reference)


def test_fast_lane_answers_the_documented_example_with_graph_headers(lanes):
    fast, _, counter = lanes
    before = counter.calls
    response = fast.post(PATH, headers=_headers(**{"client-request-id": "c-1"}), data=BODY)
    assert counter.calls == before
    assert response.status_code == 201
    assert response.headers["client-request-id"] == "c-1"
    assert len(response.headers["request-id"]) == 36
    assert response.headers["OData-Version"] == "4.0"
    assert response.get_json()["userName"] == "userName-value"


def test_operation_with_a_fault_configured_stays_on_flask():
    app = create_app({"CONTRACT_CACHE": "", "FAULTS": {"operations": {CREATE: {"failure_rate": 1.0}}}})
    client = app.test_client()
    response = client.post(PATH, headers=_headers(), data=BODY)
    assert response.status_code >= 500
    assert ("POST", PATH) not in dispatcher_of(app).routes
    assert ("GET", PATH) in dispatcher_of(app).routes


def test_stateful_mode_and_fast_path_off_build_no_dispatcher():
    for config in ({"MODE": "stateful"}, {"FAST_PATH": False}):
        app = create_app({"CONTRACT_CACHE": "", **config})
        assert not isinstance(app.wsgi_app.app, ExampleDispatcher)


def test_journal_off_records_nothing_on_the_fast_lane():
    app = create_app({"CONTRACT_CACHE": "", "JOURNAL_SIZE": 0})
    client = app.test_client()
    assert client.post(PATH, headers=_headers(), data=BODY).status_code == 201
    assert client.get("/_mockgraph/requests").get_json()["value"] == []


def test_environ_headers_reads_headers_by_name_in_any_case():
    headers = EnvironHeaders({"HTTP_AUTHORIZATION": "Bearer t", "CONTENT_TYPE": JSON})
    assert headers.get("authorization") == "Bearer t"
    assert headers.get("Content-Type") == JSON
    assert headers.get("Workbook-Session-Id") is None
