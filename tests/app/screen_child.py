"""Run a window script in a child whose offscreen platform has one screen of a given size.

The offscreen screen of the test session is 800×800, smaller than a lecture hall's: full screen
and restored geometries shrink to it. Checks that need a 1280×720 or 1920×1080 screen run
``code`` (with ``sys.argv[1]`` a scratch folder) in a child process with such a screen.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: The start of a child's script: the app and a window's settings in the scratch folder.
WINDOW_SETUP = """
import json, sys
from pathlib import Path
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QDockWidget
from nla_explorer.main_window import MainWindow
app = QApplication([])
tmp = Path(sys.argv[1])
settings = QSettings(str(tmp / "s.ini"), QSettings.IniFormat)
settings.setValue("help/tour_done", True)
settings.setValue("view/layout_engine", "builtin")
"""


def run_on_screen(code: str, folder: Path, width: int, height: int) -> str:
    """The child's stdout; the child must exit 0 (else its stderr is the failure)."""
    screens = folder / "screens.json"
    screens.write_text(json.dumps({"screens": [{
        "name": f"{height}p", "x": 0, "y": 0, "width": width, "height": height,
        "logicalDpi": 96, "logicalBpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={screens}",
           "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True,
                         text=True, timeout=120, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout
