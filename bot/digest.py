"""The weekly digest: what the company learned and what happened, once a week.

:func:`build_digest` reads one ISO week (Monday to Sunday in ``SOCIALBOT_TIMEZONE``) from
the database: the lessons approved, the pilots (only when the ``pilots`` table exists), the
escalations raised, the questions asked and taught, the knowledge base's new and stale
entries, and the last 8 weeks for a small chart (:func:`chart_png`). It reads and never
writes; the clock is the caller's. :class:`DigestService` posts it: the message, its chart
(an outbox row of the ``upload`` route) and the subscribers' DMs are enqueued in one
transaction under keys that name the channel (or person) and the week, so the digest of a
week is posted once per channel however often it is asked for (two processes, a restart,
``socialbot digest --post`` from cron) unless ``force`` is given.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot.db import Store
from bot.errors import InvalidInput
from bot.i18n import MESSAGES, t
from bot.lessons import iso_week
from bot.outbox import Message, enqueue
from bot.scheduler import slots_after
from bot.teaching import Teaching

Clock = Callable[[], dt.datetime]

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
CHART_WEEKS = 8
# A pilot without an update for this long is listed as silent.
SILENT_DAYS = 14
# Share of a pilot's budget or hours at which it is listed as an alert (as the pilots do).
ALERT_SHARE = 0.8
# Items listed per line at most (the rest is counted).
LIST_ITEMS = 5
# Lessons listed at most (the digest stays concise; the rest is counted).
LESSON_LINES = 10
# A digest sent this long after its slot says that it is late.
LATE_AFTER = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class LessonLine:
    title: str
    summary: str
    who: str
    entry_id: str


@dataclass(frozen=True)
class PilotSection:
    by_status: dict[str, int]
    flagships: tuple[tuple[str, str], ...]  # (name, status)
    alerts: tuple[str, ...]
    silent: tuple[str, ...]

    @property
    def active(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class EscalationSection:
    by_severity: dict[str, int]
    median_ack_minutes: float | None
    still_open: tuple[tuple[str, str], ...]  # (key, severity), raised any time

    @property
    def total(self) -> int:
        return sum(self.by_severity.values())


@dataclass(frozen=True)
class QuestionSection:
    asked: int
    answered: int
    helpful: int
    rated: int
    topics: tuple[tuple[str, int], ...]
    taught_questions: int
    taught_phrasings: int
    to_teach: tuple[tuple[str, int], ...]  # (newest question, count)


@dataclass(frozen=True)
class KbSection:
    new: tuple[tuple[str, str], ...]  # (id, title): updated this week
    stale: int


@dataclass(frozen=True)
class WeekPoint:
    week: str
    asked: int
    answered: int
    burn_cents: int | None  # None: no pilots table


@dataclass(frozen=True)
class Digest:
    """One week's digest; a section is None (or empty) when it has nothing to say."""

    week: str
    start: dt.date
    end: dt.date  # the Sunday
    lang: str
    stale_days: int
    lessons: tuple[LessonLine, ...] = ()
    pilots: PilotSection | None = None
    escalations: EscalationSection | None = None
    questions: QuestionSection | None = None
    kb: KbSection | None = None
    chart: tuple[WeekPoint, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.lessons or self.pilots or self.escalations or self.questions or self.kb)


@dataclass(frozen=True)
class Style:
    """How text is marked up: Slack's mrkdwn or Markdown."""

    bold: Callable[[str], str]
    person: Callable[[str], str]
    code: Callable[[str], str] = lambda text: f"`{text}`"


MRKDWN = Style(bold=lambda s: f"*{s}*", person=lambda u: f"<@{u}>" if _is_user(u) else u)
MARKDOWN = Style(bold=lambda s: f"**{s}**", person=lambda u: f"@{u}" if u else "")


