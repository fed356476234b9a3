from __future__ import annotations

import base64
import datetime as dt
import json
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.db import Store
from bot.digest import (
    MARKDOWN,
    Digest,
    DigestService,
    LessonLine,
    MarkdownDigest,
    build_digest,
    chart_png,
    parse_week,
    sections,
    to_markdown,
    week_bounds,
    week_for,
)
from bot.errors import InvalidInput
from bot.knowledge import KnowledgeBase
from bot.lessons import LessonForm, Lessons, TextMessages
from bot.scheduler import Job, Scheduler
from bot.teaching import Teaching
from tests.conftest import ManualClock, tick_together

ZONE = ZoneInfo("Europe/Brussels")
FIXTURES = Path(__file__).parent / "fixtures"
MANAGER = "UMANAGER"
# Thursday of 2026-W48, in the middle of the digest's week.
DURING = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def at(days: float, base: dt.datetime = DURING) -> str:
    return (base + dt.timedelta(days=days)).isoformat()


def seed(kb: KnowledgeBase, pilots: bool) -> None:
    """A week of real-looking activity (2026-W48) and a little before and after it."""
    clock = ManualClock(DURING)
    lessons = Lessons(
        kb.store, kb, Teaching(kb.store, kb, clock), [MANAGER], clock, TextMessages(), zone=ZONE
    )
    for key, title, learned in (
        (
            "V1",
            "Reageer binnen het uur op klachten over levertijden",
            "Een snelle eerste reactie haalt de angel eruit.\nDe oplossing mag later komen.",
        ),
        (
            "V2",
            "Vraag juridisch advies voor je een winactie start",
            "Kansspelen zijn streng geregeld; juridische check vooraf.",
        ),
    ):
        draft = lessons.submit(LessonForm(title, learned, "nl", tags=("webcare",)), "USUBMIT1", key)
        lessons.approve(draft.id, MANAGER)
    lessons.submit(LessonForm("Nog niet goedgekeurd", "Niet in de digest.", "nl"), "U2", "V3")
    db = kb.store.db
    rows = []
    for i in range(20):  # 20 questions in the week, 15 answered (crisis x9, budget x6)
        answered = i < 15
        entry = ("crisis-first-hour" if i < 9 else "budget-estimate") if answered else None
        rows.append(
            (
                at(i / 10),
                f"U{i % 4}XX",
                "C1",
                "command",
                f"vraag {i}",
                "nl",
                int(answered),
                entry,
                0.8 if answered else 0.2,
            )
        )
    rows.append((at(-10), "U1XX", "C1", "command", "oud", "nl", 1, "budget-estimate", 0.9))
    rows.append((at(10), "U1XX", "C1", "command", "later", "nl", 1, "budget-estimate", 0.9))
    db.conn.executemany(
        "insert into questions (asked_at, user_id, channel_id, surface, question, lang, "
        "answered, entry_id, score) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.conn.executemany(
        "insert into feedback (question_id, user_id, helpful, given_at) values (?, ?, ?, ?)",
        [
            (1, "U1", 1, at(0.1)),
            (2, "U1", 1, at(0.2)),
            (3, "U2", 0, at(0.3)),
            (4, "U3", 1, at(0.4)),
        ],
    )
    db.execute(
        "insert into taught_questions (question_id, entry_id, taught_by, taught_at) "
        "values (16, 'hacked-account', ?, ?)",
        [MANAGER, at(0.5)],
    )
    db.execute(
        "insert into taught_phrasings (entry_id, question, taught_by, taught_at) "
        "values ('hacked-account', 'account overgenomen', ?, ?)",
        [MANAGER, at(0.5)],
    )
    escalations = [
        ("ESC-1", "crisis", at(-1), at(-1 + 10 / 1440), "resolved"),
        ("ESC-2", "high", at(0), at(40 / 1440), "acknowledged"),
        ("ESC-3", "normal", at(1), None, "open"),
        ("ESC-0", "normal", at(-20), None, "open"),  # raised weeks ago, still open
    ]
    for key, severity, raised, acked, state in escalations:
        db.execute(
            "insert into escalations (key, severity, text, reporter, state, raised_at, "
            "acknowledged_at) values (?, ?, 'x', 'UREP', ?, ?, ?)",
            [key, severity, state, raised, acked],
        )
    db.conn.commit()
    if pilots:
        for i, (name, status, flagship, budget, spent, last) in enumerate(
            [
                ("Instagram Reels", "green", 1, 500_000, 100_000, at(-2)),
                ("TikTok proef", "amber", 0, 200_000, 190_000, at(-1)),
                ("LinkedIn nieuwsbrief", "red", 1, 0, 0, at(-30)),
                ("Gesloten pilot", "green", 0, 0, 0, at(-3)),
            ]
        ):
            db.execute(
                "insert into pilots (key, name, name_key, owner, status, state, flagship, "
                "budget_cents, spent_cents, hours_estimated, hours_spent, created_at, "
                "last_update_at) values (?, ?, ?, 'UOWNER', ?, ?, ?, ?, ?, 10, 2, ?, ?)",
                [
                    f"p{i}",
                    name,
                    name.lower(),
                    status,
                    "closed" if i == 3 else "active",
                    flagship,
                    budget,
                    spent,
                    at(-60),
                    last,
                ],
            )
        for week in range(8):
            db.execute(
                "insert into pilot_updates (key, pilot_id, kind, spent_cents, by_user, "
                "created_at) values (?, 1, 'update', ?, 'UOWNER', ?)",
                [f"u{week}", 10_000 * (week + 1), at(-7 * week)],
            )
        db.conn.commit()


