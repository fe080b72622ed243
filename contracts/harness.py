"""Shared pieces of the contract harness: its config, the token, and how to load the schema."""

from __future__ import annotations

import os
from pathlib import Path

from schemathesis.config import SchemathesisConfig

HERE = Path(__file__).resolve().parent
CONFIG_FILE = HERE / "schemathesis.toml"
TOKEN = "contract-test"


def load_config(max_examples: int | None = None) -> SchemathesisConfig:
    """The harness config; MOCKGRAPH_CONTRACT_EXAMPLES (or ``max_examples``) sets cases per operation."""
    config = SchemathesisConfig.from_path(CONFIG_FILE)
    wanted = max_examples or os.environ.get("MOCKGRAPH_CONTRACT_EXAMPLES")
    if wanted:
        config.projects.default.generation.update(max_examples=int(wanted))
    return config
