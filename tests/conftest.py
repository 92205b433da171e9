"""Test set-up: Qt offscreen before any Qt import; shared fixtures."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pytest  # noqa: E402
import torch  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _test_paths():
    """Keep QStandardPaths (recovery files) away from the user's folders."""
    from PySide6.QtCore import QStandardPaths
    QStandardPaths.setTestModeEnabled(True)
    yield


@pytest.fixture(autouse=True)
def _deterministic():
    torch.manual_seed(1234)
    yield


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def settings(tmp_path):
    """QSettings in a temporary INI file, so tests never touch the user's settings."""
    from PySide6.QtCore import QSettings
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


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
