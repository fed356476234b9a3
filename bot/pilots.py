"""Pilot projects: register, update, chase, report.

The social media team guides pilot projects. A pilot is registered once (unique name,
fuzzy-checked), updated by its owner, its members or the conversation manager (every
update kept: who, when, what), warned about at 80 % and 100 % of its budget and hours,
chased when it goes quiet or stays blocked, and closed with an outcome and lessons.

Every message this causes (the update summaries in channels, warnings, reminders) is put
in the outbox in the same transaction as the change, rendered by a :class:`PilotRender`
that the Slack edge provides. Each Slack request's key (a view or trigger id) is stored
with the pilot or update it made, so a retried request never makes a second one.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from rapidfuzz import fuzz, process, utils
from sqlite_utils import Database

from bot import outbox
from bot.db import Store
from bot.errors import BotError, InvalidInput, NotFound
from bot.i18n import t
from bot.money import parse_money, parse_number

Clock = Callable[[], dt.datetime]
Status = Literal["green", "amber", "red"]
STATUSES: tuple[Status, ...] = ("green", "amber", "red")
# The words of the quick form, Dutch and English.
STATUS_WORDS: dict[str, Status] = {
    "green": "green",
    "groen": "green",
    "amber": "amber",
    "orange": "amber",
    "oranje": "amber",
    "red": "red",
    "rood": "red",
}
PLATFORMS = ("linkedin", "instagram", "tiktok", "facebook", "x", "youtube", "whatsapp", "other")
OUTCOMES = ("scale", "stop", "extend")
FILTERS = ("mine", "all", "flagship", "at-risk")
# Shares of the budget and of the estimated hours at which the owner and manager are warned.
THRESHOLDS = (80, 100)
# A pilot blocked for more than this many days is reported to the conversation manager.
BLOCKED_DAYS = 3
MAX_KPIS = 3
# Longest texts accepted (Slack's modals enforce the same; the quick form is checked here).
NAME_CHARS, TEAM_CHARS, KPI_CHARS = 80, 80, 60
GOAL_CHARS, TEXT_CHARS, BLOCKER_CHARS, LESSONS_CHARS = 1000, 2000, 500, 3000
# Fuzzy matching: a name scoring this much against the query may be meant...
FIND_CUTOFF = 75.0
# ... and is ambiguous when another scores within this margin of it.
AMBIGUOUS_MARGIN = 5.0
# A new name this similar to an existing one gets "did you mean …?".
SIMILAR_CUTOFF = 88.0
_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")


class FormErrors(InvalidInput):
    """Input that cannot be stored, with a message per field (shown inline in a modal)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = dict(errors)


class NotAllowed(BotError):
    """The user may not change this pilot; the message names its owner."""


class Ambiguous(InvalidInput):
    """A name that matches several pilots about equally well; the message lists them."""

    def __init__(self, message: str, candidates: Sequence[str]) -> None:
        super().__init__(message)
        self.candidates = list(candidates)


@dataclass(frozen=True)
class Kpi:
    """A key performance indicator and its target."""

    name: str
    target: float


@dataclass(frozen=True)
class PilotForm:
    """A new pilot as typed: raw text, validated by :meth:`PilotService.create`.
    ``kpis`` are (name, target) pairs; ``similar_ok`` confirms a name like an existing one."""

    name: str
    owner: str
    team: str
    platforms: tuple[str, ...]
    goal: str
    kpis: tuple[tuple[str, str], ...]
    budget: str
    hours: str
    start: str
    end: str
    flagship: bool = False
    members: tuple[str, ...] = ()
    channel_id: str = ""
    similar_ok: bool = False


@dataclass(frozen=True)
class UpdateForm:
    """A status update as typed; ``kpi_values`` by KPI name; empty strings are "not given"."""

    status: str
    text: str
    hours: str = ""
    spent: str = ""
    kpi_values: Mapping[str, str] = field(default_factory=dict)
    blocker: str = ""
    blocker_user: str = ""


@dataclass(frozen=True)
class CloseForm:
    """The end of a pilot: outcome (scale, stop or extend), final KPI values, lessons."""

    outcome: str
    kpi_values: Mapping[str, str] = field(default_factory=dict)
    lessons: str = ""


@dataclass(frozen=True)
class Pilot:
    """A pilot as stored, with the running totals of its updates."""

    id: int
    name: str
    owner: str
    team: str
    platforms: tuple[str, ...]
    goal: str
    kpis: tuple[Kpi, ...]
    budget_cents: int
    hours_estimated: float
    start_date: str
    end_date: str
    flagship: bool
    channel_id: str
    status: Status
    state: str
    spent_cents: int
    hours_spent: float
    kpi_values: dict[str, float]
    created_by: str
    created_at: dt.datetime
    last_update_at: dt.datetime | None
    blocked_since: dt.datetime | None
    blocker: str
    outcome: str
    lessons: str
    closed_at: dt.datetime | None
    members: tuple[str, ...] = ()

    @property
    def budget_share(self) -> float | None:
        """Share of the budget spent (1.0 = all of it); None without a budget."""
        return self.spent_cents / self.budget_cents if self.budget_cents else None

    @property
    def hours_share(self) -> float | None:
        """Share of the estimated hours spent; None without an estimate."""
        return self.hours_spent / self.hours_estimated if self.hours_estimated else None

    @property
    def last_activity(self) -> dt.datetime:
        """The last update, or the registration when there is none."""
        return self.last_update_at or self.created_at

    @property
    def closed(self) -> bool:
        return self.state == "closed"


