"""Seed events for the stateful store: read from a JSON file at start or posted to the admin API.

The store is whatever the stateful mode provides; it needs only ``load(events)`` (add the
events, keeping their ids) and ``reset()`` (forget everything). Pure: no Flask here.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Protocol

import orjson

from mockgraph.exceptions import ConfigError, MockGraphError


class StateStore(Protocol):
    """What the admin API and --seed-data need of the stateful store."""

    def load(self, events: list[dict]) -> None: ...

    def reset(self) -> None: ...


def parse_events(document: object, error: type[MockGraphError]) -> list[dict]:
    """A JSON array of event objects, or a collection answer ``{"value": [...]}``, as a list of events."""
    if isinstance(document, dict) and isinstance(document.get("value"), list):
        document = document["value"]
    if not isinstance(document, list):
        raise error("Seed data must be a JSON array of events, or an object whose 'value' is one.")
    for index, event in enumerate(document):
        if not isinstance(event, dict):
            raise error(f"Seed event {index} must be a JSON object, not {type(event).__name__}.")
    return document


def read_seed_file(path: str | Path) -> list[dict]:
    """The events in a seed file; a missing or malformed file is a ConfigError naming it."""
    try:
        document = orjson.loads(Path(path).read_bytes())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such seed file") from None
    except orjson.JSONDecodeError as error:
        raise ConfigError(f"{path}: not valid JSON: {error}") from None
    try:
        return parse_events(document, ConfigError)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None


def seed_store(store: StateStore | None, path: str | Path) -> list[dict]:
    """Load the seed file into the store at start and return its events (the state a reset returns to).

    Without a store it is a ConfigError, not a silent no-op.
    """
    events = read_seed_file(path)
    if store is None:
        raise ConfigError(f"{path}: seed events need the stateful store; serve with MODE=stateful")
    store.load(copy.deepcopy(events))
    return events
