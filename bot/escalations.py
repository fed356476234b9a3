"""Escalations: the route from any employee to the conversation manager, kept when it
matters most.

An escalation is raised (``/escalate``, *Ask the conversation manager* or *Escalate as
crisis* on an answer, the message shortcut) in one transaction with its timeline event and
the outbox rows of every message it causes: a DM to each conversation manager, a post in
the escalation channel, the reporter's confirmation. Its deadline (by severity, in working
time where configured) is watched by the job ``escalation-deadlines``: unacknowledged, it
re-notifies the managers, then the backup too, at most three times. Only the managers and
the backup may acknowledge or resolve; acknowledging or resolving edits every copy of the
notice (the outbox's update route) and tells the reporter. Block Kit is rendered at the
Slack edge: the service is handed a :class:`Messages`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlite_utils import Database

from bot import outbox
from bot.db import Store
from bot.errors import BotError, InvalidInput, NotFound
from bot.i18n import t
from bot.knowledge import Hit
from bot.knowledge.text import detect_language
from bot.lessons import save_draft
from bot.questions import QuestionService, StoredQuestion
from bot.working_hours import SEVERITIES, Deadline, Severity, WorkingHours

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
State = Literal["open", "acknowledged", "resolved"]
# Re-notifications of an unacknowledged escalation, at most; from the second on, the
# backup is notified too.
MAX_REMINDERS = 3
BACKUP_FROM = 2
TEXT_CHARS = 3_000
NOTE_CHARS = 3_000
# Who did it, in the timeline, when socialbot did.
SOCIALBOT = "socialbot"
# Words accepted for the severity in `/escalate <severity> <text>`, Dutch ones too.
SEVERITY_WORDS: dict[str, Severity] = {
    "crisis": "crisis",
    "high": "high",
    "hoog": "high",
    "urgent": "high",
    "dringend": "high",
    "normal": "normal",
    "normaal": "normal",
}
_REFERENCE = re.compile(r"(?:esc-?)?(\d{1,18})", re.IGNORECASE)


class NotAllowed(BotError):
    """Someone who is not a conversation manager or the backup tried to act on an
    escalation; the message is a polite refusal in the escalation's language."""


@dataclass(frozen=True)
class Escalation:
    """An escalation as stored; ``question`` and ``best_guess`` for one raised from an
    answer (the question asked, and the entry socialbot found for it)."""

    id: int
    key: str
    severity: Severity
    text: str
    reporter: str
    channel_id: str
    source_link: str | None
    question_id: int | None
    lang: str
    state: State
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    resolved_at: dt.datetime | None
    resolved_by: str | None
    resolution: str | None
    next_reminder_at: dt.datetime | None
    reminders_sent: int
    question: StoredQuestion | None = None
    best_guess: Hit | None = None

    @property
    def reference(self) -> str:
        """ESC-<id>: what people call it."""
        return f"ESC-{self.id}"


@dataclass(frozen=True)
class Event:
    """One thing that happened to an escalation: when, what, who, and a detail."""

    at: dt.datetime
    kind: str
    actor: str
    detail: str


@dataclass(frozen=True)
class Copy:
    """One message about an escalation in the outbox: to whom, and its delivery state."""

    key: str
    kind: str
    to: str
    state: str
    sent_at: str | None
    last_error: str | None


@dataclass(frozen=True)
class Detail:
    """An escalation with its timeline and the messages sent about it."""

    escalation: Escalation
    events: list[Event]
    copies: list[Copy]


@dataclass(frozen=True)
class Notice:
    """Which notice: the first (``reminder`` 0) or re-notification 1..3; ``backup`` when it
    goes to the backup."""

    reminder: int = 0
    backup: bool = False


@dataclass(frozen=True)
class Outcome:
    """The escalation after an acknowledgement or resolution; ``changed`` is False when it
    was so already (a double click, a second manager)."""

    escalation: Escalation
    changed: bool


