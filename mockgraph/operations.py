"""Compile the contract's operations once, at start, into what a request needs.

Each Operation holds its marshmallow schemas, required headers, security and pre-encoded
example answers, so nothing is derived again per request. Pure: no Flask here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson
from marshmallow import Schema

from mockgraph import schemas

METHODS = ("get", "put", "post", "patch", "delete")


@dataclass(frozen=True)
class Example:
    """One documented answer, encoded once."""

    name: str
    status: int
    media_type: str | None
    body: bytes
    value: object = None


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    path_parameters: tuple[str, ...]
    secured: bool
    required_headers: tuple[str, ...]
    query: Schema | None
    body: Schema | None
    body_required: bool
    body_type: str | None
    success_status: int
    examples: tuple[Example, ...] = field(default_factory=tuple)
    statuses: tuple[int, ...] = ()

    def example(self, status: int | None = None, name: str | None = None) -> Example | None:
        """The documented answer for ``status`` (default: the success status), by name if given."""
        wanted = self.success_status if status is None else status
        for example in self.examples:
            if example.status == wanted and (name is None or example.name == name):
                return example
        return None


def compile_operations(document: dict) -> list[Operation]:
    """One Operation per (path, method) in the document, in document order."""
    components = document.get("components", {})
    schema_table = components.get("schemas", {})
    global_security = document.get("security")
    operations = []
    for path, item in document.get("paths", {}).items():
        shared_parameters = item.get("parameters", [])
        for method in METHODS:
            spec = item.get(method)
            if spec is None:
                continue
            parameters = [_resolve(p, components) for p in shared_parameters + spec.get("parameters", [])]
            operations.append(_compile(path, method, spec, parameters, components, schema_table, global_security))
    return operations


def _compile(path, method, spec, parameters, components, schema_table, global_security) -> Operation:
    body_schema, body_required, body_type = None, False, None
    request_body = _resolve(spec.get("requestBody"), components) if spec.get("requestBody") else None
    if request_body:
        media = request_body.get("content", {}).get("application/json", {})
        json_schema = media.get("schema", {})
        ref = json_schema.get("$ref")
        body_type = ref.rsplit("/", 1)[-1] if ref else None
        body_schema = schemas.build_schema(json_schema, schema_table, name=body_type or f"{spec['operationId']}Body")
        body_required = bool(request_body.get("required"))
    query_parameters = [p for p in parameters if p.get("in") == "query"]
    statuses = sorted(int(code) for code in spec.get("responses", {}) if code.isdigit())
    success = next((code for code in statuses if 200 <= code < 300), 200)
    return Operation(
        operation_id=spec["operationId"],
        method=method.upper(),
        path=path,
        path_parameters=tuple(p["name"] for p in parameters if p.get("in") == "path"),
        secured=bool(spec.get("security", global_security)),
        required_headers=tuple(p["name"] for p in parameters if p.get("in") == "header" and p.get("required")),
        query=schemas.build_query_schema(query_parameters) if query_parameters else None,
        body=body_schema,
        body_required=body_required,
        body_type=body_type,
        success_status=success,
        examples=tuple(_examples(spec.get("responses", {}), components)),
        statuses=tuple(statuses),
    )


def _examples(responses: dict, components: dict):
    for code, response in responses.items():
        if not code.isdigit():
            continue
        response = _resolve(response, components)
        content = response.get("content", {})
        if not content:
            yield Example(name="empty", status=int(code), media_type=None, body=b"")
        for media_type, media in content.items():
            for name, example in media.get("examples", {}).items():
                value = example["value"]
                body = str(value).encode() if media_type == "text/plain" else orjson.dumps(value)
                yield Example(name=name, status=int(code), media_type=media_type, body=body, value=value)


def _resolve(node: dict | None, components: dict) -> dict:
    """Follow a ``#/components/<kind>/<name>`` reference."""
    seen = 0
    while node and "$ref" in node and seen < 32:
        _, _, kind, name = node["$ref"].split("/", 3)
        node = components[kind][name]
        seen += 1
    return node or {}


__all__ = ["Example", "Operation", "compile_operations"]
