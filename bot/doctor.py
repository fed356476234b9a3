"""``socialbot doctor``: check a set-up and say what is wrong and how to fix it.

Each check is a :class:`Check`: passed or not, what was found, and the fix. Slack is asked
through a :class:`SlackProbe` that the Slack edge implements (``handlers/doctor.py``), so
this module, like the rest of ``bot/``, never talks to Slack itself.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlite_utils import Database

from bot.config import ServeMode, Settings
from bot.db import migrations
from bot.errors import ConfigError
from bot.knowledge.semantic import load_models

# The bot scopes of manifest.yml (tests/test_manifest.py keeps the two equal): the scopes
# the app asks for, and so those its token must have been granted.
SCOPES = (
    "app_mentions:read",
    "chat:write",
    "chat:write.public",
    "commands",
    "im:history",
    "channels:history",
    "groups:history",
    "mpim:history",
    "channels:read",
    "groups:read",
    "users:read",
    "files:write",
)
REINSTALL = (
    "add it in the app's OAuth & Permissions (or paste manifest.yml again), reinstall the "
    "app to the workspace and copy the new bot token into SLACK_BOT_TOKEN"
)


@dataclass(frozen=True)
class Check:
    """One line of the report: passed or not, what was found, and how to fix it."""

    ok: bool
    what: str
    fix: str = ""


@dataclass(frozen=True)
class Identity:
    """What Slack says of the bot token (auth.test): the error when it refused it, why
    when it could not be reached, else the bot's user and workspace and the scopes granted
    (None when Slack did not say)."""

    error: str | None = None
    unreachable: str | None = None
    user: str = ""
    team: str = ""
    scopes: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Conversation:
    """A channel as Slack describes it to the bot (conversations.info); ``error`` when
    it would not (e.g. channel_not_found, missing_scope)."""

    error: str | None = None
    name: str = ""
    is_member: bool = False
    is_private: bool = False
    is_archived: bool = False


@dataclass(frozen=True)
class Person:
    """A user as Slack describes them (users.info); ``error`` when it would not."""

    error: str | None = None
    name: str = ""
    deleted: bool = False
    is_bot: bool = False


class SlackProbe(Protocol):
    """The Slack calls the doctor makes; implemented at the Slack edge."""

    def identity(self) -> Identity: ...

    def conversation(self, channel_id: str) -> Conversation: ...

    def person(self, user_id: str) -> Person: ...


def settings_checks(settings: Settings, mode: ServeMode) -> list[Check]:
    """The settings that ``socialbot serve`` (in ``mode``) needs."""
    try:
        settings.require_slack(mode)
    except ConfigError as exc:
        return [Check(False, f"settings: {exc}", _setting_fix(exc.variable))]
    flag = " --http" if mode == "http" else ""
    return [Check(True, f"settings: complete for `socialbot serve{flag}`")]


def database_checks(settings: Settings, max_age: float) -> list[Check]:
    """The database: there, opens, writable, migrated, its entries and its backlog. Nothing
    is created or changed (the write test is rolled back)."""
    path, source = settings.db_path, settings.db_source
    if not os.path.isfile(path):
        return [
            Check(
                False,
                f"database: {os.path.abspath(path)} does not exist",
                f"set {source} to socialbot's database, or run `socialbot serve` once to create it",
            )
        ]
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=5)
    except sqlite3.Error as exc:
        return [Check(False, f"database: {path} cannot be opened: {exc}", _file_fix(source))]
    try:
        return _database(Database(conn), path, source, max_age)
    except sqlite3.DatabaseError as exc:
        return [Check(False, f"database: {path} cannot be read: {exc}", _file_fix(source))]
    finally:
        conn.close()


def _database(db: Database, path: str, source: str, max_age: float) -> list[Check]:
    checks = [Check(True, f"database: {os.path.abspath(path)} opens")]
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("insert or replace into meta (key, value) values ('doctor', 'x')")
        checks.append(Check(True, "database: writable"))
    except sqlite3.Error as exc:
        checks.append(
            Check(
                False,
                f"database: cannot be written ({exc})",
                "make the file and its folder writable by socialbot's user, or free disk space",
            )
        )
    finally:
        db.conn.rollback()
    pending = [m.name for m in migrations.pending(db)]
    if pending:
        checks.append(
            Check(
                False,
                f"database: {len(pending)} migration(s) not applied ({pending[0]}, …)",
                "start `socialbot serve` (or any socialbot command) once: it applies them",
            )
        )
        return checks
    checks.append(Check(True, "database: migrated"))
    (entries,) = db.execute("select count(*) from entries").fetchone()
    checks.append(
        Check(True, f"database: {entries} knowledge-base entries")
        if entries
        else Check(
            False, "database: the knowledge base is empty", "`socialbot kb import knowledge_base/`"
        )
    )
    checks.extend(_backlog(db, max_age))
    return checks


def _backlog(db: Database, max_age: float) -> list[Check]:
    undelivered, oldest = db.execute(
        "select count(*), (julianday('now') - julianday(min(created_at))) * 86400 from outbox "
        "where state in ('pending', 'sending')"
    ).fetchone()
    (failed,) = db.execute("select count(*) from outbox where state = 'failed'").fetchone()
    checks = []
    if undelivered and oldest > max_age:
        checks.append(
            Check(
                False,
                f"outbox: {undelivered} undelivered, the oldest {oldest:.0f} s old",
                "is `socialbot serve` running and is Slack reachable? `socialbot outbox "
                "list` shows the last errors",
            )
        )
    else:
        checks.append(Check(True, f"outbox: {undelivered} undelivered"))
    if failed:
        checks.append(
            Check(
                False,
                f"outbox: {failed} message(s) failed",
                "`socialbot outbox list --failed` says why; fix that, then `socialbot "
                "outbox retry --all-failed`",
            )
        )
    return checks


def model_checks(settings: Settings) -> list[Check]:
    """Which semantic layers answer with ``SOCIALBOT_SEMANTIC`` as set."""
    try:
        embedder, reranker = load_models(settings.semantic)
    except ConfigError as exc:
        return [Check(False, f"models: {exc}", _setting_fix(exc.variable))]
    layers = ["lexical (FTS5)"]
    layers += [f"semantic ({m.name})" for m in (embedder, reranker) if m is not None]
    return [Check(True, f"models: {', '.join(layers)} (SOCIALBOT_SEMANTIC={settings.semantic})")]


def slack_checks(settings: Settings, probe: SlackProbe) -> list[Check]:
    """The bot token, its scopes against the manifest's, and the channels and people in the
    settings: they exist and the bot can post to them."""
    identity = probe.identity()
    if identity.unreachable:
        return [
            Check(
                False,
                f"slack: cannot reach Slack at {settings.slack_api_url}: {identity.unreachable}",
                "check the network (a proxy, a firewall) or SLACK_API_URL",
            )
        ]
    if identity.error:
        return [
            Check(
                False,
                f"slack: Slack refused SLACK_BOT_TOKEN: {identity.error}",
                "copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions "
                "into SLACK_BOT_TOKEN; reinstall the app if it was revoked",
            )
        ]
    checks = [Check(True, f"slack: token of {identity.user} in workspace {identity.team}")]
    granted = set(identity.scopes or ())
    if identity.scopes is None:
        checks.append(
            Check(
                False,
                "slack: Slack did not say which scopes the token has",
                "check SLACK_API_URL: a proxy may drop the x-oauth-scopes header",
            )
        )
    else:
        missing = [s for s in SCOPES if s not in granted]
        checks.append(
            Check(False, f"slack: scopes missing: {', '.join(missing)}", REINSTALL)
            if missing
            else Check(True, f"slack: all {len(SCOPES)} scopes of manifest.yml granted")
        )
    for channel in settings.channels:
        checks.append(_channel(channel, probe.conversation(channel), granted))
    for manager in settings.conversation_managers:
        checks.append(_person(manager, probe.person(manager), granted))
    return checks


def _channel(channel_id: str, found: Conversation, granted: set[str]) -> Check:
    where = f"slack: channel {channel_id} (SOCIALBOT_CHANNELS)"
    if found.error:
        return Check(
            False, f"{where}: {found.error}", _slack_fix(found.error, "SOCIALBOT_CHANNELS")
        )
    where = f"slack: channel #{found.name} ({channel_id})"
    if found.is_archived:
        return Check(False, f"{where} is archived", "remove it from SOCIALBOT_CHANNELS")
    if not found.is_member:
        return Check(
            False,
            f"{where}: socialbot is not a member, so it sees no mentions there",
            f"type `/invite @socialbot` in #{found.name}",
        )
    if "chat:write" not in granted:
        return Check(False, f"{where}: socialbot may not post (no chat:write)", REINSTALL)
    return Check(True, f"{where}: member, can post")


def _person(user_id: str, found: Person, granted: set[str]) -> Check:
    where = f"slack: conversation manager {user_id}"
    if found.error:
        return Check(
            False, f"{where}: {found.error}", _slack_fix(found.error, "CONVERSATION_MANAGER")
        )
    where = f"slack: conversation manager {found.name} ({user_id})"
    if found.deleted or found.is_bot:
        what = "deactivated" if found.deleted else "a bot"
        return Check(False, f"{where} is {what}", "set CONVERSATION_MANAGER to people who answer")
    if "chat:write" not in granted:
        return Check(False, f"{where}: socialbot may not DM them (no chat:write)", REINSTALL)
    return Check(True, f"{where}: exists, can be sent a DM")


def run(
    settings: Settings,
    mode: ServeMode,
    probe: Callable[[], SlackProbe] | None,
) -> list[Check]:
    """Every check, in order; Slack's only when the settings have a bot token
    (``probe`` makes the probe then)."""
    checks = settings_checks(settings, mode)
    checks += database_checks(settings, settings.health_max_age)
    checks += model_checks(settings)
    if probe is not None and settings.slack_bot_token:
        checks += slack_checks(settings, probe())
    return checks


def render(checks: Sequence[Check]) -> str:
    """One line per check, ✓ or ✗, the fix after an arrow; then the verdict."""
    lines = [
        f"{'✓' if c.ok else '✗'} {c.what}" + ("" if c.ok else f"\n    → {c.fix}") for c in checks
    ]
    failed = sum(not c.ok for c in checks)
    lines.append("All checks passed." if not failed else f"{failed} problem(s) found.")
    return "\n".join(lines)


def _setting_fix(variable: str) -> str:
    return f"set {variable} in the environment or .env (see .env.example and the README)"


def _file_fix(source: str) -> str:
    return f"check {source}: it must be socialbot's SQLite file, readable and writable"


def _slack_fix(error: str, variable: str) -> str:
    if error == "missing_scope":
        return REINSTALL
    if error in ("channel_not_found", "user_not_found"):
        return f"correct the id in {variable} (a private channel: invite socialbot first)"
    return f"check {variable}"
