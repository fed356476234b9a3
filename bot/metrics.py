"""Prometheus metrics of a running socialbot, in the text format at ``/metrics``.

Questions are answered and messages delivered in worker processes, so counters kept in the
server's memory would miss them. The figures are read from the database when Prometheus
scrapes instead (:class:`_FromDatabase`): the counts of questions, answers and feedback
(the weekly counts the retention job keeps included, so they do not fall when old rows are
deleted), the backlogs, and the times to answer and to acknowledge an escalation, which are
observed from the rows finished since the last scrape. Only the time to acknowledge a Slack
request is measured in the server process, where it happens. That keeps one source of
truth, needs none of prometheus_client's multiprocess files, and costs nothing on the Slack
path: the database is read only when Prometheus asks.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlite_utils import Database

from bot.db import Store

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]

ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
ANSWER_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0, 3600.0)
ESCALATION_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0)
# Rows finished this long before the newest one seen are looked at again at the next
# scrape: another process may commit a row with an earlier time after a later one.
_LAG = dt.timedelta(seconds=30)


class Metrics:
    """The metrics of one server process, in a registry of their own."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, store: Store, clock: Clock) -> None:
        self.registry = CollectorRegistry()
        # Registered first: it catches the histograms below up with the database.
        self.registry.register(_FromDatabase(self, store, clock))
        self.ack_seconds = Histogram(
            "socialbot_ack_seconds",
            "Time from receiving a Slack request to acknowledging it, in the server process.",
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.answer_seconds = Histogram(
            "socialbot_answer_seconds",
            "Time from a question's arrival to its answer reaching Slack (answers delivered "
            "since this server started).",
            buckets=ANSWER_BUCKETS,
            registry=self.registry,
        )
        self.escalation_ack_seconds = Histogram(
            "socialbot_escalation_ack_seconds",
            "Time from raising an escalation to its acknowledgement (those acknowledged "
            "since this server started).",
            buckets=ESCALATION_BUCKETS,
            registry=self.registry,
        )
        start = clock()
        self._answers = _Follower(
            "select id, asked_at, sent_at from outbox where kind = 'answer' and state = 'sent' "
            "and sent_at > ?",
            start,
        )
        self._escalations = _Follower(
            "select id, raised_at, acknowledged_at from escalations where acknowledged_at > ?",
            start,
        )

    def observe_ack(self, seconds: float) -> None:
        """Record the time one Slack request took to acknowledge."""
        self.ack_seconds.observe(seconds)

    def exposition(self) -> bytes:
        """Every metric in Prometheus's text format."""
        return generate_latest(self.registry)


class _Follower:
    """Observes each row that ``sql`` finds finished after the last look, once."""

    def __init__(self, sql: str, start: dt.datetime) -> None:
        self.sql = sql
        self.newest = start
        self.seen: dict[int, dt.datetime] = {}

    def catch_up(self, db: Database, histogram: Histogram) -> None:
        low = self.newest - _LAG
        for row_id, began, ended in db.execute(self.sql, [_iso(low)]).fetchall():
            if row_id in self.seen or not began or not ended:
                continue
            end = dt.datetime.fromisoformat(ended)
            histogram.observe(max((end - dt.datetime.fromisoformat(began)).total_seconds(), 0))
            self.seen[row_id] = end
            self.newest = max(self.newest, end)
        self.seen = {k: v for k, v in self.seen.items() if v >= self.newest - _LAG}


class _FromDatabase:
    """The figures read from the database at each scrape."""

    def __init__(self, metrics: Metrics, store: Store, clock: Clock) -> None:
        self.metrics = metrics
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Metric]:
        with self._lock:  # two scrapes at once would observe a row twice
            try:
                families = list(self._families(self.store.db))
                up = 1.0
            except sqlite3.Error as exc:
                log.warning("metrics: the database cannot be read: %s", exc)
                families, up = [], 0.0
            finally:
                self.store.close_thread_connection()  # a scrape may come on a new thread
        yield _gauge("socialbot_database_up", "1 when the database could be read.", up)
        yield from families

    def _families(self, db: Database) -> Iterator[Metric]:
        kept = _kept_counts(db)
        asked, answered = db.execute(
            "select count(*), coalesce(sum(answered), 0) from questions"
        ).fetchone()
        helpful, feedback = db.execute(
            "select coalesce(sum(helpful), 0), count(*) from feedback"
        ).fetchone()
        (requests,) = db.execute(
            "select (select count(*) from manager_requests) + "
            "(select count(*) from escalations where question_id is not null)"
        ).fetchone()
        asked, answered = asked + kept["asked"], answered + kept["answered"]
        yield _counter("socialbot_questions_asked", "Questions asked (small talk not counted).",
                       asked)  # fmt: skip
        yield _counter("socialbot_questions_answered", "Questions answered with confidence.",
                       answered)  # fmt: skip
        yield _counter("socialbot_questions_abstained",
                       "Questions socialbot did not know (it offered suggestions).",
                       asked - answered)  # fmt: skip
        verdicts = CounterMetricFamily(
            "socialbot_feedback", "Feedback on answers, by verdict.", labels=["verdict"]
        )
        verdicts.add_metric(["helpful"], helpful + kept["helpful"])
        verdicts.add_metric(["not_helpful"], feedback - helpful + kept["not_helpful"])
        yield verdicts
        yield _counter("socialbot_manager_requests",
                       "Questions handed to the conversation manager.",
                       requests + kept["handed_over"])  # fmt: skip
        now = self.clock()
        waiting, oldest_question = db.execute(
            "select count(*), min(received_at) from intake where state != 'done'"
        ).fetchone()
        yield _gauge("socialbot_intake_waiting", "Questions waiting for a worker.", waiting)
        yield _gauge("socialbot_intake_oldest_seconds", "Age of the oldest waiting question.",
                     _age(now, oldest_question))  # fmt: skip
        undelivered, oldest = db.execute(
            "select count(*), min(created_at) from outbox where state in ('pending', 'sending')"
        ).fetchone()
        (failed,) = db.execute("select count(*) from outbox where state = 'failed'").fetchone()
        yield _gauge("socialbot_outbox_undelivered", "Messages not yet delivered to Slack.",
                     undelivered)  # fmt: skip
        yield _gauge("socialbot_outbox_oldest_undelivered_seconds",
                     "Age of the oldest message not yet delivered.", _age(now, oldest))  # fmt: skip
        yield _gauge("socialbot_outbox_failed", "Messages that failed for good.", failed)
        self.metrics._answers.catch_up(db, self.metrics.answer_seconds)
        yield from escalation_families(db)
        self.metrics._escalations.catch_up(db, self.metrics.escalation_ack_seconds)


