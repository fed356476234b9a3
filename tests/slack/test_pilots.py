"""/pilot end to end: signed commands, modals and submissions into the real HTTP server,
posts and DMs through the outbox to the fake Slack; reminders run as the job with a clock
moved forward."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.config import Settings
from bot.pilots import PilotService, UpdateForm
from bot.scheduled import scheduled_jobs
from handlers import pilot_blocks as pb
from handlers.pilot_blocks import SlackPilotRender
from tests.conftest import ManualClock, wait_until
from tests.slack import signing
from tests.slack.conftest import MANAGER, Running, serving
from tests.slack.fake_slack import FakeSlack

OWNER, MEMBER, STRANGER = "UOWNER1", "UMEMBER1", "USTRANGE1"


@pytest.fixture
def running(settings: Settings, slack: FakeSlack) -> Iterator[Running]:
    english = dataclasses.replace(settings, pilots_channel="CPILOTS", default_lang="en")
    with serving(english, slack) as running:
        yield running


def pilot(running: Running, text: str, user: str = OWNER, trigger: str | None = None) -> str:
    """Send /pilot TEXT; the ack's text (and blocks), as one string."""
    body = signing.slash_command_body(
        command="/pilot", text=text, user_id=user, trigger_id=trigger,
        response_url=running.slack.response_url("pilot"),
    )  # fmt: skip
    status, answer, _ = running.send(body)
    assert status == 200
    return json.dumps(json.loads(answer), ensure_ascii=False) if answer else ""


def opened(running: Running, count: int = 1) -> dict[str, Any]:
    """The view of the latest views.open call, once there are ``count``."""
    call = running.slack.wait_for("views.open", count=count)[-1]
    return dict(call.json("view"))


def state(**fields: object) -> dict[str, Any]:
    """View state values as Slack sends them, by block id."""
    values: dict[str, Any] = {}
    for block, value in fields.items():
        if isinstance(value, list):
            element = {"type": "multi_static_select",
                       "selected_options": [{"value": v} for v in value]}  # fmt: skip
        elif block in ("owner", "blocker_user"):
            element = {"type": "users_select", "selected_user": value}
        elif block in ("start", "end"):
            element = {"type": "datepicker", "selected_date": value}
        elif block in ("status", "outcome"):
            element = {"type": "radio_buttons", "selected_option": {"value": value}}
        elif block == "channel":
            element = {"type": "conversations_select", "selected_conversation": value}
        else:
            element = {"type": "plain_text_input", "value": value}
        values[block] = {pb.VALUE: element}
    return values


def new_values(**changes: object) -> dict[str, Any]:
    fields: dict[str, object] = {
        "name": "TikTok recruitment", "owner": OWNER, "team": "HR", "platforms": ["tiktok"],
        "goal": "Interns through TikTok", "kpi1": "Applications", "kpi1_target": "40",
        "budget": "1.000", "hours": "40", "start": "2026-11-01", "end": "2027-02-01",
        "channel": "CTIKTOK",
    }  # fmt: skip
    fields.update(changes)
    return state(**{k: v for k, v in fields.items() if v is not None})


def submit(running: Running, view: dict[str, Any], values: dict[str, Any], user: str = OWNER,
           view_id: str = "VNEW") -> dict[str, Any]:  # fmt: skip
    """Submit ``view`` (as opened) with ``values``; the response, or {} for a plain ack."""
    body = signing.view_submission_body(
        view["callback_id"], values, user_id=user, view_id=view_id,
        private_metadata=view.get("private_metadata", ""), blocks=view["blocks"],
    )  # fmt: skip
    status, text, _ = running.send(body)
    assert status == 200
    return json.loads(text) if text else {}


def register(running: Running, user: str = OWNER, **changes: object) -> int:
    count = len(running.slack.calls_to("views.open")) + 1
    pilot(running, "new", user=user)
    view = opened(running, count)
    answer = submit(running, view, new_values(**changes), user=user, view_id=f"VNEW{count}")
    assert answer["response_action"] == "update", answer
    return int(running.services.store.db.execute("select max(id) from pilots").fetchone()[0])


def texts(call_blocks: Any) -> str:
    return json.dumps(call_blocks, ensure_ascii=False)


