"""OData system query options -> one parameterised SQL query over an entity set's columns.

``$filter`` is parsed by the `odata-query` package (its SLY grammar of the OData ABNF: literals,
precedence, ``not``, parentheses, function arity) into its AST. The SQL is built here rather than
with its ``AstToSqliteSqlVisitor``, which does not fit a store that answers Graph: it inlines
literals into the SQL text, escapes LIKE patterns for DB-API ``%`` formatting (``%`` -> ``%%``,
``_`` -> ``__``) so ``contains(x, '50%')`` matches wrongly, makes ``startswith``/``contains``
case-insensitive for ASCII through SQLite's LIKE, compares datetimes through SQLite's
``DATETIME()``, which drops offsets and the 7th fractional digit, and follows SQL's three-valued
NULL logic, under which ``not (x eq 'a')`` leaves out events whose ``x`` is null. The builder
below binds every literal as a parameter, compares datetimes as UTC ticks
(``mockgraph.timestamps``), and keeps OData's two-valued logic.

Pure: no Flask; every refusal is a BadRequest naming the option or property at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from odata_query import ast
from odata_query import exceptions as odata_errors
from odata_query.grammar import _TIME, ODataLexer, ODataParser

from mockgraph.exceptions import BadRequest
from mockgraph.odata_terms import (  # noqa: F401 - re-exported: mockgraph.odata is where callers look
    DATETIME,
    FILTER_FORMAT,
    MAX_CONDITIONS,
    MAX_DEPTH,
    SKIPTOKEN_PATTERN,
    STRING,
    Columns,
    Condition,
    orderby_pattern,
    select_pattern,
)
from mockgraph.timestamps import to_ticks


@dataclass
class ParsedOptions:
    """The OData options of one request that name properties, parsed; absent ones are empty."""

    where: Condition
    order: list[tuple[str, bool]]
    select: tuple[str, ...] | None
    skiptoken: int | None


class _Lexer(ODataLexer):
    """odata-query's lexer, with datetime literals of every RFC 3339 year.

    Its DATETIME token wants a year from 1000 (``[1-9]\\d{3}``), so the common "any time"
    bound ``creationDateTime ge 0001-01-01T00:00:00Z`` would be a syntax error.
    """

    tokens = ODataLexer.tokens
    literals = ODataLexer.literals

    @_(r"\d{4}-(?:0\d|1[0-2])-(?:[0-2]\d|3[01])T" + _TIME + r"?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?")  # noqa: F821
    def DATETIME(self, t):  # SLY names a token's rule after the token
        t.value = ast.DateTime(t.value)
        return t


def normalize_options(args: Mapping[str, list[str]], allowed: frozenset[str]) -> dict[str, str]:
    """``$name`` and ``name`` both spell a system query option (the prefix is optional on Graph beta).

    ``args`` maps each query key to all its values. An option given twice, under either spelling,
    is a 400, and so is a ``$`` option the operation does not support; unprefixed keys the
    operation does not know are left alone, as Graph leaves custom query parameters.
    """
    options: dict[str, str] = {}
    for key, values in args.items():
        bare = key[1:] if key.startswith("$") else key
        if f"${bare}" not in allowed:
            if key.startswith("$"):
                raise BadRequest(f"Query option '{key}' is not supported on this resource.")
            continue
        if f"${bare}" in options or len(values) > 1:
            raise BadRequest(f"Query option '${bare}' was specified more than once.")
        options[f"${bare}"] = values[0]
    return options


def parse_filter(text: str | None, columns: Columns) -> Condition:
    """``$filter`` as a SQL condition; empty means every item."""
    if text is None or not text.strip():
        return Condition()
    expression = text.strip()
    try:
        tree = ODataParser().parse(_Lexer().tokenize(expression))
    except odata_errors.ParsingException as error:
        where = "the end" if error.eof or error.token is None else f"position {error.token.index + 1}"
        raise BadRequest(f"Invalid $filter: syntax error at {where} of '{expression}'.") from None
    except odata_errors.TokenizingException as error:
        position = error.token.index + 1
        raise BadRequest(
            f"Invalid $filter: unexpected character {expression[position - 1]!r} at position {position}."
        ) from None
    except odata_errors.ODataException as error:
        raise BadRequest(f"Invalid $filter: {error}.") from None
    if tree is None:
        return Condition()
    builder = _SqlBuilder(columns)
    try:
        sql = builder.condition(tree)
    except RecursionError:
        raise BadRequest(f"Invalid $filter: nested more than {MAX_DEPTH} levels deep.") from None
    return Condition(sql, builder.params)


def parse_orderby(text: str | None, columns: Columns) -> list[tuple[str, bool]]:
    """``$orderby``: comma-separated properties, each optionally followed by asc or desc."""
    if text is None or not text.strip():
        return []
    parts = text.split(",")
    if len(parts) > MAX_DEPTH:
        raise BadRequest(f"Invalid $orderby: more than {MAX_DEPTH} keys.")
    order = []
    for part in parts:
        words = part.split()
        if not words or len(words) > 2:
            raise BadRequest(f"Invalid $orderby: '{part.strip()}' is not 'property [asc|desc]'.")
        name = words[0]
        columns.kind_of(name)
        direction = words[1] if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise BadRequest(f"Invalid $orderby: the direction '{words[1]}' is not asc or desc.")
        order.append((name, direction == "desc"))
    return order


def parse_select(text: str | None, properties: Mapping[str, object], type_name: str) -> tuple[str, ...] | None:
    """``$select``: the properties to return; None means all."""
    if text is None or not text.strip():
        return None
    names = [name.strip() for name in text.split(",")]
    if "*" in names:
        return None
    for name in names:
        if not name:
            raise BadRequest("Invalid $select: an empty property name.")
        if name not in properties:
            raise BadRequest(f"Could not find a property named '{name}' on type '{type_name}'.")
    return tuple(dict.fromkeys(names))


def parse_skiptoken(text: str | None) -> int | None:
    """The paging token this server writes into ``@odata.nextLink``: an offset."""
    if text is None:
        return None
    if not text.isdigit() or len(text) > 18:
        raise BadRequest(f"Invalid $skiptoken '{text[:40]}': use the @odata.nextLink as given.")
    return int(text)


def parse_options(options: Mapping[str, str], columns: Columns, selectable: Mapping[str, object]) -> ParsedOptions:
    """``$filter``, ``$orderby``, ``$select`` and ``$skiptoken``, each refused with its own message."""
    return ParsedOptions(
        where=parse_filter(options.get("$filter"), columns),
        order=parse_orderby(options.get("$orderby"), columns),
        select=parse_select(options.get("$select"), selectable, columns.type_name),
        skiptoken=parse_skiptoken(options.get("$skiptoken")),
    )


_COMPARATORS = {ast.Eq: "=", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_FLIPPED = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}
_OPERATOR_NAMES = {ast.Eq: "eq", ast.NotEq: "ne", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge"}
_LITERALS = (ast.String, ast.DateTime, ast.Date, ast.Null, ast.Integer, ast.Float, ast.Boolean, ast.GUID)
_LITERAL_NAMES = {
    ast.String: "Edm.String",
    ast.DateTime: "Edm.DateTimeOffset",
    ast.Date: "Edm.Date",
    ast.Integer: "Edm.Int32",
    ast.Float: "Edm.Double",
    ast.Boolean: "Edm.Boolean",
    ast.GUID: "Edm.Guid",
}
_KIND_NAMES = {STRING: "Edm.String", DATETIME: "Edm.DateTimeOffset"}


class _SqlBuilder:
    """Walks odata-query's AST; every condition it writes is true or false, never NULL."""

    def __init__(self, columns: Columns):
        self.columns = columns
        self.params: list = []
        self.conditions = 0

    def condition(self, node: ast._Node, depth: int = 0) -> str:
        if depth > MAX_DEPTH:
            raise BadRequest(f"Invalid $filter: nested more than {MAX_DEPTH} levels deep.")
        if isinstance(node, ast.BoolOp):
            # a or b or c ... is one flat list, not a chain of nested pairs
            operands = _flatten(node, type(node.op))
            joiner = " AND " if isinstance(node.op, ast.And) else " OR "
            return "(" + joiner.join(self.condition(operand, depth + 1) for operand in operands) + ")"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return f"(NOT {self.condition(node.operand, depth + 1)})"
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise BadRequest(f"Invalid $filter: more than {MAX_CONDITIONS} conditions.")
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        raise BadRequest(f"Invalid $filter: {_describe(node)} is not a condition.")

    def _property(self, node: ast._Node) -> tuple[str, str]:
        if isinstance(node, ast.Identifier):
            name = ".".join((*node.namespace, node.name))
            return name, self.columns.kind_of(name)
        if isinstance(node, ast.Attribute):
            raise BadRequest("Invalid $filter: navigation paths ('a/b') are not supported on this resource.")
        raise BadRequest(f"Invalid $filter: expected a property, found {_describe(node)}.")

    def _value(self, literal: ast._Node, kind: str, name: str) -> object:
        """A literal compared with property ``name``, as its column stores it."""
        if kind == STRING and isinstance(literal, ast.String):
            return literal.val
        if kind == DATETIME and isinstance(literal, ast.DateTime):
            ticks = to_ticks(literal.val, assume_utc=True)
            if ticks is None:
                raise BadRequest(f"Invalid $filter: '{literal.val}' is not a valid date-time.")
            return ticks
        found = _LITERAL_NAMES.get(type(literal), "an expression")
        raise BadRequest(
            f"Invalid $filter: the property '{name}' is {_KIND_NAMES.get(kind, kind)} and cannot be "
            f"compared with {found} ({_describe(literal)})."
        )

    def _compare(self, node: ast.Compare) -> str:
        left, right, comparator = node.left, node.right, type(node.comparator)
        if comparator is ast.In:
            return self._in(left, right)
        if isinstance(left, _LITERALS) and not isinstance(right, _LITERALS):
            left, right, comparator = right, left, _FLIPPED[comparator]
        name, kind = self._property(left)
        column = _quote(name)
        if isinstance(right, ast.Identifier):
            other, other_kind = self._property(right)
            if other_kind != kind:
                raise BadRequest(f"Invalid $filter: '{name}' and '{other}' have different types.")
            return self._columns_compare(column, _quote(other), comparator)
        if isinstance(right, ast.Null):
            if comparator is ast.Eq:
                return f"{column} IS NULL"
            if comparator is ast.NotEq:
                return f"{column} IS NOT NULL"
            raise BadRequest(f"Invalid $filter: '{_OPERATOR_NAMES[comparator]}' cannot compare with null.")
        if not isinstance(right, _LITERALS):
            raise BadRequest(f"Invalid $filter: {_describe(right)} is not a value to compare '{name}' with.")
        self.params.append(self._value(right, kind, name))
        if comparator is ast.Eq:
            return f"{column} IS ?"
        if comparator is ast.NotEq:
            return f"{column} IS NOT ?"
        return f"({column} IS NOT NULL AND {column} {_COMPARATORS[comparator]} ?)"

    @staticmethod
    def _columns_compare(left: str, right: str, comparator: type) -> str:
        if comparator is ast.Eq:
            return f"{left} IS {right}"
        if comparator is ast.NotEq:
            return f"{left} IS NOT {right}"
        return f"({left} IS NOT NULL AND {right} IS NOT NULL AND {left} {_COMPARATORS[comparator]} {right})"

    def _in(self, left: ast._Node, right: ast._Node) -> str:
        name, kind = self._property(left)
        items = right.val if isinstance(right, ast.List) else [right]
        self.conditions += len(items) - 1
        if self.conditions > MAX_CONDITIONS:
            raise BadRequest(f"Invalid $filter: more than {MAX_CONDITIONS} conditions.")
        parts = []
        for item in items:
            if isinstance(item, ast.Null):
                parts.append(f"{_quote(name)} IS NULL")
                continue
            self.params.append(self._value(item, kind, name))
            parts.append(f"{_quote(name)} IS ?")
        return "(" + " OR ".join(parts) + ")"

    def _call(self, node: ast.Call) -> str:
        function = node.func.name.lower()
        if function not in ("startswith", "endswith", "contains"):
            raise BadRequest(f"Invalid $filter: the function '{node.func.name}' is not supported on this resource.")
        subject, needle = node.args
        name, kind = self._property(subject)
        if kind != STRING:
            raise BadRequest(f"Invalid $filter: '{function}' needs a string property; '{name}' is {_KIND_NAMES[kind]}.")
        if not isinstance(needle, ast.String):
            raise BadRequest(f"Invalid $filter: the second argument of '{function}' must be a string literal.")
        column = _quote(name)
        text = needle.val
        if not text:
            return f"{column} IS NOT NULL"
        if function == "startswith":
            # A range, so an index seeks to the prefix and stops after it (exact in code point
            # order, which is SQLite's BINARY order of UTF-8 text).
            upper = _successor(text)
            if upper is None:
                self.params += [text, len(text), text]
                return f"({column} IS NOT NULL AND {column} >= ? AND substr({column}, 1, ?) = ?)"
            self.params += [text, upper]
            return f"({column} IS NOT NULL AND {column} >= ? AND {column} < ?)"
        if function == "endswith":
            self.params += [len(text), text]
            return f"({column} IS NOT NULL AND substr({column}, -?) = ?)"
        self.params.append(text)
        return f"({column} IS NOT NULL AND instr({column}, ?) > 0)"


def _successor(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix``; None when there is none."""
    chars = list(prefix)
    while chars:
        code = ord(chars.pop()) + 1
        if code <= 0x10FFFF:
            return "".join(chars) + chr(0xE000 if 0xD800 <= code <= 0xDFFF else code)
    return None


def _flatten(node: ast._Node, op: type) -> list[ast._Node]:
    """The operands of a chain of one boolean operator, left to right, without recursion."""
    operands, pending = [], [node]
    while pending:
        current = pending.pop()
        if isinstance(current, ast.BoolOp) and isinstance(current.op, op):
            pending += [current.right, current.left]
        else:
            operands.append(current)
    return operands


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _describe(node: ast._Node) -> str:
    if isinstance(node, ast.Identifier):
        return f"the property '{node.name}'"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return "a 'not' that binds tighter than comparisons (write not (a eq b))"
    value = getattr(node, "val", None)
    if isinstance(value, str):
        return f"'{value}'"
    return f"a {type(node).__name__.lower()}"
