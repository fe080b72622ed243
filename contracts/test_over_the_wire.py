"""The mock over the wire: real gunicorn servers, checked by `mockgraph verify` as any CI would.

Same contract, same case count as the in-process harness (MOCKGRAPH_CONTRACT_EXAMPLES). The
example mode answers fixed examples and keeps no state, so it gets every phase but the stateful
one; the stateful mode gets all four, the state machine chaining create -> get/update/delete
over the contract's links and Location headers.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml

from contracts.harness import TOKEN, load_config, max_examples
from mockgraph.config import default_contract_path
from mockgraph.process import start_server
from mockgraph.verify import REPORT_NAME

STATELESS_PHASES = "examples,coverage,fuzzing"
ALL_PHASES = "examples,coverage,fuzzing,stateful"
SERVER_ENV = {"MOCKGRAPH_TOKENS": json.dumps([TOKEN]), "MOCKGRAPH_FAULTS": "{}"}  # faults off, as in-process


@pytest.fixture(scope="module")
def server():
    with start_server("--workers", "2", env=SERVER_ENV) as running:
        yield running


@pytest.fixture(scope="module")
def stateful_server(tmp_path_factory):
    store = tmp_path_factory.mktemp("store") / "events.sqlite3"
    with start_server("--stateful", "--workers", "2", "--store", str(store), env=SERVER_ENV) as running:
        yield running


def run_verify(base_url: str, report_dir, phases: str, *headers: str) -> subprocess.CompletedProcess:
    command = [
        *(sys.executable, "-m", "mockgraph.cli", "verify"),
        *("--base-url", base_url, "--header", f"Authorization: Bearer {TOKEN}"),
        *(argument for header in headers for argument in ("--header", header)),
        *("--phases", phases, "--max-examples", str(max_examples(load_config()))),
        *("--report", str(report_dir), "--wait", "10"),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=900)


def count_operations() -> int:
    document = yaml.safe_load(default_contract_path().read_text(encoding="utf-8"))
    return sum(1 for item in document["paths"].values() for method in item if method != "parameters")


def assert_passed(result: subprocess.CompletedProcess, report_dir) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASSED: no contract failures" in result.stdout
    suite = ET.parse(report_dir / REPORT_NAME).getroot()
    assert (suite.get("failures"), suite.get("errors")) == ("0", "0")
    assert int(suite.get("tests")) == count_operations()


def test_served_mock_passes_the_contract_over_the_wire(server, tmp_path):
    assert_passed(run_verify(f"{server.base_url}/beta", tmp_path, STATELESS_PHASES), tmp_path)


def test_served_stateful_mock_passes_every_phase_including_stateful_over_the_wire(stateful_server, tmp_path):
    # One sandbox for the run: a create and the reads chained to it must see the same store.
    result = run_verify(f"{stateful_server.base_url}/beta", tmp_path, ALL_PHASES, "Workbook-Session-Id: contract-run")
    assert_passed(result, tmp_path)
    assert "stateful success" in result.stdout
