"""Build and send signed requests exactly as Slack sends them to an app."""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

__all__ = [
    "FORM_CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    "block_action_body",
    "block_suggestion_body",
    "event_body",
    "message_action_body",
    "post",
    "signed_headers",
    "slash_command_body",
    "view_submission_body",
]

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
JSON_CONTENT_TYPE = "application/json"

DEFAULT_RESPONSE_URL = "https://hooks.slack.com/commands/T1/1234567890/abcdef"
DEFAULT_TRIGGER_ID = "1234567890.1234567890.abcdef0123456789"
_APP_ID = "A1"
_TOKEN = "verification-token"
_TEAM_DOMAIN = "test"


_TRIGGERS = itertools.count(1)


def signed_headers(
    secret: str,
    body: str,
    timestamp: int | None = None,
    content_type: str | None = None,
) -> dict[str, str]:
    """Slack request headers signing ``body`` with ``secret``.

    ``timestamp`` defaults to now; ``content_type`` defaults to JSON when the body
    looks like a JSON object and to form-encoded otherwise.
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    if signature is None:  # pragma: no cover - only when timestamp is None
        raise ValueError("could not sign request")
    if content_type is None:
        content_type = JSON_CONTENT_TYPE if body.lstrip().startswith("{") else FORM_CONTENT_TYPE
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


def new_trigger_id() -> str:
    """A trigger id as Slack makes one: new for every command and interaction."""
    return f"{next(_TRIGGERS)}.{int(time.time())}.{uuid.uuid4().hex}"


def slash_command_body(
    command: str = "/ask",
    text: str = "",
    user_id: str = "U1",
    channel_id: str = "C1",
    response_url: str = DEFAULT_RESPONSE_URL,
    trigger_id: str | None = None,
    team_id: str = "T1",
    user_name: str | None = None,
) -> str:
    """A form-encoded slash command payload, field for field as Slack sends it."""
    return urlencode(
        {
            "token": _TOKEN,
            "team_id": team_id,
            "team_domain": _TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": "directmessage" if channel_id.startswith("D") else "general",
            "user_id": user_id,
            "user_name": user_name if user_name is not None else user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": _APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id or new_trigger_id(),
        }
    )


def event_body(event: dict[str, Any], event_id: str = "Ev1", team_id: str = "T1") -> str:
    """A JSON ``event_callback`` envelope wrapping ``event``."""
    return json.dumps(
        {
            "token": _TOKEN,
            "team_id": team_id,
            "api_app_id": _APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{event_id}-context",
        }
    )


def block_action_body(
    action_id: str,
    value: str,
    user_id: str = "U1",
    channel_id: str | None = "C1",
    response_url: str | None = None,
    message: dict[str, Any] | None = None,
    block_id: str = "b1",
    container: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    team_id: str = "T1",
    trigger_id: str | None = None,
) -> str:
    """A form-encoded ``payload=<json>`` for a button click (``block_actions``).

    Pass ``channel_id=None`` (and usually ``view``) for clicks in App Home. The
    ``container`` is derived from ``message`` / ``view`` unless given.
    """
    now = f"{time.time():.6f}"
    if container is None:
        if message is not None:
            container = {
                "type": "message",
                "message_ts": message.get("ts", "1700000000.000100"),
                "channel_id": channel_id,
                "is_ephemeral": False,
            }
        elif view is not None or channel_id is None:
            container = {"type": "view", "view_id": (view or {}).get("id", "V1")}
        else:
            container = {
                "type": "message",
                "message_ts": "1700000000.000100",
                "channel_id": channel_id,
                "is_ephemeral": False,
            }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": _APP_ID,
        "token": _TOKEN,
        "container": container,
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": _TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if channel_id is not None:
        payload["channel"] = {"id": channel_id, "name": "general"}
    if message is not None:
        payload["message"] = message
    if view is not None:
        payload["view"] = view
    if response_url is not None:
        payload["response_url"] = response_url
    payload["actions"] = [
        {
            "action_id": action_id,
            "block_id": block_id,
            "type": "button",
            "value": value,
            "action_ts": now,
        }
    ]
    return urlencode({"payload": json.dumps(payload)})


def post(
    url: str,
    body: str | bytes,
    headers: dict[str, str],
    timeout: float = 10,
) -> tuple[int, dict[str, str], str]:
    """POST ``body`` to ``url``; return ``(status, headers, text)`` even for non-2xx."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return (
                response.status,
                dict(response.headers.items()),
                response.read().decode("utf-8", errors="replace"),
            )
    except urllib.error.HTTPError as error:
        with error:
            return (
                error.code,
                dict(error.headers.items()),
                error.read().decode("utf-8", errors="replace"),
            )


def view_submission_body(
    callback_id: str,
    values: dict[str, Any],
    user_id: str = "U1",
    team_id: str = "T1",
    trigger_id: str | None = None,
    private_metadata: str = "",
    view_id: str = "VMODAL",
) -> str:
    """A form-encoded ``payload=<json>`` for a modal submission (``view_submission``)."""
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": _TEAM_DOMAIN},
        "user": _user(user_id, team_id),
        "api_app_id": _APP_ID,
        "token": _TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "callback_id": callback_id,
            "state": {"values": values},
            "hash": "1700000000.abc",
            "private_metadata": private_metadata,
            "app_id": _APP_ID,
            "bot_id": "BBOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
    }
    return urlencode({"payload": json.dumps(payload)})


def message_action_body(
    callback_id: str,
    message: dict[str, Any],
    channel_id: str = "C1",
    user_id: str = "U1",
    response_url: str = DEFAULT_RESPONSE_URL,
    team_id: str = "T1",
    trigger_id: str | None = None,
) -> str:
    """A form-encoded ``payload=<json>`` for a message shortcut (``message_action``) on
    ``message`` (with its ``ts``, ``text`` and ``user``)."""
    payload = {
        "type": "message_action",
        "token": _TOKEN,
        "action_ts": f"{time.time():.6f}",
        "team": {"id": team_id, "domain": _TEAM_DOMAIN},
        "user": _user(user_id, team_id),
        "channel": {"id": channel_id, "name": "general"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or new_trigger_id(),
        "response_url": response_url,
        "message_ts": message.get("ts"),
        "message": {"type": "message", **message},
    }
    return urlencode({"payload": json.dumps(payload)})


def _user(user_id: str, team_id: str) -> dict[str, str]:
    """The ``user`` object of an interactive payload."""
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}


def get(url: str, timeout: float = 10) -> tuple[int, str]:
    """GET ``url``; return ``(status, text)`` even for non-2xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode("utf-8", errors="replace")


def block_suggestion_body(
    action_id: str, value: str, user_id: str = "U1", team_id: str = "T1", block_id: str = "b1"
) -> str:
    """A form-encoded ``payload=<json>`` for an external select's options request
    (``block_suggestion``) from a modal, with what the user typed in ``value``."""
    payload = {
        "type": "block_suggestion",
        "user": _user(user_id, team_id),
        "container": {"type": "view", "view_id": "VMODAL"},
        "api_app_id": _APP_ID,
        "token": _TOKEN,
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "team": {"id": team_id, "domain": _TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": {"id": "VMODAL", "type": "modal", "private_metadata": "", "app_id": _APP_ID},
    }
    return urlencode({"payload": json.dumps(payload)})
