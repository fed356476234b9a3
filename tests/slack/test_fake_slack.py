"""Tests for the FakeSlack Web API fake and the request-signing helpers."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from types import SimpleNamespace
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from .fake_slack import FakeSlack
from .signing import (
    block_action_body,
    event_body,
    post,
    signed_headers,
    slash_command_body,
)

SECRET = "test-signing-secret"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.api_url, timeout=5)


def test_post_message_is_recorded_with_params(slack: FakeSlack, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = client.chat_postMessage(channel="C1", text="hello", blocks=blocks)
    second = client.chat_postMessage(channel="C1", text="again", thread_ts=first["ts"])

    assert first["ok"] is True
    assert first["channel"] == "C1"
    assert re.fullmatch(r"\d{10}\.\d{6}", first["ts"])
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == blocks

    calls = slack.wait_for("chat.postMessage", count=2)
    assert calls[0].params["channel"] == "C1"
    assert calls[0].params["text"] == "hello"
    assert calls[0].json("blocks") == blocks  # WebClient sends chat.postMessage as JSON
    assert calls[1].params["thread_ts"] == first["ts"]
    assert calls[0].header("authorization") == "Bearer xoxb-test"
    assert calls[0].token == "xoxb-test"
    assert calls[0].status == 200
    assert calls[0].path == "/api/chat.postMessage"


def test_canned_responses(slack: FakeSlack, client: WebClient) -> None:
    auth = client.auth_test()
    assert (auth["user_id"], auth["bot_id"], auth["team_id"]) == ("UBOT", "BBOT", "T1")

    opened = client.conversations_open(users="U1")
    assert opened["channel"]["id"] == "DU1"
    assert slack.calls_to("conversations.open")[0].params["users"] == "U1"

    link = client.chat_getPermalink(channel="C1", message_ts="1700000000.000100")
    assert link["permalink"] == "https://example.slack.com/archives/C1/p1700000000000100"

    user = client.users_info(user="U1")["user"]
    assert user == {"id": "U1", "name": "u1", "locale": "en-US", "tz": "Europe/Brussels"}

    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": []})["view"] == {
        "id": "V1"
    }
    assert "message_ts" in client.chat_postEphemeral(channel="C1", user="U1", text="psst").data
    posted = client.chat_postMessage(channel="C1", text="draft")["ts"]
    assert client.chat_update(channel="C1", ts=posted, text="edited")["ts"] == posted
    assert client.reactions_add(channel="C1", timestamp="1.2", name="eyes")["ok"] is True

    slack.reset()
    assert slack.calls == []


def test_form_and_json_bodies_are_parsed(slack: FakeSlack, client: WebClient) -> None:
    blocks = [{"type": "divider"}]
    posted = client.api_call(
        "chat.postMessage", params={"channel": "C9", "blocks": json.dumps(blocks)}
    )
    client.api_call("chat.update", json={"channel": "C9", "ts": posted["ts"], "text": "json"})

    (form,) = slack.calls_to("chat.postMessage")
    assert form.header("content-type") == "application/x-www-form-urlencoded"
    assert form.params["channel"] == "C9"
    assert form.params["blocks"] == json.dumps(blocks)  # JSON strings stay strings
    assert form.json("blocks") == blocks

    (body,) = slack.calls_to("chat.update")
    assert body.params == {"channel": "C9", "ts": posted["ts"], "text": "json"}


def test_server_error_raises_slack_api_error(slack: FakeSlack, client: WebClient) -> None:
    slack.fail("chat.postMessage", status=500)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="boom")
    assert excinfo.value.response.status_code == 500

    # Only the next call fails; the failed one is still recorded.
    assert client.chat_postMessage(channel="C1", text="fine")["ok"] is True
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [500, 200]


def test_error_code_raises_slack_api_error(slack: FakeSlack, client: WebClient) -> None:
    slack.fail("auth.test", error="invalid_auth")
    with pytest.raises(SlackApiError) as excinfo:
        client.auth_test()
    assert excinfo.value.response.status_code == 200
    assert excinfo.value.response["error"] == "invalid_auth"


def test_rate_limit_is_retried(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    # The handler sleeps Retry-After + random() seconds; make the jitter zero.
    monkeypatch.setattr(builtin_handlers, "random", SimpleNamespace(random=lambda: 0.0))
    client = WebClient(
        token="xoxb-test",
        base_url=slack.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack.fail("chat.postMessage", status=429, retry_after=0)

    assert client.chat_postMessage(channel="C1", text="retry me")["ok"] is True
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]


def test_rate_limit_without_retry_handler_exposes_retry_after(
    slack: FakeSlack, client: WebClient
) -> None:
    slack.fail("chat.postMessage", status=429)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="limited")
    assert excinfo.value.response.status_code == 429
    assert excinfo.value.response.headers["Retry-After"] == "1"


def test_wait_for_times_out(slack: FakeSlack, client: WebClient) -> None:
    client.auth_test()
    with pytest.raises(AssertionError, match=r"chat\.update.*auth\.test x1"):
        slack.wait_for("chat.update", timeout=0.1)


def test_delay_slows_down_answers(slack: FakeSlack, client: WebClient) -> None:
    slack.set_delay("chat.postMessage", 0.2)
    started = time.monotonic()
    client.chat_postMessage(channel="C1", text="slow")
    assert time.monotonic() - started >= 0.2


def test_response_url_post_is_recorded(slack: FakeSlack) -> None:
    url = slack.response_url("r7")
    assert url.endswith("/response/r7")

    response = WebhookClient(url).send(text="done", response_type="ephemeral")
    assert response.status_code == 200
    assert json.loads(response.body) == {"ok": True}

    (call,) = slack.wait_for("response_url")
    assert call.path == "/response/r7"
    assert call.params["text"] == "done"
    assert call.params["response_type"] == "ephemeral"


def test_signed_headers_verify() -> None:
    body = slash_command_body(text="what is slack?")
    headers = signed_headers(SECRET, body)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(
        body=body,
        timestamp=headers["X-Slack-Request-Timestamp"],
        signature=headers["X-Slack-Signature"],
    )
    assert verifier.is_valid_request(body, headers)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert not SignatureVerifier("other-secret").is_valid_request(body, headers)

    stale = signed_headers(SECRET, body, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(body, stale)


def test_request_bodies_look_like_slack() -> None:
    command = {k: v[0] for k, v in parse_qs(slash_command_body(text="hi there")).items()}
    assert command["command"] == "/ask"
    assert command["text"] == "hi there"
    assert command["is_enterprise_install"] == "false"

    envelope = json.loads(event_body({"type": "app_mention", "text": "<@UBOT> hi"}))
    assert envelope["type"] == "event_callback"
    assert envelope["authorizations"][0]["user_id"] == "UBOT"
    assert signed_headers(SECRET, event_body({}))["Content-Type"] == "application/json"

    form = parse_qs(block_action_body("vote", "up", channel_id=None, view={"id": "V1"}))
    payload = json.loads(form["payload"][0])
    assert payload["type"] == "block_actions"
    assert "channel" not in payload
    assert payload["container"] == {"type": "view", "view_id": "V1"}
    assert payload["actions"][0]["action_id"] == "vote"
    assert payload["actions"][0]["value"] == "up"


def test_post_returns_error_statuses(slack: FakeSlack) -> None:
    status, _, text = post(f"{slack.base_url}/nowhere", "{}", {"Content-Type": "application/json"})
    assert status == 404
    assert json.loads(text)["error"] == "unknown_path"

    status, _, text = post(slack.response_url(), '{"text": "x"}', {})
    assert status == 200
    assert json.loads(text) == {"ok": True}


# --- The message store ------------------------------------------------------------------


def meta(key: str, **payload: object) -> dict[str, object]:
    """Message metadata as the bot sends it for an outbox entry."""
    return {"event_type": "socialbot_outbox", "event_payload": {"key": key, **payload}}


def test_posted_messages_are_stored_per_channel(slack: FakeSlack, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    parent = client.chat_postMessage(channel="C1", text="hello", blocks=blocks)["ts"]
    reply = client.chat_postMessage(
        channel="C1", text="in thread", thread_ts=parent, metadata=meta("k1", n=1)
    )["ts"]
    client.chat_postMessage(channel="C2", text="elsewhere")

    stored = slack.messages("C1")
    assert [m["ts"] for m in stored] == [parent, reply]  # oldest first, replies included
    assert stored[0]["text"] == "hello" and stored[0]["blocks"] == blocks
    assert "thread_ts" not in stored[0] and "metadata" not in stored[0]
    assert stored[1]["thread_ts"] == parent
    assert stored[1]["metadata"] == meta("k1", n=1)
    assert stored[1]["user"] == "UBOT" and stored[1]["bot_id"] == "BBOT"
    assert [m["text"] for m in slack.messages("C2")] == ["elsewhere"]
    assert slack.messages("C3") == []

    stored[0]["text"] = "changed by the test"  # a copy: the store is not touched
    assert slack.messages("C1")[0]["text"] == "hello"


def test_metadata_sent_as_a_json_string_is_stored_decoded(
    slack: FakeSlack, client: WebClient
) -> None:
    client.api_call(
        "chat.postMessage",
        params={"channel": "C1", "text": "form", "metadata": json.dumps(meta("k-form"))},
    )
    assert isinstance(slack.calls_to("chat.postMessage")[0].params["metadata"], str)
    assert slack.messages("C1")[0]["metadata"] == meta("k-form")


def test_failed_or_overridden_posts_are_not_stored(slack: FakeSlack, client: WebClient) -> None:
    slack.fail("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="lost")
    slack.set_response("chat.postMessage", {"ok": True, "ts": "1.1"})
    client.chat_postMessage(channel="C1", text="overridden")
    assert slack.messages("C1") == []


@pytest.mark.parametrize("user", ["U1", "W2"])
def test_a_post_to_a_user_lands_in_their_dm(slack: FakeSlack, client: WebClient, user: str) -> None:
    posted = client.chat_postMessage(channel=user, text="psst", metadata=meta("dm"))
    dm = client.conversations_open(users=user)["channel"]["id"]
    assert posted["channel"] == dm == "D" + user
    assert [m["text"] for m in slack.messages(dm)] == ["psst"]
    assert slack.messages(user) == slack.messages(dm)  # the helper accepts the user id
    assert slack.calls_to("chat.postMessage")[0].params["channel"] == user  # as sent
    history = client.conversations_history(channel=dm)["messages"]
    assert [m["ts"] for m in history] == [posted["ts"]]


def test_chat_update_edits_the_stored_message(slack: FakeSlack, client: WebClient) -> None:
    blocks = [{"type": "divider"}]
    ts = client.chat_postMessage(channel="C1", text="draft", blocks=blocks)["ts"]

    updated = client.chat_update(channel="C1", ts=ts, text="final")
    assert (updated["ts"], updated["text"]) == (ts, "final")
    assert updated["message"]["blocks"] == blocks  # blocks not sent: kept
    (stored,) = slack.messages("C1")
    assert (stored["ts"], stored["text"], stored["blocks"]) == (ts, "final", blocks)

    new_blocks = [{"type": "section", "text": {"type": "plain_text", "text": "new"}}]
    client.chat_update(channel="C1", ts=ts, text="final", blocks=new_blocks)
    assert slack.messages("C1")[0]["blocks"] == new_blocks
    client.chat_update(channel="C1", ts=ts, text="plain", blocks=[])  # [] removes them
    assert "blocks" not in slack.messages("C1")[0]
    assert len(slack.messages("C1")) == 1


def test_chat_update_of_an_unknown_message_is_not_found(
    slack: FakeSlack, client: WebClient
) -> None:
    ts = client.chat_postMessage(channel="C1", text="here")["ts"]
    for channel, missing_ts in (("C1", "1.2"), ("C2", ts)):
        with pytest.raises(SlackApiError) as excinfo:
            client.chat_update(channel=channel, ts=missing_ts, text="edited")
        assert excinfo.value.response.status_code == 200
        assert excinfo.value.response["error"] == "message_not_found"
    assert slack.messages("C1")[0]["text"] == "here"


def test_history_lists_top_level_messages_newest_first(slack: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="one", metadata=meta("a"))["ts"]
    client.chat_postMessage(channel="C1", text="reply", thread_ts=first)
    second = client.chat_postMessage(channel="C1", text="two")["ts"]
    client.chat_postMessage(channel="C2", text="other")

    history = client.conversations_history(channel="C1")
    assert history["ok"] is True and history["has_more"] is False
    assert [m["ts"] for m in history["messages"]] == [second, first]
    assert all("metadata" not in m for m in history["messages"])

    with_meta = client.conversations_history(channel="C1", include_all_metadata=True)
    assert with_meta["messages"][1]["metadata"] == meta("a")
    assert "metadata" not in with_meta["messages"][0]  # it was posted without
    for flag in ("true", "1"):
        raw = client.api_call(
            "conversations.history",
            http_verb="GET",
            params={"channel": "C1", "include_all_metadata": flag},
        )
        assert raw["messages"][1]["metadata"] == meta("a")
    off = client.conversations_history(channel="C1", include_all_metadata=False)
    assert all("metadata" not in m for m in off["messages"])

    empty = client.conversations_history(channel="CNEVER")
    assert (empty["ok"], empty["messages"], empty["has_more"]) == (True, [], False)


def test_history_filters_on_oldest_and_latest(slack: FakeSlack, client: WebClient) -> None:
    a, b, c = (client.chat_postMessage(channel="C1", text=t)["ts"] for t in "abc")

    def listed(**kwargs: object) -> list[str]:
        return [m["ts"] for m in client.conversations_history(channel="C1", **kwargs)["messages"]]

    assert listed(oldest=a) == [c, b]  # exclusive by default
    assert listed(latest=c) == [b, a]
    assert listed(oldest=a, latest=c) == [b]
    assert listed(oldest=a, latest=c, inclusive=True) == [c, b, a]
    assert listed(oldest=c) == []

    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_history(channel="C1", oldest="yesterday")
    assert excinfo.value.response["error"] == "invalid_ts_oldest"


def test_history_oldest_works_with_wall_clock_time(slack: FakeSlack, client: WebClient) -> None:
    before = client.chat_postMessage(channel="C1", text="before")["ts"]
    cutoff = f"{time.time():.6f}"
    after = client.chat_postMessage(channel="C1", text="after")["ts"]
    assert float(before) <= float(cutoff) < float(after)
    messages = client.conversations_history(channel="C1", oldest=cutoff)["messages"]
    assert [m["text"] for m in messages] == ["after"]
    an_hour_ago = str(int(time.time()) - 3600)
    assert len(client.conversations_history(channel="C1", oldest=an_hour_ago)["messages"]) == 2


def test_history_limit_and_cursor(slack: FakeSlack, client: WebClient) -> None:
    posted = [client.chat_postMessage(channel="C1", text=str(i))["ts"] for i in range(5)]

    page = client.conversations_history(channel="C1", limit=2)
    assert [m["ts"] for m in page["messages"]] == posted[::-1][:2]
    assert page["has_more"] is True
    seen = [m["ts"] for m in page["messages"]]
    while page["has_more"]:
        cursor = page["response_metadata"]["next_cursor"]
        page = client.conversations_history(channel="C1", limit=2, cursor=cursor)
        seen += [m["ts"] for m in page["messages"]]
    assert seen == posted[::-1]
    assert page["response_metadata"]["next_cursor"] == ""
    assert len(client.conversations_history(channel="C1", limit=5)["messages"]) == 5

    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_history(channel="C1", cursor="not-a-cursor")
    assert excinfo.value.response["error"] == "invalid_cursor"


def test_replies_list_the_thread_oldest_first(slack: FakeSlack, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="parent")["ts"]
    first = client.chat_postMessage(channel="C1", text="r1", thread_ts=parent, metadata=meta("r1"))[
        "ts"
    ]
    client.chat_postMessage(channel="C1", text="unrelated")
    second = client.chat_postMessage(channel="C1", text="r2", thread_ts=parent)["ts"]
    client.chat_postMessage(channel="C2", text="same ts, other channel", thread_ts=parent)

    replies = client.conversations_replies(channel="C1", ts=parent)
    assert replies["ok"] is True and replies["has_more"] is False
    assert [m["ts"] for m in replies["messages"]] == [parent, first, second]
    assert all("metadata" not in m for m in replies["messages"])
    with_meta = client.conversations_replies(channel="C1", ts=parent, include_all_metadata=True)
    assert with_meta["messages"][1]["metadata"] == meta("r1")

    # a thread under someone else's message (not stored): just the replies
    reply = client.chat_postMessage(channel="C1", text="answer", thread_ts="1700000001.000200")
    answer = client.conversations_replies(channel="C1", ts="1700000001.000200")
    assert [m["ts"] for m in answer["messages"]] == [reply["ts"]]
    # a message without replies is a thread of one
    alone = client.conversations_replies(channel="C1", ts=first)["messages"]
    assert [m["ts"] for m in alone] == [first]

    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_replies(channel="C1", ts="1.2")
    assert excinfo.value.response["error"] == "thread_not_found"


def test_timestamps_are_unique_increasing_and_follow_the_clock(
    slack: FakeSlack, client: WebClient
) -> None:
    started = time.time()
    stamps = [client.chat_postMessage(channel="C1", text="x")["ts"] for _ in range(3)]
    stamps.append(client.chat_postEphemeral(channel="C1", user="U1", text="y")["message_ts"])
    stamps += [slack._next_ts() for _ in range(50)]  # faster than the clock ticks
    finished = time.time()

    assert all(re.fullmatch(r"\d{10}\.\d{6}", ts) for ts in stamps)
    numbers = [float(ts) for ts in stamps]
    assert numbers == sorted(set(numbers))
    assert started - 0.001 <= numbers[0] and numbers[-1] <= finished + 0.001


# --- Outages, failures for any method, expired response URLs ------------------------------


def test_an_outage_answers_every_request_and_changes_nothing(
    slack: FakeSlack, client: WebClient
) -> None:
    slack.fail("auth.test", error="invalid_auth")
    slack.set_down(True)

    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="lost")
    assert excinfo.value.response.status_code == 503
    assert excinfo.value.response.data == {"ok": False, "error": "service_unavailable"}
    with pytest.raises(SlackApiError):
        client.auth_test()
    webhook = WebhookClient(slack.response_url("r1")).send(text="lost too")
    assert webhook.status_code == 503
    assert json.loads(webhook.body) == {"ok": False, "error": "service_unavailable"}

    assert slack.messages("C1") == []
    assert [(c.method, c.status) for c in slack.calls] == [
        ("chat.postMessage", 503),
        ("auth.test", 503),
        ("response_url", 503),
    ]
    assert slack.response_posts("r1") == []

    slack.set_down(False)
    with pytest.raises(SlackApiError) as excinfo:  # the queued failure is still there
        client.auth_test()
    assert excinfo.value.response["error"] == "invalid_auth"
    assert client.chat_postMessage(channel="C1", text="back")["ok"] is True
    assert [m["text"] for m in slack.messages("C1")] == ["back"]


def test_down_as_a_context_manager(slack: FakeSlack, client: WebClient) -> None:
    with slack.down(status=500):
        with pytest.raises(SlackApiError) as excinfo:
            client.auth_test()
        assert excinfo.value.response.status_code == 500
        assert excinfo.value.response["error"] == "service_unavailable"
    assert client.auth_test()["ok"] is True

    slack.set_down(True, status=502)
    with slack.down(status=429):
        with pytest.raises(SlackApiError) as excinfo:
            client.auth_test()
        assert excinfo.value.response.status_code == 429
        assert excinfo.value.response.headers["Retry-After"] == "1"
    with pytest.raises(SlackApiError) as excinfo:  # the outage before is back
        client.auth_test()
    assert excinfo.value.response.status_code == 502
    slack.set_down(False)
    assert client.auth_test()["ok"] is True


def test_fail_any_method(slack: FakeSlack, client: WebClient) -> None:
    slack.fail("*", status=500, times=2)

    assert WebhookClient(slack.response_url()).send(text="fine").status_code == 200
    with pytest.raises(SlackApiError):
        client.auth_test()
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="boom")
    assert excinfo.value.response.status_code == 500
    assert client.chat_postMessage(channel="C1", text="fine")["ok"] is True
    assert [m["text"] for m in slack.messages("C1")] == ["fine"]
    assert [(c.method, c.status) for c in slack.calls] == [
        ("response_url", 200),
        ("auth.test", 500),
        ("chat.postMessage", 500),
        ("chat.postMessage", 200),
    ]


def test_a_failure_for_the_method_goes_before_one_for_any(
    slack: FakeSlack, client: WebClient
) -> None:
    slack.fail("*", error="fatal_error")
    slack.fail("auth.test", error="invalid_auth")

    with pytest.raises(SlackApiError) as excinfo:
        client.auth_test()
    assert excinfo.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as excinfo:
        client.auth_test()
    assert excinfo.value.response["error"] == "fatal_error"
    assert client.auth_test()["ok"] is True


def test_an_expired_response_url_answers_404(slack: FakeSlack) -> None:
    assert WebhookClient(slack.response_url("r1")).send(text="first").status_code == 200
    slack.expire_response_url("r1")

    expired = WebhookClient(slack.response_url("r1")).send(text="too late")
    assert expired.status_code == 404
    assert json.loads(expired.body) == {"ok": False, "error": "expired_url"}
    assert WebhookClient(slack.response_url("r2")).send(text="other").status_code == 200

    assert [(c.path, c.status) for c in slack.calls_to("response_url")] == [
        ("/response/r1", 200),
        ("/response/r1", 404),
        ("/response/r2", 200),
    ]
    assert [c.params["text"] for c in slack.response_posts("r1")] == ["first"]
    assert [c.params["text"] for c in slack.response_posts("r2")] == ["other"]
    assert slack.response_posts("r3") == []


def test_response_posts_leave_out_failed_posts(slack: FakeSlack) -> None:
    slack.fail("response_url", status=500)
    assert WebhookClient(slack.response_url()).send(text="failed").status_code == 500
    assert WebhookClient(slack.response_url()).send(text="ok").status_code == 200
    assert [c.params["text"] for c in slack.response_posts()] == ["ok"]


# --- Outbox keys ----------------------------------------------------------------------------


def test_metadata_keys_in_posting_order(slack: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="1", metadata=meta("k1"))
    client.chat_postMessage(channel="U7", text="2", metadata=meta("k2"))
    client.chat_postMessage(channel="C1", text="no metadata")
    client.chat_postMessage(
        channel="C1", text="no key", metadata={"event_type": "x", "event_payload": {"n": 1}}
    )
    parent = slack.messages("C1")[0]["ts"]
    client.chat_postMessage(channel="C1", text="3", thread_ts=parent, metadata=meta("k3"))
    client.chat_postMessage(channel="C2", text="again", metadata=meta("k1"))

    assert slack.metadata_keys() == ["k1", "k2", "k3", "k1"]  # duplicates kept
    assert slack.metadata_keys("C1") == ["k1", "k3"]
    assert slack.metadata_keys("U7") == slack.metadata_keys("DU7") == ["k2"]
    assert slack.metadata_keys("C9") == []


def test_reset_forgets_messages_outages_and_expired_urls(
    slack: FakeSlack, client: WebClient
) -> None:
    client.chat_postMessage(channel="C1", text="old", metadata=meta("k1"))
    slack.expire_response_url("r1")
    slack.set_down(True)
    slack.reset()

    assert slack.messages("C1") == [] and slack.metadata_keys() == []
    assert client.chat_postMessage(channel="C1", text="new")["ok"] is True
    assert WebhookClient(slack.response_url("r1")).send(text="hi").status_code == 200
