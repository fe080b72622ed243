"""Deterministic faults: latency, Graph-style throttling (429 + Retry-After), and 500/503/504 failures.

Dev Proxy throttles Graph-style but at random; here every decision is a pure function of the
seed, the operation and how many requests that operation has had on this server (its
sequence number), so the same seed and the same requests give the same answers, whichever
gunicorn worker takes them. Only "N requests per window" throttling depends on time, as
Graph's own does (a sliding window: at most N admitted in any W seconds; Retry-After says
when the oldest leaves it).

Plans come from the ``FAULTS`` setting (the ``[faults]`` table of mockgraph.toml, with
``[faults.operations.<operationId>]`` overriding keys for one operation) and, per request, from
the ``mockgraph-fault`` header, whose keys override the operation's plan for that request:

    mockgraph-fault: latency-ms=100-300; throttle-rate=0.5; retry-after-s=2; seed=7
    mockgraph-fault: failure-rate=1; failure-statuses=503,504

Pure: no Flask here; ``mockgraph.controls`` applies the decisions.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace

from mockgraph.exceptions import BadRequest, ConfigError

FAULT_HEADER = "mockgraph-fault"
# The header as a WSGI environ key, where both lanes look for it without building Headers.
FAULT_ENVIRON_KEY = "HTTP_" + FAULT_HEADER.upper().replace("-", "_")
FAILURE_STATUSES = (500, 503, 504)
# Statuses answered with Retry-After, as Graph sends it.
RETRY_AFTER_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class FaultPlan:
    """What may go wrong with one operation's requests; the defaults mean nothing does."""

    seed: int = 0
    # A fixed delay, or a range each request draws from (milliseconds).
    latency_ms: tuple[float, float] | None = None
    # At most `throttle_after` requests pass in any `throttle_window_s` seconds; the others get 429.
    throttle_after: int | None = None
    throttle_window_s: float = 1.0
    # A seeded fraction of requests gets 429 with Retry-After: retry_after_s.
    throttle_rate: float = 0.0
    retry_after_s: int = 1
    # A seeded fraction of requests fails with one of failure_statuses (drawn, seeded).
    failure_rate: float = 0.0
    failure_statuses: tuple[int, ...] = FAILURE_STATUSES

    @property
    def active(self) -> bool:
        return bool(self.latency_ms or self.throttle_after is not None or self.throttle_rate or self.failure_rate)


@dataclass(frozen=True)
class FaultSettings:
    """The server's plan and each operation's, as configured at start."""

    default: FaultPlan = field(default_factory=FaultPlan)
    operations: Mapping[str, FaultPlan] = field(default_factory=dict)

    def plan_for(self, operation_id: str) -> FaultPlan:
        return self.operations.get(operation_id, self.default)


@dataclass(frozen=True)
class Decision:
    """What to do to one request: wait, then maybe answer ``status`` instead of the operation's answer."""

    delay_s: float = 0.0
    status: int | None = None
    retry_after_s: int | None = None
    reason: str = ""


_KEYS = {f.name for f in fields(FaultPlan)}


def parse_faults(table: Mapping, operation_ids: Iterable[str]) -> FaultSettings:
    """The FAULTS setting as plans; an unknown key or operationId is a ConfigError naming it."""
    table = dict(table or {})
    per_operation = table.pop("operations", {}) or {}
    default = _plan(FaultPlan(), table, ConfigError, "faults.")
    known = set(operation_ids)
    operations = {}
    for operation_id, overrides in per_operation.items():
        if operation_id not in known:
            raise ConfigError(
                f"faults.operations: unknown operationId '{operation_id}'; known: {', '.join(sorted(known))}"
            )
        if not isinstance(overrides, Mapping):
            raise ConfigError(f"faults.operations.{operation_id} must be a table")
        operations[operation_id] = _plan(default, overrides, ConfigError, f"faults.operations.{operation_id}.")
    return FaultSettings(default=default, operations=operations)


def parse_fault_header(text: str, base: FaultPlan) -> FaultPlan:
    """``base`` with the header's ``key=value`` pairs (separated by ';') applied; a bad pair is a 400."""
    values: dict[str, object] = {}
    for pair in text.split(";"):
        if not pair.strip():
            continue
        key, equals, value = pair.partition("=")
        if not equals:
            raise BadRequest(f"The {FAULT_HEADER} header item '{pair.strip()}' is not key=value.")
        values[key.strip().lower().replace("-", "_")] = _header_value(key.strip(), value.strip())
    return _plan(base, values, BadRequest, f"{FAULT_HEADER} ")


