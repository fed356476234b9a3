"""App Home: what socialbot can do and your recent questions; statistics and the pilots
that need attention for the manager."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot.services import Services
from handlers.blocks import home_view
from handlers.lazy import ack_only, after_ack
from handlers.lesson_blocks import subscription_blocks
from handlers.pilot_blocks import attention_blocks
from handlers.teaching_blocks import to_teach_blocks


def register(app: App, services: Services) -> None:
    """Wire the App Home listener."""
    managers = set(services.settings.conversation_managers)
    lang = services.settings.default_lang

    @after_ack("app_home_opened", lang)
    def publish_home(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user = event["user"]
        publish(client, services, user, user in managers)

    app.event("app_home_opened")(ack=ack_only, lazy=[publish_home])


def publish(client: WebClient, services: Services, user: str, manager: bool) -> None:
    """Publish ``user``'s App Home; a conversation manager also sees the last 7 days, the
    pilots that need attention and the to-teach list. Everyone can subscribe to the weekly
    digest by DM."""
    lang = services.settings.default_lang
    stats = services.questions.weekly_stats() if manager else None
    extra: list[Block | dict[str, Any]] = []
    if manager:
        days = services.settings.pilot_update_days
        extra.extend(attention_blocks(services.pilots.attention(), lang, days))
        extra.extend(to_teach_blocks(services.teaching.to_teach(), lang))
    extra[:0] = subscription_blocks(services.lessons.subscribed(user), lang)
    view = home_view(lang, services.questions.recent(user), stats, extra)
    client.views_publish(user_id=user, view=view)
