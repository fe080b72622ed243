"""CORS for browser frontends: preflights answered, Graph's headers exposed.

Only an OPTIONS request that carries both ``Origin`` and ``Access-Control-Request-Method`` is
a preflight; any other OPTIONS still gets the contract's 405 with ``Allow``. Allowed origins
come from CORS_ORIGINS: ``"loopback"`` (the default: http or https on localhost, 127.0.0.1 or
[::1], any port), ``"*"``, or exact origins; an empty list turns CORS off. The decision is pure
(the fast lane of dispatch.py uses it too); Flask is imported only to register the hooks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

LOOPBACK_ORIGIN = re.compile(r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$")
EXPOSED_HEADERS = "request-id, client-request-id, Retry-After, Location, OData-Version, Content-Type"
ALLOWED_METHODS = "GET, POST, PATCH, PUT, DELETE"


def origin_allowed(origin: str, allowed: Iterable[str]) -> bool:
    """Whether ``origin`` may call, under the CORS_ORIGINS entries ``allowed``."""
    for entry in allowed:
        if entry == "*" or entry == origin or (entry == "loopback" and LOOPBACK_ORIGIN.match(origin)):
            return True
    return False


def allowed_origin_headers(origin: str, allowed: Iterable[str]) -> list[tuple[str, str]]:
    """The headers an answer to ``origin`` carries (none when it may not call); Vary aside."""
    if not origin_allowed(origin, allowed):
        return []
    return [("Access-Control-Allow-Origin", origin), ("Access-Control-Expose-Headers", EXPOSED_HEADERS)]


def register_cors(app: Flask) -> None:
    """The preflight and allow-origin hooks on a Flask ``app``."""
    from flask import Response, request

    allowed = tuple(app.config["CORS_ORIGINS"] or ())
    if not allowed:
        return
    max_age = str(int(app.config["CORS_MAX_AGE"]))

    @app.before_request
    def _preflight() -> Response | None:
        # Read from the environ: these hooks run on every request, and a missing header looked up
        # through Werkzeug's Headers costs a raised and caught KeyError.
        environ = request.environ
        origin = environ.get("HTTP_ORIGIN")
        if not origin or "HTTP_ACCESS_CONTROL_REQUEST_METHOD" not in environ or request.method != "OPTIONS":
            return None
        if not origin_allowed(origin, allowed):
            return None
        response = Response(status=204)
        response.headers.pop("Content-Type", None)
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        requested = request.headers.get("Access-Control-Request-Headers")
        if requested:
            response.headers["Access-Control-Allow-Headers"] = requested
        response.headers["Access-Control-Max-Age"] = max_age
        return response

    @app.after_request
    def _allow_origin(response: Response) -> Response:
        origin = request.environ.get("HTTP_ORIGIN")
        cors = allowed_origin_headers(origin, allowed) if origin else []
        if cors:
            for name, value in cors:
                response.headers[name] = value
            response.vary.add("Origin")
        return response
