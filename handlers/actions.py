"""Buttons and the App Home modal: feedback, suggestions, read more, share, ask the manager."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.i18n import t
from bot.services import Services
from handlers import blocks as b


def register(app: App, services: Services) -> None:
    """Wire the block actions and view submissions."""
    questions = services.questions
    default_lang = services.settings.default_lang

    def feedback(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        helpful = action["action_id"] == b.HELPFUL
        question = questions.feedback(int(action["value"]), body["user"]["id"], helpful)
        text = t("feedback_thanks" if helpful else "feedback_sorry", question.lang)
        respond(text=text, response_type="ephemeral", replace_original=False)

    app.action(b.HELPFUL)(feedback)
    app.action(b.NOT_HELPFUL)(feedback)

    @app.action(b.SHOW_ENTRY)
    def show_entry(ack: Ack, action: dict[str, Any], respond: Respond) -> None:
        ack()
        question_id, entry_id = action["value"].split(":", 1)
        lang = questions.get(int(question_id)).lang
        entry = questions.entry(entry_id)
        respond(
            text=entry.title,
            blocks=b.entry_blocks(entry, lang, int(question_id)),
            response_type="ephemeral",
            replace_original=False,
        )

    @app.action(b.READ_MORE)
    def read_more(ack: Ack, action: dict[str, Any], respond: Respond) -> None:
        ack()
        entry = questions.entry(action["value"])
        respond(
            text=entry.title,
            blocks=b.entry_blocks(entry, entry.lang),
            response_type="ephemeral",
            replace_original=False,
        )

    @app.action(b.SHARE)
    def share(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        asked = questions.stored_answer(int(action["value"]))
        channel = (body.get("channel") or {}).get("id") or body["container"]["channel_id"]
        public = b.shared_blocks(
            b.answer_blocks(asked.answer, asked.question_id),
            body["user"]["id"],
            asked.answer.question,
            asked.answer.lang,
        )
        client.chat_postMessage(channel=channel, text=b.fallback_text(asked.answer), blocks=public)
        respond(delete_original=True)

    @app.action(b.ASK_MANAGER)
    def ask_manager(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        request = questions.request_manager(int(action["value"]), body["user"]["id"])
        lang = request.question.lang
        dm = b.manager_request_blocks(request.question, request.best_guess, lang)
        for manager in services.settings.conversation_managers:
            client.chat_postMessage(channel=manager, text=request.question.question, blocks=dm)
        respond(text=t("manager_sent", lang), response_type="ephemeral", replace_original=False)

    @app.action(b.HOME_ASK)
    def open_ask_modal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=b.ask_modal(default_lang))

    @app.action(b.HOME_HELP)
    def help_in_dm(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        usage = t("usage", default_lang)
        client.chat_postMessage(channel=body["user"]["id"], text=usage, blocks=b.text_blocks(usage))

    @app.view(b.ASK_MODAL)
    def ask_from_modal(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        value = view["state"]["values"][b.ASK_MODAL_BLOCK][b.ASK_MODAL_INPUT].get("value") or ""
        if not value.strip():
            ack(
                response_action="errors", errors={b.ASK_MODAL_BLOCK: t("modal_empty", default_lang)}
            )
            return
        ack()
        user = body["user"]["id"]
        asked = questions.ask(value, user, user, "home")
        client.chat_postMessage(
            channel=user,
            text=b.fallback_text(asked.answer),
            blocks=b.answer_blocks(asked.answer, asked.question_id),
        )
