"""A generator for the contract's ``odata-filter`` format, so Schemathesis sends real filters.

``$filter`` is typed ``{type: string, format: odata-filter}``: any string is schema-valid, but
only OData expressions over the resource's properties mean something, and the stateful mock
answers others with 400. Registering this strategy makes Schemathesis's positive data what the
contract means: comparisons, ``startswith``/``endswith``/``contains``, ``in``, ``null``, nested
with ``and``/``or``/``not`` and parentheses, over every queryable property of the contract's
entity sets (read with mockgraph's own reader, so nothing here names a property).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import schemathesis
from hypothesis import strategies as st

from mockgraph.entity_sets import find_entity_sets
from mockgraph.odata import DATETIME, FILTER_FORMAT
from mockgraph.operations import compile_operations

_COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
_OFFSETS = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


def _string_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _datetime_literal(moment: datetime) -> str:
    text = moment.isoformat()
    return text.replace("+00:00", "Z") if moment.utcoffset() == timedelta(0) else text


_DATETIMES = st.datetimes(
    min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC) | _OFFSETS
).map(_datetime_literal)


def filter_strategy(kinds: dict[str, str]) -> st.SearchStrategy[str]:
    """Valid ``$filter`` expressions over properties of the given kinds."""
    names = sorted(kinds)
    strings = [name for name in names if kinds[name] != DATETIME]
    datetimes = [name for name in names if kinds[name] == DATETIME]
    atoms = [st.builds(lambda p, op: f"{p} {op} null", st.sampled_from(names), st.sampled_from(("eq", "ne")))]
    if strings:
        atoms += [
            st.builds(
                lambda p, op, v: f"{p} {op} {_string_literal(v)}",
                st.sampled_from(strings),
                st.sampled_from(_COMPARISONS),
                _TEXT,
            ),
            st.builds(
                lambda f, p, v: f"{f}({p},{_string_literal(v)})",
                st.sampled_from(("startswith", "endswith", "contains")),
                st.sampled_from(strings),
                _TEXT,
            ),
            st.builds(
                lambda p, vs: f"{p} in ({', '.join(_string_literal(v) for v in vs)})",
                st.sampled_from(strings),
                st.lists(_TEXT, min_size=2, max_size=3),
            ),
        ]
    if datetimes:
        atoms.append(
            st.builds(
                lambda p, op, v: f"{p} {op} {v}", st.sampled_from(datetimes), st.sampled_from(_COMPARISONS), _DATETIMES
            )
        )
    return st.recursive(
        st.one_of(atoms),
        lambda inner: st.one_of(
            st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(("and", "or")), inner),
            inner.map(lambda expression: f"not ({expression})"),
            inner.map(lambda expression: f"({expression})"),
        ),
        max_leaves=4,
    )


def register_filter_format(document: dict) -> None:
    """Teach Schemathesis the contract's ``odata-filter`` format (global to the process)."""
    kinds: dict[str, str] = {}
    for entity_set in find_entity_sets(document, compile_operations(document)).values():
        kinds.update(entity_set.columns.kinds)
    schemathesis.openapi.format(FILTER_FORMAT, filter_strategy(kinds))