def golden(name: str, text: str) -> None:
    path = FIXTURES / name
    if os.environ.get("SOCIALBOT_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("pilots", [False, True])
def test_the_digest_of_a_week_matches_its_golden_markdown(kb: KnowledgeBase, pilots: bool) -> None:
    seed(kb, pilots)
    digest = build_digest(kb.store.db, "2026-W48", "nl", ZONE, 180, [("wat is de huisstijl?", 3)])
    name = "digest-nl-pilots.md" if pilots else "digest-nl.md"
    golden(name, to_markdown(digest))
    assert (digest.pilots is not None) is pilots


def test_the_english_digest_and_a_late_one(kb: KnowledgeBase) -> None:
    seed(kb, pilots=True)
    digest = build_digest(kb.store.db, "2026-W48", "en", ZONE, 180)
    golden("digest-en-late.md", to_markdown(digest, late="2026-11-30 09:00"))


def test_an_empty_week_leaves_every_section_out(fresh_store: Store) -> None:
    digest = build_digest(fresh_store.db, "2026-W10", "en", ZONE, 180)
    assert digest.empty
    assert "quiet week" in to_markdown(digest)
    assert "## " not in to_markdown(digest)


def test_the_chart_is_a_png_of_eight_weeks(kb: KnowledgeBase) -> None:
    seed(kb, pilots=True)
    digest = build_digest(kb.store.db, "2026-W48", "en", ZONE, 180)
    assert [p.week for p in digest.chart][0] == "2026-W41" and len(digest.chart) == 8
    assert digest.chart[-1].asked == 20 and digest.chart[-1].answered == 15
    assert digest.chart[-1].burn_cents == 10_000
    assert chart_png(digest).startswith(b"\x89PNG")


def test_weeks_are_iso_weeks_in_the_time_zone() -> None:
    assert parse_week("2026-W48") == "2026-W48"
    for bad in ("2026-48", "2026-W54", "W48", ""):
        with pytest.raises(InvalidInput):
            parse_week(bad)
    start, end = week_bounds("2026-W48", ZONE)
    assert start.isoformat() == "2026-11-23T00:00:00+01:00" and (end - start).days == 7
    assert week_for(dt.date(2026, 11, 30)) == "2026-W48"  # Monday's digest: the week before


def service(kb: KnowledgeBase, clock: ManualClock, channel: str = "CDIGEST") -> DigestService:
    teaching = Teaching(kb.store, kb, clock)
    return DigestService(
        kb.store, teaching, clock, ZONE, channel, "0 9 * * 1", "nl", 180, MarkdownDigest()
    )


def keys(store: Store) -> list[str]:
    return [k for (k,) in store.db.execute("select key from outbox order by id").fetchall()]


def test_posting_is_once_per_week_and_channel_unless_forced(kb: KnowledgeBase) -> None:
    clock = ManualClock(dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC))
    digests = service(kb, clock)
    Lessons(
        kb.store, kb, Teaching(kb.store, kb, clock), [MANAGER], clock, TextMessages()
    ).toggle_subscription("USUB0001", "nl")

    first = digests.post()
    again = service(kb, clock).post("2026-W48")  # another process, the same week
    assert first.enqueued and not again.enqueued and first.dms == 1 and again.dms == 0
    assert keys(kb.store) == [
        "digest:CDIGEST:2026-W48",
        "digest-chart:CDIGEST:2026-W48",
        "digest:USUB0001:2026-W48",
    ]
    chart = json.loads(
        kb.store.db.execute("select content from outbox where route = 'upload'").fetchone()[0]
    )
    assert base64.b64decode(chart["png_base64"]).startswith(b"\x89PNG")

    forced = digests.post("2026-W48", force=True)
    assert forced.enqueued and len(keys(kb.store)) == 6


def test_without_a_channel_nothing_is_posted(kb: KnowledgeBase) -> None:
    clock = ManualClock()
    with pytest.raises(InvalidInput, match="DIGEST_CHANNEL"):
        service(kb, clock, channel="").post()
    assert "not set" in service(kb, clock, channel="").run(clock())


