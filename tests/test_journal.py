"""The request journal and the admin API under /_mockgraph/, in-process."""

from __future__ import annotations

import json

import pytest

from mockgraph import create_app
from mockgraph.exceptions import ConfigError
from mockgraph.seeds import read_seed_file, seed_store
from tests.conftest import TOKEN

EVENTS = "/beta/privilegedOperationEvents"


@pytest.fixture
def client():
    return create_app().test_client()


def journal(client, query: str = "") -> list[dict]:
    response = client.get("/_mockgraph/requests" + query)
    assert response.status_code == 200
    body = response.get_json()
    assert body["count"] == len(body["value"])
    return body["value"]


def test_the_journal_keeps_what_the_client_sent_and_what_it_was_answered(client):
    client.post(EVENTS + "?x=1", json={"userId": "u1"}, headers={**TOKEN, "client-request-id": "c-1"})
    [entry] = journal(client)
    assert entry["method"] == "POST" and entry["path"] == EVENTS and entry["query"] == {"x": "1"}
    assert entry["body"] == {"userId": "u1"}
    assert entry["headers"]["client-request-id"] == "c-1"
    assert entry["operation"] == "create_privilegedoperationevent_from_privilegedoperationevents"
    assert entry["status"] == 201 and entry["response"]["body"]["userId"] == "userId-value"
    assert entry["response"]["headers"]["client-request-id"] == "c-1"
    assert entry["matched"] is True and entry["reason"] is None and entry["forced"] is None


def test_the_bearer_token_is_redacted_in_the_journal(client):
    client.post(EVENTS, json={}, headers={"Authorization": "Bearer very-secret-token"})
    [entry] = journal(client)
    assert entry["headers"]["authorization"] == "Bearer <redacted>"
    assert "very-secret-token" not in json.dumps(entry)


def test_a_request_that_breaks_the_contract_is_journaled_with_the_reason(client):
    client.post(EVENTS, json={"bogus": 1}, headers=TOKEN)
    client.post(EVENTS, json={})
    client.get("/beta/nowhere")
    reasons = [(entry["status"], entry["matched"], entry["reason"]) for entry in journal(client)]
    assert reasons == [
        (400, False, "Property 'bogus' does not exist on type 'microsoft.graph.privilegedOperationEvent'."),
        (401, False, "Access token is empty."),
        (404, False, "Resource not found for the segment 'nowhere'."),
    ]


def test_a_body_that_is_not_json_is_journaled_as_text(client):
    client.post(EVENTS, data="plain words", headers={**TOKEN, "Content-Type": "text/plain"})
    [entry] = journal(client)
    assert entry["body"] == "plain words" and entry["status"] == 415


def test_the_journal_filters_by_method_path_status_matched_and_operation(client):
    client.post(EVENTS, json={}, headers=TOKEN)
    client.get(EVENTS, headers=TOKEN)
    client.get("/v1.0/privilegedOperationEvents/abc", headers=TOKEN)
    client.post(EVENTS, json=[], headers=TOKEN)
    assert [e["status"] for e in journal(client, "?method=post")] == [201, 400]
    assert [e["method"] for e in journal(client, f"?path={EVENTS}")] == ["POST", "GET", "POST"]
    assert [e["path"] for e in journal(client, "?path=/v1.0/*")] == ["/v1.0/privilegedOperationEvents/abc"]
    assert [e["status"] for e in journal(client, "?status=400")] == [400]
    assert [e["status"] for e in journal(client, "?matched=false")] == [400]
    assert len(journal(client, "?matched=true")) == 3
    assert [e["path"] for e in journal(client, "?operation=get_privilegedoperationevent")] == [
        "/v1.0/privilegedOperationEvents/abc"
    ]
    assert [e["status"] for e in journal(client, "?limit=2")] == [200, 400], "the newest two, oldest first"


@pytest.mark.parametrize("query", ["?status=abc", "?matched=maybe", "?limit=-1", "?colour=red"])
def test_a_bad_journal_filter_is_400_naming_it(client, query):
    response = client.get("/_mockgraph/requests" + query)
    assert response.status_code == 400
    assert query[1:].split("=")[0] in response.get_json()["error"]["message"]


def test_the_journal_is_bounded_and_drops_the_oldest():
    client = create_app({"JOURNAL_SIZE": 3}).test_client()
    for index in range(7):
        client.post(EVENTS, json={"userId": f"u{index}"}, headers=TOKEN)
    assert [entry["body"]["userId"] for entry in journal(client)] == ["u4", "u5", "u6"]


def test_clearing_and_resetting_empty_the_journal(client):
    client.post(EVENTS, json={}, headers=TOKEN)
    assert client.delete("/_mockgraph/requests").status_code == 204
    assert journal(client) == []
    client.post(EVENTS, json={}, headers=TOKEN)
    assert client.post("/_mockgraph/reset").status_code == 204
    assert journal(client) == []


def test_admin_requests_and_the_contract_document_are_not_journaled(client):
    client.get("/openapi.json")
    client.get("/_mockgraph/requests")
    assert journal(client) == []


def test_the_admin_api_is_kept_out_of_the_contract(client):
    document = client.get("/openapi.json").get_json()
    assert not [path for path in document["paths"] if "_mockgraph" in path]


def test_the_admin_api_can_be_switched_off():
    client = create_app({"ADMIN_ENABLED": False}).test_client()
    client.post(EVENTS, json={}, headers=TOKEN)
    response = client.get("/_mockgraph/requests")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "ResourceNotFound"
    assert client.post("/_mockgraph/reset").status_code == 404


