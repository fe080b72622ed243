"""LeanSchema.load answers exactly as marshmallow's Schema.load: same data, same error messages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from mockgraph.schemas import LeanSchema


@pytest.fixture(scope="module")
def body_schema(app):
    create = next(op for op in app.extensions["mockgraph"]["operations"] if op.method == "POST" and op.body)
    return create.body


def outcome(load, data):
    try:
        return "loaded", load(data)
    except ValidationError as error:
        return "refused", error.messages


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)
date_times = st.sampled_from(["2024-01-02T03:04:05Z", "2024-01-02T03:04:05+02:00", "2024-01-02", "yesterday"])


@st.composite
def bodies(draw, names):
    known = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    body = {name: draw(st.one_of(st.text(max_size=12), date_times, json_values)) for name in known}
    if draw(st.booleans()):
        body.update(draw(st.dictionaries(st.text(min_size=1, max_size=6), json_values, max_size=2)))
    return body


def test_contract_body_schema_takes_the_lean_path(body_schema, create_example, monkeypatch):
    assert isinstance(body_schema, LeanSchema)
    expected = Schema.load(body_schema, create_example.request.body)

    def full_load(self, *args, **kwargs):
        raise AssertionError("fell back to Schema.load for a valid body")

    monkeypatch.setattr(Schema, "load", full_load)
    assert body_schema.load(create_example.request.body) == expected


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_lean_load_gives_the_same_result_or_errors_as_marshmallow(body_schema, data):
    names = sorted(body_schema.load_fields)
    body = data.draw(bodies(names))
    assert outcome(body_schema.load, body) == outcome(lambda d: Schema.load(body_schema, d), body)


def test_lean_load_keeps_marshmallows_nesting_of_dotted_names(body_schema):
    body = {"@odata.type": "#microsoft.graph.privilegedOperationEvent", "userId": "u"}
    assert body_schema.load(body) == Schema.load(body_schema, body)


def test_lean_load_refuses_what_marshmallow_refuses_with_its_messages(body_schema):
    for body in ({"userId": 1}, {"id": "server-owned"}, {"unknown": True}, {"expirationDateTime": "soon"}):
        with pytest.raises(ValidationError) as lean:
            body_schema.load(body)
        with pytest.raises(ValidationError) as full:
            Schema.load(body_schema, body)
        assert lean.value.messages == full.value.messages
