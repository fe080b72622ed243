"""The contract harness is proven able to fail: each broken server is caught by the right check.

In-process, the pytest harness (contracts/test_in_process.py) runs unchanged against a broken
WSGI app; over the wire, `mockgraph verify` checks the same app served on loopback. Both must
fail and name the check that the break violates. `verify` must also refuse to run, with exit 2
and a clear message, when the server is unreachable or the spec is not OpenAPI.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from schemathesis.openapi import checks as failure_classes

from contracts.harness import APP_VARIABLE, EXAMPLES_VARIABLE, TOKEN, create_contract_mock
from mockgraph.cli import main
from mockgraph.process import free_port
from mockgraph.verify import REPORT_NAME
from tests.broken_servers import BREAKS, STATEFUL_BREAKS, create_broken_app, serve_on_loopback

ROOT = Path(__file__).resolve().parent.parent
IN_PROCESS_HARNESS = ROOT / "contracts" / "test_in_process.py"
STATEFUL_HARNESS = ROOT / "contracts" / "test_stateful.py"
EXAMPLES = "20"  # each break shows on the first few cases; more only slows the proof down
# The stateful mock keeps one sandbox per Workbook-Session-Id; a generated value per request would
# put a create and the read that follows it in different sandboxes, so chains are pinned to one.
SANDBOX_HEADER = "Workbook-Session-Id"


def junit_failures(path: Path) -> list[ET.Element]:
    return list(ET.parse(path).getroot().iter("failure"))


def verify(base_url: str, report_dir: Path, *extra: str, examples: str = EXAMPLES) -> int:
    return main(
        [
            *("verify", "--base-url", base_url, "--header", f"Authorization: Bearer {TOKEN}"),
            *("--max-examples", examples, "--report", str(report_dir), "--wait", "5", *extra),
        ]
    )


def run_in_process_harness(harness: Path, app_name: str, report: Path) -> subprocess.CompletedProcess:
    """The harness file, unchanged, in a pytest of its own, against the broken app ``app_name``."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(harness), f"--junitxml={report}"],
        cwd=ROOT,
        env={
            **os.environ,
            APP_VARIABLE: f"tests.broken_servers:create_broken_app:{app_name}",
            EXAMPLES_VARIABLE: EXAMPLES,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


def checks_behind_failures(text: str) -> set[str]:
    """The checks Schemathesis ties to the failure classes a report names (a state machine names no check)."""
    names = re.findall(r"schemathesis\.openapi\.checks\.(\w+)", text)
    return {check for name in names for check in getattr(getattr(failure_classes, name, None), "checks", ())}


def test_in_process_state_machine_fails_naming_use_after_free(tmp_path):
    report = tmp_path / "junit.xml"
    result = run_in_process_harness(STATEFUL_HARNESS, "deleted-still-served", report)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    texts = " ".join(failure.text or "" for failure in junit_failures(report))
    assert "use_after_free" in checks_behind_failures(texts), result.stdout[-3000:]


@pytest.mark.parametrize("name", list(BREAKS))
def test_in_process_harness_fails_naming_the_broken_check(name, tmp_path):
    report = tmp_path / "junit.xml"
    result = run_in_process_harness(IN_PROCESS_HARNESS, name, report)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    failures = junit_failures(report)
    assert failures, "the harness exited 1 but recorded no failure"
    named = [failure for failure in failures if f"failed checks: {BREAKS[name].check}" in (failure.text or "")]
    assert named, f"no failure names {BREAKS[name].check}:\n{result.stdout[-3000:]}"


@pytest.mark.parametrize("name", list(BREAKS))
def test_verify_exits_1_naming_the_broken_check_in_summary_and_junit(name, tmp_path, capsys):
    check = BREAKS[name].check
    with serve_on_loopback(create_broken_app(name)) as url:
        code = verify(f"{url}/beta", tmp_path, "--phases", "examples,coverage,fuzzing")
    out = capsys.readouterr().out
    assert code == 1, out
    assert f": {check}: " in out
    assert "reproduce with:" in out and "curl -X " in out
    assert "FAILED: " in out
    root = ET.parse(tmp_path / REPORT_NAME).getroot()
    assert int(root.get("failures")) >= 1
    assert check in {failure.get("type") for failure in root.iter("failure")}
    assert any("curl -X " in (failure.text or "") for failure in root.iter("failure"))


@pytest.mark.parametrize("name", list(STATEFUL_BREAKS))
def test_verify_stateful_phase_catches_a_broken_stateful_server(name, tmp_path, capsys):
    check = STATEFUL_BREAKS[name].check
    with serve_on_loopback(create_broken_app(name)) as url:
        code = verify(
            f"{url}/beta", tmp_path, "--phases", "stateful", "--header", f"{SANDBOX_HEADER}: harness", examples="40"
        )
    out = capsys.readouterr().out
    assert code == 1, out
    assert f": {check}: " in out
    assert check in {failure.get("type") for failure in junit_failures(tmp_path / REPORT_NAME)}


def test_verify_passes_a_conforming_server_with_exit_0(tmp_path, capsys):
    with serve_on_loopback(create_contract_mock()) as url:
        code = verify(f"{url}/beta", tmp_path, "--phases", "examples,coverage,fuzzing")
    out = capsys.readouterr().out
    assert code == 0, out
    assert "PASSED: no contract failures" in out
    assert junit_failures(tmp_path / REPORT_NAME) == []


def test_verify_exits_2_with_a_clear_message_when_the_server_is_unreachable(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/beta"  # nothing listens there
    result = subprocess.run(
        [sys.executable, "-m", "mockgraph.cli", "verify", "--base-url", url, "--wait", "1", "--report", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"the server at {url} did not answer within 1 s" in result.stderr
    assert not (tmp_path / REPORT_NAME).exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("openapi: [unclosed", "is not valid YAML or JSON"),
        ("title: not a contract\n", "is not an OpenAPI 3 document"),
    ],
)
def test_verify_exits_2_naming_the_problem_when_the_spec_is_bad(tmp_path, capsys, content, reason):
    spec = tmp_path / "spec.yaml"
    spec.write_text(content, encoding="utf-8")
    code = main(["verify", "--base-url", "http://127.0.0.1:9/beta", "--spec", str(spec), "--report", str(tmp_path)])
    assert code == 2
    assert reason in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--base-url", "http://127.0.0.1:9/beta", "--header", "no colon here"],
            "a header must look like 'Name: value'",
        ),
        (["--base-url", "127.0.0.1:9/beta"], "the base URL must look like http://host:port/path"),
        (["--base-url", "http://127.0.0.1:9/beta", "--phases", "examples,smoke"], "unknown phase(s) smoke"),
    ],
)
def test_verify_refuses_bad_arguments_with_exit_2_and_the_reason(capsys, arguments, message):
    code = main(["verify", *arguments])
    assert code == 2
    assert message in capsys.readouterr().err