@dataclass(frozen=True)
class Update:
    """One stored update (``kind`` "update") or the closing of a pilot (``kind`` "close")."""

    id: int
    pilot_id: int
    kind: str
    status: str
    text: str
    hours: float
    spent_cents: int
    kpi_values: dict[str, float]
    blocker: str
    blocker_user: str
    outcome: str
    by_user: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Threshold:
    """A threshold passed: ``measure`` "money" or "hours", ``threshold`` 80 or 100."""

    measure: str
    threshold: int


@dataclass(frozen=True)
class Updated:
    """An update stored (or found again, for a retried request), the pilot after it, and
    the warnings it caused."""

    pilot: Pilot
    update: Update
    warnings: tuple[Threshold, ...] = ()
    repeated: bool = False


@dataclass(frozen=True)
class KpiProgress:
    """A KPI's latest value against its target (share None when unknown)."""

    name: str
    target: float
    value: float | None

    @property
    def share(self) -> float | None:
        if self.value is None or not self.target:
            return None
        return self.value / self.target


@dataclass(frozen=True)
class Report:
    """What ``/pilot show`` shows: the pilot, its latest updates (newest first), how many
    there are, days since the last one, and the progress of its KPIs."""

    pilot: Pilot
    updates: list[Update]
    update_count: int
    days_since_update: int
    kpis: list[KpiProgress]


@dataclass(frozen=True)
class Listing:
    """Pilots for a list (the first ``limit``, worst status first) and how many there are."""

    filter: str
    pilots: list[Pilot]
    total: int


@dataclass(frozen=True)
class Attention:
    """For the conversation manager: pilots at risk, blocked, over budget (money or hours),
    and without an update for too long; each list the first few, with its count."""

    at_risk: list[Pilot]
    blocked: list[Pilot]
    over_budget: list[Pilot]
    no_update: list[Pilot]
    counts: dict[str, int]


@dataclass(frozen=True)
class Reminded:
    """What a reminder run did."""

    reminded: int
    blocked_reported: int


class PilotRender(Protocol):
    """Renders the pilot messages the outbox sends; the Slack edge implements it in Block
    Kit (a plain-text one is in :mod:`bot.pilot_report`)."""

    def update(self, pilot: Pilot, update: Update, lang: str) -> dict[str, Any]:
        """The short summary of an update (or closing) posted in channels."""
        ...

    def warning(self, pilot: Pilot, warning: Threshold, lang: str) -> dict[str, Any]:
        """The DM saying a pilot passed a share of its budget or hours."""
        ...

    def reminder(self, pilot: Pilot, days: int, lang: str) -> dict[str, Any]:
        """The DM asking the owner for an update, with an "Update now" button."""
        ...

    def blocked(self, pilot: Pilot, days: int, lang: str) -> dict[str, Any]:
        """The DM telling the conversation manager that a pilot is blocked."""
        ...


def name_key(name: str) -> str:
    """A name as compared for uniqueness: case, punctuation and spacing ignored."""
    return " ".join(utils.default_process(name).split())


def parse_quick_update(text: str, lang: str) -> list[tuple[str, Status, str]]:
    """``<pilot> <green|amber|red> <text>`` (also groen, oranje, rood) as the ways it can be
    read: (name, status, text) for each status word that has a name before it, first
    first. Raise InvalidInput when there is no status word or no text after it."""
    words = list(re.finditer(r"\S+", text))
    readings: list[tuple[str, Status, str]] = []
    for word in words[1:]:
        status = STATUS_WORDS.get(word.group().lower().strip(":,.;-"))
        if status is None:
            continue
        name = text[: word.start()].strip()
        rest = text[word.end() :].strip()
        if rest:
            readings.append((name, status, rest))
    if not readings:
        raise InvalidInput(t("pilot_quick_usage", lang))
    return readings


def threshold_passed(share: float | None, warned: int) -> int | None:
    """The highest threshold (80, 100) that ``share`` reaches and that was not yet warned
    about (``warned`` is the highest so far), or None."""
    if share is None:
        return None
    reached = [limit for limit in THRESHOLDS if share * 100 >= limit and limit > warned]
    return max(reached) if reached else None


