"""Slash commands: /ask."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.i18n import t
from bot.questions import small_talk
from bot.services import Services
from handlers import jobs as answer_jobs
from handlers.blocks import text_blocks, typed_text
from handlers.jobs import Jobs


def register(app: App, services: Services, jobs: Jobs) -> None:
    """Wire the slash commands."""
    lang = services.settings.default_lang

    @app.command("/ask")
    def ask(ack: Ack, command: dict[str, Any]) -> None:
        text = typed_text(command.get("text") or "")
        chat = small_talk(text)
        if chat:
            reply = t(chat.reply, chat.lang or lang)
            ack(text=reply, blocks=text_blocks(reply))
            return
        ack()
        jobs.submit(
            answer_jobs.answer_command,
            text,
            command["user_id"],
            command["channel_id"],
            command["response_url"],
        )
