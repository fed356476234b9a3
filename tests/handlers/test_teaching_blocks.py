from __future__ import annotations

import json

from slack_sdk.models.views import View

from bot.knowledge import Entry
from bot.questions import StoredQuestion
from bot.teaching import Cluster, TaughtNotice
from handlers import teaching_blocks as tb
from tests.handlers.test_blocks import parsed

ENTRY = Entry(id="hacked", title="Hacked?", lang="en", body="Change **it**.", updated="2026-01-01")


def question(n: int, text: str = "locked <out> & gone", user: str = "U1") -> StoredQuestion:
    return StoredQuestion(n, "2026-11-20T09:00:00", user, "D1", text, "en", False, "hacked", 0.3)


def test_the_to_teach_list_shows_count_askers_guess_and_buttons() -> None:
    cluster = Cluster((question(9, user="U2"), question(4), question(2)), frozenset({4}))
    blocks = [b.to_dict() for b in tb.to_teach_blocks([cluster], "en")]
    text = json.dumps(blocks, ensure_ascii=False)
    assert "*3×* _locked &lt;out&gt; &amp; gone_" in text and "<@U2>, <@U1>" in text
    assert "Best guess: `hacked` · 👎 1" in text
    (buttons,) = [b for b in blocks if b["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in buttons["elements"]] == [
        (tb.TEACH_PICK, "9,4,2"),
        (tb.TEACH_NEW, "9,4,2"),
        (tb.TEACH_DISMISS, "9,4,2"),
    ]
    parsed(blocks)
    none = [b.to_dict() for b in tb.to_teach_blocks([], "en")]
    assert "Nothing to teach" in json.dumps(none, ensure_ascii=False)


def test_the_modals_are_views_slack_accepts() -> None:
    for view in (
        tb.pick_modal("nl", ["a question"], "3"),
        tb.new_entry_modal("en", ["a question"], "3", "en"),
    ):
        View(**view).validate_json()
        parsed(view["blocks"])
    picker = tb.pick_modal("nl", ["q"], "3")["blocks"][1]["element"]
    assert picker["type"] == "external_select" and picker["min_query_length"] == 0
    assert tb.entry_options([ENTRY]) == [
        {"text": {"type": "plain_text", "text": "Hacked?"}, "value": "hacked"}
    ]


def test_the_taught_dm_quotes_the_question_and_gives_the_answer() -> None:
    blocks = tb.taught_dm_blocks(TaughtNotice(question(4), ENTRY))
    assert blocks[0]["text"]["text"] == (
        "You asked on 2026-11-20: _locked &lt;out&gt; &amp; gone_\nHere is the answer:"
    )
    assert "Change *it*." in json.dumps(blocks)
    parsed(blocks)
