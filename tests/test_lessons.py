from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.errors import InvalidInput, NotFound
from bot.knowledge import KnowledgeBase
from bot.knowledge.entry import parse_markdown, to_markdown
from bot.lessons import LessonErrors, LessonForm, Lessons, TextMessages, save_draft
from bot.questions import QuestionService
from bot.teaching import NewEntryErrors, Teaching
from tests.conftest import ManualClock

MANAGER, SUBMITTER, OTHER = "UMANAGER", "USUBMIT1", "UOTHER01"
FORM = LessonForm(
    title="Reageer binnen het uur op een klacht over levertijden",
    learned="Een snelle eerste reactie haalt de angel eruit; de oplossing mag later komen.",
    lang="nl",
    happened="Een klacht over levertijden ging rond op LinkedIn.",
    tags=("Klachten", "webcare", "klachten"),
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
def lessons(kb: KnowledgeBase, clock: ManualClock) -> Lessons:
    teaching = Teaching(kb.store, kb, clock)
    return Lessons(kb.store, kb, teaching, [MANAGER], clock, TextMessages(), stale_days=180)


def outbox(kb: KnowledgeBase) -> dict[str, tuple[str, dict[str, Any]]]:
    rows = kb.store.db.execute("select key, channel, content from outbox").fetchall()
    return {key: (channel, json.loads(content)) for key, channel, content in rows}


def test_a_submitted_lesson_is_a_draft_offered_to_the_manager_once(
    lessons: Lessons, kb: KnowledgeBase
) -> None:
    draft = lessons.submit(FORM, SUBMITTER, "V1")
    again = lessons.submit(FORM, SUBMITTER, "V1")  # a retried submission: one draft

    assert again.id == draft.id and draft.state == "draft"
    assert draft.tags == ("klachten", "webcare") and draft.happened.startswith("Een klacht")
    assert list(outbox(kb)) == [f"lesson-review:{draft.id}:{MANAGER}"]
    assert lessons.offer_pending() == 0


def test_drafts_from_any_source_are_offered_by_the_job(lessons: Lessons, kb: KnowledgeBase) -> None:
    with kb.store.transaction() as db:
        save_draft(
            db,
            "Na een crisis",
            "Evalueer binnen een week.",
            "nl",
            "escalation:ESC-1",
            "UREPORT1",
            lessons.clock(),
        )
        db.execute(  # as the pilots' close form writes it: straight into the table
            "insert into lesson_drafts (title, body, lang, source, submitted_by, created_at) "
            "values ('Pilot lessen', 'Begin klein.', 'nl', 'pilot:3', 'UPILOT01', '2026-11-20')"
        )

    assert lessons.offer_pending() == 2
    assert lessons.offer_pending() == 0
    assert sorted(outbox(kb)) == [f"lesson-review:1:{MANAGER}", f"lesson-review:2:{MANAGER}"]


def test_bad_input_names_each_field_and_stores_nothing(lessons: Lessons, kb: KnowledgeBase) -> None:
    bad = LessonForm(title=" ", learned="", lang="fr", tags=tuple(f"t{i}" for i in range(11)))
    with pytest.raises(LessonErrors) as caught:
        lessons.submit(bad, SUBMITTER, "V2")
    assert set(caught.value.errors) == {"title", "learned", "lang", "tags"}
    assert lessons.pending() == [] and outbox(kb) == {}


def test_an_approved_lesson_is_an_entry_at_once_owned_by_its_submitter(
    lessons: Lessons, kb: KnowledgeBase, clock: ManualClock
) -> None:
    draft = lessons.submit(FORM, SUBMITTER, "V1")
    clock.advance(3600)

    done, entry = lessons.approve(draft.id, MANAGER)

    assert done.state == "approved" and done.entry_id == entry.id and done.reviewed_by == MANAGER
    assert entry.owner == SUBMITTER and entry.updated == "2026-11-20"
    assert "Wat er gebeurde: Een klacht" in entry.body
    answer = QuestionService(kb.store, kb, clock).ask(
        "hoe snel reageren op een klacht over levertijden?", OTHER, "C1", "command"
    )
    assert answer.answer.best is not None and answer.answer.best.entry.id == entry.id
    assert parse_markdown(to_markdown(kb.get(entry.id)), f"{entry.id}.md") == kb.get(entry.id)
    assert outbox(kb)[f"lesson-approved:{draft.id}"][0] == SUBMITTER
    with pytest.raises(NotFound):  # a second click
        lessons.approve(draft.id, MANAGER)


def test_only_a_manager_reviews(lessons: Lessons) -> None:
    draft = lessons.submit(FORM, SUBMITTER, "V1")
    with pytest.raises(NotFound):
        lessons.approve(draft.id, SUBMITTER)
    with pytest.raises(NotFound):
        lessons.reject(draft.id, "nee", OTHER)
    assert lessons.get(draft.id).state == "draft"


def test_a_title_another_entry_has_cannot_be_approved_and_stays_a_draft(
    lessons: Lessons, kb: KnowledgeBase
) -> None:
    taken = kb.entries()[0].title
    draft = lessons.submit(LessonForm(taken, "Iets anders.", "nl"), SUBMITTER, "V1")
    with pytest.raises(NewEntryErrors):
        lessons.approve(draft.id, MANAGER)
    assert lessons.get(draft.id).state == "draft"
    assert f"lesson-approved:{draft.id}" not in outbox(kb)


def test_edit_changes_the_draft_before_approval(lessons: Lessons, kb: KnowledgeBase) -> None:
    draft = lessons.submit(FORM, SUBMITTER, "V1")
    edited = lessons.edit(
        draft.id,
        LessonForm("Klachten over levertijd: snel reageren", "Reageer binnen het uur.", "nl"),
        MANAGER,
    )
    _, entry = lessons.approve(draft.id, MANAGER)
    assert edited.title == entry.title == "Klachten over levertijd: snel reageren"
    assert entry.body == "Reageer binnen het uur."


def test_a_rejected_lesson_goes_back_with_the_reason(lessons: Lessons, kb: KnowledgeBase) -> None:
    draft = lessons.submit(FORM, SUBMITTER, "V1")
    with pytest.raises(InvalidInput):
        lessons.reject(draft.id, "  ", MANAGER)

    done = lessons.reject(draft.id, "Dit staat al in de richtlijn.", MANAGER)

    assert done.state == "rejected" and done.reason == "Dit staat al in de richtlijn."
    channel, content = outbox(kb)[f"lesson-rejected:{draft.id}"]
    assert channel == SUBMITTER and "Dit staat al in de richtlijn." in content["text"]
    assert len(kb.entries()) == 8
    channel, content = outbox(kb)[f"lesson-review:{draft.id}:{MANAGER}:rejected"]
    assert channel == MANAGER and f"<@{MANAGER}>" in content["text"]  # the review DM edited


def test_once_approved_every_review_dm_is_edited_once(
    kb: KnowledgeBase, clock: ManualClock
) -> None:
    teaching = Teaching(kb.store, kb, clock)
    lessons = Lessons(kb.store, kb, teaching, [MANAGER, OTHER], clock, TextMessages(), 180)
    draft = lessons.submit(FORM, SUBMITTER, "V1")

    done, entry = lessons.approve(draft.id, OTHER)

    rows = kb.store.db.execute(
        "select key, channel, update_of from outbox where kind = 'lesson_reviewed' order by key"
    ).fetchall()
    assert rows == [
        (f"lesson-review:{draft.id}:{m}:approved", m, f"lesson-review:{draft.id}:{m}")
        for m in sorted([MANAGER, OTHER])
    ]
    text = outbox(kb)[rows[0][0]][1]["text"]
    assert f"<@{OTHER}>" in text and entry.id in text


def test_stale_entries_are_reminded_once_a_week_and_still_correct_moves_the_date(
    lessons: Lessons, kb: KnowledgeBase, clock: ManualClock
) -> None:
    stale = lessons.stale()  # older than 2026-05-24
    assert [e.id for e in stale][:2] == ["training-hr", "budget-estimate"]
    assert "listening-process" not in {e.id for e in stale}

    assert lessons.remind_stale("nl") == 2  # the owner U0123ABCD; the manager the rest
    assert lessons.remind_stale("nl") == 0  # the same week: no second DM
    assert sorted(outbox(kb)) == ["kb-stale:U0123ABCD:2026-W47", f"kb-stale:{MANAGER}:2026-W47"]

    with pytest.raises(NotFound):
        lessons.still_correct("crisis-first-hour", OTHER)
    checked = lessons.still_correct("crisis-first-hour", "U0123ABCD")
    assert checked.updated == "2026-11-20" == kb.get("crisis-first-hour").updated
    assert "crisis-first-hour" not in {e.id for e in lessons.stale()}

    clock.advance(7 * 24 * 3600)
    assert lessons.remind_stale("nl") == 1  # next week: the manager's entries again


def test_the_digest_subscription_toggles(lessons: Lessons) -> None:
    assert lessons.toggle_subscription(OTHER, "en") is True
    assert lessons.subscribed(OTHER)
    assert lessons.toggle_subscription(OTHER, "en") is False
    assert not lessons.subscribed(OTHER)


def test_export_writes_an_approved_lesson_as_markdown(
    lessons: Lessons, kb: KnowledgeBase, tmp_path: Path
) -> None:
    draft = lessons.submit(FORM, SUBMITTER, "V1")
    _, entry = lessons.approve(draft.id, MANAGER)
    text = to_markdown(kb.get(entry.id))
    assert f"owner: {SUBMITTER}" in text and "updated: 2026-11-20" in text


def test_the_pilot_picker_lists_active_pilots_once_there_are_any(
    lessons: Lessons, kb: KnowledgeBase
) -> None:
    assert lessons.pilot_choices() is None
    kb.store.db.execute(
        "insert into pilots (key, name, name_key, owner, state, status, created_at) values "
        "('a', 'Reels', 'reels', 'U1', 'active', 'green', '2026-11-01'), "
        "('b', 'Oud', 'oud', 'U1', 'closed', 'green', '2026-01-01')"
    )
    kb.store.db.conn.commit()
    assert lessons.pilot_choices() == [(1, "Reels")]
    draft = lessons.submit(replace(FORM, pilot_id=1), SUBMITTER, "V9")
    assert draft.pilot_id == 1
