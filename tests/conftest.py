"""Shared fixtures: the app built from the committed contract, its test client, the spec page."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockgraph import create_app
from mockgraph.docs import read_page

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "openapi" / "source"
FIXTURE_PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
CREATE_PAGE = SOURCE / "privilegedoperationevent-create.md"
TOKEN = {"Authorization": "Bearer test-token"}


@pytest.fixture(scope="session")
def app():
    return create_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def create_example():
    """The create page's own example request and response, as parsed from the page."""
    return read_page(CREATE_PAGE).examples[0]
