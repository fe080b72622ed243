"""The stateful mock against its own contract, in-process: create -> get/update/delete chains.

Schemathesis's state machine follows the contract's links (POST 201 -> GET/PATCH/DELETE by
``$response.body#/id``) and checks every answer, including that a created item is gettable at
once (`ensure_resource_availability`) and that a deleted one is gone (`use_after_free`).
"""

from __future__ import annotations

import schemathesis
from hypothesis import settings

from contracts.harness import TOKEN, load_config
from mockgraph import create_app
from mockgraph.odata_formats import register_filter_format

app = create_app({"TOKENS": [TOKEN], "MODE": "stateful", "STORE": ":memory:"})
config = load_config()
config.projects.default.phases.stateful.enabled = True  # the shared file leaves it to stateful servers
schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=config)
register_filter_format(app.extensions["mockgraph"]["document"])


@schema.auth()
class BearerToken:
    """Explicit credentials, so `ignored_auth` also probes with missing and invalid tokens."""

    def get(self, case, context):
        return TOKEN

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


StatefulMock = schema.as_state_machine()
StatefulMock.TestCase.settings = settings(max_examples=40, stateful_step_count=8, deadline=None, derandomize=True)
TestStatefulMockConformsToItsContract = StatefulMock.TestCase
