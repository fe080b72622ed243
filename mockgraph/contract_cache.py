"""Remember contracts that passed validation, so a restart of the same contract starts fast.

Validating a contract (openapi-spec-validator, then every example against its schema) costs
about 0.3 s and parsing its YAML another 0.06 s: most of a cold start. A document that passed is
stored as JSON under a key made of the contract's exact bytes and of the code that validated
it (mockgraph's validating modules and the installed openapi-spec-validator). The next start
that finds the same key loads the JSON and skips both steps; any change to the file, to that
code or to the validator misses the cache and validates again, so a broken contract still
fails loudly at start. The cache is only a shortcut: a folder that cannot be read or written
just means validating every time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from pathlib import Path

import orjson

FORMAT = b"mockgraph-contract-cache-1"
# The modules whose code decides whether a contract is valid (validate_document, check_examples).
_VALIDATING_MODULES = ("openapi.py", "values.py")


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/mockgraph/contracts, else ~/.cache/mockgraph/contracts."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "mockgraph" / "contracts"


def cache_key(raw: bytes) -> str:
    """A digest of the contract's bytes and of everything that judged it valid."""
    digest = hashlib.sha256(FORMAT)
    digest.update(hashlib.sha256(raw).digest())
    here = Path(__file__).resolve().parent
    for name in _VALIDATING_MODULES:
        digest.update((here / name).read_bytes())
    digest.update(_validator_stamp())
    return digest.hexdigest()


def _validator_stamp() -> bytes:
    """Where openapi-spec-validator is installed and when: a reinstall or upgrade changes it."""
    spec = importlib.util.find_spec("openapi_spec_validator")
    if spec is None or spec.origin is None:
        return b"no validator"
    stat = os.stat(spec.origin)
    return f"{spec.origin}:{stat.st_size}:{stat.st_mtime_ns}".encode()


def read_validated(cache_dir: Path, key: str) -> dict | None:
    """The document stored under ``key``, or None (absent, unreadable or not a JSON object)."""
    try:
        document = orjson.loads((cache_dir / f"{key}.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return document if isinstance(document, dict) else None


def remember_validated(cache_dir: Path, key: str, document: dict) -> bool:
    """Store a validated document; False (and nothing stored) when JSON would not give it back intact.

    YAML can hold what JSON cannot (dates, integer keys); such a document is never cached, so a
    cache hit always returns exactly what parsing the YAML returns.
    """
    try:
        encoded = orjson.dumps(document)
    except TypeError:
        return False
    if orjson.loads(encoded) != document:
        return False
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-", suffix=".json")
    except OSError:
        return False
    try:
        with os.fdopen(handle, "wb") as output:
            output.write(encoded)
        os.replace(temporary, cache_dir / f"{key}.json")  # atomic: readers see all of it or nothing
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        return False
    return True
