"""Teaching from the App Home: the conversation manager picks the entry that answers a
cluster of questions (a searchable picker), writes a new entry (a modal), or dismisses it."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.errors import BotError, NotFound
from bot.i18n import t
from bot.services import Services
from bot.teaching import NewEntry, NewEntryErrors
from handlers import teaching_blocks as tb
from handlers.failures import log_failure
from handlers.home import publish
from handlers.lazy import ack_only, after_ack
from handlers.replies import taught_dm

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    """Wire the teaching buttons, the picker's options and the two modals."""
    teaching, lang = services.teaching, services.settings.default_lang
    managers = set(services.settings.conversation_managers)
    # Modals must open within 3 s of the click: threads of their own (see handlers/actions.py).
    modal_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="teach-modal")

    def open_modal(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        if body["user"]["id"] not in managers:
            log.warning(
                "teaching click from %s, who is no conversation manager", body["user"]["id"]
            )
            return
        modal_threads.submit(_open, client, services, body.get("trigger_id"), action, lang)

    def entry_options(ack: Ack, payload: dict[str, Any]) -> None:
        entries = teaching.find_entries(str(payload.get("value") or ""))
        ack(options=tb.entry_options(entries))

    def submit_pick(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        state = view["state"]["values"].get(tb.PICK_BLOCK, {}).get(tb.PICK_SELECT, {})
        entry_id = (state.get("selected_option") or {}).get("value")
        if not entry_id:
            ack(response_action="errors", errors={tb.PICK_BLOCK: t("teach_pick_missing", lang)})
            return
        _teach(ack, body, view, tb.PICK_BLOCK, lambda ids, user: teaching.teach(
            entry_id, user, taught_dm, question_ids=ids))  # fmt: skip

    def submit_new(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        draft = _draft(view["state"]["values"])
        _teach(ack, body, view, tb.NEW_TITLE, lambda ids, user: teaching.create_entry(
            draft, user, taught_dm, ids))  # fmt: skip

    def _teach(ack: Ack, body: dict[str, Any], view: dict[str, Any], block: str, run: Any) -> None:
        user = body["user"]["id"]
        try:
            if user not in managers:
                raise NotFound(f"{user} is no conversation manager")
            run(_ids(view.get("private_metadata") or ""), user)
        except NewEntryErrors as error:
            errors = {
                field: t(key, lang, **values) for field, (key, values) in error.errors.items()
            }
            ack(response_action="errors", errors={_NEW_BLOCKS[f]: m for f, m in errors.items()})
            return
        except BotError as error:  # e.g. a question taught meanwhile to another entry
            log_failure(f"teaching by {user}", error)
            ack(response_action="errors", errors={block: t("teach_failed", lang, problem=error)})
            return
        ack()

    @after_ack("teach: dismiss", lang)
    def dismiss(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        user = body["user"]["id"]
        if user in managers:
            teaching.dismiss(_ids(action["value"]), user)
            publish(client, services, user, manager=True)

    @after_ack("teach: refresh home", lang)
    def refresh_home(body: dict[str, Any], client: WebClient) -> None:
        if body["user"]["id"] in managers:
            publish(client, services, body["user"]["id"], manager=True)

    app.action(tb.TEACH_PICK)(open_modal)
    app.action(tb.TEACH_NEW)(open_modal)
    app.action(tb.TEACH_DISMISS)(ack=ack_only, lazy=[dismiss])
    app.options(tb.PICK_SELECT)(entry_options)
    app.view(tb.PICK_MODAL)(ack=submit_pick, lazy=[refresh_home])
    app.view(tb.NEW_MODAL)(ack=submit_new, lazy=[refresh_home])


_NEW_BLOCKS = {"title": tb.NEW_TITLE, "body": tb.NEW_BODY, "lang": tb.NEW_LANG, "tags": tb.NEW_TAGS}


def _open(
    client: WebClient, services: Services, trigger_id: str | None, action: dict[str, Any], lang: str
) -> None:
    try:
        ids = _ids(action["value"])
        stored = [services.questions.get(i) for i in ids]
        questions, value = [q.question for q in stored], ",".join(map(str, ids))
        if action["action_id"] == tb.TEACH_PICK:
            view = tb.pick_modal(lang, questions, value)
        else:
            view = tb.new_entry_modal(lang, questions, value, stored[0].lang)
        client.views_open(trigger_id=trigger_id, view=view)
    except Exception as error:  # noqa: BLE001 - an App Home click has no reply channel
        log_failure(f"teach: open {action.get('action_id')}", error)


def _ids(value: str) -> list[int]:
    """Question ids from a button value or a modal's private_metadata: "12,9,4"."""
    parts = [p for p in value.split(",") if p]
    if not parts or not all(p.isascii() and p.isdigit() and len(p) <= 18 for p in parts):
        raise NotFound(f"{value[:40]!r} holds no question ids")
    return [int(p) for p in parts]


def _draft(values: dict[str, Any]) -> NewEntry:
    def text(block: str) -> str:
        return str((values.get(block, {}).get(block) or {}).get("value") or "")

    lang = (values.get(tb.NEW_LANG, {}).get(tb.NEW_LANG) or {}).get("selected_option") or {}
    tags = tuple(tag for tag in text(tb.NEW_TAGS).replace(";", ",").split(","))
    return NewEntry(text(tb.NEW_TITLE), text(tb.NEW_BODY), str(lang.get("value") or ""), tags)
