"""The metrics read from the database: counters that survive the retention job, and the
escalation figures once an escalations table exists."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from bot.knowledge import KnowledgeBase
from bot.metrics import Metrics
from bot.privacy import Privacy
from bot.questions import QuestionService
from tests.conftest import ManualClock


def samples(metrics: Metrics) -> dict[str, float]:
    text = metrics.exposition().decode()
    return {
        s.name + "".join(f"{{{v}}}" for k, v in sorted(s.labels.items()) if k != "le"): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if "le" not in s.labels
    }


def test_counts_do_not_fall_when_the_retention_job_deletes_old_questions(
    kb: KnowledgeBase,
) -> None:
    clock = ManualClock()
    questions = QuestionService(kb.store, kb, clock)
    asked = questions.ask("Wie mag er namens het merk posten?", "U1", "C1", "command")
    questions.feedback(asked.question_id, "U2", False)
    questions.ask("What is the weather in Paris today?", "U1", "C1", "command")
    metrics = Metrics(kb.store, clock)
    before = samples(metrics)
    assert before["socialbot_questions_asked_total"] == 2
    assert before["socialbot_feedback_total{not_helpful}"] == 1
    clock.advance(400 * 86400)
    assert Privacy(kb.store, clock, 365).expire().deleted["questions"] == 2
    after = samples(metrics)
    for name in ("socialbot_questions_asked_total", "socialbot_questions_answered_total",
                 "socialbot_questions_abstained_total", "socialbot_feedback_total{not_helpful}",
                 "socialbot_feedback_total{helpful}"):  # fmt: skip
        assert after[name] == before[name], name


def test_open_escalations_and_the_time_to_acknowledge_are_counted(kb: KnowledgeBase) -> None:
    clock = ManualClock()
    metrics = Metrics(kb.store, clock)
    assert "socialbot_escalations_open{crisis}" not in str(samples(metrics))
    common = {"text": "t", "reporter": "U1"}
    with kb.store.transaction() as db:
        db.table("escalations").insert_all(
            [
                {**common, "key": "a", "severity": "crisis", "state": "open",
                 "raised_at": "2026-11-20T08:00:00+00:00"},
                {**common, "key": "b", "severity": "normal", "state": "open",
                 "raised_at": "2026-11-20T08:00:00+00:00"},
                {**common, "key": "c", "severity": "normal", "state": "acknowledged",
                 "raised_at": "2026-11-20T08:55:00+00:00",
                 "acknowledged_at": "2026-11-20T09:05:00+00:00"},
            ]
        )  # fmt: skip
    got = samples(metrics)
    assert got["socialbot_escalations_open{crisis}"] == 1
    assert got["socialbot_escalations_open{normal}"] == 1
    assert got["socialbot_escalation_ack_seconds_count"] == 1
    assert got["socialbot_escalation_ack_seconds_sum"] == 600
    assert samples(metrics)["socialbot_escalation_ack_seconds_count"] == 1  # once
