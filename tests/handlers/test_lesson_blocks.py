from __future__ import annotations

import datetime as dt
import json

from bot.digest import Digest, EscalationSection, LessonLine
from bot.knowledge import Entry
from bot.lessons import LessonDraft
from handlers import lesson_blocks as lb

DRAFT = LessonDraft(
    id=7,
    title="Reageer snel <op> klachten",
    body="Binnen het uur.",
    lang="nl",
    source="slack:V1",
    submitted_by="USUBMIT1",
    created_at="2026-11-20T09:00:00+00:00",
    state="draft",
    happened="Een klacht ging rond.",
    tags=("webcare",),
    pilot_id=3,
)


def block_ids(view: dict[str, object]) -> list[str]:
    return [b["block_id"] for b in view["blocks"]]  # type: ignore[attr-defined,index]


def test_the_lesson_modal_has_a_pilot_picker_only_when_there_are_pilots() -> None:
    without = lb.lesson_modal("nl", None)
    assert lb.PILOT not in block_ids(without) and without["callback_id"] == lb.LESSON_MODAL
    with_pilots = lb.lesson_modal("en", [(3, "Instagram Reels"), (4, "TikTok")])
    assert block_ids(with_pilots) == [lb.TITLE, lb.HAPPENED, lb.LEARNED, lb.TAGS, lb.PILOT, lb.LANG]


def test_edit_prefills_every_field_and_carries_the_draft_id() -> None:
    view = lb.lesson_modal("nl", [(3, "Instagram Reels")], DRAFT)
    assert view["callback_id"] == lb.EDIT_MODAL and view["private_metadata"] == "7"
    blocks = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert blocks[lb.TITLE]["initial_value"] == DRAFT.title
    assert blocks[lb.HAPPENED]["initial_value"] == DRAFT.happened
    assert blocks[lb.TAGS]["initial_value"] == "webcare"
    assert blocks[lb.PILOT]["initial_option"]["value"] == "3"
    assert blocks[lb.LANG]["initial_option"]["value"] == "nl"


def test_the_review_dm_escapes_the_text_and_has_the_three_buttons() -> None:
    content = lb.review_message(DRAFT)
    text = json.dumps(content["blocks"], ensure_ascii=False)
    assert "&lt;op&gt;" in text and "<op>" not in text
    actions = content["blocks"][-1]["elements"]
    assert [(a["action_id"], a["value"]) for a in actions] == [
        (lb.APPROVE, "7"),
        (lb.EDIT, "7"),
        (lb.REJECT, "7"),
    ]


def test_the_stale_dm_has_a_still_correct_button_per_entry() -> None:
    entries = [Entry("a", "A", "nl", "x", updated="2025-01-01"), Entry("b", "B", "nl", "y")]
    content = lb.stale_message(entries, "en", 180)
    buttons = [b["accessory"] for b in content["blocks"] if "accessory" in b]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (lb.STILL_CORRECT, "a"),
        (lb.STILL_CORRECT, "b"),
    ]


def test_the_digest_message_has_a_header_and_only_its_sections() -> None:
    digest = Digest(
        "2026-W48",
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 29),
        "en",
        180,
        lessons=(LessonLine("Reply fast", "Within the hour.", "USUB0001", "reply-fast"),),
        escalations=EscalationSection({"high": 1}, 12.0, ()),
    )
    content = lb.digest_message(digest, late="2026-11-30 09:00")
    kinds = [b["type"] for b in content["blocks"]]
    assert kinds == ["header", "context", "context", "divider", "section", "divider", "section"]
    text = json.dumps(content["blocks"])
    assert "*Lessons learned*" in text and "<@USUB0001>" in text and "12 min" in text
    assert "Pilots" not in text and "Questions" not in text


def test_the_subscription_button_says_what_a_click_does() -> None:
    off = lb.subscription_blocks(False, "en")[1].to_dict()
    on = lb.subscription_blocks(True, "en")[1].to_dict()
    assert off["accessory"]["text"]["text"] == "Get the digest by DM"
    assert on["accessory"]["text"]["text"] == "Stop the digest by DM"
