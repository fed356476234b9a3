"""A worker: the threads that answer waiting questions, deliver the outbox and run the
scheduled jobs, over one set of services. ``socialbot serve`` runs it in worker processes;
tests and small set-ups run it on threads of their own process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from bot.answering import Answerer, Replies
from bot.outbox import PACE_SECONDS, Deliverer, Transport
from bot.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tuning:
    """How a worker runs: threads answering and delivering, the questions an answering
    thread takes at a time (embedded together), the pace per channel, how often idle
    threads look for work, how often the scheduler looks at its jobs, and how long a
    question that failed waits before it is tried again (times the attempts so far), and
    the outbox's first wait after a failed send (doubled each time)."""

    answer_threads: int = 1
    answer_batch: int = 8
    deliver_threads: int = 4
    pace: float = PACE_SECONDS
    idle: float = 0.05
    schedule_every: float = 5.0
    retry_delay: float = 5.0
    first_backoff: float = 2.0


class Worker:
    """The threads of one worker; :meth:`run` blocks until ``stop`` is set."""

    def __init__(
        self, services: Services, transport: Transport, replies: Replies, tuning: Tuning
    ) -> None:
        self.services = services
        self.tuning = tuning
        self.answerer = Answerer(
            services.intake,
            services.questions,
            replies,
            services.settings.default_lang,
            tuning.retry_delay,
            crisis=services.crisis,
            batch=tuning.answer_batch,
        )
        self.deliverer = Deliverer(
            services.outbox,
            transport,
            pace=tuning.pace,
            first_backoff=tuning.first_backoff,
            on_failed=services.escalations.tell_when_nobody_was_reached,
        )

    def start(self, stop: threading.Event) -> list[threading.Thread]:
        """Start the threads; they end when ``stop`` is set."""
        tuning = self.tuning
        targets = [("answer", lambda: self.answerer.run(stop, tuning.idle))] * (
            tuning.answer_threads
        )
        targets += [("deliver", lambda: self.deliverer.run(stop, tuning.idle))] * (
            tuning.deliver_threads
        )
        if self.services.settings.scheduler:
            targets.append(
                ("schedule", lambda: self.services.scheduler.run(stop, tuning.schedule_every))
            )
        threads = [
            threading.Thread(target=self._closing(run), name=name, daemon=True)
            for name, run in targets
        ]
        for thread in threads:
            thread.start()
        return threads

    def run(self, stop: threading.Event) -> None:
        """Run until ``stop`` is set, then wait for the threads to finish their current item."""
        for thread in self.start(stop):
            thread.join()

    def _closing(self, run: Callable[[], None]) -> Callable[[], None]:
        def target() -> None:
            try:
                run()
            finally:
                self.services.store.close_thread_connection()

        return target
