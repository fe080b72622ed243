"""The request journal: what clients sent and what they were answered, bounded, shared by workers.

Tests read it back to assert what their client sent (WireMock's idea), and, unlike WireMock,
each entry says whether the request matched the contract and, when not, why (the message of
the GraphError that answered it). Bearer tokens are redacted before anything is stored. The
journal keeps the newest ``size`` entries; older ones are dropped as new ones arrive.
Pure: no Flask here; ``mockgraph.admin`` turns a request into an entry.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from mockgraph import exceptions
from mockgraph.exceptions import BadRequest, GraphError
from mockgraph.shared_db import PROCESS, SharedDatabase

REDACTED = "<redacted>"
# Errors that refuse a request for not matching the contract (its path, method, token, media
# type, size or shape); other errors (a missing stored item, a 5xx) answer a matching request.
REFUSALS = (
    exceptions.BadRequest,
    exceptions.InvalidAuthenticationToken,
    exceptions.MethodNotAllowed,
    exceptions.ResourceNotFound,
    exceptions.NotAcceptable,
    exceptions.PayloadTooLarge,
    exceptions.UnsupportedMediaType,
)


def refusal_reason(error: GraphError | None, forced: bool) -> str | None:
    """Why the request did not match the contract, or None when it did (a forced answer matched)."""
    if error is None or forced or not isinstance(error, REFUSALS):
        return None
    return error.message


INSERT = (
    "INSERT INTO journal (method, path, status, matched, operation, entry, request_body, response_body) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
FILTERS = ("method", "path", "status", "matched", "operation")
# Entries past the bound are dropped in batches of this many, so most requests pay one INSERT.
PRUNE_EVERY = 64


def redact_credential(value: str) -> str:
    """An Authorization value with its credential replaced (its scheme kept, so a test can still
    check the scheme)."""
    scheme, _, credential = value.partition(" ")
    return f"{scheme} {REDACTED}" if credential else REDACTED


def header_name(environ_key: str) -> str:
    """A header's name as the journal shows it, from its WSGI environ key (HTTP_USER_AGENT ->
    user-agent, CONTENT_TYPE -> content-type)."""
    if environ_key.startswith("HTTP_"):
        environ_key = environ_key[5:]
    return environ_key.replace("_", "-").lower()


def decode_body(raw: bytes) -> object:
    """A body as JSON when it parses, else as text; None when empty."""
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", errors="replace")


CONTENT_KEYS = ("CONTENT_TYPE", "CONTENT_LENGTH")
# The header keys of an environ, by its keys in order: requests of a client repeat the same keys,
# so the scan of every key (the server's and WSGI's too) is done once per such sequence.
_HEADER_KEYS: dict[tuple[str, ...], tuple[str, ...]] = {}
HEADER_KEYS_KEPT = 64


def header_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The HTTP_ and CONTENT_ keys among an environ's keys, in their order."""
    found = _HEADER_KEYS.get(keys)
    if found is None:
        if len(_HEADER_KEYS) >= HEADER_KEYS_KEPT:
            _HEADER_KEYS.clear()
        found = _HEADER_KEYS[keys] = tuple(key for key in keys if key[:5] == "HTTP_" or key in CONTENT_KEYS)
    return found


def raw_headers(environ: dict) -> dict[str, str]:
    """The request's headers under their WSGI environ names (the journal names them when read),
    the Authorization credential redacted here, before anything is stored."""
    # CONTENT_TYPE and CONTENT_LENGTH only when set; every HTTP_ key, in the environ's order.
    headers = {key: value for key in header_keys(tuple(environ)) if (value := environ[key]) or key[0] == "H"}
    authorization = headers.get("HTTP_AUTHORIZATION")
    if authorization:
        headers["HTTP_AUTHORIZATION"] = redact_credential(authorization)
    return headers


@dataclass(frozen=True)
class Query:
    """A journal filter; every field given must match."""

    method: str | None = None
    path: str | None = None
    status: int | None = None
    matched: bool | None = None
    operation: str | None = None
    limit: int | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Query:
        """Parse query-string filters; a bad value is a 400 naming it."""
        unknown = sorted(set(args) - {*FILTERS, "limit"})
        if unknown:
            raise BadRequest(f"Unknown journal filter '{unknown[0]}'; use {', '.join((*FILTERS, 'limit'))}.")
        return cls(
            method=args["method"].upper() if args.get("method") else None,
            path=args.get("path") or None,
            status=_integer(args, "status"),
            matched=_boolean(args, "matched"),
            operation=args.get("operation") or None,
            limit=_integer(args, "limit"),
        )