def test_a_journal_size_of_zero_records_nothing():
    client = create_app({"JOURNAL_SIZE": 0}).test_client()
    client.post(EVENTS, json={}, headers=TOKEN)
    assert journal(client) == []


def test_seeding_without_the_stateful_store_is_409_saying_so(client):
    response = client.post("/_mockgraph/seed", json=[{"userId": "u1"}])
    assert response.status_code == 409
    assert "stateful" in response.get_json()["error"]["message"]


class RecordingStore:
    def __init__(self):
        self.loaded, self.resets = [], 0

    def load(self, events):
        self.loaded.extend(events)

    def reset(self):
        self.resets += 1
        self.loaded.clear()


def test_seed_and_reset_reach_the_store_through_the_admin_api():
    app = create_app()
    store = app.extensions["mockgraph"]["store"] = RecordingStore()
    client = app.test_client()
    response = client.post("/_mockgraph/seed", json={"value": [{"id": "a"}, {"id": "b"}]})
    assert response.status_code == 201 and response.get_json() == {"loaded": 2}
    assert [event["id"] for event in store.loaded] == ["a", "b"]
    assert client.post("/_mockgraph/seed", json=[1]).status_code == 400
    assert client.post("/_mockgraph/reset").status_code == 204
    assert store.resets == 1 and store.loaded == []


def test_a_seed_file_is_read_and_loaded_into_the_store(tmp_path):
    seed = tmp_path / "events.json"
    seed.write_text(json.dumps([{"id": "e1", "userId": "u1"}]))
    store = RecordingStore()
    assert seed_store(store, seed) == [{"id": "e1", "userId": "u1"}]
    assert store.loaded == [{"id": "e1", "userId": "u1"}]


@pytest.mark.parametrize("text,message", [("{", "not valid JSON"), ('{"a": 1}', "JSON array"), ("[3]", "event 0")])
def test_a_bad_seed_file_is_a_config_error_naming_the_file(tmp_path, text, message):
    seed = tmp_path / "events.json"
    seed.write_text(text)
    with pytest.raises(ConfigError, match=message) as raised:
        read_seed_file(seed)
    assert str(seed) in str(raised.value)


def test_seed_data_at_start_without_the_stateful_store_fails_create_app(tmp_path):
    seed = tmp_path / "events.json"
    seed.write_text("[]")
    with pytest.raises(ConfigError, match="stateful"):
        create_app({"SEED_DATA": str(seed)})


@pytest.mark.parametrize("failure", ["disk I/O error", "unencodable entry"])
def test_a_journal_that_cannot_write_leaves_the_answer_alone(monkeypatch, failure):
    import sqlite3

    import orjson

    from mockgraph.journal import Journal

    def broken(*args, **kwargs):
        if failure == "disk I/O error":
            raise sqlite3.OperationalError(failure)
        orjson.dumps(object())

    client = create_app().test_client()
    monkeypatch.setattr(Journal, "record", broken)
    response = client.post(EVENTS, json={}, headers=TOKEN)
    assert response.status_code == 201


def test_an_entry_has_every_field_in_order_and_headers_named_as_http2_writes_them(client):
    client.post(EVENTS, json={"userId": "u1"}, headers={**TOKEN, "X-Custom_Thing": "v"})
    [entry] = journal(client)
    assert list(entry) == [
        "id", "time", "method", "path", "query", "headers", "operation", "status",
        "response", "matched", "reason", "forced", "worker", "body",
    ]  # fmt: skip
    assert entry["headers"]["content-type"] == "application/json"
    assert entry["headers"]["content-length"] == str(len(json.dumps({"userId": "u1"})))
    assert entry["headers"]["x-custom-thing"] == "v"
    assert all(name == name.lower() for name in (*entry["headers"], *entry["response"]["headers"]))
    assert entry["response"]["headers"]["content-type"].startswith("application/json")
    assert entry["time"].endswith("Z") and isinstance(entry["worker"], int)


def test_the_bearer_token_is_redacted_before_the_entry_is_kept():
    app = create_app()
    app.test_client().post(EVENTS, json={}, headers={"Authorization": "Bearer very-secret-token"})
    journal_object = app.extensions["mockgraph"]["journal"]
    kept = repr(list(journal_object._entries))
    assert "Bearer <redacted>" in kept and "very-secret-token" not in kept


def test_a_limit_larger_than_the_matches_returns_them_all(client):
    for _ in range(3):
        client.get(EVENTS, headers=TOKEN)
    assert len(journal(client, "?limit=5")) == 3
    assert [entry["id"] for entry in journal(client, "?limit=2")] == [entry["id"] for entry in journal(client)[1:]]


def test_raw_headers_keep_every_http_key_and_set_content_keys_in_order_and_stay_bounded():
    from mockgraph import journal

    for index in range(3 * journal.HEADER_KEYS_KEPT):
        environ = {
            "REMOTE_ADDR": "127.0.0.1",
            f"HTTP_X_{index}": "",
            "CONTENT_TYPE": "" if index % 2 else "application/json",
            "wsgi.input": object(),
            "HTTP_AUTHORIZATION": "Bearer secret",
            "CONTENT_LENGTH": "3",
        }
        expected = {
            key: value
            for key, value in environ.items()
            if key.startswith("HTTP_") or (key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value)
        }
        expected["HTTP_AUTHORIZATION"] = "Bearer <redacted>"
        for _ in range(2):  # the second time from the cache
            headers = journal.raw_headers(environ)
            assert list(headers.items()) == list(expected.items())
        assert len(journal._HEADER_KEYS) <= journal.HEADER_KEYS_KEPT
