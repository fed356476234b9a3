"""The outbox: every Slack message socialbot owes someone, kept until Slack has it.

A change and the message it causes are written in one transaction (:func:`enqueue`), under
a key that names the logical message: the same key enqueued twice (a retried request, a
double click, two processes) is one row, so one message. A :class:`Deliverer` sends the
rows that are due through a :class:`Transport` (the Slack edge implements it), retries
transient failures with exponential backoff and jitter, honours ``Retry-After``, paces
posts to about one a second per channel, and marks a row failed, with the reason, on an
error that no retry can fix.

A channel gets its messages (posts and uploads) in the order they were written, one at a
time: a row is not sent while an older row of the same channel is still to be sent, by any
deliverer in any process, so a row whose send failed holds back the younger rows of its
channel until it is sent, and a row that failed for good holds nothing back. The channel is
the one the row names: a DM addressed by the person's user id (escalations, lessons, App
Home answers) and by its ``D…`` id (the answer to a DM) counts as two channels, each in
order. A reply to a ``/ask`` goes to its command's response_url, the one message sent
there: it waits for nothing (nor does it when it goes by DM instead).

A row of the ``update`` route edits a message an earlier row sent (Slack's chat.update of
that row's channel and ts): it waits until that row is sent, and until the older updates
of the same message are done, so a message ends as its last update says. When the row it
updates fails (or is purged), the update fails too.

A row of the ``upload`` route uploads a file (the weekly digest's chart: its bytes base64
in the content) to its channel. An upload cannot be looked up by key: an upload whose send
was interrupted after Slack took it is sent again (at least once, for files only).

A process can die between Slack accepting a message and the row being marked sent. Such a
row is left "sending"; once its lease runs out it is sent again, but first the transport
looks for a message carrying the row's key (Slack message metadata) and, when it finds
one, marks the row sent instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import random
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol, get_args

from sqlite_utils import Database

from bot.db import Store
from bot.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
Route = Literal["post", "response_url", "update", "upload"]
State = Literal["pending", "sending", "sent", "failed"]
STATES: tuple[State, ...] = ("pending", "sending", "sent", "failed")

# Slack's pace for chat.postMessage: about one message a second per channel.
PACE_SECONDS = 1.0
# How long a deliverer may take to send one row before another may take it over.
LEASE_SECONDS = 60.0
# Transient failures are retried for this long after the row was written, then it fails.
GIVE_UP_AFTER = dt.timedelta(hours=24)
# A message delivered this long after what caused it says that it is late (Slack's
# response_url also expires after 30 minutes).
LATE_AFTER = dt.timedelta(minutes=30)
# Delivered rows are kept this long (``socialbot outbox list`` shows them), then purged.
KEEP_DELIVERED = dt.timedelta(days=30)


@dataclass(frozen=True)
class Message:
    """One message to send: where (``route``, ``channel``, ``thread_ts``, ``user_id`` for
    whom it is), what (``content``: Slack's ``text`` and ``blocks``), in which language,
    and ``about``: a short description for operators ("answer to question 12")."""

    kind: str
    route: Route
    channel: str
    content: dict[str, Any]
    lang: str
    about: str
    user_id: str = ""
    thread_ts: str | None = None
    response_url: str | None = None
    asked_at: dt.datetime | None = None
    update_of: str | None = None


@dataclass(frozen=True)
class Row:
    """An outbox row as stored."""

    id: int
    key: str
    kind: str
    route: Route
    channel: str
    user_id: str
    thread_ts: str | None
    response_url: str | None
    content: dict[str, Any]
    lang: str
    about: str
    created_at: dt.datetime
    asked_at: dt.datetime
    state: State
    attempts: int
    due_at: float
    check_first: bool
    sent_at: str | None
    last_error: str | None
    update_of: str | None = None
    target: Sent | None = None  # for an update: where the message it edits is, once claimed


@dataclass(frozen=True)
class Sent:
    """Slack has the message: its channel and ts, where Slack says."""

    channel: str | None = None
    ts: str | None = None


@dataclass(frozen=True)
class Retry:
    """A transient failure: try again, not before ``after`` seconds when Slack said so."""

    reason: str
    after: float | None = None


@dataclass(frozen=True)
class Failed:
    """A failure no retry can fix (a missing channel, a revoked token, ...)."""

    reason: str


Delivery = Sent | Retry | Failed


class Transport(Protocol):
    """Sends outbox rows to Slack; implemented at the Slack edge."""

    def send(self, row: Row, late: bool) -> Delivery:
        """Send ``row``; ``late`` adds a line saying the message is late."""
        ...

    def find(self, row: Row) -> Sent | Retry | None:
        """The message already in Slack that carries ``row.key``; None when there is none
        (or it cannot be looked up, e.g. an ephemeral message); Retry when the lookup
        failed for now."""
        ...


@dataclass(frozen=True)
class Backlog:
    """What is still to be delivered: rows not yet sent, the age of the oldest in seconds
    (0 when none), and the rows that failed."""

    undelivered: int
    oldest_age: float
    failed: int


def enqueue(db: Database, key: str, message: Message, now: dt.datetime) -> bool:
    """Add ``message`` under ``key`` inside the caller's transaction; False (and nothing
    written) when a row with that key exists already."""
    when = _iso(now)
    cursor = db.execute(
        "insert or ignore into outbox (key, kind, route, channel, user_id, thread_ts, "
        "response_url, content, lang, about, created_at, asked_at, state, attempts, due_at, "
        "check_first, update_of) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, 0, ?)",
        [
            key,
            message.kind,
            message.route,
            message.channel,
            message.user_id,
            message.thread_ts,
            message.response_url,
            json.dumps(message.content, ensure_ascii=False),
            message.lang,
            message.about,
            when,
            _iso(message.asked_at or now),
            now.timestamp(),
            message.update_of,
        ],
    )
    return cursor.rowcount == 1


def enqueue_edits(
    db: Database, kind: str, prefix: str, edit: Message, suffix: str, now: dt.datetime
) -> None:
    """Edit every message of ``kind`` whose key starts with ``prefix`` (e.g. each manager's
    copy of one notice) as ``edit`` says, inside the caller's transaction: an update row
    for each, keyed ``<its key>:<suffix>``, sent once that message itself is sent."""
    copies = db.execute(
        "select key, channel from outbox where substr(key, 1, ?) = ? and kind = ? order by id",
        [len(prefix), prefix, kind],
    ).fetchall()
    for key, channel in copies:
        about = f"{edit.about}: update of {key}"
        update = replace(edit, route="update", channel=channel, about=about, update_of=key)
        enqueue(db, f"{key}:{suffix}", update, now)


def backoff(attempt: int, rand: Callable[[], float] = random.random, first: float = 2.0) -> float:
    """Seconds to wait after attempt ``attempt`` failed: ``first``, then twice as long each
    time, up to 10 minutes; each scaled by a random factor from 0.5 to 1 (jitter), so that
    many rows that failed together do not retry together."""
    delay: float = min(600.0, first * 2.0 ** max(attempt - 1, 0))
    return delay * (0.5 + rand() / 2)


class Outbox:
    """The outbox table: enqueue, claim and mark rows, and the operator's view of them."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def enqueue(self, key: str, message: Message) -> bool:
        """Add ``message`` under ``key`` in a transaction of its own (see :func:`enqueue`)."""
        with self.store.transaction() as db:
            return enqueue(db, key, message, self.clock())

    def get(self, row_id: int) -> Row:
        """The row ``row_id``; raise NotFound."""
        rows = self.store.db.execute(f"select {_COLUMNS} from outbox where id = ?", [row_id])
        row = rows.fetchone()
        if row is None:
            raise NotFound(f"no outbox row with id {row_id}")
        return _row(row)

    def by_key(self, key: str) -> Row | None:
        """The row stored under ``key``, if any."""
        row = self.store.db.execute(
            f"select {_COLUMNS} from outbox where key = ?", [key]
        ).fetchone()
        return None if row is None else _row(row)

    def rows(self, states: Iterable[State] = STATES, limit: int = 100) -> list[Row]:
        """Rows in ``states``, newest first."""
        wanted = list(states)
        if not wanted:
            return []
        marks = ", ".join("?" for _ in wanted)
        cursor = self.store.db.execute(
            f"select {_COLUMNS} from outbox where state in ({marks}) order by id desc limit ?",
            [*wanted, limit],
        )
        return [_row(r) for r in cursor.fetchall()]

    def retry(self, row_ids: Iterable[int] = (), all_failed: bool = False) -> int:
        """Make failed rows due again at once: their attempts, and the day they are retried
        for, start over; the count. All or none: an unknown or unfailed id changes nothing."""
        ids = list(dict.fromkeys(row_ids))
        now = self.clock()
        with self.store.transaction() as db:
            if all_failed:
                cursor = db.execute(
                    "update outbox set state = 'pending', attempts = 0, due_at = ?, "
                    "created_at = ?, last_error = null where state = 'failed'",
                    [now.timestamp(), _iso(now)],
                )
                return cursor.rowcount
            changed = 0
            for row_id in ids:
                row = db.execute("select state from outbox where id = ?", [row_id]).fetchone()
                if row is None:
                    raise NotFound(f"no outbox row with id {row_id}")
                if row[0] != "failed":
                    raise InvalidInput(f"outbox row {row_id} is {row[0]}, not failed")
                db.execute(
                    "update outbox set state = 'pending', attempts = 0, due_at = ?, "
                    "created_at = ?, last_error = null where id = ?",
                    [now.timestamp(), _iso(now), row_id],
                )
                changed += 1
            return changed

    def backlog(self) -> Backlog:
        """Rows not yet delivered and the age of the oldest; rows that failed."""
        undelivered, oldest = self.store.db.execute(
            "select count(*), min(created_at) from outbox where state in ('pending', 'sending')"
        ).fetchone()
        (failed,) = self.store.db.execute(
            "select count(*) from outbox where state = 'failed'"
        ).fetchone()
        age = (self.clock() - dt.datetime.fromisoformat(oldest)).total_seconds() if oldest else 0
        return Backlog(undelivered, max(age, 0.0), failed)

    def sweep(self) -> tuple[int, int]:
        """Re-queue rows left "sending" by a deliverer that stopped (they are checked in
        Slack before they are sent again), purge rows delivered more than 30 days ago and
        pace rows more than an hour old; return how many rows were re-queued and purged."""
        now = self.clock()
        with self.store.transaction() as db:
            requeued = _requeue_stuck(db, now.timestamp())
            purged = db.execute(
                "delete from outbox where state = 'sent' and sent_at < ?",
                [_iso(now - KEEP_DELIVERED)],
            ).rowcount
            # A channel's pace row is no use once its time has passed; it names a person
            # when the channel is their DM.
            db.execute("delete from outbox_pace where next_at < ?", [now.timestamp() - 3600])
            db.execute(  # an update of a message purged meanwhile has nothing to edit
                "update outbox set state = 'failed', last_error = 'the message it updates is "
                "gone' where state = 'pending' and update_of is not null and not exists "
                "(select 1 from outbox t where t.key = outbox.update_of)"
            )
        return requeued, purged

    def claim(self, holder: str, pace: float = PACE_SECONDS) -> Row | None:
        """Take the next due row for sending (its lease runs ``LEASE_SECONDS``), skipping
        channels posted to less than ``pace`` seconds ago and rows behind an older row of
        their channel that is still to be sent; None when nothing is due."""
        if not self._anything_due(self.clock().timestamp()):  # the common case: no write lock
            return None
        with self.store.transaction() as db:
            # The time is read once the write lock is held: a claim that waited for it must
            # not date its channel's next turn from before the wait.
            now = self.clock().timestamp()
            _requeue_stuck(db, now)
            found = db.execute(
                f"select {_JOINED_COLUMNS}, t.sent_channel, t.sent_ts from outbox o "
                "left join outbox_pace p on o.route = 'post' and p.channel = o.channel "
                "left join outbox t on t.key = o.update_of "
                f"where o.id in {_TURNS} and +o.state = 'pending' and +o.due_at <= ? "
                f"and {_READY} and coalesce(p.next_at, 0) <= ? order by o.id limit 1",
                [now, now],
            ).fetchone()
            if found is None:
                return None
            claimed = _row(found[:-2])
            target = Sent(found[-2], found[-1]) if claimed.update_of else None
            row = dataclasses.replace(
                claimed, state="sending", attempts=claimed.attempts + 1, target=target
            )
            db.execute(
                "update outbox set state = 'sending', leased_by = ?, lease_until = ?, "
                "attempts = attempts + 1 where id = ?",
                [holder, now + LEASE_SECONDS, row.id],
            )
            if row.route == "post":
                _pace(db, row.channel, now + pace)
        return row

    def next_due(self) -> float | None:
        """When the earliest pending row is due (epoch seconds), or None."""
        (due,) = self.store.db.execute(
            "select min(due_at) from outbox where state in ('pending', 'sending')"
        ).fetchone()
        return None if due is None else float(str(due))

    def mark_sent(self, row: Row, sent: Sent) -> None:
        """Record that Slack has ``row``."""
        with self.store.transaction() as db:
            db.execute(
                "update outbox set state = 'sent', sent_at = ?, sent_ts = ?, sent_channel = ?, "
                "leased_by = null, lease_until = null, last_error = null where id = ?",
                [_iso(self.clock()), sent.ts, sent.channel, row.id],
            )

    def mark_retry(self, row: Row, reason: str, delay: float, pause_channel: bool) -> None:
        """Send ``row`` again in ``delay`` seconds (and nothing else to its channel before
        then, when Slack asked for that)."""
        with self.store.transaction() as db:
            due = self.clock().timestamp() + delay  # read under the write lock, as in claim
            db.execute(
                "update outbox set state = 'pending', due_at = ?, last_error = ?, "
                "leased_by = null, lease_until = null where id = ?",
                [due, reason, row.id],
            )
            if pause_channel and row.route == "post":
                _pace(db, row.channel, due)

    def mark_failed(self, row: Row, reason: str) -> None:
        """Give ``row`` up with ``reason``, and the updates waiting for it (they have nothing
        to edit); ``socialbot outbox retry`` can make them due again."""
        with self.store.transaction() as db:
            db.execute(
                "update outbox set state = 'failed', last_error = ?, leased_by = null, "
                "lease_until = null where id = ?",
                [reason, row.id],
            )
            db.execute(
                "update outbox set state = 'failed', last_error = ? "
                "where update_of = ? and state = 'pending'",
                [f"the message it updates failed: {reason}", row.key],
            )

    def _anything_due(self, now: float) -> bool:
        return (
            self.store.db.execute(
                "select 1 from outbox o where "
                f"(o.id in {_TURNS} and +o.state = 'pending' and +o.due_at <= ? and {_READY}) "
                "or (o.state = 'sending' and o.lease_until <= ?) limit 1",
                [now, now],
            ).fetchone()
            is not None
        )


