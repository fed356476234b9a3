"""Privacy: every table is registered, a person's data is exported and forgotten to the last
byte of the file, and what is older than the retention period is deleted."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import privacy
from bot.db import Store
from bot.escalations import Escalation, EscalationService, Notice, Routing
from bot.intake import Intake, Request
from bot.knowledge import KnowledgeBase
from bot.outbox import Message, Outbox
from bot.privacy import FORGOTTEN, NO_PERSONAL_DATA, PERSON_LIKE, PERSONAL_DATA, Privacy
from bot.questions import QuestionService
from bot.working_hours import WorkingHours, parse_deadlines
from tests.conftest import ManualClock

PERSON = "UFORGET1"
OTHER = "UKEEP7"
LOOKALIKE = "UFORGET12"  # contains PERSON's id: must be left alone
MANAGER = "UCM9"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def questions(kb: KnowledgeBase, clock: ManualClock) -> QuestionService:
    return QuestionService(kb.store, kb, clock)


@pytest.fixture
def service(kb: KnowledgeBase, clock: ManualClock) -> Privacy:
    return Privacy(kb.store, clock, retention_days=365)


def columns_of(store: Store, table: str) -> list[str]:
    return [c.name for c in store.db.table(table).columns]


def test_every_table_is_registered_as_personal_or_not(fresh_store: Store) -> None:
    tables = set(privacy.tables_of(fresh_store.db))
    personal = {spec.table for spec in PERSONAL_DATA}
    unplaced = tables - personal - set(NO_PERSONAL_DATA)
    assert not unplaced, (
        f"tables {sorted(unplaced)} are in neither bot.privacy.PERSONAL_DATA nor "
        "NO_PERSONAL_DATA: register each, so that privacy export/forget and retention cover it"
    )
    assert personal <= tables and set(NO_PERSONAL_DATA) <= tables, "a registered table is gone"
    assert not personal & set(NO_PERSONAL_DATA)


def test_every_column_that_looks_like_a_person_is_placed(fresh_store: Store) -> None:
    unplaced = []
    for table in privacy.tables_of(fresh_store.db):
        spec = privacy.registered(table)
        placed = set() if spec is None else {*spec.people, *spec.mentions, *spec.not_people}
        unplaced += [
            f"{table}.{column}"
            for column in columns_of(fresh_store, table)
            if PERSON_LIKE.search(column) and column not in placed
        ]
    assert not unplaced, (
        f"{unplaced} look like they hold Slack user ids: name them in their table's "
        "PersonalData (people, mentions, or not_people when they hold no person)"
    )
    for spec in PERSONAL_DATA:  # and what is placed exists
        assert {*spec.people, *spec.mentions, *spec.not_people} <= set(
            columns_of(fresh_store, spec.table)
        ), spec.table
        assert spec.dated_by is None or spec.dated_by in columns_of(fresh_store, spec.table)
        assert spec.dated_by is not None or spec.why, spec.table


@pytest.mark.parametrize(
    "column",
    ["user_id", "owner", "reporter", "acknowledged_by", "asker", "requested_by", "author_id",
     "manager", "members", "actor"],
)  # fmt: skip
def test_person_like_names_are_recognised(column: str) -> None:
    assert PERSON_LIKE.search(column)


@pytest.mark.parametrize("column", ["updated", "sent_ts", "question", "byte_count", "kind"])
def test_other_names_are_not(column: str) -> None:
    assert not PERSON_LIKE.search(column)


class _Plain:
    """Escalation messages as plain text."""

    def notice(self, escalation: Escalation, notice: Notice) -> dict[str, str]:
        return {"text": f"notice {escalation.reference}"}

    def confirmation(self, escalation: Escalation) -> dict[str, str]:
        return {"text": "confirmed"}

    def acknowledged(self, escalation: Escalation) -> dict[str, str]:
        return {"text": "acknowledged"}

    def resolved(self, escalation: Escalation) -> dict[str, str]:
        return {"text": "resolved"}


PLAIN = _Plain()


def escalations(questions: QuestionService) -> EscalationService:
    """Escalations to MANAGER, over ``questions``' store and clock."""
    routing = Routing(
        managers=(MANAGER,),
        backups=(),
        channel="",
        deadlines=parse_deadlines("crisis=15m,high=60m,normal=1wd"),
        work_time=WorkingHours(
            dt.time(9), dt.time(17), frozenset(range(5)), ZoneInfo("Europe/Brussels")
        ),
    )
    return EscalationService(questions.store, questions, routing, "nl", questions.clock)


