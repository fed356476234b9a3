"""Pilots as plain text and as files: what the CLI prints, plain-text messages, and the
export for managers' spreadsheets (CSV that Excel opens in a Dutch or Belgian locale, or
JSON)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.money import format_money, format_number
from bot.pilots import Listing, Pilot, Report, Threshold, Update, bar

STATUS_MARKS = {"green": "🟢", "amber": "🟠", "red": "🔴"}
PLATFORM_NAMES = {
    "linkedin": "LinkedIn",
    "instagram": "Instagram",
    "tiktok": "TikTok",
    "facebook": "Facebook",
    "x": "X",
    "youtube": "YouTube",
    "whatsapp": "WhatsApp",
}


def status_text(status: str, lang: str) -> str:
    """The status in words: "🟢 On track", "🟠 At risk" or "🔴 Blocked"."""
    return t(f"status_{status}", lang) if status in STATUS_MARKS else status


def outcome_text(outcome: str, lang: str) -> str:
    """The outcome in ``lang``: "scale", "stop" or "extend"."""
    return t(f"outcome_{outcome}", lang) if outcome else "–"


def budget_line(pilot: Pilot, lang: str) -> str:
    """The budget used: "Budget: ▓▓▓░░░░░░░ 30 % (€ 300 of € 1.000)"."""
    return t(
        "pilot_budget_line",
        lang,
        bar=bar(pilot.budget_share),
        spent=format_money(pilot.spent_cents, lang),
        budget=format_money(pilot.budget_cents, lang),
    )


def hours_line(pilot: Pilot, lang: str) -> str:
    """The hours used: "Hours: ▓▓░░░░░░░░ 20 % (8 of 40 h)"."""
    return t(
        "pilot_hours_line",
        lang,
        bar=bar(pilot.hours_share),
        spent=format_number(pilot.hours_spent, lang),
        estimated=format_number(pilot.hours_estimated, lang),
    )


def list_line(pilot: Pilot, lang: str, now: dt.datetime, owner: str) -> str:
    """One pilot in a list: status, name, owner, budget and hours bars, days since news."""
    return t(
        "pilot_line",
        lang,
        status=STATUS_MARKS.get(pilot.status, "⚪"),
        name=pilot.name,
        owner=owner,
        budget=bar(pilot.budget_share, 5),
        hours=bar(pilot.hours_share, 5),
        days=max(0, (now - pilot.last_activity).days),
    )


def report_lines(report: Report, lang: str, zone: ZoneInfo, mention: bool = False) -> list[str]:
    """``/pilot show`` as lines of text (``mention``: users as Slack mentions)."""
    pilot = report.pilot

    def who(user: str) -> str:
        return f"<@{user}>" if mention else user

    head = f"{STATUS_MARKS.get(pilot.status, '⚪')} {pilot.name}"
    if pilot.flagship:
        head += f" · {t('pilot_flagship_mark', lang)}"
    lines = [
        head,
        t(
            "pilot_facts",
            lang,
            owner=who(pilot.owner),
            team=pilot.team or "–",
            platforms=", ".join(platform_name(p, lang) for p in pilot.platforms),
            start=pilot.start_date,
            end=pilot.end_date,
        ),
        f"{t('field_goal', lang)}: {pilot.goal}",
        budget_line(pilot, lang),
        hours_line(pilot, lang),
    ]
    for kpi in report.kpis:
        value = "–" if kpi.value is None else format_number(kpi.value, lang)
        lines.append(
            t(
                "pilot_kpi_line",
                lang,
                name=kpi.name,
                value=value,
                target=format_number(kpi.target, lang),
                bar=bar(kpi.share),
            )  # fmt: skip
        )
    if pilot.closed and pilot.closed_at:
        date = pilot.closed_at.astimezone(zone).date().isoformat()
        lines.append(
            t("pilot_closed_mark", lang, date=date, outcome=outcome_text(pilot.outcome, lang))
        )
    lines.append(t("pilot_days_since", lang, days=report.days_since_update))
    lines.append("")
    lines.append(t("pilot_history", lang, count=report.update_count))
    if not report.updates:
        lines.append(t("pilot_no_updates", lang))
    for update in report.updates:
        lines.append(history_line(update, lang, zone, who(update.by_user)))
    if report.update_count > len(report.updates):
        lines.append(t("pilot_history_more", lang, more=report.update_count - len(report.updates)))
    return lines


def history_line(update: Update, lang: str, zone: ZoneInfo, by: str) -> str:
    """One update in the history: when, who, status, what, and what it spent."""
    when = update.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if update.kind == "close":
        what = f"🏁 {outcome_text(update.outcome, lang)}: {update.text}".rstrip(": ")
    else:
        what = f"{STATUS_MARKS.get(update.status, '')} {update.text}"
    spent = ""
    if update.hours or update.spent_cents:
        spent = " (" + t("pilot_spent_line", lang, hours=format_number(update.hours, lang),
                         money=format_money(update.spent_cents, lang)) + ")"  # fmt: skip
    return f"• {when} {by}: {what}{spent}"


def platform_name(platform: str, lang: str) -> str:
    """How a platform is written."""
    return PLATFORM_NAMES.get(platform) or t("platform_other", lang)


def listing_text(listing: Listing, lang: str, now: dt.datetime) -> str:
    """``socialbot pilots list``: a title line, then one line per pilot."""
    which = t(f"filter_{listing.filter}", lang)
    lines = [t("pilot_list_title", lang, which=which, total=listing.total)]
    lines += [list_line(p, lang, now, p.owner) for p in listing.pilots]
    if not listing.pilots:
        lines.append(t("pilot_list_empty", lang))
    return "\n".join(lines)


class TextRender:
    """:class:`bot.pilots.PilotRender` as plain text: the messages without Block Kit."""

    def update(self, pilot: Pilot, update: Update, lang: str) -> dict[str, Any]:
        return {"text": update_summary(pilot, update, lang)}

    def warning(self, pilot: Pilot, warning: Threshold, lang: str) -> dict[str, Any]:
        return {"text": warning_text(pilot, warning, lang)}

    def reminder(self, pilot: Pilot, days: int, lang: str) -> dict[str, Any]:
        text = t("pilot_reminder", lang, name=pilot.name, days=days)
        return {"text": f"{text}\n{t('pilot_reminder_quick', lang, name=pilot.name)}"}

    def blocked(self, pilot: Pilot, days: int, lang: str) -> dict[str, Any]:
        return {"text": blocked_text(pilot, days, lang)}


def update_summary(pilot: Pilot, update: Update, lang: str) -> str:
    """The first line of an update's post: status, name and who."""
    if update.kind == "close":
        return t("pilot_close_post", lang, name=pilot.name, user=update.by_user,
                 outcome=outcome_text(update.outcome, lang))  # fmt: skip
    status = status_text(update.status, lang)
    return t("pilot_update_post", lang, status=status, name=pilot.name, user=update.by_user)


