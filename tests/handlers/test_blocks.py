from __future__ import annotations

import json
from typing import Any

import pytest

from bot.knowledge import Answer, Entry, Hit
from bot.questions import StoredQuestion, WeeklyStats
from handlers import blocks as b

ENTRY = Entry(
    id="who-may-post",
    title="Wie mag posten?",
    lang="nl",
    body="Alleen **jij**.",
    owner="U0123ABCD",
    updated="2026-03-01",
)
OTHER = Entry(id="crisis", title="Crisis <1 uur>", lang="nl", body="Bel.", updated="2026-01-01")


def text(blocks: Any) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def actions(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for x in blocks if x["type"] == "actions" for e in x["elements"]]


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        ("**bold** and *italic*", "*bold* and _italic_"),
        ("__bold__", "*bold*"),
        ("[intranet](https://intra.example.com/x)", "<https://intra.example.com/x|intranet>"),
        ("## Heading", "*Heading*"),
        ("- one\n- two", "• one\n• two"),
        ("1. first", "1. first"),
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("~~gone~~", "~gone~"),
    ],
)
def test_markdown_becomes_slack_mrkdwn(markdown: str, mrkdwn: str) -> None:
    assert b.to_mrkdwn(markdown) == mrkdwn


def test_confident_answer_has_source_buttons_and_no_confidence_line() -> None:
    answer = Answer("q", "nl", True, 0.9, Hit(ENTRY, 0.9), [])
    blocks = b.answer_blocks(answer, 7, shareable=True)
    assert "Alleen *jij*." in text(blocks)
    assert (
        "Bron: *Wie mag posten?* · eigenaar: <@U0123ABCD> · laatst nagekeken: 2026-03-01"
        in text(blocks)
    )
    assert "Zekerheid" not in text(blocks)
    assert actions(blocks) == [b.HELPFUL, b.NOT_HELPFUL, b.ASK_MANAGER, b.SHARE]
    assert {e["value"] for x in blocks if x["type"] == "actions" for e in x["elements"]} == {"7"}


def test_medium_confidence_is_shown_and_language_followed() -> None:
    answer = Answer("q", "en", True, 0.6, Hit(ENTRY, 0.6), [])
    blocks = b.answer_blocks(answer, 1)
    assert "Confidence: medium (60%)" in text(blocks)
    assert "Source:" in text(blocks)
    assert b.SHARE not in actions(blocks)


def test_long_answer_is_trimmed_with_read_more() -> None:
    long_entry = Entry(**{**ENTRY.__dict__, "body": "word " * 2000})
    blocks = b.answer_blocks(Answer("q", "en", True, 0.9, Hit(long_entry, 0.9), []), 1)
    assert len(blocks[0]["text"]["text"]) <= b.ANSWER_CHARS + 100
    assert blocks[0]["text"]["text"].endswith("…")
    assert actions(blocks)[0] == b.READ_MORE


def test_unsure_answer_offers_suggestions_and_the_manager() -> None:
    answer = Answer("q", "en", False, 0.3, Hit(OTHER, 0.3), [Hit(OTHER, 0.3), Hit(ENTRY, 0.1)])
    blocks = b.answer_blocks(answer, 5)
    assert "I'm not sure enough" in text(blocks)
    assert actions(blocks) == [b.SHOW_ENTRY, b.SHOW_ENTRY, b.ASK_MANAGER]
    assert "Crisis &lt;1 uur&gt;" not in text(blocks[1:])  # button labels are plain text
    values = [e["value"] for x in blocks if x["type"] == "actions" for e in x["elements"]]
    assert values == ["5:crisis", "5:who-may-post", "5"]


def test_nothing_found_says_so() -> None:
    blocks = b.answer_blocks(Answer("q", "nl", False, 0.0, None, []), 5)
    assert "Daar vind ik niets over" in text(blocks)
    assert actions(blocks) == [b.ASK_MANAGER]


