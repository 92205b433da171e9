"""The layer contract: which part of nla_explorer may import what, read from the sources (``ast``).

Dependencies point down (README, "How the code is laid out"): the engine imports no Qt and nothing
above it; graph_view and panels do not import each other; only the window assembles. Every import
counts, also one inside a function; relative imports are resolved first.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[2]
QT = ("PySide6", "shiboken6", "pyqtgraph")
WINDOW = ("nla_explorer.main_window", "nla_explorer.app", "nla_explorer.window")


@dataclass(frozen=True)
class Rule:
    """Modules under ``layer`` (a package path) import nothing matching ``forbidden`` (fnmatch
    patterns; a pattern also covers its submodules) unless it matches ``allowed``."""

    layer: str
    forbidden: tuple[str, ...]
    allowed: tuple[str, ...] = ()
    why: str = ""


RULES = (
    Rule("nla_explorer.engine", QT, why="the engine runs headless: no Qt"),
    Rule("nla_explorer.engine", ("nla_explorer",), allowed=("nla_explorer.engine",),
         why="the engine imports nothing above it"),
    Rule("nla_explorer.graph_view", ("nla_explorer.panels",) + WINDOW,
         why="graph_view imports neither the panels nor the window"),
    Rule("nla_explorer.panels", ("nla_explorer.graph_view",) + WINDOW,
         why="panels import neither graph_view nor the window"),
    Rule("nla_explorer.drawing", ("nla_explorer.graph_view", "nla_explorer.panels") + WINDOW,
         why="drawing helpers are shared by graph_view and panels and import neither"),
)
#: Packages whose modules must not import each other in a circle (lazy imports included).
ACYCLIC = ("nla_explorer",)


def sources(root: Path) -> list[Path]:
    return sorted((root / "nla_explorer").rglob("*.py"))


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str, root: Path) -> bool:
    path = root.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, module) for every module ``path`` imports: ``from a import b`` imports ``a.b`` when
    that is a module under ``root``, else ``a``; relative imports are made absolute."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {(node.lineno, alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add((node.lineno, sub if is_module(sub, root) else base))
    return sorted(found)


def matches(module: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch(module, p) or fnmatch(module, p + ".*") for p in patterns)


def violations(root: Path, rules=RULES) -> list[str]:
    """One line per forbidden import under ``root``: the file, the line, the module, the rule."""
    out = []
    for path in sources(root):
        name = module_name(path, root)
        for rule in rules:
            if not matches(name, (rule.layer,)):
                continue
            out += [f"{path.relative_to(root)}:{line} imports {module} ({rule.why})"
                    for line, module in imports(path, root)
                    if matches(module, rule.forbidden) and not matches(module, rule.allowed)]
    return out


def cycles(root: Path, packages=ACYCLIC) -> list[list[str]]:
    """Import circles among the modules of ``packages`` (each as a list of module names). A
    package's ``__init__`` gathers its submodules for users outside: its imports are left out."""
    graph = nx.DiGraph()
    modules = {module_name(p, root): p for p in sources(root)}
    for name, path in modules.items():
        if path.name == "__init__.py" or not matches(name, packages):
            continue
        for _, module in imports(path, root):
            if module in modules and module != name and matches(module, packages):
                graph.add_edge(name, module)
    return sorted(sorted(c) for c in nx.simple_cycles(graph))


# -- the contract on the real sources ------------------------------------------------------------
def test_layers_import_only_downward():
    found = violations(ROOT)
    assert not found, "layer contract broken:\n" + "\n".join(found)


def test_no_import_cycles():
    found = cycles(ROOT)
    assert not found, "import cycles: " + "; ".join(" -> ".join(c) for c in found)


def test_engine_and_cli_import_without_qt():
    """The contract at run time: a fresh interpreter with Qt made unimportable runs the engine and
    the headless CLI, and nothing of Qt ends up loaded."""
    script = textwrap.dedent("""
        import sys
        for mod in ("PySide6", "pyqtgraph", "shiboken6"):
            sys.modules[mod] = None  # any import of them now fails
        import nla_explorer.engine as engine
        from nla_explorer import cli
        exp = engine.explore_code("x = torch.randn(3, requires_grad=True)\\ny = (x * x).sum()")
        assert len(exp.graph) == 3
        assert cli.main(["trace", "--example", "quadratic", "--json"]) == 0
        assert not any(m.startswith(("PySide6", "pyqtgraph")) for m in sys.modules
                       if sys.modules[m] is not None)
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr


# -- the checker itself, on a made-up tree -------------------------------------------------------
FAKE = {
    "nla_explorer/__init__.py": "",
    "nla_explorer/engine/__init__.py": "from nla_explorer.engine.good import x\n",
    "nla_explorer/engine/good.py": "import torch\nfrom . import sibling\nfrom .code import plot\n",
    "nla_explorer/engine/qt.py": "def later():\n    from PySide6.QtGui import QColor\n",
    "nla_explorer/engine/up.py": "from .. import value_text\n",
    "nla_explorer/value_text.py": "",
    "nla_explorer/engine/code/__init__.py": "",
    "nla_explorer/engine/code/plot.py": "import pyqtgraph as pg\n",
    "nla_explorer/graph_view/__init__.py": "",
    "nla_explorer/graph_view/view.py": "from nla_explorer.panels.inspector import InspectorPanel\n",
    "nla_explorer/graph_view/a.py": "from nla_explorer.graph_view import b\n",
    "nla_explorer/graph_view/b.py": "def f():\n    from nla_explorer.graph_view.a import g\n",
    "nla_explorer/graph_view/style.py": "",
    "nla_explorer/panels/__init__.py": "",
    "nla_explorer/panels/card.py": "from ..graph_view import style\n",
    "nla_explorer/panels/menu.py": "import nla_explorer.window.chrome\n",
    "nla_explorer/panels/fine.py": "from nla_explorer.drawing.heatmap import heatmap_image\n",
}


@pytest.fixture
def fake_tree(tmp_path):
    for name, text in FAKE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_checker_names_each_offending_file_and_import(fake_tree):
    found = violations(fake_tree)
    expected = [
        ("nla_explorer/engine/code/plot.py:1 imports pyqtgraph", "no Qt"),
        ("nla_explorer/engine/qt.py:2 imports PySide6.QtGui", "no Qt"),
        ("nla_explorer/engine/up.py:1 imports nla_explorer.value_text", "nothing above it"),
        ("nla_explorer/graph_view/view.py:1 imports nla_explorer.panels.inspector", "panels"),
        ("nla_explorer/panels/card.py:1 imports nla_explorer.graph_view.style", "graph_view"),
        ("nla_explorer/panels/menu.py:1 imports nla_explorer.window.chrome", "window"),
    ]
    assert [line.partition(" (")[0] for line in found] == [where for where, _ in expected]
    for line, (_, why) in zip(found, expected):
        assert why in line  # names the rule it breaks


def test_checker_finds_a_cycle_through_a_lazy_import(fake_tree):
    assert cycles(fake_tree) == [["nla_explorer.graph_view.a", "nla_explorer.graph_view.b"]]
