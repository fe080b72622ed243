"""Deliberately broken implementations of the contract, to prove the harness can fail.

Each is the real mock wrapped in a WSGI middleware that breaks exactly one promise, so the
rest of the contract still holds and the harness has one thing to find. ``BREAKS`` maps each
break to the Schemathesis check that must name it. ``serve_on_loopback`` runs one on a free
127.0.0.1 port in a thread and stops it deterministically.
"""

from __future__ import annotations

import io
import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from werkzeug.serving import WSGIRequestHandler, make_server

from contracts.harness import TOKEN, create_contract_mock

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


@dataclass(frozen=True)
class Break:
    """One broken promise: how the middleware breaks it, and the check that must report it."""

    check: str
    description: str


BREAKS: dict[str, Break] = {
    "created-as-200": Break("status_code_conformance", "POST answers 200 instead of 201"),
    "wrong-property-type": Break("response_schema_conformance", "userName comes back as a number"),
    "missing-request-id": Break("response_headers_conformance", "success answers lack request-id"),
    "server-error-on-top": Break("not_a_server_error", "any $top query parameter gets a 500"),
    "accepts-invalid-bodies": Break("negative_data_rejection", "an invalid body is accepted as if valid"),
    "ignores-missing-auth": Break("ignored_auth", "requests without a valid token are served"),
}
# Breaks of the stateful mock, found only by the stateful phase (create -> delete -> read chains).
STATEFUL_BREAKS: dict[str, Break] = {
    "deleted-still-served": Break("use_after_free", "DELETE answers 204 but keeps the event"),
    "created-not-found": Break("ensure_resource_availability", "201 names an id that GET cannot find"),
}


def create_broken_app(name: str) -> WSGIApp:
    """The mock (accepting only the harness token) with the one break called ``name``."""
    if name in STATEFUL_BREAKS:
        return BreakingMiddleware(create_contract_mock(stateful=True), name)
    if name not in BREAKS:
        raise KeyError(f"no broken server called {name!r}; known: {', '.join([*BREAKS, *STATEFUL_BREAKS])}")
    return BreakingMiddleware(create_contract_mock(), name)


class BreakingMiddleware:
    """Calls the real app, then bends the request or the answer in one way."""

    def __init__(self, app: WSGIApp, name: str):
        self.app = app
        self.name = name

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.name == "ignores-missing-auth":
            environ["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
        if self.name == "server-error-on-top" and "top=" in environ.get("QUERY_STRING", ""):
            start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain")])
            return [b"boom"]
        if self.name == "deleted-still-served" and environ["REQUEST_METHOD"] == "DELETE":
            return self._pretend_to_delete(environ, start_response)
        status, headers, body = self._call(environ)
        if self.name == "accepts-invalid-bodies" and status.startswith(("400", "415")):
            status, headers, body = self._call(_with_empty_object_body(environ))
        if status.startswith("2"):
            status, headers, body = self._bend_success(environ, status, headers, body)
        start_response(status, headers)
        return [body]

    def _pretend_to_delete(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """Look the event up instead of deleting it; answer 204 whenever it exists."""
        status, headers, body = self._call({**environ, "REQUEST_METHOD": "GET"})
        if status.startswith("200"):
            status, body = "204 NO CONTENT", b""
            headers = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
        start_response(status, headers)
        return [body]

    def _call(self, environ: dict) -> tuple[str, list[tuple[str, str]], bytes]:
        captured: dict = {}

        def start_response(status: str, headers: list, exc_info=None) -> None:
            captured["status"], captured["headers"] = status, list(headers)

        chunks = self.app(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        return captured["status"], captured["headers"], body

    def _bend_success(self, environ: dict, status: str, headers: list, body: bytes):
        if self.name == "created-as-200" and status.startswith("201"):
            status = "200 OK"
        if self.name == "created-not-found" and status.startswith("201"):
            stored = json.loads(body)["id"]
            body = body.replace(stored.encode(), str(uuid.uuid4()).encode())
            headers = [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in headers]
            headers = [(k, v.replace(stored, "elsewhere") if k.lower() == "location" else v) for k, v in headers]
        if self.name == "missing-request-id":
            headers = [(key, value) for key, value in headers if key.lower() != "request-id"]
        if self.name == "wrong-property-type" and body:
            document = json.loads(body)
            for item in _entities(document):
                item["userName"] = 12345
            body = json.dumps(document).encode()
            headers = [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in headers]
        return status, headers, body


def _entities(document: object) -> Iterator[dict]:
    if isinstance(document, dict):
        items = document.get("value") if isinstance(document.get("value"), list) else [document]
        yield from (item for item in items if isinstance(item, dict))


def _with_empty_object_body(environ: dict) -> dict:
    """The same request with ``{}`` as its JSON body: what a server that skips validation acts on."""
    replay = dict(environ)
    replay.update(
        {
            "wsgi.input": io.BytesIO(b"{}"),
            "CONTENT_LENGTH": "2",
            "CONTENT_TYPE": "application/json",
        }
    )
    replay.pop("mockgraph.request_id", None)
    return replay


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # thousands of requests per run; keep test output readable
        pass


@contextmanager
def serve_on_loopback(app: WSGIApp) -> Iterator[str]:
    """Serve ``app`` on a free 127.0.0.1 port in a thread; yield its base URL; stop it on exit."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
