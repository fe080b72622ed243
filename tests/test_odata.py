"""OData options -> SQL, and RFC 3339 text -> sortable UTC ticks, without any app or store."""

from __future__ import annotations

import sqlite3

import pytest

from mockgraph.exceptions import BadRequest
from mockgraph.odata import (
    DATETIME,
    STRING,
    Columns,
    normalize_options,
    orderby_pattern,
    parse_filter,
    parse_orderby,
    parse_select,
    parse_skiptoken,
    select_pattern,
)
from mockgraph.timestamps import TICKS_PER_SECOND, days_from_civil, now_text, to_ticks

TYPE = "microsoft.graph.privilegedOperationEvent"
COLUMNS = Columns({"id": STRING, "requestType": STRING, "userName": STRING, "creationDateTime": DATETIME}, TYPE)
ROWS = [
    ("a", "Assign", "Alex Wilber", "2017-06-25T07:20:23.4830000Z"),
    ("b", "Activate", "Megan Bowen", "2017-06-25T09:41:52.739+02:00"),
    ("c", "Assign", None, "2017-06-24T16:05:11Z"),
    ("d", None, "O'Brien 50%", None),
]


@pytest.fixture(scope="module")
def table():
    connection = sqlite3.connect(":memory:")
    connection.execute('CREATE TABLE t (id TEXT, "requestType" TEXT, "userName" TEXT, "creationDateTime" INTEGER)')
    for key, request_type, user, created in ROWS:
        connection.execute(
            "INSERT INTO t VALUES (?, ?, ?, ?)", (key, request_type, user, created and to_ticks(created))
        )
    return connection


def matching(table, expression: str) -> list[str]:
    condition = parse_filter(expression, COLUMNS)
    return [row[0] for row in table.execute(f"SELECT id FROM t WHERE {condition.sql} ORDER BY id", condition.params)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("requestType eq 'Assign'", ["a", "c"]),
        ("requestType ne 'Assign'", ["b", "d"]),  # null is not 'Assign'
        ("not (requestType eq 'Assign')", ["b", "d"]),  # two-valued: a null requestType is kept
        ("requestType eq null", ["d"]),
        ("requestType ne null and userName ne null", ["a", "b"]),
        ("(creationDateTime ge 2017-06-25T07:00:00Z) and (creationDateTime le 2017-06-25T08:00:00Z)", ["a", "b"]),
        ("creationDateTime gt 2017-06-25T07:41:52.7390000Z", []),  # b is 07:41:52.739Z, written +02:00
        ("creationDateTime ge 2017-06-25T09:41:52.739+02:00", ["b"]),
        ("creationDateTime lt 2017-06-25T00:00:00+00:00", ["c"]),
        ("startswith(userName, 'Meg')", ["b"]),
        ("startswith(userName, 'meg')", []),  # case-sensitive, as OData defines it
        ("startswith(userName, 'Megan Bowen')", ["b"]),
        ("startswith(userName, 'Megan Bowen ')", []),
        ("startswith(userName, 'M') or startswith(userName, 'O')", ["b", "d"]),
        ("not startswith(userName, 'M')", ["a", "c", "d"]),  # a null userName does not start with 'M'
        ("startswith(userName, '\U0010ffff')", []),
        ("endswith(userName, 'Wilber')", ["a"]),
        ("contains(userName, '50%')", ["d"]),  # '%' is a character, not a wildcard
        ("contains(userName, 'O''Brien')", ["d"]),
        ("contains(userName, '_')", []),
        ("requestType in ('Activate', 'Nothing')", ["b"]),
        ("'Assign' eq requestType or id eq 'd'", ["a", "c", "d"]),
        ("id eq 'a' or id eq 'b' and requestType eq 'Assign'", ["a"]),  # and binds tighter than or
        ("(id eq 'a' or id eq 'b') and requestType eq 'Activate'", ["b"]),
    ],
)
def test_filter_selects_exactly_the_matching_rows(table, expression, expected):
    assert matching(table, expression) == expected


