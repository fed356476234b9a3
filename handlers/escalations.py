"""Escalations in Slack: /escalate, the buttons on answers, the message shortcut, and the
Acknowledge and Resolve buttons of the notices. Each listener acks, extracts plain values,
calls one function of bot/escalations.py and renders with handlers/escalation_blocks.py;
every message the escalation causes goes through the outbox."""

from __future__ import annotations

import json
import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.errors import BotError, InvalidInput
from bot.escalations import parse_command
from bot.health import HealthCheck
from bot.i18n import t
from bot.knowledge.text import detect_language
from bot.services import Services
from handlers import blocks as b
from handlers import escalation_blocks as eb
from handlers.failures import log_failure, user_message
from handlers.lazy import ack_only, after_ack

log = logging.getLogger(__name__)


def register(app: App, services: Services, health: HealthCheck) -> None:
    """Wire /escalate, the escalation buttons, the message shortcut and the modals."""
    escalations = services.escalations
    lang = services.settings.default_lang
    messages = eb.SlackEscalationMessages(services.settings.zone)
    # A modal must open within 3 s of the click: threads of its own, as the App Home's.
    modal_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="escalation-modal")

    @app.command("/escalate")
    def escalate(ack: Ack, command: dict[str, Any]) -> None:
        text = b.typed_text(command.get("text") or "")
        severity, what = parse_command(text)
        if not what or what.lower() in ("help", "hulp"):
            usage = t("escalate_usage", detect_language(text, lang) if text else lang)
            ack(text=usage, blocks=b.text_blocks(usage))
            return
        try:
            escalations.raise_escalation(
                key=f"command:{command.get('trigger_id')}",
                severity=severity,
                text=what,
                reporter=command["user_id"],
                channel_id=command["channel_id"],
                messages=messages,
                source_link=channel_link(command.get("team_domain"), command["channel_id"]),
                response_url=command.get("response_url"),
            )
        except BotError as error:
            ack(text=user_message(error, lang), response_type="ephemeral")
            return
        except sqlite3.Error as error:  # nothing stored: the user must hear so, now
            log_failure(f"/escalate from {command['user_id']}", error)
            health.note_failure(f"an escalation could not be stored: {error}")
            ack(text=t("intake_failed", lang), response_type="ephemeral")
            return
        ack()  # the confirmation follows through the response_url, from the outbox

    def from_answer(severity: str) -> Any:
        @after_ack(f"escalate ({severity})", lang)
        def run(body: dict[str, Any], action: dict[str, Any]) -> None:
            escalations.raise_for_question(
                _id(action["value"]),
                body["user"]["id"],
                severity,
                messages,
                source_link=answer_link(body),
                response_url=body.get("response_url"),
            )  # the notices and the confirmation go out through the outbox, once per click

        return run

    @after_ack("acknowledge", lang)
    def acknowledge(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        user = body["user"]["id"]
        outcome = escalations.acknowledge(_id(action["value"]), user, messages)
        escalation = outcome.escalation
        if outcome.changed:
            text = t(
                "escalation_done_acknowledged", escalation.lang, reference=escalation.reference
            )
        elif escalation.state == "resolved":
            text = t("escalation_already_resolved", escalation.lang,
                     reference=escalation.reference, user=escalation.resolved_by)  # fmt: skip
        else:
            text = t("escalation_already_acknowledged", escalation.lang,
                     reference=escalation.reference, user=escalation.acknowledged_by)  # fmt: skip
        respond(text=text, response_type="ephemeral", replace_original=False)

    def open_resolve(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        value = ((body.get("actions") or [{}])[0]).get("value") or ""
        modal_threads.submit(
            _open_resolve, services, client, respond, body.get("trigger_id"), value,
            body["user"]["id"],
        )  # fmt: skip

    def resolve(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        note = _value(values, eb.NOTE_BLOCK, eb.NOTE_INPUT)
        picked = (values.get(eb.LESSON_BLOCK, {}).get(eb.LESSON_INPUT) or {}).get(
            "selected_options"
        ) or []
        try:
            escalations.resolve(
                _id(view.get("private_metadata") or ""),
                body["user"]["id"],
                note,
                messages,
                save_lesson=any(o.get("value") == eb.SAVE_LESSON for o in picked),
                lesson_title=_value(values, eb.TITLE_BLOCK, eb.TITLE_INPUT),
            )
        except BotError as error:
            ack(response_action="errors", errors={eb.NOTE_BLOCK: user_message(error, lang)})
            return
        ack()

    def shortcut(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or ""
        text = b.typed_text(message.get("text") or "")
        metadata = {
            "channel": channel,
            "link": message_link((body.get("team") or {}).get("domain"), channel, message),
        }
        view = eb.escalate_modal(detect_language(text, lang) if text else lang, text, metadata)
        modal_threads.submit(_open, client, body.get("trigger_id"), view, body["user"]["id"])

    def escalate_message(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        metadata = json.loads(view.get("private_metadata") or "{}")
        severity = (
            (values.get(eb.SEVERITY_BLOCK, {}).get(eb.SEVERITY_INPUT) or {}).get("selected_option")
            or {}
        ).get("value") or "normal"
        try:
            escalations.raise_escalation(
                key=f"view:{view.get('id')}",
                severity=severity,
                text=_value(values, eb.TEXT_BLOCK, eb.TEXT_INPUT),
                reporter=body["user"]["id"],
                channel_id=metadata.get("channel") or "",
                messages=messages,
                source_link=metadata.get("link"),
            )  # the confirmation goes to the reporter by DM
        except (BotError, sqlite3.Error) as error:
            log_failure(f"escalate message from {body['user']['id']}", error)
            ack(response_action="errors", errors={eb.TEXT_BLOCK: user_message(error, lang)})
            return
        ack()

    app.action(b.ASK_MANAGER)(ack=ack_only, lazy=[from_answer("normal")])
    app.action(eb.ESCALATE_CRISIS)(ack=ack_only, lazy=[from_answer("crisis")])
    app.action(eb.ACKNOWLEDGE)(ack=ack_only, lazy=[acknowledge])
    app.action(eb.RESOLVE)(open_resolve)
    app.action(eb.OPEN_THREAD)(ack_only)  # a link button: Slack opens the link itself
    app.view(eb.RESOLVE_MODAL)(resolve)
    app.shortcut(eb.ESCALATE_SHORTCUT)(shortcut)
    app.view(eb.ESCALATE_MODAL)(escalate_message)


def _open_resolve(services: Services, client: WebClient, respond: Respond,
                  trigger_id: str | None, value: str, user: str) -> None:  # fmt: skip
    """Open the resolve modal for someone who may resolve; refuse anyone else politely."""
    try:
        escalation = services.escalations.check_may_act(_id(value), user, "resolve")
        client.views_open(trigger_id=trigger_id, view=eb.resolve_modal(escalation))
    except Exception as error:  # noqa: BLE001 - told to the user, logged in context
        log_failure(f"resolve from {user}", error)
        text = user_message(error, services.settings.default_lang)
        try:
            respond(text=text, response_type="ephemeral", replace_original=False)
        except Exception:  # noqa: BLE001 - Slack itself is failing; logged above
            log.warning("could not tell %s either", user)
    finally:
        services.store.close_thread_connection()


def _open(client: WebClient, trigger_id: str | None, view: dict[str, Any], user: str) -> None:
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except Exception as error:  # noqa: BLE001 - a shortcut has no reply channel
        log_failure(f"escalate shortcut from {user}", error)


def _id(value: str) -> int:
    """A button's or modal's escalation or question id; anything else is not found."""
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise InvalidInput(f"{value[:40]!r} is no id")
    return int(value)


def _value(values: dict[str, Any], block: str, action: str) -> str:
    return str((values.get(block, {}).get(action) or {}).get("value") or "")


def _base(domain: str | None) -> str:
    return f"https://{domain}.slack.com" if domain else "https://slack.com"


def channel_link(domain: str | None, channel: str) -> str:
    """A link that opens ``channel`` in Slack."""
    return f"{_base(domain)}/archives/{channel}"


def message_link(domain: str | None, channel: str, message: dict[str, Any]) -> str:
    """A permalink to ``message`` (in its thread, for a reply), built as Slack builds them."""
    ts = str(message.get("ts") or "")
    if not ts:
        return channel_link(domain, channel)
    link = f"{channel_link(domain, channel)}/p{ts.replace('.', '')}"
    thread = message.get("thread_ts")
    if thread and thread != ts:
        link += f"?thread_ts={thread}&cid={channel}"
    return link


def answer_link(body: dict[str, Any]) -> str | None:
    """A link to the answer a button was clicked on (its channel, when the answer was only
    shown to the asker)."""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    if not channel:
        return None
    domain = (body.get("team") or {}).get("domain")
    if container.get("is_ephemeral") or not container.get("message_ts"):
        return channel_link(domain, channel)
    message = {"ts": container["message_ts"], "thread_ts": container.get("thread_ts")}
    return message_link(domain, channel, message)