class Messages(Protocol):
    """Renders the messages about an escalation as Slack content; implemented at the edge."""

    def notice(self, escalation: Escalation, notice: Notice) -> dict[str, Any]:
        """The notice to a manager, the backup or the channel, with its buttons as its
        state allows; also what every copy is updated to."""
        ...

    def confirmation(self, escalation: Escalation) -> dict[str, Any]:
        """The reporter's confirmation, with the reference."""
        ...

    def acknowledged(self, escalation: Escalation) -> dict[str, Any]:
        """The reporter's DM: acknowledged, by whom."""
        ...

    def resolved(self, escalation: Escalation) -> dict[str, Any]:
        """The reporter's DM: resolved, with the note."""
        ...


def may_act(user: str, managers: Sequence[str], backups: Sequence[str]) -> bool:
    """Whether ``user`` may acknowledge or resolve escalations."""
    return user in managers or user in backups


def parse_command(text: str) -> tuple[Severity, str]:
    """`/escalate [crisis|high|normal] <what is happening>`: the severity (normal when none
    is given) and the text."""
    first, _, rest = text.strip().partition(" ")
    severity = SEVERITY_WORDS.get(first.lower().strip(":,"))
    if severity is None:
        return "normal", text.strip()
    return severity, rest.strip()


def parse_reference(text: str) -> int:
    """``ESC-42``, ``esc42`` or ``42`` as an escalation id; raise InvalidInput."""
    matched = _REFERENCE.fullmatch(text.strip())
    if not matched:
        raise InvalidInput(f"{text!r} is no escalation reference; give e.g. ESC-42")
    return int(matched[1])


@dataclass(frozen=True)
class Routing:
    """Where escalations go and when they are due: the conversation managers, the backup,
    the escalation channel ('' for none), the deadline of each severity and the working
    hours its working-time units count in."""

    managers: tuple[str, ...]
    backups: tuple[str, ...]
    channel: str
    deadlines: Mapping[Severity, Deadline]
    work_time: WorkingHours

    def due(self, severity: Severity, after: dt.datetime) -> dt.datetime:
        """When an escalation of ``severity`` notified at ``after`` is due."""
        return self.work_time.after(after, self.deadlines[severity])


