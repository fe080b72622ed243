"""Where stateful mode keeps entities: SQLite, in memory for the in-process app, a file for `serve`.

One interface for both. Each entity set is a table holding the entity's JSON as answered plus
one column per queryable property (datetimes as UTC ticks, so comparisons and ordering are
exact whatever offset or precision the client wrote), indexed per sandbox so a filtered,
ordered page costs an index range rather than a scan of the store. Each property's index ends
with the entity set's sort key (the ordering the contract documents, ``creationDateTime``), so
"``x eq 'v'`` ordered by creationDateTime" reads one page off an index instead of sorting
every match.

A file store is shared by every gunicorn worker: WAL journal (readers never wait for the
writer), a busy timeout for writers, and a connection opened lazily in each process, since
SQLite connections must not cross a fork and the server builds the app before forking. Every
write is committed before the call returns, so what was acknowledged survives a killed worker.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import orjson

from mockgraph.exceptions import BadRequest, ConfigError, ContractError, ServiceUnavailable
from mockgraph.odata_terms import DATETIME, Condition
from mockgraph.timestamps import to_ticks

MEMORY = ":memory:"
BUSY_TIMEOUT_MS = 30_000
SQLITE_MAX_INT = 2**63 - 1
_IDENTIFIER_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class Database:
    """One SQLite database; a connection per process, used by one thread at a time."""

    def __init__(self, location: str | Path = MEMORY):
        self.location = str(location)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pid: int | None = None
        # A connection inherited across a fork is kept, never used and never closed: closing it in
        # the child could drop the parent's file locks.
        self._inherited: list[sqlite3.Connection] = []
        self._schemas: list[str] = []

    @property
    def is_memory(self) -> bool:
        return self.location == MEMORY

    def add_schema(self, statements: list[str]) -> None:
        """Statements (idempotent) run on every new connection before its first use."""
        self._schemas += statements
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                for statement in statements:
                    self._connection.execute(statement)

    def prepare(self) -> None:
        """Create the schema now (so a bad path fails at start), then let go of a file connection.

        The server calls this before forking its workers; each worker then opens its own.
        """
        with self.connection():
            pass
        if not self.is_memory:
            self.close()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                if self._pid == os.getpid():
                    self._connection.close()
                else:
                    self._inherited.append(self._connection)
            self._connection = None

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """This process's connection; a store still locked after the busy timeout is a 503."""
        with self._lock:
            if self._connection is None or self._pid != os.getpid():
                if self._connection is not None:
                    self._inherited.append(self._connection)
                self._connection = self._open()
                self._pid = os.getpid()
            try:
                yield self._connection
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                raise ServiceUnavailable(
                    "The store is busy; retry after the time in Retry-After.", headers={"Retry-After": "1"}
                ) from error

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the write lock from its start (no upgrade deadlocks)."""
        with self.connection() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def _open(self) -> sqlite3.Connection:
        if not self.is_memory:
            Path(self.location).parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = sqlite3.connect(
                self.location, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            )
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not self.is_memory:
                connection.execute("PRAGMA journal_mode = WAL")
                # A killed process loses nothing committed under NORMAL; only a power cut could.
                connection.execute("PRAGMA synchronous = NORMAL")
            for statement in self._schemas:
                connection.execute(statement)
        except sqlite3.Error as error:
            raise ConfigError(f"cannot open the store at {self.location}: {error}") from error
        return connection


class EntityTable:
    """The entities of one entity set, partitioned by sandbox."""

    def __init__(
        self, database: Database, name: str, kinds: Mapping[str, str], key: str = "id", sort_key: str | None = None
    ):
        for column in kinds:
            if not column or not set(column) <= _IDENTIFIER_CHARS:
                raise ContractError(f"property '{column}' cannot be a store column")
        if key not in kinds:
            raise ContractError(f"the key property '{key}' is not among the queryable properties")
        self.database = database
        self.kinds = dict(kinds)
        self.key = key
        self.sort_key = sort_key if sort_key in self.kinds else None
        fingerprint = hashlib.sha256(repr(sorted(self.kinds.items())).encode()).hexdigest()[:10]
        self.table = f"{''.join(ch for ch in name if ch in _IDENTIFIER_CHARS)}_{fingerprint}"
        self._columns = list(self.kinds)
        database.add_schema(self._schema())

    def _schema(self) -> list[str]:
        table = _quote(self.table)
        columns = ", ".join(
            f"{_quote(name)} {'INTEGER' if kind == DATETIME else 'TEXT'}" for name, kind in self.kinds.items()
        )
        statements = [
            f"CREATE TABLE IF NOT EXISTS {table} "
            f"(seq INTEGER PRIMARY KEY AUTOINCREMENT, sandbox TEXT NOT NULL, body BLOB NOT NULL, {columns})",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {_quote(self.table + '__key')} "
            f"ON {table} (sandbox, {_quote(self.key)})",
            f"CREATE INDEX IF NOT EXISTS {_quote(self.table + '__seq')} ON {table} (sandbox, seq)",
        ]
        for name in self.kinds:
            if name == self.key:
                continue
            columns = [name] if name == self.sort_key or self.sort_key is None else [name, self.sort_key]
            index = _quote(f"{self.table}__{'__'.join(columns)}")
            listed = ", ".join(_quote(column) for column in columns)
            statements.append(f"CREATE INDEX IF NOT EXISTS {index} ON {table} (sandbox, {listed})")
        return statements

    def _row(self, entity: Mapping) -> list:
        values = []
        for name, kind in self.kinds.items():
            value = entity.get(name)
            if not isinstance(value, str):
                value = None
            elif kind == DATETIME:
                value = to_ticks(value)
            values.append(value)
        return values

    def insert(self, sandbox: str, entity: Mapping) -> None:
        """Store a new entity; committed when this returns."""
        with self.database.connection() as connection:
            connection.execute(self._insert_sql(), [sandbox, orjson.dumps(entity), *self._row(entity)])

    def insert_many(self, sandbox: str, entities: list[Mapping], *, replace: bool = False) -> None:
        """Store many entities in one transaction (seeds, benchmarks): all or none.

        With ``replace`` an entity whose key is already stored takes the stored one's place.
        """
        with self.database.transaction() as connection:
            connection.executemany(
                self._insert_sql(replace),
                ([sandbox, orjson.dumps(entity), *self._row(entity)] for entity in entities),
            )

    def _insert_sql(self, replace: bool = False) -> str:
        names = ", ".join(_quote(name) for name in self._columns)
        marks = ", ".join("?" for _ in self._columns)
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        return f"{verb} INTO {_quote(self.table)} (sandbox, body, {names}) VALUES (?, ?, {marks})"

    def get(self, sandbox: str, key: str) -> bytes | None:
        """The entity's JSON, or None."""
        with self.database.connection() as connection:
            row = connection.execute(
                f"SELECT body FROM {_quote(self.table)} WHERE sandbox = ? AND {_quote(self.key)} = ?", (sandbox, key)
            ).fetchone()
        return row[0] if row else None

    def update(self, sandbox: str, key: str, changes: Mapping) -> dict | None:
        """Merge ``changes`` into the entity; the merged entity, or None when there is none."""
        table, key_column = _quote(self.table), _quote(self.key)
        with self.database.transaction() as connection:
            row = connection.execute(
                f"SELECT seq, body FROM {table} WHERE sandbox = ? AND {key_column} = ?", (sandbox, key)
            ).fetchone()
            if row is None:
                return None
            entity = {**orjson.loads(row[1]), **changes}
            assignments = ", ".join(f"{_quote(name)} = ?" for name in self._columns)
            connection.execute(
                f"UPDATE {table} SET body = ?, {assignments} WHERE seq = ?",
                [orjson.dumps(entity), *self._row(entity), row[0]],
            )
        return entity

    def delete(self, sandbox: str, key: str) -> bool:
        with self.database.connection() as connection:
            cursor = connection.execute(
                f"DELETE FROM {_quote(self.table)} WHERE sandbox = ? AND {_quote(self.key)} = ?", (sandbox, key)
            )
        return cursor.rowcount > 0

    def select(
        self,
        sandbox: str,
        where: Condition,
        order: list[tuple[str, bool]],
        offset: int = 0,
        limit: int | None = None,
    ) -> list[bytes]:
        """The JSON of the matching entities, ordered (insertion order breaks ties), one page."""
        sql, params = self.select_sql(sandbox, where, order, offset, limit)
        with self.database.connection() as connection:
            rows = connection.execute(sql, params).fetchall()
        return [row[0] for row in rows]

    def select_sql(
        self, sandbox: str, where: Condition, order: list[tuple[str, bool]], offset: int = 0, limit: int | None = None
    ) -> tuple[str, list]:
        """The statement ``select`` runs, and its parameters (the benchmark explains its plan)."""
        ordering = ", ".join(f"{_quote(name)} {'DESC' if descending else 'ASC'}" for name, descending in order)
        # Ties break by insertion, in the first key's direction, so an index scan in either
        # direction yields the page without sorting.
        ordering = f"{ordering}, seq {'DESC' if order[0][1] else 'ASC'}" if ordering else "seq"
        sql = (
            f"SELECT body FROM {_quote(self.table)} WHERE sandbox = ? AND {where.sql} "
            f"ORDER BY {ordering} LIMIT ? OFFSET ?"
        )
        # Any integer is a valid $skip or $top; past SQLite's 64-bit range there are no more rows.
        limit = -1 if limit is None else min(limit, SQLITE_MAX_INT)
        return sql, [sandbox, *where.params, limit, min(offset, SQLITE_MAX_INT)]

    def clear(self) -> None:
        """Forget every entity of every sandbox."""
        with self.database.connection() as connection:
            connection.execute(f"DELETE FROM {_quote(self.table)}")

    def count(self, sandbox: str, where: Condition) -> int:
        sql = f"SELECT count(*) FROM {_quote(self.table)} WHERE sandbox = ? AND {where.sql}"
        with self.database.connection() as connection:
            return connection.execute(sql, [sandbox, *where.params]).fetchone()[0]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class StatefulStore:
    """The whole of stateful mode's state, for the admin API and seed files: ``load`` and ``reset``.

    Seed events go to the default sandbox of the one entity set (the contract has one), keep the
    ids they carry (others get one; a stored event with the same id is replaced, so a server
    restarted on its file store with the same seed file starts as it did before), and are
    checked first by ``check`` (the create operation's body schema), so what is loaded can be
    answered within the contract. A file store's connection is let go afterwards: the server
    seeds before it forks its workers.
    """

    def __init__(self, tables: Mapping[str, EntityTable], check: Callable[[dict], None] | None = None):
        self.tables = dict(tables)
        self._check = check

    def load(self, events: list[dict]) -> None:
        if len(self.tables) != 1:
            raise ConfigError(f"seed events need exactly one entity set; the contract has {len(self.tables)}")
        table = next(iter(self.tables.values()))
        entities = []
        for index, event in enumerate(events):
            entity = dict(event)
            key = entity.pop(table.key, None)
            if key is not None and not isinstance(key, str):
                raise BadRequest(f"Seed event {index}: '{table.key}' must be a string.")
            if self._check is not None:
                try:
                    self._check(entity)
                except BadRequest as error:
                    raise BadRequest(f"Seed event {index}: {error.message}") from None
            entities.append({table.key: key or str(uuid.uuid4()), **entity})
        table.insert_many("", entities, replace=True)
        if not table.database.is_memory:
            table.database.close()

    def reset(self) -> None:
        for table in self.tables.values():
            table.clear()
