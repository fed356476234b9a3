"""Pure Block Kit builders: plain values in, Slack blocks out. No I/O, easy to unit-test."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    RawTextObject,
    SectionBlock,
    TableBlock,
)
from slack_sdk.models.views import View

from bot.config import USER_ID
from bot.i18n import confidence_level, t
from bot.knowledge import Answer, Entry, Hit
from bot.questions import StoredQuestion, WeeklyStats

# Slack allows 3,000 characters in a section; an answer longer than this is trimmed.
ANSWER_CHARS = 2_500
SECTION_CHARS = 2_900
# Longer titles and questions are cut short: they share a section with other text.
TITLE_CHARS = 300
QUESTION_CHARS = 2_000
# One message: Slack takes at most 50 blocks, and refuses (msg_blocks_too_long) blocks
# with about 13,000 characters of text in all; a long entry is sent as several messages.
MESSAGE_BLOCKS = 50
MESSAGE_CHARS = 12_000
# Slack takes at most five posts to one response_url, so an entry is sent in at most five.
RESPONSE_URL_POSTS = 5
_TRIMMED = " …"
# A user mention as Slack writes it in text: <@U0123ABCD> or <@U0123ABCD|name>.
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")

# action_ids: one name per button, shared with handlers/actions.py.
HELPFUL = "feedback_helpful"
NOT_HELPFUL = "feedback_not_helpful"
ASK_MANAGER = "ask_manager"
SHARE = "share_answer"
READ_MORE = "read_more"
SHOW_ENTRY = "show_entry"
HOME_ASK = "home_ask"
HOME_HELP = "home_help"
ASK_MODAL = "ask_modal"
ASK_MODAL_BLOCK = "question_block"
ASK_MODAL_INPUT = "question_input"

Blocks = list[dict[str, Any]]


# A Markdown table's second line: | --- | :---: | ---: |
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
# Slack's table block: at most 100 rows of 20 cells; one table in a message.
TABLE_ROWS, TABLE_COLUMNS = 100, 20

Table = list[list[str]]


def markdown_parts(markdown: str) -> list[str | Table]:
    """``markdown`` as its text and its tables (rows of cells, the header row first), in
    order; a table is a line of cells between pipes followed by a ``|---|`` line."""
    lines = markdown.split("\n")
    parts: list[str | Table] = []
    text: list[str] = []
    i = 0
    while i < len(lines):
        if (
            lines[i].lstrip().startswith("|")
            and i + 1 < len(lines)
            and _TABLE_RULE.match(lines[i + 1])
        ):
            rows, i = [_cells(lines[i])], i + 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            if "\n".join(text).strip():
                parts.append("\n".join(text).strip())
            parts.append(rows)
            text = []
        else:
            text.append(lines[i])
            i += 1
    if "\n".join(text).strip():
        parts.append("\n".join(text).strip())
    return parts


def _cells(line: str) -> list[str]:
    inner = line.strip().removeprefix("|").removesuffix("|")
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", inner)]


def table_block(rows: Table) -> dict[str, Any]:
    """A Markdown table as Slack's table block: plain-text cells (emphasis dropped, a link
    as "text (url)"), every row as wide as the header, within Slack's limits."""
    width = min(len(rows[0]), TABLE_COLUMNS)
    cells = [
        [RawTextObject(text=_plain(cell) or "–") for cell in (row + [""] * width)[:width]]
        for row in rows[:TABLE_ROWS]
    ]
    return TableBlock(rows=cells, column_settings=[{"is_wrapped": True}] * width).to_dict()


def _plain(markdown: str) -> str:
    text = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r"\1 (\2)", markdown)
    text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), text)
    text = re.sub(r"(?<![*\w])\*(?!\*)([^*\n]+?)\*(?!\*)", r"\1", text)
    return text.replace("`", "").replace("\\|", "|").strip()


def body_blocks(markdown: str) -> Blocks:
    """An entry's body as blocks: mrkdwn sections (each within Slack's 3,000 characters)
    and a table block for each Markdown table."""
    blocks: Blocks = []
    for part in markdown_parts(markdown):
        if isinstance(part, str):
            blocks.extend(
                SectionBlock(text=MarkdownTextObject(text=chunk)).to_dict()
                for chunk in pieces(to_mrkdwn(part), SECTION_CHARS)
            )
        else:
            blocks.append(table_block(part))
    return blocks


def to_mrkdwn(markdown: str) -> str:
    """Convert the knowledge base's Markdown to Slack mrkdwn (tables: see body_blocks)."""
    text = escape(markdown)
    text = re.sub(r"^[ \t]*&gt;", ">", text, flags=re.MULTILINE)  # a "> quote" line
    text = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r"<\2|\1>", text)
    text = re.sub(r"(?<![*\w])\*(?!\*)([^*\n]+?)\*(?!\*)", r"_\1_", text)  # *italic*
    text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: f"*{m.group(1) or m.group(2)}*", text)
    text = re.sub(r"^#{1,6}\s+(.+)$", r"*\1*", text, flags=re.MULTILINE)
    text = re.sub(r"^(\s*)[-+*]\s+", r"\1• ", text, flags=re.MULTILINE)
    return re.sub(r"~~(.+?)~~", r"~\1~", text)


