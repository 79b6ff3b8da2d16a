"""The layers' contract, read from the source of every module of the package.

- ``pipetui.core``, ``pipetui.store`` and ``pipetui.config`` know nothing of
  Textual, click or rich;
- ``pipetui.tui`` reaches the database only through ``pipetui.core``: it
  imports neither ``pipetui.store`` nor peewee (nor playhouse, which ships
  with peewee);
- no two modules of the package import each other.

Every import statement counts, inside functions too, except those under
``if TYPE_CHECKING:``. The modules are found on disk, not listed here, so a
new module is checked the day it is added; the tests at the end check the
walker itself, so that the contract cannot pass by finding nothing.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "pipetui"
UI_LIBRARIES = ("textual", "click", "rich")
HEADLESS = ("pipetui.core", "pipetui.store", "pipetui.config")

# (modules the rule is for, what they must not import, why)
RULES = (
    (HEADLESS, UI_LIBRARIES, "the core and the store know nothing of the TUI or the CLI"),
    (("pipetui.tui",), ("pipetui.store", "peewee", "playhouse"),
     "the TUI reaches the database only through pipetui.core"),
)


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool


@dataclass(frozen=True)
class Import:
    target: str      # the module imported, resolved: "pipetui.tui.screens.board", "peewee"
    line: int
    statement: str   # as written, for the message


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def package_root() -> Path:
    """The folder the installed package is imported from, without importing it."""
    spec = importlib.util.find_spec(PACKAGE)
    assert spec is not None and spec.submodule_search_locations, f"{PACKAGE} is not importable"
    return Path(list(spec.submodule_search_locations)[0])


def package_modules(root: Path) -> dict[str, Module]:
    """Every .py file under root, by module name; root's folder name is the package's."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        name = ".".join([root.name, *parts])
        modules[name] = Module(name, path, is_package)
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _ImportCollector(ast.NodeVisitor):
    def __init__(self, module: Module, known: set[str]):
        self.module = module
        self.known = known
        self.found: list[Import] = []

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append(Import(alias.name, node.lineno, ast.unparse(node)))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            parts = self.module.name.split(".")
            if not self.module.is_package:
                parts.pop()
            if node.level > len(parts):
                raise ValueError(
                    f"{self.module.path}:{node.lineno}: relative import beyond the top package"
                )
            parts = parts[: len(parts) - node.level + 1]
            if node.module:
                parts.append(node.module)
            base = ".".join(parts)
        else:
            base = node.module
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            target = submodule if submodule in self.known else base
            self.found.append(Import(target, node.lineno, ast.unparse(node)))


def module_imports(module: Module, known: set[str]) -> list[Import]:
    tree = ast.parse(module.path.read_text(encoding="utf-8"), filename=str(module.path))
    collector = _ImportCollector(module, known)
    collector.visit(tree)
    return collector.found


def all_imports(modules: dict[str, Module]) -> dict[str, list[Import]]:
    known = set(modules)
    return {name: module_imports(module, known) for name, module in modules.items()}


def violations(modules: dict[str, Module]) -> list[str]:
    imports = all_imports(modules)
    problems = []
    for name, found in imports.items():
        seen = set()
        for imp in found:
            for importers, forbidden, why in RULES:
                if not any(within(name, prefix) for prefix in importers):
                    continue
                if (imp.line, imp.target) in seen:
                    continue
                if any(within(imp.target, prefix) for prefix in forbidden):
                    seen.add((imp.line, imp.target))
                    problems.append(
                        f"{name} imports {imp.target} (line {imp.line}: {imp.statement}): {why}"
                    )
    edges: dict[tuple[str, str], Import] = {}
    for name, found in imports.items():
        for imp in found:
            if imp.target in modules and imp.target != name:
                edges.setdefault((name, imp.target), imp)
    for (a, b), imp in sorted(edges.items()):
        back = edges.get((b, a))
        if back is not None and a < b:
            problems.append(
                f"{a} and {b} import each other ({a} line {imp.line}: {imp.statement}; "
                f"{b} line {back.line}: {back.statement})"
            )
    return problems


# The contract ------------------------------------------------------------


def test_the_layers_keep_to_their_contract():
    problems = violations(package_modules(package_root()))
    if problems:
        pytest.fail(
            f"{len(problems)} layering violation(s):\n"
            + "\n".join(f"  - {problem}" for problem in problems),
            pytrace=False,
        )


def libraries_loaded_by(names: list[str]) -> list[str]:
    """Import the modules in turn in a fresh interpreter; which module first
    brings in each of textual, click and rich."""
    code = textwrap.dedent("""
        import importlib, json, sys
        loaded = set()
        for name in json.loads(sys.argv[1]):
            importlib.import_module(name)
            for library in json.loads(sys.argv[2]):
                if library in sys.modules and library not in loaded:
                    loaded.add(library)
                    print(f"importing {name} loads {library}")
    """)
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(names), json.dumps(UI_LIBRARIES)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_core_and_store_import_without_textual_click_or_rich():
    names = [
        name for name in package_modules(package_root())
        if any(within(name, prefix) for prefix in HEADLESS)
    ]
    assert "pipetui.core.deals" in names and "pipetui.store.models" in names
    assert libraries_loaded_by(names) == []


