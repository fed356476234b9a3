"""Tests for the FakeSlack Web API fake and the request-signing helpers."""

from __future__ import annotations

import json
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
    assert first["ts"] == "1700000000.000100"
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
    assert client.chat_update(channel="C1", ts="1.2", text="edited")["ts"] == "1.2"
    assert client.reactions_add(channel="C1", timestamp="1.2", name="eyes")["ok"] is True

    slack.reset()
    assert slack.calls == []


def test_form_and_json_bodies_are_parsed(slack: FakeSlack, client: WebClient) -> None:
    blocks = [{"type": "divider"}]
    client.api_call("chat.postMessage", params={"channel": "C9", "blocks": json.dumps(blocks)})
    client.api_call("chat.update", json={"channel": "C9", "ts": "1.2", "text": "json"})

    (form,) = slack.calls_to("chat.postMessage")
    assert form.header("content-type") == "application/x-www-form-urlencoded"
    assert form.params["channel"] == "C9"
    assert form.params["blocks"] == json.dumps(blocks)  # JSON strings stay strings
    assert form.json("blocks") == blocks

    (body,) = slack.calls_to("chat.update")
    assert body.params == {"channel": "C9", "ts": "1.2", "text": "json"}


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
