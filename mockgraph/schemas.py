"""JSON Schema (as OpenAPI 3.1 writes it) -> marshmallow schemas, built once at start.

No maintained library converts JSON Schema to marshmallow, so this is apispec's field
converter run backwards: a table from (type, format) to a field class, plus one small step per
keyword (nullable, enum, minimum, required, readOnly, additionalProperties). Body fields are
strict about JSON types (``"1"`` is not an integer, ``1`` is not a string); query fields parse
the text a URL carries.
"""

from __future__ import annotations

import numbers

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, missing, validate
from marshmallow.utils import set_value

from mockgraph import values


class StrictInteger(fields.Integer):
    """An integer that is a JSON integer, not a boolean, float or numeric string."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise self.make_error("invalid")
        return value


class StrictNumber(fields.Field):
    default_error_messages = {"invalid": "Not a valid number."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise self.make_error("invalid")
        return value


class StrictBoolean(fields.Field):
    default_error_messages = {"invalid": "Not a valid boolean."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class DateTimeString(fields.String):
    """An RFC 3339 date-time with an offset, kept as the text the client sent."""

    default_error_messages = {"invalid_datetime": "Not a valid RFC 3339 date-time with an offset."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not values.is_datetime(text):
            raise self.make_error("invalid_datetime")
        return text


class AnyJson(fields.Raw):
    """A value whose schema names no type."""


class ReadOnly(fields.Field):
    """A property clients may not send, not even as null (a stored null id would lose the event)."""

    default_error_messages = {"read_only": "The property is read-only and cannot be set."}

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if value is missing:
            return super().deserialize(value, attr, data, **kwargs)
        raise self.make_error("read_only")


class LeanSchema(Schema):
    """A Schema whose plain ``load`` visits only the properties a body carries.

    ``Schema.load`` calls every declared field, present or not (18 for this resource, where a
    typical body sends 6), and builds an error store on the way: most of a request's cost. This
    load deserializes the present properties with the very same field objects and, whenever
    anything is off (a missing required property, an unknown key, a field's ValidationError, a
    hook, an option), hands the whole body to ``Schema.load``, so every answer and every error
    message is exactly marshmallow's.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plan = _lean_plan(self)

    def load(self, data, *, many=None, partial=None, unknown=None):
        plan = self._plan
        if plan is None or many or partial is not None or unknown is not None or type(data) is not dict:
            return super().load(data, many=many, partial=partial, unknown=unknown)
        result = {}
        present = 0
        for key, field, required, dotted, plain_text in plan:
            value = data.get(key, missing)
            if value is missing:
                if required:
                    return super().load(data)
                continue
            if plain_text and type(value) is str:
                # What fields.String without validators returns for a str: the str itself.
                result[key] = value
                present += 1
                continue
            try:
                value = field.deserialize(value, key, data)
            except ValidationError:
                return super().load(data)
            if dotted:
                set_value(result, key, value)  # as marshmallow stores '@odata.type': nested
            else:
                result[key] = value
            present += 1
        if present != len(data):
            return super().load(data)
        return result


def _lean_plan(schema: Schema) -> tuple | None:
    """Per load field: (key, field, required, dotted, plain_text); None where lean could differ from load."""
    if schema.many or schema.partial or any(schema._hooks.values()):
        return None
    plan = []
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        attribute = field.attribute or name
        if key != attribute or field.load_default is not missing:
            return None
        dotted = "." in key
        plain_text = type(field) is fields.String and not field.validators and not field.pre_load and not dotted
        plan.append((key, field, field.required, dotted, plain_text))
    return tuple(plan)


class QueryBoolean(fields.Boolean):
    truthy = {"true"}
    falsy = {"false"}


_BODY_FIELDS = {
    "string": fields.String,
    "integer": StrictInteger,
    "number": StrictNumber,
    "boolean": StrictBoolean,
}
_QUERY_FIELDS = {
    "string": fields.String,
    "integer": fields.Integer,
    "number": fields.Float,
    "boolean": QueryBoolean,
}


def build_schema(schema: dict, components: dict, *, name: str = "Body") -> Schema:
    """A marshmallow Schema instance validating JSON bodies against ``schema``."""
    cache: dict[str, type[Schema]] = {}
    resolved = values.resolve(schema, components)
    return _schema_class(resolved, components, cache, name)()