def parse_week(text: str) -> str:
    """``text`` as an ISO week ("2026-W48"); raise InvalidInput for anything else."""
    match = WEEK.match(text.strip())
    if match:
        try:
            dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
            return text.strip()
        except ValueError:
            pass
    raise InvalidInput(f"{text!r} is no ISO week; give e.g. 2026-W48")


def week_for(day: dt.date) -> str:
    """The week a digest sent on ``day`` covers: the ISO week of the day before (a Monday's
    digest covers the week that just ended)."""
    return iso_week(day - dt.timedelta(days=1))


def week_bounds(week: str, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """Monday 00:00 of ``week`` and of the week after, in ``zone``, as aware datetimes."""
    year, number = int(week[:4]), int(week[6:])
    monday = dt.date.fromisocalendar(year, number, 1)
    start = dt.datetime.combine(monday, dt.time(), zone)
    end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(), zone)
    return start, end


def build_digest(
    db: Database,
    week: str,
    lang: str,
    zone: ZoneInfo,
    stale_days: int,
    to_teach: Sequence[tuple[str, int]] = (),
) -> Digest:
    """The digest of ``week`` from ``db``; pure: it only reads. ``to_teach`` are the
    biggest clusters still to teach (Teaching.to_teach), given by the caller."""
    start, end = week_bounds(week, zone)
    since, until = _utc(start), _utc(end)
    return Digest(
        week=week,
        start=start.date(),
        end=(end - dt.timedelta(days=1)).date(),
        lang=lang,
        stale_days=stale_days,
        lessons=_lessons(db, since, until),
        pilots=_pilots(db, until, end) if _any_pilots(db) else None,
        escalations=_escalations(db, since, until),
        questions=_questions(db, since, until, to_teach),
        kb=_kb(db, start.date(), end.date(), stale_days),
        chart=_chart(db, week, zone),
    )


def sections(digest: Digest, style: Style) -> list[tuple[str, list[str]]]:
    """The digest's sections as (heading, lines), each left out when empty."""
    lang, bold, none = digest.lang, style.bold, t("digest_none", digest.lang)
    out: list[tuple[str, list[str]]] = []
    if digest.lessons:
        lines = [
            t(
                "digest_lesson",
                lang,
                title=lesson.title,
                summary=lesson.summary,
                who=style.person(lesson.who),
                ask=f"{t('digest_ask', lang)}: " + style.code(f"/ask {lesson.title}"),
            ).replace(f"*{lesson.title}*", bold(lesson.title))
            for lesson in digest.lessons[:LESSON_LINES]
        ]
        if len(digest.lessons) > LESSON_LINES:
            lines.append(t("digest_more", lang, count=len(digest.lessons) - LESSON_LINES))
        out.append((t("digest_lessons", lang), lines))
    pilots = digest.pilots
    if pilots is not None and (pilots.active or pilots.alerts or pilots.silent):
        counts = {s: pilots.by_status.get(s, 0) for s in ("green", "amber", "red")}
        lines = [t("digest_pilot_counts", lang, active=pilots.active, **counts)]
        if pilots.flagships:
            flags = _listed(
                [f"{name} ({_word(status, lang)})" for name, status in pilots.flagships]
            )
            lines.append(t("digest_flagships", lang, list=flags))
        if pilots.alerts:
            lines.append(t("digest_over_budget", lang, list=_listed(pilots.alerts)))
        if pilots.silent:
            lines.append(t("digest_no_updates", lang, list=_listed(pilots.silent)))
        out.append((t("digest_pilots", lang), lines))
    esc = digest.escalations
    if esc is not None:
        lines = []
        if esc.total:
            by = ", ".join(f"{n} {_word(s, lang)}" for s, n in esc.by_severity.items())
            median = none if esc.median_ack_minutes is None else _minutes(esc.median_ack_minutes)
            lines.append(
                t("digest_escalation_counts", lang, total=esc.total, by_severity=by, median=median)
            )
        if esc.still_open:
            opened = _listed([f"{key} ({_word(sev, lang)})" for key, sev in esc.still_open])
            lines.append(t("digest_still_open", lang, list=opened))
        out.append((t("digest_escalations", lang), lines))
    q = digest.questions
    if q is not None:
        lines = [
            t(
                "digest_question_counts",
                lang,
                asked=q.asked,
                answered=_share(q.answered, q.asked),
                helpful=_share(q.helpful, q.rated),
            )
        ]
        if q.topics:
            topics = _listed([f"{tag} ({n})" for tag, n in q.topics])
            lines.append(t("digest_topics", lang, list=topics))
        if q.taught_questions or q.taught_phrasings:
            lines.append(
                t("digest_taught", lang, questions=q.taught_questions, phrasings=q.taught_phrasings)
            )
        if q.to_teach:
            teach = _listed([f"“{_short(text, 60)}” ({n}×)" for text, n in q.to_teach])
            lines.append(t("digest_to_teach", lang, list=teach))
        out.append((t("digest_questions", lang), lines))
    kb = digest.kb
    if kb is not None:
        lines = [
            t("digest_kb_counts", lang, new=len(kb.new), stale=kb.stale, days=digest.stale_days)
        ]
        if kb.new:
            lines.append(_listed([f"{title} ({style.code(i)})" for i, title in kb.new]))
        out.append((t("digest_kb", lang), lines))
    return out


