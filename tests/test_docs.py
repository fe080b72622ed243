"""The page reader understands the Graph docs format, on our spec page and on pages of other APIs."""

from __future__ import annotations

import pytest

from mockgraph.docs import parse_page, read_page
from mockgraph.exceptions import PageFormatError
from tests.conftest import CREATE_PAGE, FIXTURE_PAGES


def test_reads_the_create_page_request_line_headers_and_example_pair():
    page = read_page(CREATE_PAGE)
    assert page.title == "Create privilegedOperationEvent"
    assert page.requests == [("POST", "/privilegedOperationEvents")]
    assert [row.name for row in page.headers] == ["Authorization", "Workbook-Session-Id"]
    assert page.headers[1].required is False
    assert page.resource == "privilegedOperationEvent"
    assert page.status == 201
    (example,) = page.examples
    assert example.name == "create_privilegedoperationevent_from_privilegedoperationevents"
    assert example.request.method == "POST"
    assert example.request.url == "https://graph.microsoft.com/v1.0/privilegedOperationEvents"
    assert example.request.body["expirationTime"] == "datetime-value"
    assert example.response.status == 201
    assert example.response_annotation["@odata.type"] == "microsoft.graph.privilegedOperationEvent"


def test_reads_several_path_forms_and_the_upn_alternative():
    page = read_page(FIXTURE_PAGES / "user-get.md")
    assert page.requests == [("GET", "/me"), ("GET", "/users/{id | userPrincipalName}")]
    assert "select" in page.query_options


def test_reads_several_example_pairs_and_query_strings_in_example_urls():
    page = read_page(FIXTURE_PAGES / "group-list.md")
    assert len(page.examples) == 2
    assert all(example.response.status == 200 for example in page.examples)
    assert {"filter", "count", "top"} <= set(page.query_options)
    assert "$filter=startswith" in page.examples[1].request.url


def test_reads_a_response_without_a_body():
    page = read_page(FIXTURE_PAGES / "message-delete.md")
    assert page.examples[0].response.status == 204
    assert page.examples[0].response.body is None


def test_a_page_without_an_http_request_block_is_refused_by_name():
    with pytest.raises(PageFormatError, match="HTTP request"):
        parse_page("# Title\n\nText.\n", source="broken.md")


def test_an_example_that_is_not_json_is_refused():
    text = (
        "# T\n### HTTP request\n```http\nGET /things\n```\n"
        '<!-- { "blockType": "response" } -->\n```http\nHTTP/1.1 200 OK\n\n{not json\n```\n'
    )
    with pytest.raises(PageFormatError, match="neither JSON"):
        parse_page(text, source="bad.md")
