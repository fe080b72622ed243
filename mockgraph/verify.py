"""`mockgraph verify`: check any running implementation against the contract with Schemathesis.

The Python engine runs in this process (the CLI's reports name failure codes, not the checks
that raised them); this module turns its events into findings, a readable summary (operation,
check, a curl line to reproduce) and a JUnit XML report any CI can show. Exit codes follow
Schemathesis: 0 nothing found, 1 contract failures, 2 could not run.
"""

from __future__ import annotations

import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import yaml

from mockgraph.config import default_contract_path
from mockgraph.exceptions import MockGraphError
from mockgraph.process import wait_until_up

PHASES = ("examples", "coverage", "fuzzing", "stateful")
DEFAULT_MAX_EXAMPLES = 100
DEFAULT_WAIT_SECONDS = 30.0
REPORT_NAME = "mockgraph-verify-junit.xml"

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_COULD_NOT_RUN = 2


class VerifyError(MockGraphError):
    """The run could not start or finish: server unreachable, spec unreadable, engine crashed."""


@dataclass(frozen=True)
class Finding:
    """One contract break: which operation, which check, what it saw, and how to reproduce it."""

    operation: str
    check: str
    title: str
    message: str
    curl: str


@dataclass
class Outcome:
    """Everything a run found, per operation, for the summary and the JUnit report."""

    base_url: str
    spec: str
    operations: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    phases: dict[str, str] = field(default_factory=dict)
    cases_by_operation: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def cases(self) -> int:
        return sum(self.cases_by_operation.values())

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.findings or self.errors else EXIT_PASSED


@dataclass(frozen=True)
class VerifyOptions:
    """What `mockgraph verify` was asked to do; the defaults are the harness's own."""

    base_url: str
    spec: Path | None = None
    max_examples: int = DEFAULT_MAX_EXAMPLES
    seed: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    phases: tuple[str, ...] = PHASES
    wait_seconds: float = DEFAULT_WAIT_SECONDS
    report_dir: Path | None = None
    request_timeout: float = 10.0


def parse_header(text: str) -> tuple[str, str]:
    """'Name: value' -> (name, value), as curl's -H takes it."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise VerifyError(f"a header must look like 'Name: value', got {text!r}")
    return name.strip(), value.strip()


def parse_phases(text: str) -> tuple[str, ...]:
    """'examples,coverage' -> the phases, rejecting unknown names."""
    phases = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [phase for phase in phases if phase not in PHASES]
    if unknown or not phases:
        raise VerifyError(f"unknown phase(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(PHASES)}")
    return phases


def check_base_url(url: str) -> str:
    """Refuse a base URL Schemathesis could not send to, before waiting on it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise VerifyError(f"the base URL must look like http://host:port/path, got {url!r}")
    return url


def load_spec(path: Path) -> dict:
    """Read an OpenAPI document (YAML or JSON) and refuse anything that is not one, with the reason."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise VerifyError(f"cannot read the spec {path}: {error.strerror or error}") from error
    except yaml.YAMLError as error:
        raise VerifyError(f"the spec {path} is not valid YAML or JSON: {error}") from error
    if not isinstance(document, dict) or "openapi" not in document or not isinstance(document.get("paths"), dict):
        raise VerifyError(f"the spec {path} is not an OpenAPI 3 document (it needs 'openapi' and 'paths')")
    return document


def build_config(options: VerifyOptions):
    """A Schemathesis config equal to the harness's: every check, both data modes, no files left behind."""
    from schemathesis.config import SchemathesisConfig

    data: dict = {
        "base-url": options.base_url,
        "headers": dict(options.headers),
        "request-timeout": options.request_timeout,
        "cache": {"enabled": False},
        "generation": {
            "mode": "all",
            "max-examples": options.max_examples,
            "deterministic": options.seed is None,
            "database": "none",
        },
        "phases": {phase: {"enabled": phase in options.phases} for phase in PHASES},
    }
    if options.seed is not None:
        data["seed"] = options.seed
    config = SchemathesisConfig.from_dict(data)
    config.projects.default.checks.update(included_check_names=["all"])
    return config


def register_formats(document: dict) -> None:
    """Teach Schemathesis the contract's own formats, or valid data would be generated as any string."""
    from mockgraph.odata import FILTER_FORMAT

    if FILTER_FORMAT in _formats(document):
        from mockgraph.odata_formats import register_filter_format

        register_filter_format(document)


