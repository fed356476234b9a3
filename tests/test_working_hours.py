"""Deadlines in wall-clock and working time, working hours and days, and their settings."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.working_hours import (
    Deadline,
    WorkingHours,
    parse_days,
    parse_deadlines,
    parse_hours,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
HOURS = WorkingHours(dt.time(9), dt.time(17), frozenset(range(5)), BRUSSELS)


def local(day: int, hour: int, minute: int = 0, month: int = 12) -> dt.datetime:
    """A time in Brussels in December 2026 (Tuesday the 1st ... Friday the 4th)."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BRUSSELS)


@pytest.mark.parametrize(
    ("raised", "deadline", "due"),
    [
        (local(1, 10), Deadline(15, "m"), local(1, 10, 15)),  # crisis: clock time
        (local(5, 3), Deadline(15, "m"), local(5, 3, 15)),  # ... on a Saturday night too
        (local(1, 10), Deadline(60, "m"), local(1, 11)),
        (local(1, 10), Deadline(1, "wd"), local(2, 10)),  # a working day later
        (local(4, 16), Deadline(1, "wd"), local(7, 16)),  # Friday 16:00 -> Monday 16:00
        (local(5, 11), Deadline(1, "wd"), local(7, 17)),  # Saturday -> Monday at closing
        (local(1, 20), Deadline(1, "wd"), local(2, 17)),  # after hours -> next day's end
        (local(1, 7), Deadline(1, "wd"), local(1, 17)),  # before hours -> that day's end
        (local(1, 16), Deadline(2, "wh"), local(2, 10)),  # working hours across the night
        (local(1, 10), Deadline(2, "d"), local(3, 10)),
    ],
)
def test_deadlines(raised: dt.datetime, deadline: Deadline, due: dt.datetime) -> None:
    assert HOURS.after(raised, deadline) == due.astimezone(dt.UTC)


def test_a_working_day_across_the_change_to_summer_time_keeps_local_hours() -> None:
    friday = dt.datetime(2026, 3, 27, 16, tzinfo=BRUSSELS)  # the clocks go forward on the 29th
    assert HOURS.after(friday, Deadline(1, "wd")) == dt.datetime(2026, 3, 30, 16, tzinfo=BRUSSELS)


def test_working_hours_in_another_zone_and_week() -> None:
    sun_thu = WorkingHours(dt.time(8), dt.time(16), parse_days("sun-thu"), ZoneInfo("Asia/Dubai"))
    thursday = dt.datetime(2026, 12, 3, 15, tzinfo=ZoneInfo("Asia/Dubai"))
    due = sun_thu.after(thursday, Deadline(1, "wd"))
    assert due == dt.datetime(2026, 12, 6, 15, tzinfo=ZoneInfo("Asia/Dubai"))  # Sunday
    assert sun_thu.is_working(due - dt.timedelta(minutes=1))
    assert not sun_thu.is_working(dt.datetime(2026, 12, 4, 10, tzinfo=ZoneInfo("Asia/Dubai")))


def test_deadline_settings_keep_the_defaults_of_severities_left_out() -> None:
    assert parse_deadlines("crisis=15m,high=60m,normal=1wd") == {
        "crisis": Deadline(15, "m"),
        "high": Deadline(60, "m"),
        "normal": Deadline(1, "wd"),
    }
    assert parse_deadlines("high = 2H")["high"] == Deadline(2, "h")
    assert parse_deadlines("high=2h")["normal"] == Deadline(1, "wd")


@pytest.mark.parametrize("text", ["urgent=5m", "high=5", "high=0m", "high=5x", "crisis"])
def test_bad_deadline_settings_say_what_is_wrong(text: str) -> None:
    with pytest.raises(ValueError):
        parse_deadlines(text)


def test_hours_and_days_settings() -> None:
    assert parse_hours("08:30-16:30") == (dt.time(8, 30), dt.time(16, 30))
    assert parse_days("mon-fri") == frozenset(range(5))
    assert parse_days("Mon, Wed,fri") == frozenset({0, 2, 4})
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})
    for bad in ("17:00-09:00", "9-17", "25:00-26:00"):
        with pytest.raises(ValueError):
            parse_hours(bad)
    for bad in ("", "monday-friday-x", "weekdays"):
        with pytest.raises(ValueError):
            parse_days(bad)