def trim(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut at a paragraph, line or word boundary before ``limit``; and whether it was."""
    if len(text) <= limit:
        return text, False
    return text[: _cut(text, limit)].rstrip() + " …", True


def pieces(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at paragraph, line or word
    boundaries (a link or a word is not cut in two where there is another place)."""
    result: list[str] = []
    while len(text) > limit:
        cut = _cut(text, limit)
        result.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*result, text] if text else result


def _cut(text: str, limit: int) -> int:
    """Where to cut ``text`` for a first part of at most ``limit`` characters: the last
    paragraph, line or word boundary in the second half of it that is not inside a link or
    mention (<…>), or else at ``limit``."""
    for boundary in ("\n\n", "\n", " "):
        position = text.rfind(boundary, 0, limit)
        while position > limit // 2 and text.rfind("<", 0, position) > text.rfind(">", 0, position):
            position = text.rfind(boundary, 0, position)
        if position > limit // 2:
            return position
    return limit


def answer_blocks(answer: Answer, question_id: int, shareable: bool = False) -> Blocks:
    """The reply to a question: the answer with its source, or an honest 'not sure'."""
    if answer.answered and answer.best:
        return _answered(answer, answer.best, question_id, shareable)
    return _unsure(answer, question_id)


def _answered(answer: Answer, best: Hit, question_id: int, shareable: bool) -> Blocks:
    lang, entry = answer.lang, best.entry
    title = _title(entry)
    if any(not isinstance(part, str) for part in markdown_parts(entry.body)):
        head, trimmed = _with_table(title, entry.body)
    else:
        limit = min(ANSWER_CHARS, SECTION_CHARS - len(title) - 3)
        body, trimmed = trim(to_mrkdwn(entry.body), limit)
        head = [SectionBlock(text=MarkdownTextObject(text=f"*{title}*\n{body}")).to_dict()]
    blocks: list[Block | dict[str, Any]] = [
        *head,
        ContextBlock(elements=[MarkdownTextObject(text=source_line(entry, lang))]),
    ]
    level = confidence_level(answer.score)
    if level != "high":
        confidence = t(
            "slack_confidence", lang, level=t(f"level_{level}", lang), score=answer.score
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=confidence)]))
    buttons = _feedback_buttons(lang, question_id)
    if trimmed:
        buttons.insert(0, button(t("button_read_more", lang), READ_MORE, entry.id))
    if shareable:
        buttons.append(button(t("button_share", lang), SHARE, str(question_id), "primary"))
    blocks.append(ActionsBlock(block_id=f"answer-{question_id}", elements=buttons))
    return [b if isinstance(b, dict) else b.to_dict() for b in blocks]


def _with_table(title: str, body: str) -> tuple[Blocks, bool]:
    """The title and as much of a body with a table as an answer shows: its blocks up to
    ANSWER_CHARS characters of text and one table; and whether some were left out."""
    blocks: Blocks = [SectionBlock(text=MarkdownTextObject(text=f"*{title}*")).to_dict()]
    tables = 0
    for block in body_blocks(body):
        tables += block["type"] == "table"
        if tables > 1 or _text_chars(blocks) + _text_chars(block) > ANSWER_CHARS + len(title):
            return blocks, True
        if block["type"] == "section" and len(blocks) == 1:  # the first text joins the title
            block = {
                **block,
                "text": {**block["text"], "text": f"*{title}*\n{block['text']['text']}"},
            }
            if len(block["text"]["text"]) <= SECTION_CHARS:
                blocks = [block]
                continue
        blocks.append(block)
    return blocks, False


def _unsure(answer: Answer, question_id: int) -> Blocks:
    lang = answer.lang
    intro = t("unsure", lang) if answer.suggestions else t("no_match", lang)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=intro))]
    if answer.suggestions:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=t("did_you_mean", lang))))
        blocks.append(
            ActionsBlock(
                block_id=f"suggestions-{question_id}",
                elements=[
                    button(short(h.entry.title, 75), SHOW_ENTRY, f"{question_id}:{h.entry.id}")
                    for h in answer.suggestions[:3]
                ],
            )
        )
    blocks.append(SectionBlock(text=MarkdownTextObject(text=t("manager_offer", lang))))
    blocks.append(
        ActionsBlock(
            block_id=f"manager-{question_id}",
            elements=[
                button(t("button_ask_manager", lang), ASK_MANAGER, str(question_id), "primary")
            ],
        )
    )
    return _dicts(blocks)


