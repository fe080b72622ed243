"""Check one request against its compiled Operation; raise the GraphError that answers it.

Pure: takes the request's parts (headers, content type, raw body, query), so it runs the
same under Flask, in a unit test, or in a benchmark. The order mirrors Graph's: the token
first, then the body's size and media type, then its JSON, then its properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson
from marshmallow import ValidationError

from mockgraph.exceptions import BadRequest, InvalidAuthenticationToken, PayloadTooLarge, UnsupportedMediaType
from mockgraph.operations import Operation
from mockgraph.schemas import describe_errors


@dataclass
class ValidRequest:
    body: object | None
    query: dict
    document: object | None = None  # the body's JSON as sent (marshmallow reads "@odata.type" as a path)


def check_token(authorization: str | None, accepted: frozenset[str] | None = None) -> None:
    """A well-formed bearer token passes (only one of ``accepted`` when that is given); else Graph's 401."""
    text = authorization.strip() if authorization else ""
    if not text:
        raise InvalidAuthenticationToken("Access token is empty.")
    scheme, _, token = text.partition(" ")
    if scheme.lower() != "bearer":
        raise InvalidAuthenticationToken("The Authorization header must use the Bearer scheme.")
    token = token.strip()
    if not token:
        raise InvalidAuthenticationToken("Access token is empty.")
    if len(token.split(maxsplit=1)) > 1:  # split() breaks on exactly what str.isspace() calls space
        raise InvalidAuthenticationToken("Access token is malformed: it contains white space.")
    if accepted is not None and token not in accepted:
        raise InvalidAuthenticationToken("Access token validation failure: the token is not one this server accepts.")


def is_json_media_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def validate_request(
    operation: Operation,
    *,
    headers: Mapping[str, str],
    content_type: str | None,
    body: bytes,
    query: Mapping[str, str],
    max_body_bytes: int,
    tokens: frozenset[str] | None = None,
) -> ValidRequest:
    """Return the parsed body and typed query, or raise the GraphError that answers the request."""
    if operation.secured:
        check_token(headers.get("Authorization"), tokens)
    for name in operation.required_headers:
        if not headers.get(name):
            raise BadRequest(f"The header '{name}' is required.")
    query_values = _load_query(operation, query)
    if operation.body is None:
        return ValidRequest(body=None, query=query_values)
    if len(body) > max_body_bytes:
        raise PayloadTooLarge(f"The request body is larger than {max_body_bytes} bytes.")
    if not body:
        if operation.body_required:
            raise BadRequest("A request body is required: a JSON object.")
        return ValidRequest(body=None, query=query_values)
    if not is_json_media_type(content_type):
        shown = content_type or "none"
        raise UnsupportedMediaType(f"Content-Type '{shown}' is not supported; send application/json.")
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise BadRequest(f"The request body is not valid JSON: {error}.") from None
    if not isinstance(document, dict):
        raise BadRequest("The request body must be a JSON object.")
    try:
        loaded = operation.body.load(document)
    except ValidationError as error:
        raise BadRequest(" ".join(describe_errors(error.messages, operation.body_type))) from None
    return ValidRequest(body=loaded, query=query_values, document=document)


def _load_query(operation: Operation, query: Mapping[str, str]) -> dict:
    if operation.query is None or not query:
        return {}
    try:
        return operation.query.load(query)
    except ValidationError as error:
        sentences = []
        for name, messages in sorted(error.messages.items()):
            text = " ".join(m for m in messages if isinstance(m, str)) if isinstance(messages, list) else str(messages)
            sentences.append(f"Query option '{name}' has an invalid value: {text}")
        raise BadRequest(" ".join(sentences)) from None
