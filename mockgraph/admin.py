"""The admin API under /_mockgraph/ and the journal's recorder (Flask layer).

    GET    /_mockgraph/requests?method=&path=&status=&matched=&operation=&limit=   the journal
    DELETE /_mockgraph/requests                                                     clear it
    POST   /_mockgraph/reset        clear the journal and the fault counters; the stateful store back
                                    to the state the server started in (its --seed-data events)
    POST   /_mockgraph/seed         load events (a JSON array, or {"value": [...]}) into the store

None of it is in the contract or /openapi.json. With ADMIN_ENABLED off these paths are 404 and
nothing is journaled. Admin requests and /openapi.json are not journaled themselves.
"""

from __future__ import annotations

import copy
import logging

import orjson
from flask import Flask, Request, Response, current_app, request

from mockgraph.controls import FORCED_KEY
from mockgraph.counters import Counters
from mockgraph.errors import ERROR_KEY
from mockgraph.exceptions import BadRequest, Conflict
from mockgraph.journal import Journal, Query, raw_headers, refusal_reason
from mockgraph.seeds import StateStore, parse_events

log = logging.getLogger("mockgraph")
PREFIX = "/_mockgraph"
UNJOURNALED = (PREFIX + "/", "/openapi.json")


def register_admin(app: Flask, journal: Journal, counters: Counters) -> None:
    """The admin routes, and the recorder that journals every other request."""
    if not app.config["ADMIN_ENABLED"]:
        return
    max_body = int(app.config["MAX_BODY_BYTES"])

    def json_response(value: object, status: int = 200) -> Response:
        return Response(orjson.dumps(value), status=status, mimetype="application/json")

    def list_requests() -> Response:
        entries = journal.entries(Query.from_args(request.args))
        return json_response({"value": entries, "count": len(entries)})

    def clear_requests() -> Response:
        journal.clear()
        return Response(status=204)

    def reset() -> Response:
        journal.clear()
        counters.clear()
        store = state_store()
        if store is not None:
            store.reset()
            # Back to the state the server started in: the --seed-data events, if any, again.
            baseline = current_app.extensions["mockgraph"].get("seed_events")
            if baseline:
                store.load(copy.deepcopy(baseline))
        return Response(status=204)

    def seed() -> Response:
        store = state_store()
        if store is None:
            raise Conflict("Seed events need the stateful store; serve with MODE=stateful.")
        try:
            document = orjson.loads(request.get_data())
        except orjson.JSONDecodeError as error:
            raise BadRequest(f"The seed body is not valid JSON: {error}.") from None
        events = parse_events(document, BadRequest)
        store.load(events)
        return json_response({"loaded": len(events)}, status=201)

    app.add_url_rule(PREFIX + "/requests", "mockgraph_requests", list_requests, methods=["GET"])
    app.add_url_rule(PREFIX + "/requests", "mockgraph_clear_requests", clear_requests, methods=["DELETE"])
    app.add_url_rule(PREFIX + "/reset", "mockgraph_reset", reset, methods=["POST"])
    app.add_url_rule(PREFIX + "/seed", "mockgraph_seed", seed, methods=["POST"])

    if not journal.enabled:
        return

    @app.before_request
    def _keep_body() -> None:
        # Cache the body once so the journal sees it after the view has read it (Werkzeug
        # returns the cached bytes to every later get_data). Oversized bodies are left to the 413.
        current = request._get_current_object()  # one proxy lookup per hook, not one per attribute
        length = current.content_length
        if length and length <= max_body and not current.path.startswith(UNJOURNALED):
            current.get_data(cache=True)

    @app.after_request
    def _journal(response: Response) -> Response:
        current = request._get_current_object()
        if not current.path.startswith(UNJOURNALED):
            try:
                record(journal, current, response, max_body)
            except Exception:
                # The answer stands (it may acknowledge a stored event); only its journal entry is lost.
                log.exception("could not journal %s %s", current.method, current.path)
        return response


def state_store() -> StateStore | None:
    """The stateful store, when the app has one (MODE=stateful)."""
    return current_app.extensions["mockgraph"].get("store")


def record(journal: Journal, current: Request, response: Response, max_body: int) -> None:
    """Journal this request and its answer as raw pieces: the journal shapes them when read."""
    environ = current.environ
    error = environ.get(ERROR_KEY)
    forced = environ.get(FORCED_KEY)
    reason = refusal_reason(error, forced is not None)
    length = current.content_length
    body = current.get_data(cache=True) if length and length <= max_body else b""  # cached by _keep_body
    rule = current.url_rule
    operation = rule.endpoint if rule is not None and not rule.endpoint.startswith("mockgraph_") else None
    query = current.args.lists() if environ.get("QUERY_STRING") else ()  # no query: nothing to parse
    journal.record(
        current.method,
        current.path,
        response.status_code,
        reason is None,
        operation,
        {name: values[0] if len(values) == 1 else values for name, values in query},
        raw_headers(environ),
        response.headers.to_wsgi_list(),
        reason,
        forced,
        body,
        None if response.is_streamed else response.get_data(),
    )
