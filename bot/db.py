"""The SQLite store: one file, WAL mode, one connection per thread, named migrations.

Slack listeners run on worker threads, and a background embedding on another, so each
thread gets its own connection to the same file. Writes go through :meth:`Store.transaction`.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database, Migrations

from bot.errors import ConfigError

migrations = Migrations("socialbot")

SEARCH_COLUMNS = ("title_terms", "question_terms", "tag_terms", "body_terms")
# BM25 weights for the columns above, in the same order.
SEARCH_WEIGHTS = (4.0, 3.0, 2.0, 1.0)


@migrations()
def m001_knowledge_base(db: Database) -> None:
    """Curated entries, their normalised search text (FTS5) and optional sentence vectors."""
    db.table("entries").create(
        {
            "id": str,
            "title": str,
            "lang": str,
            "tags": str,
            "questions": str,
            "owner": str,
            "updated": str,
            "body": str,
            "source": str,
        },
        pk="id",
    )
    db.table("entry_search").create(
        {"entry_id": str, **{column: str for column in SEARCH_COLUMNS}}, pk="entry_id"
    )
    db.table("entry_search").enable_fts(SEARCH_COLUMNS, create_triggers=True, tokenize="unicode61")
    weights = ", ".join(str(w) for w in SEARCH_WEIGHTS)
    db.execute(
        "insert into entry_search_fts(entry_search_fts, rank) values ('rank', ?)",
        [f"bm25({weights})"],
    )
    db.table("entry_vectors").create(
        {"entry_id": str, "kind": str, "model": str, "vector": bytes},
        pk=("entry_id", "kind"),
    )
    db.table("meta").create({"key": str, "value": str}, pk="key")


# Bytes of write-ahead log kept on disk after a checkpoint.
WAL_SIZE_LIMIT = 64 * 1024 * 1024


class Store:
    """Thread-safe access to the socialbot database at ``path``; errors about the file name
    ``source``, where the path came from (the setting, or the CLI's ``--db``)."""

    def __init__(self, path: str | Path, source: str = "SOCIALBOT_DB") -> None:
        self.path = str(path)
        self.source = source
        if self.path == ":memory:":
            raise ConfigError(source, "':memory:' cannot be shared between threads")
        parent = Path(self.path).parent
        if not parent.is_dir():
            raise ConfigError(source, f"folder {str(parent)!r} does not exist")
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            if migrations.pending(self.db):  # a read-only database that is up to date works
                with self.transaction() as db:  # another process starting now waits for these
                    migrations.apply(db)
        except sqlite3.DatabaseError as exc:  # not SQLite, unreadable, read-only, ...
            self.close()
            raise ConfigError(
                source, f"{self.path!r} cannot be used as socialbot's database: {exc}"
            ) from None

    @property
    def db(self) -> Database:
        """This thread's connection, opened on first use."""
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            if self._closed:
                raise sqlite3.ProgrammingError(f"the store at {self.path} is closed")
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA synchronous=NORMAL")
            # After a checkpoint the WAL is cut back to this size; without a limit it stays as
            # large as the largest transaction (a big import) for as long as the file is open.
            conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
            db = Database(conn)
            self._local.db = db
            with self._write_lock:
                self._connections.append(conn)
        return db

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """Run the block in one write transaction; it commits or rolls back as a whole.

        The transaction takes SQLite's write lock at its start (``BEGIN IMMEDIATE``), waiting
        for another process's write to end: one that read first and wrote later would fail at
        once with "database is locked" instead. A nested call is a savepoint.
        """
        with self._write_lock:
            db = self.db
            if db.conn.in_transaction:
                with db.atomic():
                    yield db
                return
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                db.conn.rollback()  # nothing to undo if the error already ended it
                raise

    def close_thread_connection(self) -> None:
        """Close the calling thread's connection, e.g. at the end of a short-lived thread
        (the next use opens a new one)."""
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            return
        with self._write_lock:
            if db.conn in self._connections:
                self._connections.remove(db.conn)
                db.conn.close()
        self._local.db = None

    def close(self) -> None:
        """Close every connection this store opened; using the store afterwards is an error."""
        with self._write_lock:
            self._closed = True
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def applied_migrations(self) -> list[str]:
        """Names of the migrations applied to this database, oldest first."""
        return [m.name for m in migrations.applied(self.db)]


class Lease:
    """A named lease in the meta table: one holder at a time, across processes, for
    ``seconds`` unless renewed; one whose holder died can be taken once it runs out.

    The row is "<expiry time> <holder>". After :meth:`close` it is never taken again.
    """

    def __init__(self, store: Store, name: str, seconds: float) -> None:
        self.store, self.name, self.seconds = store, name, seconds
        self.held = False
        self._holder = uuid.uuid4().hex
        self._lock = threading.Lock()
        self._closed = False

    def renew(self) -> bool:
        """Take or extend the lease; False while another holds it, or once closed."""
        with self._lock:
            if self._closed:
                return False
            now = time.time()
            with self.store.transaction() as db:
                cursor = db.execute(
                    "insert into meta (key, value) values (?, ?) on conflict (key) do update "
                    "set value = excluded.value where meta.value like ? "
                    "or cast(meta.value as real) < ?",
                    [self.name, f"{now + self.seconds:.0f} {self._holder}", self._ours, now],
                )
                self.held = cursor.rowcount == 1
            return self.held

    def give_back(self) -> None:
        """Let another take the lease at once (nothing is written when it is not held)."""
        with self._lock:
            if not self.held:
                return
            with self.store.transaction() as db:
                db.execute(
                    "delete from meta where key = ? and value like ?", [self.name, self._ours]
                )
            self.held = False

    def close(self) -> None:
        """Give the lease back and never take it again."""
        with self._lock:
            self._closed = True
        self.give_back()

    def expiry(self) -> str:
        """When the lease runs out, whoever holds it, as local time (HH:MM:SS), or '?'."""
        row = self.store.db.execute("select value from meta where key = ?", [self.name]).fetchone()
        try:
            return time.strftime("%H:%M:%S", time.localtime(float(row[0].split()[0])))
        except (TypeError, ValueError, IndexError):  # given back meanwhile
            return "?"

    @property
    def _ours(self) -> str:
        return f"% {self._holder}"


@migrations()
def m002_questions_and_feedback(db: Database) -> None:
    """Every question asked, feedback on answers, requests to the conversation manager, and
    the ids of Slack events already handled (so a retry is not handled twice)."""
    db.table("questions").create(
        {
            "id": int,
            "asked_at": str,
            "user_id": str,
            "channel_id": str,
            "surface": str,
            "question": str,
            "lang": str,
            "answered": int,
            "entry_id": str,
            "score": float,
        },
        pk="id",
    )
    db.table("questions").create_index(["asked_at"])
    db.table("questions").create_index(["user_id", "asked_at"])
    db.table("feedback").create(
        {"question_id": int, "user_id": str, "helpful": int, "given_at": str},
        pk=("question_id", "user_id"),
        foreign_keys=[("question_id", "questions", "id")],
    )
    db.table("manager_requests").create(
        {"id": int, "question_id": int, "user_id": str, "requested_at": str},
        pk="id",
        foreign_keys=[("question_id", "questions", "id")],
    )
    db.table("handled_events").create({"key": str, "handled_at": str}, pk="key")


@migrations()
def m003_vectors_per_model(db: Database) -> None:
    """Keep each embedding model's vectors side by side: the key gains the model name."""
    db.table("entry_vectors").transform(pk=("entry_id", "model", "kind"))


@migrations()
def m004_index_handled_events(db: Database) -> None:
    """Every Slack event drops the handled ids older than a day: find them by an index."""
    db.table("handled_events").create_index(["handled_at"])


@migrations()
def m005_delivery_spine(db: Database) -> None:
    """The delivery spine: accepted Slack requests waiting for a worker (``intake``), every
    message socialbot owes someone (``outbox``, one row per unique key), the next time a
    channel may be posted to (``outbox_pace``), and the state of each scheduled job. A
    request to the conversation manager is kept once per question and requester."""
    db.table("intake").create(
        {
            "id": int,
            "key": str,
            "kind": str,
            "text": str,
            "user_id": str,
            "channel_id": str,
            "surface": str,
            "thread_ts": str,
            "response_url": str,
            "received_at": str,
            "state": str,
            "attempts": int,
            "taken_by": str,
            "taken_until": float,
            "question_id": int,
            "done_at": str,
            "error": str,
        },
        pk="id",
        not_null={"key", "kind", "received_at", "state"},
        defaults={"state": "queued", "attempts": 0},
    )
    db.table("intake").create_index(["key"], unique=True)
    db.table("intake").create_index(["state", "id"])
    db.table("outbox").create(
        {
            "id": int,
            "key": str,
            "kind": str,
            "route": str,
            "channel": str,
            "user_id": str,
            "thread_ts": str,
            "response_url": str,
            "content": str,
            "lang": str,
            "about": str,
            "created_at": str,
            "asked_at": str,
            "state": str,
            "attempts": int,
            "due_at": float,
            "leased_by": str,
            "lease_until": float,
            "check_first": int,
            "sent_at": str,
            "sent_ts": str,
            "sent_channel": str,
            "last_error": str,
        },
        pk="id",
        not_null={"key", "kind", "route", "content", "created_at", "state", "due_at"},
        defaults={"state": "pending", "attempts": 0, "check_first": 0},
    )
    db.table("outbox").create_index(["key"], unique=True)
    db.table("outbox").create_index(["state", "due_at"])
    db.table("outbox").create_index(["created_at"])
    db.table("outbox_pace").create({"channel": str, "next_at": float}, pk="channel")
    db.table("scheduled_jobs").create(
        {
            "name": str,
            "last_slot": str,
            "running_slot": str,
            "last_started": str,
            "last_finished": str,
            "last_outcome": str,
            "last_error": str,
        },
        pk="name",
    )
    # Clicks before this version could store one request several times: keep the first.
    db.execute(
        "delete from manager_requests where id not in "
        "(select min(id) from manager_requests group by question_id, user_id)"
    )
    db.table("manager_requests").create_index(["question_id", "user_id"], unique=True)


@migrations()
def m007_pilots(db: Database) -> None:
    """Pilot projects (``pilots``, with running totals of what was spent, for fast lists),
    their members and their history of updates (``pilot_updates``, append-only); a closed
    pilot's lessons go to ``lesson_drafts`` (m010). A pilot or update is stored once per
    Slack request key (view or trigger id)."""
    db.table("pilots").create(
        {
            "id": int,
            "key": str,
            "name": str,
            "name_key": str,
            "owner": str,
            "team": str,
            "platforms": str,
            "goal": str,
            "kpis": str,
            "budget_cents": int,
            "hours_estimated": float,
            "start_date": str,
            "end_date": str,
            "flagship": int,
            "channel_id": str,
            "status": str,
            "state": str,
            "spent_cents": int,
            "hours_spent": float,
            "kpi_values": str,
            "created_by": str,
            "created_at": str,
            "last_update_at": str,
            "blocked_since": str,
            "blocker": str,
            "warned_money": int,
            "warned_hours": int,
            "reminded_gap": str,
            "blocked_reported": str,
            "outcome": str,
            "lessons": str,
            "closed_at": str,
            "closed_by": str,
        },
        pk="id",
        not_null={"key", "name", "name_key", "owner", "state", "status", "created_at"},
        defaults={
            "state": "active",
            "status": "green",
            "spent_cents": 0,
            "hours_spent": 0.0,
            "flagship": 0,
            "warned_money": 0,
            "warned_hours": 0,
            "kpi_values": "{}",
        },
    )
    db.table("pilots").create_index(["key"], unique=True)
    db.table("pilots").create_index(["name_key"], unique=True)
    db.table("pilots").create_index(["state", "status"])
    db.table("pilots").create_index(["owner"])
    db.table("pilot_members").create(
        {"pilot_id": int, "user_id": str},
        pk=("pilot_id", "user_id"),
        foreign_keys=[("pilot_id", "pilots", "id")],
    )
    db.table("pilot_members").create_index(["user_id"])
    db.table("pilot_updates").create(
        {
            "id": int,
            "key": str,
            "pilot_id": int,
            "kind": str,
            "status": str,
            "text": str,
            "hours": float,
            "spent_cents": int,
            "kpi_values": str,
            "blocker": str,
            "blocker_user": str,
            "outcome": str,
            "by_user": str,
            "created_at": str,
        },
        pk="id",
        not_null={"key", "pilot_id", "kind", "by_user", "created_at"},
        foreign_keys=[("pilot_id", "pilots", "id")],
    )
    db.table("pilot_updates").create_index(["key"], unique=True)
    db.table("pilot_updates").create_index(["pilot_id", "id"])


@migrations()
def m008_teaching(db: Database) -> None:
    """Teaching: the phrasings the conversation manager taught an entry (so an import with
    ``--replace`` can keep them, and they can be removed again), and the stored questions
    that were taught (they leave the to-teach list; their askers were told)."""
    db.table("taught_phrasings").create(
        {"entry_id": str, "question": str, "taught_by": str, "taught_at": str},
        pk=("entry_id", "question"),
        not_null={"taught_at"},
    )
    db.table("taught_questions").create(
        {"question_id": int, "entry_id": str, "taught_by": str, "taught_at": str},
        pk="question_id",
        foreign_keys=[("question_id", "questions", "id")],
    )


@migrations()
def m009_privacy(db: Database) -> None:
    """Counts per ISO week that outlive the questions, feedback and manager requests they
    count (those are deleted after ``SOCIALBOT_RETENTION_DAYS``); no user ids. Indexes for
    the retention job's look-ups by date."""
    db.table("weekly_question_stats").create(
        {
            "week": str,  # ISO week, e.g. 2026-W48
            "asked": int,
            "answered": int,
            "helpful": int,
            "not_helpful": int,
            "handed_over": int,  # questions handed to the conversation manager
        },
        pk="week",
        not_null={"asked", "answered", "helpful", "not_helpful", "handed_over"},
        defaults={"asked": 0, "answered": 0, "helpful": 0, "not_helpful": 0, "handed_over": 0},
    )
    db.table("feedback").create_index(["given_at"])
    db.table("manager_requests").create_index(["requested_at"])
    db.table("intake").create_index(["received_at"])


@migrations()
def m010_escalations(db: Database) -> None:
    """Escalations to the conversation manager and their timeline; drafts of lessons saved
    from a resolution; and the outbox's ``update`` route: a row that edits (chat.update)
    the message another row, ``update_of`` (its key), sent."""
    db.table("escalations").create(
        {
            "id": int,
            "key": str,
            "severity": str,
            "text": str,
            "reporter": str,
            "channel_id": str,
            "source_link": str,
            "question_id": int,
            "lang": str,
            "state": str,
            "raised_at": str,
            "acknowledged_at": str,
            "acknowledged_by": str,
            "resolved_at": str,
            "resolved_by": str,
            "resolution": str,
            "next_reminder_at": str,
            "reminders_sent": int,
            "reminders": str,
        },
        pk="id",
        not_null={"key", "severity", "text", "reporter", "state", "raised_at"},
        defaults={"state": "open", "reminders_sent": 0},
    )
    db.table("escalations").create_index(["key"], unique=True)
    db.table("escalations").create_index(["state", "next_reminder_at"])
    db.table("escalation_events").create(
        {"id": int, "escalation_id": int, "at": str, "kind": str, "actor": str, "detail": str},
        pk="id",
        not_null={"escalation_id", "at", "kind", "actor"},
        foreign_keys=[("escalation_id", "escalations", "id")],
    )
    db.table("escalation_events").create_index(["escalation_id", "id"])
    db.table("lesson_drafts").create(
        {
            "id": int,
            "title": str,
            "body": str,
            "lang": str,
            "source": str,
            "submitted_by": str,
            "created_at": str,
            "state": str,
        },
        pk="id",
        not_null={"title", "body", "lang", "source", "created_at", "state"},
        defaults={"state": "draft"},
    )
    db.table("lesson_drafts").create_index(["source"], unique=True)
    db.table("outbox").add_column("update_of", str)
    db.table("outbox").create_index(["update_of"])


@migrations()
def m011_vector_text_hash(db: Database) -> None:
    """Each vector keeps a hash of the text it was made from, so an import reuses the vector
    of a text it has embedded before instead of embedding it again (vectors from before have
    no hash and are made again once)."""
    db.table("entry_vectors").add_column("text_hash", str)
    db.table("entry_vectors").create_index(["model", "text_hash"])


@migrations()
def m012_lessons(db: Database) -> None:
    """Lessons learned reviewed by the conversation manager: a draft gains what happened,
    tags, an optional pilot, and its review (who, when, the reason of a rejection, the
    knowledge-base entry it became) and when it was offered for review. Subscribers to the
    weekly digest by DM."""
    drafts = db.table("lesson_drafts")
    for column, kind in (
        ("happened", str),
        ("tags", str),
        ("pilot_id", int),
        ("reviewed_by", str),
        ("reviewed_at", str),
        ("reason", str),
        ("entry_id", str),
        ("offered_at", str),
    ):
        if column not in drafts.columns_dict:
            drafts.add_column(column, kind)
    drafts.create_index(["state", "reviewed_at"], if_not_exists=True)
    db.table("digest_subscriptions").create(
        {"user_id": str, "lang": str, "subscribed_at": str},
        pk="user_id",
        not_null={"subscribed_at"},
    )


@migrations()
def m013_outbox_order(db: Database) -> None:
    """A channel's messages are sent in the order they were written: the deliverers find
    each channel's oldest row still to be sent, and the other rows they may send, in this
    index alone."""
    db.table("outbox").create_index(["state", "route", "channel", "id"], if_not_exists=True)
