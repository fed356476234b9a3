"""The bundled knowledge base passes the same validator as any import."""

from __future__ import annotations

from collections import Counter

from bot.config import BUNDLED_KB
from bot.knowledge.entry import load_paths


def test_bundled_entries_are_valid_and_cover_both_languages() -> None:
    entries = load_paths([BUNDLED_KB])
    assert len(entries) >= 40
    languages = Counter(e.lang for e in entries)
    assert languages["nl"] >= 15 and languages["en"] >= 15
    assert all(e.questions and e.tags and e.updated for e in entries)
