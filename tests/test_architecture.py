"""bot/ is the domain core: it never imports Slack libraries. handlers/ is the Slack edge:
its modules import one another without a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
HANDLERS = ROOT / "handlers"
FORBIDDEN = ("slack_bolt", "slack_sdk", "handlers")

Graph = dict[str, set[str]]


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside functions."""
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
    assert offenders <= {"bot/cli.py: handlers.runtime"}


def test_only_the_cli_imports_click() -> None:
    # The library stays usable without its command line: click is the CLI's alone.
    users = {
        str(path.relative_to(ROOT))
        for path in [*BOT.rglob("*.py"), *HANDLERS.rglob("*.py")]
        if any(module.split(".")[0] == "click" for module in imported_modules(path))
    }
    assert users == {"bot/cli.py"}


def test_the_walker_sees_nested_imports(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("def f():\n    from slack_sdk import WebClient\n")
    assert "slack_sdk" in imported_modules(sample)


def import_graph(package: Path) -> Graph:
    """The modules of ``package`` (a folder of .py files, named as its folder) and, for each,
    the modules of the same package it imports: at the top or inside functions, absolutely
    (``import p.a``, ``from p.a import x``, ``from p import a``) or relatively (``from . import
    a``, ``from .a import x``). The package's ``__init__`` is the module named as the package."""
    name = package.name
    modules = {
        name if path.stem == "__init__" else f"{name}.{path.stem}": path
        for path in package.glob("*.py")
    }
    graph: Graph = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets.update(_within(alias.name, modules) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level <= 1:  # not above the package
                base = ".".join(p for p in (name if node.level else "", node.module or "") if p)
                if base == name:  # `from p import a`: a submodule, or a name from p/__init__
                    targets.update(
                        f"{name}.{alias.name}" if f"{name}.{alias.name}" in modules else name
                        for alias in node.names
                    )
                else:
                    targets.add(_within(base, modules))
        graph[module] = {t for t in targets if t in modules and t != module}
    return graph


def _within(imported: str, modules: dict[str, Path]) -> str:
    """The package module ``imported`` is (or lies in), or ``imported`` itself when outside."""
    parts = imported.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return imported


def find_cycle(graph: Graph) -> list[str] | None:
    """One import cycle in ``graph`` as the modules along it (the first repeated at the
    end), or None when there is none."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(module: str) -> list[str] | None:
        path.append(module)
        on_path.add(module)
        for target in sorted(graph.get(module, ())):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        on_path.discard(module)
        done.add(module)
        return None

    for module in sorted(graph):
        if module not in done:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def test_handlers_have_no_import_cycle() -> None:
    graph = import_graph(HANDLERS)
    # The graph sees the edge's wiring: the composition root imports the app and the server.
    assert {"handlers.app", "handlers.serve", "handlers.transport"} <= graph["handlers.runtime"]
    assert "handlers.blocks" in graph["handlers.replies"]  # `from handlers import blocks as b`
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle in handlers/: " + " -> ".join(cycle or [])


def test_the_graph_builder_finds_a_cycle_through_a_nested_import(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("import json\n\nfrom .c import thing\n")
    (package / "c.py").write_text("def thing():\n    import pkg.a\n")
    (package / "d.py").write_text("from pkg.a import x\nfrom . import c\n")  # not on the cycle
    graph = import_graph(package)
    assert graph == {
        "pkg": set(),
        "pkg.a": {"pkg.b"},
        "pkg.b": {"pkg.c"},
        "pkg.c": {"pkg.a"},
        "pkg.d": {"pkg.a", "pkg.c"},
    }
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]
    (package / "c.py").write_text("def thing():\n    import json\n")
    assert find_cycle(import_graph(package)) is None
