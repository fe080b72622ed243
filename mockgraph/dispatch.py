"""The fast lane: plain, valid requests of example mode answered below Flask.

Most requests a mock sees are the happy path: a valid call of an operation that answers its
documented example. Flask's request context, URL map, hooks and Response object cost more than
validating and answering such a request (BENCHMARKS.md). ``ExampleDispatcher`` is WSGI
middleware in front of the Flask app that answers exactly those requests itself, with the same
compiled Operation, the same ``validate_request``, the same bytes, headers and journal entry as
the Flask route would give, and hands everything else to Flask untouched:

- only operations of example mode whose path has no parameters, with no fault configured;
- only a request with no query string, no ``Prefer`` and no ``mockgraph-fault`` header, a
  Content-Length within the body limit (or no body), and no CORS preflight;
- anything that fails validation (or raises) goes to Flask with its body restored, so every
  error, and its journal entry, comes from the one error layer (errors.py).

Flask stays the reference: ``FAST_PATH = False`` sends every request through it, and a test
compares the two lanes answer for answer.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mockgraph.cors import allowed_origin_headers
from mockgraph.faults import FAULT_ENVIRON_KEY
from mockgraph.journal import Journal, raw_headers
from mockgraph.operations import Operation
from mockgraph.responses import correlation_headers, media_content_type, new_request_id
from mockgraph.validation import validate_request

log = logging.getLogger("mockgraph")

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class EnvironHeaders:
    """Request headers read straight from the WSGI environ, case-insensitively, as
    ``validate_request`` asks for them (``get`` by name)."""

    __slots__ = ("environ",)

    def __init__(self, environ: dict):
        self.environ = environ

    def get(self, name: str, default: str | None = None) -> str | None:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        return self.environ.get(key, default)


@dataclass(frozen=True)
class FastRoute:
    """One operation's answer, prepared at start: the status line and the headers that never change."""

    operation: Operation
    status: int
    status_line: str
    body: bytes
    headers: tuple[tuple[str, str], ...]


def prepare_route(operation: Operation) -> FastRoute | None:
    """The fast answer of an operation, or None when it must stay with Flask.

    Only operations that answer a documented example with a body take the fast lane (an answer
    without a body has headers Werkzeug adjusts per status).
    """
    from werkzeug.http import HTTP_STATUS_CODES

    if operation.path_parameters or "{" in operation.path:
        return None
    example = operation.example()
    if example is None or not example.body or example.media_type is None:
        return None
    content_type = media_content_type(example.media_type)
    headers = (("Content-Type", content_type), ("Content-Length", str(len(example.body))))
    # Werkzeug's status line, so both lanes answer byte for byte alike.
    status_line = f"{example.status} {HTTP_STATUS_CODES.get(example.status, 'UNKNOWN').upper()}"
    return FastRoute(operation, example.status, status_line, example.body, headers)


class ExampleDispatcher:
    """WSGI middleware answering plain valid requests of the prepared routes, the rest by ``app``."""

    def __init__(
        self,
        app: WSGIApp,
        routes: dict[tuple[str, str], FastRoute],
        *,
        max_body_bytes: int,
        tokens: frozenset[str] | None,
        journal: Journal | None,
        cors_origins: tuple[str, ...],
    ):
        self.app = app
        self.routes = routes
        self.max_body_bytes = max_body_bytes
        self.tokens = tokens
        self.journal = journal if journal is not None and journal.enabled else None
        self.cors_origins = cors_origins

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        route = self.routes.get((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
        if route is None or environ.get("QUERY_STRING") or "HTTP_PREFER" in environ or FAULT_ENVIRON_KEY in environ:
            return self.app(environ, start_response)
        operation = route.operation
        body = b""
        length = environ.get("CONTENT_LENGTH")
        if length:
            if not length.isdigit() or int(length) > self.max_body_bytes:
                return self.app(environ, start_response)
            body = environ["wsgi.input"].read(int(length))
            environ["wsgi.input"] = io.BytesIO(body)  # readable again if Flask answers after all
        elif environ.get("HTTP_TRANSFER_ENCODING"):
            return self.app(environ, start_response)
        try:
            validate_request(
                operation,
                headers=EnvironHeaders(environ),
                content_type=environ.get("CONTENT_TYPE"),
                body=body if operation.body is not None else b"",
                query={},
                max_body_bytes=self.max_body_bytes,
                tokens=self.tokens,
            )
        except Exception:
            # Errors are answered (and journaled) in one place: Flask's error layer.
            if body:
                environ["wsgi.input"].seek(0)
            return self.app(environ, start_response)
        request_id = new_request_id()
        headers = [*route.headers, *correlation_headers(request_id, environ.get("HTTP_CLIENT_REQUEST_ID"))]
        origin = environ.get("HTTP_ORIGIN")
        if origin and self.cors_origins:
            cors = allowed_origin_headers(origin, self.cors_origins)
            if cors:
                headers += [*cors, ("Vary", "Origin")]
        if self.journal is not None:
            self._record(environ, route, headers, body)
        start_response(route.status_line, headers)
        return [route.body]

    def _record(self, environ: dict, route: FastRoute, headers: list[tuple[str, str]], body: bytes) -> None:
        try:
            self.journal.record(
                environ["REQUEST_METHOD"],
                environ.get("PATH_INFO", ""),
                route.status,
                True,
                route.operation.operation_id,
                {},
                raw_headers(environ),
                headers,
                None,
                None,
                body,
                route.body,
            )
        except Exception:
            # The answer stands, as on Flask's lane; only its journal entry is lost.
            log.exception("could not journal %s %s", environ["REQUEST_METHOD"], environ.get("PATH_INFO"))


def build_routes(
    operations: Iterable[Operation], prefixes: Iterable[str], excluded: Callable[[Operation], bool]
) -> dict[tuple[str, str], FastRoute]:
    """The fast routes by (method, path) under each version root; ``excluded`` keeps an operation on Flask."""
    routes: dict[tuple[str, str], FastRoute] = {}
    roots = ["", *prefixes]
    for operation in operations:
        if excluded(operation):
            continue
        route = prepare_route(operation)
        if route is None:
            continue
        for root in roots:
            routes[(operation.method, root + operation.path)] = route
    return routes
