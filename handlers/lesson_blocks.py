"""Pure Block Kit builders for lessons learned and the weekly digest: the /lesson modal
(also Edit, pre-filled), the manager's review DM with Approve / Edit / Reject, the reject
modal, the submitter's DMs, the stale-entries DM with "Still correct", the digest message
and the App Home's subscription button."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.config import LANGUAGES
from bot.digest import MRKDWN, Digest, period, sections, title
from bot.i18n import t
from bot.knowledge import Entry
from bot.lessons import LessonDraft, review_outcome
from handlers.blocks import button, escape, message, short

# action_ids, callback_ids and block ids, shared with handlers/lessons.py.
LESSON_MODAL = "lesson_modal"
EDIT_MODAL = "lesson_edit_modal"
REJECT_MODAL = "lesson_reject_modal"
APPROVE, EDIT, REJECT = "lesson_approve", "lesson_edit", "lesson_reject"
STILL_CORRECT = "kb_still_correct"
DIGEST_TOGGLE = "digest_toggle"
TITLE, HAPPENED, LEARNED, TAGS, PILOT, LANG = (
    "lesson_title",
    "lesson_happened",
    "lesson_learned",
    "lesson_tags",
    "lesson_pilot",
    "lesson_lang",
)
REASON = "lesson_reason"
FIELD_BLOCKS = {
    "title": TITLE,
    "happened": HAPPENED,
    "learned": LEARNED,
    "tags": TAGS,
    "lang": LANG,
}
NO_PILOT = "none"


def lesson_modal(
    lang: str,
    pilots: Sequence[tuple[int, str]] | None,
    draft: LessonDraft | None = None,
) -> dict[str, Any]:
    """The /lesson modal; with ``draft``, Edit's modal pre-filled. ``pilots`` (id, name)
    offer the optional pilot picker; None (no pilots table) leaves the field out."""

    def text_input(
        block: str, label: str, value: str, multiline: bool, limit: int, optional: bool = False
    ) -> InputBlock:
        return InputBlock(
            block_id=block,
            optional=optional,
            label=PlainTextObject(text=t(label, lang)),
            element=PlainTextInputElement(
                action_id=block, multiline=multiline, max_length=limit, initial_value=value or None
            ),
        )

    blocks: list[Block] = [
        text_input(TITLE, "lesson_field_title", draft.title if draft else "", False, 200),
        text_input(
            HAPPENED,
            "lesson_field_happened",
            draft.happened if draft else "",
            True,
            3000,
            optional=True,
        ),
        text_input(LEARNED, "lesson_field_learned", draft.body if draft else "", True, 3000),
        text_input(
            TAGS,
            "lesson_field_tags",
            ", ".join(draft.tags) if draft else "",
            False,
            300,
            optional=True,
        ),
    ]
    if pilots is not None:
        options = [Option(text=PlainTextObject(text=t("digest_none", lang)), value=NO_PILOT)]
        options += [
            Option(text=PlainTextObject(text=short(name, 75)), value=str(pilot_id))
            for pilot_id, name in pilots[:99]
        ]
        chosen = next((o for o in options if draft and o.value == str(draft.pilot_id)), None)
        blocks.append(
            InputBlock(
                block_id=PILOT,
                optional=True,
                label=PlainTextObject(text=t("lesson_field_pilot", lang)),
                element=StaticSelectElement(
                    action_id=PILOT, options=options, initial_option=chosen
                ),
            )
        )
    languages = [Option(text=PlainTextObject(text=code), value=code) for code in LANGUAGES]
    current = draft.lang if draft else lang
    blocks.append(
        InputBlock(
            block_id=LANG,
            label=PlainTextObject(text=t("lesson_field_lang", lang)),
            element=StaticSelectElement(
                action_id=LANG,
                options=languages,
                initial_option=next(o for o in languages if o.value == current),
            ),
        )
    )
    return View(
        type="modal",
        callback_id=EDIT_MODAL if draft else LESSON_MODAL,
        private_metadata=str(draft.id) if draft else "",
        title=PlainTextObject(text=t("lesson_modal_title", lang)),
        submit=PlainTextObject(
            text=t("lesson_modal_save" if draft else "lesson_modal_submit", lang)
        ),
        close=PlainTextObject(text=t("modal_cancel", lang)),
        blocks=blocks,
    ).to_dict()


def reject_modal(draft: LessonDraft) -> dict[str, Any]:
    """Ask the reason of a rejection (the submitter reads it)."""
    lang = draft.lang
    return View(
        type="modal",
        callback_id=REJECT_MODAL,
        private_metadata=str(draft.id),
        title=PlainTextObject(text=t("lesson_reject_title", lang)),
        submit=PlainTextObject(text=t("lesson_reject", lang)),
        close=PlainTextObject(text=t("modal_cancel", lang)),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"*{escape(draft.title)}*")),
            InputBlock(
                block_id=REASON,
                label=PlainTextObject(text=t("lesson_reject_reason", lang)),
                element=PlainTextInputElement(action_id=REASON, multiline=True, max_length=2000),
            ),
        ],
    ).to_dict()


def reviewed_message(draft: LessonDraft) -> dict[str, Any]:
    """A manager's review DM once ``draft`` was reviewed: the buttons make way for who
    approved or rejected it."""
    outcome = review_outcome(draft)
    blocks = review_message(draft)["blocks"][:-1] + [
        SectionBlock(text=MarkdownTextObject(text=outcome)).to_dict()
    ]
    return message(outcome, blocks)


def review_message(draft: LessonDraft) -> dict[str, Any]:
    """The manager's DM: the draft, with Approve / Edit / Reject."""
    lang = draft.lang
    who = f"<@{draft.submitted_by}>" if draft.submitted_by else "?"
    text = f"*{escape(draft.title)}*\n{escape(short(draft.body, 2500))}"
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=t("lesson_review_header", lang, who=who, source=escape(draft.source))
            )
        ),
        SectionBlock(text=MarkdownTextObject(text=text)),
    ]
    if draft.happened:
        happened = t("lesson_happened_label", lang) + " " + escape(short(draft.happened, 2500))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=happened)]))
    if draft.tags:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=", ".join(draft.tags))]))
    value = str(draft.id)
    blocks.append(
        ActionsBlock(
            elements=[
                button(t("lesson_approve", lang), APPROVE, value, "primary"),
                button(t("lesson_edit", lang), EDIT, value),
                button(t("lesson_reject", lang), REJECT, value, "danger"),
            ]
        )
    )
    fallback = t("lesson_review_text", lang, title=draft.title, id=draft.id)
    return message(fallback, [b.to_dict() for b in blocks])


