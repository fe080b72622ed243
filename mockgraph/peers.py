"""The workers of one server, asking each other for what they hold, over Unix sockets.

Each gunicorn worker keeps its own part of the journal in memory (recording must cost a
request next to nothing). A read, answered by any one worker, asks every other worker for its
part: each worker that has something to share listens on ``<directory>/<pid>.sock`` in a
private directory of the server, from a daemon thread started the first time it needs to.
Everything a worker recorded before the client got its answer is in that worker's memory
before the client can ask, so a read gathers it. A worker that is gone leaves a socket nobody
answers; the asker removes it and goes on. Pure sockets and threads: no Flask here.
"""

from __future__ import annotations

import logging
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import orjson

log = logging.getLogger("mockgraph")
# A peer that takes longer than this to answer is skipped (a read must end, whatever a worker does).
ASK_TIMEOUT_S = 5.0
MAX_REQUEST_BYTES = 4096

Handler = Callable[[dict], object]


class Peers:
    """This process's listener (started on demand) and the way to ask the other processes."""

    def __init__(self, directory: Path, handle: Handler):
        self.directory = directory
        self.handle = handle
        self._listening_pid: int | None = None
        self._start_lock = threading.Lock()

    def listen(self, pid: int) -> None:
        """Make sure process ``pid`` (this one) answers the others; binds before returning."""
        if self._listening_pid == pid:
            return
        with self._start_lock:
            if self._listening_pid == pid:
                return
            path = self.directory / f"{pid}.sock"
            path.unlink(missing_ok=True)  # left by a gone process that had this pid: ours now
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.bind(str(path))
            server.listen(16)
            threading.Thread(target=self._serve, args=(server,), name="mockgraph-peers", daemon=True).start()
            self._listening_pid = pid

    def ask(self, request: dict, own_pid: int) -> list[object]:
        """Every other listening process's answer to ``request``, in no particular order."""
        answers = []
        for path in sorted(self.directory.glob("*.sock")):
            if path.stem == str(own_pid):
                continue
            answer = self._ask_one(path, request)
            if answer is not None:
                answers.append(answer)
        return answers

    def _ask_one(self, path: Path, request: dict) -> object | None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(ASK_TIMEOUT_S)
            try:
                connection.connect(str(path))
            except (ConnectionRefusedError, FileNotFoundError):
                # Its process is gone (a worker restarted): nobody will answer there again.
                path.unlink(missing_ok=True)
                return None
            try:
                connection.sendall(orjson.dumps(request) + b"\n")
                chunks = []
                while chunk := connection.recv(1 << 16):
                    chunks.append(chunk)
            except OSError as error:
                log.warning("journal: worker %s did not answer: %s", path.stem, error)
                return None
        try:
            return orjson.loads(b"".join(chunks))
        except orjson.JSONDecodeError:
            log.warning("journal: worker %s answered garbage", path.stem)
            return None

    def _serve(self, server: socket.socket) -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                try:
                    connection.settimeout(ASK_TIMEOUT_S)
                    request = _read_line(connection)
                    connection.sendall(orjson.dumps(self.handle(orjson.loads(request))))
                except Exception:  # one bad exchange must not stop the listener
                    log.exception("journal: could not answer a peer")


def _read_line(connection: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(MAX_REQUEST_BYTES)
        if not chunk or len(data) > MAX_REQUEST_BYTES:
            raise ConnectionError("incomplete request")
        data += chunk
    return data


def private_directory() -> Path:
    """A fresh directory only this user can enter, for one server's sockets (short, for AF_UNIX)."""
    return Path(tempfile.mkdtemp(prefix="mockgraph-"))
