"""The scheduler: slots in a time zone across DST, missed-slot rules, one run per slot."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest

from bot.db import Store
from bot.errors import BotError, InvalidInput, NotFound
from bot.scheduler import GRACE, Job, Scheduler, due, slots_after
from tests.conftest import ManualClock, tick_together

BRUSSELS = ZoneInfo("Europe/Brussels")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BRUSSELS)  # type: ignore[misc]


def utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")


def first(cron: str, after: dt.datetime, count: int) -> list[str]:
    slots = slots_after(cron, after, BRUSSELS)
    return [utc(next(slots)) for _ in range(count)]


# DST in Europe/Brussels: 2026-03-29 02:00 → 03:00, 2026-10-25 03:00 → 02:00,
# 2027-03-28 02:00 → 03:00, 2027-10-31 03:00 → 02:00.
@pytest.mark.parametrize(
    ("cron", "after", "expected"),
    [
        # A weekly Monday 09:00 stays 09:00 local time on both sides of each change.
        ("0 9 * * 1", local(2026, 3, 27), ["2026-03-30 07:00", "2026-04-06 07:00"]),
        ("0 9 * * 1", local(2026, 10, 23), ["2026-10-26 08:00", "2026-11-02 08:00"]),
        ("0 9 * * 1", local(2027, 3, 26), ["2027-03-29 07:00", "2027-04-05 07:00"]),
        ("0 9 * * 1", local(2027, 10, 29), ["2027-11-01 08:00", "2027-11-08 08:00"]),
        # A daily 02:30 that does not exist in spring runs once, at the jump (03:00 CEST)...
        ("30 2 * * *", local(2026, 3, 28, 12), ["2026-03-29 01:00", "2026-03-30 00:30"]),
        ("30 2 * * *", local(2027, 3, 27, 12), ["2027-03-28 01:00", "2027-03-29 00:30"]),
        # ... and one that occurs twice in autumn runs once.
        ("30 2 * * *", local(2026, 10, 24, 12), ["2026-10-25 00:30", "2026-10-26 01:30"]),
        ("30 2 * * *", local(2027, 10, 30, 12), ["2027-10-31 00:30", "2027-11-01 01:30"]),
        # An hourly job runs every real hour: 23 on the spring day, 25 in autumn.
        ("0 * * * *", local(2026, 10, 25, 1, 30), ["2026-10-25 00:00", "2026-10-25 01:00"]),
    ],
)
def test_slots_follow_local_time_across_dst(
    cron: str, after: dt.datetime, expected: list[str]
) -> None:
    assert first(cron, after, len(expected)) == expected


@pytest.mark.parametrize(("day", "runs"), [((2026, 3, 29), 23), ((2026, 10, 25), 25)])
def test_an_hourly_job_runs_once_per_real_hour_on_a_dst_day(
    day: tuple[int, int, int], runs: int
) -> None:
    start, end = local(*day), local(*day) + dt.timedelta(days=1)
    start_utc = start.astimezone(dt.UTC)
    end_utc = (local(*day) + dt.timedelta(days=1)).astimezone(dt.UTC)
    slots = slots_after("0 * * * *", start - dt.timedelta(seconds=1), BRUSSELS)
    count = 0
    for slot in slots:
        if slot.astimezone(dt.UTC) >= end_utc:
            break
        assert slot.astimezone(dt.UTC) >= start_utc
        count += 1
    assert count == runs and end > start


def job(name: str = "tick", cron: str = "*/5 * * * *", missed: str = "run_once") -> Job:
    return Job(name, cron, lambda slot: "done", "a test job", missed=missed)  # type: ignore[arg-type]


def test_due_runs_the_latest_missed_slot_once_or_skips_it() -> None:
    last = local(2026, 11, 20, 8, 0)
    now = local(2026, 11, 20, 9, 1)  # 12 slots of */5 passed
    plan = due(job(), last, now, BRUSSELS)
    assert plan.slot == local(2026, 11, 20, 9, 0) and plan.missed == 11 and not plan.skip
    skipped = due(job(missed="skip"), last, now, BRUSSELS)
    assert skipped.slot == local(2026, 11, 20, 9, 0) and not skipped.skip  # 1 min < grace
    hourly = job(cron="0 * * * *", missed="skip")
    late = due(hourly, last, local(2026, 11, 20, 9, 0) + GRACE + dt.timedelta(seconds=1), BRUSSELS)
    assert late.slot == local(2026, 11, 20, 9, 0) and late.skip
    assert due(job(), now, now + dt.timedelta(minutes=3), BRUSSELS).slot is None


def test_a_bad_cron_expression_is_refused() -> None:
    with pytest.raises(InvalidInput, match="bad schedule"):
        job(cron="61 * * * *")


def test_a_job_runs_at_its_slots_and_not_at_first_sight(fresh_store: Store) -> None:
    clock = ManualClock(local(2026, 11, 20, 9, 2))
    runs: list[dt.datetime] = []
    tick = Job("tick", "*/5 * * * *", lambda slot: str(runs.append(slot)), "test")
    scheduler = Scheduler(fresh_store, [tick], BRUSSELS, clock)
    assert scheduler.tick() == []  # first sight: remembered, not run
    clock.now = local(2026, 11, 20, 9, 4)
    assert scheduler.tick() == []
    clock.now = local(2026, 11, 20, 9, 5, 3)
    assert scheduler.tick() == ["tick"]
    assert scheduler.tick() == []  # once per slot
    clock.now = local(2026, 11, 20, 9, 31)  # five slots missed: run once, late
    assert scheduler.tick() == ["tick"]
    assert runs == [local(2026, 11, 20, 9, 5), local(2026, 11, 20, 9, 30)]
    (state,) = scheduler.states()
    assert state.last_outcome == "ok" and state.running_slot is None


def test_a_skip_job_skips_a_slot_missed_by_more_than_the_grace(fresh_store: Store) -> None:
    clock = ManualClock(local(2026, 11, 20, 8, 59))
    runs: list[dt.datetime] = []
    digest = Job("digest", "0 9 * * *", lambda s: str(runs.append(s)), "t", missed="skip")
    scheduler = Scheduler(fresh_store, [digest], BRUSSELS, clock)
    scheduler.tick()
    clock.now = local(2026, 11, 20, 11, 0)  # the process was down at 09:00
    assert scheduler.tick() == ["digest"]
    assert runs == [] and scheduler.states()[0].last_outcome == "skipped"
    clock.now = local(2026, 11, 21, 9, 1)
    scheduler.tick()
    assert runs == [local(2026, 11, 21, 9, 0)]


def test_a_failing_job_is_recorded_and_the_others_still_run(fresh_store: Store) -> None:
    clock = ManualClock(local(2026, 11, 20, 9, 0))

    def broken(slot: dt.datetime) -> str:
        raise RuntimeError("boom")

    ran: list[str] = []
    jobs = [
        Job("broken", "* * * * *", broken, "t"),
        Job("fine", "* * * * *", lambda s: str(ran.append("fine")), "t"),
    ]
    scheduler = Scheduler(fresh_store, jobs, BRUSSELS, clock)
    scheduler.tick()
    clock.now += dt.timedelta(minutes=1)
    assert scheduler.tick() == ["broken", "fine"]
    broken_state = scheduler.states()[0]
    assert broken_state.last_outcome == "failed" and broken_state.last_error == "RuntimeError: boom"
    assert ran == ["fine"]


def test_an_interrupted_run_once_job_runs_again(fresh_store: Store) -> None:
    clock = ManualClock(local(2026, 11, 20, 9, 0))
    runs: list[dt.datetime] = []
    tick = Job("tick", "0 10 * * *", lambda s: str(runs.append(s)), "t", lease=0.5)
    scheduler = Scheduler(fresh_store, [tick], BRUSSELS, clock)
    scheduler.tick()
    # A process started the 09:00 slot and died: the row says running, its lease ran out.
    slot = local(2026, 11, 20, 9, 0).astimezone(dt.UTC).isoformat()
    with fresh_store.transaction() as db:
        db.execute("update scheduled_jobs set running_slot = ? where name = 'tick'", [slot])
    assert scheduler.tick() == ["tick"]
    assert runs == [local(2026, 11, 20, 9, 0)]


def test_two_schedulers_on_one_database_run_each_slot_once(fresh_store: Store) -> None:
    clock = ManualClock(local(2026, 11, 20, 9, 0))
    runs: list[dt.datetime] = []
    lock = threading.Lock()

    def slow(slot: dt.datetime) -> str:
        with lock:
            runs.append(slot)
        threading.Event().wait(0.05)
        return "ok"

    other_store = Store(fresh_store.path)
    try:
        schedulers = [
            Scheduler(store, [Job("slow", "* * * * *", slow, "t")], BRUSSELS, clock)
            for store in (fresh_store, other_store)
        ]
        schedulers[0].tick()
        for minute in range(1, 6):
            clock.now = local(2026, 11, 20, 9, minute)
            tick_together(schedulers)
    finally:
        other_store.close()
    assert runs == [local(2026, 11, 20, 9, m) for m in range(1, 6)]


def test_run_now_runs_a_job_by_name_and_refuses_unknown_or_busy_ones(
    fresh_store: Store,
) -> None:
    clock = ManualClock(local(2026, 11, 20, 9, 0))
    scheduler = Scheduler(fresh_store, [job("sweep")], BRUSSELS, clock)
    assert scheduler.run_now("sweep") == "done"
    assert scheduler.states()[0].last_outcome == "ok"
    with pytest.raises(NotFound, match="sweep"):
        scheduler.run_now("nope")
    other = Scheduler(fresh_store, [job("sweep")], BRUSSELS, clock)
    assert other._leases["sweep"].renew()  # another process is running it
    with pytest.raises(BotError, match="running in another process"):
        scheduler.run_now("sweep")


def test_next_slot_is_in_the_schedulers_zone(fresh_store: Store) -> None:
    clock = ManualClock(local(2026, 11, 20, 9, 2))
    scheduler = Scheduler(fresh_store, [job("tick")], BRUSSELS, clock)
    assert scheduler.next_slot("tick") == local(2026, 11, 20, 9, 5)