def test_long_entry_is_split_over_sections() -> None:
    long_entry = Entry(**{**ENTRY.__dict__, "body": "x" * 7000})
    blocks = b.entry_blocks(long_entry, "nl", 3)
    sections = [x for x in blocks if x["type"] == "section"]
    assert all(len(x["text"]["text"]) <= 3000 for x in sections)
    assert "".join(x["text"]["text"] for x in sections[1:]) == "x" * 7000


def body_sections(messages: list[list[dict[str, Any]]]) -> list[str]:
    """The sections' texts of the messages, in order, without the title (the first)."""
    texts = [x["text"]["text"] for blocks in messages for x in blocks if x["type"] == "section"]
    return texts[1:]


def assert_within_slack_limits(messages: list[list[dict[str, Any]]]) -> None:
    for blocks in messages:
        assert 0 < len(blocks) <= 50
        texts = [x["text"]["text"] for x in blocks if x["type"] == "section"]
        assert all(len(t) <= 3_000 for t in texts)
        assert all_text_chars(blocks) <= b.MESSAGE_CHARS


def all_text_chars(value: Any) -> int:
    """The characters of every "text" string in ``value`` (sections, context, buttons)."""
    if isinstance(value, dict):
        return sum(
            len(v) if k == "text" and isinstance(v, str) else all_text_chars(v)
            for k, v in value.items()
        )
    return sum(all_text_chars(v) for v in value) if isinstance(value, list) else 0


def test_a_short_entry_is_one_message_as_before() -> None:
    messages = b.entry_messages(ENTRY, "nl", 3)
    assert messages == [b.entry_blocks(ENTRY, "nl", 3)]
    (blocks,) = messages
    assert [x["type"] for x in blocks] == ["section", "section", "context", "actions"]
    assert blocks[0]["text"]["text"] == "*Wie mag posten?*"
    assert blocks[1]["text"]["text"] == "Alleen *jij*."
    assert "Bron: *Wie mag posten?*" in text(blocks[2])
    assert actions(blocks) == [b.HELPFUL, b.NOT_HELPFUL, b.ASK_MANAGER]
    assert b.entry_messages(ENTRY, "nl") == [[x for x in blocks if x["type"] != "actions"]]


def long_body(paragraphs: int = 120) -> str:
    """About 500 characters a paragraph, with a link and markup now and then."""
    return "\n\n".join(
        f"**Alinea {i}.** "
        + " ".join(f"woord{i}x{j}" for j in range(50))
        + (f" Zie [de richtlijn {i}](https://intranet.example/r/{i})." if i % 7 == 0 else "")
        for i in range(paragraphs)
    )


def test_a_very_long_entry_is_sent_in_several_messages_within_slack_limits() -> None:
    long_entry = Entry(**{**ENTRY.__dict__, "body": long_body()})
    assert len(long_entry.body) > 60_000
    messages = b.entry_messages(long_entry, "nl", 3, max_messages=None)
    assert len(messages) > 5
    assert_within_slack_limits(messages)
    # every piece of the body, in order, each cut between paragraphs or words
    assert "\n\n".join(body_sections(messages)) == b.to_mrkdwn(long_entry.body)
    assert messages[0][0]["text"]["text"] == "*Wie mag posten?*"
    assert "*Wie mag posten?*" not in text(messages[1:-1])  # the title heads the first only
    for blocks in messages[:-1]:
        assert [x["type"] for x in blocks] == ["section"] * len(blocks)
    assert [x["type"] for x in messages[-1][-2:]] == ["context", "actions"]
    assert "Bron:" in text(messages[-1]) and "Bron:" not in text(messages[:-1])
    assert actions(messages[-1]) == [b.HELPFUL, b.NOT_HELPFUL, b.ASK_MANAGER]


