"""Render the README's screenshots from the real app (offscreen): python docs/make_screenshots.py"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from PySide6.QtCore import QSettings  # noqa: E402

from nla_explorer.app import application  # noqa: E402
from nla_explorer.main_window import MainWindow  # noqa: E402


def main() -> int:
    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "s.ini"), QSettings.IniFormat)
        for example, leaf in (("quadratic", "x"), ("polyfit_net", "W")):
            window = MainWindow(settings)
            window.resize(1400, 860)
            window.show()
            window.load_example(example)
            window.document.select(window.document.graph.find(leaf).id)
            app.processEvents()
            window.grab().save(str(HERE / f"window_{example}.png"))
            window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
