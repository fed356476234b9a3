from __future__ import annotations

import datetime as dt

import pytest

from bot.errors import InvalidInput, NotFound
from bot.knowledge import KnowledgeBase
from bot.questions import QuestionService, SmallTalk, small_talk


class FakeClock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def questions(kb: KnowledgeBase, clock: FakeClock) -> QuestionService:
    return QuestionService(kb.store, kb, clock)


def test_ask_stores_question_answer_and_score(questions: QuestionService) -> None:
    asked = questions.ask("Wie mag er namens het merk posten?", "U1", "C1", "command")
    stored = questions.get(asked.question_id)
    assert stored.entry_id == "who-may-post"
    assert stored.answered and stored.score == asked.answer.score
    assert stored.lang == "nl" and stored.asked_at.startswith("2026-11-20T09:00")


def test_empty_question_is_not_stored(questions: QuestionService) -> None:
    with pytest.raises(InvalidInput):
        questions.ask("  ", "U1", "C1", "command")
    assert questions.recent("U1") == []


def test_feedback_is_one_verdict_per_user(questions: QuestionService) -> None:
    asked = questions.ask("crisis ophef", "U1", "C1", "dm")
    questions.feedback(asked.question_id, "U1", True)
    questions.feedback(asked.question_id, "U1", False)
    questions.feedback(asked.question_id, "U2", True)
    stats = questions.weekly_stats()
    assert (stats.helpful, stats.not_helpful) == (1, 1)


def test_feedback_on_unknown_question_is_not_found(questions: QuestionService) -> None:
    with pytest.raises(NotFound):
        questions.feedback(999, "U1", True)


def test_weekly_stats_cover_only_the_last_seven_days(
    questions: QuestionService, clock: FakeClock
) -> None:
    questions.ask("What is the capital of France?", "U1", "C1", "dm")
    clock.now += dt.timedelta(days=8)
    questions.ask("Wie mag er namens het merk posten?", "U1", "C1", "dm")
    questions.ask("recipe for chocolate cake", "U2", "C1", "dm")
    stats = questions.weekly_stats()
    assert stats.asked == 2 and stats.answered == 1
    assert [q.question for q in stats.unanswered] == ["recipe for chocolate cake"]
    assert stats.answered_share == 0.5


def test_recent_is_newest_first_per_user(questions: QuestionService) -> None:
    for text in ("crisis", "pilot", "budget"):
        questions.ask(text, "U1", "C1", "dm")
    questions.ask("hr", "U2", "C1", "dm")
    assert [q.question for q in questions.recent("U1", limit=2)] == ["budget", "pilot"]


def test_first_time_is_true_once(questions: QuestionService) -> None:
    assert questions.first_time("event:Ev1") is True
    assert questions.first_time("event:Ev1") is False
    assert questions.first_time("event:Ev2") is True


def test_a_forgotten_key_is_new_again(questions: QuestionService) -> None:
    assert questions.first_time("event:Ev1") is True
    questions.forget("event:Ev1")
    assert questions.first_time("event:Ev1") is True


def test_handled_keys_are_kept_a_day_then_dropped(
    questions: QuestionService, clock: FakeClock
) -> None:
    questions.first_time("event:Old")
    clock.now += dt.timedelta(hours=23)
    assert questions.first_time("event:Old") is False  # a retry within the day
    clock.now += dt.timedelta(hours=2)
    questions.first_time("event:New")  # drops what is older than a day
    rows = questions.store.db.execute("select key from handled_events").fetchall()
    assert rows == [("event:New",)]


def test_stored_answer_rebuilds_what_was_shown(questions: QuestionService) -> None:
    asked = questions.ask("Wie mag er namens het merk posten?", "U1", "C1", "command")
    again = questions.stored_answer(asked.question_id).answer
    assert again.best is not None and asked.answer.best is not None
    assert again.best.entry == asked.answer.best.entry and again.score == asked.answer.score


@pytest.mark.parametrize(
    ("text", "reply", "lang"),
    [
        ("", "usage", None),
        (" ? ", "usage", None),
        ("HULP", "usage", "nl"),
        ("help", "usage", "en"),
        ("Hoi!", "usage", "nl"),
        ("hey socialbot 👋", "usage", None),
        ("Good morning", "usage", "en"),
        ("how are you today?", "usage", "en"),
        ("Hoi, alles goed?", "usage", "nl"),
        ("thanks!", "welcome", "en"),
        ("Thank you very much :pray:", "welcome", "en"),
        ("dankjewel, super!", "welcome", "nl"),
        ("ok top", "welcome", None),
        ("goed, bedankt", "welcome", "nl"),
        (":+1:", "welcome", None),
        ("👍", "welcome", None),
        ("???", "usage", None),
        ("12345", "usage", None),
        ("\x00\x00", "usage", None),
        ("test", "usage", None),
        ("hallo, ik heb een vraag", "usage", "nl"),
        ("I have a question", "usage", "en"),
        ("haha", "welcome", None),
    ],
)
def test_small_talk_gets_a_reply_of_its_own(text: str, reply: str, lang: str | None) -> None:
    assert small_talk(text) == SmallTalk(reply, lang)


@pytest.mark.parametrize(
    "text",
    [
        "help, ons account is gehackt",
        "wie mag posten?",
        "helpdesk",
        "thanks, but who approves a pilot?",
        "hoi, hoe reageer ik op een klacht?",
        "Dag van de Aarde",
        "how are you supposed to answer trolls?",
        "hoe gaat het met ons budget?",
        "ik heb een vraag over ons crisisplan",
        "test post op LinkedIn",
        "ja",  # after "shall I ask the conversation manager?": the button comes with "not sure"
        "no",
    ],
)
def test_questions_are_not_small_talk(text: str) -> None:
    assert small_talk(text) is None