def test_new_opens_a_modal_at_once_and_a_valid_submission_is_stored(running: Running) -> None:
    started = time.perf_counter()
    pilot(running, "new")
    view = opened(running)
    assert time.perf_counter() - started < 2.0
    assert view["callback_id"] == pb.NEW_MODAL
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks["owner"]["element"]["initial_user"] == OWNER
    assert "flagship" not in blocks  # only the manager sees it
    answer = submit(running, view, new_values(members=None))
    assert "TikTok recruitment" in texts(answer["view"])
    (row,) = running.services.store.db.table("pilots").rows
    assert (row["name"], row["owner"], row["budget_cents"], row["channel_id"]) == (
        "TikTok recruitment", OWNER, 100_000, "CTIKTOK",
    )  # fmt: skip


def test_the_defaults_are_filled_in_after_the_modal_opened(running: Running) -> None:
    register(running)
    pilot(running, "new")
    (update,) = running.slack.wait_for("views.update")
    team = {b["block_id"]: b for b in update.json("view")["blocks"]}["team"]
    assert team["element"]["initial_value"] == "HR"
    assert update.params["view_id"] == opened(running, 2).get("id", update.params["view_id"])


def test_the_manager_sees_the_flagship_box(running: Running) -> None:
    pilot(running, "new", user=MANAGER)
    assert "flagship" in {b["block_id"] for b in opened(running)["blocks"]}


@pytest.mark.parametrize(
    ("changes", "block", "says"),
    [
        ({"end": "2026-10-01"}, "end", "before the start"),
        ({"budget": "-100"}, "budget", "0 or more"),
        ({"hours": "veel"}, "hours", "not a number"),
        ({"kpi1_target": None}, "kpi1", "target"),
    ],
)
def test_an_invalid_submission_shows_inline_errors_and_stores_nothing(
    running: Running, changes: dict[str, object], block: str, says: str
) -> None:
    pilot(running, "new")
    answer = submit(running, opened(running), new_values(**changes))
    assert answer["response_action"] == "errors"
    assert says in answer["errors"][block]
    assert running.services.store.db.table("pilots").count == 0


def test_a_duplicate_name_is_refused_and_a_retried_submission_stores_once(
    running: Running,
) -> None:
    pilot(running, "new")
    view = opened(running)
    for _ in range(2):  # Slack retries with a new trigger id but the same view id
        submit(running, view, new_values(), view_id="VSAME")
    assert running.services.store.db.table("pilots").count == 1
    answer = submit(running, view, new_values(name="tiktok RECRUITMENT"), view_id="VOTHER")
    assert "already" in answer["errors"]["name"]
    answer = submit(running, view, new_values(name="TikTok recruitmen"), view_id="VOTHER")
    assert "Did you mean “TikTok recruitment”" in answer["errors"]["name"]
    assert running.services.store.db.table("pilots").count == 1


def test_the_owner_updates_through_the_modal_and_both_channels_get_the_summary(
    running: Running,
) -> None:
    pilot_id = register(running)
    pilot(running, "update tiktok recruitmnt")  # a typo finds it
    view = opened(running, 2)
    assert view["private_metadata"] == str(pilot_id)
    assert "kpi1" in {b.get("block_id") for b in view["blocks"]}
    answer = submit(running, view, state(status="amber", text="Legal <!channel> review",
                                         hours="4,5", spent="€ 120", kpi1="12"),
                    view_id="VUPD1")  # fmt: skip
    assert answer["response_action"] == "update"
    posts = running.slack.wait_for("chat.postMessage", count=2)
    assert sorted(p.params["channel"] for p in posts) == ["CPILOTS", "CTIKTOK"]
    shown = texts(posts[0].params["blocks"])
    assert "🟠 At risk TikTok recruitment" in shown and "&lt;!channel&gt;" in shown
    assert "Budget: ▓░░░░░░░░░ 12 %" in shown
    (update,) = running.services.store.db.table("pilot_updates").rows
    assert (update["by_user"], update["spent_cents"], update["hours"]) == (OWNER, 12000, 4.5)


