"""Lessons learned, on their way into the knowledge base. For now: drafts, e.g. saved from
the resolution of an escalation ("Save as lesson"); their review and approval come later."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlite_utils import Database

from bot.db import Store
from bot.errors import InvalidInput

TITLE_CHARS = 200


@dataclass(frozen=True)
class LessonDraft:
    """A draft knowledge-base entry: where it came from (``source``, e.g.
    ``escalation:ESC-42``), who submitted it, and its state ('draft')."""

    id: int
    title: str
    body: str
    lang: str
    source: str
    submitted_by: str
    created_at: str
    state: str


def save_draft(
    db: Database,
    title: str,
    body: str,
    lang: str,
    source: str,
    submitted_by: str,
    now: dt.datetime,
) -> int:
    """Store a draft inside the caller's transaction; its id. One draft per ``source``: saved
    again, the first is kept. Raise InvalidInput for an empty title or body."""
    title, body = " ".join(title.split())[:TITLE_CHARS], body.strip()
    if not title or not body:
        raise InvalidInput("a lesson needs a title and a text")
    db.execute(
        "insert or ignore into lesson_drafts (title, body, lang, source, submitted_by, "
        "created_at, state) values (?, ?, ?, ?, ?, ?, 'draft')",
        [title, body, lang, source, submitted_by, now.astimezone(dt.UTC).isoformat()],
    )
    (draft_id,) = db.execute("select id from lesson_drafts where source = ?", [source]).fetchone()
    return int(draft_id)


def drafts(store: Store) -> list[LessonDraft]:
    """Every draft, newest first."""
    rows = store.db.execute(
        "select id, title, body, lang, source, submitted_by, created_at, state "
        "from lesson_drafts order by id desc"
    ).fetchall()
    return [LessonDraft(*row) for row in rows]
