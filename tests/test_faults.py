"""Deterministic faults: latency, throttling with Retry-After, seeded 500/503/504; config and header."""

from __future__ import annotations

import pytest

from mockgraph import controls, create_app
from mockgraph.exceptions import BadRequest, ConfigError
from mockgraph.faults import FaultPlan, decide, draw, parse_fault_header, parse_faults
from tests.conftest import TOKEN

EVENTS = "/beta/privilegedOperationEvents"
CREATE = "create_privilegedoperationevent_from_privilegedoperationevents"
LIST = "get_privilegedoperationevents_by_requesttype"
OPERATIONS = [CREATE, LIST]


def statuses(client, count: int, path: str = EVENTS, headers: dict | None = None) -> list[int]:
    return [client.get(path, headers={**TOKEN, **(headers or {})}).status_code for _ in range(count)]


def test_faults_are_off_by_default(client):
    assert statuses(client, 30) == [200] * 30


def test_the_same_seed_gives_the_same_sequence_and_another_seed_another():
    plan = FaultPlan(seed=7, failure_rate=0.5)
    first = [decide(plan, LIST, n).status for n in range(1, 101)]
    again = [decide(plan, LIST, n).status for n in range(1, 101)]
    other = [decide(FaultPlan(seed=8, failure_rate=0.5), LIST, n).status for n in range(1, 101)]
    assert first == again
    assert first != other


def test_a_seeded_rate_fails_about_that_fraction_with_every_failure_status():
    plan = FaultPlan(seed=1, failure_rate=0.25)
    answers = [decide(plan, LIST, n).status for n in range(1, 4001)]
    failed = [status for status in answers if status is not None]
    assert 0.22 < len(failed) / len(answers) < 0.28
    assert set(failed) == {500, 503, 504}


def test_draws_are_uniform_enough_to_trust_the_rates():
    values = [draw(3, LIST, n, "failure") for n in range(1, 10001)]
    assert all(0 <= value < 1 for value in values)
    deciles = [sum(1 for value in values if k / 10 <= value < (k + 1) / 10) for k in range(10)]
    assert all(900 < count < 1100 for count in deciles), deciles


def test_a_configured_failure_answers_the_contract_error_with_retry_after_on_503():
    client = create_app({"FAULTS": {"failure_rate": 1.0, "failure_statuses": [503], "retry_after_s": 4}}).test_client()
    response = client.get(EVENTS, headers=TOKEN)
    assert response.status_code == 503 and response.headers["Retry-After"] == "4"
    error = response.get_json()["error"]
    assert error["code"] == "serviceNotAvailable"
    assert error["innerError"]["request-id"] == response.headers["request-id"]


def test_a_seeded_server_sequence_replays_after_a_reset():
    client = create_app({"FAULTS": {"seed": 11, "failure_rate": 0.5}}).test_client()
    first = statuses(client, 20)
    client.post("/_mockgraph/reset")
    assert statuses(client, 20) == first
    assert set(first) > {200}, "a 0.5 rate over 20 requests fails some"
    expected = [decide(FaultPlan(seed=11, failure_rate=0.5), LIST, n).status or 200 for n in range(1, 21)]
    assert first == expected, "request n of an operation gets decision n of the seeded sequence"


def test_faults_configured_for_one_operation_leave_the_others_alone():
    config = {"FAULTS": {"operations": {CREATE: {"throttle_rate": 1.0, "retry_after_s": 7}}}}
    client = create_app(config).test_client()
    created = client.post(EVENTS, json={}, headers=TOKEN)
    assert created.status_code == 429 and created.headers["Retry-After"] == "7"
    assert created.get_json()["error"]["code"] == "TooManyRequests"
    assert statuses(client, 3) == [200] * 3


