"""Escalations without Slack: raising, deadlines and reminders with a fixed clock, who may
act, acknowledging, resolving, the timeline and lesson drafts, against a real SQLite file."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.db import Store
from bot.errors import InvalidInput, NotFound
from bot.escalations import (
    Escalation,
    EscalationService,
    NotAllowed,
    Notice,
    Routing,
    may_act,
    parse_command,
    parse_reference,
)
from bot.knowledge import KnowledgeBase
from bot.lessons import drafts
from bot.outbox import Outbox, Sent
from bot.questions import QuestionService
from bot.working_hours import WorkingHours, parse_deadlines
from tests.conftest import ManualClock

BRUSSELS = ZoneInfo("Europe/Brussels")
TUESDAY_10 = dt.datetime(2026, 12, 1, 10, tzinfo=BRUSSELS)


class Rendered:
    """Messages as plain dicts that show what was rendered."""

    def notice(self, escalation: Escalation, notice: Notice) -> dict[str, Any]:
        return {
            "text": f"{escalation.reference} {escalation.state} r{notice.reminder}"
            + (" backup" if notice.backup else "")
        }

    def confirmation(self, escalation: Escalation) -> dict[str, Any]:
        return {"text": f"confirmed {escalation.reference}"}

    def acknowledged(self, escalation: Escalation) -> dict[str, Any]:
        return {"text": f"acknowledged by {escalation.acknowledged_by}"}

    def resolved(self, escalation: Escalation) -> dict[str, Any]:
        return {"text": f"resolved: {escalation.resolution}"}


MESSAGES = Rendered()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(TUESDAY_10.astimezone(dt.UTC))


def routing(backups: tuple[str, ...] = ("UBK",), channel: str = "CESC") -> Routing:
    return Routing(
        managers=("UCM1", "UCM2"),
        backups=backups,
        channel=channel,
        deadlines=parse_deadlines("crisis=15m,high=60m,normal=1wd"),
        work_time=WorkingHours(dt.time(9), dt.time(17), frozenset(range(5)), BRUSSELS),
    )


@pytest.fixture
def service(fresh_store: Store, kb: KnowledgeBase, clock: ManualClock) -> EscalationService:
    return EscalationService(
        fresh_store, QuestionService(fresh_store, kb, clock), routing(), "nl", clock
    )


def raise_one(service: EscalationService, severity: str = "crisis", key: str = "k1") -> Escalation:
    escalation, new = service.raise_escalation(
        key, severity, "Ons account is gehackt", "U1", "C1", MESSAGES, "https://x/p1", "https://r/1"
    )
    assert new
    return escalation


def outbox_rows(store: Store) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in store.db.table("outbox").rows}


def deliver_all(outbox: Outbox) -> None:
    """Mark every due row sent as Slack would: a DM's channel is D + the user id."""
    while (row := outbox.claim("test", pace=0)) is not None:
        channel = row.target.channel if row.target else "D" + row.channel
        outbox.mark_sent(row, Sent(channel, f"{row.id}.0"))


# --- pure rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "severity", "rest"),
    [
        ("crisis Ons account is gehackt", "crisis", "Ons account is gehackt"),
        ("HIGH: a journalist called", "high", "a journalist called"),
        ("hoog iemand belt", "high", "iemand belt"),
        ("normal question", "normal", "question"),
        ("the site is down", "normal", "the site is down"),
        ("crisis", "crisis", ""),
        ("", "normal", ""),
    ],
)
def test_the_severity_is_the_first_word_normal_by_default(
    text: str, severity: str, rest: str
) -> None:
    assert parse_command(text) == (severity, rest)


def test_references() -> None:
    assert parse_reference("ESC-42") == parse_reference("esc42") == parse_reference(" 42 ") == 42
    with pytest.raises(InvalidInput):
        parse_reference("ESC-")


@pytest.mark.parametrize(
    ("user", "allowed"), [("UCM1", True), ("UCM2", True), ("UBK", True), ("U1", False)]
)
def test_who_may_acknowledge(user: str, allowed: bool) -> None:
    assert may_act(user, ("UCM1", "UCM2"), ("UBK",)) is allowed


# --- raising -------------------------------------------------------------------------------


def test_raising_writes_the_escalation_its_timeline_and_every_message_at_once(
    service: EscalationService, clock: ManualClock
) -> None:
    escalation = raise_one(service)
    assert escalation.reference == f"ESC-{escalation.id}" and escalation.state == "open"
    assert escalation.next_reminder_at == clock() + dt.timedelta(minutes=15)
    rows = outbox_rows(service.store)
    n = escalation.id
    assert set(rows) == {
        f"escalation:{n}:dm:UCM1",
        f"escalation:{n}:dm:UCM2",
        f"escalation:{n}:channel:CESC",
        f"escalation-confirmation:{n}",
    }
    confirmation = rows[f"escalation-confirmation:{n}"]
    assert confirmation["route"] == "response_url" and confirmation["response_url"] == "https://r/1"
    assert [e.kind for e in service.detail(n).events] == ["raised", "notified"]
    assert service.detail(n).events[0].actor == "U1"


