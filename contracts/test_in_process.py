"""The mock against its own contract, in-process: every operation, all phases and checks.

The app accepts only the harness's token, so `ignored_auth` can prove that missing and
invalid tokens are refused. Faults are off whatever a mockgraph.toml says: contract runs see
the contract's own answers.
"""

from __future__ import annotations

import schemathesis

from contracts.harness import TOKEN, load_config
from mockgraph import create_app

app = create_app({"TOKENS": [TOKEN], "FAULTS": {}})
schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=load_config())


@schema.auth()
class BearerToken:
    """Explicit credentials, so `ignored_auth` also probes with missing and invalid tokens."""

    def get(self, case, context):
        return TOKEN

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schema.parametrize()
def test_mock_conforms_to_its_contract(case):
    case.call_and_validate()