class EscalationService:
    """Raise, remind, acknowledge, resolve and look up escalations."""

    def __init__(
        self,
        store: Store,
        questions: QuestionService,
        routing: Routing,
        default_lang: str,
        clock: Clock,
    ) -> None:
        self.store = store
        self.questions = questions
        self.routing = routing
        self.default_lang = default_lang
        self.clock = clock

    # --- raising -------------------------------------------------------------------------

    def raise_escalation(
        self,
        key: str,
        severity: str,
        text: str,
        reporter: str,
        channel_id: str,
        messages: Messages,
        source_link: str | None = None,
        response_url: str | None = None,
        question_id: int | None = None,
        lang: str | None = None,
    ) -> tuple[Escalation, bool]:
        """Raise an escalation under ``key`` (the request that raises it: a retry or a
        double click gives the same one) and, in the same transaction, its timeline and
        every message it causes; the escalation and whether it is new. The reporter's
        confirmation goes to ``response_url`` when there is one (else by DM)."""
        text = text.strip()
        if severity not in SEVERITIES:
            raise InvalidInput(t("escalate_bad_severity", lang or self.default_lang))
        if not text:
            raise InvalidInput(t("escalate_usage", lang or self.default_lang))
        if not self.routing.managers and not self.routing.channel:
            raise BotError("no conversation manager is configured (CONVERSATION_MANAGER)")
        lang = lang or detect_language(text, self.default_lang)
        now = self.clock()
        with self.store.transaction() as db:
            existing = db.execute("select id from escalations where key = ?", [key]).fetchone()
            if existing is not None:
                return self._load(db, existing[0]), False
            cursor = db.execute(
                "insert into escalations (key, severity, text, reporter, channel_id, "
                "source_link, question_id, lang, state, raised_at, next_reminder_at, "
                "reminders_sent) values (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, 0)",
                [key, severity, text[:TEXT_CHARS], reporter, channel_id, source_link,
                 question_id, lang, _iso(now), _iso(self.routing.due(severity, now))],
            )  # fmt: skip
            assert cursor.lastrowid is not None
            escalation = self._load(db, cursor.lastrowid)
            self._notify_first(db, escalation, messages, response_url, now)
        log.info("%s raised (%s) by %s", escalation.reference, severity, reporter)
        return escalation, True

    def raise_for_question(
        self,
        question_id: int,
        user: str,
        severity: str,
        messages: Messages,
        source_link: str | None = None,
        response_url: str | None = None,
    ) -> tuple[Escalation, bool]:
        """Escalate an answered question (by its asker or by someone who saw the answer):
        once per question, user and severity however often it is clicked."""
        question = self.questions.get(question_id)
        return self.raise_escalation(
            key=f"question:{question_id}:{user}:{severity}",
            severity=severity,
            text=question.question,
            reporter=user,
            channel_id=question.channel_id,
            messages=messages,
            source_link=source_link,
            response_url=response_url,
            question_id=question_id,
            lang=question.lang,
        )

    def _notify_first(
        self,
        db: Database,
        escalation: Escalation,
        messages: Messages,
        response_url: str | None,
        now: dt.datetime,
    ) -> None:
        routing, ref = self.routing, escalation.reference
        self._event(db, escalation.id, "raised", escalation.reporter, escalation.severity, now)
        notice = messages.notice(escalation, Notice())
        for manager in routing.managers:
            self._enqueue(
                db,
                f"escalation:{escalation.id}:dm:{manager}",
                "escalation",
                manager,
                notice,
                escalation,
                f"{ref} to manager {manager}",
                now,
            )
        if routing.channel:
            self._enqueue(
                db,
                f"escalation:{escalation.id}:channel:{routing.channel}",
                "escalation",
                routing.channel,
                notice,
                escalation,
                f"{ref} in channel {routing.channel}",
                now,
            )
        confirmation = outbox.Message(
            kind="escalation_confirmation",
            route="response_url" if response_url else "post",
            channel=escalation.channel_id if response_url else escalation.reporter,
            content=messages.confirmation(escalation),
            lang=escalation.lang,
            about=f"{ref} confirmation to {escalation.reporter}",
            user_id=escalation.reporter,
            response_url=response_url,
        )
        outbox.enqueue(db, f"escalation-confirmation:{escalation.id}", confirmation, now)
        reminders = {
            str(n): {
                "managers": messages.notice(escalation, Notice(n)),
                "backup": messages.notice(escalation, Notice(n, backup=True)),
            }
            for n in range(1, MAX_REMINDERS + 1)
        }
        db.execute(
            "update escalations set reminders = ? where id = ?",
            [json.dumps(reminders, ensure_ascii=False), escalation.id],
        )
        who = [*routing.managers, *([f"#{routing.channel}"] if routing.channel else [])]
        self._event(db, escalation.id, "notified", SOCIALBOT, ", ".join(who), now)

    # --- deadlines -----------------------------------------------------------------------

    def due_reminders(self, now: dt.datetime | None = None) -> int:
        """Re-notify every open escalation whose deadline has passed (the job
        ``escalation-deadlines``): the managers, and from the second time the backup too;
        at most three times. How many were re-notified."""
        now = now or self.clock()
        due = self.store.db.execute(
            "select id from escalations where state = 'open' and next_reminder_at <= ? order by id",
            [_iso(now)],
        ).fetchall()
        count = 0
        for (escalation_id,) in due:
            with self.store.transaction() as db:
                count += self._remind(db, escalation_id, now)
        return count

    def _remind(self, db: Database, escalation_id: int, now: dt.datetime) -> int:
        row = db.execute(
            "select state, next_reminder_at, reminders_sent, reminders, severity "
            "from escalations where id = ?",
            [escalation_id],
        ).fetchone()
        state, due, sent, stored, severity = row
        if state != "open" or due is None or due > _iso(now):  # another process was first
            return 0
        number = sent + 1
        following = _iso(self.routing.due(severity, now)) if number < MAX_REMINDERS else None
        db.execute(
            "update escalations set reminders_sent = ?, next_reminder_at = ? where id = ?",
            [number, following, escalation_id],
        )
        contents = json.loads(stored)[str(number)]
        at = self.clock()  # when it happens (``now`` is when it is judged due)
        escalation = self._load(db, escalation_id)
        ref = escalation.reference
        for manager in self.routing.managers:
            self._enqueue(
                db,
                f"escalation:{escalation_id}:reminder{number}:dm:{manager}",
                "escalation",
                manager,
                contents["managers"],
                escalation,
                f"{ref} reminder {number} to manager {manager}",
                at,
            )
        detail = f"{number} of {MAX_REMINDERS}: " + ", ".join(self.routing.managers)
        self._event(db, escalation_id, "renotified", SOCIALBOT, detail, at)
        if number >= BACKUP_FROM and self.routing.backups:
            for backup in self.routing.backups:
                self._enqueue(
                    db,
                    f"escalation:{escalation_id}:reminder{number}:backup:{backup}",
                    "escalation",
                    backup,
                    contents["backup"],
                    escalation,
                    f"{ref} reminder {number} to backup {backup}",
                    at,
                )
            backups = ", ".join(self.routing.backups)
            self._event(db, escalation_id, "backup_notified", SOCIALBOT, backups, at)
        log.warning(
            "%s not acknowledged in time: re-notified (%d of %d)", ref, number, MAX_REMINDERS
        )
        return 1

    # --- acting on it --------------------------------------------------------------------

    def acknowledge(self, escalation_id: int, user: str, messages: Messages) -> Outcome:
        """``user`` (a manager or the backup) takes the escalation on: every copy of its
        notice is updated and the reporter hears so. Raise NotAllowed for anyone else."""
        escalation = self.get(escalation_id)
        self._check_may_act(escalation, user, "acknowledge")
        now = self.clock()
        with self.store.transaction() as db:
            changed = db.execute(
                "update escalations set state = 'acknowledged', acknowledged_at = ?, "
                "acknowledged_by = ?, next_reminder_at = null where id = ? and state = 'open'",
                [_iso(now), user, escalation_id],
            ).rowcount
            escalation = self._load(db, escalation_id)
            if not changed:
                return Outcome(escalation, False)
            self._event(db, escalation_id, "acknowledged", user, "", now)
            self._after_change(db, escalation, "acknowledged", messages.acknowledged, messages, now)
        log.info("%s acknowledged by %s", escalation.reference, user)
        return Outcome(escalation, True)

    def resolve(
        self,
        escalation_id: int,
        user: str,
        note: str,
        messages: Messages,
        save_lesson: bool = False,
        lesson_title: str = "",
    ) -> Outcome:
        """``user`` (a manager or the backup) resolves the escalation with ``note``; with
        ``save_lesson`` the note becomes a draft knowledge-base entry. Every copy of the
        notice is updated and the reporter hears so. Raise NotAllowed for anyone else and
        InvalidInput for an empty note."""
        escalation = self.get(escalation_id)
        self._check_may_act(escalation, user, "resolve")
        note = note.strip()[:NOTE_CHARS]
        if not note:
            raise InvalidInput(t("resolve_note_empty", escalation.lang))
        now = self.clock()
        with self.store.transaction() as db:
            changed = db.execute(
                "update escalations set state = 'resolved', resolved_at = ?, resolved_by = ?, "
                "resolution = ?, next_reminder_at = null where id = ? and state != 'resolved'",
                [_iso(now), user, note, escalation_id],
            ).rowcount
            escalation = self._load(db, escalation_id)
            if not changed:
                return Outcome(escalation, False)
            self._event(db, escalation_id, "resolved", user, note, now)
            if save_lesson:
                title = lesson_title.strip() or escalation.text
                source = f"escalation:{escalation.reference}"
                draft = save_draft(db, title, note, escalation.lang, source, user, now)
                self._event(db, escalation_id, "lesson_saved", user, f"draft {draft}", now)
            self._after_change(db, escalation, "resolved", messages.resolved, messages, now)
        log.info("%s resolved by %s", escalation.reference, user)
        return Outcome(escalation, True)

    def check_may_act(self, escalation_id: int, user: str, action: str) -> Escalation:
        """The escalation, when ``user`` may act on it; raise NotAllowed or NotFound."""
        escalation = self.get(escalation_id)
        self._check_may_act(escalation, user, action)
        return escalation

    def _check_may_act(self, escalation: Escalation, user: str, action: str) -> None:
        if may_act(user, self.routing.managers, self.routing.backups):
            return
        log.info("%s: %s by %s refused", escalation.reference, action, user)
        who = ", ".join(f"<@{u}>" for u in (*self.routing.managers, *self.routing.backups))
        raise NotAllowed(
            t("escalation_not_allowed", escalation.lang, reference=escalation.reference, who=who)
        )

    def _after_change(
        self,
        db: Database,
        escalation: Escalation,
        what: str,
        reporter_message: Callable[[Escalation], dict[str, Any]],
        messages: Messages,
        now: dt.datetime,
    ) -> None:
        """Update every copy of the notice to ``escalation``'s state and tell the reporter."""
        edit = outbox.Message(
            kind="escalation_update",
            route="update",
            channel="",
            content=messages.notice(escalation, Notice()),
            lang=escalation.lang,
            about=f"{escalation.reference} {what}",
        )
        # every notice about it, first notices and reminders
        outbox.enqueue_edits(db, "escalation", f"escalation:{escalation.id}:", edit, what, now)
        self._enqueue(
            db,
            f"escalation-{what}:{escalation.id}",
            f"escalation_{what}",
            escalation.reporter,
            reporter_message(escalation),
            escalation,
            f"{escalation.reference} {what}: to reporter {escalation.reporter}",
            now,
        )

    # --- when nobody could be reached ----------------------------------------------------

    def tell_when_nobody_was_reached(self, failed: outbox.Row) -> None:
        """Once every first notice of an escalation (the managers' DMs, the channel post)
        has failed for good, tell the reporter (once, by DM) whom to contact; the
        escalation stays stored, and its reminders are still tried."""
        if failed.kind != "escalation" or not failed.key.startswith("escalation:"):
            return
        escalation_id = int(failed.key.split(":")[1])
        prefix = f"escalation:{escalation_id}:"
        with self.store.transaction() as db:
            rows = db.execute(
                "select key, state from outbox where substr(key, 1, ?) = ? and kind = "
                "'escalation' and key not like '%:reminder%'",
                [len(prefix), prefix],
            ).fetchall()
            if not rows or any(state != "failed" for _, state in rows):
                return
            escalation = self._load(db, escalation_id)
            managers = ", ".join(f"<@{m}>" for m in self.routing.managers)
            text = t("manager_unreachable", escalation.lang, managers=managers)
            message = outbox.Message(
                kind="notice",
                route="post",
                channel=escalation.reporter,
                content={"text": text},
                lang=escalation.lang,
                about=f"nobody reached about {escalation.reference}",
                user_id=escalation.reporter,
            )
            outbox.enqueue(db, f"escalation-unreachable:{escalation_id}", message, self.clock())

    # --- looking it up -------------------------------------------------------------------

    def get(self, escalation_id: int) -> Escalation:
        """The escalation; raise NotFound."""
        return self._load(self.store.db, escalation_id)

    def list(self, open_only: bool = False, limit: int = 100) -> list[Escalation]:
        """Escalations, newest first; ``open_only``: those not resolved."""
        where = "where state != 'resolved'" if open_only else ""
        rows = self.store.db.execute(
            f"select {_COLUMNS} from escalations {where} order by id desc limit ?", [limit]
        ).fetchall()
        return [_escalation(row) for row in rows]

    def detail(self, escalation_id: int) -> Detail:
        """The escalation, its timeline (oldest first) and the messages about it."""
        escalation = self.get(escalation_id)
        db = self.store.db
        events = [
            Event(dt.datetime.fromisoformat(at), kind, actor, detail or "")
            for at, kind, actor, detail in db.execute(
                "select at, kind, actor, detail from escalation_events where escalation_id = ? "
                "order by id",
                [escalation_id],
            ).fetchall()
        ]
        copies = [
            Copy(*row)
            for row in db.execute(
                "select key, kind, channel, state, sent_at, last_error from outbox where "
                "key like ? or key like ? order by id",
                [f"escalation:{escalation_id}:%", f"escalation-%:{escalation_id}"],
            ).fetchall()
        ]
        return Detail(escalation, events, copies)

    def _load(self, db: Database, escalation_id: int) -> Escalation:
        row = db.execute(
            f"select {_COLUMNS} from escalations where id = ?", [escalation_id]
        ).fetchone()
        if row is None:
            raise NotFound(f"no escalation ESC-{escalation_id}")
        escalation = _escalation(row)
        if escalation.question_id is None:
            return escalation
        try:
            asked = self.questions.stored_answer(escalation.question_id)
            question = self.questions.get(escalation.question_id)
        except NotFound:
            return escalation
        return _with_question(escalation, question, asked.answer.best)

    def _enqueue(
        self,
        db: Database,
        key: str,
        kind: str,
        to: str,
        content: dict[str, Any],
        escalation: Escalation,
        about: str,
        now: dt.datetime,
    ) -> None:
        message = outbox.Message(
            kind=kind,
            route="post",
            channel=to,
            content=content,
            lang=escalation.lang,
            about=about,
            user_id=escalation.reporter,
        )
        outbox.enqueue(db, key, message, now)

    @staticmethod
    def _event(
        db: Database, escalation_id: int, kind: str, actor: str, detail: str, now: dt.datetime
    ) -> None:
        db.execute(
            "insert into escalation_events (escalation_id, at, kind, actor, detail) "
            "values (?, ?, ?, ?, ?)",
            [escalation_id, _iso(now), kind, actor, detail],
        )


