"""Settings, read once at start into one frozen object.

Every setting comes from the environment or a ``.env`` file (the environment wins). A bad
value stops start-up with a :class:`~bot.errors.ConfigError` naming the variable.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from dotenv import dotenv_values

from bot.errors import ConfigError
from bot.working_hours import (
    DEFAULT_DAYS,
    DEFAULT_DEADLINES,
    DEFAULT_HOURS,
    Deadline,
    Severity,
    WorkingHours,
    parse_days,
    parse_deadlines,
    parse_hours,
)

LANGUAGES = ("nl", "en")
DEFAULT_DB = "socialbot.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_THRESHOLD = 0.5
DEFAULT_WORDS = {
    "nl": (
        "viraal",
        "shitstorm",
        "gehackt",
        "gehacked",
        "journalist belt",
        "pers belt",
        "boycot",
        "datalek",
        "doodsbedreiging",
    ),
    "en": (
        "hacked",
        "going viral",
        "gone viral",
        "shitstorm",
        "press is calling",
        "journalist is calling",
        "boycott",
        "data breach",
        "death threat",
    ),
}
DEFAULT_PLAYBOOK = "eerste-uur-ophef"
DEFAULT_TIMEZONE = "Europe/Brussels"
DEFAULT_WORKERS = 2
DEFAULT_HEALTH_MAX_AGE = 300
DEFAULT_RETENTION_DAYS = 365
DEFAULT_DIGEST_SCHEDULE = "0 9 * * 1"  # Monday 09:00 in SOCIALBOT_TIMEZONE
DEFAULT_KB_STALE_DAYS = 180
# Where Socket Mode serves /metrics (HTTP mode serves it beside /healthz): the port of
# OpenTelemetry's Prometheus exporter, free beside node_exporter's 9100.
DEFAULT_METRICS_HOST = "127.0.0.1"
DEFAULT_METRICS_PORT = 9464
DEFAULT_PILOT_UPDATE_DAYS = 14
DEFAULT_PILOT_REMINDER_TIME = "09:00"
BUNDLED_KB = Path(__file__).resolve().parent.parent / "knowledge_base"

# Every environment variable socialbot reads; .env.example and the README document each one.
VARIABLES = (
    "SOCIALBOT_DB",
    "SOCIALBOT_LANG",
    "SOCIALBOT_ANSWER_THRESHOLD",
    "SOCIALBOT_SEMANTIC",
    "SOCIALBOT_KB_DIR",
    "SOCIALBOT_LOG_LEVEL",
    "SOCIALBOT_TIMEZONE",
    "SOCIALBOT_WORKERS",
    "SOCIALBOT_SCHEDULER",
    "SOCIALBOT_HEALTH_MAX_AGE",
    "SOCIALBOT_RETENTION_DAYS",
    "SOCIALBOT_METRICS",
    "SOCIALBOT_METRICS_PORT",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "CONVERSATION_MANAGER",
    "SOCIALBOT_CHANNELS",
    "ESCALATION_CHANNEL",
    "ESCALATION_BACKUP",
    "ESCALATION_DEADLINES",
    "SOCIALBOT_WORKING_HOURS",
    "SOCIALBOT_WORKING_DAYS",
    "SOCIALBOT_CRISIS_WORDS_NL",
    "SOCIALBOT_CRISIS_WORDS_EN",
    "SOCIALBOT_CRISIS_PLAYBOOK",
    "PILOTS_CHANNEL",
    "PILOT_UPDATE_DAYS",
    "PILOT_REMINDER_TIME",
    "DIGEST_CHANNEL",
    "DIGEST_SCHEDULE",
    "DIGEST_LANG",
    "KB_STALE_DAYS",
)

SemanticMode = Literal["auto", "on", "accurate", "fast", "off"]
SEMANTIC_MODES: tuple[str, ...] = get_args(SemanticMode)
ServeMode = Literal["socket", "http"]
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")  # a Slack user id, e.g. U0123ABCD
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """Everything configurable about socialbot. Build it with :func:`load_settings`."""

    db_path: str = DEFAULT_DB
    default_lang: str = "nl"
    answer_threshold: float = DEFAULT_THRESHOLD
    semantic: SemanticMode = "auto"
    kb_dir: Path = BUNDLED_KB
    log_level: str = "INFO"
    timezone: str = DEFAULT_TIMEZONE
    workers: int = DEFAULT_WORKERS
    scheduler: bool = True
    health_max_age: float = DEFAULT_HEALTH_MAX_AGE
    retention_days: int = DEFAULT_RETENTION_DAYS
    metrics: bool = True
    metrics_host: str = DEFAULT_METRICS_HOST
    metrics_port: int = DEFAULT_METRICS_PORT
    # Secrets stay out of repr() and so out of every log line and traceback that shows one.
    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_app_token: str = field(default="", repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    conversation_managers: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    # Where db_path came from, for messages: the setting, or the CLI's --db option.
    db_source: str = "SOCIALBOT_DB"
    escalation_channel: str = ""
    escalation_backup: tuple[str, ...] = ()
    deadlines: Mapping[Severity, Deadline] = field(
        default_factory=lambda: parse_deadlines(DEFAULT_DEADLINES)
    )
    working_hours: tuple[dt.time, dt.time] = (dt.time(9), dt.time(17))
    working_days: frozenset[int] = frozenset(range(5))
    crisis_words: tuple[str, ...] = DEFAULT_WORDS["nl"] + DEFAULT_WORDS["en"]
    crisis_playbook: str = DEFAULT_PLAYBOOK
    pilots_channel: str = ""
    pilot_update_days: int = DEFAULT_PILOT_UPDATE_DAYS
    pilot_reminder_time: str = DEFAULT_PILOT_REMINDER_TIME

    @property
    def pilot_reminder_cron(self) -> str:
        """``PILOT_REMINDER_TIME`` (HH:MM) as a daily cron schedule."""
        hours, minutes = self.pilot_reminder_time.split(":")
        return f"{int(minutes)} {int(hours)} * * *"

    digest_channel: str = ""
    digest_schedule: str = DEFAULT_DIGEST_SCHEDULE
    digest_lang: str = "nl"
    kb_stale_days: int = DEFAULT_KB_STALE_DAYS

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values that must never be logged."""
        return (self.slack_bot_token, self.slack_app_token, self.slack_signing_secret)

    @property
    def zone(self) -> ZoneInfo:
        """``SOCIALBOT_TIMEZONE`` as a time zone."""
        return ZoneInfo(self.timezone)

    @property
    def work_time(self) -> WorkingHours:
        """The working hours and days in ``SOCIALBOT_TIMEZONE``, for deadlines."""
        start, end = self.working_hours
        return WorkingHours(start, end, self.working_days, self.zone)

    def require_slack(self, mode: ServeMode) -> None:
        """Check the Slack settings that ``mode`` needs; raise ConfigError naming the first gap."""
        if not self.slack_bot_token:
            raise ConfigError("SLACK_BOT_TOKEN", "is required to serve Slack (xoxb-…)")
        if not self.slack_bot_token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN", "must be a bot token starting with 'xoxb-'")
        if mode == "http" and not self.slack_signing_secret:
            raise ConfigError("SLACK_SIGNING_SECRET", "is required in HTTP mode")
        if mode == "socket":
            if not self.slack_app_token:
                raise ConfigError(
                    "SLACK_APP_TOKEN", "is required in Socket Mode (xapp-…); or use --http"
                )
            if not self.slack_app_token.startswith("xapp-"):
                raise ConfigError("SLACK_APP_TOKEN", "must be an app token starting with 'xapp-'")
        if not self.conversation_managers:
            raise ConfigError(
                "CONVERSATION_MANAGER",
                "is required to serve Slack: the Slack user id(s) of the conversation manager",
            )


