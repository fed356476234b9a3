"""Durable intake and answering: accepted once, answered into the outbox in one
transaction, taken over when a worker dies, retried, and never dropped silently."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.answering import MAX_ATTEMPTS, Answerer
from bot.crisis import Crisis, CrisisCheck
from bot.i18n import t
from bot.intake import LEASE_SECONDS, Intake, Request
from bot.knowledge import KnowledgeBase
from bot.outbox import Outbox
from bot.questions import Asked, QuestionService
from tests.conftest import ManualClock


class PlainReplies:
    def answer(self, asked: Asked, shareable: bool, crisis: Crisis | None = None) -> dict[str, Any]:
        best = asked.answer.best
        content: dict[str, Any] = {"text": best.entry.id if best else "?", "shareable": shareable}
        if crisis is not None:
            content["crisis"] = [*crisis.phrases, crisis.playbook.id if crisis.playbook else None]
        return content

    def text(self, text: str) -> dict[str, Any]:
        return {"text": text}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def intake(kb: KnowledgeBase, clock: ManualClock) -> Intake:
    return Intake(kb.store, clock)


@pytest.fixture
def answerer(kb: KnowledgeBase, intake: Intake, clock: ManualClock) -> Answerer:
    return Answerer(intake, QuestionService(kb.store, kb, clock), PlainReplies(), "nl", 1.0)


def command(key: str = "command:T1", text: str = "Wie mag er namens het merk posten?") -> Request:
    return Request(key, text, "U1", "C1", "command", response_url="https://hooks/r1")


def test_a_request_is_accepted_once_per_key(intake: Intake) -> None:
    assert intake.accept(command()) is True
    assert intake.accept(command()) is False  # a replay or retry
    assert intake.backlog() == (1, 0.0)


def test_an_answer_stores_the_question_enqueues_the_reply_and_finishes(
    intake: Intake, answerer: Answerer, kb: KnowledgeBase, clock: ManualClock
) -> None:
    intake.accept(command())
    clock.advance(2)
    assert answerer.answer_waiting() == 1
    assert answerer.answer_waiting() == 0
    (question,) = kb.store.db.table("questions").rows
    assert question["entry_id"] == "who-may-post" and question["user_id"] == "U1"
    (row,) = Outbox(kb.store, clock).rows()
    assert row.key == "reply:command:T1" and row.route == "response_url"
    assert row.response_url == "https://hooks/r1" and row.content["shareable"] is True
    assert row.asked_at == clock.now - dt.timedelta(seconds=2)  # when Slack sent it
    assert intake.backlog() == (0, 0.0)


@pytest.mark.parametrize(
    ("surface", "channel", "thread", "route", "to", "to_thread"),
    [
        ("mention", "C9", "1.5", "post", "C9", "1.5"),
        ("dm", "D3", None, "post", "D3", None),
        ("home", "U1", None, "post", "U1", None),
    ],
)
def test_each_surface_is_answered_where_it_was_asked(
    intake: Intake,
    answerer: Answerer,
    kb: KnowledgeBase,
    clock: ManualClock,
    surface: str,
    channel: str,
    thread: str | None,
    route: str,
    to: str,
    to_thread: str | None,
) -> None:
    intake.accept(Request("event:E1", "crisis ophef", "U1", channel, surface, thread_ts=thread))
    answerer.answer_waiting()
    (row,) = Outbox(kb.store, clock).rows()
    assert (row.route, row.channel, row.thread_ts) == (route, to, to_thread)
    assert row.content["shareable"] is False


def test_small_talk_gets_a_reply_and_stores_no_question(
    intake: Intake, answerer: Answerer, kb: KnowledgeBase, clock: ManualClock
) -> None:
    intake.accept(Request("event:E2", "bedankt!", "U1", "D1", "dm"))
    answerer.answer_waiting()
    assert kb.store.db.table("questions").count == 0
    (row,) = Outbox(kb.store, clock).rows()
    assert row.content == {"text": t("welcome", "nl")}


def test_a_question_whose_worker_died_is_taken_over_after_its_lease(
    intake: Intake, answerer: Answerer, kb: KnowledgeBase, clock: ManualClock
) -> None:
    intake.accept(command())
    assert intake.claim("a-worker-that-dies") is not None
    assert answerer.answer_waiting() == 0  # still leased
    clock.advance(LEASE_SECONDS)
    assert answerer.answer_waiting() == 1
    assert len(Outbox(kb.store, clock).rows()) == 1


def test_a_failing_question_is_retried_then_the_asker_gets_an_apology(
    intake: Intake,
    answerer: Answerer,
    kb: KnowledgeBase,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(question: str) -> None:
        raise RuntimeError("engine broke")

    monkeypatch.setattr(kb, "answer", broken)
    intake.accept(Request("event:E3", "who may post for the brand?", "U2", "C9", "mention", "1.1"))
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert answerer.answer_waiting() == 1
        clock.advance(1.0 * attempt)  # the retry delay grows with the attempts
    (row,) = Outbox(kb.store, clock).rows()
    assert row.content == {"text": t("ask_failed", "en")}
    assert "engine broke" not in str(row.content)
    assert intake.backlog() == (0, 0.0)


def test_done_requests_are_purged_after_a_day(
    intake: Intake, answerer: Answerer, clock: ManualClock
) -> None:
    intake.accept(command())
    answerer.answer_waiting()
    clock.advance(23 * 3600)
    assert intake.purge() == 0
    clock.advance(3600 + 1)
    assert intake.purge() == 1
    assert intake.accept(command()) is True  # after a day the key may come again


def test_a_reply_that_cannot_be_rendered_is_retried_then_apologised_for(
    intake: Intake, kb: KnowledgeBase, clock: ManualClock
) -> None:
    class BrokenReplies(PlainReplies):
        def answer(
            self, asked: Asked, shareable: bool, crisis: Crisis | None = None
        ) -> dict[str, Any]:
            raise ValueError("cannot render")

    answerer = Answerer(intake, QuestionService(kb.store, kb, clock), BrokenReplies(), "nl", 1.0)
    intake.accept(command())
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert answerer.answer_waiting() == 1
        clock.advance(1.0 * attempt)
    assert kb.store.db.table("questions").count == 0  # the failed transactions left nothing
    (row,) = Outbox(kb.store, clock).rows()
    assert row.content == {"text": t("ask_failed", "nl")}
    assert intake.backlog() == (0, 0.0)


def test_a_question_that_reads_like_a_crisis_gets_the_playbook_but_no_escalation(
    intake: Intake, kb: KnowledgeBase, clock: ManualClock
) -> None:
    questions = QuestionService(kb.store, kb, clock)
    check = CrisisCheck(["gehackt"], kb, "crisis-first-hour")
    answerer = Answerer(intake, questions, PlainReplies(), "nl", 1.0, crisis=check)
    intake.accept(command("command:T1", "Ons account is gehackt, wat nu?"))
    intake.accept(command("command:T2", "Wie mag er namens het merk posten?"))
    while answerer.answer_waiting():
        pass
    first, second = sorted(Outbox(kb.store, clock).rows(), key=lambda row: row.id)
    assert first.content["crisis"] == ["gehackt", "crisis-first-hour"]
    assert "crisis" not in second.content
    assert kb.store.db.table("escalations").count == 0  # a person must click


QUESTIONS = [
    "Wie mag er namens het merk posten?",
    "Ons account is gehackt, wat nu?",
    "bedankt!",  # small talk: replied to, not looked up
    "Hoe werkt het luisterproces?",
]


def test_a_batch_is_answered_as_one_by_one_each_in_its_own_transaction(
    intake: Intake, kb: KnowledgeBase, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    together: list[list[str]] = []
    answer_many = kb.answer_many
    monkeypatch.setattr(kb, "answer_many", lambda q: together.append(list(q)) or answer_many(q))
    questions = QuestionService(kb.store, kb, clock)
    answerer = Answerer(intake, questions, PlainReplies(), "nl", 1.0, batch=3)
    for n, text in enumerate(QUESTIONS):
        intake.accept(command(f"command:T{n}", text))
    assert answerer.answer_waiting() == 3  # the oldest three
    assert answerer.answer_waiting() == 1
    assert answerer.answer_waiting() == 0
    assert together == [QUESTIONS[:2]]  # the small talk left out; one alone is not batched
    stored = [(q["question"], q["entry_id"], q["score"]) for q in kb.store.db["questions"].rows]
    alone = [kb.answer(text) for text in QUESTIONS if text != "bedankt!"]
    assert stored == [(a.question, a.best.entry.id if a.best else None, a.score) for a in alone]
    rows = sorted(Outbox(kb.store, clock).rows(), key=lambda row: row.id)
    assert [row.key for row in rows] == [f"reply:command:T{n}" for n in range(4)]
    assert rows[2].content == {"text": t("welcome", "nl")}
    assert intake.backlog() == (0, 0.0)


class WorkerDied(BaseException):
    """What a kill looks like to the answering thread: nothing after it runs."""


def test_a_worker_that_dies_halfway_through_a_batch_loses_and_repeats_nothing(
    intake: Intake, kb: KnowledgeBase, clock: ManualClock
) -> None:
    class DyingReplies(PlainReplies):
        rendered = 0

        def answer(
            self, asked: Asked, shareable: bool, crisis: Crisis | None = None
        ) -> dict[str, Any]:
            self.rendered += 1
            if self.rendered == 2:
                raise WorkerDied
            return super().answer(asked, shareable, crisis)

    questions = QuestionService(kb.store, kb, clock)
    dying = Answerer(intake, questions, DyingReplies(), "nl", 1.0, batch=8)
    for n, text in enumerate(QUESTIONS):
        intake.accept(command(f"command:T{n}", text))
    with pytest.raises(WorkerDied):
        dying.answer_waiting()
    assert [row.key for row in Outbox(kb.store, clock).rows()] == ["reply:command:T0"]
    assert intake.backlog()[0] == 3
    other = Answerer(intake, questions, PlainReplies(), "nl", 1.0, batch=8)
    assert other.answer_waiting() == 0  # the dead worker's lease holds them
    clock.advance(LEASE_SECONDS)
    assert other.answer_waiting() == 3
    keys = sorted(row.key for row in Outbox(kb.store, clock).rows())
    assert keys == [f"reply:command:T{n}" for n in range(4)]
    assert kb.store.db.table("questions").count == 3  # none stored twice, small talk none
    assert intake.backlog() == (0, 0.0)


def test_when_answering_together_fails_each_question_is_answered_alone(
    intake: Intake, kb: KnowledgeBase, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(questions: list[str]) -> None:
        raise RuntimeError("batch broke")

    monkeypatch.setattr(kb, "answer_many", broken)
    questions = QuestionService(kb.store, kb, clock)
    answerer = Answerer(intake, questions, PlainReplies(), "nl", 1.0, batch=8)
    for n, text in enumerate(QUESTIONS):
        intake.accept(command(f"command:T{n}", text))
    assert answerer.answer_waiting() == 4
    assert len(Outbox(kb.store, clock).rows()) == 4
    assert kb.store.db.table("questions").count == 3
