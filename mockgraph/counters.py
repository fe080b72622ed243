"""Server-wide request counters for deterministic faults, shared by every gunicorn worker.

A seeded fault sequence is indexed by how many requests an operation has received on this
server (not in one worker), so the same seed gives the same sequence however gunicorn spreads
requests over its workers. Throttling windows count the same way: a sliding window of the
requests admitted in the last W seconds, so "N per W seconds" holds over any W seconds.
"""

from __future__ import annotations

from mockgraph.shared_db import SharedDatabase


class Counters:
    def __init__(self, database: SharedDatabase):
        self.database = database

    def increment(self, scope: str) -> int:
        """Count one more request in ``scope``; return the new count (1 for the first)."""
        row = (
            self.database.connection()
            .execute(
                "INSERT INTO counters (scope, value) VALUES (?, 1) "
                "ON CONFLICT(scope) DO UPDATE SET value = value + 1 RETURNING value",
                (scope,),
            )
            .fetchone()
        )
        return int(row[0])

    def admit(self, scope: str, limit: int, window_s: float, now: float) -> float | None:
        """Admit one request into ``scope`` if fewer than ``limit`` were admitted in the last ``window_s``
        seconds; else admit nothing and return the seconds until one of them leaves the window.

        Refused requests are not counted, so a client that waits what it was told gets through.
        """
        connection = self.database.connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute("DELETE FROM admitted WHERE scope = ? AND at <= ?", (scope, now - window_s))
            count, oldest = connection.execute(
                "SELECT count(*), min(at) FROM admitted WHERE scope = ?", (scope,)
            ).fetchone()
            if count >= limit:
                return window_s if oldest is None else max(0.0, oldest + window_s - now)
            connection.execute("INSERT INTO admitted (scope, at) VALUES (?, ?)", (scope, now))
            return None
        finally:
            connection.execute("COMMIT")

    def clear(self) -> None:
        """Start every sequence and window again (the admin API's reset)."""
        connection = self.database.connection()
        connection.execute("DELETE FROM counters")
        connection.execute("DELETE FROM admitted")
