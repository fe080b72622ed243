"""Settings: defaults, then mockgraph.toml, then MOCKGRAPH_* environment variables, then explicit overrides.

Kept free of Flask so the CLI, the app and the pytest plugin read the same settings. In the
TOML file a top-level key names a setting (``contract`` -> CONTRACT) and a key in a table
names ``TABLE_KEY`` (``[journal] size`` -> JOURNAL_SIZE), except settings whose value is itself
a table (FAULTS), which take the whole table. An unknown key is an error naming it, so a typo
never silently leaves a default in force.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from pathlib import Path

from mockgraph.exceptions import ConfigError

CONTRACT_NAME = "privilegedoperationevents.yaml"
CONFIG_FILE_NAME = "mockgraph.toml"
ENV_PREFIX = "MOCKGRAPH_"

DEFAULTS: dict[str, object] = {
    # The mockgraph.toml read (None: ./mockgraph.toml when there is one); kept so settings re-resolve alike.
    "CONFIG_FILE": None,
    # The OpenAPI document to serve; None means the contract shipped with mockgraph.
    "CONTRACT": None,
    # Where contracts that passed validation are remembered (None: ~/.cache/mockgraph/contracts;
    # "" or false: validate at every start). See mockgraph/contract_cache.py.
    "CONTRACT_CACHE": None,
    # Bodies larger than this many bytes get 413.
    "MAX_BODY_BYTES": 1024 * 1024,
    # Bearer tokens accepted; None (the default) accepts any well-formed token.
    "TOKENS": None,
    # Version roots the operations are also served under, besides the bare path.
    "PATH_PREFIXES": ["/v1.0", "/beta"],
    # `mockgraph serve`: where to bind, how many gunicorn workers, whether to log each request.
    "SERVER_HOST": "127.0.0.1",
    "SERVER_PORT": 8000,
    "SERVER_WORKERS": 2,
    "SERVER_ACCESS_LOG": False,
    # A JSON file of events loaded into the stateful store at start.
    "SEED_DATA": None,
    # The request journal: how many requests it keeps (oldest dropped; 0 turns it off). JOURNAL_PATH
    # is the SQLite file the workers share for the fault counters (None: a fresh temporary file per
    # server); the journal itself lives in the workers' memory (mockgraph/journal.py).
    "JOURNAL_SIZE": 1000,
    "JOURNAL_PATH": None,
    # The admin API under /_mockgraph/ (journal, reset, seed); off means those paths are 404.
    "ADMIN_ENABLED": True,
    # Origins allowed to call from a browser: "loopback" (any port on localhost, 127.0.0.1,
    # [::1], http or https), "*", or exact origins. An empty list turns CORS off.
    "CORS_ORIGINS": ["loopback"],
    "CORS_MAX_AGE": 600,
    # Faults and throttling (see mockgraph/faults.py); empty means none.
    "FAULTS": {},
    # "example": every operation answers its contract example; "stateful": operations act on a store.
    "MODE": "example",
    # Where stateful mode keeps entities: ":memory:" (private to one process) or a SQLite file, which
    # every worker of one server shares. None: memory in-process, store-PORT.sqlite3 in the temp dir for serve.
    "STORE": None,
    # The most entities one page of a list holds; more come through @odata.nextLink.
    "PAGE_SIZE": 100,
    # Answer plain valid requests of example mode below Flask (mockgraph/dispatch.py): the same
    # answers, at a fraction of the cost. False sends every request through Flask's routes.
    "FAST_PATH": True,
}
MODES = ("example", "stateful")

# Settings whose value is a TOML table taken whole.
TABLE_SETTINGS = frozenset({"FAULTS"})


def default_contract_path() -> Path:
    """The derived contract: openapi/ of a checkout, else the copy installed with the package."""
    checkout = Path(__file__).resolve().parent.parent / "openapi" / CONTRACT_NAME
    if checkout.is_file():
        return checkout
    return Path(__file__).resolve().parent / "contract" / CONTRACT_NAME


def resolve_settings(config: dict | None = None, environ: dict | None = None, cwd: Path | None = None) -> dict:
    """Merge defaults, the config file, ``MOCKGRAPH_*`` variables (JSON-decoded where they parse) and ``config``.

    The file is ``config["CONFIG_FILE"]``, else ``MOCKGRAPH_CONFIG_FILE``, else ``mockgraph.toml``
    in the working directory when there is one.
    """
    config = dict(config or {})
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    config_file = config.pop("CONFIG_FILE", None) or environ.get(ENV_PREFIX + "CONFIG_FILE")
    if not config_file:
        found = (cwd or Path.cwd()) / CONFIG_FILE_NAME
        config_file = found if found.is_file() else None
    if config_file:
        settings.update(read_config_file(Path(config_file)))
        settings["CONFIG_FILE"] = str(Path(config_file).resolve())
    for key, raw in environ.items():
        if key.startswith(ENV_PREFIX) and key != ENV_PREFIX + "CONFIG_FILE":
            name = key[len(ENV_PREFIX) :]
            settings[name] = _from_environment(key, name, raw)
    settings.update(config)
    if not settings["CONTRACT"]:
        settings["CONTRACT"] = str(default_contract_path())
    if settings["MODE"] not in MODES:
        raise ConfigError(f"MODE must be one of {', '.join(MODES)}, not {settings['MODE']!r}")
    return settings


def accepted_tokens(settings: dict) -> frozenset[str] | None:
    """The TOKENS setting as the validator takes it: None accepts any well-formed bearer token."""
    return frozenset(settings["TOKENS"]) if settings["TOKENS"] is not None else None


def default_store_path(port: int) -> Path:
    """The file store `mockgraph serve` uses unless told: one per port, so a restart finds its state."""
    return Path(tempfile.gettempdir()) / "mockgraph" / f"store-{port}.sqlite3"


def read_config_file(path: Path) -> dict:
    """The settings a mockgraph.toml names; unknown keys and wrong types are a ConfigError naming them."""
    try:
        with path.open("rb") as handle:
            table = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    settings: dict[str, object] = {}
    for key, value in table.items():
        name = key.upper()
        if isinstance(value, dict) and name not in TABLE_SETTINGS:
            for inner, inner_value in value.items():
                settings[_checked(path, f"{name}_{inner.upper()}", f"{key}.{inner}", inner_value)] = inner_value
        else:
            settings[_checked(path, name, key, value)] = value
    if settings.get("CONTRACT"):
        settings["CONTRACT"] = str((path.parent / str(settings["CONTRACT"])).resolve())
    if settings.get("SEED_DATA"):
        settings["SEED_DATA"] = str((path.parent / str(settings["SEED_DATA"])).resolve())
    if settings.get("STORE") and settings["STORE"] != ":memory:":
        settings["STORE"] = str((path.parent / str(settings["STORE"])).resolve())
    return settings


def _checked(path: Path, name: str, shown: str, value: object) -> str:
    """``name`` when it is a setting and ``value`` has its default's type (any type when that is None)."""
    if name not in DEFAULTS:
        raise ConfigError(f"{path}: unknown key '{shown}'")
    problem = _type_problem(name, value)
    if problem:
        raise ConfigError(f"{path}: '{shown}' {problem}")
    return name


def _type_problem(name: str, value: object) -> str | None:
    """Why ``value`` cannot be setting ``name`` (its default's type), or None when it can."""
    default = DEFAULTS.get(name)
    if default is None:
        return None
    expected = type(default)
    if (isinstance(value, bool) and expected is not bool) or not isinstance(value, expected):
        return f"must be {expected.__name__}, not {type(value).__name__}"
    return None


def _from_environment(variable: str, name: str, raw: str) -> object:
    """A MOCKGRAPH_* value: text for text settings, else JSON where it parses; a known setting
    of the wrong type is a ConfigError naming the variable (other MOCKGRAPH_* variables pass)."""
    if isinstance(DEFAULTS.get(name), str):
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    problem = _type_problem(name, value)
    if problem:
        raise ConfigError(f"{variable}={raw!r} {problem}")
    return value
