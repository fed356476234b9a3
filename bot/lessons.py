"""Lessons learned, on their way into the knowledge base.

A lesson starts as a draft (``lesson_drafts``): written with ``/lesson``, saved from a
resolved escalation ("Save as lesson") or from a closed pilot's lessons. Each draft is
offered once to the conversation manager(s) by DM through the outbox, whatever wrote it
(the ``lesson-offers`` job picks up drafts written elsewhere). The manager approves it (it
becomes a knowledge-base entry at once, owned by its submitter, updated today), edits it,
or rejects it with a reason (the submitter hears why). Entries whose ``updated`` date is
older than ``KB_STALE_DAYS`` are stale: the ``kb-stale`` job asks their owner (or the
conversation manager) weekly whether they are still correct. Block Kit is rendered at the
Slack edge: the service is handed :class:`LessonMessages`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlite_utils import Database

from bot.config import LANGUAGES, USER_ID
from bot.db import Store
from bot.errors import InvalidInput, NotFound
from bot.i18n import t
from bot.knowledge import Entry, KnowledgeBase
from bot.outbox import Message, enqueue, enqueue_edits
from bot.teaching import NewEntry, Teaching

Clock = Callable[[], dt.datetime]

TITLE_CHARS = 200
TEXT_CHARS = 3_000
MAX_TAGS = 10
# Stale entries listed in one reminder (a DM holds at most 50 blocks).
STALE_PER_DM = 20
_COLUMNS = (
    "id, title, body, lang, source, submitted_by, created_at, state, happened, tags, "
    "pilot_id, reviewed_by, reviewed_at, reason, entry_id"
)


@dataclass(frozen=True)
class LessonDraft:
    """A draft knowledge-base entry: where it came from (``source``, e.g.
    ``escalation:ESC-42``, ``slack:V123``), who submitted it, and its review: ``state``
    'draft', 'approved' (``entry_id`` is the entry it became) or 'rejected' (``reason``)."""

    id: int
    title: str
    body: str
    lang: str
    source: str
    submitted_by: str
    created_at: str
    state: str
    happened: str = ""
    tags: tuple[str, ...] = ()
    pilot_id: int | None = None
    reviewed_by: str = ""
    reviewed_at: str = ""
    reason: str = ""
    entry_id: str = ""

    @property
    def summary(self) -> str:
        """The first line of what was learned, at most 140 characters."""
        first = next((line.strip() for line in self.body.splitlines() if line.strip()), "")
        return first if len(first) <= 140 else first[:139].rstrip() + "…"


@dataclass(frozen=True)
class LessonForm:
    """A lesson as written in the /lesson modal (or its Edit)."""

    title: str
    learned: str
    lang: str
    happened: str = ""
    tags: tuple[str, ...] = ()
    pilot_id: int | None = None


class LessonErrors(InvalidInput):
    """What is wrong with a lesson, by field (``title``, ``learned``, ``happened``,
    ``lang``, ``tags``): the key of its message in bot/i18n.py and its values."""

    def __init__(self, errors: dict[str, tuple[str, dict[str, Any]]]) -> None:
        super().__init__(
            "; ".join(f"{field}: {t(key, 'en', **vals)}" for field, (key, vals) in errors.items())
        )
        self.errors = errors


class LessonMessages(Protocol):
    """Renders the messages about lessons as Slack content; implemented at the edge."""

    def review(self, draft: LessonDraft) -> dict[str, Any]:
        """The manager's DM: the draft with Approve / Edit / Reject buttons."""
        ...

    def approved(self, draft: LessonDraft) -> dict[str, Any]:
        """The submitter's DM: the lesson is in the knowledge base."""
        ...

    def rejected(self, draft: LessonDraft) -> dict[str, Any]:
        """The submitter's DM: the lesson was rejected, and why."""
        ...

    def reviewed(self, draft: LessonDraft) -> dict[str, Any]:
        """A manager's review DM once the draft was reviewed: the draft and who approved or
        rejected it, without the buttons."""
        ...

    def stale(self, entries: Sequence[Entry], lang: str, days: int) -> dict[str, Any]:
        """The weekly DM listing stale entries, each with a "Still correct" button."""
        ...


