"""Working hours and escalation deadlines: pure arithmetic over an aware clock time.

A deadline is wall-clock time (``15m``, ``2h``, ``1d``) or working time (``4wh`` working
hours, ``1wd`` a working day: as many working hours as one working day has), counted only
inside the working hours of the working days, in the configured time zone. An escalation
raised on Friday at 16:00 with a deadline of one working day (09:00-17:00, mon-fri) is due
on Monday at 16:00; one raised on Saturday is due on Monday at 17:00.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

Severity = Literal["crisis", "high", "normal"]
SEVERITIES: tuple[Severity, ...] = ("crisis", "high", "normal")
Unit = Literal["m", "h", "d", "wh", "wd"]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_DEADLINES = "crisis=15m,high=60m,normal=1wd"
DEFAULT_HOURS = "09:00-17:00"
DEFAULT_DAYS = "mon-fri"
_WALL_CLOCK = {"m": dt.timedelta(minutes=1), "h": dt.timedelta(hours=1), "d": dt.timedelta(days=1)}
# Working days searched for the end of a deadline before giving up (a year and more).
_MAX_DAYS = 800


@dataclass(frozen=True)
class Deadline:
    """``amount`` of ``unit``: m, h, d (wall clock) or wh, wd (working time)."""

    amount: int
    unit: Unit

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


@dataclass(frozen=True)
class WorkingHours:
    """The working days (0 is Monday) from ``start`` to ``end`` in ``zone``."""

    start: dt.time = dt.time(9)
    end: dt.time = dt.time(17)
    days: frozenset[int] = frozenset(range(5))
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Brussels"))

    @property
    def day_length(self) -> dt.timedelta:
        """The working time of one working day."""
        return dt.datetime.combine(dt.date.min, self.end) - dt.datetime.combine(
            dt.date.min, self.start
        )

    def is_working(self, moment: dt.datetime) -> bool:
        """Whether ``moment`` falls inside the working hours of a working day."""
        local = moment.astimezone(self.zone)
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def add(self, moment: dt.datetime, working: dt.timedelta) -> dt.datetime:
        """The moment ``working`` working time after ``moment`` (in UTC)."""
        remaining = working
        day = moment.astimezone(self.zone).date()
        now = moment.astimezone(dt.UTC)
        for _ in range(_MAX_DAYS):
            if day.weekday() in self.days:
                opens = dt.datetime.combine(day, self.start, self.zone).astimezone(dt.UTC)
                closes = dt.datetime.combine(day, self.end, self.zone).astimezone(dt.UTC)
                if now < closes:
                    begin = max(now, opens)
                    if remaining <= closes - begin:
                        return begin + remaining
                    remaining -= closes - begin
            day += dt.timedelta(days=1)
        raise ValueError("no working time in the next two years")

    def after(self, moment: dt.datetime, deadline: Deadline) -> dt.datetime:
        """When ``deadline`` from ``moment`` ends (in UTC)."""
        if deadline.unit in _WALL_CLOCK:
            return moment.astimezone(dt.UTC) + deadline.amount * _WALL_CLOCK[deadline.unit]
        unit = self.day_length if deadline.unit == "wd" else dt.timedelta(hours=1)
        return self.add(moment, deadline.amount * unit)


def parse_deadlines(text: str) -> dict[Severity, Deadline]:
    """``crisis=15m,high=60m,normal=1wd`` (severities left out keep their default); raise
    ValueError saying what is wrong."""
    deadlines = _parse_deadlines(DEFAULT_DEADLINES)
    deadlines.update(_parse_deadlines(text))
    return deadlines


def _parse_deadlines(text: str) -> dict[Severity, Deadline]:
    found: dict[Severity, Deadline] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, value = (s.strip().lower() for s in part.partition("="))
        matched = re.fullmatch(r"(\d{1,6})\s*(m|h|d|wh|wd)", value)
        if name not in SEVERITIES:
            raise ValueError(f"{name!r} is no severity (crisis, high, normal)")
        if not matched or int(matched[1]) < 1:
            raise ValueError(
                f"{part!r}: give a number and a unit: m, h, d (clock) or wh, wd (working "
                "hours, days), e.g. normal=1wd"
            )
        found[name] = Deadline(int(matched[1]), matched[2])  # type: ignore[arg-type]
    return found


def parse_hours(text: str) -> tuple[dt.time, dt.time]:
    """``09:00-17:00``; raise ValueError."""
    matched = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    try:
        if not matched:
            raise ValueError
        start = dt.time(int(matched[1]), int(matched[2]))
        end = dt.time(int(matched[3]), int(matched[4]))
    except ValueError:
        raise ValueError(f"{text!r}: give the hours as HH:MM-HH:MM, e.g. 09:00-17:00") from None
    if start >= end:
        raise ValueError(f"{text!r}: the working day must end after it starts")
    return start, end


def parse_days(text: str) -> frozenset[int]:
    """``mon-fri``, ``mon,tue,thu`` or ``sun-thu``; raise ValueError."""
    days: set[int] = set()
    for part in (p.strip().lower() for p in text.split(",") if p.strip()):
        first, _, last = (_day(s.strip()) for s in part.partition("-"))
        if not first or last is None or (last == "" and "-" in part):
            raise ValueError(f"{part!r}: use day names such as mon-fri or mon,wed,fri")
        start, end = DAYS.index(first), DAYS.index(last or first)
        days.update((start + i) % 7 for i in range((end - start) % 7 + 1))
    if not days:
        raise ValueError("give at least one working day, e.g. mon-fri")
    return frozenset(days)


_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _day(name: str) -> str | None:
    """A day's short name for ``name`` (short or full, English); "" for nothing, None for
    a word that is no day."""
    if not name:
        return ""
    if name in DAYS:
        return name
    return DAYS[_FULL_DAYS.index(name)] if name in _FULL_DAYS else None