def test_a_very_long_entry_is_trimmed_to_what_one_response_url_takes() -> None:
    long_entry = Entry(**{**ENTRY.__dict__, "body": long_body()})
    messages = b.entry_messages(long_entry, "nl", 3)  # Slack takes five posts to a response_url
    assert len(messages) == b.RESPONSE_URL_POSTS
    assert_within_slack_limits(messages)
    sections = body_sections(messages)
    assert sections[-1].endswith(" …")
    shown = "\n\n".join([*sections[:-1], sections[-1].removesuffix(" …")])
    assert b.to_mrkdwn(long_entry.body).startswith(shown)
    assert "Bron:" in text(messages[-1]) and actions(messages[-1])[0] == b.HELPFUL
    (one,) = [b.entry_blocks(long_entry, "nl", 3)]  # one message, trimmed the same way
    assert_within_slack_limits([one])
    assert body_sections([one])[-1].endswith(" …") and actions(one)[0] == b.HELPFUL


def test_one_long_paragraph_without_spaces_is_still_split_within_limits() -> None:
    long_entry = Entry(**{**ENTRY.__dict__, "body": "x" * 40_000})
    messages = b.entry_messages(long_entry, "nl", max_messages=None)
    assert len(messages) > 1
    assert_within_slack_limits(messages)
    assert "".join(body_sections(messages)) == "x" * 40_000
    assert "Bron:" in text(messages[-1]) and "Bron:" not in text(messages[:-1])
    capped = b.entry_messages(long_entry, "nl")
    assert len(capped) <= b.RESPONSE_URL_POSTS
    assert_within_slack_limits(capped)


def question(answered: bool, text_: str = "Hoe zit het?") -> StoredQuestion:
    return StoredQuestion(
        1, "2026-11-27T10:00:00+00:00", "U1", "C1", text_, "nl", answered, None, 0.2
    )


def test_home_view_for_users_and_managers() -> None:
    view = b.home_view("en", [question(True)])
    assert view["type"] == "home"
    assert "Hoe zit het?" in text(view)
    assert "conversation manager: the last 7 days" not in text(view)
    stats = WeeklyStats(
        asked=4, answered=3, helpful=2, not_helpful=1, unanswered=[question(False, "Onbekend?")]
    )
    manager_view = b.home_view("en", [], stats)
    assert "Questions: *4* · answered: *75%* · 👍 *2* · 👎 *1*" in text(manager_view)
    assert "Onbekend?" in text(manager_view)
    assert "You haven't asked anything yet." in text(manager_view)


def test_a_long_entry_is_split_between_words() -> None:
    words = " ".join(f"woord{i}" for i in range(2000))
    long_entry = Entry(**{**ENTRY.__dict__, "body": words})
    sections = body_sections(b.entry_messages(long_entry, "nl"))
    assert len(sections) > 2 and all(len(x) <= 3000 for x in sections)
    assert " ".join(sections) == words  # every cut between two words


def test_a_long_entry_is_not_split_inside_a_link() -> None:
    link = "[de richtlijn voor social media op het intranet](https://intranet.example/richtlijn)"
    body = "woord " * 470 + link + " voor meer."  # the link spans the 2,900th character
    long_entry = Entry(**{**ENTRY.__dict__, "body": body})
    sections = [
        x["text"]["text"] for x in b.entry_blocks(long_entry, "nl") if x["type"] == "section"
    ]
    assert any(s.endswith("woord") for s in sections[1:-1])
    assert any(s.startswith("<https://intranet.example/richtlijn|de richtlijn") for s in sections)


def test_shared_answer_has_no_private_buttons() -> None:
    answer = Answer("q", "nl", True, 0.9, Hit(ENTRY, 0.9), [])
    shared = b.shared_blocks(b.answer_blocks(answer, 1, shareable=True), "U1", "q?", "nl")
    assert actions(shared) == []
    assert "Gedeeld door <@U1>" in text(shared)


