"""Pure Block Kit builders for teaching: the to-teach list on the conversation manager's
App Home, the picker and new-entry modals, and the DM that tells an asker the answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    DividerBlock,
    ExternalDataSelectElement,
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
from bot.i18n import t
from bot.knowledge import Entry
from bot.teaching import Cluster, TaughtNotice
from handlers.blocks import button, entry_blocks, escape, short

# action_ids and callback_ids, shared with handlers/teaching.py.
TEACH_PICK = "teach_pick"
TEACH_NEW = "teach_new"
TEACH_DISMISS = "teach_dismiss"
PICK_MODAL = "teach_pick_modal"
PICK_BLOCK = "teach_entry_block"
PICK_SELECT = "teach_entry_select"
NEW_MODAL = "teach_new_modal"
NEW_TITLE, NEW_BODY, NEW_LANG, NEW_TAGS = "teach_title", "teach_body", "teach_lang", "teach_tags"
# Clusters shown on the App Home (Slack takes 100 blocks in a view; each takes three).
HOME_CLUSTERS = 10
# The question ids a button carries at most (its value holds 2,000 characters).
BUTTON_IDS = 100
# Slack's limits: an option's text, a block's text in a modal.
OPTION_CHARS = 75
BODY_CHARS = 3_000


def ids_value(cluster: Cluster) -> str:
    """The question ids of ``cluster`` as a button value: "12,9,4"."""
    return ",".join(str(i) for i in cluster.ids[:BUTTON_IDS])


def to_teach_blocks(clusters: Sequence[Cluster], lang: str) -> list[Block]:
    """The to-teach list for the App Home: each cluster with its count, newest question,
    askers, best guess, and buttons to pick an entry, write a new one, or dismiss it."""
    blocks: list[Block] = [
        DividerBlock(),
        SectionBlock(text=MarkdownTextObject(text=t("home_teach_title", lang))),
    ]
    if not clusters:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=t("home_teach_none", lang))]))
        return blocks
    for cluster in clusters[:HOME_CLUSTERS]:
        newest = cluster.newest
        askers = ", ".join(f"<@{u}>" for u in cluster.askers[:5])
        text = t(
            "home_teach_cluster",
            lang,
            count=cluster.count,
            question=escape(short(newest.question, 300)),
            date=newest.asked_at[:10],
            askers=askers + (" …" if len(cluster.askers) > 5 else ""),
        )
        others = list(dict.fromkeys(q.question for q in cluster.questions[1:4]))
        if others:
            also = "; ".join(escape(short(q, 100)) for q in others)
            text += "\n" + t("home_teach_also", lang, questions=also)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=short(text, 2_900))))
        guess = t(
            "home_teach_guess",
            lang,
            id=cluster.best_guess or "-",
            not_helpful=len(cluster.not_helpful),
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=guess)]))
        value = ids_value(cluster)
        blocks.append(
            ActionsBlock(
                block_id=f"teach-{newest.id}",
                elements=[
                    button(t("button_teach_pick", lang), TEACH_PICK, value, "primary"),
                    button(t("button_teach_new", lang), TEACH_NEW, value),
                    button(t("button_teach_dismiss", lang), TEACH_DISMISS, value),
                ],
            )
        )
    return blocks


def _questions_list(questions: Sequence[str]) -> str:
    lines = [f"• {escape(short(q, 150))}" for q in dict.fromkeys(questions)]
    return short("\n".join(lines[:10]) + ("\n…" if len(lines) > 10 else ""), 2_500)


def pick_modal(lang: str, questions: Sequence[str], ids: str) -> dict[str, Any]:
    """The modal to teach ``questions`` (their ids in ``ids``) to an entry chosen in a
    searchable picker (options load from the app)."""
    picker = InputBlock(
        block_id=PICK_BLOCK,
        label=PlainTextObject(text=t("teach_pick_label", lang)),
        element=ExternalDataSelectElement(
            action_id=PICK_SELECT,
            placeholder=PlainTextObject(text=t("teach_pick_placeholder", lang)),
            min_query_length=0,
        ),
    )
    return _teach_modal(PICK_MODAL, "teach_pick_title", lang, questions, ids, [picker])


def entry_options(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """The picker's options: each entry's title (cut to Slack's 75 characters), its id as
    the value."""
    return [
        Option(value=e.id, text=PlainTextObject(text=short(e.title, OPTION_CHARS))).to_dict()
        for e in entries
    ]


def new_entry_modal(
    lang: str, questions: Sequence[str], ids: str, entry_lang: str
) -> dict[str, Any]:
    """The modal to write a new entry that answers ``questions``: title, answer, language
    and tags; the title starts as the newest question."""
    languages = [Option(value=code, label=t(f"lang_{code}", lang)) for code in LANGUAGES]
    initial = next((o for o in languages if o.value == entry_lang), languages[0])
    fields = [
        _text_input(NEW_TITLE, t("teach_new_entry_title", lang), questions[0][:200], 200),
        _text_input(NEW_BODY, t("teach_new_body", lang), None, BODY_CHARS, multiline=True),
        InputBlock(
            block_id=NEW_LANG,
            label=PlainTextObject(text=t("teach_new_lang", lang)),
            element=StaticSelectElement(
                action_id=NEW_LANG, options=languages, initial_option=initial
            ),
        ),
        _text_input(NEW_TAGS, t("teach_new_tags", lang), None, 300, optional=True),
    ]
    return _teach_modal(NEW_MODAL, "teach_new_title", lang, questions, ids, fields)


def _teach_modal(
    callback_id: str,
    title_key: str,
    lang: str,
    questions: Sequence[str],
    ids: str,
    fields: Sequence[Block],
) -> dict[str, Any]:
    """A teaching modal: which questions it teaches (their ids in its private_metadata),
    then ``fields``."""
    intro = t("teach_pick_intro", lang, questions=_questions_list(questions))
    return View(
        type="modal",
        callback_id=callback_id,
        private_metadata=ids,
        title=PlainTextObject(text=t(title_key, lang)),
        submit=PlainTextObject(text=t("teach_submit", lang)),
        close=PlainTextObject(text=t("modal_cancel", lang)),
        blocks=[SectionBlock(text=MarkdownTextObject(text=intro)), *fields],
    ).to_dict()


def _text_input(
    block_id: str,
    label: str,
    initial: str | None,
    max_length: int,
    multiline: bool = False,
    optional: bool = False,
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=PlainTextObject(text=label),
        optional=optional,
        element=PlainTextInputElement(
            action_id=block_id, initial_value=initial, max_length=max_length, multiline=multiline
        ),
    )


def taught_dm_blocks(notice: TaughtNotice) -> list[dict[str, Any]]:
    """The DM to an asker whose question was taught: what they asked and when, then the
    entry that answers it."""
    question, lang = notice.question, notice.question.lang
    intro = t(
        "taught_dm",
        lang,
        date=question.asked_at[:10],
        question=escape(short(question.question, 500)),
    )
    head = SectionBlock(text=MarkdownTextObject(text=intro)).to_dict()
    return [head, *entry_blocks(notice.entry, lang)]


def taught_dm_text(notice: TaughtNotice) -> str:
    """The DM's notification text."""
    return short(f"{notice.question.question} → {notice.entry.title}", 300)