def test_importing_the_cli_touches_no_database(tmp_path):
    code = "import pipetui.cli, pipetui.tui.app"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")})
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "data").exists()


# The walker itself ---------------------------------------------------------


def write_package(root: Path, files: dict[str, str]) -> dict[str, Module]:
    """A synthetic package named pipetui under root, from {relative path: source}."""
    for relative, source in files.items():
        path = root / PACKAGE / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    return package_modules(root / PACKAGE)


def test_the_walker_finds_two_modules_importing_each_other(tmp_path):
    modules = write_package(tmp_path, {
        "__init__.py": "",
        "core/__init__.py": "",
        "core/a.py": "from . import b\n",
        "core/b.py": """
            def later():
                import pipetui.core.a
        """,
    })
    assert set(modules) == {"pipetui", "pipetui.core", "pipetui.core.a", "pipetui.core.b"}
    problems = violations(modules)
    assert len(problems) == 1
    assert "pipetui.core.a and pipetui.core.b import each other" in problems[0]


def test_the_walker_resolves_relative_and_from_imports(tmp_path):
    modules = write_package(tmp_path, {
        "__init__.py": "",
        "tui/__init__.py": "from . import app\n",
        "tui/app.py": "",
        "tui/screens/__init__.py": "from . import board\nfrom .board import Board\n",
        "tui/screens/board.py": """
            import pipetui.core.deals as deals
            from .. import app
            from ..widgets import card
            from ..widgets.card import Card
            from pipetui.tui import screens
            from pipetui.core import *
            from rich.text import Text
        """,
        "tui/widgets/__init__.py": "",
        "tui/widgets/card.py": "",
        "core/__init__.py": "",
        "core/deals.py": "",
    })
    imports = all_imports(modules)
    assert [i.target for i in imports["pipetui.tui"]] == ["pipetui.tui.app"]
    assert [i.target for i in imports["pipetui.tui.screens"]] == [
        "pipetui.tui.screens.board", "pipetui.tui.screens.board",
    ]
    assert [i.target for i in imports["pipetui.tui.screens.board"]] == [
        "pipetui.core.deals", "pipetui.tui.app", "pipetui.tui.widgets.card",
        "pipetui.tui.widgets.card", "pipetui.tui.screens", "pipetui.core", "rich.text",
    ]
    # a package and its module import each other: pipetui.tui.screens / .board
    assert violations(modules) == [
        "pipetui.tui.screens and pipetui.tui.screens.board import each other "
        "(pipetui.tui.screens line 1: from . import board; "
        "pipetui.tui.screens.board line 6: from pipetui.tui import screens)"
    ]


def test_the_walker_flags_layer_breaks_but_not_type_checking_imports(tmp_path):
    modules = write_package(tmp_path, {
        "__init__.py": "",
        "config.py": "import click.testing\n",
        "store/__init__.py": "",
        "store/models.py": """
            import richer_than_rich
            def render():
                from textual.widgets import Static
        """,
        "core/__init__.py": "",
        "core/deals.py": """
            import typing
            if typing.TYPE_CHECKING:
                from rich.text import Text
                from pipetui.tui import app
        """,
        "tui/__init__.py": "",
        "tui/app.py": """
            from typing import TYPE_CHECKING
            from pipetui.core import deals
            if TYPE_CHECKING:
                from peewee import Database
            else:
                from playhouse.db_url import connect
            from pipetui import store
        """,
    })
    problems = violations(modules)
    assert len(problems) == 4, problems
    assert [problem.partition(":")[0] for problem in problems] == [
        "pipetui.config imports click.testing (line 1",
        "pipetui.store.models imports textual.widgets (line 4",
        "pipetui.tui.app imports playhouse.db_url (line 7",
        "pipetui.tui.app imports pipetui.store (line 8",
    ]
    assert problems[1].startswith(
        "pipetui.store.models imports textual.widgets "
        "(line 4: from textual.widgets import Static): "
    )


def test_the_walker_sees_the_whole_package():
    root = package_root()
    modules = package_modules(root)
    assert len(modules) == len(list(root.rglob("*.py"))) > 30
    for name in ("pipetui", "pipetui.cli", "pipetui.config", "pipetui.core", "pipetui.core.deals",
                 "pipetui.store", "pipetui.store.models", "pipetui.tui", "pipetui.tui.app"):
        assert name in modules
    imports = all_imports(modules)
    assert any(within(i.target, "click") for i in imports["pipetui.cli.session"])
    assert any(within(i.target, "peewee") for i in imports["pipetui.store.models"])
    assert any(
        within(i.target, "textual") for name, found in imports.items()
        if within(name, "pipetui.tui") for i in found
    )
    assert any(i.target in modules for i in imports["pipetui.tui.app"])


def test_the_runtime_check_sees_what_a_module_loads():
    loaded = libraries_loaded_by(["pipetui.config", "pipetui.tui.app"])
    assert "importing pipetui.tui.app loads textual" in loaded
    assert not any(line.startswith("importing pipetui.config ") for line in loaded)
