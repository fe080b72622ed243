"""Read the contract's entity sets and what each operation does to one, from shape alone.

An operation's role follows from its method and its path, never from its name: ``POST`` and
``GET`` on a collection path create and list, ``GET``/``PATCH``/``DELETE`` on the collection
path plus one key segment read, update and delete, and ``GET .../$count`` counts. The entity
type is the schema the collection's operations name. Pure: no Flask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mockgraph import values
from mockgraph.odata_terms import DATETIME, STRING, Columns
from mockgraph.operations import Operation

CREATE, LIST, GET, UPDATE, DELETE, COUNT = "create", "list", "get", "update", "delete", "count"
KEY = "id"
_PARAMETER = re.compile(r"^\{[^}]+\}$")
_ROLES = {
    ("collection", "POST"): CREATE,
    ("collection", "GET"): LIST,
    ("item", "GET"): GET,
    ("item", "PATCH"): UPDATE,
    ("item", "DELETE"): DELETE,
    ("count", "GET"): COUNT,
}


@dataclass(frozen=True)
class EntitySet:
    """A top-level collection of the contract and the type of its entities."""

    path: str  # /privilegedOperationEvents
    name: str  # privilegedOperationEvents
    type_name: str  # microsoft.graph.privilegedOperationEvent
    properties: dict  # every property of the type -> its JSON Schema
    columns: Columns  # the queryable ones and their kinds
    sort_key: str | None = None  # the ordering the contract's list documents, which the store indexes for

    @property
    def selectable(self) -> dict:
        return {name: schema for name, schema in self.properties.items() if not name.startswith("@")}


def classify(operation: Operation) -> tuple[str, str] | None:
    """``(role, collection path)`` for an operation on a top-level entity set; None for other shapes."""
    segments = operation.path.rstrip("/").split("/")
    if len(segments) < 2:
        return None
    last = segments[-1]
    if last == "$count":
        shape, collection = "count", segments[:-1]
    elif _PARAMETER.match(last):
        shape, collection = "item", segments[:-1]
    else:
        shape, collection = "collection", segments
    if len(collection) != 2 or not collection[1] or _PARAMETER.match(collection[1]) or collection[1].startswith("$"):
        return None
    role = _ROLES.get((shape, operation.method))
    return (role, "/".join(collection)) if role else None


def find_entity_sets(document: dict, operations: list[Operation]) -> dict[str, EntitySet]:
    """Every collection path some operation acts on, with its entity type, by collection path."""
    schemas = document.get("components", {}).get("schemas", {})
    found: dict[str, EntitySet] = {}
    for operation in operations:
        shape = classify(operation)
        if shape is None or shape[1] in found:
            continue
        path = shape[1]
        type_name = _entity_type(document, path)
        if type_name is None or type_name not in schemas:
            continue
        properties = values.resolve(schemas[type_name], schemas).get("properties", {})
        if KEY not in properties:
            continue
        found[path] = EntitySet(
            path=path,
            name=path.rsplit("/", 1)[-1],
            type_name=type_name,
            properties=dict(properties),
            columns=Columns(kinds=_queryable(properties, schemas), type_name=type_name),
            sort_key=_documented_order(document, path),
        )
    return found


def _entity_type(document: dict, path: str) -> str | None:
    """The schema named by the collection's POST body, or by an item operation's answer."""
    paths = document.get("paths", {})
    candidates = []
    post = paths.get(path, {}).get("post", {})
    candidates.append(post.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema"))
    for item_path, item in paths.items():
        if item_path.startswith(path + "/{") and item_path.count("/") == path.count("/") + 1:
            for method in ("get", "patch"):
                answer = item.get(method, {}).get("responses", {}).get("200", {})
                candidates.append(answer.get("content", {}).get("application/json", {}).get("schema"))
    for schema in candidates:
        ref = (schema or {}).get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            return ref.rsplit("/", 1)[-1]
    return None


def _documented_order(document: dict, path: str) -> str | None:
    """The first property of the first ``$orderby`` example of the collection's GET, if any."""
    for parameter in document.get("paths", {}).get(path, {}).get("get", {}).get("parameters", []):
        if parameter.get("name") == "$orderby":
            for example in parameter.get("examples", {}).values():
                words = str(example.get("value", "")).replace(",", " ").split()
                if words:
                    return words[0]
    return None


def _queryable(properties: dict, schemas: dict) -> dict[str, str]:
    """Properties that ``$filter`` and ``$orderby`` may name: the string ones (datetimes apart)."""
    kinds = {}
    for name, schema in properties.items():
        if name.startswith("@"):
            continue
        resolved = values.resolve(schema, schemas)
        concrete = [kind for kind in values.types_of(resolved) if kind != "null"]
        if concrete == ["string"]:
            kinds[name] = DATETIME if resolved.get("format") == "date-time" else STRING
    return kinds
