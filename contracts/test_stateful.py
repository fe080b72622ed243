"""The stateful mock against its own contract, in-process: create -> get/update/delete chains.

Schemathesis's state machine follows the contract's links (POST 201 -> GET/PATCH/DELETE by
``$response.body#/id``) and checks every answer, including that a created item is gettable at
once (`ensure_resource_availability`) and that a deleted one is gone (`use_after_free`).
MOCKGRAPH_CONTRACT_APP points it at another WSGI app (tests/test_harness_catches_breaks.py).
"""

from __future__ import annotations

import schemathesis
from hypothesis import settings

from contracts.harness import load_app_under_test, load_config, use_harness_token
from mockgraph.config import default_contract_path
from mockgraph.odata_formats import register_filter_format

config = load_config()
config.projects.default.phases.stateful.enabled = True  # the shared file leaves it to stateful servers
# The contract comes from mockgraph, never from the app under test (which could serve its own).
schema = schemathesis.openapi.from_path(default_contract_path(), config=config)
schema.app = load_app_under_test(stateful=True)
use_harness_token(schema)
register_filter_format(schema.raw_schema)
# One sandbox for every request: Workbook-Session-Id is an optional header of every operation, and
# generated independently per request it would scatter create -> delete -> read chains over sandboxes.
schema.config.update(headers={"Workbook-Session-Id": "contract-run"})

StatefulMock = schema.as_state_machine()
StatefulMock.TestCase.settings = settings(max_examples=40, stateful_step_count=8, deadline=None, derandomize=True)
TestStatefulMockConformsToItsContract = StatefulMock.TestCase
