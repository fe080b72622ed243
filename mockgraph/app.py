"""The application factory: contract -> compiled operations -> one route each -> answers.

``create_app(config=None)`` loads and validates the contract once, compiles every operation
(marshmallow schemas, examples), registers one rule per operation, and serves the contract
itself at ``/openapi.json``. Configuration: defaults, then mockgraph.toml, then ``MOCKGRAPH_*``
variables, then ``config``. The test-double controls (journal, admin API, faults, Prefer,
CORS) live in their own modules and hook in here. ``MODE`` picks the resolver from operation to
view: ``example`` answers each operation's documented example; ``stateful`` acts on a store
(``mockgraph.stateful_views``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
from flask import Flask, Response, request

from mockgraph.admin import register_admin, state_store
from mockgraph.config import accepted_tokens, resolve_settings
from mockgraph.contract_cache import default_cache_dir
from mockgraph.controls import encoded_response, make_wrapper
from mockgraph.cors import register_cors
from mockgraph.counters import Counters
from mockgraph.dispatch import ExampleDispatcher, build_routes
from mockgraph.errors import register_error_handlers, request_ids
from mockgraph.faults import parse_faults
from mockgraph.journal import Journal
from mockgraph.openapi import load_contract
from mockgraph.operations import Operation, compile_operations
from mockgraph.responses import correlation_headers, media_content_type
from mockgraph.routing import KeepEncodedSlashes, register_routes
from mockgraph.seeds import seed_store
from mockgraph.shared_db import SharedDatabase
from mockgraph.store import MEMORY, Database
from mockgraph.validation import validate_request


class MockGraphFlask(Flask):
    """Flask, minus asking ``inspect`` on every request whether each hook and view is a coroutine.

    mockgraph has one view and several hooks per request; Flask's ``ensure_sync`` (the documented
    place to change how views run) re-inspects each of them every time. The answer never changes
    for a function, so it is kept.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._synchronous: dict[Callable, Callable] = {}

    def ensure_sync(self, func: Callable) -> Callable:
        synchronous = self._synchronous.get(func)
        if synchronous is None:
            synchronous = self._synchronous[func] = super().ensure_sync(func)
        return synchronous


def create_app(config: dict | None = None) -> Flask:
    """Build the mock for the contract named in the settings."""
    settings = resolve_settings(config)
    app = MockGraphFlask("mockgraph")
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_BODY_BYTES"]
    document = load_contract(settings["CONTRACT"], cache_dir=contract_cache_dir(settings))
    operations = compile_operations(document)
    app.extensions["mockgraph"] = {"document": document, "operations": operations}

    # Test-double controls: one journal and one set of fault counters for all of gunicorn's workers.
    shared = SharedDatabase(settings["JOURNAL_PATH"])
    counters = Counters(shared)
    journal = Journal(settings["JOURNAL_SIZE"] if settings["ADMIN_ENABLED"] else 0)
    faults = parse_faults(settings["FAULTS"], [op.operation_id for op in operations])
    wrap = make_wrapper(settings, faults, counters)
    register_error_handlers(app)
    app.extensions["mockgraph"]["journal"] = journal
    register_admin(app, journal, counters)
    register_cors(app)
    resolve = _resolver(app, document, operations, settings)
    register_routes(app, operations, lambda op: wrap(op, resolve(op)), settings["PATH_PREFIXES"])
    if settings["FAST_PATH"] and settings["MODE"] == "example":
        app.wsgi_app = ExampleDispatcher(
            app.wsgi_app,
            build_routes(operations, settings["PATH_PREFIXES"], lambda op: faults.plan_for(op.operation_id).active),
            max_body_bytes=int(settings["MAX_BODY_BYTES"]),
            tokens=accepted_tokens(settings),
            journal=journal,
            cors_origins=tuple(settings["CORS_ORIGINS"] or ()),
        )
    app.wsgi_app = KeepEncodedSlashes(app.wsgi_app)
    _register_contract_route(app, document)
    if settings["SEED_DATA"]:
        with app.app_context():
            app.extensions["mockgraph"]["seed_events"] = seed_store(state_store(), settings["SEED_DATA"])

    @app.after_request
    def _graph_headers(response: Response) -> Response:
        # The one place these headers are set, so they are added, not replaced: one extend costs
        # a fraction of three assignments (each scans the list; a membership test raises inside).
        response.headers.extend(correlation_headers(*request_ids()))
        return response

    return app


def _resolver(app: Flask, document: dict, operations: list[Operation], settings: dict) -> Callable:
    """The view of each operation for the configured mode; stateful mode also registers its store."""

    def example(operation: Operation) -> Callable:
        return example_view(operation, settings)

    if settings["MODE"] != "stateful":
        return example
    from mockgraph.stateful_views import stateful_resolver  # the OData parser: only for stateful mode

    database = Database(settings["STORE"] or MEMORY)
    resolve, store = stateful_resolver(document, operations, settings, database, fallback=example)
    app.extensions["mockgraph"]["store"] = store
    return resolve


def contract_cache_dir(settings: dict) -> Path | None:
    """The CONTRACT_CACHE folder: the default one when unset, none when set empty or false."""
    folder = settings.get("CONTRACT_CACHE")
    if folder is None:
        return default_cache_dir()
    return Path(folder).expanduser() if folder else None


def example_view(operation: Operation, settings: dict) -> Callable[[dict], Response]:
    """Validate the request, then answer the contract's example for the operation."""
    max_body = int(settings["MAX_BODY_BYTES"])
    tokens = accepted_tokens(settings)
    example = operation.example()
    body = example.body if example else b""
    status = example.status if example else operation.success_status
    content_type = media_content_type(example.media_type) if example else None

    def view(path_values: dict) -> Response:
        current = request._get_current_object()  # one proxy lookup, not one per attribute
        validate_request(
            operation,
            headers=current.headers,
            content_type=current.content_type,
            body=current.get_data(cache=False) if operation.body is not None else b"",
            query=current.args if operation.query is not None else {},  # parsing an unused query costs
            max_body_bytes=max_body,
            tokens=tokens,
        )
        return encoded_response(body, status, content_type)

    return view


def _register_contract_route(app: Flask, document: dict) -> None:
    encoded = orjson.dumps(document)

    def openapi_json() -> Response:
        return Response(encoded, mimetype="application/json")

    app.add_url_rule("/openapi.json", "openapi_json", openapi_json, methods=["GET"])
