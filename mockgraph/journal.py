"""The request journal: what clients sent and what they were answered, bounded, one per server.

Tests read it back to assert what their client sent (WireMock's idea), and, unlike WireMock,
each entry says whether the request matched the contract and, when not, why (the message of
the GraphError that answered it). Bearer tokens are redacted before anything is stored. The
journal keeps the newest ``size`` entries; older ones are dropped as new ones arrive.

Recording is on every request's path, so it is an append to this process's memory: no system
call, no lock between processes, nothing that lets go of the GIL (a SQLite INSERT shared by the
workers cost about 100 microseconds of CPU per request under load; see BENCHMARKS.md). A read
gathers every worker's part (``mockgraph.peers``) and merges them by time.
Pure: no Flask here; ``mockgraph.admin`` turns a request into an entry.
"""

from __future__ import annotations

import atexit
import itertools
import shutil
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import NamedTuple

import orjson

from mockgraph import exceptions
from mockgraph.exceptions import BadRequest, GraphError
from mockgraph.peers import Peers, private_directory
from mockgraph.shared_db import PROCESS

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


FILTERS = ("method", "path", "status", "matched", "operation")


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


class RawEntry(NamedTuple):
    """One request as recorded: raw pieces, shaped only when read (``_expand``)."""

    time: float
    worker: int
    number: int  # this worker's count
    method: str
    path: str
    status: int
    matched: bool
    operation: str | None
    query: dict
    headers: dict[str, str]  # under their WSGI environ names, the credential redacted
    response_headers: list[tuple[str, str]]
    reason: str | None
    forced: object
    request_body: bytes
    response_body: bytes | None


class Journal:
    """The newest ``size`` entries, each process holding those it recorded; size 0 records nothing.

    The process that builds the journal (gunicorn's arbiter, which forks the workers, or a test's
    own process) owns its private directory; a forked worker starts answering its peers the
    first time it records.
    """

    def __init__(self, size: int):
        self.size = max(0, int(size))
        self._owner = self._process = PROCESS.pid
        self._forked = threading.Lock()
        self._entries: deque[RawEntry] = deque(maxlen=self.size or 1)
        self._sequence = itertools.count(1)
        self.peers: Peers | None = None
        if self.size:
            directory = private_directory()
            atexit.register(self._remove, directory)
            self.peers = Peers(directory, self._answer_peer)

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
        """Keep one entry; the oldest of this process's goes when it holds ``size``.

        The pieces are kept raw (request headers under their WSGI environ names, already
        redacted; response headers as sent; bodies as bytes) and shaped when read.
        """
        if not self.size:
            return
        pid = PROCESS.pid
        if pid != self._process:
            self._become(pid)
        self._entries.append(
            RawEntry(
                time.time(), pid, next(self._sequence), method, path, status, matched, operation, query,
                headers, response_headers, reason, forced, request_body, response_body,
            )
        )  # fmt: skip

    def entries(self, query: Query | None = None) -> list[dict]:
        """Entries matching ``query`` among the server's newest ``size``, oldest first.

        Each entry's ``id`` (``<worker>-<n>``) stays the same from one read to the next.
        """
        query = query or Query()
        if not self.size:
            return []
        gathered = self._own()
        for answer in self.peers.ask({"op": "entries"}, PROCESS.pid):
            gathered.extend(tuple(item) for item in answer)
        gathered.sort(key=lambda item: item[:3])
        found = [entry for *_, entry in gathered[-self.size :] if _matches(entry, query)]
        if query.limit is not None:
            found = found[-query.limit :] if query.limit else []
        return found

    def clear(self) -> None:
        """Forget every entry, in every worker."""
        self._entries.clear()
        if self.peers is not None:
            self.peers.ask({"op": "clear"}, PROCESS.pid)

    def _become(self, pid: int) -> None:
        """First entry in a forked worker: start empty (what the parent kept is the parent's to
        share) and answer the other workers from now on; binds before this request is answered."""
        with self._forked:
            if self._process == pid:
                return
            self._entries = deque(maxlen=self.size)
            self.peers.listen(pid)
            self._process = pid

    def _own(self) -> list[tuple]:
        """This process's entries as (time, worker, n, shaped entry); none inherited from a parent."""
        pid = PROCESS.pid
        kept = [item for item in list(self._entries) if item.worker == pid]
        return [(item.time, item.worker, item.number, _expand(item)) for item in kept]

    def _answer_peer(self, request: dict) -> object:
        if request.get("op") == "clear":
            self._entries.clear()
            return True
        return self._own()

    def _remove(self, directory) -> None:
        if PROCESS.pid == self._owner:
            shutil.rmtree(directory, ignore_errors=True)


def _matches(entry: dict, query: Query) -> bool:
    if query.method is not None and entry["method"] != query.method:
        return False
    if query.path is not None:
        if "*" in query.path and not fnmatchcase(entry["path"], query.path):
            return False
        if "*" not in query.path and entry["path"] != query.path:
            return False
    if query.status is not None and entry["status"] != query.status:
        return False
    if query.matched is not None and entry["matched"] is not query.matched:
        return False
    return query.operation is None or entry["operation"] == query.operation


def _expand(entry: RawEntry) -> dict:
    """A kept entry as the admin API shows it: time as RFC 3339, headers named, bodies decoded."""
    stamp = datetime.fromtimestamp(entry.time, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "id": f"{entry.worker}-{entry.number}",
        "time": stamp,
        "method": entry.method,
        "path": entry.path,
        "query": entry.query,
        "headers": {header_name(key): value for key, value in entry.headers.items()},
        "operation": entry.operation,
        "status": entry.status,
        "response": {
            "headers": {name.lower(): value for name, value in entry.response_headers},
            "body": decode_body(entry.response_body) if entry.response_body is not None else None,
        },
        "matched": bool(entry.matched),
        "reason": entry.reason,
        "forced": entry.forced,
        # The gunicorn worker that answered: the journal is one for all of them.
        "worker": entry.worker,
        "body": decode_body(entry.request_body),
    }


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
