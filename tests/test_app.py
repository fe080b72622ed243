"""The mock answers the contract: the page's example gets the page's response; anything wrong
gets Graph's error envelope with the right 4xx, never a 500 or an HTML page."""

from __future__ import annotations

import json

import pytest

from mockgraph import create_app
from mockgraph.values import is_datetime
from tests.conftest import TOKEN

EVENTS = "/privilegedOperationEvents"
JSON = {**TOKEN, "Content-Type": "application/json"}


def assert_graph_error(response, status: int, code: str, mentions: str = "") -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code
    assert mentions in error["message"]
    inner = error["innerError"]
    assert inner["request-id"] == response.headers["request-id"]
    assert inner["client-request-id"] == response.headers["client-request-id"]
    assert len(inner["date"]) == 19 and is_datetime(inner["date"] + "Z")
    return error


def test_page_example_request_sent_verbatim_gets_the_page_example_response(client, create_example):
    request = create_example.request
    path = request.url.split("graph.microsoft.com", 1)[1]
    response = client.post(path, data=request.raw_body, headers={**request.headers, **TOKEN})
    assert response.status_code == 201
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.get_json() == create_example.response.body
    assert list(response.get_json()) == list(create_example.response.body), "documented key order is kept"


@pytest.mark.parametrize("root", ["", "/v1.0", "/beta"])
def test_create_is_served_under_the_bare_path_and_both_version_roots(client, root, create_example):
    response = client.post(root + EVENTS, json=create_example.request.body, headers=TOKEN)
    assert response.status_code == 201


def test_every_answer_carries_request_ids_and_odata_headers(client):
    sent = client.post(EVENTS, json={}, headers={**TOKEN, "client-request-id": "abc-123"})
    assert sent.headers["client-request-id"] == "abc-123"
    assert sent.headers["OData-Version"] == "4.0"
    fresh = client.post(EVENTS, json={}, headers=TOKEN)
    assert fresh.headers["client-request-id"] == fresh.headers["request-id"]
    assert fresh.headers["request-id"] != sent.headers["request-id"]
    missing = client.get("/nowhere")
    assert missing.headers["request-id"] and missing.headers["OData-Version"] == "4.0"


def test_graph_content_type_on_json_answers(client):
    response = client.post(EVENTS, json={}, headers=TOKEN)
    assert response.headers["Content-Type"] == (
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
    )


def test_the_sdk_spelling_expiration_date_time_is_accepted_as_a_date_time(client):
    response = client.post(EVENTS, json={"expirationDateTime": "2025-01-01T00:00:00+00:00"}, headers=TOKEN)
    assert response.status_code == 201


@pytest.mark.parametrize(
    "headers,message",
    [
        ({}, "Access token is empty."),
        ({"Authorization": ""}, "Access token is empty."),
        ({"Authorization": "Bearer"}, "Access token is empty."),
        ({"Authorization": "Bearer   "}, "Access token is empty."),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "Bearer scheme"),
        ({"Authorization": "Bearer a b"}, "malformed"),
    ],
)
def test_missing_or_malformed_bearer_token_is_401_invalid_authentication_token(client, headers, message):
    response = client.post(EVENTS, json={}, headers=headers)
    assert_graph_error(response, 401, "InvalidAuthenticationToken", message)


def test_auth_is_checked_on_reads_too(client):
    assert_graph_error(client.get(EVENTS), 401, "InvalidAuthenticationToken")


def test_malformed_json_is_400(client):
    response = client.post(EVENTS, data='{"userId": ', headers=JSON)
    assert_graph_error(response, 400, "BadRequest", "not valid JSON")


@pytest.mark.parametrize("body", ["[]", '"text"', "42", "null", "true"])
def test_a_body_that_is_not_an_object_is_400(client, body):
    assert_graph_error(client.post(EVENTS, data=body, headers=JSON), 400, "BadRequest", "JSON object")


@pytest.mark.parametrize(
    "body,prop",
    [
        ({"userId": 7}, "userId"),
        ({"roleName": ["a"]}, "roleName"),
        ({"expirationDateTime": "datetime-value"}, "expirationDateTime"),
        ({"creationDateTime": "2025-01-01"}, "creationDateTime"),
        ({"creationDateTime": "2025-01-01T00:00:00"}, "creationDateTime"),
        ({"expirationTime": 5}, "expirationTime"),
    ],
)
def test_a_property_of_the_wrong_type_is_400_naming_it(client, body, prop):
    assert_graph_error(client.post(EVENTS, json=body, headers=TOKEN), 400, "BadRequest", f"'{prop}'")


