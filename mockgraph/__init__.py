"""mockgraph: a contract-first mock of Microsoft Graph's privilegedOperationEvents API.

``create_app`` is imported on first use, so loading the pytest plugin (which every pytest run
does once mockgraph is installed) does not import Flask and the contract machinery.
"""

from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from mockgraph.app import create_app

        return create_app
    raise AttributeError(f"module 'mockgraph' has no attribute {name!r}")
