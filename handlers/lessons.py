"""Lessons learned in Slack: /lesson and its modal; the conversation manager's Approve,
Edit and Reject buttons (Edit and Reject open modals); "Still correct" on a stale entry;
the App Home button that toggles the digest by DM. Each listener acks, extracts plain
values, calls one function of bot/lessons.py and renders with handlers/lesson_blocks.py;
every message a lesson causes goes through the outbox."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.errors import BotError, InvalidInput
from bot.i18n import t
from bot.lessons import LessonErrors, LessonForm
from bot.services import Services
from bot.teaching import NewEntryErrors
from handlers import lesson_blocks as lb
from handlers.failures import log_failure, user_message
from handlers.home import publish
from handlers.lazy import ack_only, after_ack

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    """Wire /lesson, the review buttons and modals, Still correct and the digest toggle."""
    lessons, lang = services.lessons, services.settings.default_lang
    managers = set(services.settings.conversation_managers)
    # A modal must open within 3 s of the click: threads of its own, as the App Home's.
    modal_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lesson-modal")

    @app.command("/lesson")
    def lesson(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ack()
        view = lb.lesson_modal(lang, lessons.pilot_choices())
        modal_threads.submit(_open, client, command.get("trigger_id"), view, "/lesson")

    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        form = _form(view["state"]["values"])
        _inline(ack, lambda: lessons.submit(form, body["user"]["id"], view["id"]), lb.TITLE)

    def submit_edit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        form, draft_id = _form(view["state"]["values"]), _id(view.get("private_metadata") or "")
        _inline(ack, lambda: lessons.edit(draft_id, form, body["user"]["id"]), lb.TITLE)

    def submit_reject(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        reason = _text(view["state"]["values"], lb.REASON)
        draft_id = _id(view.get("private_metadata") or "")
        _inline(ack, lambda: lessons.reject(draft_id, reason, body["user"]["id"]), lb.REASON)

    @after_ack("lesson: approve", lang)
    def approve(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        user = body["user"]["id"]
        try:
            draft, _ = lessons.approve(_id(action["value"]), user)
        except NewEntryErrors as error:  # e.g. the title is another entry's: Edit it
            problem = "; ".join(t(key, lang, **v) for key, v in error.errors.values())
            respond(text=t("lesson_failed", lang, problem=problem), replace_original=False)
            return
        respond(**lb.reviewed_message(draft), replace_original=True)

    def open_modal(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        if body["user"]["id"] not in managers:
            log.warning("lesson review click from %s, no conversation manager", body["user"]["id"])
            return
        try:
            draft = lessons.get(_id(action["value"]))
        except BotError as error:
            log_failure("lesson: open a modal", error)
            return
        pilots = lessons.pilot_choices()
        view = (
            lb.lesson_modal(draft.lang, pilots, draft)
            if action["action_id"] == lb.EDIT
            else lb.reject_modal(draft)
        )
        modal_threads.submit(_open, client, body.get("trigger_id"), view, action["action_id"])

    @after_ack("kb: still correct", lang)
    def still_correct(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        entry = lessons.still_correct(str(action["value"]), body["user"]["id"])
        respond(text=lb.checked_text(entry, lang), replace_original=False)

    @after_ack("digest: toggle", lang)
    def toggle(body: dict[str, Any], client: WebClient) -> None:
        user = body["user"]["id"]
        lessons.toggle_subscription(user, lang)
        publish(client, services, user, user in managers)

    app.view(lb.LESSON_MODAL)(submit)
    app.view(lb.EDIT_MODAL)(submit_edit)
    app.view(lb.REJECT_MODAL)(submit_reject)
    app.action(lb.APPROVE)(ack=ack_only, lazy=[approve])
    app.action(lb.EDIT)(open_modal)
    app.action(lb.REJECT)(open_modal)
    app.action(lb.STILL_CORRECT)(ack=ack_only, lazy=[still_correct])
    app.action(lb.DIGEST_TOGGLE)(ack=ack_only, lazy=[toggle])

    def _inline(ack: Ack, run: Any, block: str) -> None:
        """Run ``run``; a mistake is shown in the modal, next to its field."""
        try:
            run()
        except LessonErrors as error:
            ack(
                response_action="errors",
                errors={
                    lb.FIELD_BLOCKS[f]: t(key, lang, **v) for f, (key, v) in error.errors.items()
                },
            )
            return
        except BotError as error:
            ack(response_action="errors", errors={block: user_message(error, lang)})
            return
        ack()


def _open(client: WebClient, trigger_id: str | None, view: dict[str, Any], what: str) -> None:
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except Exception as error:  # noqa: BLE001 - a command's modal has no other reply channel
        log_failure(f"{what}: open the modal", error)


def _text(values: dict[str, Any], block: str) -> str:
    return str((values.get(block, {}).get(block) or {}).get("value") or "")


def _selected(values: dict[str, Any], block: str) -> str:
    option = (values.get(block, {}).get(block) or {}).get("selected_option") or {}
    return str(option.get("value") or "")


def _form(values: dict[str, Any]) -> LessonForm:
    pilot = _selected(values, lb.PILOT)
    return LessonForm(
        title=_text(values, lb.TITLE),
        learned=_text(values, lb.LEARNED),
        lang=_selected(values, lb.LANG),
        happened=_text(values, lb.HAPPENED),
        tags=tuple(_text(values, lb.TAGS).replace(";", ",").split(",")),
        pilot_id=int(pilot) if pilot.isascii() and pilot.isdigit() else None,
    )


def _id(value: str) -> int:
    """A button's or modal's lesson id; anything else is not found."""
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise InvalidInput(f"{value[:40]!r} is no lesson id")
    return int(value)
