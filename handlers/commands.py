"""Slash commands: /ask."""

from __future__ import annotations

import uuid
from typing import Any

from slack_bolt import Ack, App

from bot.health import HealthCheck
from bot.i18n import t
from bot.intake import Request
from bot.questions import small_talk
from bot.services import Services
from handlers.blocks import text_blocks, typed_text
from handlers.intake import accept, failure_text


def register(app: App, services: Services, health: HealthCheck) -> None:
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
        request = Request(
            key=f"command:{command.get('trigger_id') or uuid.uuid4().hex}",
            text=text,
            user_id=command["user_id"],
            channel_id=command["channel_id"],
            surface="command",
            response_url=command.get("response_url"),
        )
        if accept(services, health, request) is None:
            ack(text=failure_text(services, request), response_type="ephemeral")
            return
        ack()  # the answer follows through the response_url, from a worker
