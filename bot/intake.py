"""Durable intake: every question socialbot acknowledges is a row here before the ack.

A Slack listener writes the request (:meth:`Intake.accept`) and acknowledges; a worker
takes rows (:meth:`Intake.claim`), answers them, and in the same transaction stores the
question, adds the reply to the outbox and marks the row done. A row whose worker died
is taken again when its lease runs out, so a ``kill -9`` of the server, a worker or both
loses no accepted question: the next start answers it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from bot.db import Store

Clock = Callable[[], dt.datetime]

# How long a worker may take to answer one question before another may take it over.
LEASE_SECONDS = 60.0
# Done rows are kept this long (the question itself is kept in ``questions``).
KEEP_DONE = dt.timedelta(days=1)


@dataclass(frozen=True)
class Request:
    """A question from Slack: its idempotency ``key`` (e.g. ``command:<trigger_id>``), the
    text, who asked where, on which surface, and where the reply goes."""

    key: str
    text: str
    user_id: str
    channel_id: str
    surface: str
    thread_ts: str | None = None
    response_url: str | None = None


@dataclass(frozen=True)
class Taken:
    """An intake row a worker took: the request, when it arrived, and how many times it
    has been taken (more than once after a worker died or failed on it)."""

    id: int
    request: Request
    received_at: dt.datetime
    attempts: int


@dataclass
class _Waiting:
    """A request waiting for its group's commit: whether it was new, or why it failed, and
    whether its thread is to commit the next group."""

    request: Request
    done: threading.Event = field(default_factory=threading.Event)
    accepted: bool | None = None
    error: Exception | None = None
    leads: bool = False


class Intake:
    """The intake table."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()
        self._waiting: list[_Waiting] = []
        self._leading = False

    def accept(self, request: Request) -> bool:
        """Store ``request``; False when its key was accepted before (a replay or retry).

        Requests arriving together from many threads are written in one transaction (a
        group commit): one thread commits its own and every waiting request, the others
        wait for that commit. Sixteen request threads each committing their own row kept
        each other waiting for the write lock (docs/benchmarks.md, time-to-ack)."""
        me = _Waiting(request)
        with self._lock:
            self._waiting.append(me)
            me.leads = not self._leading
            self._leading = True
        if not me.leads:
            me.done.wait()  # for its group's commit, or to be handed the next group
        if me.leads:
            self._commit_group()
        if me.error is not None:
            raise me.error
        return bool(me.accepted)

    def _commit_group(self) -> None:
        """Commit every waiting request, then hand the next group to the first request that
        arrived meanwhile (so no thread keeps committing for others while its own ack waits)."""
        with self._lock:
            group, self._waiting = self._waiting, []
        try:
            self._insert_all(group)
        finally:
            for waiting in group:
                if waiting.accepted is None and waiting.error is None:
                    waiting.error = RuntimeError("the intake's group commit was interrupted")
                waiting.done.set()
            with self._lock:
                if self._waiting:
                    successor = self._waiting[0]
                    successor.leads = True
                    successor.done.set()
                else:
                    self._leading = False

    def _insert_all(self, group: list[_Waiting]) -> None:
        """Insert the group's requests in one transaction of few statements (each statement
        waits for the interpreter lock again, which busy request threads hold)."""
        keys = [waiting.request.key for waiting in group]
        received_at = _iso(self.clock())
        try:
            with self.store.transaction() as db:
                seen = {
                    key
                    for (key,) in db.execute(
                        f"select key from intake where key in ({', '.join('?' * len(keys))})",
                        keys,
                    )
                }
                db.conn.executemany(
                    "insert or ignore into intake (key, kind, text, user_id, channel_id, "
                    "surface, thread_ts, response_url, received_at, state, attempts) "
                    "values (?, 'question', ?, ?, ?, ?, ?, ?, ?, 'queued', 0)",
                    [_row(waiting.request, received_at) for waiting in group],
                )
        except Exception as error:  # noqa: BLE001 - given to each waiting thread below
            if len(group) == 1:
                group[0].accepted, group[0].error = None, error
                return
            for waiting in group:  # one at a time, so that one bad row fails only itself
                self._insert_all([waiting])
            return
        for waiting in group:  # the first of the group with a key new to the table is new
            waiting.accepted = waiting.request.key not in seen
            seen.add(waiting.request.key)

    def claim(self, holder: str, lease: float = LEASE_SECONDS) -> Taken | None:
        """Take the oldest waiting row (or one whose worker's lease ran out); None if none."""
        taken = self.claim_many(holder, 1, lease)
        return taken[0] if taken else None

    def claim_many(self, holder: str, limit: int, lease: float = LEASE_SECONDS) -> list[Taken]:
        """Take up to ``limit`` of the oldest waiting rows (and rows whose worker's lease ran
        out), each leased for ``lease`` seconds; oldest first, empty if none."""
        now = self.clock().timestamp()
        db = self.store.db
        waiting = db.execute(
            "select 1 from intake where state = 'queued' "
            "or (state = 'taken' and taken_until <= ?) limit 1",
            [now],
        ).fetchone()
        if waiting is None:  # the common case takes no write lock
            return []
        with self.store.transaction() as db:
            rows = db.execute(
                "select id, key, text, user_id, channel_id, surface, thread_ts, response_url, "
                "received_at, attempts from intake where state = 'queued' "
                "or (state = 'taken' and taken_until <= ?) order by id limit ?",
                [now, max(1, limit)],
            ).fetchall()
            if rows:  # else another worker took them since the look above
                marks = ",".join("?" * len(rows))
                db.execute(
                    "update intake set state = 'taken', taken_by = ?, taken_until = ?, "
                    f"attempts = attempts + 1 where id in ({marks})",
                    [holder, now + lease, *(row[0] for row in rows)],
                )
        return [_taken(row) for row in rows]

    def finish(self, db: Database, taken: Taken, question_id: int | None) -> None:
        """Mark ``taken`` done inside the caller's transaction (the one that stores its
        answer and enqueues the reply)."""
        db.execute(
            "update intake set state = 'done', done_at = ?, question_id = ?, taken_by = null, "
            "taken_until = null, error = null where id = ?",
            [_iso(self.clock()), question_id, taken.id],
        )

    def release(self, taken: Taken, error: str, delay: float) -> None:
        """Give ``taken`` back after a failure, to be tried again in ``delay`` seconds."""
        with self.store.transaction() as db:
            db.execute(
                "update intake set state = 'taken', taken_by = null, taken_until = ?, "
                "error = ? where id = ?",
                [self.clock().timestamp() + delay, error, taken.id],
            )

    def backlog(self) -> tuple[int, float]:
        """Questions accepted and not yet answered, and the age in seconds of the oldest."""
        count, oldest = self.store.db.execute(
            "select count(*), min(received_at) from intake where state != 'done'"
        ).fetchone()
        if not oldest:
            return 0, 0.0
        age = (self.clock() - dt.datetime.fromisoformat(oldest)).total_seconds()
        return count, max(age, 0.0)

    def purge(self) -> int:
        """Drop done rows older than a day; how many."""
        before = _iso(self.clock() - KEEP_DONE)
        with self.store.transaction() as db:
            return db.execute(
                "delete from intake where state = 'done' and done_at < ?", [before]
            ).rowcount


def _row(request: Request, received_at: str) -> tuple[str | None, ...]:
    return (
        request.key,
        request.text,
        request.user_id,
        request.channel_id,
        request.surface,
        request.thread_ts,
        request.response_url,
        received_at,
    )


def _taken(row: tuple[Any, ...]) -> Taken:
    """A row as claimed: ``attempts`` counts this take."""
    (row_id, key, text, user, channel, surface, thread_ts, response_url, received,
     attempts) = row  # fmt: skip
    request = Request(key, text, user, channel, surface, thread_ts, response_url)
    return Taken(row_id, request, dt.datetime.fromisoformat(received), attempts + 1)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()
