"""The outbox: one row per key, claims, pacing, backoff, retries, failures, the sweep."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from bot.db import Store
from bot.errors import InvalidInput, NotFound
from bot.outbox import (
    GIVE_UP_AFTER,
    LATE_AFTER,
    LEASE_SECONDS,
    Deliverer,
    Delivery,
    Failed,
    Message,
    Outbox,
    Retry,
    Row,
    Sent,
    backoff,
)
from tests.conftest import ManualClock


@dataclass
class FakeTransport:
    """Answers each send with the next planned result (Sent when none is left)."""

    plan: list[Delivery] = field(default_factory=list)
    sent: list[tuple[str, bool]] = field(default_factory=list)
    found: dict[str, Sent] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)

    def send(self, row: Row, late: bool) -> Delivery:
        self.sent.append((row.key, late))
        return self.plan.pop(0) if self.plan else Sent("C1", f"{len(self.sent)}.0")

    def find(self, row: Row) -> Sent | Retry | None:
        self.lookups.append(row.key)
        return self.found.get(row.key)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def outbox(fresh_store: Store, clock: ManualClock) -> Outbox:
    return Outbox(fresh_store, clock)


def message(channel: str = "C1", user: str = "U1", **extra: object) -> Message:
    return Message(
        kind="answer",
        route="post",
        channel=channel,
        content={"text": "hi", "blocks": []},
        lang="en",
        about=f"answer to U1 in {channel}",
        user_id=user,
        **extra,  # type: ignore[arg-type]
    )


def deliverer(outbox: Outbox, transport: FakeTransport, pace: float = 1.0) -> Deliverer:
    return Deliverer(outbox, transport, pace=pace, rand=lambda: 1.0)


def test_one_row_per_key_however_often_it_is_enqueued(outbox: Outbox) -> None:
    assert outbox.enqueue("reply:1", message()) is True
    assert outbox.enqueue("reply:1", message(channel="C2")) is False
    (row,) = outbox.rows()
    assert (row.key, row.channel, row.state) == ("reply:1", "C1", "pending")


def test_two_threads_enqueueing_the_same_key_make_one_row(outbox: Outbox) -> None:
    start = threading.Barrier(8)
    results: list[bool] = []

    def enqueue() -> None:
        start.wait()
        results.append(outbox.enqueue("manager-dm:1:U1:UCM", message()))
        outbox.store.close_thread_connection()

    threads = [threading.Thread(target=enqueue) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    assert len(outbox.rows()) == 1


def test_a_delivered_row_is_marked_sent_with_slacks_ts(outbox: Outbox) -> None:
    outbox.enqueue("k", message())
    transport = FakeTransport()
    assert deliverer(outbox, transport).deliver_one() is True
    assert deliverer(outbox, transport).deliver_one() is False  # nothing left
    (row,) = outbox.rows()
    assert row.state == "sent" and row.attempts == 1 and transport.sent == [("k", False)]


@pytest.mark.parametrize(
    ("attempt", "expected"), [(1, 2.0), (2, 4.0), (3, 8.0), (9, 512.0), (10, 600.0), (30, 600.0)]
)
def test_backoff_doubles_up_to_ten_minutes(attempt: int, expected: float) -> None:
    assert backoff(attempt, rand=lambda: 1.0) == expected
    assert backoff(attempt, rand=lambda: 0.0) == expected / 2  # jitter: half to full


def test_a_transient_failure_is_retried_after_the_backoff(
    outbox: Outbox, clock: ManualClock
) -> None:
    outbox.enqueue("k", message())
    transport = FakeTransport(plan=[Retry("internal_error"), Retry("internal_error")])
    sender = deliverer(outbox, transport)
    assert sender.deliver_one()
    assert outbox.rows()[0].last_error == "internal_error"
    assert not sender.deliver_one()  # not due for 2 s
    clock.advance(2.0)
    assert sender.deliver_one()  # fails again: next in 4 s
    clock.advance(3.9)
    assert not sender.deliver_one()
    clock.advance(0.1)
    assert sender.deliver_one()
    (row,) = outbox.rows()
    assert row.state == "sent" and row.attempts == 3 and row.last_error is None


def test_retry_after_is_honoured_and_pauses_the_channel(outbox: Outbox, clock: ManualClock) -> None:
    outbox.enqueue("a", message(channel="C1"))
    outbox.enqueue("b", message(channel="C1"))
    outbox.enqueue("c", message(channel="C2"))
    transport = FakeTransport(plan=[Retry("rate limited", after=30.0)])
    sender = deliverer(outbox, transport, pace=0.0)
    assert sender.deliver_one()  # a: 429, Retry-After 30
    assert sender.deliver_one()  # c: another channel goes on
    assert not sender.deliver_one()  # b waits for C1 to be allowed again
    clock.advance(30.0)
    assert sender.deliver_one() and sender.deliver_one()
    assert [key for key, _ in transport.sent] == ["a", "c", "a", "b"]


def test_posts_are_paced_per_channel(outbox: Outbox, clock: ManualClock) -> None:
    for key in ("a", "b"):
        outbox.enqueue(key, message(channel="C1"))
    outbox.enqueue("c", message(channel="C2"))
    transport = FakeTransport()
    sender = deliverer(outbox, transport, pace=1.0)
    assert sender.deliver_one() and sender.deliver_one()  # a to C1, c to C2
    assert not sender.deliver_one()  # b: C1 had a message less than a second ago
    clock.advance(1.0)
    assert sender.deliver_one()
    assert [key for key, _ in transport.sent] == ["a", "c", "b"]


def test_a_permanent_error_fails_the_row_once_and_logs_who_and_what(
    outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    outbox.enqueue("k", message(user="U7"))
    transport = FakeTransport(plan=[Failed("channel_not_found")])
    with caplog.at_level(logging.ERROR):
        assert deliverer(outbox, transport).deliver_one()
    assert not deliverer(outbox, transport).deliver_one()  # never retried by itself
    (row,) = outbox.rows(["failed"])
    assert row.last_error == "channel_not_found"
    assert "for U7" in caplog.text and "channel_not_found" in caplog.text
    assert f"outbox retry {row.id}" in caplog.text


def test_transient_failures_give_up_after_a_day(outbox: Outbox, clock: ManualClock) -> None:
    outbox.enqueue("k", message())
    clock.advance(GIVE_UP_AFTER.total_seconds() + 1)
    transport = FakeTransport(plan=[Retry("service_unavailable")])
    deliverer(outbox, transport).deliver_one()
    (row,) = outbox.rows()
    assert row.state == "failed" and "gave up after 1 attempts" in str(row.last_error)


def test_an_unexpected_exception_is_retried_not_lost(outbox: Outbox) -> None:
    class Broken(FakeTransport):
        def send(self, row: Row, late: bool) -> Delivery:
            raise RuntimeError("bug")

    outbox.enqueue("k", message())
    deliverer(outbox, Broken()).deliver_one()
    (row,) = outbox.rows()
    assert row.state == "pending" and row.last_error == "RuntimeError: bug"


def test_retry_makes_failed_rows_due_again(outbox: Outbox) -> None:
    for key in ("a", "b"):
        outbox.enqueue(key, message())
    transport = FakeTransport(plan=[Failed("not_in_channel"), Failed("not_in_channel")])
    sender = deliverer(outbox, transport, pace=0.0)
    sender.deliver_one()
    sender.deliver_one()
    first, second = sorted(outbox.rows(["failed"]), key=lambda r: r.id)
    assert outbox.retry([first.id]) == 1
    assert outbox.get(first.id).state == "pending" and outbox.get(first.id).attempts == 0
    with pytest.raises(InvalidInput):
        outbox.retry([first.id])  # not failed any more
    with pytest.raises(NotFound):
        outbox.retry([999])
    assert outbox.retry(all_failed=True) == 1
    assert outbox.backlog().failed == 0 and outbox.backlog().undelivered == 2


def test_a_row_left_sending_is_looked_up_before_it_is_sent_again(
    outbox: Outbox, clock: ManualClock
) -> None:
    outbox.enqueue("arrived", message(channel="C1"))
    outbox.enqueue("lost", message(channel="C2"))
    # A deliverer claims both, then its process dies before it marks them.
    assert outbox.claim("dead", pace=0.0) and outbox.claim("dead", pace=0.0)
    transport = FakeTransport(found={"arrived": Sent("C1", "5.0")})
    sender = deliverer(outbox, transport, pace=0.0)
    assert not sender.deliver_one()  # their lease has not run out yet
    clock.advance(LEASE_SECONDS)
    assert sender.deliver_one() and sender.deliver_one()
    assert sorted(transport.lookups) == ["arrived", "lost"]
    assert transport.sent == [("lost", False)]  # the one that had arrived is not sent again
    assert {r.state for r in outbox.rows()} == {"sent"}


def test_the_sweep_requeues_stuck_rows_and_purges_old_delivered_ones(
    outbox: Outbox, clock: ManualClock
) -> None:
    outbox.enqueue("old", message())
    deliverer(outbox, FakeTransport()).deliver_one()
    outbox.enqueue("stuck", message(channel="C2"))
    outbox.claim("dead", pace=0.0)
    clock.advance(31 * 24 * 3600)
    assert outbox.sweep() == (1, 1)
    (row,) = outbox.rows()
    assert row.key == "stuck" and row.state == "pending" and row.check_first


def test_a_message_delivered_long_after_its_cause_says_it_is_late(
    outbox: Outbox, clock: ManualClock
) -> None:
    outbox.enqueue("k", message(asked_at=clock.now))
    clock.advance(LATE_AFTER.total_seconds() + 1)
    transport = FakeTransport()
    deliverer(outbox, transport).deliver_one()
    assert transport.sent == [("k", True)]


def test_the_backlog_counts_undelivered_rows_and_the_oldest_age(
    outbox: Outbox, clock: ManualClock
) -> None:
    assert (outbox.backlog().undelivered, outbox.backlog().oldest_age) == (0, 0.0)
    outbox.enqueue("a", message())
    clock.advance(90)
    outbox.enqueue("b", message())
    backlog = outbox.backlog()
    assert (backlog.undelivered, backlog.oldest_age, backlog.failed) == (2, 90.0, 0)


def test_two_deliverers_on_one_database_send_each_row_once(fresh_store: Store) -> None:
    sends: list[str] = []
    lock = threading.Lock()

    class Recording(FakeTransport):
        def send(self, row: Row, late: bool) -> Delivery:
            with lock:
                sends.append(row.key)
            return Sent()

    deliver_from_two_stores(fresh_store, Recording, rows=200, channels=10)
    assert sorted(sends) == sorted(f"k{n}" for n in range(200))


def deliver_from_two_stores(
    store: Store, transport: Callable[[], FakeTransport], rows: int, channels: int
) -> None:
    """Enqueue rows k0, k1, ... to ``channels`` channels in turn, and deliver them with three
    deliverer threads on each of two stores of the file (as two processes, each with its
    own connections), unpaced and retrying at once, until none is left."""
    other = Store(store.path)
    try:
        boxes = [Outbox(store, _utc_now), Outbox(other, _utc_now)]
        for number in range(rows):
            boxes[0].enqueue(f"k{number}", message(channel=f"C{number % channels}"))
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=Deliverer(box, transport(), pace=0.0, first_backoff=0.01).run,
                args=(stop, 0.001),
            )
            for box in boxes
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        _wait(lambda: boxes[0].backlog().undelivered == 0)
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        other.close()


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _wait(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


# --- The update route: chat.update of a message an earlier row sent ----------------------


def update(of: str, text: str) -> Message:
    return Message(
        kind="escalation_update",
        route="update",
        channel="C1",
        content={"text": text, "blocks": []},
        lang="en",
        about=f"update of {of}",
        update_of=of,
    )


@dataclass
class UpdatingTransport(FakeTransport):
    """Records where each update goes: the channel and ts of the message it edits."""

    updates: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    def send(self, row: Row, late: bool) -> Delivery:
        if row.route == "update":
            assert row.target is not None
            self.updates.append((row.content["text"], row.target.channel, row.target.ts))
        return super().send(row, late)


def test_an_update_waits_until_the_message_it_edits_is_sent(
    outbox: Outbox, clock: ManualClock
) -> None:
    transport = UpdatingTransport(plan=[Retry("down"), Sent("D1", "111.1")])
    sender = deliverer(outbox, transport, pace=0)
    outbox.enqueue("notice:1", message(channel="U1"))
    outbox.enqueue("update:1:ack", update("notice:1", "acknowledged"))
    assert sender.deliver_one() is True  # the notice fails for now
    assert sender.deliver_one() is False  # the update may not go before it
    assert outbox.by_key("update:1:ack").state == "pending"  # type: ignore[union-attr]
    clock.advance(60)
    assert sender.deliver_one() is True  # the notice, now sent as D1/111.1
    assert sender.deliver_one() is True  # then the update, to that channel and ts
    assert transport.updates == [("acknowledged", "D1", "111.1")]
    assert outbox.by_key("update:1:ack").state == "sent"  # type: ignore[union-attr]


def test_updates_of_one_message_go_in_order_the_last_one_last(
    outbox: Outbox, clock: ManualClock
) -> None:
    transport = UpdatingTransport()
    sender = deliverer(outbox, transport, pace=0)
    outbox.enqueue("notice:1", message())
    sender.deliver_one()
    outbox.enqueue("update:1:ack", update("notice:1", "acknowledged"))
    outbox.enqueue("update:1:resolved", update("notice:1", "resolved"))
    transport.plan = [Retry("429", after=30)]  # the first update must wait
    assert sender.deliver_one() is True
    assert sender.deliver_one() is False  # the second does not overtake it
    clock.advance(31)
    while sender.deliver_one():
        pass
    assert [text for text, _, _ in transport.updates] == [
        "acknowledged",
        "acknowledged",
        "resolved",
    ]


def test_an_update_of_a_message_that_failed_fails_too(outbox: Outbox) -> None:
    transport = UpdatingTransport(plan=[Failed("channel_not_found")])
    sender = deliverer(outbox, transport)
    outbox.enqueue("notice:1", message())
    outbox.enqueue("update:1:ack", update("notice:1", "acknowledged"))
    sender.deliver_one()
    row = outbox.by_key("update:1:ack")
    assert row is not None and row.state == "failed"
    assert row.last_error == "the message it updates failed: channel_not_found"
    assert transport.updates == []


def test_an_update_of_a_purged_message_fails_at_the_sweep(
    outbox: Outbox, clock: ManualClock
) -> None:
    outbox.enqueue("update:9:ack", update("notice:9", "acknowledged"))  # notice:9 is gone
    outbox.sweep()
    row = outbox.by_key("update:9:ack")
    assert row is not None and row.state == "failed" and "gone" in (row.last_error or "")


# --- Order within a channel: head of line per destination -----------------------------------


def test_a_failed_send_holds_back_the_younger_rows_of_its_channel_until_it_is_sent(
    outbox: Outbox, clock: ManualClock
) -> None:
    outbox.enqueue("raised", message(channel="C1"))
    outbox.enqueue("acknowledged", message(channel="C1"))
    outbox.enqueue("other", message(channel="C2"))
    transport = FakeTransport(plan=[Retry("internal_error")])
    sender = deliverer(outbox, transport, pace=0.0)
    assert sender.deliver_one()  # raised: fails, due again in 2 s
    assert sender.deliver_one()  # other: another channel is not held
    assert not sender.deliver_one()  # acknowledged is due, but raised must go first
    assert outbox.by_key("acknowledged").state == "pending"  # type: ignore[union-attr]
    clock.advance(2.0)
    while sender.deliver_one():
        pass
    assert [key for key, _ in transport.sent] == ["raised", "other", "raised", "acknowledged"]


def test_a_row_being_sent_holds_back_its_channel_for_every_deliverer(outbox: Outbox) -> None:
    outbox.enqueue("a", message(channel="C1"))
    outbox.enqueue("b", message(channel="C1"))
    outbox.enqueue("c", message(channel="C2"))
    first = outbox.claim("one", pace=0.0)
    assert first is not None and first.key == "a"
    second = outbox.claim("two", pace=0.0)  # not b while a is on its way
    assert second is not None and second.key == "c"
    assert outbox.claim("two", pace=0.0) is None
    outbox.mark_sent(first, Sent("C1", "1.0"))
    third = outbox.claim("two", pace=0.0)
    assert third is not None and third.key == "b"


def test_a_permanently_failed_row_does_not_block_its_channel(outbox: Outbox) -> None:
    outbox.enqueue("a", message(channel="C1"))
    outbox.enqueue("b", message(channel="C1"))
    transport = FakeTransport(plan=[Failed("msg_too_long")])
    sender = deliverer(outbox, transport, pace=0.0)
    assert sender.deliver_one() and sender.deliver_one()
    assert [key for key, _ in transport.sent] == ["a", "b"]
    assert outbox.by_key("b").state == "sent"  # type: ignore[union-attr]


def test_an_upload_keeps_its_place_among_the_posts_to_its_channel(
    outbox: Outbox, clock: ManualClock
) -> None:
    outbox.enqueue("digest", message(channel="C1"))
    outbox.enqueue("chart", dataclasses.replace(message(channel="C1"), route="upload"))
    transport = FakeTransport(plan=[Retry("internal_error")])
    sender = deliverer(outbox, transport, pace=0.0)
    assert sender.deliver_one()
    assert not sender.deliver_one()  # the chart waits for the digest's text
    clock.advance(2.0)
    while sender.deliver_one():
        pass
    assert [key for key, _ in transport.sent] == ["digest", "digest", "chart"]


def test_an_ask_answer_is_not_held_back_by_posts_to_the_channel_it_was_asked_in(
    outbox: Outbox,
) -> None:
    outbox.enqueue("mention", message(channel="C1"))
    outbox.enqueue(
        "ask",
        dataclasses.replace(
            message(channel="C1"), route="response_url", response_url="https://hooks/1"
        ),
    )
    transport = FakeTransport(plan=[Retry("internal_error")])
    sender = deliverer(outbox, transport, pace=0.0)
    assert sender.deliver_one() and sender.deliver_one()
    assert [key for key, _ in transport.sent] == ["mention", "ask"]


def test_the_next_turn_of_a_channel_counts_from_when_the_claim_got_the_write_lock(
    fresh_store: Store,
) -> None:
    class Watched(ManualClock):
        """Says when it is read."""

        def __init__(self) -> None:
            super().__init__()
            self.read = threading.Event()

        def __call__(self) -> dt.datetime:
            self.read.set()
            return super().__call__()

    clock = Watched()
    outbox = Outbox(fresh_store, clock)
    outbox.enqueue("a", message(channel="C1"))
    outbox.enqueue("b", message(channel="C1"))
    claimed: list[Row | None] = []

    def claim() -> None:
        claimed.append(outbox.claim("waiting", pace=1.0))
        fresh_store.close_thread_connection()

    with fresh_store.transaction():  # another writer holds the lock
        clock.read.clear()
        waiting = threading.Thread(target=claim)
        waiting.start()
        assert clock.read.wait(10)  # the claim has looked at the clock, then waits
        clock.advance(0.9)  # ... for 0.9 s
    waiting.join()
    (first,) = claimed
    assert first is not None and first.key == "a"
    outbox.mark_sent(first, Sent("C1", "1.0"))
    clock.advance(0.1)  # 1 s after the claim read the clock, 0.1 s after it took the row
    assert outbox.claim("next", pace=1.0) is None
    clock.advance(0.9)
    second = outbox.claim("next", pace=1.0)
    assert second is not None and second.key == "b"


def test_two_deliverers_keep_each_channels_order_through_failures(fresh_store: Store) -> None:
    sends: list[tuple[str, int]] = []
    in_flight: set[str] = set()
    overlaps: list[str] = []
    failed_once: set[int] = set()
    lock = threading.Lock()

    class Flaky(FakeTransport):
        """Fails the first attempt of every third row; notes two sends to one channel at once."""

        def send(self, row: Row, late: bool) -> Delivery:
            number = int(row.key[1:])
            with lock:
                if row.channel in in_flight:
                    overlaps.append(row.channel)
                in_flight.add(row.channel)
            try:
                time.sleep(0.001)
                with lock:
                    if number % 3 == 0 and number not in failed_once:
                        failed_once.add(number)
                        return Retry("internal_error")
                    sends.append((row.channel, number))
                    return Sent()
            finally:
                with lock:
                    in_flight.discard(row.channel)

    deliver_from_two_stores(fresh_store, Flaky, rows=120, channels=4)
    assert overlaps == []
    assert sorted(n for _, n in sends) == list(range(120))  # each once
    for channel in {c for c, _ in sends}:
        numbers = [n for c, n in sends if c == channel]
        assert numbers == sorted(numbers), channel
