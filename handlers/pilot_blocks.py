"""Pure Block Kit builders for pilots: the modals, list and show, the messages the outbox
sends (:class:`SlackPilotRender`), and the App Home's pilots section."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.money import format_number
from bot.pilot_report import (
    PLATFORM_NAMES,
    blocked_text,
    budget_line,
    hours_line,
    list_line,
    report_lines,
    update_summary,
    warning_text,
)
from bot.pilots import (
    BLOCKER_CHARS,
    GOAL_CHARS,
    KPI_CHARS,
    LESSONS_CHARS,
    MAX_KPIS,
    NAME_CHARS,
    OUTCOMES,
    PLATFORMS,
    STATUSES,
    TEAM_CHARS,
    TEXT_CHARS,
    Attention,
    Kpi,
    Listing,
    Pilot,
    Report,
    Threshold,
    Update,
)
from handlers.blocks import Blocks, escape, message, pieces

# callback ids of the modals and action ids of the buttons and menus.
NEW_MODAL = "pilot_new"
UPDATE_MODAL = "pilot_update"
CLOSE_MODAL = "pilot_close"
UPDATE_NOW = "pilot_update_now"
PICK = "pilot_pick"
# Every input's action id (the block id names the field, as bot.pilots' errors do).
VALUE = "value"
# How many pilots a Slack list shows (the CLI and the export show them all).
LIST_LIMIT = 20


class SlackPilotRender:
    """:class:`bot.pilots.PilotRender` in Block Kit."""

    def update(self, pilot: Pilot, update: Update, lang: str) -> dict[str, Any]:
        pilot, update = safe(pilot), safe_update(update)
        head = update_summary(pilot, update, lang)
        lines = [f"*{head}*"]
        if update.text:
            lines.append("\n".join(f">{line}" for line in update.text.split("\n")))
        if update.kind == "update":
            lines.append(budget_line(pilot, lang))
            lines.append(hours_line(pilot, lang))
        if update.blocker:
            lines.append(t("pilot_blocker_line", lang, blocker=update.blocker))
        if update.blocker_user:
            lines.append(f"{t('field_blocker_user', lang)} <@{update.blocker_user}>")
        return message(head, _sections("\n".join(lines)))

    def warning(self, pilot: Pilot, warning: Threshold, lang: str) -> dict[str, Any]:
        text = warning_text(safe(pilot), warning, lang)
        return message(text, _sections(text))

    def reminder(self, pilot: Pilot, days: int, lang: str) -> dict[str, Any]:
        pilot = safe(pilot)
        text = t("pilot_reminder", lang, name=f"*{pilot.name}*", days=days)
        blocks = _sections(text) + [
            _actions(
                f"remind-{pilot.id}",
                [_button(t("pilot_update_now", lang), UPDATE_NOW, str(pilot.id), "primary")],
            ),  # fmt: skip
            _context(t("pilot_reminder_quick", lang, name=pilot.name)),
        ]
        return message(text, blocks)

    def blocked(self, pilot: Pilot, days: int, lang: str) -> dict[str, Any]:
        text = blocked_text(safe(pilot), days, lang)
        return message(text, _sections(text))


def safe(pilot: Pilot) -> Pilot:
    """``pilot`` with every typed text escaped for mrkdwn (no <!channel> from a name)."""
    return dataclasses.replace(
        pilot,
        name=escape(pilot.name),
        team=escape(pilot.team),
        goal=escape(pilot.goal),
        blocker=escape(pilot.blocker),
        kpis=tuple(Kpi(escape(k.name), k.target) for k in pilot.kpis),
        kpi_values={escape(k): v for k, v in pilot.kpi_values.items()},
    )


def safe_update(update: Update) -> Update:
    """``update`` with its typed texts escaped for mrkdwn."""
    return dataclasses.replace(update, text=escape(update.text), blocker=escape(update.blocker))


def listing_blocks(listing: Listing, lang: str, now: dt.datetime) -> Blocks:
    """``/pilot list``: a title, a line per pilot (status, budget and hours bars), the rest
    counted."""
    which = t(f"filter_{listing.filter}", lang)
    lines = [f"*{t('pilot_list_title', lang, which=which, total=listing.total)}*"]
    lines += [list_line(safe(p), lang, now, f"<@{p.owner}>") for p in listing.pilots]
    if not listing.pilots:
        lines.append(t("pilot_list_empty", lang))
    blocks = _sections("\n".join(lines))
    if listing.total > len(listing.pilots):
        blocks.append(
            _context(t("pilot_list_more", lang, more=listing.total - len(listing.pilots)))
        )
    return blocks


def report_blocks(report: Report, lang: str, zone: ZoneInfo) -> Blocks:
    """``/pilot show``: the pilot, bars for budget and hours, KPIs, its history."""
    safe_report = dataclasses.replace(
        report, pilot=safe(report.pilot), updates=[safe_update(u) for u in report.updates]
    )
    title, *rest = report_lines(safe_report, lang, zone, mention=True)
    return _sections(f"*{title}*\n" + "\n".join(rest))


def attention_blocks(attention: Attention, lang: str, days: int) -> Blocks:
    """The conversation manager's App Home section: pilots at risk, blocked, over budget or
    hours, and without an update for ``days`` days."""
    groups = [
        ("home_pilots_at_risk", attention.at_risk, attention.counts["at_risk"]),
        ("home_pilots_blocked", attention.blocked, attention.counts["blocked"]),
        ("home_pilots_over_budget", attention.over_budget, attention.counts["over_budget"]),
        ("home_pilots_no_update", attention.no_update, attention.counts["no_update"]),
    ]
    blocks: Blocks = [
        {"type": "divider"},
        _section(f"*{t('home_pilots_title', lang)}*"),
    ]
    shown = [(key, pilots, count) for key, pilots, count in groups if count]
    if not shown:
        blocks.append(_context(t("home_pilots_none", lang)))
    for key, pilots, count in shown:
        names = ", ".join(f"{escape(p.name)} (<@{p.owner}>)" for p in pilots)
        more = f" … +{count - len(pilots)}" if count > len(pilots) else ""
        blocks.append(_section(f"*{t(key, lang, count=count, days=days)}*\n{names}{more}"))
    return blocks


# --- modals ----------------------------------------------------------------------------


def new_modal(lang: str, caller: str, manager: bool, team: str = "") -> dict[str, Any]:
    """The ``/pilot new`` modal: the owner defaults to ``caller``, the team to ``team``;
    the flagship box only for the conversation manager."""
    blocks: Blocks = [
        _input("name", t("field_name", lang), _text(NAME_CHARS)),
        _input("similar", t("field_similar", lang),
               _checkboxes([("yes", t("similar_option", lang))]), optional=True),
        _input("owner", t("field_owner", lang), {"type": "users_select", "initial_user": caller}),
        _input("members", t("field_members", lang), {"type": "multi_users_select"}, optional=True),
        _input("team", t("field_team", lang), _text(TEAM_CHARS, initial=team), optional=True),
        _input("platforms", t("field_platforms", lang), {
            "type": "multi_static_select",
            "options": [_option(PLATFORM_NAMES.get(p) or t("platform_other", lang), p)
                        for p in PLATFORMS]}),
        _input("goal", t("field_goal", lang), _text(GOAL_CHARS, multiline=True)),
    ]  # fmt: skip
    for n in range(1, MAX_KPIS + 1):
        blocks.append(_input(f"kpi{n}", t("field_kpi", lang, n=n), _text(KPI_CHARS), True))
        blocks.append(
            _input(f"kpi{n}_target", t("field_kpi_target", lang, n=n), _text(40), optional=True)
        )
    blocks += [
        _input("budget", t("field_budget", lang), _text(40)),
        _input("hours", t("field_hours", lang), _text(40)),
        _input("start", t("field_start", lang), {"type": "datepicker"}),
        _input("end", t("field_end", lang), {"type": "datepicker"}),
        _input("channel", t("field_channel", lang), {
            "type": "conversations_select", "filter": {"include": ["public", "private"],
                                                       "exclude_bot_users": True}},
               optional=True),
    ]  # fmt: skip
    if manager:
        blocks.append(
            _input(
                "flagship",
                t("field_flagship", lang),
                _checkboxes([("yes", t("flagship_option", lang))]),
                optional=True,
            )  # fmt: skip
        )
    return _modal(NEW_MODAL, t("pilot_new_title", lang), blocks, lang)


def update_modal(lang: str, pilot: Pilot | None, choices: Sequence[Pilot] = ()) -> dict[str, Any]:
    """The ``/pilot update`` modal for ``pilot``; without one, a picker of ``choices``
    first (choosing rebuilds the modal for that pilot, with its KPIs)."""
    blocks: Blocks = []
    if pilot is None:
        picker = {"type": "static_select", "action_id": PICK,
                  "options": [_option(p.name[:75], str(p.id)) for p in choices[:100]]}  # fmt: skip
        blocks.append(
            {
                "type": "input",
                "block_id": "pilot",
                "dispatch_action": True,
                "label": _plain(t("field_pilot", lang)),
                "element": picker,
            }  # fmt: skip
        )
    else:
        blocks.append(_section(f"*{escape(pilot.name)}*"))
    statuses = [_option(t(f"status_{s}", lang), s) for s in STATUSES]
    blocks += [
        _input("status", t("field_status", lang), {"type": "radio_buttons", "options": statuses}),
        _input("text", t("field_text", lang), _text(TEXT_CHARS, multiline=True)),
        _input("hours", t("field_hours_spent", lang), _text(40), optional=True),
        _input("spent", t("field_spent", lang), _text(40), optional=True),
    ]
    blocks += _kpi_inputs(pilot, lang)
    blocks += [
        _input("blocker", t("field_blocker", lang), _text(BLOCKER_CHARS, True), optional=True),
        _input("blocker_user", t("field_blocker_user", lang), {"type": "users_select"}, True),
    ]
    metadata = str(pilot.id) if pilot else ""
    return _modal(UPDATE_MODAL, t("pilot_update_title", lang), blocks, lang, metadata)


def close_modal(lang: str, pilot: Pilot) -> dict[str, Any]:
    """The ``/pilot close`` modal: outcome, final KPI values, lessons learned."""
    outcomes = [_option(t(f"outcome_{o}", lang).capitalize(), o) for o in OUTCOMES]
    blocks: Blocks = [
        _section(f"*{escape(pilot.name)}*"),
        _input("outcome", t("field_outcome", lang), {"type": "radio_buttons", "options": outcomes}),
        *_kpi_inputs(pilot, lang),
        _input("lessons", t("field_lessons", lang), _text(LESSONS_CHARS, True), optional=True),
    ]
    return _modal(CLOSE_MODAL, t("pilot_close_title", lang), blocks, lang, str(pilot.id))


def done_modal(title: str, text: str) -> dict[str, Any]:
    """What a submitted modal turns into: a short confirmation."""
    return {
        "type": "modal",
        "title": _plain(title[:24]),
        "close": _plain("OK"),
        "blocks": _sections(escape(text)),
    }


def kpi_field(pilot: Pilot, kpi: Kpi) -> str:
    """The block id of ``kpi``'s input (kpi1, kpi2, kpi3, as the domain names errors)."""
    return f"kpi{pilot.kpis.index(kpi) + 1}"


