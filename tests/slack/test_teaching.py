"""Teaching end to end: an abstained question on the manager's App Home, taught with the
picker or a new entry, answered for the next asker, and its asker told once."""

from __future__ import annotations

import json
import time
from typing import Any

from handlers import teaching_blocks as tb
from tests.conftest import wait_until
from tests.slack import signing
from tests.slack.conftest import MANAGER, Running

LOCKED_OUT = "We got locked out of our Facebook page"


def dm(running: Running, user: str, text: str, number: int) -> dict[str, Any]:
    """``user`` DMs socialbot ``text``; the reply, once posted."""
    channel = f"DX{number}"
    event = {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "channel": channel,
        "ts": f"1700000300.{number:06d}",
        "text": text,
    }
    before = len(running.slack.messages(channel))
    assert running.event(event, event_id=f"EvTeach{number}")[0] == 200
    wait_until(lambda: len(running.slack.messages(channel)) > before)
    return running.slack.messages(channel)[-1]


def home_of_manager(running: Running, number: int) -> list[dict[str, Any]]:
    before = len(running.slack.calls_to("views.publish"))
    home = {"type": "app_home_opened", "user": MANAGER, "channel": "D1", "tab": "home"}
    running.event(home, event_id=f"EvTeachHome{number}")
    publishes = running.slack.wait_for("views.publish", count=before + 1)
    blocks: list[dict[str, Any]] = publishes[-1].json("view")["blocks"]
    return blocks


def teach_buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    return {
        e["action_id"]: e["value"]
        for block in blocks
        if block["type"] == "actions" and block["block_id"].startswith("teach-")
        for e in block["elements"]
    }


def click(running: Running, action_id: str, value: str) -> None:
    body = signing.block_action_body(action_id, value, user_id=MANAGER, channel_id=None)
    assert running.send(body)[0] == 200


def test_an_abstained_dm_is_taught_with_the_picker_and_answered_next_time(
    running: Running,
) -> None:
    reply = dm(running, "U1", LOCKED_OUT, 1)
    assert "hacked" not in json.dumps(reply["blocks"]).lower()  # not answered
    blocks = home_of_manager(running, 1)
    assert LOCKED_OUT in json.dumps(blocks)
    buttons = teach_buttons(blocks)
    question_id = running.questions()[-1]["id"]
    assert buttons[tb.TEACH_PICK] == str(question_id)

    click(running, tb.TEACH_PICK, buttons[tb.TEACH_PICK])
    (opened,) = running.slack.wait_for("views.open")
    modal = opened.json("view")
    assert modal["callback_id"] == tb.PICK_MODAL and modal["private_metadata"] == str(question_id)
    assert LOCKED_OUT in json.dumps(modal["blocks"])

    status, text, _ = running.send(signing.block_suggestion_body(tb.PICK_SELECT, "hacked"))
    assert status == 200
    options = json.loads(text)["options"]
    assert options[0] == {
        "text": {
            "type": "plain_text",
            "text": "What do I do when a brand account has been hacked?",
        },
        "value": "hacked-account",
    }

    picked = {
        tb.PICK_BLOCK: {
            tb.PICK_SELECT: {
                "type": "external_select",
                "selected_option": options[0],
            }
        }
    }
    submission = signing.view_submission_body(
        tb.PICK_MODAL, picked, user_id=MANAGER, private_metadata=str(question_id)
    )
    status, text, _ = running.send(submission)
    assert status == 200 and text == ""  # the modal closes

    wait_until(lambda: running.slack.metadata_keys("U1"))
    (key,) = running.slack.metadata_keys("U1")
    assert key.startswith("taught-dm:U1:")
    (told,) = running.slack.messages("U1")
    told_text = json.dumps(told["blocks"], ensure_ascii=False)
    assert LOCKED_OUT in told_text and "Change the password" in told_text

    answer = dm(running, "U2", LOCKED_OUT + "?", 2)
    assert "Change the password" in json.dumps(answer["blocks"])
    assert teach_buttons(home_of_manager(running, 2)) == {}  # the list is empty now
    time.sleep(0.3)  # room for a second DM, were there one
    assert len(running.slack.messages("U1")) == 1


