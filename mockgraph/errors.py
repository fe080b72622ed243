"""The one place where anything that goes wrong becomes Graph's error envelope.

GraphErrors keep their status and code; Werkzeug's HTTP errors (unknown path, wrong method,
too large) are mapped onto the hierarchy; anything unexpected is logged and answered as a
Graph 500, never an HTML page.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

from mockgraph import exceptions
from mockgraph.responses import JSON_CONTENT_TYPE, error_body, new_request_id

log = logging.getLogger("mockgraph")
# Where the error that answered a request is kept for the journal.
ERROR_KEY = "mockgraph.error"


def request_ids() -> tuple[str, str | None]:
    """This request's request-id (made once) and the client-request-id it sent, if any."""
    environ = request.environ
    request_id = environ.get("mockgraph.request_id")
    if request_id is None:
        request_id = environ["mockgraph.request_id"] = new_request_id()
    return request_id, environ.get("HTTP_CLIENT_REQUEST_ID")  # the header, without building Headers


def graph_error_response(error: exceptions.GraphError) -> Response:
    request.environ[ERROR_KEY] = error
    request_id, client_request_id = request_ids()
    response = Response(error_body(error, request_id, client_request_id), status=error.status)
    response.headers["Content-Type"] = JSON_CONTENT_TYPE
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def to_graph_error(error: HTTPException) -> exceptions.GraphError:
    """Map a Werkzeug HTTP error onto the hierarchy, keeping what the client needs (Allow)."""
    if isinstance(error, NotFound):
        segment = request.path.rstrip("/").rsplit("/", 1)[-1] or "/"
        return exceptions.ResourceNotFound(f"Resource not found for the segment '{segment}'.")
    if isinstance(error, MethodNotAllowed):
        allowed = sorted(set(error.valid_methods or []))
        return exceptions.MethodNotAllowed(
            f"The method '{request.method}' is not allowed on this resource; use {', '.join(allowed)}.",
            headers={"Allow": ", ".join(allowed)},
        )
    if isinstance(error, RequestEntityTooLarge):
        limit = request.max_content_length
        return exceptions.PayloadTooLarge(f"The request body is larger than {limit} bytes.")
    return exceptions.error_for_status(error.code or 500, error.description or error.name)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(exceptions.GraphError)
    def _graph(error: exceptions.GraphError) -> Response:
        return graph_error_response(error)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        return graph_error_response(to_graph_error(error))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unexpected error answering %s %s", request.method, request.path)
        return graph_error_response(exceptions.InternalServerError("An unexpected error occurred in mockgraph."))