def test_raising_twice_under_one_key_gives_one_escalation_and_one_set_of_messages(
    service: EscalationService,
) -> None:
    first = raise_one(service)
    again, new = service.raise_escalation(
        "k1", "crisis", "Ons account is gehackt", "U1", "C1", MESSAGES
    )
    assert (again.id, new) == (first.id, False)
    assert service.store.db.table("escalations").count == 1
    assert len(outbox_rows(service.store)) == 4


@pytest.mark.parametrize(("severity", "text"), [("crisis", "   "), ("panic", "help")])
def test_bad_input_stores_nothing(service: EscalationService, severity: str, text: str) -> None:
    with pytest.raises(InvalidInput):
        service.raise_escalation("k", severity, text, "U1", "C1", MESSAGES)
    assert service.store.db.table("escalations").count == 0
    assert service.store.db.table("outbox").count == 0


def test_a_question_is_escalated_once_per_user_and_severity(
    service: EscalationService,
) -> None:
    asked = service.questions.ask("Ons account is gehackt, wat nu?", "U1", "C1", "command")
    first, _ = service.raise_for_question(asked.question_id, "U1", "normal", MESSAGES)
    again, new = service.raise_for_question(asked.question_id, "U1", "normal", MESSAGES)
    assert first.id == again.id and not new
    assert first.question is not None and first.question.user_id == "U1"
    assert first.best_guess is not None and first.text == "Ons account is gehackt, wat nu?"
    crisis, new = service.raise_for_question(asked.question_id, "U9", "crisis", MESSAGES)
    assert new and crisis.reporter == "U9" and crisis.severity == "crisis"
    with pytest.raises(NotFound):
        service.raise_for_question(999, "U1", "normal", MESSAGES)


# --- deadlines -----------------------------------------------------------------------------


def test_unacknowledged_it_renotifies_then_the_backup_at_most_three_times(
    service: EscalationService, clock: ManualClock
) -> None:
    escalation = raise_one(service)
    n = escalation.id
    assert service.due_reminders() == 0  # not yet due
    clock.advance(15 * 60)
    assert service.due_reminders() == 1
    rows = outbox_rows(service.store)
    assert rows[f"escalation:{n}:reminder1:dm:UCM1"]["content"] == f'{{"text": "ESC-{n} open r1"}}'
    assert not any("backup" in key for key in rows)  # the first time, the managers only
    assert service.due_reminders() == 0  # once per deadline
    clock.advance(15 * 60)
    assert service.due_reminders() == 1
    rows = outbox_rows(service.store)
    assert f"escalation:{n}:reminder2:dm:UCM2" in rows
    assert rows[f"escalation:{n}:reminder2:backup:UBK"]["content"] == (
        f'{{"text": "ESC-{n} open r2 backup"}}'
    )
    clock.advance(15 * 60)
    assert service.due_reminders() == 1
    clock.advance(24 * 3600)
    assert service.due_reminders() == 0  # at most three
    kinds = [e.kind for e in service.detail(n).events]
    assert kinds.count("renotified") == 3 and kinds.count("backup_notified") == 2
    assert service.get(n).reminders_sent == 3 and service.get(n).next_reminder_at is None


def test_a_normal_escalation_waits_a_working_day(
    service: EscalationService, clock: ManualClock
) -> None:
    clock.now = dt.datetime(2026, 12, 4, 16, tzinfo=BRUSSELS).astimezone(dt.UTC)  # Friday
    escalation = raise_one(service, "normal")
    assert escalation.next_reminder_at == dt.datetime(2026, 12, 7, 16, tzinfo=BRUSSELS)
    clock.now = dt.datetime(2026, 12, 6, 23, tzinfo=BRUSSELS).astimezone(dt.UTC)
    assert service.due_reminders() == 0  # not over the weekend
    assert service.due_reminders(dt.datetime(2026, 12, 7, 16, 1, tzinfo=BRUSSELS)) == 1


def test_an_acknowledged_escalation_is_not_renotified(
    service: EscalationService, clock: ManualClock
) -> None:
    escalation = raise_one(service)
    service.acknowledge(escalation.id, "UCM1", MESSAGES)
    clock.advance(3600)
    assert service.due_reminders() == 0


def test_without_a_backup_the_managers_are_reminded(
    fresh_store: Store, kb: KnowledgeBase, clock: ManualClock
) -> None:
    questions = QuestionService(fresh_store, kb, clock)
    service = EscalationService(fresh_store, questions, routing(backups=()), "nl", clock)
    raise_one(service)
    for _ in range(3):
        clock.advance(15 * 60)
        service.due_reminders()
    assert not [k for k in outbox_rows(fresh_store) if "backup" in k]
    assert len([k for k in outbox_rows(fresh_store) if "reminder" in k]) == 6


