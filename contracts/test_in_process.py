"""The mock against its own contract, in-process: every operation, all phases and checks.

The app accepts only the harness's token, so `ignored_auth` can prove that missing and
invalid tokens are refused. Faults are off whatever a mockgraph.toml says: contract runs see
the contract's own answers. MOCKGRAPH_CONTRACT_APP points the same tests at another WSGI app
(tests/test_harness_catches_breaks.py uses it on deliberately broken ones).
"""

from __future__ import annotations

import schemathesis
from schemathesis.core.failures import FailureGroup
from schemathesis.engine import Status

from contracts.harness import load_app_under_test, load_config, use_harness_token
from mockgraph.config import default_contract_path

# The contract comes from mockgraph, never from the app under test (which could serve its own).
schema = schemathesis.openapi.from_path(default_contract_path(), config=load_config())
schema.app = load_app_under_test()
use_harness_token(schema)
failed_checks: list[str] = []


@schema.hook("after_validate")
def remember_failed_checks(context, case, response, results) -> None:
    """Schemathesis reports failure codes (ST103); keep the names of the checks that failed too."""
    failed_checks[:] = [result.name for result in results if result.status == Status.FAILURE]


@schema.parametrize()
def test_mock_conforms_to_its_contract(case):
    failed_checks.clear()
    try:
        case.call_and_validate()
    except FailureGroup as group:
        group.add_note(f"failed checks: {', '.join(failed_checks) or 'unknown'}")
        raise