def test_a_stranger_is_refused_politely_and_nothing_is_stored(running: Running) -> None:
    pilot_id = register(running)
    answer = pilot(running, "update TikTok recruitment", user=STRANGER)
    assert f"only the owner (<@{OWNER}>)" in answer
    answer = pilot(running, "update TikTok recruitment green sneaky", user=STRANGER)
    assert f"Please ask <@{OWNER}>" in answer
    view = pb.update_modal("en", running.services.pilots.get(pilot_id))
    answer = submit(running, view, state(status="green", text="sneaky"), user=STRANGER)
    assert "only the owner" in answer["errors"]["status"]
    assert running.services.store.db.table("pilot_updates").count == 0


def test_the_quick_form_stores_an_update_and_a_retry_stores_it_once(running: Running) -> None:
    register(running)
    for _ in range(2):  # the same trigger: a replay
        answer = pilot(running, "update TikTok recruitment oranje wachten op legal",
                       trigger="T-QUICK")  # fmt: skip
    assert "Update for “TikTok recruitment” saved" in answer or answer == ""
    (update,) = running.services.store.db.table("pilot_updates").rows
    assert (update["status"], update["text"]) == ("amber", "wachten op legal")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("update TikTok recruitment amber", "A quick update goes like this"),
        ("update Unknown thing amber hmm", "can't find a pilot like"),
        ("update TikTok recruitment green " + "x" * 2001, "Too long: at most 2000"),
        ("show", "Which pilot?"),
        ("list everything", "Choose `/pilot list mine`"),
        ("frobnicate", "I don't know `/pilot frobnicate`"),
    ],
)
def test_bad_input_gets_an_ephemeral_explanation_and_stores_nothing(
    running: Running, text: str, says: str
) -> None:
    register(running)
    answer = pilot(running, text)
    assert says in json.loads(answer)["text"]
    assert json.loads(answer)["response_type"] == "ephemeral"
    assert running.services.store.db.table("pilot_updates").count == 0


def test_a_modal_with_numbers_that_are_no_numbers_shows_errors(running: Running) -> None:
    pilot_id = register(running)
    view = pb.update_modal("en", running.services.pilots.get(pilot_id))
    answer = submit(running, view, state(status="green", text="x", hours="lots", spent="€ abc",
                                         kpi1="many"))  # fmt: skip
    assert set(answer["errors"]) == {"hours", "spent", "kpi1"}
    assert running.services.store.db.table("pilot_updates").count == 0


def test_update_without_a_name_picks_the_callers_only_pilot_or_offers_a_picker(
    running: Running,
) -> None:
    first = register(running)
    pilot(running, "update")
    assert opened(running, 2)["private_metadata"] == str(first)
    register(running, name="LinkedIn newsletter")
    pilot(running, "update")
    view = opened(running, 4)
    picker = {b["block_id"]: b for b in view["blocks"]}["pilot"]
    assert [o["value"] for o in picker["element"]["options"]] == [str(first + 1), str(first)]
    running.send(signing.block_action_body(pb.PICK, "", user_id=OWNER, channel_id=None,
                                           view={"id": "VPICK"}).replace(
        "%22value%22%3A+%22%22", "%22selected_option%22%3A+%7B%22value%22%3A+%22"
        + str(first) + "%22%7D"))  # fmt: skip
    wait_until(lambda: [c for c in running.slack.calls_to("views.update")
                        if c.params["view_id"] == "VPICK"])  # fmt: skip
    (update,) = [
        c for c in running.slack.calls_to("views.update") if c.params["view_id"] == "VPICK"
    ]
    assert update.json("view")["private_metadata"] == str(first)
    assert "no active pilots" in pilot(running, "update", user=STRANGER)


def test_list_and_show(running: Running) -> None:
    pilot_id = register(running)
    running.services.pilots.update(pilot_id, _form("red", "stuck", spent="500"), "k1", OWNER)
    listed = pilot(running, "list all")
    assert "Pilots (all active): 1" in listed and "🔴 TikTok recruitment" in listed
    assert "budget ▓▓▓░░ 50 %" in listed
    assert "🔴 TikTok recruitment" in pilot(running, "list at-risk")
    assert "No pilots" in pilot(running, "list flagship")
    assert "🔴 TikTok recruitment" in pilot(running, "list", user=OWNER)  # mine
    shown = pilot(running, "show tiktok recruitmnt")
    assert "Budget: ▓▓▓▓▓░░░░░ 50 %" in shown and "History (1 updates)" in shown
    assert "Last update: 0 days ago" in shown and "Applications: – of 40" in shown


