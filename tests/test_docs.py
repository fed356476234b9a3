"""The README stays true: every CLI command is documented, and its --help shows an example."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from bot.cli import cli, main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def commands(group: click.Group, prefix: str = "socialbot") -> list[str]:
    """Every command and subcommand under ``group``, as typed: "socialbot kb import"."""
    found = []
    for name, command in group.commands.items():
        found.append(f"{prefix} {name}")
        if isinstance(command, click.Group):
            found.extend(commands(command, f"{prefix} {name}"))
    return found


COMMANDS = commands(cli)


def test_the_walker_finds_nested_commands() -> None:
    assert {"socialbot kb", "socialbot kb import", "socialbot outbox retry"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_cli_command_is_in_the_readme(name: str) -> None:
    assert f"`{name}" in README, f"{name} is not documented in README.md"


@pytest.mark.parametrize("name", ["socialbot", *COMMANDS])
def test_every_command_help_has_an_example(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*name.split()[1:], "--help"]) == 0
    help_text = capsys.readouterr().out
    assert "Examples:\n" in help_text
    examples = help_text.split("Examples:\n", 1)[1].splitlines()
    assert examples[0].strip().startswith(name), "the first example runs the command itself"
