"""bot/ is the domain core: it never imports Slack libraries."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"
FORBIDDEN = ("slack_bolt", "slack_sdk", "handlers")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_bot_never_imports_slack() -> None:
    offenders = {
        f"{path.relative_to(BOT.parent)}: {module}"
        for path in BOT.rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in FORBIDDEN
    }
    # The CLI's `serve` command is the one door to the Slack edge, loaded only when serving.
    assert offenders <= {"bot/cli.py: handlers.serve"}


def test_the_walker_sees_nested_imports(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("def f():\n    from slack_sdk import WebClient\n")
    assert "slack_sdk" in imported_modules(sample)