def warning_text(pilot: Pilot, warning: Threshold, lang: str) -> str:
    """The budget or hours warning."""
    if warning.measure == "money":
        return t("pilot_warning_money", lang, name=pilot.name, threshold=warning.threshold,
                 spent=format_money(pilot.spent_cents, lang),
                 budget=format_money(pilot.budget_cents, lang))  # fmt: skip
    return t("pilot_warning_hours", lang, name=pilot.name, threshold=warning.threshold,
             spent=format_number(pilot.hours_spent, lang),
             estimated=format_number(pilot.hours_estimated, lang))  # fmt: skip


def blocked_text(pilot: Pilot, days: int, lang: str) -> str:
    """The report of a pilot blocked for days, with its blocker."""
    text = t("pilot_blocked_report", lang, name=pilot.name, owner=pilot.owner, days=days)
    if pilot.blocker:
        text += "\n" + t("pilot_blocker_line", lang, blocker=pilot.blocker)
    return text


# --- export ---------------------------------------------------------------------------

PILOT_FIELDS = (
    "id", "name", "owner", "members", "team", "platforms", "goal", "kpis", "flagship",
    "channel", "start_date", "end_date", "status", "state", "budget_eur", "spent_eur",
    "budget_used_pct", "hours_estimated", "hours_spent", "hours_used_pct", "kpi_values",
    "created_by", "created_at", "last_update_at", "outcome", "lessons", "closed_at",
)  # fmt: skip
UPDATE_FIELDS = (
    "id", "pilot_id", "pilot", "kind", "status", "text", "hours", "spent_eur", "kpi_values",
    "blocker", "blocker_user", "outcome", "by_user", "created_at",
)  # fmt: skip