def test_long_flat_chains_stay_flat_and_overlong_or_deep_filters_are_400_not_500(table):
    chain = " or ".join(f"id eq '{key}'" for key in ["a", "b"] * 50)
    assert matching(table, chain) == ["a", "b"]  # 100 conditions, one flat OR that SQLite parses
    for expression, named in [
        (chain + " or id eq 'c'", "more than 100 conditions"),
        ("id in (" + ",".join(["'a'"] * 101) + ")", "more than 100 conditions"),
        ("not (" * 40 + "id eq 'a'" + ")" * 40, "nested more than 32 levels"),
        ("not id eq 'a'", r"write not \(a eq b\)"),
    ]:
        with pytest.raises(BadRequest, match=named):
            parse_filter(expression, COLUMNS)


def test_filter_binds_literals_as_parameters_never_as_sql_text():
    condition = parse_filter("userName eq 'x''); DROP TABLE t; --'", COLUMNS)
    assert "DROP" not in condition.sql
    assert condition.params == ["x'); DROP TABLE t; --"]


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ("nope eq 'x'", "Could not find a property named 'nope'"),
        ("requestType eq", "syntax error"),
        ("requestType eq 'x' and", "syntax error"),
        ("requestType eq 1", "Edm.String and cannot be compared with Edm.Int32"),
        ("creationDateTime ge '2017-01-01T00:00:00Z'", "Edm.DateTimeOffset and cannot be compared with Edm.String"),
        ("requestType", "is not a condition"),
        ("tolower(requestType) eq 'x'", "expected a property"),
        ("length(userName) gt 1", "expected a property"),
        ("substring(userName, 1) eq 'x'", "expected a property"),
        ("matchesPattern(userName, 'x')", "not supported"),
        ("requestType gt null", "cannot compare with null"),
        ("manager/id eq 'x'", "navigation paths"),
        ("requestType eq 'x' #", "syntax error at position 19"),
        ("requestType eq 'x'#", "unexpected character '#' at position 19"),
    ],
)
def test_filter_refuses_what_it_cannot_answer_with_a_400_naming_the_problem(expression, named):
    with pytest.raises(BadRequest) as raised:
        parse_filter(expression, COLUMNS)
    assert named in raised.value.message


def test_year_one_bounds_parse_and_compare_as_instants(table):
    assert matching(table, "creationDateTime ge 0001-01-01T00:00:00+23:59") == ["a", "b", "c"]
    assert matching(table, "creationDateTime lt 0001-01-01T00:00:00Z") == []


def test_empty_filter_matches_everything(table):
    assert matching(table, "  ") == ["a", "b", "c", "d"]


def test_orderby_reads_several_keys_and_directions_and_refuses_unknown_ones():
    assert parse_orderby("creationDateTime desc, userName", COLUMNS) == [
        ("creationDateTime", True),
        ("userName", False),
    ]
    assert parse_orderby("", COLUMNS) == []
    bad_cases = [("bogus", "'bogus'"), ("userName sideways", "'sideways'"), ("userName,", "''"), ("id," * 40, "keys")]
    for bad, named in bad_cases:
        with pytest.raises(BadRequest) as raised:
            parse_orderby(bad, COLUMNS)
        assert named in raised.value.message


def test_select_names_properties_and_refuses_unknown_ones():
    assert parse_select("id, requestType,id", COLUMNS.kinds, TYPE) == ("id", "requestType")
    assert parse_select("*", COLUMNS.kinds, TYPE) is None
    with pytest.raises(BadRequest, match="Could not find a property named 'nope'"):
        parse_select("id,nope", COLUMNS.kinds, TYPE)


