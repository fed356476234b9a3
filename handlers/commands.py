"""Slash commands: /ask."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.i18n import t
from bot.knowledge.text import detect_language
from bot.services import Services
from handlers.blocks import answer_blocks, fallback_text, text_blocks


def register(app: App, services: Services) -> None:
    """Wire the slash commands."""

    @app.command("/ask")
    def ask(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        text = (command.get("text") or "").strip()
        if not text or text.lower() in ("help", "hulp", "?"):
            lang = (
                detect_language(text, services.settings.default_lang)
                if text
                else (services.settings.default_lang)
            )
            respond(
                text=t("usage", lang),
                blocks=text_blocks(t("usage", lang)),
                response_type="ephemeral",
            )
            return
        asked = services.questions.ask(text, command["user_id"], command["channel_id"], "command")
        respond(
            text=fallback_text(asked.answer),
            blocks=answer_blocks(asked.answer, asked.question_id, shareable=True),
            response_type="ephemeral",
        )