def bar(share: float | None, width: int = 10) -> str:
    """A share as a text bar: "▓▓▓▓░░░░░░ 40 %"; beyond 100 % the bar is full."""
    if share is None:
        return "–"
    filled = min(width, max(0, int(share * width + 0.5)))
    return f"{'▓' * filled}{'░' * (width - filled)} {share:.0%}".replace("%", " %")


class PilotService:
    """The pilot rules over the store; ``managers`` are the conversation manager(s)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        render: PilotRender,
        managers: Sequence[str] = (),
        lang: str = "nl",
        update_days: int = 14,
        pilots_channel: str = "",
    ) -> None:
        self.store = store
        self.clock = clock
        self.render = render
        self.managers = tuple(managers)
        self.lang = lang
        self.update_days = update_days
        self.pilots_channel = pilots_channel

    # --- reading ---------------------------------------------------------------------

    def get(self, pilot_id: int) -> Pilot:
        """The pilot ``pilot_id`` with its members; raise NotFound."""
        row = self.store.db.execute(
            f"select {_PILOT_COLUMNS} from pilots where id = ?", [pilot_id]
        ).fetchone()
        if row is None:
            raise NotFound(t("pilot_gone", self.lang))
        members = self.store.db.execute(
            "select user_id from pilot_members where pilot_id = ? order by user_id", [pilot_id]
        ).fetchall()
        return replace(_pilot(row), members=tuple(m[0] for m in members))

    def find(self, name: str, active_only: bool = False) -> Pilot:
        """The pilot meant by ``name``: an exact name (case and punctuation aside), else the
        fuzzy best match. Raise NotFound (with a hint) or Ambiguous (naming candidates)."""
        query = name.strip()
        if not query:
            raise InvalidInput(t("pilot_name_missing", self.lang))
        state = " and state = 'active'" if active_only else ""
        wanted = name_key(query)
        exact = self.store.db.execute(
            f"select id from pilots where name_key = ?{state}", [wanted]
        ).fetchone()
        if exact:
            return self.get(exact[0])
        rows = self.store.db.execute(
            "select id, name from pilots" + state.replace(" and", " where")
        ).fetchall()
        names = {pilot_id: stored for pilot_id, stored in rows}
        found = process.extract(
            query,
            names,
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            score_cutoff=FIND_CUTOFF,
            limit=5,
        )
        if not found:
            raise NotFound(t("pilot_not_found", self.lang, name=_shown(query)))
        best_score = found[0][1]
        close = [match for match in found if best_score - match[1] < AMBIGUOUS_MARGIN]
        if len(close) > 1:
            listed = ", ".join(f"“{match[0]}”" for match in close)
            raise Ambiguous(
                t("pilot_ambiguous", self.lang, name=_shown(query), candidates=listed),
                [match[0] for match in close],
            )
        return self.get(int(found[0][2]))

    def changeable_by(self, user: str, limit: int = 100) -> list[Pilot]:
        """Active pilots ``user`` may update (all of them for a manager), the user's own
        first, then by name; at most ``limit``."""
        if user in self.managers:
            where, params = "state = 'active'", []
        else:
            where = (
                "state = 'active' and (owner = ? or id in "
                "(select pilot_id from pilot_members where user_id = ?))"
            )
            params = [user, user]
        rows = self.store.db.execute(
            f"select {_PILOT_COLUMNS} from pilots where {where} "
            "order by owner != ?, name_key limit ?",
            [*params, user, limit],
        ).fetchall()
        return [_pilot(row) for row in rows]

    def listing(self, which: str, user: str = "", limit: int | None = None) -> Listing:
        """Active pilots: ``mine`` (owned or a member of), ``all``, ``flagship`` or
        ``at-risk`` (amber or red), red first, then amber, then by name."""
        if which not in FILTERS:
            raise InvalidInput(t("pilot_list_usage", self.lang))
        where = "state = 'active'"
        params: list[Any] = []
        if which == "mine":
            where += (
                " and (owner = ? or id in (select pilot_id from pilot_members where user_id = ?))"
            )
            params = [user, user]
        elif which == "flagship":
            where += " and flagship = 1"
        elif which == "at-risk":
            where += " and status in ('amber', 'red')"
        db = self.store.db
        (total,) = db.execute(f"select count(*) from pilots where {where}", params).fetchone()
        rows = db.execute(
            f"select {_PILOT_COLUMNS} from pilots where {where} "
            "order by case status when 'red' then 0 when 'amber' then 1 else 2 end, name_key "
            "limit ?",
            [*params, -1 if limit is None else limit],
        ).fetchall()
        return Listing(which, [_pilot(row) for row in rows], total)

    def report(self, pilot_id: int, history: int = 10) -> Report:
        """What ``/pilot show`` shows (the latest ``history`` updates)."""
        pilot = self.get(pilot_id)
        db = self.store.db
        rows = db.execute(
            f"select {_UPDATE_COLUMNS} from pilot_updates where pilot_id = ? "
            "order by id desc limit ?",
            [pilot_id, history],
        ).fetchall()
        (count,) = db.execute(
            "select count(*) from pilot_updates where pilot_id = ?", [pilot_id]
        ).fetchone()
        days = max(0, (self.clock() - pilot.last_activity).days)
        kpis = [KpiProgress(k.name, k.target, pilot.kpi_values.get(k.name)) for k in pilot.kpis]
        return Report(pilot, [_update(row) for row in rows], count, days, kpis)

    def attention(self, limit: int = 10) -> Attention:
        """The App Home's pilots section for the conversation manager."""
        cutoff = _iso(self.clock() - dt.timedelta(days=self.update_days))
        conditions = {
            "at_risk": "status = 'amber'",
            "blocked": "status = 'red'",
            "over_budget": "((budget_cents > 0 and spent_cents >= budget_cents) or "
            "(hours_estimated > 0 and hours_spent >= hours_estimated))",
            "no_update": "coalesce(last_update_at, created_at) <= ?",
        }
        found: dict[str, list[Pilot]] = {}
        counts: dict[str, int] = {}
        db = self.store.db
        for name, condition in conditions.items():
            params = [cutoff] if "?" in condition else []
            where = f"state = 'active' and {condition}"
            (counts[name],) = db.execute(
                f"select count(*) from pilots where {where}", params
            ).fetchone()
            rows = db.execute(
                f"select {_PILOT_COLUMNS} from pilots where {where} "
                "order by coalesce(last_update_at, created_at) limit ?",
                [*params, limit],
            ).fetchall()
            found[name] = [_pilot(row) for row in rows]
        return Attention(
            found["at_risk"], found["blocked"], found["over_budget"], found["no_update"], counts
        )

    def everything(self) -> tuple[list[Pilot], list[Update]]:
        """Every pilot (with members) and every update, oldest first: for an export."""
        db = self.store.db
        members: dict[int, list[str]] = {}
        for pilot_id, user in db.execute(
            "select pilot_id, user_id from pilot_members order by pilot_id, user_id"
        ):
            members.setdefault(pilot_id, []).append(user)
        pilots = [
            replace(_pilot(row), members=tuple(members.get(int(row[0]), [])))
            for row in db.execute(f"select {_PILOT_COLUMNS} from pilots order by id")
        ]
        updates = [
            _update(row)
            for row in db.execute(f"select {_UPDATE_COLUMNS} from pilot_updates order by id")
        ]
        return pilots, updates

    def may_change(self, pilot: Pilot, user: str) -> bool:
        """Whether ``user`` may update or close ``pilot``: its owner, a member or a manager."""
        return user == pilot.owner or user in pilot.members or user in self.managers

    def check_may_change(self, pilot: Pilot, user: str) -> None:
        """Raise NotAllowed (naming the owner) unless ``user`` may change ``pilot``, and
        InvalidInput when it is closed."""
        if not self.may_change(pilot, user):
            raise NotAllowed(t("pilot_not_allowed", self.lang, name=pilot.name, owner=pilot.owner))
        if pilot.closed:
            raise InvalidInput(t("pilot_closed_already", self.lang, name=pilot.name))

    def team_of(self, user: str) -> str:
        """The team of ``user``'s latest pilot, as a default for a new one ("" if none)."""
        row = self.store.db.execute(
            "select team from pilots where owner = ? order by id desc limit 1", [user]
        ).fetchone()
        return str(row[0] or "") if row else ""

    # --- changing --------------------------------------------------------------------

    def create(self, form: PilotForm, key: str, by_user: str) -> Pilot:
        """Register a new pilot; the same ``key`` again returns the pilot it made. Raise
        FormErrors with a message per field."""
        with self.store.transaction() as db:
            existing = db.execute("select id from pilots where key = ?", [key]).fetchone()
            if existing:
                return self.get(existing[0])
            values, members = self._validate_new(db, form, by_user)
            now = _iso(self.clock())
            cursor = db.execute(
                "insert into pilots (key, name, name_key, owner, team, platforms, goal, kpis, "
                "budget_cents, hours_estimated, start_date, end_date, flagship, channel_id, "
                "status, state, spent_cents, hours_spent, kpi_values, created_by, created_at, "
                "warned_money, warned_hours) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "'green', 'active', 0, 0, '{}', ?, ?, 0, 0)",
                [key, *values, by_user, now],
            )
            pilot_id = cursor.lastrowid
            assert pilot_id is not None
            for member in members:
                db.execute(
                    "insert or ignore into pilot_members (pilot_id, user_id) values (?, ?)",
                    [pilot_id, member],
                )
        return self.get(pilot_id)

    def update(self, pilot_id: int, form: UpdateForm, key: str, by_user: str) -> Updated:
        """Store an update by ``by_user``: append it to the history, add what was spent to
        the totals, post its summary to the pilot's channel and PILOTS_CHANNEL, and warn
        the owner and managers of a threshold passed, all in one transaction. The same
        ``key`` again changes nothing and returns the first."""
        with self.store.transaction() as db:
            repeated = self._update_by_key(db, key)
            if repeated:
                return Updated(self.get(pilot_id), repeated, repeated=True)
            pilot = self.get(pilot_id)
            self.check_may_change(pilot, by_user)
            status, text, hours, spent, kpis, blocker = self._validate_update(pilot, form)
            now = self.clock()
            update_id = db.execute(
                "insert into pilot_updates (key, pilot_id, kind, status, text, hours, "
                "spent_cents, kpi_values, blocker, blocker_user, outcome, by_user, created_at) "
                "values (?, ?, 'update', ?, ?, ?, ?, ?, ?, ?, '', ?, ?)",
                [key, pilot.id, status, text, hours, spent, json.dumps(kpis), blocker,
                 form.blocker_user, by_user, _iso(now)],
            ).lastrowid  # fmt: skip
            after = replace(
                pilot,
                status=status,
                spent_cents=pilot.spent_cents + spent,
                hours_spent=pilot.hours_spent + hours,
                kpi_values={**pilot.kpi_values, **kpis},
                last_update_at=now,
                blocked_since=(pilot.blocked_since or now) if status == "red" else None,
                blocker=blocker if status == "red" or blocker else "",
            )
            warnings = [
                Threshold(measure, passed)
                for measure, share, warned in (
                    ("money", after.budget_share, self._warned(db, pilot.id, "money")),
                    ("hours", after.hours_share, self._warned(db, pilot.id, "hours")),
                )
                if (passed := threshold_passed(share, warned)) is not None
            ]
            db.execute(
                "update pilots set status = ?, spent_cents = ?, hours_spent = ?, "
                "kpi_values = ?, last_update_at = ?, blocked_since = ?, blocker = ? "
                "where id = ?",
                [after.status, after.spent_cents, after.hours_spent,
                 json.dumps(after.kpi_values), _iso(now),
                 _iso(after.blocked_since) if after.blocked_since else None, after.blocker,
                 pilot.id],
            )  # fmt: skip
            assert update_id is not None
            update = _stored_update(db, update_id)
            self._post(db, after, update)
            for warning in warnings:
                db.execute(
                    f"update pilots set warned_{warning.measure} = ? where id = ?",
                    [warning.threshold, pilot.id],
                )
                self._warn(db, after, warning)
        return Updated(after, update, tuple(warnings))

    def quick_update(self, text: str, key: str, by_user: str) -> Updated:
        """The quick form ``<pilot> <green|amber|red> <text>``: the first reading whose
        name finds a pilot is stored."""
        readings = parse_quick_update(text, self.lang)
        problem: BotError | None = None
        for name, status, rest in readings:
            try:
                pilot = self.find(name)
            except BotError as error:
                problem = problem or error
                continue
            return self.update(pilot.id, UpdateForm(status=status, text=rest), key, by_user)
        assert problem is not None
        raise problem

    def close(self, pilot_id: int, form: CloseForm, key: str, by_user: str) -> Updated:
        """Close a pilot with its outcome, final KPI values and lessons; the lessons become
        a draft lesson (``lesson_drafts``). Posted like an update. The same ``key`` again
        changes nothing."""
        with self.store.transaction() as db:
            repeated = self._update_by_key(db, key)
            if repeated:
                return Updated(self.get(pilot_id), repeated, repeated=True)
            pilot = self.get(pilot_id)
            self.check_may_change(pilot, by_user)
            errors: dict[str, str] = {}
            if form.outcome not in OUTCOMES:
                errors["outcome"] = t("pilot_outcome_missing", self.lang)
            kpis = self._kpi_values(pilot, form.kpi_values, errors)
            lessons = form.lessons.strip()
            if len(lessons) > LESSONS_CHARS:
                errors["lessons"] = t("text_too_long", self.lang, limit=LESSONS_CHARS)
            if errors:
                raise FormErrors(errors)
            now = self.clock()
            update_id = db.execute(
                "insert into pilot_updates (key, pilot_id, kind, status, text, hours, "
                "spent_cents, kpi_values, blocker, blocker_user, outcome, by_user, created_at) "
                "values (?, ?, 'close', ?, ?, 0, 0, ?, '', '', ?, ?, ?)",
                [key, pilot.id, pilot.status, lessons, json.dumps(kpis), form.outcome,
                 by_user, _iso(now)],
            ).lastrowid  # fmt: skip
            after = replace(
                pilot,
                state="closed",
                outcome=form.outcome,
                lessons=lessons,
                closed_at=now,
                kpi_values={**pilot.kpi_values, **kpis},
                blocked_since=None,
            )
            db.execute(
                "update pilots set state = 'closed', outcome = ?, lessons = ?, closed_at = ?, "
                "closed_by = ?, kpi_values = ?, blocked_since = null where id = ?",
                [form.outcome, lessons, _iso(now), by_user, json.dumps(after.kpi_values),
                 pilot.id],
            )  # fmt: skip
            if lessons:
                db.execute(
                    "insert into lesson_drafts (title, body, lang, source, submitted_by, "
                    "created_at, state) values (?, ?, ?, ?, ?, ?, 'draft')",
                    [t("pilot_lesson_title", self.lang, name=pilot.name), lessons, self.lang,
                     f"pilot:{pilot.id}", by_user, _iso(now)],
                )  # fmt: skip
            assert update_id is not None
            update = _stored_update(db, update_id)
            self._post(db, after, update)
        return Updated(after, update)

    def remind(self) -> Reminded:
        """Chase quiet and blocked pilots: a DM to the owner of each active pilot without
        an update for ``update_days`` days (once per gap: the gap is named by its last
        update), and a DM to each manager about each pilot red for more than
        ``BLOCKED_DAYS`` days (once per blocked spell). Closed pilots are left alone."""
        now = self.clock()
        quiet_since = _iso(now - dt.timedelta(days=self.update_days))
        blocked_since = _iso(now - dt.timedelta(days=BLOCKED_DAYS))
        reminded = reported = 0
        with self.store.transaction() as db:
            quiet = db.execute(
                f"select {_PILOT_COLUMNS} from pilots where state = 'active' "
                "and coalesce(last_update_at, created_at) <= ? "
                "and coalesce(reminded_gap, '') != coalesce(last_update_at, created_at)",
                [quiet_since],
            ).fetchall()
            for row in quiet:
                pilot = _pilot(row)
                gap = _iso(pilot.last_activity)
                days = (now - pilot.last_activity).days
                content = self.render.reminder(pilot, days, self.lang)
                about = f"reminder about pilot {pilot.id}"
                message = self._dm(pilot.owner, content, "pilot_reminder", about)
                reminded += outbox.enqueue(db, f"pilot-reminder:{pilot.id}:{gap}", message, now)
                db.execute("update pilots set reminded_gap = ? where id = ?", [gap, pilot.id])
            blocked = db.execute(
                f"select {_PILOT_COLUMNS} from pilots where state = 'active' and status = 'red' "
                "and blocked_since < ? and coalesce(blocked_reported, '') != blocked_since",
                [blocked_since],
            ).fetchall()
            for row in blocked:
                pilot = _pilot(row)
                assert pilot.blocked_since is not None
                since = _iso(pilot.blocked_since)
                days = (now - pilot.blocked_since).days
                content = self.render.blocked(pilot, days, self.lang)
                for manager in self.managers:
                    message = self._dm(manager, content, "pilot_blocked",
                                       f"pilot {pilot.id} blocked")  # fmt: skip
                    key = f"pilot-blocked:{pilot.id}:{since}:{manager}"
                    outbox.enqueue(db, key, message, now)
                reported += 1
                db.execute("update pilots set blocked_reported = ? where id = ?", [since, pilot.id])
        return Reminded(reminded, reported)

    # --- inside ----------------------------------------------------------------------

    def _validate_new(
        self, db: Database, form: PilotForm, by_user: str
    ) -> tuple[list[Any], list[str]]:
        lang = self.lang
        errors: dict[str, str] = {}
        name = " ".join(form.name.split())
        if not name:
            errors["name"] = t("pilot_name_missing", lang)
        elif len(name) > NAME_CHARS:
            errors["name"] = t("text_too_long", lang, limit=NAME_CHARS)
        else:
            problem = self._name_problem(db, name, form.similar_ok)
            if problem:
                errors["name"] = problem
        if not _USER.match(form.owner):
            errors["owner"] = t("pilot_owner_missing", lang)
        team = form.team.strip()
        if len(team) > TEAM_CHARS:
            errors["team"] = t("text_too_long", lang, limit=TEAM_CHARS)
        platforms = tuple(dict.fromkeys(p.lower() for p in form.platforms))
        if not platforms or any(p not in PLATFORMS for p in platforms):
            errors["platforms"] = t("pilot_platforms_missing", lang)
        goal = form.goal.strip()
        if not goal:
            errors["goal"] = t("pilot_goal_missing", lang)
        elif len(goal) > GOAL_CHARS:
            errors["goal"] = t("text_too_long", lang, limit=GOAL_CHARS)
        kpis = self._kpis(form.kpis, errors)
        budget = _parsed(errors, "budget", parse_money, form.budget, lang, t("field_budget", lang))
        hours = _parsed(
            errors, "hours", parse_number, form.hours, lang, t("field_hours", lang), unit=True
        )
        start = _date(form.start)
        end = _date(form.end)
        if start is None:
            errors["start"] = t("pilot_date_missing", lang)
        if end is None:
            errors["end"] = t("pilot_date_missing", lang)
        elif start is not None and end < start:
            errors["end"] = t("pilot_end_before_start", lang)
        if form.flagship and by_user not in self.managers:
            errors["flagship"] = t("pilot_flagship_manager_only", lang)
        if form.channel_id and not _CHANNEL.match(form.channel_id):
            errors["channel"] = t("pilot_channel_invalid", lang)
        members = [m for m in dict.fromkeys(form.members) if m != form.owner]
        if any(not _USER.match(m) for m in members):
            errors["members"] = t("pilot_owner_missing", lang)
        if errors:
            raise FormErrors(errors)
        values = [
            name, name_key(name), form.owner, team, json.dumps(platforms), goal,
            json.dumps([[k.name, k.target] for k in kpis]), budget, hours,
            str(start), str(end), int(form.flagship), form.channel_id,
        ]  # fmt: skip
        return values, members

    def _name_problem(self, db: Database, name: str, similar_ok: bool) -> str | None:
        rows = db.execute("select name, name_key from pilots").fetchall()
        key = name_key(name)
        same = next((stored for stored, stored_key in rows if stored_key == key), None)
        if same is not None:
            return t("pilot_name_taken", self.lang, name=same)
        if similar_ok:
            return None
        similar = process.extract(
            name,
            [stored for stored, _ in rows],
            scorer=fuzz.ratio,
            processor=utils.default_process,
            score_cutoff=SIMILAR_CUTOFF,
            limit=3,
        )
        if not similar:
            return None
        listed = ", ".join(f"“{match[0]}”" for match in similar)
        return t("pilot_name_similar", self.lang, names=listed)

    def _kpis(self, pairs: Sequence[tuple[str, str]], errors: dict[str, str]) -> list[Kpi]:
        kpis: list[Kpi] = []
        for number, (raw_name, raw_target) in enumerate(pairs[:MAX_KPIS], start=1):
            name, target = raw_name.strip(), raw_target.strip()
            if not name and not target:
                continue
            field_name = f"kpi{number}"
            if not name or not target:
                errors[field_name] = t("pilot_kpi_incomplete", self.lang)
            elif len(name) > KPI_CHARS:
                errors[field_name] = t("text_too_long", self.lang, limit=KPI_CHARS)
            elif any(k.name.lower() == name.lower() for k in kpis):
                errors[field_name] = t("pilot_kpi_twice", self.lang)
            else:
                value = _parsed(errors, field_name, parse_number, target, self.lang, name)
                kpis.append(Kpi(name, value))
        return kpis

    def _validate_update(
        self, pilot: Pilot, form: UpdateForm
    ) -> tuple[Status, str, float, int, dict[str, float], str]:
        lang = self.lang
        errors: dict[str, str] = {}
        status = STATUS_WORDS.get(form.status.strip().lower())
        if status is None:
            errors["status"] = t("pilot_status_missing", lang)
        text = form.text.strip()
        if not text:
            errors["text"] = t("pilot_text_missing", lang)
        elif len(text) > TEXT_CHARS:
            errors["text"] = t("text_too_long", lang, limit=TEXT_CHARS)
        hours = 0.0
        if form.hours.strip():
            what = t("field_hours_spent", lang)
            hours = _parsed(errors, "hours", parse_number, form.hours, lang, what, unit=True)
        spent = 0
        if form.spent.strip():
            spent = _parsed(errors, "spent", parse_money, form.spent, lang, t("field_spent", lang))
        kpis = self._kpi_values(pilot, form.kpi_values, errors)
        blocker = form.blocker.strip()
        if len(blocker) > BLOCKER_CHARS:
            errors["blocker"] = t("text_too_long", lang, limit=BLOCKER_CHARS)
        if form.blocker_user and not _USER.match(form.blocker_user):
            errors["blocker"] = t("pilot_owner_missing", lang)
        if errors:
            raise FormErrors(errors)
        assert status is not None
        return status, text, hours, spent, kpis, blocker

    def _kpi_values(
        self, pilot: Pilot, raw: Mapping[str, str], errors: dict[str, str]
    ) -> dict[str, float]:
        values: dict[str, float] = {}
        names = {k.name for k in pilot.kpis}
        for index, (name, text) in enumerate(raw.items(), start=1):
            if not text.strip():
                continue
            if name not in names:
                errors[f"kpi{index}"] = t("pilot_kpi_unknown", self.lang, name=_shown(name))
                continue
            number = next(i for i, k in enumerate(pilot.kpis, start=1) if k.name == name)
            values[name] = _parsed(errors, f"kpi{number}", parse_number, text, self.lang, name)
        return values

    @staticmethod
    def _update_by_key(db: Database, key: str) -> Update | None:
        row = db.execute(
            f"select {_UPDATE_COLUMNS} from pilot_updates where key = ?", [key]
        ).fetchone()
        return None if row is None else _update(row)

    @staticmethod
    def _warned(db: Database, pilot_id: int, measure: str) -> int:
        (warned,) = db.execute(
            f"select warned_{measure} from pilots where id = ?", [pilot_id]
        ).fetchone()
        return int(warned or 0)

    def _post(self, db: Database, pilot: Pilot, update: Update) -> None:
        """The update's summary to the pilot's channel and PILOTS_CHANNEL, once each."""
        content = self.render.update(pilot, update, self.lang)
        for channel in dict.fromkeys(c for c in (pilot.channel_id, self.pilots_channel) if c):
            message = outbox.Message(
                kind="pilot_update",
                route="post",
                channel=channel,
                content=content,
                lang=self.lang,
                about=f"{update.kind} {update.id} of pilot {pilot.id}",
                user_id=update.by_user,
            )
            outbox.enqueue(db, f"pilot-update:{update.id}:{channel}", message, self.clock())

    def _warn(self, db: Database, pilot: Pilot, warning: Threshold) -> None:
        content = self.render.warning(pilot, warning, self.lang)
        for user in dict.fromkeys((pilot.owner, *self.managers)):
            message = self._dm(user, content, "pilot_warning",
                               f"pilot {pilot.id} passed {warning.threshold}% of its "
                               f"{warning.measure}")  # fmt: skip
            key = f"pilot-warning:{pilot.id}:{warning.measure}:{warning.threshold}:{user}"
            outbox.enqueue(db, key, message, self.clock())

    def _dm(self, user: str, content: dict[str, Any], kind: str, about: str) -> outbox.Message:
        return outbox.Message(
            kind=kind,
            route="post",
            channel=user,
            content=content,
            lang=self.lang,
            about=about,
            user_id=user,
        )


