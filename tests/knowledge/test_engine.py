from __future__ import annotations

import pytest

from bot.db import Store
from bot.errors import InvalidInput, NotFound
from bot.knowledge import Entry, KnowledgeBase
from bot.knowledge.text import detect_language, fold, stem_terms


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Wie mag er namens het merk posten?", "who-may-post"),
        ("What do I do when a brand account has been hacked?", "hacked-account"),
        ("Er is ophef over ons merk online, wat moet ik doen?", "crisis-first-hour"),
        ("how do I propose a pilot", "pilot-proposal"),
        ("Welke opleiding biedt HR aan?", "training-hr"),
    ],
)
def test_clear_questions_are_answered_with_the_right_entry(
    kb: KnowledgeBase, question: str, expected: str
) -> None:
    answer = kb.answer(question)
    assert answer.best is not None
    assert answer.best.entry.id == expected
    assert answer.answered, answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Wie mag er namens het merk psoten?", "who-may-post"),
        ("What do I do when a brand acount has been hackd?", "hacked-account"),
        ("how does the social lisening proces work", "listening-process"),
    ],
)
def test_typos_still_find_the_entry(kb: KnowledgeBase, question: str, expected: str) -> None:
    assert kb.search(question, limit=1)[0].entry.id == expected


def test_a_longer_word_is_not_taken_for_a_typo_of_a_shorter_one(fresh_store: Store) -> None:
    kb = KnowledgeBase(fresh_store)
    kb.import_entries(
        [
            Entry(
                id="print-rights",
                title="May we print customer photos?",
                lang="en",
                body="Ask before you print a customer's photo in a brochure.",
            )
        ]
    )
    assert kb.explain("prnt", limit=1) == []  # too short to correct
    assert kb.explain("printt", limit=1)[0]["coverage"] == 1.0  # one letter off: a typo
    assert not kb.explain("printer", limit=1)  # two letters longer: another word


def test_dutch_compound_words_are_split_into_known_parts(kb: KnowledgeBase) -> None:
    # "merkaccount" is not in the index; "merk" and "account" are.
    hits = kb.search("merkaccount gehackt", limit=3)
    assert "hacked-account" in [h.entry.id for h in hits]


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of France?",
        "Hoe laat vertrekt de trein naar Antwerpen?",
        "recipe for chocolate cake",
    ],
)
def test_out_of_scope_questions_are_not_answered(kb: KnowledgeBase, question: str) -> None:
    answer = kb.answer(question)
    assert not answer.answered
    assert answer.score < kb.threshold
    assert len(answer.suggestions) <= 3


def test_scores_are_probabilities_and_sorted(kb: KnowledgeBase) -> None:
    hits = kb.search("crisis ophef merk", limit=5)
    scores = [h.score for h in hits]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)


def test_nothing_matching_gives_no_best_entry(kb: KnowledgeBase) -> None:
    answer = kb.answer("zzzz qqqq")
    assert answer.best is None
    assert not answer.answered
    assert answer.suggestions == []


def test_reply_language_follows_the_question(kb: KnowledgeBase) -> None:
    assert kb.answer("Wie mag er namens het merk posten?").lang == "nl"
    assert kb.answer("Who may post on behalf of the brand?").lang == "en"


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_is_invalid_input(kb: KnowledgeBase, question: str) -> None:
    with pytest.raises(InvalidInput):
        kb.answer(question)


def test_very_long_question_is_handled(kb: KnowledgeBase) -> None:
    answer = kb.answer("crisis " * 20_000)
    assert answer.best is not None
    assert len(answer.question) <= 2_000


def test_bytes_that_were_not_utf8_reach_no_model(kb: KnowledgeBase) -> None:
    # Python keeps undecodable bytes of argv or stdin as lone surrogates ("surrogateescape");
    # the embedding models' tokenizers and JSON output accept only valid text.
    answer = kb.answer("caf\udce9 crisis")
    assert answer.question == "caf\ufffd crisis"
    answer.question.encode("utf-8")  # would raise on a surrogate