def entry_blocks(entry: Entry, lang: str, question_id: int | None = None) -> Blocks:
    """A whole entry as one message (split over sections when long), its body trimmed with
    " …" where it does not fit in one; :func:`entry_messages` sends it all."""
    return entry_messages(entry, lang, question_id, max_messages=1)[0]


def entry_messages(
    entry: Entry,
    lang: str,
    question_id: int | None = None,
    max_messages: int | None = RESPONSE_URL_POSTS,
) -> list[Blocks]:
    """A whole entry, e.g. after 'read more' or a suggestion, as the blocks of one or more
    messages that Slack accepts (at most MESSAGE_BLOCKS blocks and MESSAGE_CHARS characters
    of text each): the title in the first, the source line and the feedback buttons (with
    ``question_id``) in the last. The body is cut into sections by :func:`pieces` and the
    messages are cut between sections. Beyond ``max_messages`` the body is trimmed, the
    last section ending in " …"."""
    head = SectionBlock(text=MarkdownTextObject(text=f"*{_title(entry)}*")).to_dict()
    tail: Blocks = [
        ContextBlock(elements=[MarkdownTextObject(text=source_line(entry, lang))]).to_dict()
    ]
    if question_id is not None:
        buttons = ActionsBlock(
            block_id=f"entry-{question_id}", elements=_feedback_buttons(lang, question_id)
        )
        tail.append(buttons.to_dict())
    messages: list[Blocks] = [[head]]
    bodies = [0]  # how many body sections each message holds
    trimmed = False
    for section in body_blocks(entry.body):
        if not _fits(messages[-1], [section]) or (
            section["type"] == "table" and any(x["type"] == "table" for x in messages[-1])
        ):  # Slack takes one table in a message
            if max_messages is not None and len(messages) >= max_messages:
                trimmed = True
                break
            messages.append([])
            bodies.append(0)
        messages[-1].append(section)
        bodies[-1] += 1
    while bodies[-1] and not _fits(messages[-1], tail):  # one section and the tail fit
        last = messages[-1].pop()
        bodies[-1] -= 1
        if max_messages is not None and len(messages) >= max_messages:
            trimmed = True
        else:
            messages.append([last])
            bodies.append(1)
    if trimmed and bodies[-1] and messages[-1][-1]["type"] == "section":
        text = messages[-1][-1]["text"]
        text["text"] = text["text"].rstrip() + _TRIMMED
    messages[-1].extend(tail)
    return messages


def _fits(blocks: Blocks, more: Blocks) -> bool:
    """Whether a message of ``blocks`` and ``more`` stays within Slack's limits, with room
    for the mark of a trimmed body."""
    chars = _text_chars(blocks) + _text_chars(more) + len(_TRIMMED)
    return len(blocks) + len(more) <= MESSAGE_BLOCKS and chars <= MESSAGE_CHARS


def _text_chars(value: Any) -> int:
    """The characters of all text in blocks: every "text" string, however deep."""
    if isinstance(value, dict):
        return sum(
            len(v) if k == "text" and isinstance(v, str) else _text_chars(v)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return sum(_text_chars(v) for v in value)
    return 0


def source_line(entry: Entry, lang: str) -> str:
    """'Source: title · owner · last verified' in ``lang``."""
    owner = entry.owner or t("owner_unknown", lang)
    if USER_ID.match(owner):
        owner = f"<@{owner}>"
    return t("slack_source", lang, title=_title(entry), owner=owner, updated=entry.updated)


def shared_blocks(answer_blocks_: Blocks, user_id: str, question: str, lang: str) -> Blocks:
    """An answer as posted publicly by 'Share in channel': who shared it, no private buttons."""
    asked = short(escape(question), QUESTION_CHARS)
    header = ContextBlock(
        elements=[MarkdownTextObject(text=t("shared_by", lang, user=user_id, question=asked))]
    )
    public = [b for b in answer_blocks_ if b.get("type") != "actions"]
    return [header.to_dict(), *public]


def text_blocks(text: str) -> Blocks:
    """One section of mrkdwn text."""
    return _dicts([SectionBlock(text=MarkdownTextObject(text=text))])


def quoted(text: str) -> str:
    """Typed text as an mrkdwn quote, escaped (it may hold <!channel> or a link)."""
    return "\n".join(f">{line}" for line in escape(text).split("\n"))


def message(text: str, blocks: Blocks) -> dict[str, Any]:
    """A message's content as the outbox keeps it: the notification text and the blocks."""
    return {"text": text, "blocks": blocks}


def late_message(content: dict[str, Any], lang: str, asked: str) -> dict[str, Any]:
    """``content`` with a first line saying it is late: ``asked`` says when it was asked."""
    line = ContextBlock(elements=[MarkdownTextObject(text=t("late_answer", lang, when=asked))])
    return {**content, "blocks": [line.to_dict(), *content.get("blocks", [])]}


def home_view(
    lang: str,
    recent: Sequence[StoredQuestion],
    stats: WeeklyStats | None = None,
    extra: Sequence[Block] = (),
) -> dict[str, Any]:
    """The App Home tab; ``stats`` (and ``extra``, e.g. the to-teach list) are shown only
    to the conversation manager(s)."""
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=t("home_title", lang))),
        SectionBlock(text=MarkdownTextObject(text=t("home_intro", lang))),
        ActionsBlock(
            block_id="home-actions",
            elements=[
                button(t("home_ask", lang), HOME_ASK, "ask", "primary"),
                button(t("home_help", lang), HOME_HELP, "help"),
            ],
        ),
        DividerBlock(),
        SectionBlock(text=MarkdownTextObject(text=t("home_recent", lang))),
    ]
    if recent:
        lines = [_question_line(q, lang) for q in recent]
        blocks.append(SectionBlock(text=MarkdownTextObject(text=short("\n".join(lines), 2900))))
    else:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=t("home_no_recent", lang))]))
    if stats is not None:
        blocks.extend(_manager_section(stats, lang))
    blocks.extend(extra)
    return View(type="home", blocks=blocks).to_dict()