def submitted_text(draft: LessonDraft) -> str:
    """The ephemeral thank-you after /lesson."""
    return t("lesson_submitted", draft.lang, title=escape(draft.title))


def stale_message(entries: Sequence[Entry], lang: str, days: int) -> dict[str, Any]:
    """The weekly DM of stale entries, each with a "Still correct" button."""
    intro = t("stale_dm_intro", lang, count=len(entries), days=days)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=intro))]
    for entry in entries:
        line = t(
            "stale_entry",
            lang,
            title=escape(short(entry.title, 150)),
            id=entry.id,
            updated=entry.updated or "?",
        )
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=line),
                accessory=button(t("stale_still_correct", lang), STILL_CORRECT, entry.id),
            )
        )
    return message(intro, [b.to_dict() for b in blocks])


def checked_text(entry: Entry, lang: str) -> str:
    """The confirmation after "Still correct"."""
    return t("stale_checked", lang, id=entry.id, updated=entry.updated)


def digest_message(digest: Digest, late: str | None) -> dict[str, Any]:
    """The weekly digest: a header, its period, then each section that has something."""
    lang = digest.lang
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=title(digest))),
        ContextBlock(elements=[MarkdownTextObject(text=period(digest))]),
    ]
    if late:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=t("digest_late", lang, slot=late))])
        )
    found = sections(digest, MRKDWN)
    if not found:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=t("digest_empty", lang))))
    for heading, lines in found:
        body = f"*{heading}*\n" + "\n".join(f"• {line}" for line in lines)
        blocks += [DividerBlock(), SectionBlock(text=MarkdownTextObject(text=short(body, 2900)))]
    return message(f"{title(digest)} ({period(digest)})", [b.to_dict() for b in blocks])


def subscription_blocks(subscribed: bool, lang: str) -> list[Block]:
    """The App Home's digest section: a button that toggles the DM subscription."""
    label = t("digest_unsubscribe" if subscribed else "digest_subscribe", lang)
    return [
        DividerBlock(),
        SectionBlock(
            text=MarkdownTextObject(text=t("digest_home", lang)),
            accessory=button(label, DIGEST_TOGGLE, "on" if not subscribed else "off"),
        ),
    ]


class SlackLessonMessages:
    """:class:`bot.lessons.LessonMessages` and :class:`bot.digest.DigestMessages` in Block Kit."""

    def review(self, draft: LessonDraft) -> dict[str, Any]:
        return review_message(draft)

    def approved(self, draft: LessonDraft) -> dict[str, Any]:
        text = t("lesson_approved_dm", draft.lang, title=escape(draft.title))
        return message(text, [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()])

    def rejected(self, draft: LessonDraft) -> dict[str, Any]:
        text = t(
            "lesson_rejected_dm", draft.lang, title=escape(draft.title), reason=escape(draft.reason)
        )
        return message(text, [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()])

    def reviewed(self, draft: LessonDraft) -> dict[str, Any]:
        return reviewed_message(draft)

    def stale(self, entries: Sequence[Entry], lang: str, days: int) -> dict[str, Any]:
        return stale_message(entries, lang, days)

    def digest(self, digest: Digest, late: str | None) -> dict[str, Any]:
        return digest_message(digest, late)