def _form(status: str, text: str, **more: str) -> UpdateForm:
    return UpdateForm(status, text, **more)


def test_close_stores_the_outcome_and_a_draft_lesson(running: Running) -> None:
    pilot_id = register(running)
    pilot(running, "close TikTok recruitment")
    view = opened(running, 2)
    assert view["callback_id"] == pb.CLOSE_MODAL
    answer = submit(running, view, state(outcome="scale", kpi1="55", lessons="Interns film best"),
                    view_id="VCLOSE")  # fmt: skip
    assert "is closed: scale" in texts(answer)
    row = running.services.store.db.table("pilots").get(pilot_id)
    assert (row["state"], row["outcome"]) == ("closed", "scale")
    (draft,) = running.services.store.db.table("lesson_drafts").rows
    assert (draft["source"], draft["body"]) == (f"pilot:{pilot_id}", "Interns film best")
    assert "closed already" in pilot(running, "update TikTok recruitment green more")
    assert "closed already" not in pilot(running, "close TikTok recruitment", user=STRANGER)


def test_budget_warnings_reach_owner_and_manager_once(running: Running) -> None:
    pilot_id = register(running)
    view = pb.update_modal("en", running.services.pilots.get(pilot_id))
    submit(running, view, state(status="green", text="a", spent="850"), view_id="VW1")
    wait_until(lambda: len(running.slack.metadata_keys()) >= 4)  # 2 posts, 2 warnings
    submit(running, view, state(status="green", text="b", spent="50"), view_id="VW2")
    wait_until(lambda: len(running.slack.metadata_keys()) >= 6)
    time.sleep(0.3)
    warnings = [k for k in running.slack.metadata_keys() if k.startswith("pilot-warning")]
    assert sorted(warnings) == sorted(
        [
            f"pilot-warning:{pilot_id}:money:80:{OWNER}",
            f"pilot-warning:{pilot_id}:money:80:{MANAGER}",
        ]
    )
    dm = running.slack.messages(MANAGER)[0]
    assert "80 % of its budget: €850 of €1,000" in dm["text"]


def test_reminders_with_time_travel_dm_the_owner_once_with_an_update_now_button(
    running: Running,
) -> None:
    pilot_id = register(running)
    services = running.services
    clock = ManualClock(dt.datetime.now(dt.UTC) + dt.timedelta(days=15))
    later = PilotService(services.store, clock, SlackPilotRender(), (MANAGER,), "en", 14)
    jobs = scheduled_jobs(
        services.outbox,
        services.intake,
        services.privacy,
        services.escalations,
        later,
        services.lessons,
        services.digest,
        "en",
    )
    (job,) = [j for j in jobs if j.name == "pilot-reminders"]
    assert job.run(clock.now).startswith("1 reminder(s)")
    assert job.run(clock.now).startswith("0 reminder(s)")
    with services.store.transaction() as db:  # the job's clock is 15 days ahead; this one not
        db.execute("update outbox set due_at = 0 where key like 'pilot-reminder:%'")
    wait_until(lambda: running.slack.messages(OWNER))
    (dm,) = running.slack.messages(OWNER)
    button = dm["blocks"][1]["elements"][0]
    assert (button["action_id"], button["value"]) == (pb.UPDATE_NOW, str(pilot_id))
    running.send(signing.block_action_body(pb.UPDATE_NOW, str(pilot_id), user_id=OWNER,
                                           channel_id=f"D{OWNER}"))  # fmt: skip
    view = opened(running, 2)
    assert (view["callback_id"], view["private_metadata"]) == (pb.UPDATE_MODAL, str(pilot_id))


def test_the_managers_app_home_shows_the_pilots_that_need_attention(running: Running) -> None:
    pilot_id = register(running)
    running.services.pilots.update(pilot_id, _form("red", "stuck"), "k1", OWNER)
    running.event({"type": "app_home_opened", "user": MANAGER, "channel": "D1", "tab": "home"},
                  event_id="EvPilotHome")  # fmt: skip
    (publish,) = running.slack.wait_for("views.publish")
    shown = texts(publish.json("view")["blocks"])
    assert "Pilots die aandacht vragen" in shown or "Pilots that need attention" in shown
    assert "TikTok recruitment" in shown