def _manager_section(stats: WeeklyStats, lang: str) -> list[Block]:
    counts = t(
        "home_manager_stats",
        lang,
        asked=stats.asked,
        share=stats.answered_share,
        helpful=stats.helpful,
        not_helpful=stats.not_helpful,
    )
    blocks: list[Block] = [
        DividerBlock(),
        SectionBlock(text=MarkdownTextObject(text=t("home_manager_title", lang))),
        SectionBlock(text=MarkdownTextObject(text=counts)),
        SectionBlock(text=MarkdownTextObject(text=t("home_manager_unanswered", lang))),
    ]
    if stats.unanswered:
        lines = [
            f"• {q.asked_at[:16].replace('T', ' ')} <@{q.user_id}>: "
            + escape(short(q.question, 150))
            for q in stats.unanswered
        ]
        blocks.append(SectionBlock(text=MarkdownTextObject(text=short("\n".join(lines), 2900))))
    else:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=t("home_manager_none", lang))])
        )
    return blocks


def ask_modal(lang: str) -> dict[str, Any]:
    """The 'Ask a question' modal opened from App Home."""
    return View(
        type="modal",
        callback_id=ASK_MODAL,
        title=PlainTextObject(text=t("modal_title", lang)),
        submit=PlainTextObject(text=t("modal_submit", lang)),
        close=PlainTextObject(text=t("modal_cancel", lang)),
        blocks=[
            InputBlock(
                block_id=ASK_MODAL_BLOCK,
                label=PlainTextObject(text=t("modal_label", lang)),
                element=PlainTextInputElement(
                    action_id=ASK_MODAL_INPUT,
                    multiline=True,
                    max_length=2000,
                    placeholder=PlainTextObject(text=t("modal_placeholder", lang)),
                ),
            )
        ],
    ).to_dict()


def _question_line(question: StoredQuestion, lang: str) -> str:
    mark = t("answered_mark" if question.answered else "unanswered_mark", lang)
    return f"{mark} {question.asked_at[:10]} {escape(short(question.question, 150))}"


def _feedback_buttons(lang: str, question_id: int) -> list[ButtonElement]:
    """👍, 👎 and "Ask the conversation manager" for the answer to ``question_id``."""
    value = str(question_id)
    return [
        button(t("button_helpful", lang), HELPFUL, value),
        button(t("button_not_helpful", lang), NOT_HELPFUL, value),
        button(t("button_ask_manager", lang), ASK_MANAGER, value),
    ]


def button(text: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    """A button with an emoji-capable label."""
    return ButtonElement(
        text=PlainTextObject(text=text, emoji=True), action_id=action_id, value=value, style=style
    )


def short(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _title(entry: Entry) -> str:
    """An entry's title for mrkdwn, escaped and cut short if very long."""
    return escape(short(entry.title, TITLE_CHARS))


def escape(text: str) -> str:
    """``text`` safe in mrkdwn: &, < and > escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def typed_text(text: str) -> str:
    """A message's or command's text as the user typed it: Slack escapes &, < and > (and
    writes a mention as <@U…>); mentions are left out, the rest unescaped."""
    text = _MENTION.sub(" ", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def _dicts(blocks: Sequence[Block]) -> Blocks:
    return [b.to_dict() for b in blocks]


def fallback_text(answer: Answer) -> str:
    """The plain-text version of an answer, for notifications and screen readers."""
    if answer.answered and answer.best:
        return answer.best.entry.title
    return t("unsure" if answer.suggestions else "no_match", answer.lang)
