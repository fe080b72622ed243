"""Settings: defaults, then MOCKGRAPH_* environment variables, then explicit overrides.

Kept free of Flask so the CLI and the pytest plugin can read the same settings.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

CONTRACT_NAME = "privilegedoperationevents.yaml"
ENV_PREFIX = "MOCKGRAPH_"

DEFAULTS: dict[str, object] = {
    # The OpenAPI document to serve; None means the contract shipped with mockgraph.
    "CONTRACT": None,
    # Bodies larger than this many bytes get 413.
    "MAX_BODY_BYTES": 1024 * 1024,
    # Bearer tokens accepted; None (the default) accepts any well-formed token.
    "TOKENS": None,
    # Version roots the operations are also served under, besides the bare path.
    "PATH_PREFIXES": ["/v1.0", "/beta"],
}


def default_contract_path() -> Path:
    """The derived contract: openapi/ of a checkout, else the copy installed with the package."""
    checkout = Path(__file__).resolve().parent.parent / "openapi" / CONTRACT_NAME
    if checkout.is_file():
        return checkout
    return Path(__file__).resolve().parent / "contract" / CONTRACT_NAME


def resolve_settings(config: dict | None = None, environ: dict | None = None) -> dict:
    """Merge defaults, ``MOCKGRAPH_*`` variables (JSON-decoded where they parse) and ``config``."""
    settings = dict(DEFAULTS)
    environ = os.environ if environ is None else environ
    for key, raw in environ.items():
        if key.startswith(ENV_PREFIX):
            settings[key[len(ENV_PREFIX) :]] = _decode(raw)
    settings.update(config or {})
    if not settings["CONTRACT"]:
        settings["CONTRACT"] = str(default_contract_path())
    return settings


def _decode(raw: str) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return raw