def build_field(schema: dict, components: dict, *, required: bool = False) -> fields.Field:
    """A marshmallow field for one body value (a top-level array, say)."""
    return _field(schema, components, {}, required=required)


def build_query_schema(parameters: list[dict]) -> Schema:
    """A schema for query parameters: typed from text, unknown keys ignored."""
    declared = {}
    for parameter in parameters:
        schema = parameter.get("schema", {})
        kinds = [kind for kind in values.types_of(schema) if kind != "null"] or ["string"]
        cls = _QUERY_FIELDS.get(kinds[0], fields.String)
        declared[parameter["name"]] = cls(required=parameter.get("required", False), validate=_validators(schema))
    return Schema.from_dict(declared, name="Query")(unknown=EXCLUDE)


def _schema_class(schema: dict, components: dict, cache: dict, name: str) -> type[Schema]:
    if name in cache:
        return cache[name]
    required = set(schema.get("required", []))
    declared = {}
    for prop, prop_schema in schema.get("properties", {}).items():
        declared[prop] = _field(prop_schema, components, cache, required=prop in required)
    allow_extra = schema.get("additionalProperties", True) is not False
    meta = type("Meta", (), {"unknown": EXCLUDE if allow_extra else RAISE})
    cls = type(name.replace(".", "_"), (LeanSchema,), {**declared, "Meta": meta})
    cache[name] = cls
    return cls


def _field(schema: dict, components: dict, cache: dict, *, required: bool = False) -> fields.Field:
    ref = schema.get("$ref")
    resolved = values.resolve(schema, components)
    kinds = values.types_of(resolved)
    nullable = "null" in kinds
    concrete = [kind for kind in kinds if kind != "null"]
    options = {"required": required, "allow_none": nullable or not kinds, "validate": _validators(resolved)}
    if resolved.get("readOnly"):
        return ReadOnly(required=False, allow_none=True)
    if len(concrete) != 1:
        return AnyJson(**options)
    kind = concrete[0]
    if kind == "object":
        if "properties" not in resolved:
            return fields.Dict(**options)
        name = ref.rsplit("/", 1)[-1] if ref else f"Nested{len(cache)}"
        return fields.Nested(_schema_class(resolved, components, cache, name), **options)
    if kind == "array":
        return fields.List(_field(resolved.get("items", {}), components, cache), **options)
    if kind == "string" and resolved.get("format") == "date-time":
        return DateTimeString(**options)
    return _BODY_FIELDS.get(kind, AnyJson)(**options)


def _validators(schema: dict) -> list:
    checks = []
    if "enum" in schema:
        checks.append(validate.OneOf([value for value in schema["enum"] if value is not None]))
    if "minimum" in schema or "maximum" in schema:
        checks.append(validate.Range(min=schema.get("minimum"), max=schema.get("maximum")))
    if "minLength" in schema or "maxLength" in schema:
        checks.append(validate.Length(min=schema.get("minLength"), max=schema.get("maxLength")))
    if "pattern" in schema:
        checks.append(validate.Regexp(schema["pattern"]))
    return checks


def describe_errors(messages: dict | list, type_name: str | None = None, prefix: str = "") -> list[str]:
    """Turn marshmallow's nested error dict into sentences that name each property."""
    if isinstance(messages, list):
        return [f"{prefix or 'The request body'}: {message}" for message in messages if isinstance(message, str)]
    sentences = []
    for key, inner in sorted(messages.items(), key=lambda item: str(item[0])):
        if key == "_schema":
            sentences += [f"{prefix or 'The request body'}: {message}" for message in _flatten(inner)]
            continue
        path = f"{prefix}.{key}" if prefix else str(key)
        if inner == ["Unknown field."]:
            owner = f" on type '{type_name}'" if type_name and not prefix else ""
            sentences.append(f"Property '{path}' does not exist{owner}.")
        elif isinstance(inner, dict):
            sentences += describe_errors(inner, type_name, path)
        else:
            sentences += [f"Property '{path}' has an invalid value: {message}" for message in _flatten(inner)]
    return sentences


def _flatten(messages) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, dict):
        return [text for inner in messages.values() for text in _flatten(inner)]
    return [text for inner in messages for text in _flatten(inner)]


__all__ = ["LeanSchema", "ValidationError", "build_field", "build_query_schema", "build_schema", "describe_errors"]