def test_new_entries_are_searchable_at_once(kb: KnowledgeBase) -> None:
    kb.search("anything", limit=1)  # warm the in-memory index
    kb.import_entries(
        [
            Entry(
                id="tiktok-rules",
                title="What are our TikTok rules?",
                lang="en",
                body="Only the video team posts on TikTok.",
                updated="2026-01-01",
            )
        ]
    )
    assert kb.search("tiktok rules", limit=1)[0].entry.id == "tiktok-rules"


def test_replace_drops_entries_not_imported(
    kb: KnowledgeBase, fixture_entries: list[Entry]
) -> None:
    kb.import_entries(fixture_entries[:2], replace=True)
    assert kb.count() == 2
    with pytest.raises(NotFound):
        kb.get(fixture_entries[3].id)


def test_reimport_updates_an_entry_in_place(
    kb: KnowledgeBase, fixture_entries: list[Entry]
) -> None:
    changed = Entry(**{**fixture_entries[0].__dict__, "title": "Een nieuwe titel over zeilboten"})
    kb.import_entries([changed])
    assert kb.count() == len(fixture_entries)
    assert kb.get(changed.id).title == changed.title
    assert kb.search("zeilboten", limit=1)[0].entry.id == changed.id


def test_entries_survive_reopening(db_path: object, fixture_entries: list[Entry]) -> None:
    store = Store(str(db_path))
    KnowledgeBase(store).import_entries(fixture_entries)
    store.close()
    reopened = Store(str(db_path))
    assert KnowledgeBase(reopened).entries() == sorted(fixture_entries, key=lambda e: e.id)
    reopened.close()