def stored_by_everyone(questions: QuestionService, clock: ManualClock) -> int:
    """Questions, feedback, an escalation of a question (its DMs in the outbox), an intake row
    and a mention, by PERSON, OTHER and LOOKALIKE; PERSON owns an entry. PERSON's question id."""
    store = questions.store
    mine = questions.ask("Wie mag er namens het merk posten?", PERSON, "C1", "command")
    questions.feedback(mine.question_id, PERSON, True)
    questions.feedback(mine.question_id, OTHER, False)  # someone else's verdict on it
    escalations(questions).raise_for_question(mine.question_id, PERSON, "normal", PLAIN)
    theirs = questions.ask(f"wat vindt <@{PERSON}> van crisis ophef?", OTHER, "C2", "mention")
    questions.feedback(theirs.question_id, OTHER, True)
    questions.ask("crisis ophef", LOOKALIKE, "C3", "dm")
    intake = Intake(store, clock)
    intake.accept(Request("command:T1", "hoi", PERSON, "D1", "command", None, "https://r/1"))
    outbox = Outbox(store, clock)
    outbox.enqueue(
        "notice:1",
        Message("notice", "post", OTHER, {"text": f"<@{PERSON}> asked"}, "en", "a notice"),
    )
    questions.first_time("event:Ev1")
    with store.transaction() as db:
        db.execute("update entries set owner = ? where id = 'who-may-post'", [PERSON])
    return mine.question_id


def traces(user_id: str, store: Store) -> int:
    """How often the raw bytes of the database files (the write-ahead log included) hold
    ``user_id``, not counting where it is the start of LOOKALIKE (a record's columns follow
    one another without a separator, so the end of an id cannot be told)."""
    files = Path(store.path).parent.glob(Path(store.path).name + "*")
    count = 0
    for path in files:
        data = path.read_bytes()
        count += data.count(user_id.encode())
        if user_id != LOOKALIKE and LOOKALIKE.startswith(user_id):
            count -= data.count(LOOKALIKE.encode())
    return count


def test_export_holds_every_row_about_the_person(
    questions: QuestionService, clock: ManualClock, service: Privacy
) -> None:
    stored_by_everyone(questions, clock)
    exported = service.export(PERSON)
    tables = exported["tables"]
    assert [q["user_id"] for q in tables["questions"]] == [PERSON, OTHER]  # asked; mentioned
    assert [f["user_id"] for f in tables["feedback"]] == [PERSON]
    assert [e["reporter"] for e in tables["escalations"]] == [PERSON]
    assert {e["actor"] for e in tables["escalation_events"]} == {PERSON}
    assert [i["user_id"] for i in tables["intake"]] == [PERSON]
    owed = {o["key"] for o in tables["outbox"]}
    assert "notice:1" in owed and any(MANAGER in key for key in owed)
    assert [e["id"] for e in tables["entries"]] == ["who-may-post"]
    assert "handled_events" not in tables
    json.dumps(exported)  # printable as JSON
    assert LOOKALIKE not in json.dumps(exported)


