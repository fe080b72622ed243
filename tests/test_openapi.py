"""The derived contract: what it holds, that it is valid and deterministic, and that it is current."""

from __future__ import annotations

import pytest

from mockgraph.config import CONTRACT_NAME
from mockgraph.docs import read_page
from mockgraph.openapi import derive_files, derive_openapi, dump_document, load_yaml, validate_document
from mockgraph.values import check_examples
from tests.conftest import FIXTURE_PAGES, ROOT, SOURCE

SUPPLEMENT = ROOT / "openapi" / "supplement.yaml"
COMMITTED = ROOT / "openapi" / CONTRACT_NAME
EVENT = "#/components/schemas/microsoft.graph.privilegedOperationEvent"


@pytest.fixture(scope="module")
def document():
    return derive_files(sorted(SOURCE.glob("*.md")), SUPPLEMENT)


def test_committed_contract_equals_a_fresh_derivation(document):
    assert COMMITTED.read_text(encoding="utf-8") == dump_document(document), "run `make openapi`"


def test_derivation_is_byte_identical_when_rerun(document):
    again = derive_files(sorted(SOURCE.glob("*.md")), SUPPLEMENT)
    assert dump_document(again) == dump_document(document)


def test_contract_passes_openapi_spec_validator_and_its_examples_fit_their_schemas(document):
    validate_document(document)
    assert document["openapi"] == "3.1.0"
    assert check_examples(document) == []


def test_create_operation_has_its_status_body_security_and_headers(document):
    post = document["paths"]["/privilegedOperationEvents"]["post"]
    assert post["operationId"] == "create_privilegedoperationevent_from_privilegedoperationevents"
    assert post["security"] == [{"bearerAuth": []}]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": EVENT}
    created = post["responses"]["201"]
    assert created["content"]["application/json"]["schema"] == {"$ref": EVENT}
    assert set(created["headers"]) == {"request-id", "client-request-id", "Location"}
    assert created["headers"]["Location"]["required"] is False
    assert {"400", "401", "413", "415"} <= set(post["responses"])
    session = [p for p in post["parameters"] if p["name"] == "Workbook-Session-Id"]
    assert session == [
        {
            "name": "Workbook-Session-Id",
            "in": "header",
            "required": False,
            "description": session[0]["description"],
            "schema": {"type": "string"},
        }
    ]
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def test_servers_name_the_beta_and_v1_roots(document):
    assert [server["url"] for server in document["servers"]] == [
        "https://graph.microsoft.com/beta",
        "https://graph.microsoft.com/v1.0",
    ]


def test_property_types_come_from_the_resource_facts(document):
    properties = document["components"]["schemas"]["microsoft.graph.privilegedOperationEvent"]["properties"]
    resource = [name for name in properties if not name.startswith("@") and name != "expirationTime"]
    assert len(resource) == 15
    assert properties["expirationDateTime"]["format"] == "date-time"
    assert properties["creationDateTime"]["format"] == "date-time"
    assert properties["id"]["readOnly"] is True
    assert properties["userId"]["type"] == ["string", "null"]


def test_the_page_name_expiration_time_is_accepted_and_documented_as_an_alias(document):
    alias = document["components"]["schemas"]["microsoft.graph.privilegedOperationEvent"]["properties"][
        "expirationTime"
    ]
    assert alias["x-mockgraph-alias-of"] == "expirationDateTime"
    assert "format" not in alias
    example = document["paths"]["/privilegedOperationEvents"]["post"]["requestBody"]["content"]["application/json"]
    value = example["examples"]["create_privilegedoperationevent_from_privilegedoperationevents"]["value"]
    assert value["expirationTime"] == "datetime-value"


def test_a_placeholder_that_breaks_its_type_is_replaced_and_kept_in_an_extension():
    page_text = (
        (SOURCE / "privilegedoperationevent-create.md")
        .read_text()
        .replace('"expirationTime": "datetime-value"', '"expirationDateTime": "datetime-value"')
    )
    from mockgraph.docs import parse_page

    page = parse_page(page_text, source="create.md")
    document = derive_openapi([page], load_yaml(SUPPLEMENT))
    media = document["paths"]["/privilegedOperationEvents"]["post"]["responses"]["201"]["content"]["application/json"]
    (example,) = media["examples"].values()
    assert example["value"]["expirationDateTime"] == "2024-01-01T00:00:00Z"
    assert example["x-mockgraph-placeholders"] == {"/expirationDateTime": "datetime-value"}
    assert check_examples(document) == []


def test_list_page_gives_odata_query_parameters_with_the_documented_queries(document):
    get = document["paths"]["/privilegedOperationEvents"]["get"]
    params = {p["name"]: p for p in get["parameters"]}
    assert {"$filter", "$orderby", "$top", "$skip", "$count", "$select"} <= set(params)
    assert params["$top"]["schema"] == {"type": "integer", "minimum": 0}
    assert params["$count"]["schema"] == {"type": "boolean"}
    filters = [e["value"] for e in params["$filter"]["examples"].values()]
    assert "requestType eq 'Assign'" in filters
    schema = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert schema.endswith("privilegedOperationEventCollectionResponse")


def test_id_paths_and_count_path_are_derived(document):
    item = document["paths"]["/privilegedOperationEvents/{privilegedOperationEvent-id}"]
    assert set(item) == {"get", "patch", "delete"}
    assert "204" in item["delete"]["responses"] and "404" in item["delete"]["responses"]
    count = document["paths"]["/privilegedOperationEvents/$count"]["get"]
    assert "text/plain" in count["responses"]["200"]["content"]


# --- pages of other APIs, written as fixtures --------------------------------------------------


@pytest.fixture(scope="module")
def foreign():
    pages = sorted(FIXTURE_PAGES.glob("*.md"))
    document = derive_openapi([read_page(path) for path in pages], {})
    validate_document(document)
    return document


def test_other_pages_derive_to_a_valid_contract_with_their_operations(foreign):
    assert set(foreign["paths"]) == {
        "/applications",
        "/groups",
        "/me",
        "/me/messages/{message-id}",
        "/users/{user-id}",
        "/users/{user-id}/messages/{message-id}",
    }
    assert foreign["paths"]["/applications"]["post"]["operationId"] == "create_application"
    assert "201" in foreign["paths"]["/applications"]["post"]["responses"]


def test_upn_alternative_becomes_one_described_path_parameter(foreign):
    (param,) = [p for p in foreign["paths"]["/users/{user-id}"]["get"]["parameters"] if p["in"] == "path"]
    assert param["name"] == "user-id"
    assert "userPrincipalName" in param["description"]


def test_types_are_inferred_from_documented_values_without_a_supplement(foreign):
    user = foreign["components"]["schemas"]["microsoft.graph.user"]["properties"]
    assert user["accountEnabled"]["type"] == ["boolean", "null"]
    assert user["businessPhones"]["type"] == ["array", "null"]
    app = foreign["components"]["schemas"]["microsoft.graph.application"]["properties"]
    assert app["createdDateTime"]["format"] == "date-time"


def test_several_examples_of_one_operation_are_all_kept(foreign):
    get = foreign["paths"]["/groups"]["get"]
    examples = get["responses"]["200"]["content"]["application/json"]["examples"]
    assert set(examples) == {"list_groups", "list_groups_filtered"}
    headers = [p for p in get["parameters"] if p["in"] == "header"]
    assert [(p["name"], p["required"]) for p in headers] == [("ConsistencyLevel", False)]