def test_text_normalisation_folds_accents_and_stems_both_languages() -> None:
    assert fold("Één Crème") == "een creme"
    assert "bericht" in stem_terms("de berichten")
    assert "de" not in stem_terms("de berichten")
    assert "post" in stem_terms("posting")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Hoe ga ik om met een klacht op Facebook?", "nl"),
        ("How do I handle a complaint on Facebook?", "en"),
        ("wie beslist dat", "nl"),
        ("who decides that", "en"),
    ],
)
def test_language_detection(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_glossary_synonyms_earn_less_coverage_than_the_word_itself() -> None:
    from bot.knowledge.engine import SYNONYM_CREDIT, _Concept, _coverage

    concept = _Concept(frozenset({"merk"}), frozenset({"brand"}), idf=2.0)
    other = _Concept(frozenset({"crisis"}), frozenset(), idf=2.0)
    assert _coverage([concept, other], {"merk", "crisis"}) == 1.0
    assert _coverage([concept, other], {"brand", "crisis"}) == (1.0 + SYNONYM_CREDIT) / 2
    assert _coverage([concept, other], {"brand"}) == SYNONYM_CREDIT / 2
    assert 0.0 < SYNONYM_CREDIT < 1.0


def test_rank_terms_order_candidates_but_do_not_raise_confidence(kb: KnowledgeBase) -> None:
    from dataclasses import replace

    explained = kb.explain("crisis ophef merk", limit=3)
    for row in explained:
        assert 0.0 <= float(row["lexical_rank"]) <= 1.0
        rank_part = sum(float(row[n]) * getattr(kb.weights, n) for n in kb.weights.RANK_FEATURES)
        assert float(row["logit"]) == pytest.approx(float(row["evidence"]) + rank_part)
    # Doubling the rank weights cannot change any confidence, only the order.
    before = {str(r["id"]): r["score"] for r in kb.explain("crisis ophef merk", limit=10)}
    kb.weights = replace(kb.weights, lexical_rank=2 * kb.weights.lexical_rank)
    after = {str(r["id"]): r["score"] for r in kb.explain("crisis ophef merk", limit=10)}
    assert before == after


def test_the_lead_is_the_evidence_margin_over_the_runner_up(kb: KnowledgeBase) -> None:
    rows = kb.explain("Wie mag er namens het merk posten?", limit=10)
    evidence = sorted((float(r["evidence"]) for r in rows), reverse=True)
    best = max(rows, key=lambda r: float(r["evidence"]))
    assert float(best["lead"]) == pytest.approx(evidence[0] - evidence[1])
    assert all(float(r["lead"]) <= 0 for r in rows if r is not best)


def test_an_entry_removed_while_ranking_is_left_out(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.knowledge.engine import _Candidate

    rank = kb._rank
    monkeypatch.setattr(
        kb,
        "_rank",
        lambda question, *vector: (
            [_Candidate("removed-meanwhile", confidence=0.99)] + rank(question, *vector)
        ),
    )
    answer = kb.answer("Our brand account got hacked, what now?")
    assert answer.best is not None and answer.best.entry.id == "hacked-account"


def _ranked_as(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, scores: dict[str, float]):
    """Make ``kb`` rank its entries in the order of ``scores``, with these confidences."""
    from bot.knowledge.engine import _Candidate

    ranked = [_Candidate(entry_id, confidence=score) for entry_id, score in scores.items()]
    monkeypatch.setattr(kb, "_rank", lambda question, *vector: ranked)


def test_suggestions_come_most_likely_first(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The ranking and the confidence may disagree on the order of the runners-up.
    _ranked_as(
        kb,
        monkeypatch,
        {"who-may-post": 0.2, "crisis-review": 0.1, "hacked-account": 0.33, "training-hr": 0.25},
    )
    answer = kb.answer("anything")
    assert not answer.answered
    assert answer.best is not None and answer.best.entry.id == "who-may-post"
    # The first three by the ranking, shown most likely first.
    assert [h.score for h in answer.suggestions] == [0.33, 0.2, 0.1]
    _ranked_as(
        kb,
        monkeypatch,
        {"who-may-post": 0.9, "crisis-review": 0.06, "hacked-account": 0.3, "training-hr": 0.01},
    )
    answer = kb.answer("anything")
    assert answer.answered
    assert [h.entry.id for h in answer.suggestions] == ["hacked-account", "crisis-review"]


def test_a_question_unrelated_to_every_entry_gets_no_suggestions(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.knowledge.engine import UNRELATED_QUESTION

    below = UNRELATED_QUESTION - 0.01
    _ranked_as(kb, monkeypatch, {"who-may-post": below, "crisis-review": below / 2})
    answer = kb.answer("anything")
    assert not answer.answered and answer.suggestions == []
    assert answer.best is not None  # still kept as the best guess for the manager
    _ranked_as(kb, monkeypatch, {"who-may-post": below, "crisis-review": UNRELATED_QUESTION})
    assert [h.entry.id for h in kb.answer("anything").suggestions] == [
        "crisis-review",
        "who-may-post",
    ]


def test_an_everyday_question_gets_no_suggestions(kb: KnowledgeBase) -> None:
    answer = kb.answer("What is the capital of France?")
    assert not answer.answered and answer.suggestions == []


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory):
    """The bundled knowledge base, lexical (a one-word query matches many of its entries)."""
    from bot.config import BUNDLED_KB
    from bot.knowledge.entry import load_paths

    store = Store(tmp_path_factory.mktemp("bundled") / "kb.db")
    knowledge_base = KnowledgeBase(store)
    knowledge_base.import_entries(load_paths([BUNDLED_KB]))
    yield knowledge_base
    store.close()


@pytest.mark.parametrize("question", ["posten", "wie mag posten", "crisis"])
def test_a_keyword_many_entries_match_alike_is_not_answered(
    bundled: KnowledgeBase, question: str
) -> None:
    from bot.knowledge.engine import AMBIGUOUS_KEYWORD_CONFIDENCE

    answer = bundled.answer(question)
    assert not answer.answered, answer
    assert answer.score <= AMBIGUOUS_KEYWORD_CONFIDENCE
    assert answer.suggestions  # related entries are still offered
    scores = [h.score for h in answer.suggestions]
    assert scores == sorted(scores, reverse=True)


def test_a_keyword_one_entry_leads_on_is_answered(bundled: KnowledgeBase) -> None:
    answer = bundled.answer("boost")
    assert answer.answered and answer.best is not None
    assert answer.best.entry.id == "paid-boosting-posts"
