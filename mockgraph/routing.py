"""One Flask rule per contract operation (and per version root), none written by hand.

OpenAPI templates (``/items/{item-id}``) become Werkzeug rules (``/items/<p0>``); the
handler receives the path values under their contract names.

Graph clients percent-encode a key as one segment (``a/b`` is sent as ``a%2Fb``), but WSGI
servers hand the app a decoded PATH_INFO, where that slash splits the segment in two.
``KeepEncodedSlashes`` re-reads such paths from the raw request target (gunicorn's
``RAW_URI``, Werkzeug's ``REQUEST_URI``) so the key reaches its view whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import unquote_to_bytes

from flask import Flask, request
from werkzeug.routing import BaseConverter

from mockgraph.operations import Operation


class KeySegmentConverter(BaseConverter):
    """One path segment holding a key; OData reserves segments that start with '$' ($count)."""

    regex = r"(?!\$)[^/]+"


_TEMPLATE = re.compile(r"\{([^}]+)\}")
_ESCAPED = re.compile(r"%2F|%25|%24")
_UNESCAPED = {"%2F": "/", "%25": "%", "%24": "$"}
ESCAPED_FLAG = "mockgraph.escaped_segments"


class KeepEncodedSlashes:
    """WSGI middleware: a key sent percent-encoded keeps its meaning after the server decodes it.

    ``a%2Fb`` is one segment, not two; ``%24count`` is a key that starts with ``$``, not OData's
    ``$count`` segment (a percent-encoded reserved character is data, RFC 3986 2.2). When the raw
    path has either, each raw segment is decoded on its own and then ``%``, ``/`` and an encoded
    leading ``$`` are re-escaped (``%25``, ``%2F``, ``%24``); routing sees one segment per raw
    segment, and the endpoint unescapes the values.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if raw and not environ.get("SCRIPT_NAME"):
            path = raw.split("?", 1)[0]
            if "://" in path:
                path = "/" + path.split("://", 1)[1].partition("/")[2]
            lowered = path.lower()
            if "%2f" in lowered or "/%24" in lowered:
                environ["PATH_INFO"] = "/".join(_escape(segment) for segment in path.split("/"))
                environ[ESCAPED_FLAG] = True
        return self.app(environ, start_response)


def _escape(raw_segment: str) -> str:
    text = unquote_to_bytes(raw_segment).decode("latin-1").replace("%", "%25").replace("/", "%2F")
    if raw_segment[:3].lower() == "%24":
        text = "%24" + text[1:]
    return text


def _unescape(value: str) -> str:
    return _ESCAPED.sub(lambda match: _UNESCAPED[match.group(0)], value)


def to_rule(template: str) -> tuple[str, list[str]]:
    """An OpenAPI path template as a Werkzeug rule, and the contract names of its parameters."""
    names: list[str] = []

    def _replace(match: re.Match) -> str:
        names.append(match.group(1))
        return f"<key:p{len(names) - 1}>"

    return _TEMPLATE.sub(_replace, template), names


def register_routes(
    app: Flask,
    operations: Iterable[Operation],
    resolve: Callable[[Operation], Callable],
    prefixes: Iterable[str] = (),
) -> None:
    """Register ``resolve(operation)`` as the view of each operation under each prefix."""
    app.url_map.converters["key"] = KeySegmentConverter
    roots = ["", *prefixes]
    for operation in operations:
        rule, names = to_rule(operation.path)
        view = resolve(operation)

        def endpoint(_view=view, _names=tuple(names), **values):
            if request.environ.get(ESCAPED_FLAG):
                values = {key: _unescape(value) for key, value in values.items()}
            return _view({name: values[f"p{index}"] for index, name in enumerate(_names)})

        endpoint.__name__ = operation.operation_id
        for root in roots:
            app.add_url_rule(
                root + rule,
                endpoint=operation.operation_id,
                view_func=endpoint,
                methods=[operation.method],
                provide_automatic_options=False,
            )
