"""One exception hierarchy for everything mockgraph can refuse.

Each GraphError carries the HTTP status and Graph's error ``code``; ``mockgraph.errors``
turns any of them into Graph's envelope in one place. The hierarchy is free of Flask so
the modules that shape data can raise it.
"""

from __future__ import annotations


class MockGraphError(Exception):
    """Root of every error mockgraph raises."""


class ContractError(MockGraphError):
    """The contract (or a page it is derived from) cannot be used."""


class PageFormatError(ContractError):
    """A Graph docs page does not follow the format the deriver reads."""


class ConfigError(MockGraphError):
    """A setting (mockgraph.toml, a MOCKGRAPH_* variable, a flag) is unknown, of the wrong type or unusable."""


class GraphError(MockGraphError):
    """An error answered to the client in Graph's error envelope."""

    status = 500
    code = "generalException"

    def __init__(self, message: str, *, code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.headers = headers or {}


class BadRequest(GraphError):
    status = 400
    code = "BadRequest"


class InvalidAuthenticationToken(GraphError):
    status = 401
    code = "InvalidAuthenticationToken"


class AccessDenied(GraphError):
    status = 403
    code = "accessDenied"


class ItemNotFound(GraphError):
    status = 404
    code = "itemNotFound"


class ResourceNotFound(GraphError):
    """No operation lives at the requested path."""

    status = 404
    code = "ResourceNotFound"


class MethodNotAllowed(GraphError):
    status = 405
    code = "Request_BadRequest"


class NotAcceptable(GraphError):
    status = 406
    code = "NotAcceptable"


class PayloadTooLarge(GraphError):
    status = 413
    code = "RequestEntityTooLarge"


class UnsupportedMediaType(GraphError):
    status = 415
    code = "UnsupportedMediaType"


class TooManyRequests(GraphError):
    status = 429
    code = "TooManyRequests"


class InternalServerError(GraphError):
    status = 500
    code = "generalException"


class Conflict(GraphError):
    status = 409
    code = "Conflict"


class ServiceUnavailable(GraphError):
    status = 503
    code = "serviceNotAvailable"


class GatewayTimeout(GraphError):
    status = 504
    code = "gatewayTimeout"


_BY_STATUS = {
    cls.status: cls
    for cls in (
        BadRequest,
        InvalidAuthenticationToken,
        AccessDenied,
        ResourceNotFound,
        MethodNotAllowed,
        NotAcceptable,
        Conflict,
        PayloadTooLarge,
        UnsupportedMediaType,
        TooManyRequests,
        InternalServerError,
        ServiceUnavailable,
        GatewayTimeout,
    )
}


def error_for_status(status: int, message: str, **kwargs) -> GraphError:
    """The GraphError subclass that answers ``status`` (a plain GraphError for others)."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        error = GraphError(message, **kwargs)
        error.status = status
        return error
    return cls(message, **kwargs)
