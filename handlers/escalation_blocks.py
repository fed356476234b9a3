"""Pure Block Kit builders for escalations: the notice and its copies, the reporter's
messages, the crisis extras of an answer, and the escalate and resolve modals."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DividerBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.crisis import Crisis
from bot.escalations import MAX_REMINDERS, Escalation, Notice
from bot.i18n import t
from bot.working_hours import SEVERITIES
from handlers.blocks import (
    ANSWER_CHARS,
    QUESTION_CHARS,
    Blocks,
    button,
    escape,
    message,
    quoted,
    short,
    source_line,
    to_mrkdwn,
    trim,
)

# action_ids, callback ids and block ids, shared with handlers/escalations.py.
ACKNOWLEDGE = "escalation_acknowledge"
RESOLVE = "escalation_resolve"
OPEN_THREAD = "escalation_open_thread"
ESCALATE_CRISIS = "escalate_crisis"
ESCALATE_SHORTCUT = "escalate_message"
ESCALATE_MODAL = "escalate_modal"
RESOLVE_MODAL = "resolve_modal"
SEVERITY_BLOCK, SEVERITY_INPUT = "severity_block", "severity_input"
TEXT_BLOCK, TEXT_INPUT = "text_block", "text_input"
NOTE_BLOCK, NOTE_INPUT = "note_block", "note_input"
LESSON_BLOCK, LESSON_INPUT = "lesson_block", "lesson_input"
TITLE_BLOCK, TITLE_INPUT = "lesson_title_block", "lesson_title_input"
SAVE_LESSON = "save_lesson"
_TIME = "%d-%m %H:%M"


class SlackEscalationMessages:
    """:class:`bot.escalations.Messages` in Block Kit; times in ``zone``."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone

    def notice(self, escalation: Escalation, notice: Notice) -> dict[str, Any]:
        """The notice to a manager, the backup or the channel."""
        return notice_message(escalation, notice, self.zone)

    def confirmation(self, escalation: Escalation) -> dict[str, Any]:
        """The reporter's confirmation with the reference."""
        text = t(
            "escalation_confirmation",
            escalation.lang,
            reference=escalation.reference,
            severity=t(f"severity_{escalation.severity}", escalation.lang),
        )
        return _text(text)

    def acknowledged(self, escalation: Escalation) -> dict[str, Any]:
        """The reporter's DM: acknowledged."""
        return _text(
            t(
                "escalation_acknowledged_dm",
                escalation.lang,
                reference=escalation.reference,
                user=escalation.acknowledged_by,
            )
        )

    def resolved(self, escalation: Escalation) -> dict[str, Any]:
        """The reporter's DM: resolved, with the note."""
        note = quoted(escalation.resolution or "")
        return _text(
            t(
                "escalation_resolved_dm",
                escalation.lang,
                reference=escalation.reference,
                user=escalation.resolved_by,
                note=note,
            )
        )


def notice_message(escalation: Escalation, notice: Notice, zone: ZoneInfo) -> dict[str, Any]:
    """An escalation's notice: severity, reference, the text, who raised it where, a link to
    the source, its state, and the buttons its state allows."""
    lang, ref = escalation.lang, escalation.reference
    severity = t(f"severity_{escalation.severity}", lang)
    title = t("escalation_title", lang, severity=severity, reference=ref)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=f"*{title}*"))]
    if notice.reminder:
        raised = _local(escalation.raised_at, zone)
        line = t("escalation_reminder", lang, number=notice.reminder, total=MAX_REMINDERS,
                 reference=ref, raised=raised)  # fmt: skip
        if notice.backup:
            line += "\n" + t("escalation_backup", lang, reference=ref)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=line)))
    blocks.append(SectionBlock(text=MarkdownTextObject(text=_body(escalation))))
    context = [_reported(escalation, zone)]
    if escalation.source_link:
        context.append(t("escalation_source", lang, link=escalation.source_link))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=" · ".join(context))]))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_state(escalation, zone))]))
    buttons = _buttons(escalation)
    if buttons:
        blocks.append(ActionsBlock(block_id=f"escalation-{escalation.id}", elements=buttons))
    fallback = f"{title}: {short(escape(escalation.text), 300)}"
    return message(fallback, [b.to_dict() for b in blocks])


def _body(escalation: Escalation) -> str:
    """The escalation's text; for a question, as the manager's DM has always shown it."""
    lang = escalation.lang
    question = escalation.question
    if question is None:
        return short(quoted(escalation.text), QUESTION_CHARS)
    text = t(
        "manager_dm",
        lang,
        user=question.user_id,
        channel=_where(question.channel_id, lang),
        question=short(quoted(question.question), QUESTION_CHARS),
    )
    if escalation.reporter != question.user_id:
        text += "\n" + t("manager_forwarded_by", lang, user=escalation.reporter)
    best = escalation.best_guess
    guess = (
        t("manager_best_guess", lang, title=escape(best.entry.title), id=best.entry.id,
          score=best.score)
        if best
        else t("manager_no_guess", lang)
    )  # fmt: skip
    return f"{text}\n_{guess}_"


def _reported(escalation: Escalation, zone: ZoneInfo) -> str:
    return t(
        "escalation_reported",
        escalation.lang,
        user=escalation.reporter,
        where=_where(escalation.channel_id, escalation.lang),
        raised=_local(escalation.raised_at, zone),
    )


