"""Deliver outbox rows to Slack: :class:`bot.outbox.Transport` over the Web API.

Each call is made once (the outbox retries, with backoff, and paces); Slack's answer is
sorted into sent, try again (``Retry-After`` kept) or failed for good. Every message carries
its outbox key in Slack message metadata, so that :meth:`SlackTransport.find` can tell
whether a message whose send was interrupted had arrived. Links in socialbot's messages
are not unfurled.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import logging
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.metadata import Metadata
from slack_sdk.webhook import WebhookClient

from bot.outbox import Delivery, Failed, Retry, Row, Sent
from handlers.blocks import late_message

log = logging.getLogger(__name__)

METADATA_TYPE = "socialbot_outbox"
# Slack's error codes that mean "try again later"; any other error is final.
TRANSIENT = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
    }
)
# Replies to someone's question: only these apologise for a delay with "you asked this on
# …" (a manager's escalation DM, a reminder or the digest was asked by nobody; the digest
# says itself when it is late).
_REPLIES = frozenset({"answer", "reply"})
# A response_url that can no longer be used: the answer goes by DM instead.
_SPENT_URL = ("expired_url", "used_url", "invalid_url")
# Errors of a lookup that mean it cannot be done (a missing scope, a channel gone).
_CANNOT_LOOK = ("missing_scope", "not_in_channel", "channel_not_found", "thread_not_found")


class SlackTransport:
    """Sends outbox rows with ``client``; ``zone`` is used to say when a late answer was asked."""

    def __init__(self, client: WebClient, zone: ZoneInfo, timeout: float = 10.0) -> None:
        self.client = client
        self.zone = zone
        self.timeout = timeout

    def send(self, row: Row, late: bool) -> Delivery:
        """Send ``row``. A ``/ask`` answer goes to its response_url; once that has expired
        (late) or Slack refuses it, it goes to the asker by DM, saying it is late."""
        if row.route == "update":
            return self._update(row)
        if row.route == "upload":
            return self._upload(row)
        late = late and row.kind in _REPLIES
        content = self._late(row) if late else row.content
        if row.route == "response_url" and not late and row.response_url:
            result = self._respond(row.response_url, content)
            if not (isinstance(result, Failed) and result.reason in _SPENT_URL):
                return result
            log.info("outbox row %d: response_url %s; sending by DM", row.id, result.reason)
            content = self._late(row)
        if row.route == "response_url":
            return self._post(row, row.user_id, None, content)
        return self._post(row, row.channel, row.thread_ts, content)

    def find(self, row: Row) -> Sent | Retry | None:
        """The message carrying ``row.key`` in the channel (or thread) it was sent to; an
        update is not looked up (sending it again changes nothing), nor an upload (a file
        carries no metadata: after a crash at the wrong moment it is uploaded again)."""
        if row.route in ("update", "upload"):
            return None
        if row.route == "response_url":
            channel, thread = row.user_id, None  # only its DM can be looked up
        else:
            channel, thread = row.channel, row.thread_ts
        try:
            if channel.startswith(("U", "W")):
                channel = self.client.conversations_open(users=channel)["channel"]["id"]
            if thread:
                page = self.client.conversations_replies(
                    channel=channel, ts=thread, include_all_metadata=True, limit=200
                )
            else:
                oldest = row.created_at.timestamp() - 600
                page = self.client.conversations_history(
                    channel=channel, oldest=f"{oldest:.6f}", include_all_metadata=True, limit=200
                )
        except SlackApiError as error:
            code = str(error.response.get("error") or "")
            if code in _CANNOT_LOOK:
                log.warning("outbox row %d cannot be looked up in Slack (%s)", row.id, code)
                return None
            outcome = _api_error(error)
            return outcome if isinstance(outcome, Retry) else None
        except (OSError, http.client.HTTPException) as error:
            return Retry(f"lookup failed: {error}")
        for message in page.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == row.key:
                return Sent(channel, message.get("ts"))
        return None

    def _post(
        self, row: Row, channel: str, thread_ts: str | None, content: dict[str, Any]
    ) -> Delivery:
        try:
            response = self.client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=content.get("text", ""),
                blocks=content.get("blocks"),
                unfurl_links=False,
                unfurl_media=False,
                metadata=Metadata(event_type=METADATA_TYPE, event_payload={"key": row.key}),
            )
        except SlackApiError as error:
            return _api_error(error)
        except (OSError, http.client.HTTPException) as error:  # refused, reset, timed out
            return Retry(f"Slack unreachable: {error}")
        return Sent(response.get("channel"), response.get("ts"))

    def _update(self, row: Row) -> Delivery:
        """chat.update of the message the row it updates was sent as."""
        target = row.target
        if target is None or not target.channel or not target.ts:
            return Failed("the message to update has no channel and ts")
        try:
            self.client.chat_update(
                channel=target.channel,
                ts=target.ts,
                text=row.content.get("text", ""),
                blocks=row.content.get("blocks"),
            )
        except SlackApiError as error:
            return _api_error(error)
        except (OSError, http.client.HTTPException) as error:
            return Retry(f"Slack unreachable: {error}")
        return Sent(target.channel, target.ts)

    def _upload(self, row: Row) -> Delivery:
        """files_upload_v2 of the file in the row (its bytes base64 in ``png_base64``)."""
        try:
            data = base64.b64decode(row.content.get("png_base64") or "", validate=True)
        except (binascii.Error, ValueError):
            return Failed("the file to upload is not valid base64")
        try:
            response = self.client.files_upload_v2(
                channel=row.channel,
                file=data,
                filename=row.content.get("filename") or "file.png",
                title=row.content.get("title") or "",
            )
        except SlackApiError as error:
            return _api_error(error)
        except SlackRequestError as error:  # the upload URL refused the bytes
            return Retry(f"upload failed: {error}")
        except (OSError, http.client.HTTPException) as error:
            return Retry(f"Slack unreachable: {error}")
        file = response.get("file") or {}
        return Sent(row.channel, str(file.get("id") or "") or None)

    def _respond(self, url: str, content: dict[str, Any]) -> Delivery:
        try:
            response = WebhookClient(url, timeout=int(self.timeout)).send(
                text=content.get("text", ""),
                blocks=content.get("blocks"),
                response_type="ephemeral",
                replace_original=False,
                unfurl_links=False,
                unfurl_media=False,
            )
        except (OSError, http.client.HTTPException) as error:
            return Retry(f"Slack unreachable: {error}")
        status, body = response.status_code, (response.body or "").strip()
        if status == 200:
            return Sent()
        if status == 429:
            return Retry("rate limited", _retry_after(response.headers))
        if status >= 500:
            return Retry(f"response_url answered HTTP {status}")
        code = _error_code(body)
        if status == 404 and code not in _SPENT_URL:
            code = "expired_url"  # Slack answers 404 for a response_url it no longer knows
        return Failed(code or f"response_url answered HTTP {status}")

    def _late(self, row: Row) -> dict[str, Any]:
        asked = row.asked_at.astimezone(self.zone).strftime("%d-%m-%Y %H:%M")
        return late_message(row.content, row.lang, asked)


def _api_error(error: SlackApiError) -> Retry | Failed:
    """Sort a Web API error: 429 and 5xx and Slack's transient codes retry, the rest fail."""
    status = error.response.status_code
    code = str(error.response.get("error") or "") if isinstance(error.response.data, dict) else ""
    if status == 429 or code in ("ratelimited", "rate_limited"):
        return Retry("rate limited", _retry_after(error.response.headers))
    if status >= 500 or code in TRANSIENT:
        return Retry(code or f"HTTP {status}")
    return Failed(code or f"HTTP {status}")


def _error_code(body: str) -> str:
    """A response_url's error: a bare code ("expired_url") or JSON with an "error" field."""
    if body.startswith("{"):
        try:
            return str(json.loads(body).get("error") or "")
        except ValueError:
            return ""
    return body.split()[0] if body else ""


def _seconds(value: Any) -> float | None:
    try:
        return max(float(value), 0.0) if value is not None else None
    except (TypeError, ValueError):
        return None


def _retry_after(headers: Mapping[str, Any]) -> float | None:
    """Slack's Retry-After header, whatever its case, in seconds."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if isinstance(value, list):  # some clients keep every value of a header
        value = value[0] if value else None
    return _seconds(value)
