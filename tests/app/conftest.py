"""Fixtures of the Qt tests: test-mode standard paths, temporary settings, the main window."""

import pytest
from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtGui import QPalette


@pytest.fixture(autouse=True, scope="session")
def _test_paths():
    """Keep QStandardPaths (recovery files) away from the user's folders."""
    QStandardPaths.setTestModeEnabled(True)
    yield


@pytest.fixture(autouse=True)
def _steady_cursor(qapp):
    """No blinking text cursor, and the application's palette as it was before the test (a test
    that switches to the dark theme must not darken the next one's screenshots)."""
    qapp.setCursorFlashTime(0)
    palette = QPalette(qapp.palette())
    yield
    qapp.setPalette(palette)


@pytest.fixture
def settings(tmp_path):
    """QSettings in a temporary INI file, so tests never touch the user's settings.

    The layout engine is the built-in one: "auto" would pick Graphviz where it is installed, and
    the approved screenshots must not depend on the machine (tests that want dot choose it).
    """
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    settings.setValue("view/layout_engine", "builtin")
    return settings


@pytest.fixture
def window(qtbot, settings, tmp_path):
    """The main window, shown at 1400×900, with its recovery file in ``tmp_path``."""
    from nla_explorer.main_window import MainWindow
    w = MainWindow(settings, tmp_path / "recovery.nla")
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    return w