class TextMessages:
    """:class:`LessonMessages` as plain text, for a process without the Slack edge."""

    def review(self, draft: LessonDraft) -> dict[str, Any]:
        return {"text": t("lesson_review_text", draft.lang, title=draft.title, id=draft.id)}

    def approved(self, draft: LessonDraft) -> dict[str, Any]:
        return {"text": t("lesson_approved_dm", draft.lang, title=draft.title)}

    def rejected(self, draft: LessonDraft) -> dict[str, Any]:
        return {"text": t("lesson_rejected_dm", draft.lang, title=draft.title, reason=draft.reason)}

    def reviewed(self, draft: LessonDraft) -> dict[str, Any]:
        return {"text": review_outcome(draft)}

    def stale(self, entries: Sequence[Entry], lang: str, days: int) -> dict[str, Any]:
        titles = ", ".join(e.title for e in entries)
        return {"text": t("stale_dm_intro", lang, count=len(entries), days=days) + " " + titles}


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
    rows = store.db.execute(f"select {_COLUMNS} from lesson_drafts order by id desc").fetchall()
    return [_draft(row) for row in rows]


def iso_week(day: dt.date) -> str:
    """The ISO week of ``day``, e.g. 2026-W48."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


class Lessons:
    """Lessons learned: submit, offer for review, approve, edit, reject; stale entries."""

    def __init__(
        self,
        store: Store,
        kb: KnowledgeBase,
        teaching: Teaching,
        managers: Sequence[str],
        clock: Clock,
        messages: LessonMessages,
        stale_days: int = 180,
        zone: dt.tzinfo = dt.UTC,
    ) -> None:
        self.store = store
        self.kb = kb
        self.teaching = teaching
        self.managers = tuple(managers)
        self.clock = clock
        self.messages = messages
        self.stale_days = stale_days
        self.zone = zone

    def submit(self, form: LessonForm, by: str, key: str) -> LessonDraft:
        """Store the lesson ``by`` wrote as a draft (once per ``key``, e.g. the modal's view
        id) and offer it to the conversation manager(s), in one transaction. Raise
        LessonErrors naming each field that is wrong."""
        form = self._check(form)
        now = self.clock()
        with self.store.transaction() as db:
            draft_id = save_draft(db, form.title, form.learned, form.lang, f"slack:{key}", by, now)
            db.execute(
                "update lesson_drafts set happened = ?, tags = ?, pilot_id = ? "
                "where id = ? and offered_at is null",
                [form.happened, ",".join(form.tags), form.pilot_id, draft_id],
            )
            self._offer(db, self.get(draft_id), now)
        return self.get(draft_id)

    def offer_pending(self) -> int:
        """Offer every draft not yet offered (from any source) to the manager(s); how many."""
        query = (
            f"select {_COLUMNS} from lesson_drafts where state = 'draft' and "
            "offered_at is null order by id"
        )
        if not self.store.db.execute(query).fetchone():
            return 0  # the common case, every minute: no write lock taken
        now = self.clock()
        with self.store.transaction() as db:
            rows = db.execute(query).fetchall()
            for row in rows:
                self._offer(db, _draft(row), now)
        return len(rows)

    def get(self, draft_id: int) -> LessonDraft:
        """The draft ``draft_id``; raise NotFound."""
        row = self.store.db.execute(
            f"select {_COLUMNS} from lesson_drafts where id = ?", [draft_id]
        ).fetchone()
        if row is None:
            raise NotFound(f"no lesson {draft_id}")
        return _draft(row)

    def pending(self) -> list[LessonDraft]:
        """The drafts waiting for review, oldest first."""
        rows = self.store.db.execute(
            f"select {_COLUMNS} from lesson_drafts where state = 'draft' order by id"
        ).fetchall()
        return [_draft(row) for row in rows]

    def pilot_choices(self) -> list[tuple[int, str]] | None:
        """Active pilots (id, name) for the modal's picker; None when there are none: the
        modal leaves the field out."""
        rows = self.store.db.execute(
            "select id, name from pilots where state = 'active' order by name_key limit 99"
        ).fetchall()
        return [(int(pilot_id), str(name)) for pilot_id, name in rows] or None

    def approve(self, draft_id: int, by: str) -> tuple[LessonDraft, Entry]:
        """Make draft ``draft_id`` a knowledge-base entry at once (owner: its submitter,
        updated today) and tell the submitter, in one transaction. Raise NotFound for a
        stranger or a draft reviewed already, NewEntryErrors when it cannot be an entry (a
        title another entry has)."""
        self._require_manager(by)
        draft = self._open_draft(draft_id)
        owner = draft.submitted_by if USER_ID.match(draft.submitted_by or "") else by
        body = draft.body
        if draft.happened:
            body += "\n\n" + t("lesson_happened_label", draft.lang) + " " + draft.happened
        new = NewEntry(draft.title, body, draft.lang, draft.tags)
        now = self.clock()
        with self.store.transaction() as db:
            taught = self.teaching.create_entry(new, owner, _no_render)
            entry = replace(taught.entry, updated=self._today())
            if entry != taught.entry:
                self.kb.import_entries([entry])
            db.execute(
                "update lesson_drafts set state = 'approved', reviewed_by = ?, reviewed_at = ?, "
                "entry_id = ? where id = ?",
                [by, _iso(now), entry.id, draft_id],
            )
            done = self.get(draft_id)
            self._tell_submitter(db, done, "approved", self.messages.approved(done), now)
            self._close_reviews(db, done, now)
        return done, entry

    def edit(self, draft_id: int, form: LessonForm, by: str) -> LessonDraft:
        """Change draft ``draft_id`` as the manager rewrote it; raise LessonErrors."""
        self._require_manager(by)
        self._open_draft(draft_id)
        form = self._check(form)
        with self.store.transaction() as db:
            db.execute(
                "update lesson_drafts set title = ?, body = ?, lang = ?, happened = ?, tags = ?, "
                "pilot_id = ? where id = ? and state = 'draft'",
                [
                    form.title,
                    form.learned,
                    form.lang,
                    form.happened,
                    ",".join(form.tags),
                    form.pilot_id,
                    draft_id,
                ],
            )
        return self.get(draft_id)

    def reject(self, draft_id: int, reason: str, by: str) -> LessonDraft:
        """Reject draft ``draft_id`` with ``reason``; its submitter hears why (a DM through
        the outbox, in the same transaction). Raise InvalidInput for an empty reason."""
        self._require_manager(by)
        self._open_draft(draft_id)
        reason = reason.strip()
        if not reason:
            raise InvalidInput("give a reason")
        now = self.clock()
        with self.store.transaction() as db:
            db.execute(
                "update lesson_drafts set state = 'rejected', reviewed_by = ?, reviewed_at = ?, "
                "reason = ? where id = ? and state = 'draft'",
                [by, _iso(now), reason[:TEXT_CHARS], draft_id],
            )
            done = self.get(draft_id)
            self._tell_submitter(db, done, "rejected", self.messages.rejected(done), now)
            self._close_reviews(db, done, now)
        return done

    def stale(self, owner: str | None = None) -> list[Entry]:
        """Entries whose ``updated`` date is older than ``stale_days`` days (or missing),
        oldest first; only ``owner``'s when given."""
        limit = (self._today_date() - dt.timedelta(days=self.stale_days)).isoformat()
        found = [e for e in self.kb.entries() if (e.updated or "") < limit]
        if owner is not None:
            found = [e for e in found if e.owner == owner]
        return sorted(found, key=lambda e: (e.updated or "", e.id))

    def remind_stale(self, lang: str) -> int:
        """DM each owner their stale entries (entries without a Slack owner go to the
        conversation manager(s)), once per person per ISO week: the outbox key names them
        and the week. How many DMs were enqueued."""
        now = self.clock()
        week = iso_week(self._today_date())
        by_person: dict[str, list[Entry]] = {}
        for entry in self.stale():
            people = [entry.owner] if USER_ID.match(entry.owner or "") else self.managers
            for person in people:
                by_person.setdefault(person, []).append(entry)
        sent = 0
        with self.store.transaction() as db:
            for person, entries in by_person.items():
                message = Message(
                    kind="kb_stale",
                    route="post",
                    channel=person,
                    user_id=person,
                    content=self.messages.stale(entries[:STALE_PER_DM], lang, self.stale_days),
                    lang=lang,
                    about=f"stale entries of {person} ({len(entries)})",
                )
                sent += enqueue(db, f"kb-stale:{person}:{week}", message, now)
        return sent

    def still_correct(self, entry_id: str, by: str) -> Entry:
        """Mark entry ``entry_id`` as checked today (its ``updated`` date); only its owner
        or a conversation manager may. Raise NotFound otherwise."""
        entry = self.kb.get(entry_id)
        if by != entry.owner and by not in self.managers:
            raise NotFound(f"{by} is neither the owner of {entry_id} nor a conversation manager")
        checked = replace(entry, updated=self._today())
        if checked != entry:
            self.kb.import_entries([checked])
        return checked

    def toggle_subscription(self, user: str, lang: str) -> bool:
        """Subscribe ``user`` to the weekly digest by DM, or unsubscribe; True when now
        subscribed."""
        with self.store.transaction() as db:
            gone = db.execute("delete from digest_subscriptions where user_id = ?", [user])
            if gone.rowcount:
                return False
            db.execute(
                "insert into digest_subscriptions (user_id, lang, subscribed_at) values (?, ?, ?)",
                [user, lang, _iso(self.clock())],
            )
        return True

    def subscribed(self, user: str) -> bool:
        """Whether ``user`` gets the digest by DM."""
        row = self.store.db.execute(
            "select 1 from digest_subscriptions where user_id = ?", [user]
        ).fetchone()
        return row is not None

    def _offer(self, db: Database, draft: LessonDraft, now: dt.datetime) -> None:
        content = self.messages.review(draft)
        for manager in self.managers:
            message = Message(
                kind="lesson_review",
                route="post",
                channel=manager,
                user_id=manager,
                content=content,
                lang=draft.lang,
                about=f"lesson {draft.id} for review",
            )
            enqueue(db, f"lesson-review:{draft.id}:{manager}", message, now)
        db.execute("update lesson_drafts set offered_at = ? where id = ?", [_iso(now), draft.id])

    def _close_reviews(self, db: Database, draft: LessonDraft, now: dt.datetime) -> None:
        """Edit every manager's review DM of ``draft`` to say how it was reviewed and by
        whom, without its buttons, so that no other manager reviews it again."""
        edit = Message(
            kind="lesson_reviewed",
            route="update",
            channel="",
            content=self.messages.reviewed(draft),
            lang=draft.lang,
            about=f"lesson {draft.id} {draft.state}",
        )
        prefix = f"lesson-review:{draft.id}:"
        enqueue_edits(db, "lesson_review", prefix, edit, draft.state, now)

    def _tell_submitter(
        self, db: Database, draft: LessonDraft, what: str, content: dict[str, Any], now: dt.datetime
    ) -> None:
        if not USER_ID.match(draft.submitted_by or ""):
            return
        message = Message(
            kind=f"lesson_{what}",
            route="post",
            channel=draft.submitted_by,
            user_id=draft.submitted_by,
            content=content,
            lang=draft.lang,
            about=f"lesson {draft.id} {what}",
        )
        enqueue(db, f"lesson-{what}:{draft.id}", message, now)

    def _check(self, form: LessonForm) -> LessonForm:
        errors: dict[str, tuple[str, dict[str, Any]]] = {}
        title = " ".join(form.title.split())
        learned, happened = form.learned.strip(), form.happened.strip()
        tags = tuple(dict.fromkeys(tag.strip().lower() for tag in form.tags if tag.strip()))
        if not title:
            errors["title"] = ("entry_required", {})
        elif len(title) > TITLE_CHARS:
            errors["title"] = ("entry_too_long", {"limit": TITLE_CHARS})
        if not learned:
            errors["learned"] = ("entry_required", {})
        elif len(learned) > TEXT_CHARS:
            errors["learned"] = ("entry_too_long", {"limit": TEXT_CHARS})
        if len(happened) > TEXT_CHARS:
            errors["happened"] = ("entry_too_long", {"limit": TEXT_CHARS})
        if form.lang not in LANGUAGES:
            errors["lang"] = ("entry_lang", {"languages": ", ".join(LANGUAGES)})
        if len(tags) > MAX_TAGS:
            errors["tags"] = ("entry_too_many_tags", {"limit": MAX_TAGS})
        if errors:
            raise LessonErrors(errors)
        return replace(form, title=title, learned=learned, happened=happened, tags=tags)

    def _open_draft(self, draft_id: int) -> LessonDraft:
        draft = self.get(draft_id)
        if draft.state != "draft":
            raise NotFound(f"lesson {draft_id} was {draft.state} already")
        return draft

    def _require_manager(self, user: str) -> None:
        if user not in self.managers:
            raise NotFound(f"{user} is no conversation manager")

    def _today_date(self) -> dt.date:
        return self.clock().astimezone(self.zone).date()

    def _today(self) -> str:
        return self._today_date().isoformat()


def review_outcome(draft: LessonDraft) -> str:
    """Who approved (and as which entry) or rejected (and why) ``draft``, in its language."""
    who = f"<@{draft.reviewed_by}>" if draft.reviewed_by else "?"
    if draft.state == "approved":
        return t("lesson_approved_by", draft.lang, who=who, entry=draft.entry_id)
    return t("lesson_rejected_by", draft.lang, who=who, reason=draft.reason)


def _no_render(notice: object) -> dict[str, Any]:
    return {}  # a new lesson teaches no stored questions: nobody is told


def _draft(row: tuple[Any, ...]) -> LessonDraft:
    values = list(row)
    values[8] = values[8] or ""
    values[9] = tuple(tag for tag in (values[9] or "").split(",") if tag)
    values[11:15] = [v or "" for v in values[11:15]]
    return LessonDraft(*values)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()