def decide(plan: FaultPlan, operation_id: str, sequence: int, window_wait_s: float | None = None) -> Decision:
    """The decision for the ``sequence``-th request of ``operation_id`` (1-based) under ``plan``.

    ``window_wait_s`` is None when the throttling window admitted the request, else the
    seconds until it would.
    """
    delay = 0.0
    if plan.latency_ms:
        low, high = plan.latency_ms
        delay = (low + (high - low) * draw(plan.seed, operation_id, sequence, "latency")) / 1000.0
    if plan.throttle_after is not None and window_wait_s is not None:
        wait = max(1, math.ceil(window_wait_s))
        reason = f"throttled: more than {plan.throttle_after} requests in {plan.throttle_window_s:g} s"
        return Decision(delay, 429, wait, reason)
    if plan.throttle_rate and draw(plan.seed, operation_id, sequence, "throttle") < plan.throttle_rate:
        return Decision(delay, 429, plan.retry_after_s, f"throttled: seeded rate {plan.throttle_rate:g}")
    if plan.failure_rate and draw(plan.seed, operation_id, sequence, "failure") < plan.failure_rate:
        statuses = plan.failure_statuses
        status = statuses[int(draw(plan.seed, operation_id, sequence, "status") * len(statuses)) % len(statuses)]
        retry_after = plan.retry_after_s if status in RETRY_AFTER_STATUSES else None
        return Decision(delay, status, retry_after, f"failed: seeded rate {plan.failure_rate:g}")
    return Decision(delay)


def draw(seed: int, operation_id: str, sequence: int, purpose: str) -> float:
    """A number in [0, 1) fixed by its arguments: the seeded sequence, free of any global RNG state."""
    digest = hashlib.blake2b(f"{seed}\0{operation_id}\0{sequence}\0{purpose}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _plan(base: FaultPlan, values: Mapping, error: type[Exception], where: str) -> FaultPlan:
    changes: dict[str, object] = {}
    for key, value in values.items():
        if key not in _KEYS:
            raise error(f"{where}unknown key '{key}'; use {', '.join(sorted(_KEYS))}")
        changes[key] = _coerce(key, value, error, where)
    return replace(base, **changes)


def _coerce(key: str, value: object, error: type[Exception], where: str) -> object:
    def fail(expected: str) -> Exception:
        return error(f"{where}'{key}' must be {expected}, not {value!r}")

    def number(item: object) -> float:
        if isinstance(item, bool) or not isinstance(item, int | float) or not math.isfinite(item) or item < 0:
            raise fail("a non-negative number")
        return float(item)

    if key == "latency_ms":
        items = value if isinstance(value, list | tuple) else [value, value]
        if len(items) != 2:
            raise fail("a number or [low, high]")
        low, high = number(items[0]), number(items[1])
        if low > high:
            raise fail("[low, high] with low <= high")
        return (low, high) if high else None
    if key in ("throttle_rate", "failure_rate"):
        rate = number(value)
        if rate > 1:
            raise fail("a fraction from 0 to 1")
        return rate
    if key == "throttle_window_s":
        window = number(value)
        if not window:
            raise fail("a positive number")
        return window
    if key == "failure_statuses":
        statuses = tuple(value) if isinstance(value, list | tuple) else (value,)
        if not statuses or any(status not in FAILURE_STATUSES for status in statuses):
            raise fail(f"statuses among {', '.join(map(str, FAILURE_STATUSES))}")
        return statuses
    # seed, throttle_after, retry_after_s: whole numbers
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise fail("a non-negative integer")
    return value


def _header_value(key: str, text: str) -> object:
    """A header value as the type the TOML table would hold: numbers, 'low-high' ranges, comma lists."""
    if "," in text:
        return [_header_value(key, item.strip()) for item in text.split(",")]
    if "-" in text.strip("-") and key.lower().replace("-", "_") == "latency_ms":
        low, _, high = text.partition("-")
        return [_header_value(key, low), _header_value(key, high)]
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text