class Deliverer:
    """Sends the outbox's due rows, one at a time, until told to stop; ``on_failed`` hears
    of each row that failed for good."""

    def __init__(
        self,
        outbox: Outbox,
        transport: Transport,
        pace: float = PACE_SECONDS,
        rand: Callable[[], float] = random.random,
        first_backoff: float = 2.0,
        on_failed: Callable[[Row], None] | None = None,
    ) -> None:
        self.on_failed = on_failed
        self.outbox = outbox
        self.transport = transport
        self.pace = pace
        self.rand = rand
        self.first_backoff = first_backoff
        self.holder = uuid.uuid4().hex

    def deliver_one(self) -> bool:
        """Send one due row; False when none was due."""
        row = self.outbox.claim(self.holder, self.pace)
        if row is None:
            return False
        try:
            result = self._send(row)
        except Exception as error:  # noqa: BLE001 - an unexpected failure is retried, and logged
            log.exception("outbox row %d (%s): sending failed unexpectedly", row.id, row.about)
            result = Retry(f"{type(error).__name__}: {error}")
        self._record(row, result)
        return True

    def run(self, stop: threading.Event, idle: float = 0.1) -> None:
        """Deliver until ``stop`` is set, checking every ``idle`` seconds when nothing is due."""
        while not stop.is_set():
            try:
                busy = self.deliver_one()
            except Exception:  # noqa: BLE001 - e.g. the database is briefly unusable
                log.exception("the outbox deliverer failed; trying again in a second")
                busy = False
                stop.wait(1.0)
            if not busy:
                stop.wait(idle)

    def _send(self, row: Row) -> Delivery:
        if row.check_first:
            found = self.transport.find(row)
            if isinstance(found, Retry):
                return found
            if found is not None:
                log.info("outbox row %d (%s) had arrived before a restart", row.id, row.about)
                return found
            if row.route == "response_url":
                log.info(
                    "outbox row %d (%s) is sent again; if its first send arrived before the "
                    "process stopped, the user sees it twice (ephemeral messages cannot be "
                    "looked up)",
                    row.id,
                    row.about,
                )
        late = self.outbox.clock() - row.asked_at > LATE_AFTER
        return self.transport.send(row, late)

    def _record(self, row: Row, result: Delivery) -> None:
        if isinstance(result, Sent):
            self.outbox.mark_sent(row, result)
            return
        if isinstance(result, Retry):
            if self.outbox.clock() - row.created_at < GIVE_UP_AFTER:
                delay = max(
                    result.after or 0.0, backoff(row.attempts, self.rand, self.first_backoff)
                )
                log.warning(
                    "outbox row %d (%s): %s; attempt %d, next in %.1f s",
                    row.id,
                    row.about,
                    result.reason,
                    row.attempts,
                    delay,
                )
                self.outbox.mark_retry(row, result.reason, delay, result.after is not None)
                return
            result = Failed(f"{result.reason} (gave up after {row.attempts} attempts)")
        self.outbox.mark_failed(row, result.reason)
        if self.on_failed is not None:
            self.on_failed(row)
        if row.user_id:
            log.error(
                "outbox row %d failed: %s for %s (to %s) did not reach Slack: %s; "
                "`socialbot outbox retry %d` sends it again",
                row.id,
                row.about,
                row.user_id,
                row.channel,
                result.reason,
                row.id,
            )
        else:
            log.error("outbox row %d (%s) failed: %s", row.id, row.about, result.reason)


