"""Events: @mentions in channels and direct messages. Everything else is acknowledged and
ignored, so Slack never gets a 404 and never retries."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.services import Services
from handlers.blocks import typed_text
from handlers.jobs import Jobs, reply

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


def register(app: App, services: Services, jobs: Jobs) -> None:
    """Wire the event listeners."""
    allowed = set(services.settings.channels)

    @app.event("app_mention")
    def mention(ack: Ack, event: dict[str, Any]) -> None:
        ack()
        if not is_human_message(event):
            return
        if allowed and event.get("channel") not in allowed:
            log.info("mention in %s ignored: not in SOCIALBOT_CHANNELS", event.get("channel"))
            return
        thread = event.get("thread_ts") or event.get("ts")
        reply(
            jobs,
            typed_text(event.get("text") or ""),
            event["user"],
            event["channel"],
            thread,
            "mention",
        )

    @app.event("message")
    def direct_message(ack: Ack, event: dict[str, Any]) -> None:
        ack()
        if event.get("channel_type") != "im" or not is_human_message(event):
            return
        text, thread = typed_text(event.get("text") or ""), event.get("thread_ts")
        reply(jobs, text, event["user"], event["channel"], thread, "dm")  # a reply in its thread