def test_the_job_marks_a_late_digest_and_skips_a_week_older_than_the_next(
    kb: KnowledgeBase,
) -> None:
    slot = dt.datetime(2026, 11, 30, 9, 0, tzinfo=ZONE)
    clock = ManualClock(slot.astimezone(dt.UTC) + dt.timedelta(hours=3))
    summary = service(kb, clock).run(slot)
    assert "2026-W48 enqueued (late)" in summary
    content = json.loads(kb.store.db.execute("select content from outbox").fetchone()[0])
    assert "Later verstuurd dan gepland (2026-11-30 09:00)" in content["text"]

    clock.now = (slot + dt.timedelta(days=7, minutes=1)).astimezone(dt.UTC)
    assert "skipped" in service(kb, clock).run(slot - dt.timedelta(days=7))
    assert keys(kb.store)[-1] == "digest-chart:CDIGEST:2026-W48"


def digest_job(digests: DigestService) -> Job:
    return Job("weekly-digest", digests.schedule, digests.run, "t", missed="run_once")


def posted(store: Store) -> list[tuple[str, str]]:
    return store.db.execute(
        "select key, created_at from outbox where route = 'post' order by id"
    ).fetchall()


def test_the_digest_posts_once_at_monday_nine_local_time_across_dst(kb: KnowledgeBase) -> None:
    # Summer time ends on Sunday 2026-10-25: 09:00 is 07:00 UTC before, 08:00 UTC after.
    clock = ManualClock(dt.datetime(2026, 10, 15, 12, 0, tzinfo=dt.UTC))
    scheduler = Scheduler(kb.store, [digest_job(service(kb, clock))], ZONE, clock)
    scheduler.tick()  # first sight
    moments = []
    while clock.now < dt.datetime(2026, 11, 3, tzinfo=dt.UTC):
        clock.advance(15 * 60)
        if scheduler.tick():
            moments.append(clock.now.isoformat())
    assert moments == [
        "2026-10-19T07:00:00+00:00",
        "2026-10-26T08:00:00+00:00",
        "2026-11-02T08:00:00+00:00",
    ]
    assert [key for key, _ in posted(kb.store)] == [
        "digest:CDIGEST:2026-W42",
        "digest:CDIGEST:2026-W43",
        "digest:CDIGEST:2026-W44",
    ]


def test_two_processes_at_the_slot_post_once(kb: KnowledgeBase) -> None:
    slot = dt.datetime(2026, 11, 30, 9, 0, tzinfo=ZONE)
    clock = ManualClock(slot.astimezone(dt.UTC) - dt.timedelta(minutes=1))
    other = Store(kb.store.path)
    try:
        schedulers = [
            Scheduler(store, [digest_job(service(kb, clock))], ZONE, clock)
            for store in (kb.store, other)
        ]
        schedulers[0].tick()
        clock.now = slot.astimezone(dt.UTC)
        tick_together(schedulers)
        for scheduler in schedulers:  # and a restart a moment later
            clock.advance(30)
            scheduler.tick()
    finally:
        other.close()
    assert [key for key, _ in posted(kb.store)] == ["digest:CDIGEST:2026-W48"]


def test_down_at_the_slot_it_posts_once_late_and_never_an_older_week(kb: KnowledgeBase) -> None:
    before = dt.datetime(2026, 11, 16, 12, 0, tzinfo=dt.UTC)
    clock = ManualClock(before)
    Scheduler(kb.store, [digest_job(service(kb, clock))], ZONE, clock).tick()  # then it stops
    # Down over two Mondays (11-23 and 11-30); back on Tuesday 12-01 at 10:00.
    clock.now = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
    restarted = Scheduler(kb.store, [digest_job(service(kb, clock))], ZONE, clock)
    assert restarted.tick() == ["weekly-digest"]
    clock.advance(60)
    assert restarted.tick() == []
    ((key, _),) = posted(kb.store)
    assert key == "digest:CDIGEST:2026-W48"  # the latest week only; W47 is not posted
    content = json.loads(kb.store.db.execute("select content from outbox").fetchone()[0])
    assert "Later verstuurd dan gepland (2026-11-30 09:00)" in content["text"]


def test_a_long_week_of_lessons_stays_concise() -> None:
    lines = tuple(LessonLine(f"Les {i}", "x", "U1", f"les-{i}") for i in range(13))
    digest = Digest("2026-W48", dt.date(2026, 11, 23), dt.date(2026, 11, 29), "en", 180, lines)
    ((heading, shown),) = sections(digest, MARKDOWN)
    assert heading == "Lessons learned" and len(shown) == 11 and shown[-1] == "… and 3 more"
