"""The Flask-layer seam where forced answers (Prefer) and faults (latency, 429, 5xx) apply.

``wrap_view`` wraps whatever view answers an operation (the example view, a stateful one).
With no fault configured for the operation and neither ``Prefer`` nor ``mockgraph-fault``
sent, the wrapper only looks at two headers and calls the view. Otherwise, in this order: the
latency is waited; the request is validated (a bad request keeps its own 4xx, so the journal
says why); a throttling or failure decision answers 429/5xx with the contract's error for that
status; a Prefer answers the documented example it names. Forced answers never reach the view,
so a forced 404 on a create stores nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Response, request

from mockgraph.config import accepted_tokens
from mockgraph.counters import Counters
from mockgraph.exceptions import GraphError, error_for_status
from mockgraph.faults import FAULT_ENVIRON_KEY, RETRY_AFTER_STATUSES, Decision, FaultPlan, FaultSettings, decide
from mockgraph.faults import parse_fault_header as _parse_fault_header
from mockgraph.operations import Example, Operation
from mockgraph.preferences import Preference, choose_example, parse_prefer
from mockgraph.responses import media_content_type
from mockgraph.validation import validate_request

FORCED_KEY = "mockgraph.forced"

View = Callable[[dict], Response]


def make_wrapper(settings: dict, faults: FaultSettings, counters: Counters) -> Callable[[Operation, View], View]:
    """A function wrapping an operation's view with the controls configured in ``settings``."""
    max_body = int(settings["MAX_BODY_BYTES"])
    tokens = accepted_tokens(settings)

    def wrap_view(operation: Operation, view: View) -> View:
        plan = faults.plan_for(operation.operation_id)

        def controlled(path_values: dict) -> Response:
            environ = request.environ  # as Werkzeug's Headers would, minus a raised KeyError per absent header
            fault_header = environ.get(FAULT_ENVIRON_KEY)
            prefer = environ.get("HTTP_PREFER")
            if not plan.active and fault_header is None and prefer is None:
                return view(path_values)
            headers = request.headers
            effective = _parse_fault_header(fault_header, plan) if fault_header is not None else plan
            preference = parse_prefer(prefer) if prefer is not None else Preference()
            if not effective.active and not preference.forced:
                return view(path_values)
            decision = _decide(operation, effective, counters) if effective.active else Decision()
            if decision.delay_s:
                time.sleep(decision.delay_s)
            validate_request(
                operation,
                headers=headers,
                content_type=request.content_type,
                body=request.get_data(cache=True) if operation.body is not None else b"",
                query=request.args,
                max_body_bytes=max_body,
                tokens=tokens,
            )
            if decision.status is not None:
                request.environ[FORCED_KEY] = decision.reason
                raise contract_error(operation, decision.status, None, decision.retry_after_s)
            if preference.forced:
                example = choose_example(operation, preference)
                request.environ[FORCED_KEY] = preference.describe()
                retry_after = effective.retry_after_s if example.status in RETRY_AFTER_STATUSES else None
                return answer_example(operation, example, retry_after)
            return view(path_values)

        return controlled

    return wrap_view


def _decide(operation: Operation, plan: FaultPlan, counters: Counters) -> Decision:
    operation_id = operation.operation_id
    sequence = counters.increment(f"sequence:{operation_id}")
    wait = None
    if plan.throttle_after is not None:
        wait = counters.admit(f"window:{operation_id}", plan.throttle_after, plan.throttle_window_s, time.time())
    return decide(plan, operation_id, sequence, wait)


def contract_error(operation: Operation, status: int, name: str | None, retry_after_s: int | None) -> GraphError:
    """The GraphError for ``status`` with the code and message of the contract's example for it."""
    example = operation.example(status, name)
    error = example.value.get("error") if example and isinstance(example.value, dict) else None
    headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else {}
    if isinstance(error, dict) and error.get("code") and error.get("message"):
        return error_for_status(status, error["message"], code=error["code"], headers=headers)
    return error_for_status(status, f"mockgraph answered {status} as asked.", headers=headers)


def answer_example(operation: Operation, example: Example, retry_after_s: int | None) -> Response:
    """A documented example as the answer; an error example goes through errors.py for live ids and date."""
    if example.status >= 400:
        raise contract_error(operation, example.status, example.name, retry_after_s)
    return encoded_response(example.body, example.status, media_content_type(example.media_type))


def encoded_response(body: bytes, status: int, content_type: str | None) -> Response:
    """An answer of bytes encoded at start; no Content-Type where the contract documents no body."""
    if content_type:
        return Response(body, status=status, content_type=content_type)
    response = Response(body, status=status)
    response.headers.pop("Content-Type", None)
    return response
