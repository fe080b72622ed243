"""What answers a request: Graph's headers, its error envelope, the documented example.

Pure: builds bytes and header lists; the Flask layer only copies them onto a response.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import orjson

from mockgraph.exceptions import GraphError

JSON_CONTENT_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
TEXT_CONTENT_TYPE = "text/plain;charset=utf-8"
ODATA_HEADERS = (("OData-Version", "4.0"),)


# The variant digit of a version-4 UUID (binary 10xx) for each random hex digit.
_VARIANT_DIGIT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def new_request_id() -> str:
    """A random (version 4) UUID as Graph writes request-ids; formatted directly, as str(uuid4())
    costs several times more and runs on every request."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT_DIGIT[h[16]]}{h[17:20]}-{h[20:]}"


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
