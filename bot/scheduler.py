"""Named periodic jobs on cron schedules, in one time zone, run once per slot.

Every ``socialbot serve`` process runs a :class:`Scheduler`; for each slot of each job,
exactly one of them runs it: the job's lease in the database keeps a second process out
while one runs it, and the slot is recorded as done under that lease. The schedule
arithmetic is cronsim's, which handles daylight saving time as Debian's cron does: a time
skipped in spring runs at the jump, a time that occurs twice in autumn runs once.

A job whose slot passed while no process ran (a stop, a long outage) follows its rule for a
missed slot: ``run_once`` runs it once, late, however many slots were missed; ``skip``
leaves it to the next slot unless the slot is less than ``grace`` old.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

from bot.db import Lease, Store
from bot.errors import BotError, InvalidInput, NotFound

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
Missed = Literal["run_once", "skip"]

# A slot no older than this still runs under the "skip" rule: the scheduler looks every
# few seconds, and a start-up takes a while.
GRACE = dt.timedelta(minutes=5)
# How many slots are walked to find the latest one missed (a minutely job down for weeks).
_MAX_SLOTS = 100_000


@dataclass(frozen=True)
class Job:
    """A named job: run ``run(slot)`` at each time ``cron`` (five-field cron syntax, in the
    scheduler's time zone) gives; ``missed`` says what happens to a slot that passed while
    nothing ran; ``lease`` is how long one run may take before another process may start it
    again."""

    name: str
    cron: str
    run: Callable[[dt.datetime], str]
    description: str
    missed: Missed = "run_once"
    lease: float = 600.0

    def __post_init__(self) -> None:
        try:
            CronSim(self.cron, dt.datetime(2026, 1, 1))
        except CronSimError as exc:
            raise InvalidInput(f"job {self.name}: bad schedule {self.cron!r}: {exc}") from None


@dataclass(frozen=True)
class JobState:
    """What the database knows of a job's runs (times are ISO strings in UTC)."""

    name: str
    last_slot: str | None
    running_slot: str | None
    last_started: str | None
    last_finished: str | None
    last_outcome: str | None
    last_error: str | None


@dataclass(frozen=True)
class Due:
    """The slot to run now (None: nothing to run) and how many slots it stands for."""

    slot: dt.datetime | None
    missed: int = 0
    skip: bool = False


def slots_after(cron: str, after: dt.datetime, zone: ZoneInfo) -> CronSim:
    """The times of ``cron`` in ``zone`` strictly after ``after``, as aware datetimes."""
    return CronSim(cron, after.astimezone(zone))


def due(job: Job, last_slot: dt.datetime, now: dt.datetime, zone: ZoneInfo) -> Due:
    """Which slot of ``job`` to run at ``now``, its last slot done being ``last_slot``."""
    latest: dt.datetime | None = None
    count = 0
    for slot in slots_after(job.cron, last_slot, zone):
        if slot > now or count >= _MAX_SLOTS:
            break
        latest, count = slot, count + 1
    if latest is None:
        return Due(None)
    if job.missed == "skip" and now - latest > GRACE:
        return Due(latest, count - 1, skip=True)
    return Due(latest, count - 1)


class Scheduler:
    """Runs ``jobs`` when they are due; see the module's docstring."""

    def __init__(self, store: Store, jobs: Sequence[Job], zone: ZoneInfo, clock: Clock) -> None:
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names must be unique: {names}")
        self.store = store
        self.jobs = {job.name: job for job in jobs}
        self.zone = zone
        self.clock = clock
        self._leases = {job.name: Lease(store, f"job:{job.name}", job.lease) for job in jobs}

    def tick(self) -> list[str]:
        """Run every job that is due now; the names of those run or skipped."""
        done = []
        for job in self.jobs.values():
            try:
                if self._tick(job):
                    done.append(job.name)
            except Exception:  # noqa: BLE001 - logged by _run; the other jobs still run
                done.append(job.name)
        return done

    def run(self, stop: threading.Event, every: float = 5.0) -> None:
        """Tick every ``every`` seconds until ``stop`` is set."""
        try:
            while not stop.is_set():
                try:
                    self.tick()
                except Exception:  # noqa: BLE001 - one bad tick must not end the scheduler
                    log.exception("the scheduler's tick failed; trying again")
                stop.wait(every)
        finally:
            for lease in self._leases.values():
                lease.close()

    def run_now(self, name: str) -> str:
        """Run job ``name`` at once, e.g. from cron; its summary. Raise NotFound for an
        unknown job and BotError while another process runs it."""
        job = self.job(name)
        lease = self._leases[name]
        if not lease.renew():
            raise BotError(f"job {name} is running in another process (until {lease.expiry()})")
        try:
            return self._run(job, self.clock(), record_slot=False, quiet=True)
        finally:
            lease.give_back()

    def job(self, name: str) -> Job:
        """The job called ``name``; raise NotFound naming the jobs there are."""
        try:
            return self.jobs[name]
        except KeyError:
            raise NotFound(f"no job {name!r}; the jobs are: {', '.join(self.jobs)}") from None

    def states(self) -> list[JobState]:
        """Each job's state, in the order the jobs were given."""
        return [self._state(name) for name in self.jobs]

    def next_slot(self, name: str) -> dt.datetime:
        """When job ``name`` is next due, in the scheduler's time zone."""
        job = self.job(name)
        state = self._state(name)
        after = self._parse(state.last_slot) or self.clock()
        now = self.clock()
        return next(s for s in slots_after(job.cron, max(after, now), self.zone))

    def _tick(self, job: Job) -> bool:
        state = self._state(job.name)
        now = self.clock()
        if state.last_slot is None:  # first sight: the first run is at the next slot
            self._write(job.name, last_slot=now)
            return False
        last = self._parse(state.last_slot)
        assert last is not None
        if state.running_slot is None and due(job, last, now, self.zone).slot is None:
            return False  # the common case takes no lease and writes nothing
        lease = self._leases[job.name]
        if not lease.renew():
            return False  # another process runs it
        try:
            state = self._state(job.name)  # as it is now that this process holds the lease
            interrupted = self._parse(state.running_slot)
            if interrupted is not None:  # its runner stopped before it finished
                if job.missed == "run_once":
                    log.warning("job %s was interrupted; running it again", job.name)
                    self._run(job, interrupted)
                    return True
                self._write(job.name, running_slot=None, last_outcome="interrupted")
            last = self._parse(state.last_slot)
            assert last is not None
            plan = due(job, last, now, self.zone)
            if plan.slot is None:
                return False
            if plan.skip:
                log.info("job %s: slot %s missed; skipped", job.name, plan.slot.isoformat())
                self._write(job.name, last_slot=plan.slot, last_outcome="skipped")
                return True
            if plan.missed:
                log.info("job %s: %d slots missed; running once, late", job.name, plan.missed)
            self._run(job, plan.slot)
            return True
        finally:
            lease.give_back()

    def _run(
        self, job: Job, slot: dt.datetime, record_slot: bool = True, quiet: bool = False
    ) -> str:
        """Run ``job`` for ``slot`` and record the outcome; a failure is logged with its
        traceback (unless ``quiet``: the caller reports it) and raised."""
        started = self.clock()
        self._write(job.name, running_slot=slot, last_started=started)
        begun = time.perf_counter()
        try:
            summary = job.run(slot)
        except Exception as error:
            if not quiet:
                log.exception("job %s failed", job.name)
            self._write(
                job.name,
                running_slot=None,
                last_finished=self.clock(),
                last_outcome="failed",
                last_error=f"{type(error).__name__}: {error}",
                **({"last_slot": slot} if record_slot else {}),
            )
            raise
        log.info("job %s: %s (%.2f s)", job.name, summary, time.perf_counter() - begun)
        self._write(
            job.name,
            running_slot=None,
            last_finished=self.clock(),
            last_outcome="ok",
            last_error=None,
            **({"last_slot": slot} if record_slot else {}),
        )
        return summary

    def _state(self, name: str) -> JobState:
        row = self.store.db.execute(
            "select name, last_slot, running_slot, last_started, last_finished, last_outcome, "
            "last_error from scheduled_jobs where name = ?",
            [name],
        ).fetchone()
        if row is None:
            return JobState(name, None, None, None, None, None, None)
        return JobState(*row)

    def _write(self, name: str, **values: dt.datetime | str | None) -> None:
        stored = {
            k: v.astimezone(dt.UTC).isoformat() if isinstance(v, dt.datetime) else v
            for k, v in values.items()
        }
        with self.store.transaction() as db:
            db.table("scheduled_jobs").upsert({"name": name, **stored}, pk="name")

    @staticmethod
    def _parse(value: str | None) -> dt.datetime | None:
        return None if value is None else dt.datetime.fromisoformat(value)
