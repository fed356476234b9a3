"""Slack flows end to end: signed requests into the real HTTP server, Web API calls out to
the fake Slack server."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.config import Settings
from bot.i18n import t
from bot.intake import Intake
from bot.knowledge import KnowledgeBase
from handlers import blocks as b
from tests.conftest import wait_until
from tests.slack import signing
from tests.slack.conftest import BOT_TOKEN, MANAGER, SECRET, Running, serving
from tests.slack.fake_slack import FakeSlack


def action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        e["action_id"] for block in blocks if block["type"] == "actions" for e in block["elements"]
    ]


def all_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


# --- Asking -----------------------------------------------------------------------------


def test_ask_command_answers_privately_with_source_and_buttons(running: Running) -> None:
    status, _, _ = running.command("Wie mag er namens het merk posten?")
    assert status == 200
    (reply,) = running.slack.wait_for("response_url")
    assert reply.params["response_type"] == "ephemeral"
    blocks = reply.params["blocks"]
    assert "Alleen collega's met het certificaat" in all_text(blocks)
    assert "Bron: *Wie mag er namens het merk posten?*" in all_text(blocks)
    assert action_ids(blocks) == [b.HELPFUL, b.NOT_HELPFUL, b.ASK_MANAGER, b.SHARE]
    (stored,) = running.questions()
    assert stored["surface"] == "command" and stored["answered"] == 1
    assert stored["entry_id"] == "who-may-post"


def test_ask_command_unknown_says_so_and_offers_the_manager(running: Running) -> None:
    running.command("What's the best recipe for chocolate cake?")
    (reply,) = running.slack.wait_for("response_url")
    text = all_text(reply.params["blocks"])
    assert "I can't find anything" in text or "I'm not sure enough" in text
    assert b.ASK_MANAGER in action_ids(reply.params["blocks"])
    assert running.questions()[0]["answered"] == 0


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("", t("usage", "nl")),
        ("help", t("usage", "en")),
        ("   ", t("usage", "nl")),
        ("Bedankt!", t("welcome", "nl")),
    ],
)
def test_ask_without_question_replies_in_the_ack(running: Running, text: str, reply: str) -> None:
    status, body, _ = running.command(text)
    assert status == 200
    assert json.loads(body)["text"] == reply  # the reply comes back at once, in the ack
    time.sleep(0.2)
    assert running.questions() == []
    assert running.slack.calls_to("response_url") == []


def test_mention_is_answered_in_a_thread(running: Running) -> None:
    event = {
        "type": "app_mention",
        "user": "U2",
        "channel": "C9",
        "ts": "1700000001.000200",
        "text": "<@UBOT> what do I do when a brand account has been hacked?",
    }
    status, _, _ = running.event(event)
    assert status == 200
    (post,) = running.slack.wait_for("chat.postMessage")
    assert post.params["channel"] == "C9"
    assert post.params["thread_ts"] == "1700000001.000200"
    assert "revoke sessions" in all_text(post.params["blocks"])


def test_direct_message_is_answered_in_the_dm(running: Running) -> None:
    event = {
        "type": "message",
        "channel_type": "im",
        "user": "U3",
        "channel": "D3",
        "ts": "1700000002.000100",
        "text": "Hoe werkt ons social listening proces?",
    }
    running.event(event)
    (post,) = running.slack.wait_for("chat.postMessage")
    assert post.params["channel"] == "D3"
    assert "thread_ts" not in post.params
    assert running.questions()[0]["surface"] == "dm"


@pytest.mark.parametrize(
    "event",
    [
        {
            "type": "message",
            "channel_type": "im",
            "bot_id": "B2",
            "user": "U9",
            "channel": "D3",
            "ts": "1.1",
            "text": "I am a bot",
        },
        {
            "type": "message",
            "channel_type": "im",
            "subtype": "bot_message",
            "channel": "D3",
            "ts": "1.2",
            "text": "bot",
        },
        {
            "type": "message",
            "channel_type": "im",
            "subtype": "message_changed",
            "channel": "D3",
            "ts": "1.3",
            "message": {"text": "edited"},
        },
        {
            "type": "message",
            "channel_type": "channel",
            "subtype": "channel_join",
            "user": "U4",
            "channel": "C1",
            "ts": "1.4",
            "text": "<@U4> has joined the channel",
        },
        {
            "type": "message",
            "channel_type": "im",
            "user": "UBOT",
            "bot_id": "BBOT",
            "channel": "D3",
            "ts": "1.5",
            "text": "my own answer",
        },
    ],
)
def test_bot_messages_edits_and_joins_are_acknowledged_and_ignored(
    running: Running, event: dict[str, Any]
) -> None:
    status, _, _ = running.event(event, event_id=f"Ev-{event['ts']}")
    assert status == 200  # never 404: Slack would retry
    time.sleep(0.3)
    assert running.slack.calls_to("chat.postMessage") == []
    assert running.questions() == []


def test_mentions_outside_the_allowed_channels_are_ignored(
    settings: Settings, slack: FakeSlack
) -> None:
    allowed = replace(settings, channels=("CALLOWED",))
    with serving(allowed, slack) as running:
        for channel, event_id in (("COTHER", "EvOther"), ("CALLOWED", "EvAllowed")):
            event = {
                "type": "app_mention",
                "user": "U2",
                "channel": channel,
                "ts": "1.6",
                "text": "<@UBOT> what do I do when a brand account has been hacked?",
            }
            assert running.event(event, event_id=event_id)[0] == 200
        (post,) = slack.wait_for("chat.postMessage")
        assert post.params["channel"] == "CALLOWED"
        time.sleep(0.3)
        assert len(slack.calls_to("chat.postMessage")) == 1


# --- Buttons ----------------------------------------------------------------------------


def ask_first(running: Running, question: str = "Wie mag er namens het merk posten?") -> int:
    running.command(question)
    running.slack.wait_for("response_url")
    running.slack.reset()
    return int(running.questions()[-1]["id"])


def test_feedback_click_is_stored(running: Running) -> None:
    question_id = ask_first(running)
    running.click(b.HELPFUL, str(question_id), user="U1")
    (thanks,) = running.slack.wait_for("response_url")
    assert "Bedankt" in thanks.params["text"]
    running.click(b.NOT_HELPFUL, str(question_id), user="U1")
    running.slack.wait_for("response_url", count=2)
    rows = list(running.services.store.db.table("feedback").rows)
    assert [(r["question_id"], r["user_id"], r["helpful"]) for r in rows] == [
        (question_id, "U1", 0)
    ]


def test_suggestion_click_shows_that_entry(running: Running) -> None:
    question_id = ask_first(running, "crisis")
    running.click(b.SHOW_ENTRY, f"{question_id}:crisis-review")
    (reply,) = running.slack.wait_for("response_url")
    assert "debrief" in all_text(reply.params["blocks"])
    assert reply.params["replace_original"] is False


@pytest.mark.parametrize(
    ("event", "thread", "reply"),
    [
        ({"type": "app_mention", "channel": "C1", "text": "<@UBOT>"}, "1700000003.000100",
         t("usage", "nl")),
        ({"type": "message", "channel_type": "im", "channel": "D3", "text": " Help "}, None,
         t("usage", "en")),
        ({"type": "app_mention", "channel": "C1", "text": "<@UBOT> hoi!"}, "1700000003.000100",
         t("usage", "nl")),
        ({"type": "message", "channel_type": "im", "channel": "D3", "text": "thanks! :pray:"},
         None, t("welcome", "en")),
    ],
    ids=["bare mention", "help in a DM", "greeting in a mention", "thanks in a DM"],
)  # fmt: skip
def test_a_message_without_a_question_gets_a_reply_of_its_own(
    running: Running, event: dict[str, Any], thread: str | None, reply: str
) -> None:
    running.event({**event, "user": "U3", "ts": "1700000003.000100"})
    (post,) = running.slack.wait_for("chat.postMessage")
    assert post.params["channel"] == event["channel"]
    assert post.params.get("thread_ts") == thread
    assert post.params["text"] == reply
    assert running.questions() == []  # nothing was asked, nothing is counted


@pytest.mark.parametrize(
    ("action_id", "value"),
    [(b.SHOW_ENTRY, "999999:crisis-review"), (b.READ_MORE, "no-such-entry")],
)
def test_a_button_for_something_gone_tells_the_user(
    running: Running, action_id: str, value: str
) -> None:
    running.click(action_id, value)
    (reply,) = running.slack.wait_for("response_url")
    assert reply.params["text"] == t("not_found", "nl")
    assert reply.params["response_type"] == "ephemeral"


def test_share_in_channel_posts_publicly(running: Running) -> None:
    question_id = ask_first(running)
    running.click(b.SHARE, str(question_id), user="U1", channel="C1")
    (post,) = running.slack.wait_for("chat.postMessage")
    assert post.params["channel"] == "C1"
    text = all_text(post.params["blocks"])
    assert "Gedeeld door <@U1>" in text and "Alleen collega's" in text
    assert action_ids(post.params["blocks"]) == []
    (deleted,) = running.slack.wait_for("response_url")
    assert deleted.params["delete_original"] is True


def test_ask_the_manager_dms_the_manager_and_tells_the_asker(running: Running) -> None:
    question_id = ask_first(running, "Mag ik een TikTok account voor mijn team openen?")
    running.click(b.ASK_MANAGER, str(question_id), user="U1", channel="C1")
    (dm,) = running.slack.wait_for("chat.postMessage")
    assert dm.params["channel"] == MANAGER
    text = all_text(dm.params["blocks"])
    assert "<@U1>" in text and "<#C1>" in text and "TikTok" in text
    (told,) = running.slack.wait_for("response_url")
    assert "conversatiemanager" in told.params["text"]
    assert running.services.store.db.table("escalations").count == 1


def test_home_ask_modal_answers_in_a_dm(running: Running) -> None:
    running.send(signing.block_action_body(b.HOME_ASK, "ask", channel_id=None))
    (opened,) = running.slack.wait_for("views.open")
    assert opened.json("view")["callback_id"] == b.ASK_MODAL
    values = {
        b.ASK_MODAL_BLOCK: {
            b.ASK_MODAL_INPUT: {"type": "plain_text_input", "value": "how do I propose a pilot"}
        }
    }
    status, _, _ = running.send(signing.view_submission_body(b.ASK_MODAL, values))
    assert status == 200
    (post,) = running.slack.wait_for("chat.postMessage")
    assert post.params["channel"] == "U1"
    assert "pilot canvas" in all_text(post.params["blocks"])


def test_empty_modal_submission_gets_an_inline_error(running: Running) -> None:
    values = {b.ASK_MODAL_BLOCK: {b.ASK_MODAL_INPUT: {"type": "plain_text_input", "value": " "}}}
    status, text, _ = running.send(signing.view_submission_body(b.ASK_MODAL, values))
    assert status == 200
    assert json.loads(text)["response_action"] == "errors"


# --- App Home ---------------------------------------------------------------------------


def test_app_home_is_published_with_recent_questions(running: Running) -> None:
    ask_first(running)
    running.event(
        {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"},
        event_id="EvHome1",
    )
    (publish,) = running.slack.wait_for("views.publish")
    view = publish.json("view")
    assert publish.params["user_id"] == "U1"
    assert "Wie mag er namens het merk posten?" in all_text(view["blocks"])
    assert "conversatiemanager: de laatste 7 dagen" not in all_text(view["blocks"])


def test_app_home_shows_statistics_to_the_manager(running: Running) -> None:
    ask_first(running, "What's the best recipe for chocolate cake?")
    running.event(
        {"type": "app_home_opened", "user": MANAGER, "channel": "D1", "tab": "home"},
        event_id="EvHome2",
    )
    (publish,) = running.slack.wait_for("views.publish")
    text = all_text(publish.json("view")["blocks"])
    assert "de laatste 7 dagen" in text
    assert "Vragen: *1*" in text and "beantwoord: *0%*" in text
    assert "chocolate cake" in text


# --- Protection -------------------------------------------------------------------------


def test_bad_signature_is_rejected_and_changes_nothing(running: Running) -> None:
    body = signing.slash_command_body(text="crisis", response_url=running.slack.response_url())
    status, _, _ = running.send(body, **{"X-Slack-Signature": "v0=" + "0" * 64})
    assert status == 401
    time.sleep(0.2)
    assert running.questions() == []
    assert running.slack.calls_to("response_url") == []


@pytest.mark.parametrize(
    "body", ["{not json", urlencode({"payload": "{not json"})], ids=["json", "form payload"]
)
def test_an_unreadable_body_is_a_bad_request_and_serving_goes_on(
    running: Running, body: str
) -> None:
    status, text, _ = running.send(body)
    assert status == 400 and text.startswith("bad request")
    status, _, _ = running.command("crisis")
    assert status == 200
    running.slack.wait_for("response_url")


def test_stale_timestamp_is_rejected(running: Running) -> None:
    body = signing.slash_command_body(text="crisis", response_url=running.slack.response_url())
    old = int(time.time()) - 6 * 60
    headers = signing.signed_headers(SECRET, body, timestamp=old)
    status, _, _ = signing.post(f"{running.url}/slack/events", body, headers)
    assert status == 401
    assert running.questions() == []


def test_slack_retry_of_a_handled_event_is_not_handled_twice(running: Running) -> None:
    event = {
        "type": "message",
        "channel_type": "im",
        "user": "U3",
        "channel": "D3",
        "ts": "1700000003.000100",
        "text": "crisis ophef",
    }
    running.event(event, event_id="EvRetry")
    running.slack.wait_for("chat.postMessage")
    status, _, _ = running.event(
        event, event_id="EvRetry", **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "timeout"}
    )
    assert status == 200
    time.sleep(0.5)
    assert len(running.slack.calls_to("chat.postMessage")) == 1
    assert len(running.questions()) == 1


def test_ack_stays_fast_when_the_web_api_is_slow(running: Running) -> None:
    running.slack.set_delay("response_url", 2.5)
    running.slack.set_delay("chat.postMessage", 2.5)
    status, _, seconds = running.command("crisis")
    assert status == 200
    assert seconds < 1.0
    event = {
        "type": "app_mention",
        "user": "U2",
        "channel": "C9",
        "ts": "1.7",
        "text": "<@UBOT> crisis",
    }
    status, _, seconds = running.event(event, event_id="EvSlow")
    assert status == 200 and seconds < 1.0
    running.slack.wait_for("response_url", timeout=10)


HACKED_MENTION = {
    "type": "app_mention",
    "user": "U2",
    "channel": "C9",
    "ts": "1.8",
    "text": "<@UBOT> what do I do when a brand account has been hacked?",
}


@pytest.mark.parametrize(("status", "error"), [(500, None), (429, None)])
def test_a_failing_web_api_is_retried_and_the_answer_arrives_once(
    running: Running, caplog: pytest.LogCaptureFixture, status: int, error: str | None
) -> None:
    running.slack.fail("chat.postMessage", status=status, times=3, retry_after="0", error=error)
    event = HACKED_MENTION
    with caplog.at_level(logging.WARNING):
        assert running.event(event, event_id=f"EvFail{status}")[0] == 200
        wait_until(lambda: running.slack.messages("C9"))
    assert len(running.questions()) == 1  # stored before Slack was called
    assert len(running.slack.calls_to("chat.postMessage")) == 4
    assert running.slack.metadata_keys("C9") == ["reply:event:EvFail" + str(status)]
    assert "answer to mention from U2 in C9" in caplog.text and "attempt 3" in caplog.text
    assert BOT_TOKEN not in caplog.text


def test_a_permanent_slack_error_fails_the_row_and_names_the_asker(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    running.slack.fail("chat.postMessage", error="invalid_auth", times=5)
    event = HACKED_MENTION
    with caplog.at_level(logging.ERROR):
        assert running.event(event, event_id="EvInvalidAuth")[0] == 200
        wait_until(lambda: running.services.outbox.rows(["failed"]))
    assert len(running.slack.calls_to("chat.postMessage")) == 1  # never retried
    (row,) = running.services.outbox.rows(["failed"])
    assert row.last_error == "invalid_auth" and row.user_id == "U2"
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "bot.outbox"]
    assert "answer to mention from U2 in C9" in logged and "invalid_auth" in logged
    assert BOT_TOKEN not in caplog.text


def test_failing_response_url_tells_nothing_but_keeps_the_question(running: Running) -> None:
    running.slack.fail("response_url", status=500, times=5)
    assert running.command("crisis")[0] == 200
    running.slack.wait_for("response_url")
    wait_until(lambda: len(running.questions()) == 1)


def test_health_check_answers(running: Running) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{running.url}/healthz", timeout=5) as response:
        assert response.status == 200
        report = json.loads(response.read())
    assert report["ok"] is True and report["problems"] == []
    assert report["outbox_undelivered"] == 0 and report["workers_alive"] >= 1


# --- As served: answers in a worker process ---------------------------------------------


def test_served_configuration_answers_and_acks_fast(running_as_served: Running) -> None:
    running = running_as_served
    running.slack.set_delay("response_url", 2.0)
    status, _, seconds = running.command("Wie mag er namens het merk posten?")
    assert status == 200 and seconds < 1.0
    (reply,) = running.slack.wait_for("response_url", timeout=10)
    assert "Alleen collega's met het certificaat" in all_text(reply.params["blocks"])
    assert running.questions()[0]["entry_id"] == "who-may-post"


def test_a_crashed_worker_is_replaced(running_as_served: Running) -> None:
    pool = running_as_served.pool
    assert pool is not None
    (worker,) = pool._processes
    worker.kill()
    worker.join(timeout=10)
    status, _, seconds = running_as_served.command("Wie mag er namens het merk posten?")
    assert status == 200 and seconds < 1.0  # the restart does not hold up the ack
    (reply,) = running_as_served.slack.wait_for("response_url", timeout=30)
    assert "Alleen collega's met het certificaat" in all_text(reply.params["blocks"])
    assert pool._processes[0].pid != worker.pid


def test_a_manager_who_cannot_be_reached_does_not_keep_the_others_from_hearing(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    managers = ("UCMGONE", MANAGER)
    escalations = running.services.escalations
    escalations.routing = replace(escalations.routing, managers=managers)
    question_id = ask_first(running, "Mag ik een TikTok account voor mijn team openen?")
    slack = running.slack
    slack.fail("chat.postMessage", error="channel_not_found", channel="UCMGONE")
    with caplog.at_level(logging.WARNING):
        running.click(b.ASK_MANAGER, str(question_id), user="U1", channel="C1")
        dms = slack.wait_for("chat.postMessage", count=2)
        wait_until(lambda: slack.response_posts("r-click"))
        (told,) = slack.response_posts("r-click")
        wait_until(lambda: "channel_not_found" in caplog.text)
    assert sorted(dm.params["channel"] for dm in dms) == sorted(managers)
    assert "conversatiemanager" in told.params["text"]  # sent, not "something went wrong"
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "(to UCMGONE)" in failed[0].getMessage() and "for U1" in failed[0].getMessage()
    (row,) = running.services.outbox.rows(["failed"])
    assert row.channel == "UCMGONE" and row.last_error == "channel_not_found"


def test_a_mention_that_cannot_be_answered_tells_the_user(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(KnowledgeBase, "answer", broken)
    event = {
        "type": "app_mention",
        "user": "U2",
        "channel": "C9",
        "ts": "1.7",
        "text": "<@UBOT> who may post for the brand?",
    }
    assert running.event(event, event_id="EvBroken")[0] == 200
    (post,) = running.slack.wait_for("chat.postMessage")
    assert post.params["thread_ts"] == "1.7"
    assert post.params["text"] == t("ask_failed", "en")  # the language of the question
    assert "the engine broke" not in post.params["text"]


def test_a_question_that_cannot_be_stored_is_acked_told_and_seen_by_the_health_check(
    running: Running, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def disk_full(*_: object, **__: object) -> bool:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Intake, "accept", disk_full)
    event = {
        "type": "message",
        "channel_type": "im",
        "user": "U3",
        "channel": "D3",
        "ts": "1700000004.000100",
        "text": "what do I do when our account is hacked?",
    }
    status, _, _ = running.event(event, event_id="EvDiskFull")
    assert status == 200  # acknowledged: a retry would fail the same way
    (told,) = running.slack.wait_for("chat.postMessage")
    assert told.params["channel"] == "D3" and told.params["text"] == t("intake_failed", "en")
    assert "could not be stored: database or disk is full" in caplog.text
    status, text = signing.get(f"{running.url}/healthz")
    assert status == 503 and "could not be stored" in text
    status, text, _ = running.command("Wie mag er namens het merk posten?")
    assert status == 200 and "Sorry" in text  # /ask says so in its ack


def test_small_talk_in_the_home_modal_gets_a_reply_not_an_answer(running: Running) -> None:
    values = {
        b.ASK_MODAL_BLOCK: {b.ASK_MODAL_INPUT: {"type": "plain_text_input", "value": "bedankt!"}}
    }
    status, _, _ = running.send(signing.view_submission_body(b.ASK_MODAL, values))
    assert status == 200
    (post,) = running.slack.wait_for("chat.postMessage")
    assert post.params["channel"] == "U1"
    assert post.params["text"] == t("welcome", "nl")
    assert running.questions() == []  # not counted as a question


def test_text_arrives_as_typed_and_a_dm_in_a_thread_is_answered_there(running: Running) -> None:
    event = {
        "type": "message",
        "subtype": "file_share",  # a screenshot with the question
        "channel_type": "im",
        "user": "U3",
        "channel": "D3",
        "ts": "1700000003.000200",
        "thread_ts": "1700000003.000100",
        "text": "Mag ik R&amp;D-resultaten &lt;intern&gt; posten? <@UBOT>",
        "files": [{"id": "F1", "name": "screenshot.png"}],
    }
    running.event(event)
    (post,) = running.slack.wait_for("chat.postMessage")
    assert (post.params["channel"], post.params["thread_ts"]) == ("D3", "1700000003.000100")
    (asked,) = running.questions()
    assert asked["question"] == "Mag ik R&D-resultaten <intern> posten?"


@pytest.mark.parametrize("value", ["abc", "", "1.5", "1e3", "²", "9" * 25])
def test_a_button_with_a_value_that_is_no_question_id_is_not_found(
    running: Running, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    running.click(b.HELPFUL, value)
    (reply,) = running.slack.wait_for("response_url")
    assert reply.params["text"] == t("not_found", "nl")
    assert "Traceback" not in caplog.text


def test_a_question_forwarded_by_someone_else_names_them_for_the_manager(
    running: Running,
) -> None:
    question_id = ask_first(running, "Mag ik een TikTok account voor mijn team openen?")
    running.click(b.ASK_MANAGER, str(question_id), user="U9", channel="C1")
    (dm,) = running.slack.wait_for("chat.postMessage")
    text = all_text(dm.params["blocks"])
    assert "<@U1> vroeg in <#C1>" in text and "Doorgestuurd door <@U9>." in text


def test_the_manager_dm_notification_shows_typed_markup_as_text(running: Running) -> None:
    question_id = ask_first(running, "Mag ik &lt;!channel&gt; gebruiken in een post?")
    running.click(b.ASK_MANAGER, str(question_id), user="U1", channel="C1")
    (dm,) = running.slack.wait_for("chat.postMessage")
    assert dm.params["text"].endswith(": Mag ik &lt;!channel&gt; gebruiken in een post?")
    assert "<!channel>" not in json.dumps(dm.params)  # no @channel


def test_sharing_where_socialbot_may_not_post_says_so(running: Running) -> None:
    question_id = ask_first(running)
    running.slack.fail("chat.postMessage", error="channel_not_found")  # a DM between two people
    running.click(b.SHARE, str(question_id), user="U1", channel="DOTHER")
    (told,) = running.slack.wait_for("response_url")
    assert told.params["text"] == t("share_impossible", "nl")


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ("[1]", {}),
        ("null", {}),
        ("payload=null", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("{}", {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"}),
        ("{}", {"X-Slack-Request-Timestamp": "²", "X-Slack-Signature": "v0=00"}),
    ],
    ids=["json list", "json null", "form null", "timestamp not a number", "digit not 0-9"],
)
def test_unsigned_junk_is_refused_before_it_is_parsed(
    running: Running, body: str, headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    status, _, _ = signing.post(f"{running.url}/slack/events", body, headers)
    assert status == 401
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert running.command("crisis")[0] == 200  # serving goes on


def test_requests_no_listener_uses_are_acknowledged_not_404(running: Running) -> None:
    old_button = running.click("a_button_of_an_older_version", "1")
    other_modal = running.send(signing.view_submission_body("another_modal", {}))
    unused_event = running.event({"type": "reaction_added", "user": "U1"}, event_id="EvReact")
    assert [old_button[0], other_modal[0], unused_event[0]] == [200, 200, 200]
    time.sleep(0.2)
    assert [c.method for c in running.slack.calls if c.method != "auth.test"] == []
    assert running.questions() == []


def test_slacks_notice_that_it_rate_limits_events_is_logged_and_acknowledged(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    notice = {
        "token": "t",
        "type": "app_rate_limited",
        "team_id": "T1",
        "minute_rate_limited": 1518467820,
        "api_app_id": "A1",
    }
    status, _, _ = running.send(json.dumps(notice))
    assert status == 200
    assert "Slack is rate-limiting this app's events" in caplog.text


def test_the_ask_modal_opens_at_once_while_slow_calls_fill_the_pool(running: Running) -> None:
    # Slack's trigger_id expires 3 s after the click; four App Homes being published to a
    # slow (rate-limited) Slack hold every thread of the pool for the clicks' slow work.
    running.slack.set_delay("views.publish", 4.0)
    for number in range(4):
        home = {"type": "app_home_opened", "user": f"U{number}", "channel": "D1", "tab": "home"}
        running.event(home, event_id=f"EvHome{number}")
    running.slack.wait_for("views.publish", count=4)
    running.send(signing.block_action_body(b.HOME_ASK, "ask", channel_id=None))
    (opened,) = running.slack.wait_for("views.open", timeout=2.0)
    assert opened.json("view")["callback_id"] == b.ASK_MODAL


def test_read_more_of_a_very_long_entry_arrives_in_parts_slack_accepts(running: Running) -> None:
    paragraphs = (
        f"**Deel {i}.** " + " ".join(f"woord{i}x{j}" for j in range(50)) for i in range(50)
    )
    long_entry = replace(
        running.services.kb.get("who-may-post"), id="long-guide", body="\n\n".join(paragraphs)
    )
    running.services.kb.import_entries([long_entry])
    expected = b.entry_messages(long_entry, long_entry.lang)
    assert 1 < len(expected) <= b.RESPONSE_URL_POSTS
    running.click(b.READ_MORE, "long-guide", response="r-long")
    running.slack.wait_for("response_url", count=len(expected))
    time.sleep(0.2)  # nothing more follows
    posts = running.slack.response_posts("r-long")
    assert [post.params["blocks"] for post in posts] == expected  # every part, in order
    for post in posts:
        assert len(post.params["blocks"]) <= 50
        assert post.params["response_type"] == "ephemeral"
        assert post.params["replace_original"] is False
    sections = [
        x["text"]["text"] for post in posts for x in post.params["blocks"] if x["type"] == "section"
    ]
    title = "*Wie mag er namens het merk posten?*"
    assert sections[0] == title and title not in sections[1:]  # the title in the first only
    assert "\n\n".join(sections[1:]) == b.to_mrkdwn(long_entry.body)  # all of it, in order
    assert "Bron: *" in all_text(posts[-1].params["blocks"])
    assert all("Bron: *" not in all_text(post.params["blocks"]) for post in posts[:-1])


def test_a_manager_who_cannot_be_reached_at_all_is_named_to_the_user(running: Running) -> None:
    question_id = ask_first(running, "Mag ik een TikTok account voor mijn team openen?")
    running.slack.fail("chat.postMessage", error="channel_not_found")
    running.click(b.ASK_MANAGER, str(question_id), user="U1", channel="C1")
    dm, told = running.slack.wait_for("chat.postMessage", count=2)
    assert dm.params["channel"] == MANAGER and told.params["channel"] == "U1"
    assert told.params["text"] == t("manager_unreachable", "nl", managers=f"<@{MANAGER}>")
    assert running.services.store.db.table("escalations").count == 1  # kept