def _requeue_stuck(db: Database, now: float) -> int:
    """Rows whose deliverer stopped while sending them become pending again, to be looked
    up in Slack before they are sent again."""
    return db.execute(
        "update outbox set state = 'pending', check_first = 1, leased_by = null, "
        "lease_until = null where state = 'sending' and lease_until <= ?",
        [now],
    ).rowcount


def _pace(db: Database, channel: str, next_at: float) -> None:
    db.execute(
        "insert into outbox_pace (channel, next_at) values (?, ?) on conflict (channel) "
        "do update set next_at = max(next_at, excluded.next_at)",
        [channel, next_at],
    )


def _quoted(words: Iterable[str]) -> str:
    return ", ".join(f"'{word}'" for word in words)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


_JOINED_COLUMNS = (
    "o.id, o.key, o.kind, o.route, o.channel, o.user_id, o.thread_ts, o.response_url, "
    "o.content, o.lang, o.about, o.created_at, o.asked_at, o.state, o.attempts, o.due_at, "
    "o.check_first, o.sent_at, o.last_error, o.update_of"
)
_COLUMNS = _JOINED_COLUMNS.replace("o.", "")
# A pending row ``o`` may be sent: any row, except an update before the message it edits
# is sent, or while an older update of that message is still to be sent.
_READY = (
    "(o.update_of is null or (exists (select 1 from outbox t2 where t2.key = o.update_of "
    "and t2.state = 'sent') and not exists (select 1 from outbox y where y.update_of = "
    "o.update_of and y.id < o.id and y.state in ('pending', 'sending'))))"
)
# Posts and uploads reach their channel one at a time, in the order they were written: only
# a channel's oldest row still to be sent (pending, or sending by any deliverer) may go,
# and a row that failed for good holds nothing back. A response_url reply is the one
# message of its command, and an update waits by the rules above: they may always go.
_IN_ORDER: tuple[Route, ...] = ("post", "upload")
_ANY_ORDER = tuple(route for route in get_args(Route) if route not in _IN_ORDER)
# The rows that may be sent now, as far as order goes: per channel its oldest, and every
# other route's pending rows; read from the index of m013_outbox_order alone. A query that
# reads ``o.id in _TURNS`` marks its other terms on ``o.state`` and ``o.due_at`` with a
# unary + so that SQLite goes through these few rows instead of every due one.
_TURNS = (
    "(select min(id) from outbox where state in ('pending', 'sending') and route in "
    f"({_quoted(_IN_ORDER)}) group by channel union all select id from outbox where "
    f"state = 'pending' and route in ({_quoted(_ANY_ORDER)}))"
)


def _row(values: tuple[Any, ...]) -> Row:
    (row_id, key, kind, route, channel, user_id, thread_ts, response_url, content, lang,
     about, created_at, asked_at, state, attempts, due_at, check_first, sent_at,
     last_error, update_of) = values  # fmt: skip
    return Row(
        id=row_id,
        key=key,
        kind=kind,
        route=route,
        channel=channel,
        user_id=user_id or "",
        thread_ts=thread_ts,
        response_url=response_url,
        content=json.loads(content),
        lang=lang or "en",
        about=about or kind,
        created_at=dt.datetime.fromisoformat(created_at),
        asked_at=dt.datetime.fromisoformat(asked_at or created_at),
        state=state,
        attempts=attempts,
        due_at=due_at,
        check_first=bool(check_first),
        sent_at=sent_at,
        last_error=last_error,
        update_of=update_of,
    )