def _state(escalation: Escalation, zone: ZoneInfo) -> str:
    lang = escalation.lang
    if escalation.state == "resolved":
        note = escape(short(escalation.resolution or "", 500))
        when = _local(escalation.resolved_at, zone)
        return t("escalation_state_resolved", lang, user=escalation.resolved_by, when=when,
                 note=note)  # fmt: skip
    if escalation.state == "acknowledged":
        when = _local(escalation.acknowledged_at, zone)
        return t("escalation_state_acknowledged", lang, user=escalation.acknowledged_by,
                 when=when)  # fmt: skip
    due = _local(escalation.next_reminder_at, zone) if escalation.next_reminder_at else "-"
    return t("escalation_state_open", lang, due=due)


def _buttons(escalation: Escalation) -> list[ButtonElement]:
    lang, value = escalation.lang, str(escalation.id)
    buttons = []
    if escalation.state == "open":
        buttons.append(button(t("button_acknowledge", lang), ACKNOWLEDGE, value, "primary"))
    if escalation.state != "resolved":
        buttons.append(button(t("button_resolve", lang), RESOLVE, value))
    if escalation.source_link:
        buttons.append(
            ButtonElement(
                text=PlainTextObject(text=t("button_open_thread", lang)),
                action_id=OPEN_THREAD,
                url=escalation.source_link,
                value=value,
            )
        )
    return buttons


def crisis_blocks(crisis: Crisis, question_id: int, lang: str, answered: str | None) -> Blocks:
    """The extras of an answer to a question that reads like a live crisis: a warning, the
    crisis playbook entry (unless it is the answer already, ``answered``) and a red button
    to escalate it as a crisis. socialbot never escalates by itself."""
    blocks: list[Block] = [
        DividerBlock(),
        SectionBlock(text=MarkdownTextObject(text=t("crisis_detected", lang))),
    ]
    playbook = crisis.playbook
    if playbook is not None and playbook.id != answered:
        body, _ = trim(to_mrkdwn(playbook.body), ANSWER_CHARS)
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=f"*{escape(playbook.title)}*\n{body}"))
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=source_line(playbook, lang))]))
    blocks.append(
        ActionsBlock(
            block_id=f"crisis-{question_id}",
            elements=[
                button(
                    t("button_escalate_crisis", lang), ESCALATE_CRISIS, str(question_id), "danger"
                )
            ],
        )  # fmt: skip
    )
    return [b.to_dict() for b in blocks]


def escalate_modal(lang: str, text: str, metadata: dict[str, str]) -> dict[str, Any]:
    """The message shortcut's modal: severity (normal first) and what is happening, the
    message's text filled in; ``metadata`` (channel, link) rides along."""
    options = [
        Option(text=PlainTextObject(text=t(f"severity_{s}", lang)), value=s) for s in SEVERITIES
    ]
    return View(
        type="modal",
        callback_id=ESCALATE_MODAL,
        private_metadata=json.dumps(metadata),
        title=PlainTextObject(text=t("escalate_modal_title", lang)),
        submit=PlainTextObject(text=t("escalate_modal_submit", lang)),
        close=PlainTextObject(text=t("modal_cancel", lang)),
        blocks=[
            InputBlock(
                block_id=SEVERITY_BLOCK,
                label=PlainTextObject(text=t("escalate_modal_severity", lang)),
                element=RadioButtonsElement(
                    action_id=SEVERITY_INPUT, options=options, initial_option=options[2]
                ),
            ),
            InputBlock(
                block_id=TEXT_BLOCK,
                label=PlainTextObject(text=t("escalate_modal_text", lang)),
                element=PlainTextInputElement(
                    action_id=TEXT_INPUT,
                    multiline=True,
                    max_length=2000,
                    initial_value=short(text, 2000) or None,
                ),
            ),
        ],
    ).to_dict()


def resolve_modal(escalation: Escalation) -> dict[str, Any]:
    """Resolve an escalation: a short note, and whether to save it as a lesson (a draft
    knowledge-base entry) under a title."""
    lang = escalation.lang
    save = Option(text=PlainTextObject(text=t("resolve_modal_lesson", lang)), value=SAVE_LESSON)
    return View(
        type="modal",
        callback_id=RESOLVE_MODAL,
        private_metadata=str(escalation.id),
        title=PlainTextObject(text=t("resolve_modal_title", lang)),
        submit=PlainTextObject(text=t("resolve_modal_submit", lang)),
        close=PlainTextObject(text=t("modal_cancel", lang)),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*{escalation.reference}*\n{short(quoted(escalation.text), 2000)}"
                )
            ),
            InputBlock(
                block_id=NOTE_BLOCK,
                label=PlainTextObject(text=t("resolve_modal_note", lang)),
                element=PlainTextInputElement(
                    action_id=NOTE_INPUT, multiline=True, max_length=3000
                ),
            ),
            InputBlock(
                block_id=LESSON_BLOCK,
                optional=True,
                label=PlainTextObject(text=t("resolve_modal_lesson", lang)),
                element=CheckboxesElement(action_id=LESSON_INPUT, options=[save]),
            ),
            InputBlock(
                block_id=TITLE_BLOCK,
                optional=True,
                label=PlainTextObject(text=t("resolve_modal_lesson_title", lang)),
                element=PlainTextInputElement(
                    action_id=TITLE_INPUT,
                    max_length=200,
                    initial_value=short(" ".join(escalation.text.split()), 200),
                ),
            ),
        ],
    ).to_dict()


def _where(channel_id: str, lang: str) -> str:
    # A DM's channel is D…; a question from the App Home is stored with the asker's U… id.
    if channel_id.startswith(("D", "U", "W")) or not channel_id:
        return t("a_direct_message", lang)
    return f"<#{channel_id}>"


def _local(moment: dt.datetime | None, zone: ZoneInfo) -> str:
    return "-" if moment is None else moment.astimezone(zone).strftime(_TIME)


def _text(text: str) -> dict[str, Any]:
    return message(text, [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()])
