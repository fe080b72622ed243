"""JSON values against JSON Schema: typing examples, replacing placeholders, checking examples.

Pure functions shared by the deriver (which types example values and swaps placeholders for
typed samples) and the contract loader (which proves every example fits its own schema).
"""

from __future__ import annotations

import re
from datetime import datetime

_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$")
_DATETIME_PLACEHOLDERS = {"datetime-value", "string (timestamp)", "datetimeoffset", "datetime"}

SAMPLE_DATETIME = "2024-01-01T00:00:00Z"
SAMPLE_INNER_ERROR = {
    "date": "2024-01-01T00:00:00",
    "request-id": "00000000-0000-4000-8000-000000000000",
    "client-request-id": "00000000-0000-4000-8000-000000000000",
}
_SAMPLES = {"integer": 0, "number": 0, "boolean": False, "array": [], "object": {}, "string": ""}


def is_datetime(value: object) -> bool:
    """RFC 3339 date-time with an offset, as JSON Schema's ``date-time`` format means."""
    if not isinstance(value, str):
        return False
    match = _DATETIME.match(value)
    if not match:
        return False
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    if not (1 <= month <= 12 and hour <= 23 and minute <= 59 and second <= 60):
        return False
    if match.group(9) is not None and (int(match.group(9)) > 23 or int(match.group(10)) > 59):
        return False
    try:
        datetime(max(year, 1), month, day)
    except ValueError:
        return not (month == 2 and day == 29 and year == 0)
    return True


def resolve(schema: dict, schemas: dict) -> dict:
    """Follow ``#/components/schemas/`` references."""
    seen = 0
    while "$ref" in schema and seen < 32:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        seen += 1
    return schema


def types_of(schema: dict) -> list[str]:
    declared = schema.get("type")
    if declared is None:
        return []
    return [declared] if isinstance(declared, str) else list(declared)


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def fits_type(value: object, schema: dict) -> bool:
    """Whether ``value`` has one of the schema's types and, for strings, its format."""
    allowed = types_of(schema)
    kind = json_type(value)
    if allowed and kind not in allowed and not (kind == "integer" and "number" in allowed):
        return False
    if kind == "string" and schema.get("format") == "date-time" and not is_datetime(value):
        return False
    return "enum" not in schema or value in schema["enum"]


def sample_for(schema: dict) -> object:
    """A deterministic value of the schema's type."""
    if "enum" in schema:
        return schema["enum"][0]
    kinds = [kind for kind in types_of(schema) if kind != "null"] or ["string"]
    if kinds[0] == "string" and schema.get("format") == "date-time":
        return SAMPLE_DATETIME
    return _SAMPLES.get(kinds[0], "")


def replace_placeholders(value: object, schema: dict, schemas: dict, pointer: str = "") -> tuple[object, dict]:
    """Swap values their schema rejects for typed samples; return the value and what was swapped."""
    schema = resolve(schema, schemas)
    swapped: dict[str, object] = {}
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        out = {}
        for key, item in value.items():
            if key in properties:
                out[key], inner = replace_placeholders(item, properties[key], schemas, f"{pointer}/{_escape(key)}")
                swapped.update(inner)
            else:
                out[key] = item
        return out, swapped
    if isinstance(value, list):
        items = schema.get("items", {})
        out_list = []
        for index, item in enumerate(value):
            new, inner = replace_placeholders(item, items, schemas, f"{pointer}/{index}")
            out_list.append(new)
            swapped.update(inner)
        return out_list, swapped
    if schema and not fits_type(value, schema):
        swapped[pointer or "/"] = value
        return sample_for(schema), swapped
    return value, swapped


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def infer_schema(value: object) -> dict:
    """A JSON Schema for a documented example value, nullable as every Graph property is."""
    kind = json_type(value)
    if kind == "object":
        return {
            "type": "object",
            "properties": {key: infer_schema(item) for key, item in value.items()},
        }
    if kind == "array":
        return {"type": ["array", "null"], "items": infer_schema(value[0]) if value else {}}
    if kind == "null":
        return {"type": ["string", "null"]}
    schema: dict = {"type": [kind, "null"]}
    if kind == "string" and (is_datetime(value) or value.strip().lower() in _DATETIME_PLACEHOLDERS):
        schema["format"] = "date-time"
    return schema


def coerce_query_value(text: str, schema: dict) -> object:
    """Type a query-string value from an example URL by its parameter's schema."""
    kinds = types_of(schema)
    if "integer" in kinds and re.fullmatch(r"-?\d+", text):
        return int(text)
    if "boolean" in kinds and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def check_examples(document: dict) -> list[str]:
    """Every example in the document, validated against its own schema; the problems found."""
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker()
    checker.checks("date-time")(is_datetime)
    root = {"components": document.get("components", {})}
    problems = []
    for where, schema, example in _iter_examples(document):
        validator = Draft202012Validator({**root, **schema}, format_checker=checker)
        for error in validator.iter_errors(example):
            problems.append(f"{where}: {error.message}")
    return problems


def _iter_examples(document: dict):
    components = document.get("components", {})
    for name, response in components.get("responses", {}).items():
        yield from _media_examples(f"components/responses/{name}", response.get("content", {}))
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                for key, example in parameter.get("examples", {}).items():
                    yield f"{where} {parameter['name']} {key}", parameter["schema"], example["value"]
            body = operation.get("requestBody", {})
            yield from _media_examples(f"{where} request", body.get("content", {}))
            for status, response in operation.get("responses", {}).items():
                yield from _media_examples(f"{where} {status}", response.get("content", {}))


def _media_examples(where: str, content: dict):
    for media_type, media in content.items():
        for key, example in media.get("examples", {}).items():
            yield f"{where} {media_type} {key}", media.get("schema", {}), example["value"]
