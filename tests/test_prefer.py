"""Forced answers, Prism-style: Prefer code= and example= pick documented answers only."""

from __future__ import annotations

import pytest

from mockgraph.preferences import Preference, parse_prefer
from tests.conftest import TOKEN

EVENTS = "/beta/privilegedOperationEvents"


def test_prefer_code_answers_the_documented_error_in_graph_envelope_with_live_ids(client):
    response = client.get(EVENTS + "/some-id", headers={**TOKEN, "Prefer": "code=404"})
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["code"] == "itemNotFound" and error["message"] == "No privilegedOperationEvent with id 'missing'."
    assert error["innerError"]["request-id"] == response.headers["request-id"]


def test_prefer_code_429_carries_retry_after(client):
    response = client.post(EVENTS, json={}, headers={**TOKEN, "Prefer": "code=429"})
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == "TooManyRequests"


def test_prefer_example_picks_a_documented_example_by_name(client):
    name = "get_privilegedoperationevents_by_creationdatetime"
    response = client.get(EVENTS, headers={**TOKEN, "Prefer": f"example={name}"})
    assert response.status_code == 200 and response.get_json()["@odata.count"] == 2
    default = client.get(EVENTS, headers=TOKEN).get_json()
    assert "@odata.count" not in default, "without Prefer the operation's first example answers"


def test_prefer_code_and_example_together(client):
    response = client.get(EVENTS, headers={**TOKEN, "Prefer": "code=503, example=serviceNotAvailable"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"


def test_an_undocumented_code_is_400_listing_the_documented_ones(client):
    response = client.post(EVENTS, json={}, headers={**TOKEN, "Prefer": "code=404"})
    assert response.status_code == 400
    message = response.get_json()["error"]["message"]
    assert "code=404 is not documented" in message
    assert "documented: 201, 400, 401, 403, 413, 415, 429, 500, 503, 504." in message


def test_an_unknown_example_is_400_listing_the_documented_ones(client):
    response = client.get(EVENTS, headers={**TOKEN, "Prefer": "example=nope"})
    assert response.status_code == 400
    assert "get_privilegedoperationevents_by_creationdatetime (200)" in response.get_json()["error"]["message"]


def test_a_forced_answer_still_needs_a_valid_request(client):
    assert client.get(EVENTS, headers={"Prefer": "code=503"}).status_code == 401
    bad = client.post(EVENTS, json={"bogus": 1}, headers={**TOKEN, "Prefer": "code=429"})
    assert bad.status_code == 400


def test_other_preferences_are_left_alone(client):
    response = client.get(EVENTS, headers={**TOKEN, "Prefer": "return=minimal, odata.maxpagesize=10"})
    assert response.status_code == 200


def test_forced_answers_are_journaled_as_matched_and_forced():
    from mockgraph import create_app

    client = create_app().test_client()
    client.get(EVENTS, headers={**TOKEN, "Prefer": "code=403"})
    [entry] = client.get("/_mockgraph/requests").get_json()["value"]
    assert entry["status"] == 403 and entry["matched"] and entry["forced"] == "Prefer: code=403"


@pytest.mark.parametrize(
    "header,expected",
    [
        ("code=404", Preference(404)),
        ('example="named"', Preference(None, "named")),
        ("return=minimal; code=429, example=x", Preference(429, "x")),
        ("respond-async", Preference()),
    ],
)
def test_parse_prefer_reads_code_and_example(header, expected):
    assert parse_prefer(header) == expected


def test_a_code_that_is_not_a_number_is_400(client):
    response = client.get(EVENTS, headers={**TOKEN, "Prefer": "code=teapot"})
    assert response.status_code == 400 and "teapot" in response.get_json()["error"]["message"]


def test_every_documented_status_of_every_operation_can_be_forced_and_fits_the_contract(client, app):
    import jsonschema

    document = app.extensions["mockgraph"]["document"]
    for operation in app.extensions["mockgraph"]["operations"]:
        path = operation.path.replace("{privilegedOperationEvent-id}", "some-id")
        responses = document["paths"][operation.path][operation.method.lower()]["responses"]
        for status in operation.statuses:
            response = client.open(
                path,
                method=operation.method,
                json={} if operation.body else None,
                headers={**TOKEN, "Prefer": f"code={status}"},
            )
            where = f"{operation.operation_id} {status}"
            assert response.status_code == status, where
            spec = responses[str(status)]
            if "$ref" in spec:
                spec = document["components"]["responses"][spec["$ref"].rsplit("/", 1)[1]]
            media = spec.get("content", {}).get("application/json")
            if media is None:
                continue
            schema = {**media["schema"], "components": document["components"]}
            jsonschema.validate(response.get_json(), schema, cls=jsonschema.Draft202012Validator)
            if "Retry-After" in spec.get("headers", {}):
                assert int(response.headers["Retry-After"]) >= 0, where
