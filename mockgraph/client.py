"""The admin API from Python: what the pytest fixtures hand to a test. Standard library only.

mock.base_url                          http://127.0.0.1:PORT
mock.url("/beta/privilegedOperationEvents")
mock.requests(method="POST", matched=False)   the journal, filtered, oldest first
mock.clear_requests()                  empty the journal
mock.reset()                           journal, fault counters and stateful store
mock.seed([...events])                 load events into the stateful store
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

ADMIN = "/_mockgraph"


class AdminError(RuntimeError):
    """The admin API refused a call; the message is the server's Graph error message."""


@dataclass
class MockGraph:
    """A running mock, reached over HTTP."""

    base_url: str
    timeout: float = 10.0

    def url(self, path: str = "") -> str:
        return self.base_url.rstrip("/") + path

    def requests(
        self,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        matched: bool | None = None,
        operation: str | None = None,
        limit: int | None = None,
    ) -> list[dict]:
        """Journal entries matching every filter given ('*' in ``path`` is a wildcard), oldest first."""
        filters = {"method": method, "path": path, "status": status, "operation": operation, "limit": limit}
        if matched is not None:
            filters["matched"] = "true" if matched else "false"
        query = urllib.parse.urlencode({key: value for key, value in filters.items() if value is not None})
        return self._call("GET", f"{ADMIN}/requests" + (f"?{query}" if query else ""))["value"]

    def clear_requests(self) -> None:
        self._call("DELETE", f"{ADMIN}/requests")

    def reset(self) -> None:
        self._call("POST", f"{ADMIN}/reset")

    def seed(self, events: list[dict]) -> int:
        """Load events into the stateful store; return how many were loaded."""
        return self._call("POST", f"{ADMIN}/seed", events)["loaded"]

    def _call(self, method: str, path: str, body: object = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        request = urllib.request.Request(self.url(path), data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                message = json.loads(raw)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = raw.decode("utf-8", errors="replace")
            raise AdminError(f"{method} {path}: {error.code} {message}") from None
        return json.loads(raw) if raw else {}