def _with_question(
    escalation: Escalation, question: StoredQuestion, best: Hit | None
) -> Escalation:
    return dataclasses.replace(escalation, question=question, best_guess=best)


_COLUMNS = (
    "id, key, severity, text, reporter, channel_id, source_link, question_id, lang, state, "
    "raised_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by, resolution, "
    "next_reminder_at, reminders_sent"
)


def _escalation(row: tuple[Any, ...]) -> Escalation:
    (escalation_id, key, severity, text, reporter, channel_id, source_link, question_id, lang,
     state, raised_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by, resolution,
     next_reminder_at, reminders_sent) = row  # fmt: skip
    return Escalation(
        id=escalation_id,
        key=key,
        severity=severity,
        text=text,
        reporter=reporter,
        channel_id=channel_id or "",
        source_link=source_link,
        question_id=question_id,
        lang=lang or "en",
        state=state,
        raised_at=dt.datetime.fromisoformat(raised_at),
        acknowledged_at=_time(acknowledged_at),
        acknowledged_by=acknowledged_by,
        resolved_at=_time(resolved_at),
        resolved_by=resolved_by,
        resolution=resolution,
        next_reminder_at=_time(next_reminder_at),
        reminders_sent=reminders_sent or 0,
    )


def _time(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


def _iso(moment: dt.datetime) -> str:
    """A stored time: UTC, always with microseconds, so that the strings sort as times."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")
