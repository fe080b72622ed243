"""One Flask rule per contract operation (and per version root), none written by hand.

OpenAPI templates (``/items/{item-id}``) become Werkzeug rules (``/items/<p0>``); the
handler receives the path values under their contract names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from flask import Flask
from werkzeug.routing import BaseConverter

from mockgraph.operations import Operation


class KeySegmentConverter(BaseConverter):
    """One path segment holding a key; OData reserves segments that start with '$' ($count)."""

    regex = r"(?!\$)[^/]+"


_TEMPLATE = re.compile(r"\{([^}]+)\}")


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