# --- acting on it --------------------------------------------------------------------------


def test_a_stranger_is_refused_politely_and_nothing_changes(service: EscalationService) -> None:
    escalation = raise_one(service)
    with pytest.raises(NotAllowed) as refused:
        service.acknowledge(escalation.id, "U1", MESSAGES)
    assert "Sorry" in str(refused.value) and escalation.reference in str(refused.value)
    with pytest.raises(NotAllowed):
        service.resolve(escalation.id, "U7", "done", MESSAGES)
    assert service.get(escalation.id).state == "open"
    assert [e.kind for e in service.detail(escalation.id).events] == ["raised", "notified"]


def test_acknowledging_updates_every_copy_and_tells_the_reporter(
    service: EscalationService, clock: ManualClock
) -> None:
    escalation = raise_one(service)
    clock.advance(20 * 60)
    service.due_reminders()  # a reminder is a copy too
    deliver_all(Outbox(service.store, clock))
    outcome = service.acknowledge(escalation.id, "UBK", MESSAGES)  # the backup may
    assert outcome.changed and outcome.escalation.acknowledged_by == "UBK"
    n = escalation.id
    rows = outbox_rows(service.store)
    updates = {k: r for k, r in rows.items() if r["route"] == "update"}
    assert {r["update_of"] for r in updates.values()} == {
        f"escalation:{n}:dm:UCM1",
        f"escalation:{n}:dm:UCM2",
        f"escalation:{n}:channel:CESC",
        f"escalation:{n}:reminder1:dm:UCM1",
        f"escalation:{n}:reminder1:dm:UCM2",
    }
    assert all(r["content"] == f'{{"text": "ESC-{n} acknowledged r0"}}' for r in updates.values())
    told = rows[f"escalation-acknowledged:{n}"]
    assert told["channel"] == "U1" and "UBK" in told["content"]
    again = service.acknowledge(n, "UCM1", MESSAGES)  # a second manager, a double click
    assert not again.changed and again.escalation.acknowledged_by == "UBK"
    assert len(outbox_rows(service.store)) == len(rows)


def test_resolving_with_a_lesson_saves_a_draft(service: EscalationService) -> None:
    escalation = raise_one(service)
    service.acknowledge(escalation.id, "UCM1", MESSAGES)
    with pytest.raises(InvalidInput):
        service.resolve(escalation.id, "UCM1", "  ", MESSAGES)
    outcome = service.resolve(
        escalation.id, "UCM2", "Wachtwoorden gereset, 2FA aan.", MESSAGES, save_lesson=True,
        lesson_title="Wat doe ik als ons account gehackt is?",
    )  # fmt: skip
    assert outcome.changed and outcome.escalation.state == "resolved"
    (draft,) = drafts(service.store)
    assert (draft.title, draft.body, draft.lang, draft.state) == (
        "Wat doe ik als ons account gehackt is?",
        "Wachtwoorden gereset, 2FA aan.",
        "nl",
        "draft",
    )
    assert draft.source == f"escalation:{escalation.reference}" and draft.submitted_by == "UCM2"
    events = service.detail(escalation.id).events
    assert [e.kind for e in events] == [
        "raised", "notified", "acknowledged", "resolved", "lesson_saved"
    ]  # fmt: skip
    assert events[3].actor == "UCM2" and events[3].detail == "Wachtwoorden gereset, 2FA aan."
    assert (
        "resolved: Wachtwoorden"
        in outbox_rows(service.store)[f"escalation-resolved:{escalation.id}"]["content"]
    )
    assert not service.resolve(escalation.id, "UCM1", "again", MESSAGES).changed


def test_list_and_detail(service: EscalationService) -> None:
    first = raise_one(service, key="a")
    second = raise_one(service, "high", key="b")
    service.resolve(first.id, "UCM1", "fixed", MESSAGES)
    assert [e.id for e in service.list()] == [second.id, first.id]
    assert [e.id for e in service.list(open_only=True)] == [second.id]
    detail = service.detail(first.id)
    assert {c.to for c in detail.copies} >= {"UCM1", "UCM2", "CESC"}
    with pytest.raises(NotFound):
        service.detail(999)


def test_the_reporter_hears_when_no_manager_can_be_reached(
    service: EscalationService, clock: ManualClock
) -> None:
    escalation = raise_one(service)
    outbox = Outbox(service.store, clock)
    while (row := outbox.claim("t", pace=0)) is not None:
        if row.kind == "escalation":
            outbox.mark_failed(row, "channel_not_found")
            service.tell_when_nobody_was_reached(outbox.get(row.id))
        else:
            outbox.mark_sent(row, Sent())
    told = outbox_rows(service.store)[f"escalation-unreachable:{escalation.id}"]
    assert told["channel"] == "U1" and "<@UCM1>, <@UCM2>" in told["content"]
