"""Lessons learned end to end: /lesson → draft → the manager's DM → Approve → /ask finds it;
Reject with a reason; Edit; a stale entry → reminder → Still correct; the digest posted
with its chart (files_upload_v2 against the fake Slack), once."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

import pytest

from bot.config import Settings
from handlers import lesson_blocks as lb
from tests.conftest import wait_until
from tests.slack import signing
from tests.slack.conftest import MANAGER, Running

SUBMITTER = "USUBMIT1"
TITLE = "Reageer binnen het uur op klachten over levertijden"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, digest_channel="CDIGEST")


def values(title: str, learned: str, lang: str = "nl", happened: str = "") -> dict[str, Any]:
    def text(block: str, value: str) -> dict[str, Any]:
        return {block: {block: {"type": "plain_text_input", "value": value}}}

    return {
        **text(lb.TITLE, title),
        **text(lb.LEARNED, learned),
        **text(lb.HAPPENED, happened),
        **text(lb.TAGS, "webcare, klachten"),
        lb.LANG: {lb.LANG: {"type": "static_select", "selected_option": {"value": lang}}},
    }


def submit_lesson(running: Running, title: str = TITLE, view_id: str = "VLESSON1") -> None:
    body = signing.slash_command_body(command="/lesson", user_id=SUBMITTER)
    assert running.send(body)[0] == 200
    opened = running.slack.wait_for("views.open")[-1].json("view")
    assert opened["callback_id"] == lb.LESSON_MODAL
    assert lb.PILOT not in {b["block_id"] for b in opened["blocks"]}  # no pilots table
    submission = signing.view_submission_body(
        lb.LESSON_MODAL,
        values(title, "Een snelle eerste reactie haalt de angel eruit.", happened="Klacht."),
        user_id=SUBMITTER,
        view_id=view_id,
    )
    status, text, _ = running.send(submission)
    assert status == 200 and text == ""


def review_buttons(running: Running, count: int = 1) -> dict[str, str]:
    wait_until(lambda: len(running.slack.messages(MANAGER)) >= count)
    review = running.slack.messages(MANAGER)[count - 1]
    (actions,) = [b for b in review["blocks"] if b["type"] == "actions"]
    return {e["action_id"]: e["value"] for e in actions["elements"]}


def click(running: Running, action: str, value: str, user: str = MANAGER) -> None:
    assert running.click(action, value, user=user, channel=None, response=f"r-{action}")[0] == 200


def test_a_lesson_is_approved_and_answers_the_next_question(running: Running) -> None:
    submit_lesson(running)
    buttons = review_buttons(running)
    assert set(buttons) == {lb.APPROVE, lb.EDIT, lb.REJECT}

    click(running, lb.APPROVE, buttons[lb.APPROVE])
    wait_until(lambda: running.slack.response_posts(f"r-{lb.APPROVE}"))
    updated = running.slack.response_posts(f"r-{lb.APPROVE}")[0]
    assert "Goedgekeurd" in updated.body and lb.APPROVE not in updated.body  # buttons gone
    wait_until(lambda: running.slack.messages(SUBMITTER))
    assert "goedgekeurd" in running.slack.messages(SUBMITTER)[0]["text"]

    running.command("hoe snel reageren op klachten over levertijden?")
    wait_until(lambda: running.slack.response_posts("r1"))
    assert "Een snelle eerste reactie" in running.slack.response_posts("r1")[0].body
    entry = running.services.kb.get("reageer-uur-klachten-levertijden")
    assert entry.owner == SUBMITTER


def test_once_reviewed_every_managers_review_dm_says_by_whom_and_loses_its_buttons(
    running: Running,
) -> None:
    other = "UCM2"
    running.services.lessons.managers = (MANAGER, other)
    submit_lesson(running)
    wait_until(lambda: running.slack.messages(other))
    buttons = review_buttons(running)

    click(running, lb.APPROVE, buttons[lb.APPROVE])

    for manager in (MANAGER, other):
        wait_until(lambda m=manager: "Goedgekeurd" in running.slack.messages(m)[0]["text"])
        (review,) = running.slack.messages(manager)
        assert f"<@{MANAGER}>" in review["text"]
        assert not [b for b in review["blocks"] if b["type"] == "actions"]  # no second review


def test_a_rejected_lesson_goes_back_with_the_reason(running: Running) -> None:
    submit_lesson(running)
    buttons = review_buttons(running)
    click(running, lb.REJECT, buttons[lb.REJECT])
    modal = running.slack.wait_for("views.open", count=2)[-1].json("view")
    assert modal["callback_id"] == lb.REJECT_MODAL
    empty = {lb.REASON: {lb.REASON: {"type": "plain_text_input", "value": " "}}}
    body = signing.view_submission_body(
        lb.REJECT_MODAL, empty, user_id=MANAGER, private_metadata=modal["private_metadata"]
    )
    status, text, _ = running.send(body)
    assert json.loads(text)["response_action"] == "errors"
    reason = {lb.REASON: {lb.REASON: {"type": "plain_text_input", "value": "Staat al in de gids."}}}
    body = signing.view_submission_body(
        lb.REJECT_MODAL, reason, user_id=MANAGER, private_metadata=modal["private_metadata"]
    )
    assert running.send(body)[:2] == (200, "")
    wait_until(lambda: running.slack.messages(SUBMITTER))
    assert "Staat al in de gids." in running.slack.messages(SUBMITTER)[0]["text"]
    assert running.services.lessons.pending() == []
    wait_until(lambda: "Afgewezen" in running.slack.messages(MANAGER)[0]["text"])
    assert "Staat al in de gids." in running.slack.messages(MANAGER)[0]["text"]


def test_edit_opens_the_modal_prefilled_and_changes_the_draft(running: Running) -> None:
    submit_lesson(running)
    buttons = review_buttons(running)
    click(running, lb.EDIT, buttons[lb.EDIT])
    modal = running.slack.wait_for("views.open", count=2)[-1].json("view")
    assert modal["callback_id"] == lb.EDIT_MODAL and TITLE in json.dumps(modal["blocks"])
    bad = signing.view_submission_body(
        lb.EDIT_MODAL, values("", "x"), user_id=MANAGER, private_metadata=modal["private_metadata"]
    )
    assert json.loads(running.send(bad)[1])["errors"] == {lb.TITLE: "Vul dit in."}
    good = signing.view_submission_body(
        lb.EDIT_MODAL,
        values("Klachten over levertijd", "Reageer binnen het uur."),
        user_id=MANAGER,
        private_metadata=modal["private_metadata"],
    )
    assert running.send(good)[:2] == (200, "")
    (draft,) = running.services.lessons.pending()
    assert draft.title == "Klachten over levertijd" and draft.body == "Reageer binnen het uur."


def test_a_stale_entry_is_reminded_and_still_correct_moves_its_date(running: Running) -> None:
    services = running.services
    assert "reminder" in services.scheduler.run_now("kb-stale")
    wait_until(lambda: running.slack.messages("U0123ABCD"))
    (reminder,) = running.slack.messages("U0123ABCD")
    (button,) = [b["accessory"] for b in reminder["blocks"] if "accessory" in b]
    assert button["action_id"] == lb.STILL_CORRECT and button["value"] == "crisis-first-hour"

    click(running, lb.STILL_CORRECT, "crisis-first-hour", user="U0123ABCD")
    today = services.lessons.clock().astimezone(services.settings.zone).date().isoformat()
    wait_until(lambda: services.kb.get("crisis-first-hour").updated == today)
    services.scheduler.run_now("kb-stale")  # the same week: no second reminder
    time.sleep(0.2)
    assert len(running.slack.messages("U0123ABCD")) == 1


def test_the_digest_is_posted_with_its_chart_once(running: Running) -> None:
    submit_lesson(running)
    click(running, lb.APPROVE, review_buttons(running)[lb.APPROVE])
    wait_until(lambda: running.services.lessons.pending() == [])
    digests = running.services.digest
    week = digests.default_week()
    assert digests.post(week).enqueued
    assert not digests.post(week).enqueued  # cron, a second process: the same key
    wait_until(lambda: running.slack.files("CDIGEST"))
    wait_until(lambda: running.slack.messages("CDIGEST"))
    (posted,) = running.slack.messages("CDIGEST")
    assert TITLE in json.dumps(posted["blocks"], ensure_ascii=False)
    (chart,) = running.slack.files("CDIGEST")
    assert chart["content"].startswith(b"\x89PNG") and week in chart["title"]
    assert running.slack.metadata_keys("CDIGEST") == [f"digest:CDIGEST:{week}"]


def test_the_app_home_button_toggles_the_digest_by_dm(running: Running) -> None:
    click(running, lb.DIGEST_TOGGLE, "on", user="USUB0001")
    published = running.slack.wait_for("views.publish")[-1].json("view")
    assert "Stop the digest by DM" in json.dumps(published) or "Geen digest meer" in json.dumps(
        published
    )
    assert running.services.lessons.subscribed("USUB0001")
    assert running.services.digest.post("2026-W48").dms == 1
    wait_until(lambda: running.slack.messages("USUB0001"))