@pytest.mark.parametrize(
    ("text", "accepted"),
    [("", True), ("id", True), (" id desc , userName asc ", True), ("id,", False), ("Id", False), ("id DESC", False)],
)
def test_orderby_pattern_accepts_what_the_parser_accepts(text, accepted):
    import re

    assert bool(re.search(orderby_pattern(["id", "userName"]), text)) is accepted
    try:
        parse_orderby(text, Columns({"id": STRING, "userName": STRING}, TYPE))
        parsed = True
    except BadRequest:
        parsed = False
    assert parsed is accepted


def test_select_pattern_accepts_star_lists_and_empty():
    import re

    pattern = select_pattern(["id", "userName"])
    assert all(re.search(pattern, text) for text in ["", "*", "id,userName", " id , * "])
    assert not any(re.search(pattern, text) for text in ["id,", "nope", "id userName"])


def test_options_take_the_dollar_prefix_or_not_but_only_once():
    allowed = frozenset({"$top", "$filter"})
    assert normalize_options({"top": ["5"], "$filter": ["x"], "custom": ["1"]}, allowed) == {
        "$top": "5",
        "$filter": "x",
    }
    with pytest.raises(BadRequest, match="more than once"):
        normalize_options({"top": ["5"], "$top": ["6"]}, allowed)
    with pytest.raises(BadRequest, match="more than once"):
        normalize_options({"$top": ["5", "6"]}, allowed)
    with pytest.raises(BadRequest, match="'\\$expand' is not supported"):
        normalize_options({"$expand": ["x"]}, allowed)


def test_skiptoken_is_the_offset_this_server_wrote():
    assert parse_skiptoken("200") == 200
    assert parse_skiptoken(None) is None
    with pytest.raises(BadRequest, match="nextLink"):
        parse_skiptoken("abc")


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("2017-06-25T07:20:23Z", "2017-06-25T07:20:23+00:00"),
        ("2017-06-25T07:20:23.4830000Z", "2017-06-25T07:20:23.483Z"),
        ("2017-06-25T09:20:23+02:00", "2017-06-25T07:20:23z"),
        ("2017-06-25T00:00:00-00:30", "2017-06-25T00:30:00Z"),
    ],
)
def test_equal_instants_get_equal_ticks_whatever_the_offset_or_precision(left, right):
    assert to_ticks(left) == to_ticks(right)


def test_ticks_sort_as_instants_and_keep_seven_fractional_digits():
    texts = ["2017-06-25T07:20:23.0000001Z", "2017-06-25T07:20:23Z", "2017-06-25T08:20:22.9+01:00"]
    assert sorted(texts, key=to_ticks) == [texts[2], texts[1], texts[0]]
    assert to_ticks("1970-01-01T00:00:01.1234567Z") == TICKS_PER_SECOND + 1234567
    assert to_ticks("1970-01-01T00:00:00.123456789Z") == 1234567  # digits past the 7th are dropped


def test_year_one_with_a_positive_offset_falls_before_year_one_without_overflowing():
    early = to_ticks("0001-01-01T00:00:00+23:59")
    assert early is not None and early < to_ticks("0001-01-01T00:00:00Z")
    assert to_ticks("9999-12-31T23:59:59.9999999-23:59") < 2**63


def test_invalid_or_offsetless_datetimes_have_no_ticks_unless_utc_is_assumed():
    assert to_ticks("2017-13-01T00:00:00Z") is None
    assert to_ticks("yesterday") is None
    assert to_ticks("2017-06-25T07:20:23") is None
    assert to_ticks("2017-06-25T07:20:23", assume_utc=True) == to_ticks("2017-06-25T07:20:23Z")


def test_days_from_civil_matches_the_calendar():
    from datetime import date

    for day in (date(1, 1, 1), date(1970, 1, 1), date(2000, 2, 29), date(9999, 12, 31)):
        assert days_from_civil(day.year, day.month, day.day) == (day - date(1970, 1, 1)).days


def test_now_is_written_as_graph_writes_it():
    text = now_text()
    assert text.endswith("Z") and len(text.split(".")[1]) == 8  # seven digits and the Z
    assert to_ticks(text) is not None
