"""Stateful mode in-process: create, get, list with OData, update, delete, count, sandboxes."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from mockgraph import create_app
from mockgraph.store import Database, EntityTable
from tests.conftest import TOKEN

EVENTS = "/beta/privilegedOperationEvents"
# The list page's own example events (ids aside, which the server assigns).
PAGE_EVENTS = [
    {"userName": "Alex Wilber", "requestType": "Assign", "creationDateTime": "2017-06-25T07:20:23.4830000Z"},
    {"userName": "Megan Bowen", "requestType": "Assign", "creationDateTime": "2017-06-24T16:05:11.1270000Z"},
    {"userName": "Alex Wilber", "requestType": "Activate", "creationDateTime": "2017-06-25T07:41:52.7390000Z"},
    {"userName": "Megan Bowen", "requestType": "Activate", "creationDateTime": "2017-06-26T10:15:04.2100000Z"},
]


@pytest.fixture
def stateful():
    return create_app({"MODE": "stateful", "STORE": ":memory:", "PAGE_SIZE": 3}).test_client()


def create(client, body: dict, headers: dict | None = None) -> dict:
    response = client.post(EVENTS, json=body, headers={**TOKEN, **(headers or {})})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def listed(client, query: str, headers: dict | None = None) -> dict:
    response = client.get(f"{EVENTS}?{query}", headers={**TOKEN, **(headers or {})})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_create_answers_201_with_the_stored_entity_its_id_context_and_location(stateful):
    response = stateful.post(EVENTS, json={"userName": "Alex", "requestType": "Assign"}, headers=TOKEN)
    assert response.status_code == 201
    body = response.get_json()
    assert body["@odata.context"] == "http://localhost/beta/$metadata#privilegedOperationEvents/$entity"
    assert body["userName"] == "Alex" and body["requestType"] == "Assign"
    assert response.headers["Location"] == f"http://localhost{EVENTS}/{body['id']}"
    assert response.headers["Content-Type"].startswith("application/json;odata.metadata=minimal")


def test_create_assigns_creation_time_unless_the_client_sent_one(stateful):
    assigned = create(stateful, {"userName": "a"})["creationDateTime"]
    assert assigned.endswith("Z") and len(assigned) == len("2017-06-25T07:20:23.4830000Z")
    kept = create(stateful, {"creationDateTime": "2017-06-25T07:20:23+00:00"})["creationDateTime"]
    assert kept == "2017-06-25T07:20:23+00:00"


def test_created_event_is_gettable_at_once_and_keeps_odata_type(stateful):
    created = create(stateful, {"@odata.type": "#microsoft.graph.privilegedOperationEvent", "roleName": "r"})
    response = stateful.get(f"{EVENTS}/{created['id']}", headers=TOKEN)
    assert response.status_code == 200
    assert response.get_json() == created
    assert created["@odata.type"] == "#microsoft.graph.privilegedOperationEvent"


def test_get_select_returns_only_the_named_properties(stateful):
    created = create(stateful, {"userName": "a", "roleName": "r"})
    body = stateful.get(f"{EVENTS}/{created['id']}?$select=roleName,id", headers=TOKEN).get_json()
    assert body == {
        "@odata.context": "http://localhost/beta/$metadata#privilegedOperationEvents(roleName,id)/$entity",
        "roleName": "r",
        "id": created["id"],
    }


def test_unknown_id_is_404_item_not_found_but_only_after_the_token_is_checked(stateful):
    for method in ("get", "patch", "delete"):
        response = getattr(stateful, method)(f"{EVENTS}/missing", headers=TOKEN, json={} if method == "patch" else None)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "itemNotFound"
        assert "'missing'" in response.get_json()["error"]["message"]
        response = getattr(stateful, method)(f"{EVENTS}/missing", json={} if method == "patch" else None)
        assert response.status_code == 401


def test_patch_merges_the_sent_properties_and_answers_204(stateful):
    created = create(stateful, {"userName": "a", "referenceKey": "old", "creationDateTime": "2017-06-25T07:20:23Z"})
    response = stateful.patch(
        f"{EVENTS}/{created['id']}", json={"referenceKey": "new", "roleName": None}, headers=TOKEN
    )
    assert response.status_code == 204 and response.get_data() == b""
    stored = stateful.get(f"{EVENTS}/{created['id']}", headers=TOKEN).get_json()
    assert stored["referenceKey"] == "new" and stored["userName"] == "a" and stored["roleName"] is None
    assert listed(stateful, "$filter=referenceKey eq 'new'")["value"][0]["id"] == created["id"]


def test_patch_is_checked_against_the_contract_before_the_store(stateful):
    created = create(stateful, {"userName": "a"})
    for body, named in [
        ({"id": "x"}, "'id'"),
        ({"id": None}, "'id'"),
        ({"bogus": 1}, "'bogus'"),
        ({"creationDateTime": "soon"}, "date-time"),
    ]:
        response = stateful.patch(f"{EVENTS}/{created['id']}", json=body, headers=TOKEN)
        assert response.status_code == 400 and named in response.get_json()["error"]["message"]
    assert stateful.get(f"{EVENTS}/{created['id']}", headers=TOKEN).get_json()["userName"] == "a"


def test_deleted_event_is_gone_for_get_patch_delete_list_and_count(stateful):
    created = create(stateful, {"userName": "a"})
    assert stateful.delete(f"{EVENTS}/{created['id']}", headers=TOKEN).status_code == 204
    assert stateful.get(f"{EVENTS}/{created['id']}", headers=TOKEN).status_code == 404
    assert stateful.patch(f"{EVENTS}/{created['id']}", json={}, headers=TOKEN).status_code == 404
    assert stateful.delete(f"{EVENTS}/{created['id']}", headers=TOKEN).status_code == 404
    assert listed(stateful, "")["value"] == []
    assert stateful.get(f"{EVENTS}/$count", headers=TOKEN).get_data() == b"0"


def test_the_list_pages_documented_queries_return_exactly_the_matching_events(stateful):
    ids = [create(stateful, event)["id"] for event in PAGE_EVENTS]
    assigned = listed(stateful, "$filter=requestType eq 'Assign'")
    assert [event["id"] for event in assigned["value"]] == [ids[0], ids[1]]
    assert assigned["@odata.context"] == "http://localhost/beta/$metadata#privilegedOperationEvents"
    ranged = listed(
        stateful,
        "$filter=(creationDateTime ge 2017-06-25T07:00:00Z) and (creationDateTime le 2017-06-25T08:00:00Z)"
        "&$count=true&$orderby=creationDateTime desc",
    )
    assert ranged["@odata.count"] == 2
    assert [event["id"] for event in ranged["value"]] == [ids[2], ids[0]]


def test_datetime_comparisons_and_ordering_see_instants_not_text(stateful):
    ids = [
        create(stateful, {"creationDateTime": text})["id"]
        for text in ["2017-06-25T09:00:00+02:00", "2017-06-25T06:59:59.9999999Z", "2017-06-25T07:00:00.5+00:00"]
    ]
    ordered = listed(stateful, "$orderby=creationDateTime")["value"]
    assert [event["id"] for event in ordered] == [ids[1], ids[0], ids[2]]
    equal = listed(stateful, "$filter=creationDateTime eq 2017-06-25T07:00:00Z")["value"]
    assert [event["id"] for event in equal] == [ids[0]]


def test_year_one_with_a_positive_offset_is_stored_listed_and_ordered_without_error(stateful):
    early = create(
        stateful, {"creationDateTime": "0001-01-01T00:00:00+23:59", "expirationDateTime": "0001-01-01T00:00:00+23:59"}
    )
    later = create(stateful, {"creationDateTime": "0001-01-01T00:00:00Z"})
    ordered = listed(stateful, "$orderby=creationDateTime asc,expirationDateTime desc")["value"]
    assert [event["id"] for event in ordered] == [early["id"], later["id"]]


def test_orderby_takes_several_keys_and_null_sorts_first(stateful):
    a = create(stateful, {"roleName": "b", "userName": "x"})["id"]
    b = create(stateful, {"roleName": "a", "userName": "x"})["id"]
    c = create(stateful, {"roleName": "c", "userName": None})["id"]
    ordered = listed(stateful, "$orderby=userName desc, roleName asc")["value"]
    assert [event["id"] for event in ordered] == [b, a, c]
    ordered = listed(stateful, "$orderby=userName,roleName desc")["value"]
    assert [event["id"] for event in ordered] == [c, a, b]


def test_select_and_count_shape_the_list(stateful):
    create(stateful, {"userName": "a", "roleName": "r"})
    body = listed(stateful, "$select=userName&$count=true")
    assert body["@odata.context"].endswith("#privilegedOperationEvents(userName)")
    assert body["value"] == [{"userName": "a"}]
    assert body["@odata.count"] == 1 and isinstance(body["@odata.count"], int)
    assert "@odata.count" not in listed(stateful, "$count=false")


def test_paging_follows_absolute_next_links_carrying_every_option(stateful):
    ids = [create(stateful, {"userName": f"user{index:02d}", "requestType": "Assign"})["id"] for index in range(8)]
    create(stateful, {"userName": "other", "requestType": "Activate"})
    query = "$filter=" + quote("requestType eq 'Assign'") + "&$orderby=userName%20desc&$count=true&$top=3&$select=id"
    seen, pages = [], 0
    url = f"{EVENTS}?{query}"
    while url and pages < 10:
        response = stateful.get(url, headers=TOKEN)
        assert response.status_code == 200
        body = response.get_json()
        assert body["@odata.count"] == 8
        seen += [event["id"] for event in body["value"]]
        link = body.get("@odata.nextLink")
        if link:
            parts = urlsplit(link)
            assert parts.scheme == "http" and parts.netloc == "localhost" and parts.path == EVENTS
            for option in ("$filter=", "$orderby=", "$count=true", "$top=3", "$select=id", "$skiptoken="):
                assert option in parts.query
            url = f"{parts.path}?{parts.query}"
        else:
            url = None
        pages += 1
    assert pages == 3
    assert seen == list(reversed(ids))


def test_next_link_is_a_valid_uri_even_when_the_request_sent_raw_spaces(stateful):
    for _ in range(2):
        create(stateful, {"requestType": "Assign"})
    environ = {"QUERY_STRING": "$filter=requestType eq 'Assign'&$top=1"}
    response = stateful.get(EVENTS, headers=TOKEN, environ_overrides=environ)
    link = response.get_json()["@odata.nextLink"]
    assert (
        link
        == "http://localhost/beta/privilegedOperationEvents?$filter=requestType%20eq%20'Assign'&$top=1&$skiptoken=1"
    )


def test_server_side_paging_applies_without_top_and_skip_offsets_the_start(stateful):
    ids = [create(stateful, {"userName": f"u{index}"})["id"] for index in range(5)]
    first = listed(stateful, "")
    assert [event["id"] for event in first["value"]] == ids[:3]  # PAGE_SIZE is 3 in this fixture
    assert first["@odata.nextLink"].startswith("http://localhost/beta/privilegedOperationEvents?")
    assert [event["id"] for event in listed(stateful, "$skip=3")["value"]] == ids[3:]
    assert listed(stateful, "$top=0") == {
        "@odata.context": "http://localhost/beta/$metadata#privilegedOperationEvents",
        "value": [],
    }


def test_the_dollar_prefix_is_optional_and_both_spellings_at_once_are_refused(stateful):
    create(stateful, {"requestType": "Assign"})
    create(stateful, {"requestType": "Activate"})
    bare = listed(stateful, "filter=requestType eq 'Assign'&count=true&top=1&select=requestType")
    assert bare["value"] == [{"requestType": "Assign"}] and bare["@odata.count"] == 1
    response = stateful.get(f"{EVENTS}?top=1&$top=2", headers=TOKEN)
    assert response.status_code == 400 and "more than once" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("$filter=nope eq 'x'", "Could not find a property named 'nope'"),
        ("$filter=requestType eq", "syntax error"),
        ("$orderby=nope desc", "Could not find a property named 'nope'"),
        ("$select=id,nope", "Could not find a property named 'nope'"),
        ("$top=-1", "$top"),
        ("$top=many", "$top"),
        ("$skiptoken=abc", "nextLink"),
        ("$expand=x", "'$expand' is not supported"),
    ],
)
def test_bad_query_options_are_400_in_graphs_envelope_naming_the_problem(stateful, query, named):
    response = stateful.get(f"{EVENTS}?{query}", headers=TOKEN)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "BadRequest" and named in error["message"]


def test_count_answers_plain_text_and_takes_a_filter(stateful):
    for event in PAGE_EVENTS:
        create(stateful, event)
    response = stateful.get(f"{EVENTS}/$count?$filter=startswith(userName,'Alex')", headers=TOKEN)
    assert response.status_code == 200 and response.get_data() == b"2"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert stateful.get(f"{EVENTS}/$count?filter=requestType eq 'Activate'", headers=TOKEN).get_data() == b"2"


def test_workbook_session_id_gives_each_caller_its_own_sandbox(stateful):
    mine = create(stateful, {"userName": "mine"}, {"Workbook-Session-Id": "run-1"})
    create(stateful, {"userName": "shared"})
    assert [e["userName"] for e in listed(stateful, "", {"Workbook-Session-Id": "run-1"})["value"]] == ["mine"]
    assert [e["userName"] for e in listed(stateful, "")["value"]] == ["shared"]
    assert listed(stateful, "", {"Workbook-Session-Id": "run-2"})["value"] == []
    assert stateful.get(f"{EVENTS}/{mine['id']}", headers=TOKEN).status_code == 404
    other = {**TOKEN, "Workbook-Session-Id": "run-2"}
    assert stateful.delete(f"{EVENTS}/{mine['id']}", headers=other).status_code == 404
    assert stateful.get(f"{EVENTS}/{mine['id']}", headers={**TOKEN, "Workbook-Session-Id": "run-1"}).status_code == 200


def test_a_key_with_an_encoded_slash_reaches_its_view_whole():
    app = create_app({"MODE": "stateful", "STORE": ":memory:"})
    client = app.test_client()
    created = create(client, {"userName": "a"})
    table: EntityTable = next(iter(_tables(app)))
    table.insert("", {"id": "a/b", "userName": "slashed"})  # ids are server-made; this one is planted
    response = client.get(f"{EVENTS}/a%2Fb", headers=TOKEN)
    assert response.status_code == 200 and response.get_json()["userName"] == "slashed"
    assert client.get(f"{EVENTS}/a%252Fb", headers=TOKEN).status_code == 404  # '%2F' literally: another key
    assert client.get(f"{EVENTS}/{created['id']}", headers=TOKEN).status_code == 200


def test_an_encoded_dollar_is_a_key_while_a_literal_one_is_the_count_segment():
    app = create_app({"MODE": "stateful", "STORE": ":memory:"})
    client = app.test_client()
    next(iter(_tables(app))).insert("", {"id": "$count", "userName": "dollar"})
    assert client.get(f"{EVENTS}/%24count", headers=TOKEN).get_json()["userName"] == "dollar"
    assert client.get(f"{EVENTS}/$count", headers=TOKEN).get_data() == b"1"


def test_skip_and_top_beyond_sqlites_integers_answer_an_empty_page_not_a_500(stateful):
    create(stateful, {"userName": "a"})
    huge = 10**30
    assert listed(stateful, f"$skip={huge}&$count=true") == {
        "@odata.context": listed(stateful, "$top=0")["@odata.context"],
        "@odata.count": 1,
        "value": [],
    }
    assert [event["userName"] for event in listed(stateful, f"$top={huge}")["value"]] == ["a"]


def _tables(app):
    return app.extensions["mockgraph"]["store"].tables.values()


def test_example_mode_stays_the_default_and_keeps_no_state(client):
    response = client.post(EVENTS, json={"userName": "x"}, headers=TOKEN)
    assert response.status_code == 201 and "id" not in response.get_json()
    assert client.get(f"{EVENTS}/anything", headers=TOKEN).status_code == 200


def test_file_store_is_shared_by_separate_connections_and_survives_reopening(tmp_path):
    path = tmp_path / "store.sqlite3"
    writer = create_app({"MODE": "stateful", "STORE": str(path)}).test_client()
    created = create(writer, {"userName": "kept"})
    reader = create_app({"MODE": "stateful", "STORE": str(path)}).test_client()
    assert reader.get(f"{EVENTS}/{created['id']}", headers=TOKEN).get_json()["userName"] == "kept"
    database = Database(path)
    with database.connection() as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_admin_seed_loads_events_keeping_their_ids_and_reset_forgets_them():
    client = create_app({"MODE": "stateful", "STORE": ":memory:"}).test_client()
    events = [{"id": "seeded-1", "requestType": "Assign"}, {"requestType": "Activate", "userName": "x"}]
    response = client.post("/_mockgraph/seed", json=events)
    assert response.status_code == 201
    assert client.get(f"{EVENTS}/seeded-1", headers=TOKEN).get_json()["requestType"] == "Assign"
    assert client.get(f"{EVENTS}/$count?$filter=requestType eq 'Activate'", headers=TOKEN).get_data() == b"1"
    response = client.post("/_mockgraph/seed", json=[{"requestType": 5}])
    assert response.status_code == 400 and "requestType" in response.get_json()["error"]["message"]
    assert client.post("/_mockgraph/reset").status_code == 204
    assert client.get(f"{EVENTS}/$count", headers=TOKEN).get_data() == b"0"


def test_an_unknown_mode_is_refused_at_start():
    from mockgraph.exceptions import ConfigError

    with pytest.raises(ConfigError, match="MODE"):
        create_app({"MODE": "sometimes"})