class Journal:
    """Entries in the shared database, newest ``size`` kept; size 0 records nothing."""

    def __init__(self, database: SharedDatabase, size: int):
        self.database = database
        self.size = max(0, int(size))

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def record(
        self,
        method: str,
        path: str,
        status: int,
        matched: bool,
        operation: str | None,
        query: dict,
        headers: dict[str, str],
        response_headers: list[tuple[str, str]],
        reason: str | None,
        forced: object,
        request_body: bytes,
        response_body: bytes | None,
    ) -> None:
        """Append one entry and drop what falls out of the bound.

        Recording is on every request's path, so it does the least it can: the pieces are stored
        raw (request headers under their WSGI environ names, already redacted; response headers as
        sent; bodies as bytes) and shaped when read; one INSERT, and a DELETE of the overflow once
        every PRUNE_EVERY entries; reads never show more than ``size``.
        """
        if not self.size:
            return
        cursor = self.database.cursor()
        cursor.execute(
            INSERT,
            (
                method,
                path,
                status,
                1 if matched else 0,
                operation,
                orjson.dumps((time.time(), query, headers, response_headers, reason, forced, PROCESS.pid)),
                request_body,
                response_body,
            ),
        )
        row_id = cursor.lastrowid
        if row_id % PRUNE_EVERY == 0:
            cursor.execute("DELETE FROM journal WHERE id <= ?", (row_id - self.size,))

    def entries(self, query: Query | None = None) -> list[dict]:
        """Entries matching ``query``, oldest first, each with its sequence number as ``id``."""
        query = query or Query()
        clauses, values = [], []
        for column in ("method", "path", "status", "operation"):
            value = getattr(query, column)
            if value is not None:
                if column == "path" and "*" in value:
                    clauses.append("path GLOB ?")
                else:
                    clauses.append(f"{column} = ?")
                values.append(value)
        if query.matched is not None:
            clauses.append("matched = ?")
            values.append(int(query.matched))
        connection = self.database.connection()
        (newest,) = connection.execute("SELECT coalesce(max(id), 0) FROM journal").fetchone()
        clauses.append("id > ?")
        values.append(newest - self.size)
        columns = "id, method, path, status, matched, operation, entry, request_body, response_body"
        sql = f"SELECT {columns} FROM journal WHERE {' AND '.join(clauses)} ORDER BY id"
        if query.limit is not None:
            # The newest `limit` of the matches, still oldest first.
            sql = f"SELECT {columns} FROM ({sql} DESC LIMIT ?) ORDER BY id"
            values.append(query.limit)
        return [_expand(*row) for row in connection.execute(sql, values).fetchall()]

    def clear(self) -> None:
        self.database.connection().execute("DELETE FROM journal")


def _expand(
    row_id: int,
    method: str,
    path: str,
    status: int,
    matched: int,
    operation: str | None,
    stored: bytes,
    request_body: bytes,
    response_body: bytes | None,
) -> dict:
    """A stored row as the admin API shows it: time as RFC 3339, headers named, bodies decoded."""
    entry = orjson.loads(stored)
    if isinstance(entry, dict):
        # A row written before entries were stored as raw pieces (a journal file kept across versions).
        expanded = {"id": row_id, **entry}
    else:
        moment, query, headers, response_headers, reason, forced, worker = entry
        expanded = {
            "id": row_id,
            "time": moment,
            "method": method,
            "path": path,
            "query": query,
            "headers": {header_name(key): value for key, value in headers.items()},
            "operation": operation,
            "status": status,
            "response": {"headers": {name.lower(): value for name, value in response_headers}},
            "matched": bool(matched),
            "reason": reason,
            "forced": forced,
            # The gunicorn worker that answered: the journal is one for all of them.
            "worker": worker,
        }
    expanded["time"] = datetime.fromtimestamp(expanded["time"], UTC).isoformat(timespec="milliseconds")
    expanded["time"] = expanded["time"].replace("+00:00", "Z")
    expanded["body"] = decode_body(request_body)
    expanded["response"]["body"] = decode_body(response_body) if response_body is not None else None
    return expanded


def _integer(args: Mapping[str, str], name: str) -> int | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"Journal filter '{name}' must be an integer, not '{raw}'.") from None
    if value < 0:
        raise BadRequest(f"Journal filter '{name}' must not be negative.")
    return value


def _boolean(args: Mapping[str, str], name: str) -> bool | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise BadRequest(f"Journal filter '{name}' must be true or false, not '{raw}'.")
