from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from bot.errors import InvalidInput, NotFound
from bot.knowledge import Entry, KnowledgeBase
from bot.questions import QuestionService
from bot.teaching import (
    Lesson,
    NewEntry,
    NewEntryErrors,
    TaughtNotice,
    Teaching,
    cluster,
    new_entry_id,
    parse_lessons,
    phrasing_key,
)
from tests.conftest import ManualClock

LOCKED_OUT = "We got locked out of our Facebook page"


def dm(notice: TaughtNotice) -> dict[str, Any]:
    """A taught DM's content, as the Slack edge's renderer would make it."""
    return {"text": f"{notice.question.question} -> {notice.entry.id}"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def questions(kb: KnowledgeBase, clock: ManualClock) -> QuestionService:
    return QuestionService(kb.store, kb, clock)


@pytest.fixture
def teaching(kb: KnowledgeBase, clock: ManualClock) -> Teaching:
    return Teaching(kb.store, kb, clock)


def outbox_rows(kb: KnowledgeBase) -> list[tuple[str, str, str, dict[str, Any]]]:
    rows = kb.store.db.execute("select key, kind, channel, content from outbox order by id")
    return [(key, kind, channel, json.loads(content)) for key, kind, channel, content in rows]


def test_abstained_and_not_helpful_questions_are_on_the_list_clustered_newest_first(
    questions: QuestionService, teaching: Teaching, clock: ManualClock
) -> None:
    questions.ask(LOCKED_OUT, "U1", "D1", "dm")
    clock.advance(60)
    questions.ask("recipe for chocolate cake", "U2", "C1", "mention")
    clock.advance(60)
    questions.ask("we got locked out of our facebook page!", "U3", "D3", "dm")
    answered = questions.ask("Wie mag er namens het merk posten?", "U4", "C1", "command")
    questions.ask("Is er een cursus voor social media?", "U5", "C1", "command")  # answered, no 👎
    questions.feedback(answered.question_id, "U4", helpful=False)
    clusters = teaching.to_teach()
    faces = [(c.newest.question, c.count, c.askers) for c in clusters]
    assert faces == [
        ("Wie mag er namens het merk posten?", 1, ("U4",)),
        ("we got locked out of our facebook page!", 2, ("U3", "U1")),
        ("recipe for chocolate cake", 1, ("U2",)),
    ]
    assert clusters[0].not_helpful == {answered.question_id}
    assert clusters[1].not_helpful == frozenset()


def test_clusters_join_reordered_words_and_typos_not_other_questions() -> None:
    from bot.questions import StoredQuestion

    def q(n: int, text: str) -> StoredQuestion:
        return StoredQuestion(n, "2026-11-20T09:00", "U1", "C1", text, "en", False, None, 0.0)

    texts = [
        "How do I open a brand account?",
        "Our brand account was hacked, what now?",
        "brand account hacked what now",
        "Open a brand acount: how?",
        "What is the capital of France?",
    ]
    groups = cluster([q(n, text) for n, text in enumerate(texts)])
    assert [[x.id for x in g] for g in groups] == [[0, 3], [1, 2], [4]]


def test_teaching_a_cluster_answers_the_next_asker_and_dms_each_asker_once(
    questions: QuestionService, teaching: Teaching, kb: KnowledgeBase
) -> None:
    first = questions.ask(LOCKED_OUT, "U1", "D1", "dm")
    again = questions.ask(LOCKED_OUT.lower(), "U1", "D1", "dm")  # the same person, same words
    other = questions.ask("we got locked out of our facebook page!", "U3", "D3", "dm")
    assert not first.answer.answered
    (group,) = teaching.to_teach()
    taught = teaching.teach("hacked-account", "UCM1", dm, question_ids=group.ids)
    assert taught.added == ("we got locked out of our facebook page!",)  # one of each wording
    assert {q.id for q in taught.questions} == {
        first.question_id,
        again.question_id,
        other.question_id,
    }
    assert taught.notified == 2  # U1 once, U3 once
    assert sorted((kind, channel) for _, kind, channel, _ in outbox_rows(kb)) == [
        ("taught_dm", "U1"),
        ("taught_dm", "U3"),
    ]
    assert kb.get("hacked-account").questions[-1] == taught.added[0]
    answer = kb.answer("We got locked out of our Facebook page.")
    assert answer.answered and answer.best and answer.best.entry.id == "hacked-account"
    assert teaching.to_teach() == []
    assert [p.question for p in teaching.taught("hacked-account")] == list(taught.added)
    # Taught again (a double click): nothing new is stored or sent.
    again_taught = teaching.teach("hacked-account", "UCM1", dm, question_ids=group.ids)
    assert again_taught.added == () and again_taught.notified == 0
    assert len(outbox_rows(kb)) == 2


def test_teaching_a_phrasing_by_text_tells_who_asked_it(
    questions: QuestionService, teaching: Teaching, kb: KnowledgeBase
) -> None:
    asked = questions.ask(LOCKED_OUT, "U1", "D1", "dm")
    taught = teaching.teach("hacked-account", "cli", dm, phrasings=[LOCKED_OUT + "?"])
    assert [q.id for q in taught.questions] == [asked.question_id]
    ((key, _, channel, content),) = outbox_rows(kb)
    assert key.startswith("taught-dm:U1:") and channel == "U1"
    assert content == {"text": f"{LOCKED_OUT} -> hacked-account"}


@pytest.mark.parametrize(
    ("phrasing", "problem"),
    [
        ("   ", "blank"),
        ("???", "blank"),
        ("bedankt!", "small talk"),
        ("Wie mag er namens het merk posten", "already a phrasing of 'who-may-post'"),
        ("x" * 2001, "longer than"),
    ],
)
def test_a_phrasing_that_cannot_be_taught_changes_nothing(
    teaching: Teaching, kb: KnowledgeBase, phrasing: str, problem: str
) -> None:
    before = kb.get("hacked-account")
    with pytest.raises(InvalidInput, match=problem):
        teaching.teach("hacked-account", "cli", dm, phrasings=["account locked", phrasing])
    assert kb.get("hacked-account") == before
    assert teaching.taught() == []


def test_an_unknown_entry_or_question_is_not_found(teaching: Teaching) -> None:
    with pytest.raises(NotFound):
        teaching.teach("no-such-entry", "cli", dm, phrasings=["account locked"])
    with pytest.raises(NotFound):
        teaching.teach("hacked-account", "cli", dm, question_ids=[999])


def test_teach_all_is_all_or_nothing_and_names_the_line(
    teaching: Teaching, kb: KnowledgeBase
) -> None:
    lessons = [
        Lesson("hacked-account", LOCKED_OUT, "f.jsonl:1"),
        Lesson("nope", "what is our tone of voice", "f.jsonl:2"),
    ]
    with pytest.raises(NotFound, match=r"^f.jsonl:2: .*nothing was taught"):
        teaching.teach_all(lessons, "cli", dm)
    assert LOCKED_OUT not in kb.get("hacked-account").questions
    assert teaching.taught() == []
    done = teaching.teach_all(lessons[:1], "cli", dm)
    assert done[0].added == (LOCKED_OUT,)


def test_parse_lessons_names_the_bad_line() -> None:
    good = '{"question": "q one", "id": "a"}\n\n{"question": "q two", "id": "b"}\n'
    assert parse_lessons(good, "f") == [Lesson("a", "q one", "f:1"), Lesson("b", "q two", "f:3")]
    for bad, problem in [
        ('{"question": "q", "id": "a"}\n{"question": " ", "id": "a"}', "f:2: the question"),
        ('{"question": "q"}', "f:1: the entry id"),
        ("[1]", "f:1: expected"),
        ("{nope", "f:1: not JSON"),
    ]:
        with pytest.raises(InvalidInput, match=problem):
            parse_lessons(bad, "f")


def test_untaught_removes_the_phrasing_and_its_search_terms(
    teaching: Teaching, kb: KnowledgeBase
) -> None:
    teaching.teach("hacked-account", "cli", dm, phrasings=[LOCKED_OUT])
    entry = teaching.untaught("hacked-account", LOCKED_OUT.upper())
    assert LOCKED_OUT not in entry.questions and kb.get("hacked-account") == entry
    assert teaching.taught() == []
    assert not kb.answer(LOCKED_OUT).answered
    with pytest.raises(NotFound, match="not a taught phrasing"):
        teaching.untaught("hacked-account", "Someone else took over our Instagram account")


def test_reimport_keeps_taught_phrasings(
    teaching: Teaching, kb: KnowledgeBase, fixture_entries: list[Entry]
) -> None:
    teaching.teach("hacked-account", "cli", dm, phrasings=[LOCKED_OUT])
    teaching.teach("training-hr", "cli", dm, phrasings=["social media opleiding volgen"])
    edited = [e for e in fixture_entries if e.id != "training-hr"]  # training-hr was removed
    imported = teaching.import_entries(edited, replace_all=True)
    assert (imported.count, imported.kept, imported.orphaned) == (len(edited), 1, 1)
    assert kb.get("hacked-account").questions[-1] == LOCKED_OUT
    # A file that has the phrasing already (exported, committed) does not get it twice.
    exported = replace(kb.get("hacked-account"), source="x")
    assert teaching.import_entries([exported]).kept == 0
    assert kb.get("hacked-account").questions.count(LOCKED_OUT) == 1


def test_teaching_does_not_make_other_questions_confident(
    teaching: Teaching, kb: KnowledgeBase
) -> None:
    off_topic = ["recipe for chocolate cake", "What is the capital of France?", "vacation days"]
    teaching.teach(
        "hacked-account",
        "cli",
        dm,
        phrasings=[LOCKED_OUT, "Facebook page login does not work", "cannot log in to Instagram"],
    )
    assert [kb.answer(q).answered for q in off_topic] == [False, False, False]


def test_a_new_entry_from_the_modal_is_searchable_and_taught(
    questions: QuestionService, teaching: Teaching, kb: KnowledgeBase
) -> None:
    asked = questions.ask("Mogen we memes gebruiken in onze posts?", "U7", "C1", "mention")
    draft = NewEntry("Mogen we memes gebruiken?", "Ja, als de bron klopt.", "nl", ("memes", ""))
    taught = teaching.create_entry(draft, "UCM1", dm, [asked.question_id])
    assert taught.entry.id == "memes-gebruiken" and taught.entry.owner == "UCM1"
    assert taught.entry.tags == ("memes",) and taught.entry.updated == "2026-11-20"
    assert taught.notified == 1
    assert kb.answer("Mogen we memes gebruiken in onze posts?").best.entry.id == taught.entry.id  # type: ignore[union-attr]


def test_a_new_entry_with_errors_names_each_field_and_stores_nothing(
    teaching: Teaching, kb: KnowledgeBase
) -> None:
    count = kb.count()
    with pytest.raises(NewEntryErrors) as caught:
        teaching.create_entry(NewEntry(" ", "", "fr"), "UCM1", dm)
    assert set(caught.value.errors) == {"title", "body", "lang"}
    with pytest.raises(NewEntryErrors) as caught:
        teaching.create_entry(NewEntry("Wie mag er namens het merk posten?", "x", "nl"), "U", dm)
    assert caught.value.errors["title"] == ("entry_title_taken", {"id": "who-may-post"})
    assert kb.count() == count


def test_new_entry_ids_are_kebab_case_and_new() -> None:
    assert new_entry_id("Hoe maak ik een Reel?", set()) == "maak-reel"
    assert new_entry_id("Hoe maak ik een Reel?", {"maak-reel"}) == "maak-reel-2"
    assert new_entry_id("Één ✨ émoji", set()) == "emoji"


def test_phrasing_key_ignores_case_punctuation_and_spacing() -> None:
    assert phrasing_key("  Wie MAG posten?? ") == phrasing_key("wie mag posten")


def test_dismissed_questions_leave_the_list(questions: QuestionService, teaching: Teaching) -> None:
    asked = questions.ask("recipe for chocolate cake", "U2", "C1", "mention")
    assert teaching.dismiss([asked.question_id], "UCM1") == 1
    assert teaching.to_teach() == []
