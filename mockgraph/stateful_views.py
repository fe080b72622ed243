"""Stateful mode's Flask views: each operation acts on the store, by its shape in the contract.

``stateful_resolver`` maps every operation to a view by role (``entity_sets.classify``):
create, list, get, update, delete, count. An operation of another shape keeps its example
answer. Every view checks the request against the contract first (the token before anything
else, so a missing token is a 401 even for an id that does not exist), then acts on the
caller's sandbox: the ``Workbook-Session-Id`` header, or the shared default sandbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import quote, unquote

import orjson
from flask import Response, request
from marshmallow import ValidationError

from mockgraph import entity_sets
from mockgraph.config import accepted_tokens
from mockgraph.entity_sets import EntitySet, classify, find_entity_sets
from mockgraph.exceptions import BadRequest, ItemNotFound
from mockgraph.odata import ParsedOptions, normalize_options, parse_options
from mockgraph.operations import Operation
from mockgraph.responses import media_content_type
from mockgraph.schemas import describe_errors
from mockgraph.store import Database, EntityTable, StatefulStore
from mockgraph.timestamps import now_text
from mockgraph.validation import ValidRequest, check_token, validate_request

SANDBOX_HEADER = "Workbook-Session-Id"
JSON = media_content_type("application/json")
TEXT = media_content_type("text/plain")
View = Callable[[dict], Response]
# Characters left as sent in a nextLink's query: RFC 3986 query characters, and '%' so that
# existing escapes stay as they are.
_QUERY_SAFE = "%=&$,;:@/?!()*+-._~'"


def stateful_resolver(
    document: dict,
    operations: list[Operation],
    settings: dict,
    database: Database,
    fallback: Callable[[Operation], View],
) -> tuple[Callable[[Operation], View], StatefulStore]:
    """``resolve(operation) -> view`` for stateful mode, and the store behind it (for the admin API).

    ``fallback`` serves the operations that act on no entity set.
    """
    sets = find_entity_sets(document, operations)
    tables = {
        path: EntityTable(database, found.name, found.columns.kinds, key=entity_sets.KEY, sort_key=found.sort_key)
        for path, found in sets.items()
    }
    database.prepare()
    builders = {
        entity_sets.CREATE: _create_view,
        entity_sets.LIST: _list_view,
        entity_sets.GET: _get_view,
        entity_sets.UPDATE: _update_view,
        entity_sets.DELETE: _delete_view,
        entity_sets.COUNT: _count_view,
    }

    def resolve(operation: Operation) -> View:
        shape = classify(operation)
        if shape is None or shape[1] not in sets:
            return fallback(operation)
        role, path = shape
        return builders[role](_Context(operation, sets[path], tables[path], settings))

    creates = [op for op in operations if _role(op) == entity_sets.CREATE and op.body is not None]
    return resolve, StatefulStore(tables, _body_check(creates[0]) if len(creates) == 1 else None)


def _role(operation: Operation) -> str | None:
    shape = classify(operation)
    return shape[0] if shape else None


def _body_check(operation: Operation) -> Callable[[dict], None]:
    """A seed event checked as the create operation checks a body (a 400 naming the property)."""

    def check(event: dict) -> None:
        try:
            operation.body.load(event)
        except ValidationError as error:
            raise BadRequest(" ".join(describe_errors(error.messages, operation.body_type))) from None

    return check


class _Context:
    """What every view of one operation needs, computed once."""

    def __init__(self, operation: Operation, entity_set: EntitySet, table: EntityTable, settings: dict):
        self.operation = operation
        self.entity_set = entity_set
        self.table = table
        self.max_body = int(settings["MAX_BODY_BYTES"])
        self.page_size = int(settings["PAGE_SIZE"])
        self.tokens = accepted_tokens(settings)
        self.allowed_options = frozenset(operation.query.fields) if operation.query is not None else frozenset()

    def validate(self) -> tuple[ValidRequest, ParsedOptions]:
        """The request checked against the contract, and its OData options parsed.

        The token comes first; then the options that name properties, so an unknown property
        is refused by name before the contract's patterns refuse it in general terms.
        """
        if self.operation.secured:
            check_token(request.headers.get("Authorization"), self.tokens)
        options = normalize_options(request.args.to_dict(flat=False), self.allowed_options)
        parsed = parse_options(options, self.entity_set.columns, self.entity_set.selectable)
        valid = validate_request(
            self.operation,
            headers=request.headers,
            content_type=request.content_type,
            body=request.get_data(cache=False) if self.operation.body is not None else b"",
            query=options,
            max_body_bytes=self.max_body,
            tokens=self.tokens,
        )
        return valid, parsed

    @property
    def sandbox(self) -> str:
        return request.headers.get(SANDBOX_HEADER, "")

    def service_root(self) -> str:
        """The absolute URL of the version root the request came through (``.../beta``)."""
        path = request.path
        start = path.find(self.entity_set.path)
        return request.host_url.rstrip("/") + (path[:start] if start > 0 else "")

    def context(self, suffix: str = "") -> bytes:
        return orjson.dumps(f"{self.service_root()}/$metadata#{self.entity_set.name}{suffix}")

    def not_found(self, key: str) -> ItemNotFound:
        return ItemNotFound(
            f"Resource '{key}' does not exist or one of its queried reference-property objects are not present."
        )


def _json_response(body: bytes, status: int = 200) -> Response:
    response = Response(body, status=status)
    response.headers["Content-Type"] = JSON
    return response


def _no_content() -> Response:
    response = Response(b"", status=204)
    response.headers.pop("Content-Type", None)
    return response


def _with_context(context: bytes, entity: bytes) -> bytes:
    """Prepend ``@odata.context`` to an entity's JSON object without decoding it."""
    inner = entity[1:].lstrip()
    separator = b"" if inner.startswith(b"}") else b","
    return b'{"@odata.context":' + context + separator + inner