def _kpi_inputs(pilot: Pilot | None, lang: str) -> Blocks:
    if pilot is None:
        return []
    return [
        _input(
            kpi_field(pilot, kpi),
            t("field_kpi_value", lang, name=kpi.name, target=format_number(kpi.target, lang)),
            _text(40),
            optional=True,
        )  # fmt: skip
        for kpi in pilot.kpis
    ]


def _modal(
    callback: str, title: str, blocks: Blocks, lang: str, metadata: str = ""
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback,
        "title": _plain(title[:24]),
        "submit": _plain(t("pilot_save", lang)),
        "close": _plain(t("modal_cancel", lang)),
        "private_metadata": metadata,
        "blocks": blocks,
    }


def _input(block_id: str, label: str, element: dict[str, Any], optional: bool = False) -> Any:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": _plain(label[:2000]),
        "element": {"action_id": VALUE, **element},
    }


def _text(max_length: int, multiline: bool = False, initial: str = "") -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "max_length": max_length,
        "multiline": multiline,
    }
    if initial:
        element["initial_value"] = initial
    return element


def _checkboxes(options: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "checkboxes", "options": [_option(text, value) for value, text in options]}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text), "value": value}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _sections(text: str) -> Blocks:
    return [_section(piece) for piece in pieces(text, 2900)]


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _actions(block_id: str, elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "actions", "block_id": block_id, "elements": elements}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button = {"type": "button", "text": _plain(text), "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button
