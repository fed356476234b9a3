"""The README stays true: every CLI command is documented."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli import build_parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def commands(parser: argparse.ArgumentParser, prefix: str = "socialbot") -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(f"{prefix} {name}")
                found.extend(commands(sub, f"{prefix} {name}"))
    return found


def test_every_cli_command_is_in_the_readme() -> None:
    names = commands(build_parser())
    assert "socialbot kb import" in names
    for name in names:
        assert f"`{name}" in README, f"{name} is not documented in README.md"
