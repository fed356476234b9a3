"""Slash commands: /ask."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.i18n import t
from bot.services import Services
from handlers.blocks import answer_blocks, fallback_text, text_blocks
from handlers.lazy import after_ack

HELP_WORDS = ("", "help", "hulp", "?")


def register(app: App, services: Services) -> None:
    """Wire the slash commands."""
    lang = services.settings.default_lang

    def acknowledge(ack: Ack, command: dict[str, Any]) -> None:
        if (command.get("text") or "").strip().lower() in HELP_WORDS:
            ack(text=t("usage", lang), blocks=text_blocks(t("usage", lang)))
        else:
            ack()

    @after_ack("/ask", lang)
    def answer(command: dict[str, Any], respond: Respond) -> None:
        text = (command.get("text") or "").strip()
        if text.lower() in HELP_WORDS:
            return
        asked = services.questions.ask(text, command["user_id"], command["channel_id"], "command")
        respond(
            text=fallback_text(asked.answer),
            blocks=answer_blocks(asked.answer, asked.question_id, shareable=True),
            response_type="ephemeral",
        )

    app.command("/ask")(ack=acknowledge, lazy=[answer])
