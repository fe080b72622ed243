"""The light half of mockgraph.odata: kinds, patterns and the shapes a query compiles into.

Kept apart from the parser (which imports `odata-query` and builds its SLY grammar, about 0.09 s)
so that serving the examples, loading the contract and opening a store start without it;
``mockgraph.odata`` re-exports everything here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from mockgraph.exceptions import BadRequest

STRING = "string"
DATETIME = "datetime"
FILTER_FORMAT = "odata-filter"
# Bounds on one $filter, well inside SQLite's (expression depth 1000, parser stack 100).
MAX_DEPTH = 32
MAX_CONDITIONS = 100
SKIPTOKEN_PATTERN = r"^[0-9]{1,18}$"


def select_pattern(names: list[str]) -> str:
    """The language of ``$select`` over ``names``, as a JSON Schema pattern (empty means all)."""
    name = "(?:" + "|".join(re.escape(n) for n in names) + r"|\*)"
    return rf"^(?:\s*|\s*{name}\s*(?:,\s*{name}\s*)*)$"


def orderby_pattern(names: list[str]) -> str:
    """The language of ``$orderby`` over ``names``: ``name [asc|desc]``, comma-separated."""
    key = "(?:" + "|".join(re.escape(n) for n in names) + r")(?:\s+(?:asc|desc))?"
    return rf"^(?:\s*|\s*{key}\s*(?:,\s*{key}\s*)*)$"


@dataclass(frozen=True)
class Columns:
    """What a query may name: queryable properties and their kinds, and the entity's type name."""

    kinds: Mapping[str, str]
    type_name: str

    def kind_of(self, name: str) -> str:
        kind = self.kinds.get(name)
        if kind is None:
            raise BadRequest(f"Could not find a property named '{name}' on type '{self.type_name}'.")
        return kind


@dataclass
class Condition:
    """A SQL boolean expression with its bound parameters."""

    sql: str = "1"
    params: list = field(default_factory=list)