def export_json(pilots: Sequence[Pilot], updates: Sequence[Update], zone: ZoneInfo) -> str:
    """One JSON document: ``{"pilots": [... each with its "updates"]}``; money in euro
    (a number with two decimals) and in cents."""
    by_pilot: dict[int, list[dict[str, Any]]] = {}
    names = {p.id: p.name for p in pilots}
    for update in updates:
        row = _update_row(update, names, zone)
        row["spent_cents"] = update.spent_cents
        by_pilot.setdefault(update.pilot_id, []).append(row)
    documents = []
    for pilot in pilots:
        row = _pilot_row(pilot, zone)
        row.update(budget_cents=pilot.budget_cents, spent_cents=pilot.spent_cents,
                   updates=by_pilot.get(pilot.id, []))  # fmt: skip
        documents.append(row)
    return json.dumps({"pilots": documents}, ensure_ascii=False, indent=2)


def export_csv(
    pilots: Sequence[Pilot], updates: Sequence[Update], zone: ZoneInfo
) -> tuple[str, str]:
    """The pilots and the updates as two CSV texts for Excel in a Dutch or Belgian locale:
    a byte-order mark (so Excel reads UTF-8), semicolons between fields, decimal commas."""
    names = {p.id: p.name for p in pilots}
    return (
        _csv(PILOT_FIELDS, [_pilot_row(p, zone) for p in pilots]),
        _csv(UPDATE_FIELDS, [_update_row(u, names, zone) for u in updates]),
    )


def _csv(fields: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow([_cell(row[name]) for name in fields])
    return out.getvalue()


def _cell(value: Any) -> str:
    """A value as Excel in a Dutch locale reads it: decimal comma, no thousands marks."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    text = "" if value is None else str(value)
    # Excel runs a cell that starts with these as a formula: typed text must stay text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _euro(cents: int) -> float:
    return round(cents / 100, 2)


def _local(moment: dt.datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def _pilot_row(pilot: Pilot, zone: ZoneInfo) -> dict[str, Any]:
    budget, hours = pilot.budget_share, pilot.hours_share
    return {
        "id": pilot.id,
        "name": pilot.name,
        "owner": pilot.owner,
        "members": " ".join(pilot.members),
        "team": pilot.team,
        "platforms": " ".join(pilot.platforms),
        "goal": pilot.goal,
        "kpis": {k.name: k.target for k in pilot.kpis},
        "flagship": pilot.flagship,
        "channel": pilot.channel_id,
        "start_date": pilot.start_date,
        "end_date": pilot.end_date,
        "status": pilot.status,
        "state": pilot.state,
        "budget_eur": float(_euro(pilot.budget_cents)),
        "spent_eur": float(_euro(pilot.spent_cents)),
        "budget_used_pct": None if budget is None else round(budget * 100, 1),
        "hours_estimated": float(pilot.hours_estimated),
        "hours_spent": float(pilot.hours_spent),
        "hours_used_pct": None if hours is None else round(hours * 100, 1),
        "kpi_values": pilot.kpi_values,
        "created_by": pilot.created_by,
        "created_at": _local(pilot.created_at, zone),
        "last_update_at": _local(pilot.last_update_at, zone),
        "outcome": pilot.outcome,
        "lessons": pilot.lessons,
        "closed_at": _local(pilot.closed_at, zone),
    }


def _update_row(update: Update, names: dict[int, str], zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": update.id,
        "pilot_id": update.pilot_id,
        "pilot": names.get(update.pilot_id, ""),
        "kind": update.kind,
        "status": update.status,
        "text": update.text,
        "hours": float(update.hours),
        "spent_eur": float(_euro(update.spent_cents)),
        "kpi_values": update.kpi_values,
        "blocker": update.blocker,
        "blocker_user": update.blocker_user,
        "outcome": update.outcome,
        "by_user": update.by_user,
        "created_at": _local(update.created_at, zone),
    }
