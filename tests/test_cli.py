"""`mockgraph derive` on the command line: writes a valid contract, reproducibly, and refuses bad pages."""

from __future__ import annotations

from mockgraph.cli import main
from mockgraph.openapi import load_contract
from tests.conftest import FIXTURE_PAGES


def test_derive_writes_a_valid_contract_for_pages_of_another_api(tmp_path):
    output = tmp_path / "other.yaml"
    pages = [str(FIXTURE_PAGES / "application-create.md"), str(FIXTURE_PAGES / "user-get.md")]
    assert main(["derive", *pages, "-o", str(output)]) == 0
    document = load_contract(output)
    assert document["paths"]["/applications"]["post"]["operationId"] == "create_application"
    assert set(document["paths"]) == {"/applications", "/me", "/users/{user-id}"}
    first = output.read_bytes()
    assert main(["derive", *pages, "-o", str(output)]) == 0
    assert output.read_bytes() == first


def test_derive_exits_2_naming_the_page_that_breaks_the_format(tmp_path, capsys):
    broken = tmp_path / "broken.md"
    broken.write_text("# Broken page\n\nNo request block here.\n")
    assert main(["derive", str(broken), "-o", str(tmp_path / "out.yaml")]) == 2
    assert "broken.md" in capsys.readouterr().err
    assert not (tmp_path / "out.yaml").exists()
