"""The health of a running socialbot: can it store what it accepts, is its backlog moving,
are its workers alive. ``/healthz`` reports it; a load balancer or monitor reads the status."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.intake import Intake
from bot.outbox import Outbox


@dataclass(frozen=True)
class Health:
    """Healthy or not, with one line per check and the figures a monitor may graph."""

    ok: bool
    problems: list[str]
    figures: dict[str, float] = field(default_factory=dict)


class HealthCheck:
    """Checks the database (still there, writable), the intake and outbox backlogs (none
    older than ``max_age`` seconds) and the workers (``workers_alive`` says how many run)."""

    def __init__(
        self,
        intake: Intake,
        outbox: Outbox,
        max_age: float,
        workers_alive: Callable[[], int],
    ) -> None:
        self.intake = intake
        self.outbox = outbox
        self.max_age = max_age
        self.workers_alive = workers_alive
        self._failure: tuple[float, str] | None = None

    def note_failure(self, problem: str) -> None:
        """Remember a failure seen elsewhere (an acked question that could not be stored):
        unhealthy for the next minute."""
        self._failure = (time.monotonic(), problem)

    def check(self) -> Health:
        """Run every check."""
        problems: list[str] = []
        figures: dict[str, float] = {}
        store = self.intake.store
        if not os.path.exists(store.path):
            problems.append(f"the database file {store.path} is gone")
        try:
            with store.transaction() as db:  # a write: a full disk or read-only file fails here
                db.execute(
                    "insert into meta (key, value) values ('health', ?) "
                    "on conflict (key) do update set value = excluded.value",
                    [str(time.time())],
                )
            queued, queued_age = self.intake.backlog()
            backlog = self.outbox.backlog()
        except sqlite3.Error as exc:
            problems.append(f"the database cannot be written: {exc}")
        else:
            figures.update(
                questions_waiting=queued,
                oldest_question_seconds=round(queued_age, 1),
                outbox_undelivered=backlog.undelivered,
                oldest_undelivered_seconds=round(backlog.oldest_age, 1),
                outbox_failed=backlog.failed,
            )
            if queued_age > self.max_age:
                problems.append(f"the oldest waiting question is {queued_age:.0f} s old")
            if backlog.oldest_age > self.max_age:
                problems.append(f"the oldest undelivered message is {backlog.oldest_age:.0f} s old")
        alive = self.workers_alive()
        figures["workers_alive"] = alive
        if alive == 0:
            problems.append("no worker is running")
        if self._failure and time.monotonic() - self._failure[0] < 60:
            problems.append(self._failure[1])
        return Health(not problems, problems, figures)
