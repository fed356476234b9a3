"""The escalation builders: the notice as its state allows, the question's details, the
crisis extras of an answer, and the modals."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from bot.crisis import Crisis
from bot.escalations import Escalation, Notice
from bot.knowledge import Entry, Hit
from bot.questions import StoredQuestion
from handlers import escalation_blocks as eb

ZONE = ZoneInfo("Europe/Brussels")
RAISED = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
PLAYBOOK = Entry(
    id="crisis-first-hour", title="Het eerste uur", lang="nl", body="Bel **meteen**.",
    updated="2026-01-01",
)  # fmt: skip
ESCALATION = Escalation(
    id=42, key="k", severity="crisis", text="Ons account is <gehackt>", reporter="U1",
    channel_id="C1", source_link="https://t.slack.com/archives/C1/p1", question_id=None,
    lang="nl", state="open", raised_at=RAISED, acknowledged_at=None, acknowledged_by=None,
    resolved_at=None, resolved_by=None, resolution=None,
    next_reminder_at=RAISED + dt.timedelta(minutes=15), reminders_sent=0,
)  # fmt: skip


def text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def actions(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for x in blocks if x["type"] == "actions" for e in x["elements"]]


def test_an_open_notice_shows_severity_text_reporter_link_and_all_buttons() -> None:
    content = eb.notice_message(ESCALATION, Notice(), ZONE)
    shown = text(content["blocks"])
    assert "🔴 Crisis escalatie ESC-42" in shown
    assert "&lt;gehackt&gt;" in shown and "<gehackt>" not in shown
    assert "Gemeld door <@U1> in <#C1> · 01-12 10:00" in shown
    assert "<https://t.slack.com/archives/C1/p1|Bronbericht>" in shown
    assert "deadline 01-12 10:15" in shown
    assert actions(content["blocks"]) == [eb.ACKNOWLEDGE, eb.RESOLVE, eb.OPEN_THREAD]
    assert content["text"].startswith("🔴 Crisis escalatie ESC-42: Ons account")


def test_acknowledged_and_resolved_notices_lose_their_buttons() -> None:
    acknowledged = dataclasses.replace(
        ESCALATION, state="acknowledged", acknowledged_by="UCM1", acknowledged_at=RAISED
    )
    blocks = eb.notice_message(acknowledged, Notice(), ZONE)["blocks"]
    assert "Opgepakt door <@UCM1>" in text(blocks)
    assert actions(blocks) == [eb.RESOLVE, eb.OPEN_THREAD]
    resolved = dataclasses.replace(
        acknowledged, state="resolved", resolved_by="UCM2", resolved_at=RAISED, resolution="Klaar"
    )
    blocks = eb.notice_message(resolved, Notice(), ZONE)["blocks"]
    assert "Opgelost door <@UCM2> om 01-12 10:00: Klaar" in text(blocks)
    assert actions(blocks) == [eb.OPEN_THREAD]


def test_reminders_say_which_and_the_backup_why() -> None:
    shown = text(eb.notice_message(ESCALATION, Notice(2, backup=True), ZONE)["blocks"])
    assert "Herinnering 2 van 3" in shown and "als back-up" in shown


def question(
    user: str = "U1", channel: str = "C1", words: str = "Wie mag posten?"
) -> StoredQuestion:
    return StoredQuestion(
        7, "2026-12-01T09:00:00+00:00", user, channel, words, "en", False, None, 0.3
    )


def test_a_question_notice_names_asker_channel_guess_and_who_forwarded_it() -> None:
    escalation = dataclasses.replace(
        ESCALATION, lang="en", question_id=7, question=question(), reporter="U9",
        best_guess=Hit(PLAYBOOK, 0.3),
    )  # fmt: skip
    shown = text(eb.notice_message(escalation, Notice(), ZONE)["blocks"])
    assert "<@U1> asked in <#C1>" in shown and "Forwarded by <@U9>." in shown
    assert "best guess: *Het eerste uur*" in shown
    alone = dataclasses.replace(escalation, reporter="U1")
    assert "Forwarded" not in text(eb.notice_message(alone, Notice(), ZONE)["blocks"])


def test_a_question_from_the_app_home_says_direct_message() -> None:
    home = question("U1", "U1", "Twee\nregels")
    escalation = dataclasses.replace(ESCALATION, lang="en", question_id=7, question=home)
    shown = text(eb.notice_message(escalation, Notice(), ZONE)["blocks"])
    assert "<@U1> asked in a direct message:\\n>Twee\\n>regels" in shown
    assert "<#U1>" not in shown


def test_long_texts_stay_within_slack_limits() -> None:
    long = dataclasses.replace(ESCALATION, text="<vraag> " * 800)
    for block in eb.notice_message(long, Notice(), ZONE)["blocks"]:
        texts = [block.get("text") or {}, *block.get("elements", [])]
        assert all(len(t.get("text", "")) <= 3_000 for t in texts if isinstance(t, dict))


def test_crisis_extras_bring_the_playbook_and_a_red_button() -> None:
    blocks = eb.crisis_blocks(Crisis(("gehackt",), PLAYBOOK), 5, "nl", answered="other")
    assert "Dit klinkt als een crisis" in text(blocks) and "Het eerste uur" in text(blocks)
    (button,) = [e for x in blocks if x["type"] == "actions" for e in x["elements"]]
    assert (button["action_id"], button["value"], button["style"]) == (
        eb.ESCALATE_CRISIS, "5", "danger"
    )  # fmt: skip
    again = eb.crisis_blocks(Crisis(("gehackt",), PLAYBOOK), 5, "nl", answered=PLAYBOOK.id)
    assert "Het eerste uur" not in text(again)  # the answer is the playbook already


def test_the_modals() -> None:
    resolve = eb.resolve_modal(ESCALATION)
    assert resolve["callback_id"] == eb.RESOLVE_MODAL and resolve["private_metadata"] == "42"
    assert "Bewaar als les" in text(resolve)
    escalate = eb.escalate_modal("en", "the message", {"channel": "C1", "link": "L"})
    assert json.loads(escalate["private_metadata"]) == {"channel": "C1", "link": "L"}
    assert escalate["blocks"][0]["element"]["initial_option"]["value"] == "normal"
    assert escalate["blocks"][1]["element"]["initial_value"] == "the message"