def test_very_long_titles_and_questions_stay_within_slack_limits() -> None:
    # Slack refuses a section over 3,000 characters, and with it the whole answer.
    long_entry = Entry(**{**ENTRY.__dict__, "title": "Lange titel " * 60, "body": "woord " * 600})
    surfaces = [
        b.answer_blocks(Answer("q", "nl", True, 0.9, Hit(long_entry, 0.9), []), 1),
        b.entry_blocks(long_entry, "nl", 1),
        b.shared_blocks([], "U1", "<vraag> " * 400, "nl"),
    ]
    for blocks in surfaces:
        for block in blocks:
            texts = [block.get("text") or {}, *block.get("elements", [])]
            assert all(len(t.get("text", "")) <= 3_000 for t in texts if isinstance(t, dict))
    assert "Lange titel" in text(surfaces[0])


TABLE_BODY = (
    "Our targets:\n\n"
    "| Type | First reply |\n"
    "|---|:---:|\n"
    "| **Complaint** | within 1 hour |\n"
    "| [Question](https://intra.example.com/q) | |\n\n"
    "> Quoted & kept.\n\n"
    "After the table."
)


def parsed(blocks: list[dict[str, Any]]) -> list[str]:
    """The block types as slack_sdk's models read them, each validated as Slack would."""
    from slack_sdk.models.blocks import Block

    models = [Block.parse(x) for x in blocks]
    for model in models:
        assert model is not None
        model.validate_json()
    return [type(m).__name__ for m in models]


def test_quotes_stay_quotes_and_other_angle_brackets_are_escaped() -> None:
    assert b.to_mrkdwn("> quoted & <b>\n  > two\na > b") == (
        "> quoted &amp; &lt;b&gt;\n> two\na &gt; b"
    )


def test_a_markdown_table_becomes_a_table_block() -> None:
    blocks = b.body_blocks(TABLE_BODY)
    assert [x["type"] for x in blocks] == ["section", "table", "section"]
    rows = [[cell["text"] for cell in row] for row in blocks[1]["rows"]]
    assert rows == [
        ["Type", "First reply"],
        ["Complaint", "within 1 hour"],
        ["Question (https://intra.example.com/q)", "–"],
    ]
    assert "|" not in text(blocks)
    assert blocks[2]["text"]["text"] == "> Quoted &amp; kept.\n\nAfter the table."
    assert parsed(blocks) == ["SectionBlock", "TableBlock", "SectionBlock"]


def test_an_answer_with_a_table_shows_it_and_slack_accepts_the_blocks() -> None:
    entry = Entry(**{**ENTRY.__dict__, "body": TABLE_BODY})
    blocks = b.answer_blocks(Answer("q", "nl", True, 0.9, Hit(entry, 0.9), []), 4)
    assert parsed(blocks) == [
        "SectionBlock",
        "TableBlock",
        "SectionBlock",
        "ContextBlock",
        "ActionsBlock",
    ]
    assert blocks[0]["text"]["text"] == "*Wie mag posten?*\nOur targets:"
    assert b.READ_MORE not in actions(blocks)


def test_an_entry_with_two_tables_puts_each_in_a_message_of_its_own() -> None:
    entry = Entry(**{**ENTRY.__dict__, "body": TABLE_BODY + "\n\n" + TABLE_BODY})
    messages = b.entry_messages(entry, "nl", 3)
    assert [sum(x["type"] == "table" for x in m) for m in messages] == [1, 1]
    for blocks in messages:
        parsed(blocks)
    answer = b.answer_blocks(Answer("q", "nl", True, 0.9, Hit(entry, 0.9), []), 4)
    assert sum(x["type"] == "table" for x in answer) == 1
    assert actions(answer)[0] == b.READ_MORE  # the second table is behind "read more"


def test_every_bundled_entry_renders_as_blocks_slack_accepts() -> None:
    from bot.config import BUNDLED_KB
    from bot.knowledge.entry import load_paths

    entries = load_paths([BUNDLED_KB])
    with_tables = [e for e in entries if any(x["type"] == "table" for x in b.body_blocks(e.body))]
    assert len(with_tables) >= 6
    for entry in entries:
        for blocks in b.entry_messages(entry, entry.lang, 1):
            parsed(blocks)
        parsed(b.answer_blocks(Answer("q", entry.lang, True, 0.9, Hit(entry, 0.9), []), 1))
