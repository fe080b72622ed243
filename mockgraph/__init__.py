"""mockgraph: a contract-first mock of Microsoft Graph's privilegedOperationEvents API."""

from mockgraph.app import create_app

__all__ = ["create_app"]
