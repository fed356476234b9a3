"""Events: @mentions in channels and direct messages. Everything else is acknowledged and
ignored, so Slack never gets a 404 and never retries."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App

from bot.services import Services
from handlers.jobs import Jobs, reply

log = logging.getLogger(__name__)
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def is_human_message(event: dict[str, Any]) -> bool:
    """A new message typed by a person: not a bot's, not an edit, a join or another subtype."""
    return not event.get("bot_id") and not event.get("subtype") and bool(event.get("user"))


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
        question = _MENTION.sub(" ", event.get("text") or "").strip()
        thread = event.get("thread_ts") or event["ts"]
        reply(jobs, question, event["user"], event["channel"], thread, "mention")

    @app.event("message")
    def direct_message(ack: Ack, event: dict[str, Any]) -> None:
        ack()
        if event.get("channel_type") != "im" or not is_human_message(event):
            return
        reply(jobs, (event.get("text") or "").strip(), event["user"], event["channel"], None, "dm")
