"""Escalations end to end: signed requests into the real HTTP server, the outbox delivering
to the fake Slack; deadlines driven by calling the job's function with a later time."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from bot.config import Settings
from bot.i18n import t
from handlers import blocks as b
from handlers import escalation_blocks as eb
from tests.conftest import wait_until
from tests.slack import signing
from tests.slack.conftest import MANAGER, Running, serving
from tests.slack.fake_slack import FakeSlack

CHANNEL = "CESC"
BACKUP = "UBACKUP"


@pytest.fixture
def escalating(settings: Settings, slack: FakeSlack) -> Iterator[Running]:
    """socialbot with an escalation channel, a backup and the fixture KB's crisis entry."""
    with serving(escalation_settings(settings), slack) as running:
        yield running


def escalation_settings(settings: Settings) -> Settings:
    return replace(
        settings,
        escalation_channel=CHANNEL,
        escalation_backup=(BACKUP,),
        crisis_playbook="crisis-first-hour",
    )


def escalate(running: Running, text: str, user: str = "U1", response: str = "esc") -> int:
    status, body, _ = running.send(
        signing.slash_command_body(
            command="/escalate",
            text=text,
            user_id=user,
            response_url=running.slack.response_url(response),
        )
    )
    assert status == 200 and body == ""
    return int(running.services.store.db.execute("select max(id) from escalations").fetchone()[0])


def delivered(running: Running) -> None:
    wait_until(lambda: running.services.outbox.backlog().undelivered == 0)


def actions(message: dict[str, Any]) -> list[str]:
    blocks = message.get("blocks") or []
    return [e["action_id"] for x in blocks if x["type"] == "actions" for e in x["elements"]]


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks") or message.get("text"), ensure_ascii=False)


@pytest.mark.parametrize(
    ("words", "severity", "title"),
    [
        ("crisis Ons account is gehackt", "crisis", "🔴 Crisis escalatie"),
        ("high A journalist called about the recall", "high", "🟠 High escalation"),
        ("De webshop ligt eruit sinds vanochtend", "normal", "🔵 Normaal escalatie"),
    ],
)
def test_escalate_at_each_severity_reaches_managers_channel_and_reporter(
    escalating: Running, words: str, severity: str, title: str
) -> None:
    slack = escalating.slack
    number = escalate(escalating, words)
    delivered(escalating)
    (dm,) = slack.messages(MANAGER)
    (post,) = slack.messages(CHANNEL)
    for notice in (dm, post):
        assert f"{title} ESC-{number}" in text_of(notice)
        assert "<@U1>" in text_of(notice) and "https://test.slack.com/archives/C1" in text_of(
            notice
        )
        assert actions(notice) == [eb.ACKNOWLEDGE, eb.RESOLVE, eb.OPEN_THREAD]
    (confirmation,) = slack.response_posts("esc")
    assert f"ESC-{number}" in confirmation.params["text"]
    assert confirmation.params["response_type"] == "ephemeral"
    stored = escalating.services.escalations.get(number)
    assert (stored.severity, stored.reporter, stored.state) == (severity, "U1", "open")


def test_escalate_without_text_explains_and_stores_nothing(escalating: Running) -> None:
    status, body, _ = escalating.send(
        signing.slash_command_body(command="/escalate", text="crisis")
    )
    assert status == 200 and "/escalate [crisis|high|normal]" in body
    assert escalating.services.store.db.table("escalations").count == 0


def test_the_message_shortcut_escalates_with_the_message_link(escalating: Running) -> None:
    slack = escalating.slack
    message = {"ts": "1700000200.000300", "user": "U7", "text": "Dit gaat viraal &amp; fout"}
    body = signing.message_action_body(eb.ESCALATE_SHORTCUT, message, channel_id="C5", user_id="U2")
    assert escalating.send(body)[0] == 200
    (opened,) = slack.wait_for("views.open")
    view = opened.json("view")
    assert view["callback_id"] == eb.ESCALATE_MODAL
    assert view["blocks"][1]["element"]["initial_value"] == "Dit gaat viraal & fout"
    values = {
        eb.SEVERITY_BLOCK: {eb.SEVERITY_INPUT: {"selected_option": {"value": "high"}}},
        eb.TEXT_BLOCK: {eb.TEXT_INPUT: {"value": "Dit gaat viraal & fout"}},
    }
    submit = signing.view_submission_body(
        eb.ESCALATE_MODAL, values, user_id="U2", private_metadata=view["private_metadata"]
    )
    assert escalating.send(submit)[0] == 200
    assert escalating.send(submit)[0] == 200  # Slack's retry of the same view: one escalation
    delivered(escalating)
    (dm,) = slack.messages(MANAGER)
    assert "https://test.slack.com/archives/C5/p1700000200000300" in text_of(dm)
    assert "<#C5>" in text_of(dm) and "Dit gaat viraal &amp; fout" in text_of(dm)
    (confirmation,) = slack.messages("U2")  # by DM: a view submission has no response_url
    assert "ESC-1" in confirmation["text"]
    assert escalating.services.escalations.get(1).severity == "high"


