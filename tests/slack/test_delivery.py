"""The delivery spine end to end: signed requests into the real HTTP server, the outbox
delivering to the fake Slack through outages, clicks, replays and a second server."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import Settings
from bot.i18n import t
from bot.outbox import Message, Sent, enqueue
from handlers import blocks as b
from handlers.runtime import slack_client, slack_services
from handlers.transport import SlackTransport
from tests.conftest import wait_until
from tests.slack import signing
from tests.slack.conftest import SECRET, Running, serving
from tests.slack.fake_slack import FakeSlack

FORM = "application/x-www-form-urlencoded"


def mention(number: int, channel: str = "C9") -> dict[str, str]:
    return {
        "type": "app_mention",
        "user": f"U{number}",
        "channel": channel,
        "ts": f"1700000100.{number:06d}",
        "text": "<@UBOT> what do I do when a brand account has been hacked?",
    }


def answered_names(slack: FakeSlack, names: list[str]) -> Counter[str]:
    """How many successful posts each response_url got."""
    return Counter({name: len(slack.response_posts(name)) for name in names})


def ask_first(running: Running, question: str = "Wie mag er namens het merk posten?") -> int:
    status, _, _ = running.command(question, response="first")
    assert status == 200
    wait_until(lambda: running.slack.response_posts("first"))
    return int(running.questions()[-1]["id"])


def test_answers_and_manager_dms_arrive_once_through_500s_429s_and_an_outage(
    running: Running,
) -> None:
    slack = running.slack
    question_id = ask_first(running, "Mag ik een TikTok account voor mijn team openen?")
    slack.fail("*", status=500, times=3)
    slack.fail("response_url", status=500, times=3)
    slack.fail("chat.postMessage", status=429, retry_after="1", times=2)
    names = [f"r{n}" for n in range(10)]
    for number, name in enumerate(names):
        assert running.command(f"crisis ophef {number}", user=f"U{number}", response=name)[0] == 200
    for number in range(5):
        assert running.event(mention(number), event_id=f"EvOut{number}")[0] == 200
    assert running.click(b.ASK_MANAGER, str(question_id))[0] == 200
    with slack.down():  # Slack is down for a while: nothing gets through
        time.sleep(1.5)
        assert running.services.outbox.backlog().undelivered > 0
    wait_until(lambda: running.services.outbox.backlog().undelivered == 0, timeout=60)
    assert answered_names(slack, names) == Counter({name: 1 for name in names})
    keys = Counter(slack.metadata_keys())
    assert sorted(keys) == sorted(
        [f"reply:event:EvOut{n}" for n in range(5)] + ["escalation:1:dm:UCM1"]
    )
    assert set(keys.values()) == {1}  # each exactly once
    assert running.services.outbox.backlog().failed == 0


def test_five_simultaneous_clicks_on_ask_the_manager_give_one_escalation_and_one_dm(
    running: Running,
) -> None:
    question_id = ask_first(running)
    start = threading.Barrier(5)
    statuses: list[int] = []

    def click() -> None:
        start.wait()
        statuses.append(running.click(b.ASK_MANAGER, str(question_id))[0])

    threads = [threading.Thread(target=click) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 5
    running.slack.wait_for("chat.postMessage")
    time.sleep(0.5)  # room for a second DM, were there one
    assert len(running.slack.calls_to("chat.postMessage")) == 1
    assert running.services.store.db.table("escalations").count == 1


def test_a_replayed_signed_command_is_answered_once(running: Running) -> None:
    body = signing.slash_command_body(
        text="crisis ophef", response_url=running.slack.response_url("replayed")
    )
    for _ in range(3):  # captured and sent again within Slack's 5 minutes
        assert running.send(body)[0] == 200
    wait_until(lambda: running.slack.response_posts("replayed"))
    time.sleep(0.3)
    assert len(running.slack.response_posts("replayed")) == 1
    assert len(running.questions()) == 1


def test_a_question_is_kept_once_by_the_intake_alone(running: Running) -> None:
    body = signing.slash_command_body(text="crisis ophef", response_url=None)
    assert running.send(body)[0] == 200
    running.send(body)
    db = running.services.store.db
    assert db.table("intake").count == 1
    assert db.table("handled_events").count == 0  # one write before the ack, not two
    running.event(mention(2), event_id="EvOnce")
    running.event(mention(2), event_id="EvOnce")
    assert db.table("intake").count == 2
    assert db.table("handled_events").count == 0


def test_a_replayed_share_click_posts_once(running: Running) -> None:
    question_id = ask_first(running)
    body = signing.block_action_body(b.SHARE, str(question_id), response_url=None)
    assert running.send(body)[0] == 200
    assert running.send(body)[0] == 200
    running.slack.wait_for("chat.postMessage")
    time.sleep(0.3)
    assert len(running.slack.calls_to("chat.postMessage")) == 1


def test_socialbots_messages_do_not_unfurl_links(running: Running) -> None:
    running.event(mention(1), event_id="EvUnfurl")
    (post,) = running.slack.wait_for("chat.postMessage")
    assert post.params["unfurl_links"] in (False, "false", "0")
    assert post.params["unfurl_media"] in (False, "false", "0")


def test_an_expired_response_url_gets_the_answer_by_dm_saying_it_is_late(
    running: Running,
) -> None:
    running.slack.expire_response_url("expired")
    running.command("Wie mag er namens het merk posten?", user="U5", response="expired")
    (dm,) = running.slack.wait_for("chat.postMessage")
    assert dm.params["channel"] == "U5"
    blocks = dm.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert blocks[0]["elements"][0]["text"].startswith("⏳")
    assert "Alleen collega's met het certificaat" in json.dumps(blocks, ensure_ascii=False)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("[]", "application/json"),
        ("null", "application/json"),
        ("command=%2Fask&text=hi&channel_id=C1&response_url=x", FORM),
        ("payload=%5B%5D", FORM),
        ("hello=world", FORM),
    ],
    ids=["json list", "json null", "command without user", "payload list", "other"],
)
def test_signed_bodies_slack_never_sends_are_a_bad_request(
    running: Running, body: str, content_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    headers = signing.signed_headers(SECRET, body, content_type=content_type)
    status, _, text = signing.post(f"{running.url}/slack/events", body, headers)
    assert status == 400 and text.startswith("bad request")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert running.command("crisis")[0] == 200  # serving goes on


def test_a_body_that_is_not_utf8_is_a_bad_request(running: Running) -> None:
    body = b"\xff\xfe payload"
    headers = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=0"}
    status, _, text = signing.post(f"{running.url}/slack/events", body, headers)
    assert status == 400 and "UTF-8" in text


def test_a_body_larger_than_slack_sends_is_refused_with_413(running: Running) -> None:
    host, port = running.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
            b"Content-Length: 2000000\r\n\r\n" + b"x" * 1024
        )
        answer = connection.recv(1024)
    assert answer.startswith(b"HTTP/1.1 413")
    assert running.command("crisis")[0] == 200


def test_health_turns_503_when_the_backlog_is_too_old(running: Running) -> None:
    with running.services.store.transaction() as db:
        db.execute(
            "insert into outbox (key, kind, route, channel, content, created_at, state, due_at) "
            "values ('old', 'answer', 'post', 'C1', '{}', '2020-01-01T00:00:00+00:00', "
            "'pending', 4102444800)"  # due in 2100: it stays
        )
    status, text = signing.get(f"{running.url}/healthz")
    assert status == 503 and "oldest undelivered message" in text
    assert json.loads(text)["outbox_undelivered"] == 1


def test_health_turns_503_when_no_worker_runs(running: Running) -> None:
    running.stop_workers()
    status, text = signing.get(f"{running.url}/healthz")
    assert status == 503 and "no worker is running" in text


def test_health_turns_503_when_the_database_file_is_deleted(running: Running) -> None:
    os.remove(running.services.store.path)
    status, text = signing.get(f"{running.url}/healthz")
    assert status == 503 and "is gone" in text


def test_two_servers_on_one_database_answer_each_question_once(
    settings: Settings, slack: FakeSlack, tmp_path: Path
) -> None:
    with serving(settings, slack) as first, serving(replace(settings), slack) as second:
        names = [f"two{n}" for n in range(20)]
        for number, name in enumerate(names):
            server = (first, second)[number % 2]
            assert server.command(f"crisis {number}", user=f"U{number}", response=name)[0] == 200
        for number in range(6):
            server = (first, second)[number % 2]
            assert (
                server.event(mention(number, f"C{number % 3}"), event_id=f"EvTwo{number}")[0] == 200
            )
        wait_until(
            lambda: all(slack.response_posts(n) for n in names) and len(slack.metadata_keys()) >= 6,
            timeout=30,
        )
        time.sleep(0.5)
    assert answered_names(slack, names) == Counter({name: 1 for name in names})
    assert sorted(slack.metadata_keys()) == sorted(f"reply:event:EvTwo{n}" for n in range(6))


def test_a_question_asked_while_the_workers_were_stopped_is_answered_at_the_next_start(
    settings: Settings, slack: FakeSlack
) -> None:
    with serving(settings, slack) as running:
        running.stop_workers()
        assert running.command("crisis ophef", response="waiting")[0] == 200
        time.sleep(0.3)
        assert slack.response_posts("waiting") == []
    with serving(settings, slack):  # a restart on the same database
        wait_until(lambda: slack.response_posts("waiting"))
    assert len(slack.response_posts("waiting")) == 1
    assert t("welcome", "nl") not in str(slack.response_posts("waiting")[0].params)


@pytest.mark.parametrize(
    ("kind", "apologises"),
    [("answer", True), ("digest", False), ("escalation", False), ("pilot_reminder", False)],
)
def test_only_a_late_answer_apologises_for_the_wait(
    settings: Settings, slack: FakeSlack, kind: str, apologises: bool
) -> None:
    services = slack_services(settings)  # no worker: this test sends the row itself
    try:
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": kind}}]
        message = Message(kind, "post", "CLATE", {"text": kind, "blocks": blocks}, "en", kind)
        with services.store.transaction() as db:
            enqueue(db, f"late:{kind}", message, services.outbox.clock())
        row = services.outbox.by_key(f"late:{kind}")
        assert row is not None
        transport = SlackTransport(slack_client(settings), settings.zone)
        assert isinstance(transport.send(row, late=True), Sent)
    finally:
        services.close()
    (posted,) = slack.messages("CLATE")
    assert ("Sorry for the wait" in json.dumps(posted)) is apologises
    assert posted["blocks"][-1] == blocks[0]


def test_after_an_outage_each_channel_gets_its_messages_in_order_each_once(
    running: Running,
) -> None:
    slack, outbox = running.slack, running.services.outbox
    channels = ("C1", "C2", "C3")
    assert running.event(mention(99, "C0"), event_id="EvFirst")[0] == 200  # Bolt's auth.test
    wait_until(lambda: slack.metadata_keys("C0"))
    with slack.down():  # the answers are written while Slack is down, and retried
        for number in range(18):
            event = mention(number, channels[number % 3])
            assert running.event(event, event_id=f"EvOrder{number}")[0] == 200
        wait_until(lambda: len(outbox.rows()) == 19)
        posts = "chat.postMessage"
        wait_until(lambda: sum(c.status != 200 for c in slack.calls_to(posts)) >= 12)  # retried
        time.sleep(0.5)  # and down a little longer: the backoffs spread out
    wait_until(lambda: outbox.backlog().undelivered == 0, timeout=30)
    written = [r.key for r in sorted(outbox.rows(), key=lambda r: r.id)]  # enqueue order
    for channel in channels:
        arrived = slack.metadata_keys(channel)
        mine = {f"reply:event:EvOrder{n}" for n in range(18) if channels[n % 3] == channel}
        assert arrived == [key for key in written if key in mine]  # in order, each once
    assert outbox.backlog().failed == 0
