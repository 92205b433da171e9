"""A pytest plugin that makes PySide6, shiboken6 and pyqtgraph unimportable.

``make test`` loads it with ``-p tests.engine.qt_blocker -p no:pytest-qt`` for the run of
tests/engine: pytest imports ``-p`` plugins before conftests and installed plugins, so the finder
below sits first on ``sys.meta_path`` before anything can import Qt, and every later import of
those packages (by a test, the engine, or a library) raises ImportError.
"""

import importlib.abc
import sys

BLOCKED = ("PySide6", "shiboken6", "pyqtgraph")


class QtBlocker(importlib.abc.MetaPathFinder):
    """A meta path finder that refuses the packages in :data:`BLOCKED` and their submodules."""

    blocks_qt = True  # what installed() looks for (the class may be imported under two names)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in BLOCKED:
            raise ImportError(f"{fullname} is blocked: the engine tests run without Qt",
                              name=fullname)
        return None


def loaded_qt_packages() -> list[str]:
    """The blocked packages already imported (wholly or in part) in this interpreter."""
    return sorted({m.partition(".")[0] for m in sys.modules
                   if m.partition(".")[0] in BLOCKED and sys.modules[m] is not None})


def installed() -> bool:
    """Whether a blocker is on ``sys.meta_path`` in this interpreter."""
    return any(getattr(finder, "blocks_qt", False) for finder in sys.meta_path)


def install() -> None:
    """Put the blocker first on ``sys.meta_path``; refuse if Qt is imported already (too late)."""
    already = loaded_qt_packages()
    if already:
        raise RuntimeError(f"Qt was imported before the blocker: {', '.join(already)}")
    if not installed():
        sys.meta_path.insert(0, QtBlocker())


install()


def pytest_report_header(config):
    return f"Qt blocked: {', '.join(BLOCKED)} are unimportable in this run"