def title(digest: Digest) -> str:
    """The digest's title, e.g. "Weekly digest 2026-W48"."""
    return t("digest_title", digest.lang, week=digest.week)


def period(digest: Digest) -> str:
    """The days it covers."""
    return t(
        "digest_period", digest.lang, start=digest.start.isoformat(), end=digest.end.isoformat()
    )


def to_markdown(digest: Digest, late: str | None = None) -> str:
    """The digest as Markdown, e.g. for the terminal (``socialbot digest --preview``)."""
    parts = [f"# {title(digest)}", "", f"_{period(digest)}_", ""]
    if late:
        parts += [t("digest_late", digest.lang, slot=late), ""]
    found = sections(digest, MARKDOWN)
    if not found:
        parts += [t("digest_empty", digest.lang), ""]
    for heading, lines in found:
        parts += [f"## {heading}", "", *(f"- {line}" for line in lines), ""]
    return "\n".join(parts)


def chart_png(digest: Digest) -> bytes:
    """The last 8 weeks as a small PNG: questions asked vs answered (bars) and, when there
    are pilots, the budget they burnt (a line on a second axis). Headless (Agg)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # slow to import: on use
    from matplotlib.figure import Figure

    lang = digest.lang
    weeks = [p.week[5:] for p in digest.chart]
    figure = Figure(figsize=(6, 2.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(weeks)))
    axes.bar(
        [x - 0.2 for x in positions],
        [p.asked for p in digest.chart],
        0.4,
        label=t("digest_chart_asked", lang),
        color="#9bb7d4",
    )
    axes.bar(
        [x + 0.2 for x in positions],
        [p.answered for p in digest.chart],
        0.4,
        label=t("digest_chart_answered", lang),
        color="#2e6da4",
    )
    axes.set_xticks(positions, weeks, fontsize=8)
    axes.set_ylim(0, max([1, *(p.asked for p in digest.chart)]) * 1.2)
    axes.set_title(t("digest_chart_title", lang), fontsize=10)
    handles, labels = axes.get_legend_handles_labels()
    if any(p.burn_cents is not None for p in digest.chart):
        burn = figure.axes[0].twinx()
        burn.plot(
            positions,
            [(p.burn_cents or 0) / 100 for p in digest.chart],
            color="#d9822b",
            marker="o",
            label=t("digest_chart_burn", lang),
        )
        burn.set_ylim(bottom=0)
        more_handles, more_labels = burn.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    axes.legend(handles, labels, fontsize=7, loc="upper left")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


class DigestMessages(Protocol):
    """Renders the digest as Slack content; implemented at the edge."""

    def digest(self, digest: Digest, late: str | None) -> dict[str, Any]:
        """The digest message; ``late`` says when it was due, for a late one."""
        ...


class MarkdownDigest:
    """:class:`DigestMessages` as text, for a process without the Slack edge."""

    def digest(self, digest: Digest, late: str | None) -> dict[str, Any]:
        return {"text": to_markdown(digest, late)}


@dataclass(frozen=True)
class Posted:
    """What :meth:`DigestService.post` did: the week, the channel's outbox key, whether it
    was enqueued now (False: it was posted, or is on its way, already), DMs enqueued."""

    week: str
    key: str
    enqueued: bool
    dms: int


class DigestService:
    """Builds and posts the weekly digest."""

    def __init__(
        self,
        store: Store,
        teaching: Teaching,
        clock: Clock,
        zone: ZoneInfo,
        channel: str,
        schedule: str,
        lang: str,
        stale_days: int,
        messages: DigestMessages,
    ) -> None:
        self.store = store
        self.teaching = teaching
        self.clock = clock
        self.zone = zone
        self.channel = channel
        self.schedule = schedule
        self.lang = lang
        self.stale_days = stale_days
        self.messages = messages

    def default_week(self) -> str:
        """The week a digest sent now covers."""
        return week_for(self.clock().astimezone(self.zone).date())

    def build(self, week: str | None = None) -> Digest:
        """The digest of ``week`` (default: :meth:`default_week`)."""
        week = parse_week(week) if week else self.default_week()
        clusters = [(c.newest.question, c.count) for c in self.teaching.to_teach(limit=3)]
        return build_digest(self.store.db, week, self.lang, self.zone, self.stale_days, clusters)

    def post(self, week: str | None = None, force: bool = False, late: str | None = None) -> Posted:
        """Enqueue the digest of ``week`` for DIGEST_CHANNEL, with its chart, and for each
        subscriber by DM, in one transaction; once per week and channel (or person) unless
        ``force``. Raise InvalidInput when DIGEST_CHANNEL is not set."""
        if not self.channel:
            raise InvalidInput("DIGEST_CHANNEL is not set: there is no channel to post to")
        digest = self.build(week)
        now = self.clock()
        content = self.messages.digest(digest, late)
        suffix = f":forced:{now.timestamp():.6f}" if force else ""
        key = f"digest:{self.channel}:{digest.week}{suffix}"
        png = base64.b64encode(chart_png(digest)).decode("ascii")
        chart = {
            "text": title(digest),
            "title": title(digest),
            "filename": f"digest-{digest.week}.png",
            "png_base64": png,
        }
        dms = 0
        with self.store.transaction() as db:
            about = f"digest {digest.week}"
            enqueued = enqueue(
                db, key, self._message("digest", "post", self.channel, content, about), now
            )
            if enqueued:
                enqueue(
                    db,
                    f"digest-chart:{self.channel}:{digest.week}{suffix}",
                    self._message(
                        "digest_chart", "upload", self.channel, chart, f"chart of {about}"
                    ),
                    now,
                )
            for (user,) in db.execute("select user_id from digest_subscriptions").fetchall():
                message = self._message("digest", "post", user, content, f"{about} for {user}")
                dms += enqueue(db, f"digest:{user}:{digest.week}{suffix}", message, now)
        return Posted(digest.week, key, enqueued, dms)

    def run(self, slot: dt.datetime) -> str:
        """The ``weekly-digest`` job for ``slot``: post the digest of the week the slot
        covers, marked late when it is posted more than 30 minutes after the slot; not at
        all once the next slot has come (a missed week older than the next schedule)."""
        if not self.channel:
            return "DIGEST_CHANNEL is not set: no digest posted"
        now = self.clock()
        following = next(iter(slots_after(self.schedule, slot, self.zone)))
        if following <= now:
            return f"the digest due {slot.isoformat()} was missed; the next one is due: skipped"
        local = slot.astimezone(self.zone)
        late = local.strftime("%Y-%m-%d %H:%M") if now - slot > LATE_AFTER else None
        posted = self.post(week_for(local.date()), late=late)
        what = "enqueued" if posted.enqueued else "was posted already"
        return f"digest {posted.week} {what}{' (late)' if late else ''}; {posted.dms} DM(s)"

    def _message(
        self, kind: str, route: Any, channel: str, content: dict[str, Any], about: str
    ) -> Message:
        user = channel if _is_user(channel) else ""
        return Message(
            kind=kind,
            route=route,
            channel=channel,
            content=content,
            lang=self.lang,
            about=about,
            user_id=user,
        )


def _lessons(db: Database, since: str, until: str) -> tuple[LessonLine, ...]:
    rows = db.execute(
        "select title, body, submitted_by, entry_id from lesson_drafts where state = 'approved' "
        "and reviewed_at >= ? and reviewed_at < ? order by reviewed_at, id",
        [since, until],
    ).fetchall()
    return tuple(
        LessonLine(title, _first_line(body), who or "", entry or "")
        for title, body, who, entry in rows
    )


def _any_pilots(db: Database) -> bool:
    """Whether there are pilots to report (the section is left out otherwise)."""
    return db.execute("select 1 from pilots limit 1").fetchone() is not None


def _pilots(db: Database, until: str, end: dt.datetime) -> PilotSection:
    by_status: Counter[str] = Counter()
    flagships, alerts, silent = [], [], []
    quiet_since = _utc(end - dt.timedelta(days=SILENT_DAYS))
    for name, status, flagship, budget, spent, hours_est, hours, last in db.execute(
        "select name, status, flagship, budget_cents, spent_cents, hours_estimated, hours_spent, "
        "coalesce(last_update_at, created_at) from pilots where state = 'active' "
        "and created_at < ? order by name_key",
        [until],
    ).fetchall():
        by_status[status] += 1
        if flagship:
            flagships.append((name, status))
        if (budget and (spent or 0) >= ALERT_SHARE * budget) or (
            hours_est and (hours or 0) >= ALERT_SHARE * hours_est
        ):
            alerts.append(name)
        if last <= quiet_since:
            silent.append(name)
    return PilotSection(dict(by_status), tuple(flagships), tuple(alerts), tuple(silent))


def _escalations(db: Database, since: str, until: str) -> EscalationSection | None:
    rows = db.execute(
        "select severity, raised_at, acknowledged_at from escalations "
        "where raised_at >= ? and raised_at < ?",
        [since, until],
    ).fetchall()
    still_open = tuple(
        (key, severity)
        for key, severity in db.execute(
            "select key, severity from escalations where state != 'resolved' and raised_at < ? "
            "order by id",
            [until],
        ).fetchall()
    )
    if not rows and not still_open:
        return None
    order = {"crisis": 0, "high": 1, "normal": 2}
    by = Counter(severity for severity, _, _ in rows)
    waits = [
        (dt.datetime.fromisoformat(ack) - dt.datetime.fromisoformat(raised)).total_seconds() / 60
        for _, raised, ack in rows
        if ack
    ]
    return EscalationSection(
        dict(sorted(by.items(), key=lambda kv: order.get(kv[0], 9))),
        statistics.median(waits) if waits else None,
        still_open,
    )


def _questions(
    db: Database, since: str, until: str, to_teach: Sequence[tuple[str, int]]
) -> QuestionSection | None:
    asked, answered = db.execute(
        "select count(*), coalesce(sum(answered), 0) from questions "
        "where asked_at >= ? and asked_at < ?",
        [since, until],
    ).fetchone()
    helpful, rated = db.execute(
        "select coalesce(sum(helpful), 0), count(*) from feedback where given_at >= ? "
        "and given_at < ?",
        [since, until],
    ).fetchone()
    tags: Counter[str] = Counter()
    for tag_list, count in db.execute(
        "select e.tags, count(*) from questions q join entries e on e.id = q.entry_id "
        "where q.asked_at >= ? and q.asked_at < ? and q.answered = 1 group by e.id",
        [since, until],
    ).fetchall():
        for tag in _tags(tag_list):
            tags[tag] += count
    taught_q = db.execute(
        "select count(*) from taught_questions where taught_at >= ? and taught_at < ?",
        [since, until],
    ).fetchone()[0]
    taught_p = db.execute(
        "select count(*) from taught_phrasings where taught_at >= ? and taught_at < ?",
        [since, until],
    ).fetchone()[0]
    if not (asked or rated or taught_q or taught_p or to_teach):
        return None
    top = tuple(sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))[:3])
    return QuestionSection(
        asked, answered, helpful, rated, top, taught_q, taught_p, tuple(to_teach)
    )


def _kb(db: Database, start: dt.date, end: dt.date, stale_days: int) -> KbSection | None:
    new = tuple(
        (entry_id, title)
        for entry_id, title in db.execute(
            "select id, title from entries where updated >= ? and updated < ? order by id",
            [start.isoformat(), end.isoformat()],
        ).fetchall()
    )
    limit = (end - dt.timedelta(days=stale_days)).isoformat()
    (stale,) = db.execute(
        "select count(*) from entries where coalesce(updated, '') < ?", [limit]
    ).fetchone()
    if not new and not stale:
        return None
    return KbSection(new, stale)


def _chart(db: Database, week: str, zone: ZoneInfo) -> tuple[WeekPoint, ...]:
    start, _ = week_bounds(week, zone)
    points = []
    kept = {
        w: (a, n)
        for w, a, n in db.execute(
            "select week, asked, answered from weekly_question_stats"
        ).fetchall()
    }
    for back in range(CHART_WEEKS - 1, -1, -1):
        monday = start - dt.timedelta(weeks=back)
        name = iso_week(monday.date())
        since, until = week_bounds(name, zone)
        asked, answered = db.execute(
            "select count(*), coalesce(sum(answered), 0) from questions "
            "where asked_at >= ? and asked_at < ?",
            [_utc(since), _utc(until)],
        ).fetchone()
        old_asked, old_answered = kept.get(name, (0, 0))
        (burn,) = db.execute(
            "select coalesce(sum(spent_cents), 0) from pilot_updates "
            "where created_at >= ? and created_at < ?",
            [_utc(since), _utc(until)],
        ).fetchone()
        points.append(
            WeekPoint(name, asked + (old_asked or 0), answered + (old_answered or 0), burn)
        )
    return tuple(points)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _tags(value: str | None) -> list[str]:
    """Tags as stored: a JSON list or comma-separated."""
    if not value:
        return []
    text = value.strip()
    if text.startswith("["):
        return [str(tag) for tag in json.loads(text)]
    return [tag.strip() for tag in text.split(",") if tag.strip()]


def _first_line(body: str) -> str:
    first = next((line.strip() for line in (body or "").splitlines() if line.strip()), "")
    return _short(first, 140)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:LIST_ITEMS])
    return shown + (f" (+{len(items) - LIST_ITEMS})" if len(items) > LIST_ITEMS else "")


def _share(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def _minutes(minutes: float) -> str:
    if minutes < 90:
        return f"{round(minutes)} min"
    return f"{minutes / 60:.1f} h"


def _word(value: str, lang: str) -> str:
    """A pilot status or escalation severity in ``lang`` (an unknown one as stored)."""
    key = f"digest_{value}"
    return t(key, lang) if key in MESSAGES else value


def _is_user(value: str) -> bool:
    return bool(re.match(r"^[UW][A-Z0-9]{2,}$", value or ""))
