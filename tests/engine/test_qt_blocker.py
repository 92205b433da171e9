"""The engine run cannot import Qt: ``make test`` loads tests/engine/qt_blocker.py into it."""

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BLOCKED = ("PySide6", "PySide6.QtCore", "PySide6.QtGui", "shiboken6", "pyqtgraph")


def blocker_installed() -> bool:
    """Whether this interpreter runs with the blocker (importing its module would install it)."""
    return any(getattr(finder, "blocks_qt", False) for finder in sys.meta_path)


def test_this_run_cannot_import_qt():
    if not blocker_installed():
        pytest.skip("run without the Qt blocker: `make test` runs tests/engine with it")
    for name in BLOCKED:
        with pytest.raises(ImportError, match="blocked"):
            importlib.import_module(name)
    loaded = [m for m in sys.modules if m.partition(".")[0] in ("PySide6", "shiboken6",
                                                               "pyqtgraph", "pytestqt")]
    assert loaded == []


def test_make_test_runs_the_engine_tests_with_the_blocker():
    makefile = (ROOT / "Makefile").read_text()
    engine_run = re.search(r"^test-engine:.*\n\t(.+)$", makefile, re.MULTILINE)
    assert engine_run, "the Makefile has no test-engine target"
    command = engine_run.group(1)
    assert "-p tests.engine.qt_blocker" in command and "-p no:pytest-qt" in command
    assert command.rstrip().endswith("tests/engine")
    test = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE).group(1)
    assert "test-engine" in test and "test-app" in test


@pytest.mark.parametrize("module", ["PySide6", "shiboken6", "pyqtgraph"])
def test_blocker_refuses_qt_in_a_fresh_interpreter(module):
    code = f"import tests.engine.qt_blocker\nimport {module}\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=60)
    assert out.returncode != 0
    assert f"ImportError: {module} is blocked" in out.stderr


def test_blocker_refuses_to_start_after_qt_was_imported():
    """Too late to block: it says so instead of pretending."""
    code = "import shiboken6\nimport tests.engine.qt_blocker\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=60)
    assert out.returncode != 0
    assert re.search(r"Qt was imported before the blocker: .*shiboken6", out.stderr), out.stderr