def test_an_unknown_property_is_400_naming_it_and_the_type(client):
    error = assert_graph_error(client.post(EVENTS, json={"colour": "red"}, headers=TOKEN), 400, "BadRequest")
    assert error["message"] == "Property 'colour' does not exist on type 'microsoft.graph.privilegedOperationEvent'."


@pytest.mark.parametrize("value", ["x", None])
def test_a_read_only_property_is_400_naming_it_even_when_null(client, value):
    assert_graph_error(client.post(EVENTS, json={"id": value}, headers=TOKEN), 400, "BadRequest", "'id'")


def test_null_is_accepted_for_nullable_properties(client):
    assert client.post(EVENTS, json={"userId": None}, headers=TOKEN).status_code == 201


def test_an_empty_body_is_400(client):
    assert_graph_error(client.post(EVENTS, data="", headers=JSON), 400, "BadRequest", "body is required")


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x"])
def test_a_non_json_content_type_is_415(client, content_type):
    response = client.post(EVENTS, data="{}", headers={**TOKEN, "Content-Type": content_type})
    assert_graph_error(response, 415, "UnsupportedMediaType")


def test_json_with_parameters_and_no_charset_is_accepted(client):
    for content_type in ("application/json", "application/json; charset=utf-8", "application/json;odata=verbose"):
        response = client.post(EVENTS, data="{}", headers={**TOKEN, "Content-Type": content_type})
        assert response.status_code == 201, content_type


def test_a_body_over_the_default_limit_of_one_mebibyte_is_413(client):
    body = json.dumps({"additionalInformation": "x" * (1024 * 1024)})
    assert_graph_error(client.post(EVENTS, data=body, headers=JSON), 413, "RequestEntityTooLarge")


def test_the_body_limit_is_configurable():
    small = create_app({"MAX_BODY_BYTES": 64}).test_client()
    body = json.dumps({"additionalInformation": "x" * 100})
    assert_graph_error(small.post(EVENTS, data=body, headers=JSON), 413, "RequestEntityTooLarge", "64 bytes")
    assert small.post(EVENTS, json={"userId": "u"}, headers=TOKEN).status_code == 201


def test_the_body_limit_reads_mockgraph_environment_variables(monkeypatch):
    monkeypatch.setenv("MOCKGRAPH_MAX_BODY_BYTES", "32")
    small = create_app().test_client()
    body = json.dumps({"additionalInformation": "x" * 40})
    assert_graph_error(small.post(EVENTS, data=body, headers=JSON), 413, "RequestEntityTooLarge", "32 bytes")


def test_an_unknown_path_is_404_in_graph_envelope_not_html(client):
    response = client.get("/v1.0/privilegedOperationEventz", headers=TOKEN)
    assert_graph_error(response, 404, "ResourceNotFound", "privilegedOperationEventz")


@pytest.mark.parametrize("method", ["PUT", "OPTIONS", "TRACE"])
def test_a_wrong_method_is_405_with_allow(client, method):
    response = client.open(EVENTS, method=method, headers=TOKEN)
    assert_graph_error(response, 405, "Request_BadRequest", method)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}


def test_a_bad_query_option_is_400_naming_it(client):
    assert_graph_error(client.get(EVENTS + "?$top=-1", headers=TOKEN), 400, "BadRequest", "$top")
    assert_graph_error(client.get(EVENTS + "?$count=maybe", headers=TOKEN), 400, "BadRequest", "$count")


def test_unexpected_failures_are_a_graph_500_not_a_traceback(app):
    def explode():
        raise RuntimeError("boom")

    broken = create_app()
    broken.add_url_rule("/explode", "explode", explode)
    response = broken.test_client().get("/explode")
    assert_graph_error(response, 500, "generalException")
    assert "boom" not in response.get_data(as_text=True)


def test_the_contract_is_served_at_openapi_json(client, app):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == app.extensions["mockgraph"]["document"]


def test_example_mode_answers_the_documented_example_for_every_operation(client, app):
    for operation in app.extensions["mockgraph"]["operations"]:
        path = operation.path.replace("{privilegedOperationEvent-id}", "some-id")
        response = client.open(path, method=operation.method, json={} if operation.body else None, headers=TOKEN)
        assert response.status_code == operation.success_status, operation.operation_id
        example = operation.example()
        assert response.data == example.body, operation.operation_id