def _project(entity: bytes, select: tuple[str, ...] | None) -> bytes:
    if select is None:
        return entity
    decoded = orjson.loads(entity)
    return orjson.dumps({name: decoded[name] for name in select if name in decoded})


def _create_view(ctx: _Context) -> View:
    def view(path_values: dict) -> Response:
        valid, _ = ctx.validate()
        body = dict(valid.document or {})
        entity = {entity_sets.KEY: str(uuid.uuid4()), **body}
        if entity.get("creationDateTime") is None and "creationDateTime" in ctx.entity_set.properties:
            entity["creationDateTime"] = now_text()
        ctx.table.insert(ctx.sandbox, entity)
        response = _json_response(_with_context(ctx.context("/$entity"), orjson.dumps(entity)), status=201)
        key = quote(entity[entity_sets.KEY], safe="")
        response.headers["Location"] = f"{ctx.service_root()}{ctx.entity_set.path}/{key}"
        return response

    return view


def _key(ctx: _Context, path_values: dict) -> str:
    name = ctx.operation.path_parameters[-1] if ctx.operation.path_parameters else None
    return path_values.get(name, "") if name else ""


def _get_view(ctx: _Context) -> View:
    def view(path_values: dict) -> Response:
        _, parsed = ctx.validate()
        select = parsed.select
        key = _key(ctx, path_values)
        entity = ctx.table.get(ctx.sandbox, key)
        if entity is None:
            raise ctx.not_found(key)
        suffix = f"({','.join(select)})/$entity" if select else "/$entity"
        return _json_response(_with_context(ctx.context(suffix), _project(entity, select)))

    return view


def _update_view(ctx: _Context) -> View:
    def view(path_values: dict) -> Response:
        valid, _ = ctx.validate()
        key = _key(ctx, path_values)
        if ctx.table.update(ctx.sandbox, key, dict(valid.document or {})) is None:
            raise ctx.not_found(key)
        return _no_content()

    return view


def _delete_view(ctx: _Context) -> View:
    def view(path_values: dict) -> Response:
        ctx.validate()
        key = _key(ctx, path_values)
        if not ctx.table.delete(ctx.sandbox, key):
            raise ctx.not_found(key)
        return _no_content()

    return view


def _count_view(ctx: _Context) -> View:
    def view(path_values: dict) -> Response:
        _, parsed = ctx.validate()
        response = Response(str(ctx.table.count(ctx.sandbox, parsed.where)).encode(), status=200)
        response.headers["Content-Type"] = TEXT
        return response

    return view


def _list_view(ctx: _Context) -> View:
    def view(path_values: dict) -> Response:
        valid, parsed = ctx.validate()
        top = valid.query.get("$top")
        page_size = ctx.page_size if top is None else min(top, ctx.page_size)
        offset = int(valid.query.get("$skip") or 0) if parsed.skiptoken is None else parsed.skiptoken
        rows = ctx.table.select(ctx.sandbox, parsed.where, parsed.order, offset, page_size + 1 if page_size else 0)
        more = page_size > 0 and len(rows) > page_size
        rows = rows[:page_size]
        suffix = f"({','.join(parsed.select)})" if parsed.select else ""
        parts = [b'{"@odata.context":' + ctx.context(suffix)]
        if valid.query.get("$count"):
            parts.append(b'"@odata.count":' + str(ctx.table.count(ctx.sandbox, parsed.where)).encode())
        if more:
            parts.append(b'"@odata.nextLink":' + orjson.dumps(_next_link(offset + len(rows))))
        values = b",".join(_project(row, parsed.select) for row in rows)
        parts.append(b'"value":[' + values + b"]}")
        return _json_response(b",".join(parts))

    return view


def _next_link(offset: int) -> str:
    """This request's absolute URL with every option as sent, and the token of the next page."""
    pairs = [
        quote(pair, safe=_QUERY_SAFE)  # as sent, but a raw space or quote would make the URL invalid
        for pair in request.environ.get("QUERY_STRING", "").split("&")
        if pair and unquote(pair.split("=", 1)[0]) not in ("$skiptoken", "skiptoken")
    ]
    pairs.append(f"$skiptoken={offset}")
    return f"{request.host_url.rstrip('/')}{quote(request.path)}?{'&'.join(pairs)}"