def _formats(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {node["format"]} if isinstance(node.get("format"), str) else set()
        return found.union(*(_formats(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_formats(value) for value in node))
    return set()


def run_contract(options: VerifyOptions, document: dict, spec_name: str) -> Outcome:
    """Run the engine against the live server and collect its findings (deduplicated)."""
    import schemathesis
    from schemathesis.engine import events, from_schema

    register_formats(document)
    try:
        schema = schemathesis.openapi.from_dict(document, config=build_config(options))
    except Exception as error:  # Schemathesis raises several unrelated types for a bad document
        raise VerifyError(f"Schemathesis cannot load the spec {spec_name}: {error}") from error
    outcome = Outcome(base_url=options.base_url, spec=spec_name)
    seen: set[tuple[str, str, str]] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            label = event.label or "stateful"  # stateful scenarios chain several operations
            tested = [event.label] if event.label else []
            for node in event.recorder.cases.values():
                operation = node.value.operation.label
                tested.append(operation)
                outcome.cases_by_operation[operation] = outcome.cases_by_operation.get(operation, 0) + 1
            outcome.operations += [name for name in dict.fromkeys(tested) if name not in outcome.operations]
            for finding in _findings(label, event.recorder.checks.values()):
                key = (finding.operation, finding.check, finding.title)
                if key not in seen:
                    seen.add(key)
                    outcome.findings.append(finding)
        elif isinstance(event, events.PhaseFinished) and event.phase.name.value in PHASES:
            outcome.phases[event.phase.name.value] = _describe_phase(event)
        elif isinstance(event, events.NonFatalError):
            outcome.errors.append((event.label, event.info.format()))
        elif isinstance(event, events.FatalError):
            raise VerifyError(f"Schemathesis stopped: {event.exception}")
        elif isinstance(event, events.EngineFinished):
            outcome.seconds = event.running_time
    return outcome


def _describe_phase(event) -> str:
    reason = event.phase.skip_reason
    if reason is not None:
        return f"skipped ({getattr(reason, 'value', reason)})"
    return str(getattr(event.status, "value", event.status))


def _findings(label: str, checks: Iterable[list]) -> Iterable[Finding]:
    for nodes in checks:
        for node in nodes:
            info = node.failure_info
            if info is None:
                continue
            failure = info.failure
            yield Finding(
                operation=failure.operation or label,
                check=node.name,
                title=failure.title,
                message=(failure.message or "").strip(),
                curl=info.code_sample,
            )


def format_summary(outcome: Outcome) -> str:
    """What a person reads in a CI log: per finding, the operation, the check and a curl line."""
    lines = [
        f"mockgraph verify: {outcome.base_url} against {outcome.spec}",
        f"{len(outcome.operations)} operations, {outcome.cases} cases in {outcome.seconds:.1f} s",
        "phases: " + ", ".join(f"{name} {status}" for name, status in outcome.phases.items()),
        *(f"  {name}: {outcome.cases_by_operation.get(name, 0)} cases" for name in outcome.operations),
    ]
    for number, finding in enumerate(outcome.findings, 1):
        lines += [
            "",
            f"{number}. {finding.operation}: {finding.check}: {finding.title}",
            *(f"   {line}" for line in finding.message.splitlines() if line.strip()),
            "   reproduce with:",
            *(f"     {line}" for line in finding.curl.splitlines() if line.strip()),
        ]
    for label, message in outcome.errors:
        lines += ["", f"error in {label}:", *(f"   {line}" for line in message.splitlines() if line.strip())]
    lines.append("")
    if outcome.exit_code == EXIT_PASSED:
        lines.append("PASSED: no contract failures")
    else:
        checks = sorted({finding.check for finding in outcome.findings})
        lines.append(
            f"FAILED: {len(outcome.findings)} contract failure(s)"
            + (f" ({', '.join(checks)})" if checks else "")
            + (f", {len(outcome.errors)} error(s)" if outcome.errors else "")
        )
    return "\n".join(lines) + "\n"


def write_junit(outcome: Outcome, path: Path) -> Path:
    """One testsuite, one testcase per operation, one <failure> per finding (its check as the type)."""
    by_operation: dict[str, list[Finding]] = {name: [] for name in outcome.operations}
    for finding in outcome.findings:
        by_operation.setdefault(finding.operation, []).append(finding)
    errors_by_label: dict[str, list[str]] = {}
    for label, message in outcome.errors:
        errors_by_label.setdefault(label, []).append(message)
        by_operation.setdefault(label, [])
    failures = len(outcome.findings)
    suite = ET.Element(
        "testsuite",
        name="mockgraph verify",
        tests=str(len(by_operation)),
        failures=str(failures),
        errors=str(len(outcome.errors)),
        time=f"{outcome.seconds:.3f}",
    )
    ET.SubElement(
        ET.SubElement(suite, "properties"),
        "property",
        name="base_url",
        value=outcome.base_url,
    )
    for operation, findings in by_operation.items():
        case = ET.SubElement(suite, "testcase", classname="contract", name=operation)
        for finding in findings:
            failure = ET.SubElement(case, "failure", type=finding.check, message=f"{finding.check}: {finding.title}")
            failure.text = f"{finding.message}\n\nReproduce with:\n{finding.curl}\n"
        for message in errors_by_label.get(operation, []):
            ET.SubElement(case, "error", message=message.splitlines()[0] if message else "error").text = message
    root = ET.Element("testsuites", tests=suite.get("tests"), failures=str(failures), errors=str(len(outcome.errors)))
    root.append(suite)
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def verify(options: VerifyOptions, out: TextIO | None = None) -> int:
    """Wait for the server, run the contract, print the summary, write the report; return the exit code."""
    out = out or sys.stdout
    check_base_url(options.base_url)
    spec = options.spec or default_contract_path()
    document = load_spec(Path(spec))
    try:
        waited = wait_until_up(options.base_url, timeout=options.wait_seconds)
    except TimeoutError as error:
        raise VerifyError(
            f"the server at {options.base_url} did not answer within {options.wait_seconds:g} s; "
            "is it running, and is the URL right?"
        ) from error
    out.write(f"mockgraph verify: {options.base_url} answered after {waited:.1f} s; running the contract\n")
    started = time.monotonic()
    outcome = run_contract(options, document, str(spec))
    outcome.seconds = outcome.seconds or time.monotonic() - started
    if not outcome.operations:
        raise VerifyError(f"no operation of {spec} was tested")
    out.write(format_summary(outcome))
    if options.report_dir is not None:
        report = write_junit(outcome, Path(options.report_dir) / REPORT_NAME)
        out.write(f"JUnit report: {report}\n")
    out.flush()
    return outcome.exit_code
