"""CORS in-process: preflights for allowed origins only; a plain OPTIONS is still the contract's 405."""

from __future__ import annotations

import pytest

from mockgraph import create_app
from mockgraph.cors import origin_allowed
from tests.conftest import TOKEN

EVENTS = "/beta/privilegedOperationEvents"


def preflight(client, origin: str, path: str = EVENTS):
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, client-request-id",
    }
    return client.options(path, headers=headers)


@pytest.mark.parametrize(
    "origin",
    ["http://localhost:5173", "https://localhost", "http://127.0.0.1:8080", "http://[::1]:3000"],
)
def test_a_preflight_from_a_loopback_origin_is_answered_by_default(client, origin):
    response = preflight(client, origin)
    assert response.status_code == 204 and response.data == b""
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "authorization, content-type, client-request-id"
    assert "Origin" in response.headers["Vary"]


@pytest.mark.parametrize("origin", ["http://evil.example", "http://localhost.evil.example", "http://127.0.0.2"])
def test_a_preflight_from_another_origin_gets_no_cors_headers(client, origin):
    response = preflight(client, origin)
    assert response.status_code == 405
    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_plain_options_is_still_405_with_allow(client):
    response = client.options(EVENTS, headers={"Origin": "http://localhost:5173"})
    assert response.status_code == 405 and {"GET", "POST"} <= set(response.headers["Allow"].split(", "))


def test_answers_to_an_allowed_origin_expose_graphs_headers(client):
    response = client.post(EVENTS, json={}, headers={**TOKEN, "Origin": "http://localhost:5173"})
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    exposed = {name.strip().lower() for name in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"request-id", "client-request-id", "retry-after", "location", "odata-version"} <= exposed


def test_error_answers_carry_cors_headers_too_so_a_browser_can_read_them(client):
    response = client.post(EVENTS, json={}, headers={"Origin": "http://localhost:5173"})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"


def test_origins_are_configurable_and_an_empty_list_turns_cors_off():
    exact = create_app({"CORS_ORIGINS": ["https://app.example"]}).test_client()
    assert preflight(exact, "https://app.example").status_code == 204
    assert preflight(exact, "http://localhost:5173").status_code == 405
    off = create_app({"CORS_ORIGINS": []}).test_client()
    assert preflight(off, "http://localhost:5173").status_code == 405


def test_origin_rules():
    assert origin_allowed("https://anything.example", ["*"])
    assert origin_allowed("http://localhost", ["loopback"])
    assert not origin_allowed("http://localhost:99999999", ["loopback"])
    assert not origin_allowed("null", ["loopback"])
