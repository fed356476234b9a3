"""deploy/ stays true: the systemd unit runs a command the CLI has, its environment file
sets only known settings, and it waits for socialbot to stop as long as socialbot takes."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import click

from bot.cli import cli
from bot.config import VARIABLES
from handlers.serve import STOP_SECONDS
from handlers.workers import STOP_TIMEOUT

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def unit(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / name).read_text())
    return parser["Service"]


def test_the_unit_runs_a_command_and_options_the_cli_has() -> None:
    service = unit("socialbot.service")
    program, *words = shlex.split(service["ExecStart"])
    assert program == "/opt/socialbot/venv/bin/socialbot"
    command: click.Command = cli
    while isinstance(command, click.Group):
        command = command.commands[words.pop(0)]
    assert command.name == "serve"
    options = {o for p in command.params for o in getattr(p, "opts", [])}
    assert {w for w in words if w.startswith("--")} <= options
    assert "--http" in words


def test_the_environment_file_sets_known_settings_only() -> None:
    lines = (DEPLOY / "socialbot.env").read_text().splitlines()
    names = [line.split("=", 1)[0] for line in lines if line and not line.startswith("#")]
    assert names and set(names) <= set(VARIABLES)
    assert "SOCIALBOT_DB" in names and "SLACK_BOT_TOKEN" in names


def test_systemd_waits_as_long_as_socialbot_takes_to_stop() -> None:
    service = unit("socialbot.service")
    assert service["KillSignal"] == "SIGTERM"
    assert service["Restart"] == "on-failure"
    needed = STOP_SECONDS + STOP_TIMEOUT
    assert needed <= float(service["TimeoutStopSec"]) <= needed + 10


def test_the_unit_may_write_only_the_database_folder() -> None:
    service = unit("socialbot.service")
    assert service["ProtectSystem"] == "strict" and service["NoNewPrivileges"] == "yes"
    database = next(
        line.split("=", 1)[1]
        for line in (DEPLOY / "socialbot.env").read_text().splitlines()
        if line.startswith("SOCIALBOT_DB=")
    )
    assert str(Path(database).parent) == service["ReadWritePaths"] == service["WorkingDirectory"]
