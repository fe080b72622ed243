"""The official msgraph-beta-sdk, unmodified, runs its whole flow against `mockgraph serve --stateful`.

Four gunicorn workers share one file store, so successive calls land on different processes.
The client is built without Azure credentials, as ../shared/notes/graph-facts.md describes: a
fixed-token AccessTokenProvider, Graph's default middleware around an httpx client, and the
adapter's base URL pointed at the mock's /beta root.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph_beta import GraphRequestAdapter, GraphServiceClient
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_beta.generated.models.privileged_operation_event import PrivilegedOperationEvent
from msgraph_beta.generated.privileged_operation_events.count.count_request_builder import CountRequestBuilder
from msgraph_beta.generated.privileged_operation_events.privileged_operation_events_request_builder import (
    PrivilegedOperationEventsRequestBuilder,
)
from msgraph_core import APIVersion, GraphClientFactory

from mockgraph.process import start_server

TOKEN = "sdk-token"
ListQuery = PrivilegedOperationEventsRequestBuilder.PrivilegedOperationEventsRequestBuilderGetQueryParameters
CountQuery = CountRequestBuilder.CountRequestBuilderGetQueryParameters
START = datetime(2017, 6, 25, 7, 0, tzinfo=UTC)


class FixedToken(AccessTokenProvider):
    """The token a test gives; no Azure identity involved."""

    def __init__(self, token: str):
        self.token = token

    async def get_authorization_token(self, uri: str, additional_authentication_context=None) -> str:
        return self.token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator([])


def graph_client(base_url: str, http: httpx.AsyncClient, token: str = TOKEN) -> GraphServiceClient:
    http = GraphClientFactory.create_with_default_middleware(api_version=APIVersion.beta, client=http)
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(FixedToken(token)), client=http)
    adapter.base_url = f"{base_url}/beta"  # no trailing slash: the SDK joins with one
    return GraphServiceClient(request_adapter=adapter)


def run(flow, base_url: str, token: str = TOKEN):
    async def main():
        async with httpx.AsyncClient(timeout=10) as http:
            return await flow(graph_client(base_url, http, token))

    return asyncio.run(main())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = tmp_path_factory.mktemp("sdk") / "events.sqlite3"
    env = {"MOCKGRAPH_TOKENS": f'["{TOKEN}"]'}
    with start_server("--stateful", "--workers", "4", "--store", str(store), env=env, timeout=60) as running:
        yield running


def test_sdk_creates_gets_patches_deletes_and_counts(server):
    async def flow(client: GraphServiceClient):
        events = client.privileged_operation_events
        sent = PrivilegedOperationEvent(
            user_name="Alex Wilber",
            request_type="Activate",
            role_name="Security Administrator",
            expiration_date_time=START + timedelta(hours=2),
        )
        created = await events.post(sent)
        fetched = await events.by_privileged_operation_event_id(created.id).get()
        before = await events.count.get(
            RequestConfiguration(query_parameters=CountQuery(filter="requestType eq 'Activate'"))
        )
        patched = await events.by_privileged_operation_event_id(created.id).patch(
            PrivilegedOperationEvent(reference_key="INC0048213", reference_system="ServiceNow")
        )
        after_patch = await events.by_privileged_operation_event_id(created.id).get()
        await events.by_privileged_operation_event_id(created.id).delete()
        after = await events.count.get(
            RequestConfiguration(query_parameters=CountQuery(filter="requestType eq 'Activate'"))
        )
        with pytest.raises(ODataError) as gone:
            await events.by_privileged_operation_event_id(created.id).get()
        return created, fetched, before, patched, after_patch, after, gone.value

    created, fetched, before, patched, after_patch, after, gone = run(flow, server.base_url)
    assert created.id and created.user_name == "Alex Wilber"
    assert created.expiration_date_time == START + timedelta(hours=2)
    assert isinstance(created.creation_date_time, datetime)  # assigned by the server, parsed by the SDK
    assert fetched.id == created.id and fetched.role_name == "Security Administrator"
    assert before == 1 and after == 0
    assert patched is None  # 204 No Content, as Graph answers a PATCH
    assert after_patch.reference_key == "INC0048213" and after_patch.user_name == "Alex Wilber"
    assert gone.response_status_code == 404 and gone.error.code == "itemNotFound"


def test_sdk_lists_with_filter_orderby_top_count_select_and_follows_next_links(server):
    async def flow(client: GraphServiceClient):
        events = client.privileged_operation_events
        made = []
        for index in range(7):
            request_type = "Assign" if index % 3 else "Unassign"
            event = PrivilegedOperationEvent(
                user_name=f"user{index}", request_type=request_type, creation_date_time=START + timedelta(minutes=index)
            )
            made.append(await events.post(event))
        query = ListQuery(
            filter="requestType eq 'Assign' and creationDateTime ge 2017-06-25T07:00:00Z",
            orderby=["creationDateTime desc"],
            top=2,
            count=True,
            select=["id", "userName", "creationDateTime"],
        )
        pages = [await events.get(RequestConfiguration(query_parameters=query))]
        while pages[-1].odata_next_link and len(pages) < 10:
            pages.append(await events.with_url(pages[-1].odata_next_link).get())
        return made, pages

    made, pages = run(flow, server.base_url)
    expected = [event.id for event in reversed(made) if event.request_type == "Assign"]
    assert [event.id for page in pages for event in page.value] == expected
    assert [len(page.value) for page in pages] == [2, 2]
    assert all(page.odata_count == 4 for page in pages)
    first = pages[0].value[0]
    assert first.user_name == "user5" and first.request_type is None  # not selected, so not sent
    assert first.creation_date_time == START + timedelta(minutes=5)


def test_sdk_raises_odata_errors_with_graphs_code_and_message_for_400_401_404(server):
    async def bad_filter(client: GraphServiceClient):
        query = ListQuery(filter="nosuchProperty eq 'x'")
        with pytest.raises(ODataError) as raised:
            await client.privileged_operation_events.get(RequestConfiguration(query_parameters=query))
        return raised.value

    async def missing(client: GraphServiceClient):
        with pytest.raises(ODataError) as raised:
            await client.privileged_operation_events.by_privileged_operation_event_id("a/b").get()
        return raised.value

    async def unauthorized(client: GraphServiceClient):
        with pytest.raises(ODataError) as raised:
            await client.privileged_operation_events.count.get()
        return raised.value

    error = run(bad_filter, server.base_url)
    assert error.response_status_code == 400 and error.error.code == "BadRequest"
    assert "nosuchProperty" in error.error.message
    error = run(missing, server.base_url)
    assert error.response_status_code == 404 and error.error.code == "itemNotFound"
    assert "'a/b'" in error.error.message  # the SDK sent a%2Fb: one key, not two segments
    error = run(unauthorized, server.base_url, token="not-the-token")
    assert error.response_status_code == 401 and error.error.code == "InvalidAuthenticationToken"
    assert error.error.inner_error is not None
