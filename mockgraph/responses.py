"""What answers a request: Graph's headers, its error envelope, the documented example.

Pure: builds bytes and header lists; the Flask layer only copies them onto a response.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson

from mockgraph.exceptions import GraphError

JSON_CONTENT_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
TEXT_CONTENT_TYPE = "text/plain;charset=utf-8"
ODATA_HEADERS = (("OData-Version", "4.0"),)


def new_request_id() -> str:
    return str(uuid.uuid4())


def correlation_headers(request_id: str, client_request_id: str | None) -> list[tuple[str, str]]:
    """request-id always; client-request-id echoed, or the request-id when the client sent none."""
    return [("request-id", request_id), ("client-request-id", client_request_id or request_id), *ODATA_HEADERS]


def error_body(error: GraphError, request_id: str, client_request_id: str | None) -> bytes:
    """Graph's envelope; innerError.date is UTC without an offset, as Graph writes it."""
    return orjson.dumps(
        {
            "error": {
                "code": error.code,
                "message": error.message,
                "innerError": {
                    "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                    "request-id": request_id,
                    "client-request-id": client_request_id or request_id,
                },
            }
        }
    )


def media_content_type(media_type: str | None) -> str | None:
    """The Content-Type Graph sends for a documented media type."""
    if media_type is None:
        return None
    if media_type == "application/json":
        return JSON_CONTENT_TYPE
    if media_type == "text/plain":
        return TEXT_CONTENT_TYPE
    return media_type
