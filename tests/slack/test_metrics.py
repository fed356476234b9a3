"""/metrics through the real HTTP server: the counts move after signed requests, answered
in a worker process as `socialbot serve --http` does; SOCIALBOT_METRICS=off serves none."""

from __future__ import annotations

import time
from dataclasses import replace

from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from handlers import blocks as b
from tests.conftest import wait_until
from tests.slack import signing
from tests.slack.conftest import Running, serving
from tests.slack.fake_slack import FakeSlack


def scrape(running: Running) -> dict[str, float]:
    """Every sample of /metrics by name and labels, e.g. 'socialbot_feedback_total{helpful}'."""
    status, text = signing.get(f"{running.url}/metrics")
    assert status == 200
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{v}" for k, v in sorted(sample.labels.items()) if k != "le")
            le = sample.labels.get("le")
            key = sample.name + (f"{{{labels}}}" if labels else "") + (f"[le={le}]" if le else "")
            samples[key] = sample.value
    return samples


def test_the_counts_move_after_a_signed_ask(running_as_served: Running) -> None:
    running = running_as_served
    before = scrape(running)
    assert before["socialbot_questions_asked_total"] == 0
    assert before["socialbot_database_up"] == 1
    assert running.command("Wie mag er namens het merk posten?", response="known")[0] == 200
    assert running.command("What is the weather in Paris today?", response="unknown")[0] == 200
    wait_until(
        lambda: running.slack.response_posts("known") and running.slack.response_posts("unknown")
    )
    known = min(q["id"] for q in running.questions())
    assert running.click(b.HELPFUL, str(known))[0] == 200
    wait_until(lambda: running.services.store.db.table("feedback").count == 1)
    wait_until(lambda: running.services.outbox.backlog().undelivered == 0)
    time.sleep(0.05)

    after = scrape(running)
    assert after["socialbot_questions_asked_total"] == 2
    assert after["socialbot_questions_answered_total"] == 1
    assert after["socialbot_questions_abstained_total"] == 1
    assert after["socialbot_feedback_total{helpful}"] == 1
    assert after["socialbot_feedback_total{not_helpful}"] == 0
    assert after["socialbot_outbox_undelivered"] == 0
    # Acks measured in this server process; answers, delivered by the worker, from the database.
    assert after["socialbot_ack_seconds_count"] - before["socialbot_ack_seconds_count"] == 3
    assert after["socialbot_ack_seconds_bucket[le=+Inf]"] == after["socialbot_ack_seconds_count"]
    assert after["socialbot_answer_seconds_count"] == 2
    assert 0 < after["socialbot_answer_seconds_sum"] < 30
    assert scrape(running)["socialbot_answer_seconds_count"] == 2  # each answer once


def test_the_backlog_shows_while_slack_fails(running: Running) -> None:
    running.slack.fail("response_url", status=500, times=1000)
    assert running.command("crisis ophef", response="waiting")[0] == 200
    wait_until(lambda: running.slack.calls_to("response_url"))
    samples = scrape(running)
    assert samples["socialbot_outbox_undelivered"] == 1
    assert samples["socialbot_outbox_oldest_undelivered_seconds"] >= 0
    assert "socialbot_escalations_open" not in str(samples)  # no escalations table here


def test_metrics_off_serves_none(settings: Settings, slack: FakeSlack) -> None:
    with serving(replace(settings, metrics=False), slack) as running:
        assert signing.get(f"{running.url}/metrics")[0] == 404
        assert signing.get(f"{running.url}/healthz")[0] == 200