_PILOT_COLUMNS = (
    "id, name, owner, team, platforms, goal, kpis, budget_cents, hours_estimated, start_date, "
    "end_date, flagship, channel_id, status, state, spent_cents, hours_spent, kpi_values, "
    "created_by, created_at, last_update_at, blocked_since, blocker, outcome, lessons, closed_at"
)
_UPDATE_COLUMNS = (
    "id, pilot_id, kind, status, text, hours, spent_cents, kpi_values, blocker, blocker_user, "
    "outcome, by_user, created_at"
)


def _stored_update(db: Database, update_id: int) -> Update:
    row = db.execute(f"select {_UPDATE_COLUMNS} from pilot_updates where id = ?", [update_id])
    return _update(row.fetchone())


def _pilot(row: Sequence[Any]) -> Pilot:
    (pilot_id, name, owner, team, platforms, goal, kpis, budget, hours_estimated, start, end,
     flagship, channel, status, state, spent, hours_spent, kpi_values, created_by, created_at,
     last_update_at, blocked_since, blocker, outcome, lessons, closed_at) = row  # fmt: skip
    return Pilot(
        id=int(pilot_id),
        name=name,
        owner=owner,
        team=team or "",
        platforms=tuple(json.loads(platforms or "[]")),
        goal=goal or "",
        kpis=tuple(Kpi(k, float(v)) for k, v in json.loads(kpis or "[]")),
        budget_cents=int(budget or 0),
        hours_estimated=float(hours_estimated or 0),
        start_date=start or "",
        end_date=end or "",
        flagship=bool(flagship),
        channel_id=channel or "",
        status=status,
        state=state,
        spent_cents=int(spent or 0),
        hours_spent=float(hours_spent or 0),
        kpi_values={k: float(v) for k, v in json.loads(kpi_values or "{}").items()},
        created_by=created_by or "",
        created_at=dt.datetime.fromisoformat(created_at),
        last_update_at=_time(last_update_at),
        blocked_since=_time(blocked_since),
        blocker=blocker or "",
        outcome=outcome or "",
        lessons=lessons or "",
        closed_at=_time(closed_at),
    )


def _update(row: Sequence[Any]) -> Update:
    (update_id, pilot_id, kind, status, text, hours, spent, kpis, blocker, blocker_user,
     outcome, by_user, created_at) = row  # fmt: skip
    return Update(
        id=int(update_id),
        pilot_id=int(pilot_id),
        kind=kind,
        status=status or "",
        text=text or "",
        hours=float(hours or 0),
        spent_cents=int(spent or 0),
        kpi_values={k: float(v) for k, v in json.loads(kpis or "{}").items()},
        blocker=blocker or "",
        blocker_user=blocker_user or "",
        outcome=outcome or "",
        by_user=by_user,
        created_at=dt.datetime.fromisoformat(created_at),
    )


def _parsed(errors: dict[str, str], name: str, parse: Callable[..., Any], *args: Any,
            **kwargs: Any) -> Any:  # fmt: skip
    """``parse(*args, **kwargs)``, or 0 with its message under ``name`` in ``errors``."""
    try:
        return parse(*args, **kwargs)
    except InvalidInput as error:
        errors[name] = str(error)
        return 0


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def _shown(text: str) -> str:
    return text if len(text) <= 60 else text[:59] + "…"
