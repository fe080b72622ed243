"""Forced answers, Prism-style: ``Prefer: code=404`` or ``Prefer: example=NAME`` picks a documented answer.

Only what the contract documents can be forced, so every forced answer is still valid under
it; asking for anything else is a 400 that lists what is documented. Other preferences
(``return=minimal``, ``odata.maxpagesize``) are left alone. Pure: no Flask here.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockgraph.exceptions import BadRequest
from mockgraph.operations import Example, Operation


@dataclass(frozen=True)
class Preference:
    code: int | None = None
    example: str | None = None

    @property
    def forced(self) -> bool:
        return self.code is not None or self.example is not None

    def describe(self) -> str:
        parts = [f"code={self.code}"] if self.code is not None else []
        parts += [f"example={self.example}"] if self.example is not None else []
        return "Prefer: " + ", ".join(parts)


def parse_prefer(header: str) -> Preference:
    """The ``code`` and ``example`` preferences of a Prefer header (RFC 7240: comma-separated, ';' parameters)."""
    code, example = None, None
    for item in header.split(","):
        for token in item.split(";"):
            name, equals, value = token.strip().partition("=")
            name, value = name.strip().lower(), value.strip().strip('"')
            if not equals:
                continue
            if name == "code":
                try:
                    code = int(value)
                except ValueError:
                    raise BadRequest(f"Prefer code must be an HTTP status code, not '{value}'.") from None
            elif name == "example":
                example = value
    return Preference(code, example)


def choose_example(operation: Operation, preference: Preference) -> Example:
    """The documented answer the preference asks for, or a 400 naming what the contract documents."""
    if preference.code is not None and preference.code not in operation.statuses:
        documented = ", ".join(str(status) for status in operation.statuses)
        raise BadRequest(
            f"Prefer code={preference.code} is not documented for {operation.operation_id}; documented: {documented}."
        )
    candidates = [
        example
        for example in operation.examples
        if (preference.code is None or example.status == preference.code)
        and (preference.example is None or example.name == preference.example)
    ]
    if not candidates:
        pool = [e for e in operation.examples if preference.code is None or e.status == preference.code]
        names = ", ".join(f"{e.name} ({e.status})" for e in pool) or "none"
        raise BadRequest(
            f"{preference.describe()} matches no documented example of {operation.operation_id}; documented: {names}."
        )
    return candidates[0]
