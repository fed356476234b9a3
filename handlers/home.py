"""App Home: what socialbot can do and your recent questions; statistics and the pilots
that need attention for the manager."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.services import Services
from handlers.blocks import home_view
from handlers.lazy import ack_only, after_ack
from handlers.pilot_blocks import attention_blocks


def register(app: App, services: Services) -> None:
    """Wire the App Home listener."""
    managers = set(services.settings.conversation_managers)
    lang = services.settings.default_lang

    @after_ack("app_home_opened", lang)
    def publish_home(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user = event["user"]
        stats = services.questions.weekly_stats() if user in managers else None
        pilots = None
        if user in managers:
            days = services.settings.pilot_update_days
            pilots = attention_blocks(services.pilots.attention(), lang, days)
        view = home_view(lang, services.questions.recent(user), stats, pilots)
        client.views_publish(user_id=user, view=view)

    app.event("app_home_opened")(ack=ack_only, lazy=[publish_home])