def test_an_empty_shortcut_escalation_is_refused_inline(escalating: Running) -> None:
    values = {
        eb.SEVERITY_BLOCK: {eb.SEVERITY_INPUT: {"selected_option": {"value": "normal"}}},
        eb.TEXT_BLOCK: {eb.TEXT_INPUT: {"value": "   "}},
    }
    status, body, _ = escalating.send(signing.view_submission_body(eb.ESCALATE_MODAL, values))
    assert status == 200 and json.loads(body)["response_action"] == "errors"
    assert escalating.services.store.db.table("escalations").count == 0


def test_a_crisis_question_offers_the_playbook_and_a_button_but_never_escalates_itself(
    escalating: Running,
) -> None:
    slack = escalating.slack
    escalating.command("Help, ons merkaccount is gehackt! Wat nu?", response="crisis")
    (reply,) = slack.wait_for("response_url")
    blocks = reply.params["blocks"]
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "Dit klinkt als een crisis" in shown
    assert "Wat doe ik in het eerste uur van een social media crisis?" in shown  # the playbook
    assert eb.ESCALATE_CRISIS in [
        e["action_id"] for x in blocks if x["type"] == "actions" for e in x["elements"]
    ]
    time.sleep(0.3)
    assert escalating.services.store.db.table("escalations").count == 0  # a person must click
    assert slack.calls_to("chat.postMessage") == []
    question_id = escalating.questions()[-1]["id"]
    escalating.click(eb.ESCALATE_CRISIS, str(question_id), user="U1", response="clicked")
    wait_until(lambda: slack.messages(MANAGER))
    escalation = escalating.services.escalations.get(1)
    assert (escalation.severity, escalation.question_id) == ("crisis", question_id)
    assert "🔴 Crisis" in text_of(slack.messages(MANAGER)[0])


def test_an_ordinary_question_gets_no_crisis_extras(escalating: Running) -> None:
    escalating.command("Wie mag er namens het merk posten?")
    (reply,) = escalating.slack.wait_for("response_url")
    assert eb.ESCALATE_CRISIS not in json.dumps(reply.params["blocks"])


def test_ask_the_conversation_manager_is_a_normal_escalation_with_the_question(
    escalating: Running,
) -> None:
    escalating.command("Mag ik een TikTok account voor mijn team openen?", response="first")
    escalating.slack.wait_for("response_url")
    question_id = escalating.questions()[-1]["id"]
    for _ in range(3):  # however often it is clicked
        escalating.click(b.ASK_MANAGER, str(question_id), user="U1")
    delivered(escalating)
    time.sleep(0.2)
    escalation = escalating.services.escalations.get(1)
    assert (escalation.severity, escalation.question_id) == ("normal", question_id)
    assert escalating.services.store.db.table("escalations").count == 1
    assert len(escalating.slack.messages(MANAGER)) == 1
    assert "TikTok" in text_of(escalating.slack.messages(MANAGER)[0])


def test_the_managers_acknowledgement_updates_every_copy_and_tells_the_reporter(
    escalating: Running,
) -> None:
    slack = escalating.slack
    number = escalate(escalating, "crisis Ons account is gehackt")
    delivered(escalating)
    status, _, _ = escalating.click(eb.ACKNOWLEDGE, str(number), user=MANAGER, response="ack")
    assert status == 200
    delivered(escalating)
    wait_until(lambda: len(slack.calls_to("chat.update")) == 2)
    for notice in (slack.messages(MANAGER)[0], slack.messages(CHANNEL)[0]):
        assert f"Opgepakt door <@{MANAGER}>" in text_of(notice)
        assert actions(notice) == [eb.RESOLVE, eb.OPEN_THREAD]
    assert len(slack.messages(MANAGER)) == 1 and len(slack.messages(CHANNEL)) == 1  # no new posts
    (told,) = slack.messages("U1")
    assert f"opgepakt door <@{MANAGER}>" in told["text"]
    wait_until(lambda: slack.response_posts("ack"))
    assert f"ESC-{number}" in slack.response_posts("ack")[0].params["text"]
    events = [e.kind for e in escalating.services.escalations.detail(number).events]
    assert events == ["raised", "notified", "acknowledged"]


def test_an_acknowledgement_by_a_stranger_is_refused_politely(escalating: Running) -> None:
    slack = escalating.slack
    number = escalate(escalating, "high De webshop ligt eruit")
    delivered(escalating)
    escalating.click(eb.ACKNOWLEDGE, str(number), user="U5", response="stranger")
    wait_until(lambda: slack.response_posts("stranger"))
    refusal = slack.response_posts("stranger")[0].params["text"]
    assert refusal.startswith("Sorry") and f"ESC-{number}" in refusal
    assert f"<@{MANAGER}>" in refusal and f"<@{BACKUP}>" in refusal
    escalating.click(eb.RESOLVE, str(number), user="U5", response="stranger2")
    wait_until(lambda: slack.response_posts("stranger2"))
    assert slack.response_posts("stranger2")[0].params["text"].startswith("Sorry")
    assert slack.calls_to("chat.update") == [] and slack.calls_to("views.open") == []
    assert escalating.services.escalations.get(number).state == "open"


