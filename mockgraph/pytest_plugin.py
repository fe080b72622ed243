"""pytest fixtures for projects that test a Graph client against mockgraph (entry point ``pytest11``).

    def test_client_sends_the_event(mockgraph):
        post_event(mockgraph.url("/beta"), {"userId": "u1"})        # the code under test
        [sent] = mockgraph.requests(method="POST")
        assert sent["body"] == {"userId": "u1"} and sent["matched"]

``mockgraph_server`` (session): `mockgraph serve` as a real gunicorn process on a free loopback
port, stopped by its PID at the end of the session. It reads mockgraph.toml from the working
directory and MOCKGRAPH_* variables like the command does; the ``mockgraph_args`` ini option
adds command-line arguments (e.g. ``--config tests/mockgraph.toml --seed-data tests/events.json``).
``mockgraph`` (function): the same server, reset (journal, fault counters, stored events)
before each test. Both are a ``mockgraph.client.MockGraph``.

Imports only the standard library at load, so it costs nothing in suites that do not use it.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

import pytest

from mockgraph.client import MockGraph
from mockgraph.process import start_server


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("mockgraph_args", "extra arguments for `mockgraph serve` in the mockgraph_server fixture", default="")


@pytest.fixture(scope="session")
def mockgraph_server(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockGraph]:
    """A live mock for the whole session, on a free 127.0.0.1 port; its log goes to a temporary file."""
    args = shlex.split(pytestconfig.getini("mockgraph_args") or "")
    log_path = tmp_path_factory.mktemp("mockgraph") / "server.log"
    try:
        server = start_server(*args, log_path=log_path)
    except RuntimeError as error:
        pytest.fail(f"mockgraph did not start: {error}", pytrace=False)
    with server:
        yield MockGraph(server.base_url)


@pytest.fixture
def mockgraph(mockgraph_server: MockGraph) -> MockGraph:
    """The session's mock, reset before this test so no journal entry or stored event leaks in."""
    mockgraph_server.reset()
    return mockgraph_server
