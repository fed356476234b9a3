"""Settings, read once at start into one frozen object.

Every setting comes from the environment or a ``.env`` file (the environment wins). A bad
value stops start-up with a :class:`~bot.errors.ConfigError` naming the variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.errors import ConfigError

LANGUAGES = ("nl", "en")
DEFAULT_DB = "socialbot.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_THRESHOLD = 0.5
DEFAULT_TIMEZONE = "Europe/Brussels"
DEFAULT_WORKERS = 2
DEFAULT_HEALTH_MAX_AGE = 300
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
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "CONVERSATION_MANAGER",
    "SOCIALBOT_CHANNELS",
)

SemanticMode = Literal["auto", "on", "accurate", "fast", "off"]
SEMANTIC_MODES: tuple[str, ...] = get_args(SemanticMode)
ServeMode = Literal["socket", "http"]
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")  # a Slack user id, e.g. U0123ABCD
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


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
    # Secrets stay out of repr() and so out of every log line and traceback that shows one.
    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_app_token: str = field(default="", repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    conversation_managers: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values that must never be logged."""
        return (self.slack_bot_token, self.slack_app_token, self.slack_signing_secret)

    @property
    def zone(self) -> ZoneInfo:
        """``SOCIALBOT_TIMEZONE`` as a time zone."""
        return ZoneInfo(self.timezone)

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
    api_url = get("SLACK_API_URL", DEFAULT_SLACK_API_URL)
    if not re.match(r"^https?://[^/\s]+", api_url):
        raise ConfigError("SLACK_API_URL", f"must be an http(s) URL, got {api_url!r}")
    if not api_url.endswith("/"):
        api_url += "/"
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
        slack_bot_token=get("SLACK_BOT_TOKEN"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET"),
        slack_app_token=get("SLACK_APP_TOKEN"),
        slack_api_url=api_url,
        conversation_managers=_ids("CONVERSATION_MANAGER", get("CONVERSATION_MANAGER"), USER_ID),
        channels=_ids("SOCIALBOT_CHANNELS", get("SOCIALBOT_CHANNELS"), _CHANNEL_ID),
    )


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


def _ids(name: str, raw: str, pattern: re.Pattern[str]) -> tuple[str, ...]:
    ids = tuple(part.strip() for part in re.split(r"[,\s]+", raw) if part.strip())
    for slack_id in ids:
        if not pattern.match(slack_id):
            raise ConfigError(
                name, f"{slack_id!r} is not a Slack id (expected e.g. {pattern.pattern[2]}0123ABCD)"
            )
    return ids
