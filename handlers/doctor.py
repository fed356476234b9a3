"""The Slack calls of ``socialbot doctor`` (bot/doctor.py decides what they mean)."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.doctor import Conversation, Identity, Person


class SlackProbe:
    """bot.doctor.SlackProbe over the Web API: auth.test, conversations.info, users.info."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def identity(self) -> Identity:
        try:
            response = self.client.auth_test()
        except SlackApiError as exc:
            return Identity(error=_error(exc))
        except OSError as exc:  # urllib's URLError: DNS, refused, timeout
            return Identity(unreachable=str(getattr(exc, "reason", exc)))
        headers = {k.lower(): v for k, v in response.headers.items()}
        raw = headers.get("x-oauth-scopes")
        header = raw[0] if isinstance(raw, list) else raw
        scopes = None if header is None else tuple(s.strip() for s in header.split(",") if s)
        return Identity(
            user=str(response.get("user", "")), team=str(response.get("team", "")), scopes=scopes
        )

    def conversation(self, channel_id: str) -> Conversation:
        try:
            channel = self.client.conversations_info(channel=channel_id)["channel"]
        except SlackApiError as exc:
            return Conversation(error=_error(exc))
        return Conversation(
            name=str(channel.get("name", channel_id)),
            is_member=bool(channel.get("is_member")),
            is_private=bool(channel.get("is_private")),
            is_archived=bool(channel.get("is_archived")),
        )

    def person(self, user_id: str) -> Person:
        try:
            user = self.client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            return Person(error=_error(exc))
        return Person(
            name=str(user.get("real_name") or user.get("name") or user_id),
            deleted=bool(user.get("deleted")),
            is_bot=bool(user.get("is_bot")),
        )


def _error(exc: SlackApiError) -> str:
    data = exc.response.data
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"HTTP {exc.response.status_code}"
