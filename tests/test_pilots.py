"""Pilot rules, pure: registering, fuzzy names, updates and their history, permissions,
budget warnings once per threshold, chasing with a fixed clock, closing, export."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest

from bot.db import Store
from bot.errors import InvalidInput, NotFound
from bot.pilot_report import TextRender, export_csv, export_json, listing_text, report_lines
from bot.pilots import (
    Ambiguous,
    CloseForm,
    FormErrors,
    NotAllowed,
    PilotForm,
    PilotService,
    UpdateForm,
    bar,
    parse_quick_update,
    threshold_passed,
)
from tests.conftest import ManualClock

MANAGER = "UCM1"
OWNER = "UOWNER1"
MEMBER = "UMEMBER1"
STRANGER = "USTRANGE1"
BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
def pilots(fresh_store: Store, clock: ManualClock) -> PilotService:
    return PilotService(
        fresh_store, clock, TextRender(), managers=(MANAGER,), lang="en", update_days=14,
        pilots_channel="CPILOTS",
    )  # fmt: skip


def form(**changes: object) -> PilotForm:
    base = PilotForm(
        name="TikTok recruitment",
        owner=OWNER,
        team="HR",
        platforms=("tiktok",),
        goal="Find interns through TikTok",
        kpis=(("Applications", "40"), ("Views", "10.000"), ("", "")),
        budget="€ 1.000",
        hours="40",
        start="2026-11-01",
        end="2027-02-01",
        members=(MEMBER,),
        channel_id="CTIKTOK",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def outbox_keys(store: Store) -> list[str]:
    return [row["key"] for row in store.db.table("outbox").rows]


def test_a_pilot_is_registered_with_its_values(pilots: PilotService) -> None:
    pilot = pilots.create(form(), "view:V1", OWNER)
    assert (pilot.name, pilot.owner, pilot.members) == ("TikTok recruitment", OWNER, (MEMBER,))
    assert pilot.budget_cents == 100_000 and pilot.hours_estimated == 40.0
    assert [(k.name, k.target) for k in pilot.kpis] == [("Applications", 40), ("Views", 10000)]
    assert (pilot.status, pilot.state, pilot.flagship) == ("green", "active", False)


def test_a_retried_submission_does_not_make_a_second_pilot(
    pilots: PilotService, fresh_store: Store
) -> None:
    first = pilots.create(form(), "view:V1", OWNER)
    again = pilots.create(form(), "view:V1", OWNER)
    assert first.id == again.id
    assert fresh_store.db.table("pilots").count == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"end": "2026-10-01"}, "end"),
        ({"start": ""}, "start"),
        ({"budget": "-5"}, "budget"),
        ({"budget": "a lot"}, "budget"),
        ({"hours": "veel"}, "hours"),
        ({"platforms": ()}, "platforms"),
        ({"platforms": ("myspace",)}, "platforms"),
        ({"goal": ""}, "goal"),
        ({"kpis": (("Views", ""),)}, "kpi1"),
        ({"kpis": (("Views", "10"), ("views", "5"))}, "kpi2"),
        ({"kpis": (("Views", "ten"),)}, "kpi1"),
        ({"flagship": True}, "flagship"),
        ({"owner": ""}, "owner"),
    ],
)
def test_invalid_forms_name_the_field_and_store_nothing(
    pilots: PilotService, fresh_store: Store, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(FormErrors) as error:
        pilots.create(form(**changes), "view:V1", OWNER)
    assert field in error.value.errors
    assert fresh_store.db.table("pilots").count == 0


def test_names_are_unique_and_similar_ones_are_questioned(pilots: PilotService) -> None:
    pilots.create(form(), "view:V1", OWNER)
    with pytest.raises(FormErrors) as taken:
        pilots.create(form(name="tiktok  Recruitment!"), "view:V2", OWNER)
    assert "already" in taken.value.errors["name"]
    with pytest.raises(FormErrors) as similar:
        pilots.create(form(name="TikTok recruitmnt"), "view:V3", OWNER)
    assert "Did you mean “TikTok recruitment”" in similar.value.errors["name"]
    confirmed = pilots.create(form(name="TikTok recruitmnt", similar_ok=True), "view:V3", OWNER)
    assert confirmed.name == "TikTok recruitmnt"


def test_only_the_manager_makes_a_flagship(pilots: PilotService) -> None:
    assert pilots.create(form(flagship=True), "view:V1", MANAGER).flagship


def test_fuzzy_lookup_finds_typos_and_lists_ambiguous_names(pilots: PilotService) -> None:
    pilots.create(form(), "view:V1", OWNER)
    pilots.create(form(name="Instagram stories for stores"), "view:V2", OWNER)
    pilots.create(form(name="Instagram stories for staff"), "view:V3", OWNER)
    assert pilots.find("tiktok recruitmnet").name == "TikTok recruitment"
    assert pilots.find("TIKTOK RECRUITMENT").name == "TikTok recruitment"
    with pytest.raises(Ambiguous) as error:
        pilots.find("instagram stories")
    assert set(error.value.candidates) == {
        "Instagram stories for stores",
        "Instagram stories for staff",
    }
    with pytest.raises(NotFound, match="can't find a pilot like “LinkedIn newsletter”"):
        pilots.find("LinkedIn newsletter")


def test_an_update_is_kept_with_who_and_when_and_posted_to_both_channels(
    pilots: PilotService, fresh_store: Store, clock: ManualClock
) -> None:
    pilot = pilots.create(form(), "view:V1", OWNER)
    clock.advance(3600)
    done = pilots.update(
        pilot.id,
        UpdateForm("amber", "Legal review takes long", hours="4,5", spent="€ 120",
                   kpi_values={"Applications": "12"}),
        "view:V2",
        MEMBER,
    )  # fmt: skip
    assert (done.pilot.status, done.pilot.spent_cents, done.pilot.hours_spent) == (
        "amber", 12000, 4.5,
    )  # fmt: skip
    assert done.pilot.kpi_values == {"Applications": 12.0}
    assert done.update.by_user == MEMBER and done.update.created_at == clock.now
    assert sorted(outbox_keys(fresh_store)) == [
        f"pilot-update:{done.update.id}:CPILOTS",
        f"pilot-update:{done.update.id}:CTIKTOK",
    ]
    second = pilots.update(pilot.id, UpdateForm("green", "Approved"), "view:V3", OWNER)
    report = pilots.report(pilot.id)
    assert [u.text for u in report.updates] == ["Approved", "Legal review takes long"]
    assert report.update_count == 2 and second.pilot.spent_cents == 12000


def test_a_retried_update_is_stored_once(pilots: PilotService, fresh_store: Store) -> None:
    pilot = pilots.create(form(), "view:V1", OWNER)
    first = pilots.update(pilot.id, UpdateForm("green", "ok", spent="10"), "command:T1", OWNER)
    again = pilots.update(pilot.id, UpdateForm("green", "ok", spent="10"), "command:T1", OWNER)
    assert again.repeated and again.update.id == first.update.id
    assert fresh_store.db.table("pilot_updates").count == 1
    assert pilots.get(pilot.id).spent_cents == 1000


def test_a_stranger_is_refused_politely_with_the_owner_named(
    pilots: PilotService, fresh_store: Store
) -> None:
    pilot = pilots.create(form(), "view:V1", OWNER)
    with pytest.raises(NotAllowed, match=f"only the owner \\(<@{OWNER}>\\)"):
        pilots.update(pilot.id, UpdateForm("green", "hi"), "view:V2", STRANGER)
    with pytest.raises(NotAllowed):
        pilots.close(pilot.id, CloseForm("stop"), "view:V3", STRANGER)
    assert fresh_store.db.table("pilot_updates").count == 0
    assert pilots.update(pilot.id, UpdateForm("green", "hi"), "view:V4", MANAGER).update


@pytest.mark.parametrize(
    ("update", "field"),
    [
        (UpdateForm("purple", "x"), "status"),
        (UpdateForm("green", " "), "text"),
        (UpdateForm("green", "x" * 2001), "text"),
        (UpdateForm("green", "x", hours="many"), "hours"),
        (UpdateForm("green", "x", spent="-3"), "spent"),
        (UpdateForm("green", "x", kpi_values={"Applications": "lots"}), "kpi1"),
    ],
)
def test_a_bad_update_stores_nothing(
    pilots: PilotService, fresh_store: Store, update: UpdateForm, field: str
) -> None:
    pilot = pilots.create(form(), "view:V1", OWNER)
    with pytest.raises(FormErrors) as error:
        pilots.update(pilot.id, update, "view:V2", OWNER)
    assert field in error.value.errors
    assert fresh_store.db.table("pilot_updates").count == 0
    assert fresh_store.db.table("outbox").count == 0


@pytest.mark.parametrize(
    ("share", "warned", "expected"),
    [(None, 0, None), (0.79, 0, None), (0.8, 0, 80), (0.95, 80, None), (1.0, 80, 100),
     (1.5, 0, 100), (2.0, 100, None)],
)  # fmt: skip
def test_threshold_passed(share: float | None, warned: int, expected: int | None) -> None:
    assert threshold_passed(share, warned) == expected


def test_budget_and_hours_warnings_go_to_owner_and_manager_once_per_threshold(
    pilots: PilotService, fresh_store: Store
) -> None:
    pilot = pilots.create(form(), "view:V1", OWNER)  # € 1.000, 40 hours
    pilots.update(pilot.id, UpdateForm("green", "a", spent="700"), "k1", OWNER)
    assert not [k for k in outbox_keys(fresh_store) if k.startswith("pilot-warning")]
    pilots.update(pilot.id, UpdateForm("green", "b", spent="150", hours="33"), "k2", OWNER)
    pilots.update(pilot.id, UpdateForm("green", "c", spent="10"), "k3", OWNER)  # still 86 %
    pilots.update(pilot.id, UpdateForm("green", "d", spent="200", hours="10"), "k4", OWNER)
    pilots.update(pilot.id, UpdateForm("green", "e", spent="200", hours="10"), "k5", OWNER)
    warnings = sorted(k for k in outbox_keys(fresh_store) if k.startswith("pilot-warning"))
    assert warnings == sorted(
        f"pilot-warning:{pilot.id}:{measure}:{limit}:{user}"
        for measure in ("money", "hours")
        for limit in (80, 100)
        for user in (OWNER, MANAGER)
    )
    text = json.loads(
        fresh_store.db.execute(
            "select content from outbox where key = ?",
            [f"pilot-warning:{pilot.id}:money:100:{OWNER}"],
        ).fetchone()[0]
    )["text"]
    assert "100 % of its budget: €1,060 of €1,000" in text


def test_reminders_chase_a_quiet_pilot_once_per_gap(
    pilots: PilotService, fresh_store: Store, clock: ManualClock
) -> None:
    quiet = pilots.create(form(), "view:V1", OWNER)
    closed = pilots.create(form(name="Old LinkedIn pilot"), "view:V2", OWNER)
    pilots.close(closed.id, CloseForm("stop"), "view:V3", OWNER)
    clock.advance(13 * 86400)
    assert pilots.remind().reminded == 0
    clock.advance(86400)
    assert pilots.remind().reminded == 1
    clock.advance(86400)
    assert pilots.remind().reminded == 0  # the same gap is not reminded twice
    reminders = [k for k in outbox_keys(fresh_store) if k.startswith("pilot-reminder")]
    assert reminders == [f"pilot-reminder:{quiet.id}:2026-11-20T09:00:00+00:00"]
    pilots.update(quiet.id, UpdateForm("green", "back"), "k1", OWNER)
    clock.advance(14 * 86400)
    assert pilots.remind().reminded == 1  # a new gap
    row = fresh_store.db.execute(
        "select channel, kind from outbox where key like 'pilot-reminder:%' order by id"
    ).fetchall()
    assert row == [(OWNER, "pilot_reminder")] * 2


def test_a_pilot_blocked_for_more_than_three_days_is_reported_once(
    pilots: PilotService, fresh_store: Store, clock: ManualClock
) -> None:
    pilot = pilots.create(form(), "view:V1", OWNER)
    pilots.update(pilot.id, UpdateForm("red", "no access", blocker="IT must open the account"),
                  "k1", OWNER)  # fmt: skip
    clock.advance(2 * 86400)
    pilots.update(pilot.id, UpdateForm("red", "still no access"), "k2", OWNER)  # same spell
    clock.advance(86400)
    assert pilots.remind().blocked_reported == 0  # exactly 3 days
    clock.advance(3600)
    assert pilots.remind().blocked_reported == 1
    assert pilots.remind().blocked_reported == 0
    (key,) = [k for k in outbox_keys(fresh_store) if k.startswith("pilot-blocked")]
    assert key.endswith(f":{MANAGER}")
    assert pilots.get(pilot.id).blocked_since == dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)


def test_closing_stores_outcome_and_lessons_as_a_draft_lesson(
    pilots: PilotService, fresh_store: Store
) -> None:
    pilot = pilots.create(form(), "view:V1", OWNER)
    done = pilots.close(
        pilot.id,
        CloseForm("scale", {"Applications": "55"}, "Short videos by interns work best."),
        "view:V2",
        MEMBER,
    )
    assert (done.pilot.state, done.pilot.outcome) == ("closed", "scale")
    assert done.pilot.kpi_values == {"Applications": 55.0}
    (draft,) = fresh_store.db.table("lesson_drafts").rows
    assert draft["source"] == f"pilot:{pilot.id}" and draft["state"] == "draft"
    assert draft["body"] == "Short videos by interns work best." and draft["submitted_by"] == MEMBER
    with pytest.raises(InvalidInput, match="closed already"):
        pilots.update(pilot.id, UpdateForm("green", "more"), "k9", OWNER)
    with pytest.raises(FormErrors):
        other = pilots.create(form(name="Other"), "v", OWNER)
        pilots.close(other.id, CloseForm("maybe"), "c", OWNER)


def test_lists_filter_and_put_the_worst_first(pilots: PilotService) -> None:
    a = pilots.create(form(name="Alpha"), "v1", OWNER)
    b = pilots.create(form(name="Bravo", owner=STRANGER, members=()), "v2", STRANGER)
    c = pilots.create(form(name="Charlie", flagship=True), "v3", MANAGER)
    pilots.update(b.id, UpdateForm("amber", "slow"), "k1", STRANGER)
    pilots.update(c.id, UpdateForm("red", "stuck"), "k2", OWNER)
    assert [p.name for p in pilots.listing("all").pilots] == ["Charlie", "Bravo", "Alpha"]
    assert [p.name for p in pilots.listing("mine", MEMBER).pilots] == ["Charlie", "Alpha"]
    assert [p.name for p in pilots.listing("flagship").pilots] == ["Charlie"]
    assert [p.name for p in pilots.listing("at-risk").pilots] == ["Charlie", "Bravo"]
    limited = pilots.listing("all", limit=1)
    assert (len(limited.pilots), limited.total) == (1, 3)
    with pytest.raises(InvalidInput):
        pilots.listing("everything")
    assert a.id in {p.id for p in pilots.changeable_by(OWNER)}
    assert [p.name for p in pilots.changeable_by(STRANGER)] == ["Bravo"]


def test_the_report_shows_shares_kpis_and_days_since_the_last_update(
    pilots: PilotService, clock: ManualClock
) -> None:
    pilot = pilots.create(form(), "view:V1", OWNER)
    pilots.update(pilot.id, UpdateForm("green", "ok", spent="250", hours="10",
                                       kpi_values={"Applications": "10"}), "k1", OWNER)  # fmt: skip
    clock.advance(5 * 86400)
    report = pilots.report(pilot.id)
    assert report.days_since_update == 5
    assert report.pilot.budget_share == 0.25 and report.pilot.hours_share == 0.25
    assert [(k.name, k.share) for k in report.kpis] == [("Applications", 0.25), ("Views", None)]
    text = "\n".join(report_lines(report, "en", BRUSSELS))
    assert "Budget: ▓▓▓░░░░░░░ 25 % (€250 of €1,000)" in text
    assert "Last update: 5 days ago" in text and "Applications: 10 of 40" in text
    assert "UOWNER1: 🟢 ok" in text
    assert "🟢 TikTok recruitment" in listing_text(pilots.listing("all"), "en", clock.now)


def test_the_managers_attention_lists(pilots: PilotService, clock: ManualClock) -> None:
    quiet = pilots.create(form(name="Quiet"), "v1", OWNER)
    risky = pilots.create(form(name="Risky"), "v2", OWNER)
    over = pilots.create(form(name="Over"), "v3", OWNER)
    clock.advance(15 * 86400)
    pilots.update(risky.id, UpdateForm("amber", "hm"), "k1", OWNER)
    pilots.update(over.id, UpdateForm("red", "spent", spent="1000"), "k2", OWNER)
    seen = pilots.attention()
    assert [p.id for p in seen.at_risk] == [risky.id]
    assert [p.id for p in seen.blocked] == [over.id]
    assert [p.id for p in seen.over_budget] == [over.id]
    assert [p.id for p in seen.no_update] == [quiet.id]
    assert seen.counts == {"at_risk": 1, "blocked": 1, "over_budget": 1, "no_update": 1}


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("TikTok recruitment amber waiting for legal",
         [("TikTok recruitment", "amber", "waiting for legal")]),
        ("Red carpet rood geen budget", [("Red carpet", "red", "geen budget")]),
        ("Pilot groen: alles goed", [("Pilot", "green", "alles goed")]),
    ],
)  # fmt: skip
def test_quick_form_readings(text: str, readings: list[tuple[str, str, str]]) -> None:
    assert parse_quick_update(text, "en") == readings


@pytest.mark.parametrize("text", ["", "TikTok", "TikTok green", "green light"])
def test_a_malformed_quick_form_explains_the_right_form(text: str) -> None:
    with pytest.raises(InvalidInput, match="green\\|amber\\|red"):
        parse_quick_update(text, "en")


def test_the_quick_form_takes_the_reading_whose_name_is_a_pilot(pilots: PilotService) -> None:
    pilot = pilots.create(form(name="Red carpet"), "v1", OWNER)
    done = pilots.quick_update("red carpt green went well", "command:T1", OWNER)
    assert (done.pilot.id, done.update.status, done.update.text) == (pilot.id, "green", "went well")
    with pytest.raises(NotFound):
        pilots.quick_update("Unknown thing amber hmm", "command:T2", OWNER)


def test_bar() -> None:
    assert bar(0.4) == "▓▓▓▓░░░░░░ 40 %"
    assert bar(1.7) == "▓▓▓▓▓▓▓▓▓▓ 170 %"
    assert bar(None) == "–"


def test_export_csv_opens_in_a_dutch_excel_and_json_holds_the_updates(
    pilots: PilotService,
) -> None:
    pilot = pilots.create(form(name="Zoë's pilot; with semicolon"), "v1", OWNER)
    pilots.update(pilot.id, UpdateForm("amber", "=cmd()", spent="12,50", hours="1,5"), "k", OWNER)
    pilots_csv, updates_csv = export_csv(*pilots.everything(), BRUSSELS)
    assert pilots_csv.startswith("\ufeffid;name;owner;")
    rows = list(csv.DictReader(io.StringIO(pilots_csv.lstrip("\ufeff")), delimiter=";"))
    assert rows[0]["name"] == "Zoë's pilot; with semicolon"
    assert (rows[0]["budget_eur"], rows[0]["spent_eur"], rows[0]["hours_spent"]) == (
        "1000", "12,5", "1,5",
    )  # fmt: skip
    updates = list(csv.DictReader(io.StringIO(updates_csv.lstrip("\ufeff")), delimiter=";"))
    assert updates[0]["text"] == "'=cmd()" and updates[0]["created_at"] == "2026-11-20 10:00"
    document = json.loads(export_json(*pilots.everything(), BRUSSELS))
    assert document["pilots"][0]["updates"][0]["spent_cents"] == 1250
    assert document["pilots"][0]["members"] == MEMBER