def test_resolving_with_a_note_saves_a_lesson_and_updates_the_copies(escalating: Running) -> None:
    slack = escalating.slack
    number = escalate(escalating, "De webshop ligt eruit")
    delivered(escalating)
    escalating.click(eb.RESOLVE, str(number), user=MANAGER)
    (opened,) = slack.wait_for("views.open")
    view = opened.json("view")
    assert view["callback_id"] == eb.RESOLVE_MODAL
    values = {
        eb.NOTE_BLOCK: {eb.NOTE_INPUT: {"value": "Hosting herstart; status op de site."}},
        eb.LESSON_BLOCK: {eb.LESSON_INPUT: {"selected_options": [{"value": eb.SAVE_LESSON}]}},
        eb.TITLE_BLOCK: {eb.TITLE_INPUT: {"value": "Wat doe ik als de webshop plat ligt?"}},
    }
    submit = signing.view_submission_body(
        eb.RESOLVE_MODAL, values, user_id=MANAGER, private_metadata=view["private_metadata"]
    )
    assert escalating.send(submit)[0] == 200
    delivered(escalating)
    wait_until(lambda: len(slack.calls_to("chat.update")) == 2)
    assert "Opgelost door" in text_of(slack.messages(CHANNEL)[0])
    assert actions(slack.messages(CHANNEL)[0]) == [eb.OPEN_THREAD]
    assert "Hosting herstart" in slack.messages("U1")[0]["text"]
    (draft,) = escalating.services.store.db.table("lesson_drafts").rows
    assert draft["source"] == f"escalation:ESC-{number}" and draft["state"] == "draft"


def test_a_resolution_without_a_note_is_refused_inline(escalating: Running) -> None:
    number = escalate(escalating, "De webshop ligt eruit")
    values = {eb.NOTE_BLOCK: {eb.NOTE_INPUT: {"value": ""}}}
    submit = signing.view_submission_body(
        eb.RESOLVE_MODAL, values, user_id=MANAGER, private_metadata=str(number)
    )
    status, body, _ = escalating.send(submit)
    assert json.loads(body)["errors"][eb.NOTE_BLOCK] == t("resolve_note_empty", "nl")
    assert escalating.services.escalations.get(number).state == "open"


def test_unacknowledged_it_renotifies_then_the_backup(escalating: Running) -> None:
    slack = escalating.slack
    escalations = escalating.services.escalations
    number = escalate(escalating, "crisis Ons account is gehackt")
    delivered(escalating)
    raised = escalations.get(number).raised_at
    assert escalations.due_reminders(raised + dt.timedelta(minutes=14)) == 0
    assert escalations.due_reminders(raised + dt.timedelta(minutes=16)) == 1
    delivered(escalating)
    assert len(slack.messages(MANAGER)) == 2 and slack.messages(BACKUP) == []
    assert "Herinnering 1 van 3" in text_of(slack.messages(MANAGER)[1])
    assert escalations.due_reminders(raised + dt.timedelta(minutes=32)) == 1
    delivered(escalating)
    (backup,) = slack.messages(BACKUP)
    assert "als back-up" in text_of(backup) and eb.ACKNOWLEDGE in actions(backup)
    escalating.click(eb.ACKNOWLEDGE, str(number), user=BACKUP)  # the backup may
    delivered(escalating)
    wait_until(lambda: len(slack.calls_to("chat.update")) == 5, timeout=5)  # reminders too
    assert "Opgepakt door <@UBACKUP>" in text_of(slack.messages(MANAGER)[1])
    assert escalations.due_reminders(raised + dt.timedelta(hours=5)) == 0


def test_every_escalation_reaches_every_recipient_once_through_500s_429s_and_an_outage(
    escalating: Running,
) -> None:
    slack = escalating.slack
    escalating.send(signing.slash_command_body(command="/escalate", text="help"))  # Bolt's auth
    slack.fail("chat.postMessage", status=500, times=4)
    slack.fail("chat.postMessage", status=429, retry_after="1", times=2)
    slack.fail("response_url", status=500, times=3)
    with slack.down():
        numbers = [
            escalate(escalating, f"{severity} incident {n}", user=f"U{n}", response=f"e{n}")
            for n, severity in enumerate(["crisis", "high", "normal"] * 3)
        ]
        time.sleep(1.0)
        assert escalating.services.outbox.backlog().undelivered >= 3 * len(numbers)
    wait_until(lambda: escalating.services.outbox.backlog().undelivered == 0, timeout=60)
    keys = Counter(slack.metadata_keys())
    expected = [f"escalation:{n}:dm:{MANAGER}" for n in numbers]
    expected += [f"escalation:{n}:channel:{CHANNEL}" for n in numbers]
    assert sorted(keys) == sorted(expected) and set(keys.values()) == {1}
    assert all(len(slack.response_posts(f"e{n}")) == 1 for n in range(len(numbers)))
    assert escalating.services.outbox.backlog().failed == 0