def test_forget_leaves_no_trace_of_the_id_in_the_database_files(
    questions: QuestionService, clock: ManualClock, service: Privacy
) -> None:
    mine = stored_by_everyone(questions, clock)
    store = questions.store
    assert traces(PERSON, store)
    forgotten = service.forget(PERSON)
    assert forgotten.deleted == {
        "feedback": 2,  # theirs, and the other's verdict on their question
        "escalations": 1,
        "escalation_events": 2,  # raised, notified
        "questions": 1,
        "intake": 1,
        "outbox": 2,  # the manager's DM about their escalation, their confirmation
    }
    assert forgotten.cleared == {"entries": 1}
    assert forgotten.redacted == {"questions": 1, "outbox": 1}
    assert forgotten.file_clean
    assert not traces(PERSON, store)
    db = store.db
    assert db.execute("select count(*) from questions where id = ?", [mine]).fetchone() == (0,)
    (text,) = db.execute("select question from questions where user_id = ?", [OTHER]).fetchone()
    assert text == f"wat vindt <@{FORGOTTEN}> van crisis ophef?"
    # Everyone else's data stays, the look-alike id included.
    assert {r[0] for r in db.execute("select user_id from questions")} == {OTHER, LOOKALIKE}
    assert db.execute("select count(*) from feedback where user_id = ?", [OTHER]).fetchone() == (1,)
    assert traces(LOOKALIKE, store)
    assert service.export(PERSON)["tables"] == {}


def test_forgetting_an_unknown_id_changes_nothing(
    questions: QuestionService, clock: ManualClock, service: Privacy
) -> None:
    stored_by_everyone(questions, clock)
    before = service.export(OTHER)
    result = service.forget("UNOBODY1")
    assert result.total == 0
    assert service.export(OTHER) == before


def test_forget_is_logged_without_the_id(
    questions: QuestionService,
    clock: ManualClock,
    service: Privacy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stored_by_everyone(questions, clock)
    with caplog.at_level("INFO", logger="bot.privacy"):
        service.forget(PERSON)
    assert "forgot one person" in caplog.text
    assert PERSON not in caplog.text


def test_retention_deletes_old_rows_and_keeps_weekly_counts(
    questions: QuestionService, clock: ManualClock, service: Privacy
) -> None:
    old = questions.ask("Wie mag er namens het merk posten?", PERSON, "C1", "command")
    questions.feedback(old.question_id, PERSON, False)
    escalations(questions).raise_for_question(old.question_id, PERSON, "normal", PLAIN)
    questions.ask("What is the weather in Paris today?", OTHER, "C1", "command")
    clock.advance(300 * 86400)
    recent = questions.ask("crisis ophef", OTHER, "C1", "dm")
    questions.feedback(recent.question_id, OTHER, True)
    clock.advance(70 * 86400)  # the first two are 370 days old, the third 70

    expired = service.expire()

    store = questions.store
    assert expired.deleted["questions"] == 2
    assert expired.deleted["feedback"] == 1 and expired.deleted["escalations"] == 1
    assert [r[0] for r in store.db.execute("select id from questions")] == [recent.question_id]
    assert store.db.execute("select count(*) from feedback").fetchone() == (1,)
    weeks = list(store.db.table("weekly_question_stats").rows)
    week = dt.datetime(2026, 11, 20).isocalendar()
    assert weeks == [
        {"week": f"{week.year}-W{week.week:02d}", "asked": 2, "answered": 1, "helpful": 0,
         "not_helpful": 1, "handed_over": 1}
    ]  # fmt: skip
    assert PERSON not in json.dumps(weeks)
    assert "2 from questions" in expired.summary()
    assert service.expire().summary() == "nothing older than the retention period"


def test_forget_covers_what_a_conversation_manager_taught(
    questions: QuestionService, service: Privacy
) -> None:
    asked = questions.ask("crisis ophef", OTHER, "D1", "dm")
    with questions.store.transaction() as db:
        db.execute(
            "insert into taught_phrasings values ('who-may-post', 'wie post er?', ?, '2026-11-20')",
            [PERSON],
        )
        db.execute(
            "insert into taught_questions values (?, 'who-may-post', ?, '2026-11-20')",
            [asked.question_id, PERSON],
        )
    forgotten = service.forget(PERSON)
    assert forgotten.cleared.get("taught_phrasings") == 1
    assert forgotten.deleted.get("taught_questions") == 1
    assert not traces(PERSON, questions.store)
    # The phrasing itself stays with its entry; only who taught it is gone.
    assert questions.store.db.execute("select question from taught_phrasings").fetchall() == [
        ("wie post er?",)
    ]