def test_a_pick_without_an_entry_gets_an_inline_error(running: Running) -> None:
    dm(running, "U1", LOCKED_OUT, 3)
    question_id = running.questions()[-1]["id"]
    empty = {tb.PICK_BLOCK: {tb.PICK_SELECT: {"type": "external_select", "selected_option": None}}}
    body = signing.view_submission_body(
        tb.PICK_MODAL, empty, user_id=MANAGER, private_metadata=str(question_id)
    )
    status, text, _ = running.send(body)
    assert status == 200
    assert json.loads(text) == {
        "response_action": "errors",
        "errors": {tb.PICK_BLOCK: "Kies een item."},
    }


def new_entry_values(title: str, body: str, lang: str | None, tags: str) -> dict[str, Any]:
    return {
        tb.NEW_TITLE: {tb.NEW_TITLE: {"type": "plain_text_input", "value": title}},
        tb.NEW_BODY: {tb.NEW_BODY: {"type": "plain_text_input", "value": body}},
        tb.NEW_LANG: {
            tb.NEW_LANG: {
                "type": "static_select",
                "selected_option": {"value": lang} if lang else None,
            }
        },
        tb.NEW_TAGS: {tb.NEW_TAGS: {"type": "plain_text_input", "value": tags}},
    }


def test_a_new_entry_from_the_modal_teaches_the_question(running: Running) -> None:
    question = "Mogen we memes gebruiken in onze posts?"
    dm(running, "U5", question, 4)
    question_id = str(running.questions()[-1]["id"])
    click(running, tb.TEACH_NEW, question_id)
    (opened,) = running.slack.wait_for("views.open")
    assert opened.json("view")["callback_id"] == tb.NEW_MODAL

    invalid = new_entry_values("Wie mag er namens het merk posten?", " ", None, "")
    body = signing.view_submission_body(
        tb.NEW_MODAL, invalid, user_id=MANAGER, private_metadata=question_id
    )
    status, text, _ = running.send(body)
    assert status == 200
    errors = json.loads(text)["errors"]
    assert set(errors) == {tb.NEW_TITLE, tb.NEW_BODY, tb.NEW_LANG}
    assert "who-may-post" in errors[tb.NEW_TITLE]
    assert running.services.kb.count() == 8  # nothing stored

    valid = new_entry_values(
        "Mogen we memes gebruiken?", "Ja, met **bronvermelding**.", "nl", "memes"
    )
    body = signing.view_submission_body(
        tb.NEW_MODAL, valid, user_id=MANAGER, private_metadata=question_id
    )
    status, text, _ = running.send(body)
    assert status == 200 and text == ""
    entry = running.services.kb.get("memes-gebruiken")
    assert entry.owner == MANAGER and entry.questions == (question,)
    wait_until(lambda: running.slack.metadata_keys("U5"))
    assert "bronvermelding" in json.dumps(running.slack.messages("U5")[-1]["blocks"])


def test_only_a_conversation_manager_can_teach(running: Running) -> None:
    dm(running, "U1", LOCKED_OUT, 5)
    question_id = str(running.questions()[-1]["id"])
    picked = {
        tb.PICK_BLOCK: {
            tb.PICK_SELECT: {
                "type": "external_select",
                "selected_option": {"value": "who-may-post"},
            }
        }
    }
    body = signing.view_submission_body(
        tb.PICK_MODAL, picked, user_id="U1", private_metadata=question_id
    )
    status, text, _ = running.send(body)
    assert status == 200 and json.loads(text)["response_action"] == "errors"
    assert running.services.teaching.taught() == []