def test_throttling_after_n_requests_in_a_window_answers_429_with_retry_after():
    client = create_app({"FAULTS": {"throttle_after": 2, "throttle_window_s": 30}}).test_client()
    answers = [client.get(EVENTS, headers=TOKEN) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 429, 429]
    assert 29 <= int(answers[2].headers["Retry-After"]) <= 30
    journal = client.get("/_mockgraph/requests?status=429").get_json()["value"]
    assert journal[0]["forced"] == "throttled: more than 2 requests in 30 s" and journal[0]["matched"]


def test_latency_waits_the_configured_time_fixed_or_drawn_from_the_range(monkeypatch):
    waits = []
    monkeypatch.setattr(controls.time, "sleep", waits.append)
    client = create_app({"FAULTS": {"latency_ms": 250}}).test_client()
    statuses(client, 2)
    assert waits == [0.25, 0.25]
    waits.clear()
    ranged = create_app({"FAULTS": {"latency_ms": [100, 300], "seed": 5}}).test_client()
    statuses(ranged, 50)
    assert all(0.1 <= wait <= 0.3 for wait in waits) and len(set(waits)) > 10


def test_the_fault_header_forces_faults_for_one_request(client):
    response = client.get(EVENTS, headers={**TOKEN, "mockgraph-fault": "throttle-rate=1; retry-after-s=3"})
    assert response.status_code == 429 and response.headers["Retry-After"] == "3"
    failed = client.get(EVENTS, headers={**TOKEN, "mockgraph-fault": "failure-rate=1; failure-statuses=504"})
    assert failed.status_code == 504 and failed.get_json()["error"]["code"] == "gatewayTimeout"
    assert client.get(EVENTS, headers=TOKEN).status_code == 200, "the next request without the header is served"


def test_a_bad_request_keeps_its_own_answer_when_faults_are_asked_for(client):
    response = client.get(EVENTS, headers={"mockgraph-fault": "failure-rate=1"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "header,mentions",
    [
        ("colour=red", "unknown key 'colour'"),
        ("failure-rate=2", "'failure_rate' must be a fraction"),
        ("failure-statuses=418", "'failure_statuses' must be statuses among 500, 503, 504"),
        ("latency-ms=300-100", "low <= high"),
        ("throttle-after", "not key=value"),
    ],
)
def test_a_bad_fault_header_is_400_naming_the_problem(client, header, mentions):
    response = client.get(EVENTS, headers={**TOKEN, "mockgraph-fault": header})
    assert response.status_code == 400
    assert mentions in response.get_json()["error"]["message"]


def test_the_header_parses_ranges_lists_and_numbers():
    plan = parse_fault_header("latency-ms=100-300; failure-statuses=503,504; failure-rate=0.5; seed=9", FaultPlan())
    assert plan == FaultPlan(seed=9, latency_ms=(100.0, 300.0), failure_rate=0.5, failure_statuses=(503, 504))
    with pytest.raises(BadRequest):
        parse_fault_header("seed=-1", FaultPlan())


@pytest.mark.parametrize(
    "table,mentions",
    [
        ({"failure_rat": 0.1}, "faults.unknown key 'failure_rat'"),
        ({"operations": {"nope": {}}}, "unknown operationId 'nope'"),
        ({"operations": {CREATE: {"throttle_after": "x"}}}, f"faults.operations.{CREATE}.'throttle_after'"),
        ({"throttle_window_s": 0}, "'throttle_window_s' must be a positive number"),
    ],
)
def test_bad_fault_settings_fail_at_start_naming_the_key(table, mentions):
    with pytest.raises(ConfigError) as raised:
        parse_faults(table, OPERATIONS)
    assert mentions in str(raised.value)


def test_per_operation_settings_inherit_the_global_ones():
    settings = parse_faults({"seed": 4, "failure_rate": 0.1, "operations": {CREATE: {"failure_rate": 0.9}}}, OPERATIONS)
    assert settings.plan_for(CREATE) == FaultPlan(seed=4, failure_rate=0.9)
    assert settings.plan_for(LIST) == FaultPlan(seed=4, failure_rate=0.1)
