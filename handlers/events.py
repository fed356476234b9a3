"""Events: @mentions in channels and direct messages. Everything else is acknowledged and
ignored, so Slack never gets a 404 and never retries."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App

from bot.questions import small_talk
from bot.services import Services
from handlers import jobs as answer_jobs
from handlers.jobs import Jobs

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
        _reply(jobs, question, event, event.get("thread_ts") or event["ts"], "mention")

    @app.event("message")
    def direct_message(ack: Ack, event: dict[str, Any]) -> None:
        ack()
        if event.get("channel_type") != "im" or not is_human_message(event):
            return
        _reply(jobs, (event.get("text") or "").strip(), event, None, "dm")


def _reply(
    jobs: Jobs, question: str, event: dict[str, Any], thread: str | None, surface: str
) -> None:
    """Small talk gets a reply of its own; anything else an answer from the knowledge base."""
    chat = small_talk(question)
    if chat:
        jobs.submit(answer_jobs.post_small_talk, chat, event["channel"], thread)
    else:
        jobs.submit(
            answer_jobs.answer_message, question, event["user"], event["channel"], thread, surface
        )
