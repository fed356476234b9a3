"""Events: @mentions in channels and direct messages. Everything else is acknowledged and
ignored, so Slack never gets a 404 and never retries."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.health import HealthCheck
from bot.intake import Request
from bot.services import Services
from handlers.blocks import typed_text
from handlers.intake import accept, tell_asker

log = logging.getLogger(__name__)
# Subtypes of a new message from a person: with a file, or a thread reply also sent to the channel.
_TYPED_SUBTYPES = (None, "file_share", "thread_broadcast")


def is_human_message(event: dict[str, Any]) -> bool:
    """A new message typed by a person: not a bot's, not an edit, a join or another subtype."""
    return (
        not event.get("bot_id")
        and event.get("subtype") in _TYPED_SUBTYPES
        and bool(event.get("user"))
        and bool(event.get("channel"))
        and isinstance(event.get("text") or "", str)
    )


def register(app: App, services: Services, health: HealthCheck) -> None:
    """Wire the event listeners."""
    allowed = set(services.settings.channels)

    def take(body: dict[str, Any], event: dict[str, Any], surface: str, thread: str | None,
             client: WebClient) -> None:  # fmt: skip
        request = Request(
            key=f"event:{body.get('event_id') or uuid.uuid4().hex}",
            text=typed_text(event.get("text") or ""),
            user_id=event["user"],
            channel_id=event["channel"],
            surface=surface,
            thread_ts=thread,
        )
        if accept(services, health, request) is None:
            tell_asker(client, services, request)

    @app.event("app_mention")
    def mention(ack: Ack, body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if not is_human_message(event):
            ack()
            return
        if allowed and event.get("channel") not in allowed:
            ack()
            log.info("mention in %s ignored: not in SOCIALBOT_CHANNELS", event.get("channel"))
            return
        take(body, event, "mention", event.get("thread_ts") or event.get("ts"), client)
        ack()

    @app.event("message")
    def direct_message(
        ack: Ack, body: dict[str, Any], event: dict[str, Any], client: WebClient
    ) -> None:
        if event.get("channel_type") == "im" and is_human_message(event):
            take(body, event, "dm", event.get("thread_ts"), client)  # answered in its thread
        ack()
