"""The desktop entry's window class is the one the Qt application reports."""

import os
import subprocess
import sys
from pathlib import Path

from nla_explorer.desktop_entry import APP_ID, desktop_entry_text

ROOT = Path(__file__).resolve().parents[2]


def test_window_class_matches_the_application():
    """StartupWMClass is Qt's X11 class, the application name; a desktop file name must be ours."""
    code = ("from nla_explorer.app import application; a = application(); "
            "print(a.applicationName()); print(a.desktopFileName())")
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    name, desktop_name = (out.stdout.splitlines() + [""])[:2]
    text = desktop_entry_text(["/usr/bin/nla-explorer"])
    assert f"\nStartupWMClass={name}\n" in text
    assert desktop_name in ("", APP_ID)
