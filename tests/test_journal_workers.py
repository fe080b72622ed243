"""One journal per server although each worker keeps its own entries: a read gathers them all.

A forked child process stands in for a second gunicorn worker (the journal is built before the
fork, as the server builds the app before forking its workers).
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import time

import pytest

from mockgraph.journal import Journal, Query
from mockgraph.peers import Peers

WAIT_S = 10


def _record(journal: Journal, path: str) -> None:
    journal.record(
        "POST", path, 201, True, "op", {}, {"HTTP_AUTHORIZATION": "Bearer <redacted>"}, [], None, None, b"{}", b"{}"
    )
    time.sleep(0.002)  # distinct times, so the merged order is the recording order


def _worker(journal: Journal, paths: list[str], connection) -> None:
    for path in paths:
        _record(journal, path)
    connection.send("recorded")
    connection.poll(WAIT_S)  # serve the parent's reads until it says stop (or the bound runs out)


@pytest.fixture
def forked():
    """Run ``_worker`` in a forked process; stop it (by its own handle) at the end."""
    context = multiprocessing.get_context("fork")
    started = []

    def start(journal: Journal, paths: list[str]) -> None:
        parent_end, child_end = context.Pipe()
        process = context.Process(target=_worker, args=(journal, paths, child_end), daemon=True)
        process.start()
        assert parent_end.poll(WAIT_S) and parent_end.recv() == "recorded"
        started.append((process, parent_end))
        return process.pid

    yield start
    for process, parent_end in started:
        parent_end.send("stop")
        process.join(WAIT_S)
        if process.is_alive():
            process.kill()


def test_a_read_gathers_every_workers_entries_merged_by_time(forked):
    journal = Journal(10)
    _record(journal, "/first")
    child = forked(journal, ["/second", "/third"])
    _record(journal, "/fourth")
    entries = journal.entries()
    assert [entry["path"] for entry in entries] == ["/first", "/second", "/third", "/fourth"]
    assert [entry["worker"] for entry in entries] == [os.getpid(), child, child, os.getpid()]
    assert entries[1]["id"] == f"{child}-2" and entries[0]["id"] == f"{os.getpid()}-1"


def test_the_bound_and_the_filters_apply_to_the_whole_server(forked):
    journal = Journal(3)
    _record(journal, "/a")
    forked(journal, ["/b", "/c"])
    _record(journal, "/d")
    assert [entry["path"] for entry in journal.entries()] == ["/b", "/c", "/d"]
    assert [entry["path"] for entry in journal.entries(Query(path="/[ab]*"))] == ["/b"]
    assert [entry["path"] for entry in journal.entries(Query(limit=1))] == ["/d"]


def test_clearing_empties_every_worker(forked):
    journal = Journal(10)
    _record(journal, "/mine")
    forked(journal, ["/theirs"])
    assert len(journal.entries()) == 2
    journal.clear()
    assert journal.entries() == []


def test_a_worker_that_is_gone_is_skipped_and_its_socket_removed(tmp_path):
    stale = tmp_path / "99999999.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as orphan:
        orphan.bind(str(stale))  # bound, never listening: as a worker killed without cleaning up
    peers = Peers(tmp_path, lambda request: ["never"])
    assert peers.ask({"op": "entries"}, own_pid=os.getpid()) == []
    assert not stale.exists()


def test_a_listener_answers_other_processes_and_keeps_answering_after_a_bad_request(tmp_path):
    peers = Peers(tmp_path, lambda request: {"echo": request})
    peers.listen(12345)  # as worker 12345
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as rude:
        rude.settimeout(WAIT_S)
        rude.connect(str(tmp_path / "12345.sock"))
        rude.sendall(b"not json\n")
        assert rude.recv(100) == b""  # closed without an answer
    assert peers.ask({"op": "entries"}, own_pid=1) == [{"echo": {"op": "entries"}}]
    assert peers.ask({"op": "entries"}, own_pid=12345) == []  # a process does not ask itself


def test_a_new_process_with_a_gone_workers_pid_takes_its_socket_over(tmp_path):
    (tmp_path / "4242.sock").write_bytes(b"")  # left behind by a worker that had pid 4242
    peers = Peers(tmp_path, lambda request: "fresh")
    peers.listen(4242)
    assert peers.ask({"op": "entries"}, own_pid=1) == ["fresh"]
