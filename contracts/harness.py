"""Shared pieces of the contract harness: its config, the token, and the app under test."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from schemathesis.config import SchemathesisConfig

HERE = Path(__file__).resolve().parent
CONFIG_FILE = HERE / "schemathesis.toml"
TOKEN = "contract-test"
# Set to "module:callable" or "module:callable:argument" to run the in-process harness against
# another WSGI app (the callable returns it); unset, the harness checks the mock itself.
APP_VARIABLE = "MOCKGRAPH_CONTRACT_APP"
EXAMPLES_VARIABLE = "MOCKGRAPH_CONTRACT_EXAMPLES"


def load_config(max_examples: int | None = None) -> SchemathesisConfig:
    """The harness config; MOCKGRAPH_CONTRACT_EXAMPLES (or ``max_examples``) sets cases per operation."""
    config = SchemathesisConfig.from_path(CONFIG_FILE)
    wanted = max_examples or os.environ.get(EXAMPLES_VARIABLE)
    if wanted:
        config.projects.default.generation.update(max_examples=int(wanted))
    return config


def max_examples(config: SchemathesisConfig) -> int:
    """Cases per operation the config asks for (what `mockgraph verify` is given over the wire)."""
    return config.projects.default.generation.max_examples


def use_harness_token(schema) -> None:
    """Send the harness token as explicit credentials, so `ignored_auth` also probes without it."""

    @schema.auth()
    class BearerToken:
        def get(self, case, context):
            return TOKEN

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def create_contract_mock(stateful: bool = False):
    """The mock as the harness checks it: only the harness token, faults off whatever mockgraph.toml says."""
    from mockgraph import create_app

    settings = {"TOKENS": [TOKEN], "FAULTS": {}}
    if stateful:
        settings.update({"MODE": "stateful", "STORE": ":memory:"})
    return create_app(settings)


def load_app_under_test(stateful: bool = False):
    """The WSGI app named by MOCKGRAPH_CONTRACT_APP, else the mock accepting only the harness token."""
    target = os.environ.get(APP_VARIABLE)
    if not target:
        return create_contract_mock(stateful)
    module_name, _, rest = target.partition(":")
    attribute, _, argument = rest.partition(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    return factory(argument) if argument else factory()