def load_settings(
    env: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
) -> Settings:
    """Read settings from ``env`` (default: the process environment) over ``env_file``."""
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        try:
            parsed = dotenv_values(env_file, encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(
                str(env_file), f"cannot be read: {exc}; save it as UTF-8 text, or remove it"
            ) from None
        except OSError as exc:
            raise ConfigError(str(env_file), f"cannot be read: {exc.strerror or exc}") from None
        values.update({k: v for k, v in parsed.items() if v is not None})
    values.update(os.environ if env is None else env)
    return settings_from_mapping(values)


def settings_from_mapping(values: Mapping[str, str]) -> Settings:
    """Validate raw string values into :class:`Settings`."""

    def get(name: str, default: str = "") -> str:
        return values.get(name, default).strip() or default

    lang = get("SOCIALBOT_LANG", "nl").lower()
    if lang not in LANGUAGES:
        raise ConfigError("SOCIALBOT_LANG", f"must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    semantic = get("SOCIALBOT_SEMANTIC", "auto").lower()
    if semantic not in SEMANTIC_MODES:
        raise ConfigError(
            "SOCIALBOT_SEMANTIC",
            f"must be {', '.join(SEMANTIC_MODES[:-1])} or {SEMANTIC_MODES[-1]}, got {semantic!r}",
        )
    level = get("SOCIALBOT_LOG_LEVEL", "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(
            "SOCIALBOT_LOG_LEVEL", f"must be DEBUG, INFO, WARNING or ERROR, got {level!r}"
        )
    timezone = get("SOCIALBOT_TIMEZONE", DEFAULT_TIMEZONE)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "SOCIALBOT_TIMEZONE",
            f"{timezone!r} is not a time zone; use an IANA name such as Europe/Brussels",
        ) from None
    scheduler = get("SOCIALBOT_SCHEDULER", "on").lower()
    if scheduler not in ("on", "off"):
        raise ConfigError("SOCIALBOT_SCHEDULER", f"must be on or off, got {scheduler!r}")
    metrics = get("SOCIALBOT_METRICS", "on").lower()
    if metrics not in ("on", "off"):
        raise ConfigError("SOCIALBOT_METRICS", f"must be on or off, got {metrics!r}")
    metrics_host, metrics_port = _address("SOCIALBOT_METRICS_PORT", get("SOCIALBOT_METRICS_PORT"))
    api_url = get("SLACK_API_URL", DEFAULT_SLACK_API_URL)
    if not re.match(r"^https?://[^/\s]+", api_url):
        raise ConfigError("SLACK_API_URL", f"must be an http(s) URL, got {api_url!r}")
    if not api_url.endswith("/"):
        api_url += "/"
    digest_lang = get("DIGEST_LANG", lang).lower()
    if digest_lang not in LANGUAGES:
        raise ConfigError(
            "DIGEST_LANG", f"must be one of {', '.join(LANGUAGES)}, got {digest_lang!r}"
        )
    digest_schedule = _schedule("DIGEST_SCHEDULE", get("DIGEST_SCHEDULE", DEFAULT_DIGEST_SCHEDULE))
    db_path = database_path(get("SOCIALBOT_DB", DEFAULT_DB), "SOCIALBOT_DB")
    kb_dir = Path(get("SOCIALBOT_KB_DIR", str(BUNDLED_KB))).expanduser()
    if not kb_dir.is_dir():
        raise ConfigError("SOCIALBOT_KB_DIR", f"{str(kb_dir)!r} is not a directory")
    return Settings(
        db_path=db_path,
        default_lang=lang,
        answer_threshold=_fraction("SOCIALBOT_ANSWER_THRESHOLD", get("SOCIALBOT_ANSWER_THRESHOLD")),
        semantic=semantic,  # type: ignore[arg-type]
        kb_dir=kb_dir,
        log_level=level,
        timezone=timezone,
        workers=_whole("SOCIALBOT_WORKERS", get("SOCIALBOT_WORKERS"), DEFAULT_WORKERS, 1, 32),
        scheduler=scheduler == "on",
        health_max_age=_whole(
            "SOCIALBOT_HEALTH_MAX_AGE",
            get("SOCIALBOT_HEALTH_MAX_AGE"),
            DEFAULT_HEALTH_MAX_AGE,
            10,
            7 * 24 * 3600,
        ),
        retention_days=_whole(
            "SOCIALBOT_RETENTION_DAYS",
            get("SOCIALBOT_RETENTION_DAYS"),
            DEFAULT_RETENTION_DAYS,
            7,  # the App Home shows the last 7 days
            3650,
        ),
        metrics=metrics == "on",
        metrics_host=metrics_host,
        metrics_port=metrics_port,
        slack_bot_token=get("SLACK_BOT_TOKEN"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET"),
        slack_app_token=get("SLACK_APP_TOKEN"),
        slack_api_url=api_url,
        conversation_managers=_ids("CONVERSATION_MANAGER", get("CONVERSATION_MANAGER"), USER_ID),
        channels=_ids("SOCIALBOT_CHANNELS", get("SOCIALBOT_CHANNELS"), _CHANNEL_ID),
        escalation_channel=_one_channel(get("ESCALATION_CHANNEL")),
        escalation_backup=_ids("ESCALATION_BACKUP", get("ESCALATION_BACKUP"), USER_ID),
        deadlines=_parsed("ESCALATION_DEADLINES", parse_deadlines, get("ESCALATION_DEADLINES")),
        working_hours=_parsed("SOCIALBOT_WORKING_HOURS", parse_hours,
                              get("SOCIALBOT_WORKING_HOURS", DEFAULT_HOURS)),
        working_days=_parsed("SOCIALBOT_WORKING_DAYS", parse_days,
                             get("SOCIALBOT_WORKING_DAYS", DEFAULT_DAYS)),
        crisis_words=_words("SOCIALBOT_CRISIS_WORDS_NL", get("SOCIALBOT_CRISIS_WORDS_NL"), "nl")
        + _words("SOCIALBOT_CRISIS_WORDS_EN", get("SOCIALBOT_CRISIS_WORDS_EN"), "en"),
        crisis_playbook=get("SOCIALBOT_CRISIS_PLAYBOOK", DEFAULT_PLAYBOOK),
        pilots_channel=_one_id("PILOTS_CHANNEL", get("PILOTS_CHANNEL"), _CHANNEL_ID),
        pilot_update_days=_whole(
            "PILOT_UPDATE_DAYS", get("PILOT_UPDATE_DAYS"), DEFAULT_PILOT_UPDATE_DAYS, 1, 365
        ),
        pilot_reminder_time=_time_of_day(
            "PILOT_REMINDER_TIME", get("PILOT_REMINDER_TIME", DEFAULT_PILOT_REMINDER_TIME)
        ),
        digest_channel=_one_channel(get("DIGEST_CHANNEL"), "DIGEST_CHANNEL"),
        digest_schedule=digest_schedule,
        digest_lang=digest_lang,
        kb_stale_days=_whole("KB_STALE_DAYS", get("KB_STALE_DAYS"), DEFAULT_KB_STALE_DAYS, 1, 3650),
    )  # fmt: skip


def _parsed(name: str, parse: Callable[[str], T], raw: str) -> T:
    """``raw`` parsed, or (default) the parse of ""; a ValueError names the variable."""
    try:
        return parse(raw) if raw else parse(_DEFAULTS[name])
    except ValueError as exc:
        raise ConfigError(name, str(exc)) from None


_DEFAULTS = {
    "ESCALATION_DEADLINES": DEFAULT_DEADLINES,
    "SOCIALBOT_WORKING_HOURS": DEFAULT_HOURS,
    "SOCIALBOT_WORKING_DAYS": DEFAULT_DAYS,
}


def _words(name: str, raw: str, lang: str) -> tuple[str, ...]:
    """A comma-separated list of crisis words and phrases; empty: the defaults for ``lang``."""
    if not raw:
        return DEFAULT_WORDS[lang]
    words = tuple(w.strip() for w in raw.split(",") if w.strip())
    if not words:
        raise ConfigError(name, "give words or phrases separated by commas")
    return words


def _one_channel(raw: str, name: str = "ESCALATION_CHANNEL") -> str:
    if raw and not _CHANNEL_ID.match(raw):
        raise ConfigError(name, f"{raw!r} is not a channel id (expected e.g. C0123ABCD)")
    return raw


def _schedule(name: str, raw: str) -> str:
    """A five-field cron expression, e.g. "0 9 * * 1" (Monday 09:00)."""
    try:
        CronSim(raw, dt.datetime(2026, 1, 1))
    except CronSimError as exc:
        raise ConfigError(name, f"{raw!r} is not a cron schedule (e.g. 0 9 * * 1): {exc}") from None
    return raw


def database_path(raw: str, name: str) -> str:
    """``raw`` as the database file, ``~`` expanded (a .env file is not read by a shell:
    "~/socialbot.db" still means the home folder); a directory is a ConfigError naming
    ``name``, the setting or option it came from."""
    path = os.path.expanduser(raw)
    if path != ":memory:" and Path(path).is_dir():
        raise ConfigError(name, f"{path!r} is a directory; give a file path")
    return path


def _fraction(name: str, raw: str) -> float:
    if not raw:
        return DEFAULT_THRESHOLD
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"must be a number between 0 and 1, got {raw!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ConfigError(name, f"must be between 0 and 1, got {raw!r}")
    return value


def _whole(name: str, raw: str, default: int, low: int, high: int) -> int:
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise ConfigError(name, f"must be a whole number from {low} to {high}, got {raw!r}")
    value = int(raw)
    if not low <= value <= high:
        raise ConfigError(name, f"must be from {low} to {high}, got {value}")
    return value


def _address(name: str, raw: str) -> tuple[str, int]:
    """``[HOST:]PORT`` as (host, port); the host defaults to 127.0.0.1."""
    if not raw:
        return DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT
    host, _, port = raw.rpartition(":")
    host = host.strip("[]") or DEFAULT_METRICS_HOST
    if not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        raise ConfigError(
            name, f"must be a port (1-65535) or HOST:PORT, e.g. 9464 or 0.0.0.0:9464; got {raw!r}"
        )
    return host, int(port)


def _ids(name: str, raw: str, pattern: re.Pattern[str]) -> tuple[str, ...]:
    ids = tuple(part.strip() for part in re.split(r"[,\s]+", raw) if part.strip())
    for slack_id in ids:
        if not pattern.match(slack_id):
            raise ConfigError(
                name, f"{slack_id!r} is not a Slack id (expected e.g. {pattern.pattern[2]}0123ABCD)"
            )
    return ids


def _one_id(name: str, raw: str, pattern: re.Pattern[str]) -> str:
    ids = _ids(name, raw, pattern)
    if len(ids) > 1:
        raise ConfigError(name, f"takes one channel id, got {len(ids)}")
    return ids[0] if ids else ""


def _time_of_day(name: str, raw: str) -> str:
    """A local time "HH:MM" (24 hours), normalised to two digits each."""
    match = re.fullmatch(r"(\d{1,2})[:.](\d{2})", raw)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ConfigError(name, f"must be a time of day such as 09:00, got {raw!r}")
    return f"{int(match[1]):02d}:{match[2]}"
