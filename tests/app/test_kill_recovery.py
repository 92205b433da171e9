"""Kill -9 while editing (two real processes): the next start offers the autosaved work back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EDIT = ("f.backward()", "g = f * f\ng.backward()")


# -- kill -9 while editing: the next start restores the work -------------------------------
CHILD = textwrap.dedent('''
    """Start the real app (run_app); ``edit``: make an edit, then wait to be killed;
    ``restore``: answer Yes to the recovery question and print what the window shows."""
    import json, sys
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox
    from nla_explorer import app as nla_app
    from nla_explorer.main_window import MainWindow
    from nla_explorer.window.help import TOUR_DONE_KEY

    def window():
        return next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))

    def edit():
        w = window()
        if w.document.graph is None:  # the start-up capture is still in the child
            QTimer.singleShot(100, edit)
            return
        w.code_panel.set_text(w.code_panel.text().replace(*EDIT))
        w.code_panel.request_capture()
        print("EDITED", w.document.graph.output.name, flush=True)

    def report():
        w = window()
        if w.document.graph is None:
            QTimer.singleShot(100, report)
            return
        print("STATE " + json.dumps({"asked": asked, "code": w.document.code,
                                     "output": w.document.graph.output.name,
                                     "modified": w.isWindowModified()}), flush=True)
        QApplication.quit()

    app = nla_app.application()
    settings = QSettings()
    settings.setValue("session/autosave_s", 5)  # the shortest interval the preferences allow
    settings.setValue(TOUR_DONE_KEY, True)
    settings.sync()
    asked = []
    if sys.argv[1] == "edit":
        QTimer.singleShot(200, edit)
    else:
        QMessageBox.question = lambda *a, **k: asked.append(a[1]) or QMessageBox.Yes
        QTimer.singleShot(200, report)
    sys.exit(nla_app.run_app())
''').replace("*EDIT", f"*{EDIT!r}")


def child_env(home: Path) -> dict:
    env = dict(os.environ)
    run = home / "run"
    run.mkdir(mode=0o700, exist_ok=True)
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(home), XDG_DATA_HOME=str(home / "data"),
               XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"),
               XDG_RUNTIME_DIR=str(run), PYTHONPATH=str(ROOT))
    return env


def test_kill_9_while_editing_then_the_next_start_restores_the_work(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = child_env(tmp_path)
    log = tmp_path / "first.log"  # a file, not a pipe: a full pipe would block the child
    with log.open("w") as out:
        first = subprocess.Popen([sys.executable, str(script), "edit"], env=env, cwd=tmp_path,
                                 stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, recovery = time.monotonic() + 60, None
        while recovery is None and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.1)
            for path in (tmp_path / "data").rglob("recovery-*.nla"):
                if '"name": "g"' in path.read_text():
                    recovery = path  # the autosave timer wrote the edit
        assert first.poll() is None, log.read_text()
        assert recovery is not None, "no recovery file with the edit within 60 s"
        os.kill(first.pid, signal.SIGKILL)  # no closeEvent, no clean-up: a crash
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL
    assert "EDITED g" in log.read_text()
    assert recovery.is_file()  # nothing removed it
    second = subprocess.run([sys.executable, str(script), "restore"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    line = next((x for x in second.stdout.splitlines() if x.startswith("STATE ")), None)
    assert line, second.stdout + second.stderr
    state = json.loads(line[len("STATE "):])
    assert state["asked"] == ["Restore unsaved work?"]
    assert state["output"] == "g" and "g = f * f" in state["code"]
    assert state["modified"]  # restored as unsaved work
