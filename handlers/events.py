"""Events: @mentions in channels and direct messages. Everything else is acknowledged and
ignored, so Slack never gets a 404 and never retries."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import App, Say

from bot.services import Services
from handlers.blocks import answer_blocks, fallback_text
from handlers.lazy import ack_only, after_ack

log = logging.getLogger(__name__)
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def is_human_message(event: dict[str, Any]) -> bool:
    """A new message typed by a person: not a bot's, not an edit, a join or another subtype."""
    return not event.get("bot_id") and not event.get("subtype") and bool(event.get("user"))


def register(app: App, services: Services) -> None:
    """Wire the event listeners."""
    allowed = set(services.settings.channels)
    lang = services.settings.default_lang

    @after_ack("app_mention", lang)
    def mention(event: dict[str, Any], say: Say) -> None:
        if not is_human_message(event):
            return
        if allowed and event.get("channel") not in allowed:
            log.info("mention in %s ignored: not in SOCIALBOT_CHANNELS", event.get("channel"))
            return
        question = _MENTION.sub(" ", event.get("text") or "").strip()
        if not question:
            return
        asked = services.questions.ask(question, event["user"], event["channel"], "mention")
        say(
            text=fallback_text(asked.answer),
            blocks=answer_blocks(asked.answer, asked.question_id),
            thread_ts=event.get("thread_ts") or event["ts"],
        )

    @after_ack("direct message", lang)
    def direct_message(event: dict[str, Any], say: Say) -> None:
        if event.get("channel_type") != "im" or not is_human_message(event):
            return
        question = (event.get("text") or "").strip()
        if not question:
            return
        asked = services.questions.ask(question, event["user"], event["channel"], "dm")
        say(text=fallback_text(asked.answer), blocks=answer_blocks(asked.answer, asked.question_id))

    app.event("app_mention")(ack=ack_only, lazy=[mention])
    app.event("message")(ack=ack_only, lazy=[direct_message])
