"""Buttons and the App Home modal: feedback, suggestions, read more, share. (Ask the
conversation manager is an escalation: handlers/escalations.py.)"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import NotFound
from bot.health import HealthCheck
from bot.i18n import t
from bot.intake import Request
from bot.services import Services
from handlers import blocks as b
from handlers.failures import log_failure
from handlers.intake import accept, failure_text
from handlers.lazy import ack_only, after_ack


def register(app: App, services: Services, health: HealthCheck) -> None:
    """Wire the block actions and view submissions."""
    questions = services.questions
    lang = services.settings.default_lang
    # A modal must open within 3 s of the click (its trigger_id expires): it gets threads of
    # its own, not the pool that slow calls (rate-limited App Home publishes) can fill.
    modal_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="modal")

    @after_ack("feedback", lang)
    def feedback(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        helpful = action["action_id"] == b.HELPFUL
        question = questions.feedback(_question_id(action["value"]), body["user"]["id"], helpful)
        text = t("feedback_thanks" if helpful else "feedback_sorry", question.lang)
        respond(text=text, response_type="ephemeral", replace_original=False)

    @after_ack("suggestion", lang)
    def show_entry(action: dict[str, Any], respond: Respond) -> None:
        question_id, _, entry_id = action["value"].partition(":")
        question = questions.get(_question_id(question_id))
        entry = questions.entry(entry_id)
        for blocks in b.entry_messages(entry, question.lang, question.id):  # a long one in parts
            respond(
                text=entry.title, blocks=blocks, response_type="ephemeral", replace_original=False
            )

    @after_ack("read more", lang)
    def read_more(action: dict[str, Any], respond: Respond) -> None:
        entry = questions.entry(action["value"])
        for blocks in b.entry_messages(entry, entry.lang):  # a long entry in parts, in order
            respond(
                text=entry.title, blocks=blocks, response_type="ephemeral", replace_original=False
            )

    @after_ack("share", lang)
    def share(
        body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        asked = questions.stored_answer(_question_id(action["value"]))
        channel = (body.get("channel") or {}).get("id") or body["container"]["channel_id"]
        public = b.shared_blocks(
            b.answer_blocks(asked.answer, asked.question_id),
            body["user"]["id"],
            asked.answer.question,
            asked.answer.lang,
        )
        try:
            client.chat_postMessage(
                channel=channel,
                text=b.fallback_text(asked.answer),
                blocks=public,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:  # a DM between others, a private channel without socialbot
            if error.response.get("error") not in _NOT_A_MEMBER:
                raise
            respond(
                text=t("share_impossible", asked.answer.lang),
                response_type="ephemeral",
                replace_original=False,
            )
            return
        respond(delete_original=True)

    def open_ask_modal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user = (body.get("user") or {}).get("id")
        modal_threads.submit(_open_modal, client, body.get("trigger_id"), user, lang)

    @after_ack("home: help", lang)
    def help_in_dm(body: dict[str, Any], client: WebClient) -> None:
        usage = t("usage", lang)
        client.chat_postMessage(channel=body["user"]["id"], text=usage, blocks=b.text_blocks(usage))

    def ask_from_modal(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        question = _modal_question(view).strip()
        if not question:
            ack(response_action="errors", errors={b.ASK_MODAL_BLOCK: t("modal_empty", lang)})
            return
        user = body["user"]["id"]
        request = Request(
            key=f"view:{view.get('id')}:{body.get('trigger_id')}",
            text=question,
            user_id=user,
            channel_id=user,
            surface="home",
        )
        if accept(services, health, request) is None:
            problem = failure_text(services, request)
            ack(response_action="errors", errors={b.ASK_MODAL_BLOCK: problem})
            return
        ack()  # answered in the DM, by a worker

    for action_id, work in (
        (b.HELPFUL, feedback),
        (b.NOT_HELPFUL, feedback),
        (b.SHOW_ENTRY, show_entry),
        (b.READ_MORE, read_more),
        (b.SHARE, share),
        (b.HOME_HELP, help_in_dm),
    ):
        app.action(action_id)(ack=ack_only, lazy=[work])
    app.action(b.HOME_ASK)(open_ask_modal)
    app.view(b.ASK_MODAL)(ask_from_modal)


def _open_modal(client: WebClient, trigger_id: str | None, user: str | None, lang: str) -> None:
    try:
        client.views_open(trigger_id=trigger_id, view=b.ask_modal(lang))
    except Exception as error:  # noqa: BLE001 - an App Home click has no reply channel
        log_failure(f"home: ask from {user}", error)


# Slack's errors for a conversation socialbot cannot post in.
_NOT_A_MEMBER = ("channel_not_found", "not_in_channel", "is_archived")


def _question_id(value: str) -> int:
    """A button's question id; a value that is none (an old or forged button) is not found."""
    if not (value.isascii() and value.isdigit() and len(value) <= 18):  # SQLite's integers
        raise NotFound(f"button value {value[:40]!r} is not a question id")
    return int(value)


def _modal_question(view: dict[str, Any]) -> str:
    state = view["state"]["values"].get(b.ASK_MODAL_BLOCK, {}).get(b.ASK_MODAL_INPUT, {})
    return str(state.get("value") or "")
