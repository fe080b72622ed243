"""One SQLite file shared by every gunicorn worker of a server: the fault counters.

Gunicorn runs several worker processes; a fault sequence must count the server's requests, not
one worker's, and a throttling window must hold over all of them. SQLite in
WAL mode gives that without a service to run: each process (and thread) opens its own
connection, lazily, after the fork. The file lives in a temporary directory made by the process
that built the app and removed when that process exits (never by a forked worker).
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
import threading
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    scope TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS admitted (
    scope TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS admitted_scope_at ON admitted (scope, at);
"""


class _Process:
    """This process's id, kept up to date across forks (``os.getpid`` is a system call)."""

    pid = os.getpid()

    @classmethod
    def forked(cls) -> None:
        cls.pid = os.getpid()


PROCESS = _Process
os.register_at_fork(after_in_child=_Process.forked)


class SharedDatabase:
    """A SQLite file with one connection per process and thread."""

    def __init__(self, path: str | Path | None = None):
        self._owner = os.getpid()
        if path is None:
            directory = tempfile.mkdtemp(prefix="mockgraph-")
            path = Path(directory) / "shared.sqlite3"
            atexit.register(self._remove, directory)
        self.path = Path(path)
        self._local = threading.local()
        with self.connection() as connection:
            connection.executescript(SCHEMA)

    def connection(self) -> sqlite3.Connection:
        """This process's and thread's connection (a forked worker opens its own)."""
        local = self._local
        if getattr(local, "pid", None) != PROCESS.pid:
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            local.connection, local.pid = connection, PROCESS.pid
        return local.connection

    def _remove(self, directory: str) -> None:
        if os.getpid() == self._owner:
            shutil.rmtree(directory, ignore_errors=True)