def escalation_families(db: Database) -> Iterator[Metric]:
    """The open escalations by severity."""
    family = GaugeMetricFamily(
        "socialbot_escalations_open", "Escalations not yet acknowledged.", labels=["severity"]
    )
    for severity, count in db.execute(
        "select severity, count(*) from escalations where state = 'open' group by severity"
    ).fetchall():
        family.add_metric([str(severity)], count)
    yield family


def _kept_counts(db: Database) -> dict[str, int]:
    """The counts the retention job kept of the rows it deleted."""
    row = db.execute(
        "select coalesce(sum(asked), 0), coalesce(sum(answered), 0), coalesce(sum(helpful), 0), "
        "coalesce(sum(not_helpful), 0), coalesce(sum(handed_over), 0) from weekly_question_stats"
    ).fetchone()
    return dict(zip(("asked", "answered", "helpful", "not_helpful", "handed_over"), row,
                    strict=True))  # fmt: skip


def _counter(name: str, documentation: str, value: float) -> Metric:
    return CounterMetricFamily(name, documentation, value=value)


def _gauge(name: str, documentation: str, value: float) -> Metric:
    return GaugeMetricFamily(name, documentation, value=value)


def _age(now: dt.datetime, oldest: Any) -> float:
    if not oldest:
        return 0.0
    return max((now - dt.datetime.fromisoformat(str(oldest))).total_seconds(), 0.0)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()
