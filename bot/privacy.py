"""What socialbot stores about people, and how it is exported, forgotten and expired.

:data:`PERSONAL_DATA` names, per table, the columns that hold a Slack user id or text that
may name one, what the table is for and by which date it expires; :data:`NO_PERSONAL_DATA`
names the tables that hold none, and why. Every table is in one of the two: a test fails
for a table in neither, and for a column whose name looks like a person's (``user_id``,
``*_by``, ``owner``, ``reporter``, ...) that its entry does not place. So a new table is
covered by ``socialbot privacy export`` and ``forget`` and by the retention job as soon
as it is registered here, and cannot be added without it.

Forgetting deletes a person's rows (and the rows that refer to them through a foreign
key), replaces the id where other rows mention it, then rewrites the database file so
that no deleted byte survives: SQLite's ``secure_delete`` zeroes freed content, the
full-text indexes are merged, the write-ahead log is checkpointed and emptied and
``VACUUM`` drops the free pages.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlite_utils import Database

from bot.db import Store

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]

# What a forgotten id is replaced with where another row's text mentions it.
FORGOTTEN = "[forgotten]"


@dataclass(frozen=True)
class PersonalData:
    """A table that holds personal data.

    ``people``: columns that each hold one Slack user id; a row whose such column is the
    person's id is theirs. ``mentions``: text columns (keys, message content, free text)
    that may name an id anywhere. ``dated_by``: the ISO time column the retention job goes
    by (None: kept as long as it is in use, ``why`` says why). ``forget``: ``delete`` the
    person's rows, or ``clear`` their id from them (the row stays: e.g. a curated entry
    whose owner is forgotten). ``not_people``: columns whose names look like a person's but
    hold none (e.g. a worker's lease holder).
    """

    table: str
    why: str
    people: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    dated_by: str | None = None
    forget: Literal["delete", "clear"] = "delete"
    not_people: tuple[str, ...] = ()


PERSONAL_DATA: tuple[PersonalData, ...] = (
    PersonalData(
        "questions",
        "every question asked, by whom and where, with socialbot's answer and score: the "
        "asker's App Home history, the conversation manager's weekly figures and unanswered "
        "questions, the manager's DM",
        people=("user_id",),
        mentions=("question",),
        dated_by="asked_at",
    ),
    PersonalData(
        "feedback",
        "who found an answer helpful or not: the weekly figures, and improving the answers",
        people=("user_id",),
        dated_by="given_at",
    ),
    PersonalData(
        "manager_requests",
        "who asked the conversation manager about a question: one DM per person",
        people=("user_id",),
        dated_by="requested_at",
    ),
    PersonalData(
        "intake",
        "questions accepted from Slack and waiting for a worker; done ones are purged after a day",
        people=("user_id",),
        mentions=("key", "text", "channel_id", "response_url", "error"),
        dated_by="received_at",
        not_people=("taken_by",),
    ),
    PersonalData(
        "outbox",
        "messages owed to people (answers, DMs) until Slack has them; delivered ones are "
        "purged after 30 days",
        people=("user_id", "channel"),
        mentions=("key", "content", "about", "sent_channel", "response_url", "last_error"),
        dated_by="created_at",
        not_people=("leased_by",),
    ),
    PersonalData(
        "outbox_pace",
        "when the next message to a channel or person may be sent (Slack's pace); dropped "
        "an hour later by the outbox-sweep job",
        people=("channel",),
    ),
    PersonalData(
        "handled_events",
        "ids of Slack events and clicks already handled, so a retry is not handled twice; "
        "kept a day",
        mentions=("key",),
        dated_by="handled_at",
    ),
    PersonalData(
        "entries",
        "the knowledge base: an entry may name its owner (who keeps it right); kept while "
        "the entry is, forgetting clears the owner",
        people=("owner",),
        forget="clear",
    ),
    PersonalData(
        "escalations",
        "escalations to the conversation manager: who raised, acknowledged and resolved "
        "them, what was happening, the resolution; the route and its deadlines",
        people=("reporter", "acknowledged_by", "resolved_by"),
        mentions=("key", "text", "resolution", "source_link", "reminders", "channel_id"),
        dated_by="raised_at",
    ),
    PersonalData(
        "escalation_events",
        "the timeline of each escalation: who did what, when",
        people=("actor",),
        mentions=("detail",),
        dated_by="at",
    ),
    PersonalData(
        "lesson_drafts",
        "lessons learned written with /lesson, saved from a resolved escalation or a closed "
        "pilot: who submitted them, who reviewed them and why one was rejected (an approved "
        "lesson lives on as a knowledge-base entry owned by its submitter)",
        people=("submitted_by",),
        # the reviewer is replaced, not their reviews deleted: the lessons are the submitters'
        mentions=("title", "body", "source", "happened", "reason", "reviewed_by"),
        dated_by="created_at",
    ),
    PersonalData(
        "pilots",
        "pilot projects: who owns, created and closed them, with their goal, blocker and "
        "lessons; kept as the team's record of the pilot, forgetting clears the people",
        people=("owner", "created_by", "closed_by"),
        mentions=("key", "name", "team", "goal", "blocker", "lessons", "kpis"),
        forget="clear",
    ),
    PersonalData(
        "pilot_members",
        "who may update a pilot besides its owner",
        people=("user_id",),
    ),
    PersonalData(
        "pilot_updates",
        "each pilot's history of updates: who posted it, who must act on a blocker, what "
        "happened; kept with the pilot, forgetting clears the people",
        people=("by_user", "blocker_user"),
        mentions=("key", "text", "blocker"),
        forget="clear",
    ),
    PersonalData(
        "digest_subscriptions",
        "who asked for the weekly digest by DM (App Home); kept until they stop it",
        people=("user_id",),
    ),
    PersonalData(
        "taught_phrasings",
        "the phrasings the conversation manager taught an entry, and who taught them: kept "
        "while the entry is (an import with --replace keeps them); forgetting clears who",
        people=("taught_by",),
        mentions=("question",),
        forget="clear",
    ),
    PersonalData(
        "taught_questions",
        "which stored questions were taught to which entry, by whom: they leave the to-teach "
        "list and their askers are told once",
        people=("taught_by",),
        dated_by="taught_at",
    ),
)

NO_PERSONAL_DATA: dict[str, str] = {
    "entry_search": "the normalised search text of the entries",
    "entry_search_fts": "the full-text index of entry_search",
    "entry_vectors": "sentence vectors of the entries",
    "meta": "settings of the database, leases of processes",
    "scheduled_jobs": "when each periodic job ran, and its outcome",
    "weekly_question_stats": "counts per week (asked, answered, helpful...), without ids",
    "_sqlite_migrations": "the schema migrations applied",
}

# Column names that look like they hold a person: the registry must place each of them.
PERSON_LIKE = re.compile(
    r"(^|_)(user|users|owner|reporter|asker|requester|author|member|manager|assignee|"
    r"approver|reviewer|sender|recipient|actor|person|people|by)(_|$|s$|_id$)|_by$",
    re.IGNORECASE,
)


def registered(table: str) -> PersonalData | None:
    """The registry's entry for ``table``, if it holds personal data."""
    return next((spec for spec in PERSONAL_DATA if spec.table == table), None)


@dataclass
class Forgotten:
    """What forgetting a person changed: rows deleted, rows whose id was cleared and rows
    whose text mentioned them, per table; whether the file could be rewritten clean."""

    deleted: dict[str, int] = field(default_factory=dict)
    cleared: dict[str, int] = field(default_factory=dict)
    redacted: dict[str, int] = field(default_factory=dict)
    file_clean: bool = True

    @property
    def total(self) -> int:
        return sum(self.deleted.values()) + sum(self.cleared.values()) + sum(self.redacted.values())


@dataclass(frozen=True)
class Expired:
    """What the retention job deleted, per table, and the weeks whose counts it kept."""

    deleted: dict[str, int]
    weeks: int

    def summary(self) -> str:
        rows = sum(self.deleted.values())
        if not rows:
            return "nothing older than the retention period"
        parts = ", ".join(f"{n} from {table}" for table, n in self.deleted.items() if n)
        return f"{rows} row(s) deleted ({parts}); counts of {self.weeks} week(s) kept"


class Privacy:
    """Export, forget and expire what the database holds about people."""

    def __init__(self, store: Store, clock: Clock, retention_days: int) -> None:
        self.store = store
        self.clock = clock
        self.retention_days = retention_days

    def export(self, user_id: str) -> dict[str, Any]:
        """Everything stored about ``user_id``: per table, the rows that are theirs or that
        mention them, as stored."""
        db = self.store.db
        tables: dict[str, list[dict[str, Any]]] = {}
        for spec in _present(db):
            rows = [row for _, row, _ in _matches(db, spec, user_id)]
            if rows:
                tables[spec.table] = rows
        return {
            "user_id": user_id,
            "exported_at": self.clock().astimezone(dt.UTC).isoformat(),
            "tables": tables,
        }

    def forget(self, user_id: str) -> Forgotten:
        """Erase ``user_id`` from every table, then rewrite the file without the old bytes."""
        result = Forgotten()
        with _secure_delete(self.store), self.store.transaction() as db:
            for spec in _present(db):
                owned: list[int] = []
                mentioned: list[int] = []
                for rowid, _, own in _matches(db, spec, user_id):
                    (owned if own else mentioned).append(rowid)
                if owned and spec.forget == "delete":
                    marks = ", ".join("?" for _ in owned)
                    _delete(db, spec.table, f"rowid in ({marks})", owned, result.deleted)
                elif owned:
                    for column in spec.people:
                        cursor = db.execute(
                            f"update [{spec.table}] set [{column}] = '' where [{column}] = ?",
                            [user_id],
                        )
                        _count(result.cleared, spec.table, cursor.rowcount)
                for rowid in mentioned:
                    _redact(db, spec, rowid, user_id)
                _count(result.redacted, spec.table, len(mentioned))
        if result.total:
            result.file_clean = _rewrite(self.store)
            log.info(
                "privacy: forgot one person: %d row(s) changed in %s",
                result.total,
                ", ".join(sorted({*result.deleted, *result.cleared, *result.redacted})),
            )
        return result

    def expire(self) -> Expired:
        """Delete what is older than the retention period from every dated table; first
        add the questions, feedback and manager requests it deletes to the weekly counts."""
        cutoff = (self.clock() - dt.timedelta(days=self.retention_days)).astimezone(dt.UTC)
        before = cutoff.isoformat()
        deleted: dict[str, int] = {}
        with self.store.transaction() as db:
            weeks = _keep_weekly_counts(db, before)
            for spec in _present(db):
                if spec.dated_by is not None:
                    _delete(db, spec.table, f"[{spec.dated_by}] < ?", [before], deleted)
        if any(deleted.values()):
            log.info("privacy: deleted %d row(s) older than %d days", sum(deleted.values()),
                     self.retention_days)  # fmt: skip
        return Expired(deleted, weeks)


def tables_of(db: Database) -> list[str]:
    """Every table of ``db`` a person's data could be in: the ordinary tables and the
    virtual ones, without SQLite's own and the shadow tables of virtual tables."""
    rows = db.execute(
        "select name, sql from sqlite_master where type = 'table' and name not like 'sqlite_%'"
    ).fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    return [name for name, _ in rows if not any(name.startswith(f"{v}_") for v in virtual)]


def _present(db: Database) -> list[PersonalData]:
    """The registered tables this database has (a registry may be ahead of an old file)."""
    existing = set(tables_of(db))
    return [spec for spec in PERSONAL_DATA if spec.table in existing]


def _id_pattern(user_id: str) -> re.Pattern[str]:
    """``user_id`` as a whole id: "U1" is not found in "U12"."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(user_id)}(?![A-Za-z0-9])")


def _matches(
    db: Database, spec: PersonalData, user_id: str
) -> Iterator[tuple[int, dict[str, Any], bool]]:
    """The rows of ``spec.table`` about ``user_id``: rowid, the row, and whether it is
    theirs (a person column holds the id) or only mentions them."""
    tests = [f"[{c}] = ?" for c in spec.people] + [f"instr([{c}], ?) > 0" for c in spec.mentions]
    if not tests:
        return
    cursor = db.execute(
        f"select rowid as _rowid, * from [{spec.table}] where {' or '.join(tests)}",
        [user_id] * len(tests),
    )
    columns = [d[0] for d in cursor.description]
    pattern = _id_pattern(user_id)
    for values in cursor.fetchall():
        row = dict(zip(columns, values, strict=True))
        rowid = row.pop("_rowid")
        own = any(row.get(c) == user_id for c in spec.people)
        if own or any(pattern.search(str(row.get(c) or "")) for c in spec.mentions):
            yield rowid, {k: _plain(v) for k, v in row.items()}, own


def _plain(value: object) -> object:
    """A stored value as JSON can hold it (bytes as their length: vectors, not people)."""
    return f"<{len(value)} bytes>" if isinstance(value, bytes) else value


def _redact(db: Database, spec: PersonalData, rowid: int, user_id: str) -> None:
    pattern = _id_pattern(user_id)
    for column in spec.mentions:
        db.execute(
            f"update [{spec.table}] set [{column}] = ? where rowid = ? and [{column}] is not null",
            [_sub(pattern, db, spec.table, column, rowid), rowid],
        )


def _sub(pattern: re.Pattern[str], db: Database, table: str, column: str, rowid: int) -> object:
    (value,) = db.execute(f"select [{column}] from [{table}] where rowid = ?", [rowid]).fetchone()
    return pattern.sub(FORGOTTEN, value) if isinstance(value, str) else value


def _delete(
    db: Database, table: str, where: str, params: list[Any], counts: dict[str, int]
) -> None:
    """Delete the rows of ``table`` that match ``where``, and first the rows of other
    tables that refer to them through a foreign key (e.g. feedback on a question)."""
    for child in db.table_names():
        for fk in db.table(child).foreign_keys:
            if fk.other_table == table and child != table:
                _delete(
                    db,
                    child,
                    f"[{fk.column}] in (select [{fk.other_column}] from [{table}] where {where})",
                    params,
                    counts,
                )
    cursor = db.execute(f"delete from [{table}] where {where}", params)
    _count(counts, table, cursor.rowcount)


def _count(counts: dict[str, int], table: str, number: int) -> None:
    if number > 0:
        counts[table] = counts.get(table, 0) + number


def _keep_weekly_counts(db: Database, before: str) -> int:
    """Add what the retention job is about to delete to ``weekly_question_stats``, by the
    ISO week it happened in; the number of weeks touched."""
    old_questions = "select id from questions where asked_at < ?"
    sources = {
        "asked": ("select asked_at, 1 from questions where asked_at < ?", [before]),
        "answered": ("select asked_at, 1 from questions where asked_at < ? and answered", [before]),
        "helpful": (
            f"select given_at, helpful from feedback where given_at < ? "
            f"or question_id in ({old_questions})",
            [before, before],
        ),
        "handed_over": (  # before escalations: manager_requests
            f"select requested_at, 1 from manager_requests where requested_at < ? "
            f"or question_id in ({old_questions}) "
            "union all select raised_at, 1 from escalations where question_id is not null "
            "and raised_at < ?",
            [before, before, before],
        ),
    }
    weeks: dict[str, dict[str, int]] = {}
    for name, (sql, params) in sources.items():
        for at, value in db.execute(sql, params).fetchall():
            counts = weeks.setdefault(_iso_week(at), {})
            if name == "helpful":
                name_now = "helpful" if value else "not_helpful"
                counts[name_now] = counts.get(name_now, 0) + 1
            else:
                counts[name] = counts.get(name, 0) + value
    for week, counts in weeks.items():
        columns = list(counts)
        db.execute(
            f"insert into weekly_question_stats (week, {', '.join(columns)}) "
            f"values (?, {', '.join('?' for _ in columns)}) on conflict (week) do update set "
            + ", ".join(f"{c} = {c} + excluded.{c}" for c in columns),
            [week, *counts.values()],
        )
    return len(weeks)


def _iso_week(moment: str) -> str:
    year, week, _ = dt.datetime.fromisoformat(moment).isocalendar()
    return f"{year}-W{week:02d}"


@contextmanager
def _secure_delete(store: Store) -> Iterator[None]:
    """Deleted content is overwritten with zeros on this thread's connection."""
    store.db.execute("PRAGMA secure_delete = ON")
    try:
        yield
    finally:
        store.db.execute("PRAGMA secure_delete = OFF")


def _rewrite(store: Store) -> bool:
    """Leave no deleted byte in the database files: merge the full-text indexes (deletes
    are only marked in them until then), empty the write-ahead log into the file, rebuild
    the file without free pages and empty the log again. False when another process kept
    the log from being emptied."""
    db = store.db
    with store.transaction():
        for table in tables_of(db):
            sql = db.execute("select sql from sqlite_master where name = ?", [table]).fetchone()[0]
            if "USING FTS5" in (sql or "").upper():
                db.execute(f"insert into [{table}]([{table}]) values ('optimize')")
    clean = _checkpoint(db)
    db.execute("PRAGMA secure_delete = ON")
    try:
        db.execute("VACUUM")
    finally:
        db.execute("PRAGMA secure_delete = OFF")
    return _checkpoint(db) and clean


def _checkpoint(db: Database) -> bool:
    busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return not busy
