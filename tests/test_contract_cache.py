"""A validated contract is remembered by its bytes; anything else is validated at start, as before."""

from __future__ import annotations

import datetime

import pytest

from mockgraph import create_app, openapi
from mockgraph.config import default_contract_path
from mockgraph.contract_cache import cache_key, read_validated, remember_validated
from mockgraph.exceptions import ContractError

CONTRACT = default_contract_path()


def broken_copy(tmp_path, text: str | None = None):
    """The shipped contract with its create example's userId turned into a number (breaks its schema)."""
    text = text if text is not None else CONTRACT.read_text(encoding="utf-8")
    broken = text.replace("userId: userId-value", "userId: 42", 1)
    assert broken != text
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    return path


def test_second_load_of_a_contract_skips_validation_and_returns_the_same_document(tmp_path, monkeypatch):
    first = openapi.load_contract(CONTRACT, cache_dir=tmp_path)

    def refuse(document):
        raise AssertionError("validated again although the same bytes already passed")

    monkeypatch.setattr(openapi, "validate_document", refuse)
    assert openapi.load_contract(CONTRACT, cache_dir=tmp_path) == first
    assert first == openapi.load_contract(CONTRACT, validate=False)


def test_broken_contract_fails_at_start_even_with_a_warm_cache(tmp_path):
    cache = tmp_path / "cache"
    openapi.load_contract(CONTRACT, cache_dir=cache)
    with pytest.raises(ContractError, match="examples that break their own schema"):
        openapi.load_contract(broken_copy(tmp_path), cache_dir=cache)
    with pytest.raises(ContractError):
        create_app({"CONTRACT": str(broken_copy(tmp_path)), "CONTRACT_CACHE": str(cache)})


def test_contract_edited_after_caching_is_validated_again(tmp_path):
    cache = tmp_path / "cache"
    path = tmp_path / "contract.yaml"
    original = CONTRACT.read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    openapi.load_contract(path, cache_dir=cache)
    path.write_text(original.replace("userId: userId-value", "userId: 42", 1), encoding="utf-8")
    with pytest.raises(ContractError):
        openapi.load_contract(path, cache_dir=cache)


def test_cache_key_changes_with_the_contract_bytes():
    raw = CONTRACT.read_bytes()
    assert cache_key(raw) == cache_key(raw)
    assert cache_key(raw) != cache_key(raw + b"\n")


def test_document_json_cannot_carry_intact_is_never_cached(tmp_path):
    with_date = {"openapi": "3.1.0", "info": {"version": datetime.date(2024, 1, 2)}}
    assert remember_validated(tmp_path, "k", with_date) is False
    assert remember_validated(tmp_path, "k2", {200: "integer key"}) is False
    assert read_validated(tmp_path, "k") is None
    assert remember_validated(tmp_path, "k3", {"fine": [1, "two", None]}) is True
    assert read_validated(tmp_path, "k3") == {"fine": [1, "two", None]}


def test_unusable_cache_folder_still_starts_and_validates(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x", encoding="utf-8")
    document = openapi.load_contract(CONTRACT, cache_dir=not_a_folder / "cache")
    assert document["openapi"] == "3.1.0"
    with pytest.raises(ContractError):
        openapi.load_contract(broken_copy(tmp_path), cache_dir=not_a_folder / "cache")


def test_corrupt_cache_entry_is_a_miss(tmp_path):
    key = cache_key(CONTRACT.read_bytes())
    (tmp_path / f"{key}.json").write_bytes(b"{not json")
    document = openapi.load_contract(CONTRACT, cache_dir=tmp_path)
    assert document == openapi.load_contract(CONTRACT, validate=False)
    assert read_validated(tmp_path, key) == document


def test_empty_contract_cache_setting_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    create_app({"CONTRACT_CACHE": ""})
    assert not (tmp_path / "mockgraph").exists()
    create_app()
    assert list((tmp_path / "mockgraph" / "contracts").glob("*.json"))
