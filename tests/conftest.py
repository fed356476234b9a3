"""Shared fixtures, named for the state they give."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.db import Store
from bot.knowledge import Entry, KnowledgeBase
from bot.knowledge.entry import load_paths

FIXTURE_KB = Path(__file__).parent / "fixtures" / "kb"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A path for a database file that does not exist yet."""
    return tmp_path / "socialbot.db"


@pytest.fixture
def fresh_store(db_path: Path) -> Iterator[Store]:
    """A migrated, empty store on a real SQLite file."""
    store = Store(db_path)
    yield store
    store.close()


@pytest.fixture
def fixture_entries() -> list[Entry]:
    """The small test knowledge base shipped under tests/fixtures/kb."""
    return load_paths([FIXTURE_KB])


@pytest.fixture
def kb(fresh_store: Store, fixture_entries: list[Entry]) -> KnowledgeBase:
    """A lexical knowledge base holding the fixture entries."""
    knowledge_base = KnowledgeBase(fresh_store)
    knowledge_base.import_entries(fixture_entries)
    return knowledge_base


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No socialbot or Slack variables set, cwd in an empty folder (no .env); returns it."""
    from bot.config import VARIABLES

    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOCIALBOT_SEMANTIC", "off")
    return tmp_path
