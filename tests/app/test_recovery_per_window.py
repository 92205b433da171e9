"""Recovery files are per window: a window deletes only its own, and every orphan is offered."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from nla_explorer.engine.examples import EXAMPLES
from nla_explorer.engine.sessions.atomic import TEMP_PREFIX
from nla_explorer.engine.sessions.nla_file import expression_to_json, load_session
from nla_explorer.main_window import MainWindow
from nla_explorer.session_files import RecoveryFiles

ROOT = Path(__file__).resolve().parents[2]

#: A window-less owner of a recovery file, as a window's SessionFiles holds it.
OWNER = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    from nla_explorer.engine.examples import EXAMPLES
    from nla_explorer.engine.sessions.nla_file import save_session
    from nla_explorer.session_files import RecoveryFiles
    owner = RecoveryFiles(Path(sys.argv[1]))
    assert owner.claim()
    save_session(owner.path, EXAMPLES[sys.argv[2]].expression())
    print(owner.path, flush=True)
    time.sleep(300)
''')

#: The real window, offscreen, with unsaved work autosaved.
WINDOW = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from nla_explorer.engine.examples import EXAMPLES
    from nla_explorer.main_window import MainWindow
    folder, name = Path(sys.argv[1]), sys.argv[2]
    settings = QSettings(str(folder.parent / (name + ".ini")), QSettings.IniFormat)
    settings.setValue("view/layout_engine", "builtin")
    window = MainWindow(settings, folder / "recovery.nla")
    assert window.document.set_expression(EXAMPLES[name].expression(), name)
    assert window.sessions.autosave()
    print(window.sessions.recovery_path, flush=True)
    time.sleep(300)
''')


def spawn(script: str, folder: Path, name: str) -> tuple[subprocess.Popen, Path]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    child = subprocess.Popen([sys.executable, "-c", script, str(folder), name], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = child.stdout.readline().strip()
    if not line:
        child.kill()
        child.wait(10)
        pytest.fail(f"the {name} child did not start")
    return child, Path(line)


def kill_9(*children: subprocess.Popen) -> None:
    for child in children:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        assert child.returncode == -signal.SIGKILL


def same(expression, name: str) -> bool:
    return expression_to_json(expression) == expression_to_json(EXAMPLES[name].expression())


@pytest.fixture
def make_window(qtbot, settings, tmp_path):
    folder = tmp_path / "recovery"

    def make():
        w = MainWindow(settings, folder / "recovery.nla")
        qtbot.addWidget(w)
        return w
    make.folder = folder
    return make


@pytest.fixture
def answers(monkeypatch):
    """Answer the recovery questions from ``answers.queue`` (default No); ``answers.asked``."""
    class Answers:
        queue, asked = [], []

    def question(parent, title, text, *args, **kwargs):
        Answers.asked.append(text)
        return Answers.queue.pop(0) if Answers.queue else QMessageBox.No

    monkeypatch.setattr(QMessageBox, "question", question)
    return Answers


def edited(w, name: str = "norm"):
    assert w.document.set_expression(EXAMPLES[name].expression(), name)
    assert w.sessions.autosave()
    return w.sessions.recovery_path


# -- two windows at once ---------------------------------------------------------------------------
def test_each_window_has_its_own_locked_file(make_window):
    first, second = make_window(), make_window()
    a, b = edited(first, "norm"), edited(second, "quadratic")
    assert a != b and a.parent == b.parent == make_window.folder
    assert a.name.startswith("recovery-") and a.with_name(a.name + ".lock").is_file()
    assert same(load_session(a)[0], "norm") and same(load_session(b)[0], "quadratic")


def test_closing_one_window_keeps_the_other_windows_file(make_window):
    """Regression: both shared recovery.nla, and a clean close deleted the other's work."""
    clean, busy = make_window(), make_window()
    assert clean.load_example("quadratic")
    work = edited(busy)
    clean.close()
    assert work.is_file() and same(load_session(work)[0], "norm")
    assert not clean.sessions.recovery_path.exists()


def test_a_second_window_does_not_offer_a_running_windows_work(make_window, answers):
    """Regression: a second window offered the first one's file, and "No" deleted it."""
    running = make_window()
    work = edited(running)
    second = make_window()
    assert not second.sessions.has_recovery()
    assert second.sessions.offer_recovery() is False and answers.asked == []
    assert work.is_file()


# -- crashes of real processes ---------------------------------------------------------------------
def test_live_owners_are_never_orphans_and_dead_ones_all_are(tmp_path):
    folder = tmp_path / "recovery"
    one, path_one = spawn(OWNER, folder, "norm")
    two, path_two = spawn(OWNER, folder, "quadratic")
    try:
        assert RecoveryFiles(folder).orphans() == []
    finally:
        kill_9(one, two)
    third = RecoveryFiles(folder)
    assert sorted(third.orphans()) == sorted([path_one, path_two])
    assert RecoveryFiles(folder).orphans() == []  # the third holds them while it offers them
    third.release()
    assert sorted(RecoveryFiles(folder).orphans()) == sorted([path_one, path_two])


def test_two_real_windows_killed_are_both_restored(make_window, answers):
    """Regression: after a crash of both windows only one was restored."""
    folder = make_window.folder
    first, path_first = spawn(WINDOW, folder, "norm")
    second, path_second = spawn(WINDOW, folder, "polyfit_net")
    kill_9(first, second)
    assert path_first.is_file() and path_second.is_file()
    answers.queue[:] = [QMessageBox.Yes]
    restored = make_window()
    assert restored.sessions.offer_recovery() is True and len(answers.asked) == 1
    assert "(1 of 2)" in answers.asked[0]
    got = restored.document.expression
    name = "norm" if same(got, "norm") else "polyfit_net"
    assert same(got, name) and restored.isWindowModified()
    answers.queue[:] = [QMessageBox.Yes]
    again = make_window()  # the other one is offered by the next start
    assert again.sessions.offer_recovery() is True and len(answers.asked) == 2
    other = "polyfit_net" if name == "norm" else "norm"
    assert same(again.document.expression, other)
    assert restored.sessions.autosave() and again.sessions.autosave()
    assert not path_first.exists() and not path_second.exists()  # now in the new windows' files
    left = sorted(p for p in folder.iterdir() if p.suffix == ".nla")
    assert left == sorted([restored.sessions.recovery_path, again.sessions.recovery_path])


def test_no_deletes_only_the_orphans_offered(make_window, answers):
    folder = make_window.folder
    dead, dead_path = spawn(OWNER, folder, "norm")
    kill_9(dead)
    legacy = folder / "recovery.nla"  # the one shared file of older versions: an orphan too
    legacy.write_text(json.dumps(expression_to_json(EXAMPLES["quadratic"].expression())))
    alive, alive_path = spawn(OWNER, folder, "relu_layer")
    try:
        window = make_window()
        assert window.sessions.offer_recovery() is False and len(answers.asked) == 2
        assert not dead_path.exists() and not legacy.exists()
        assert alive_path.is_file() and same(load_session(alive_path)[0], "relu_layer")
        assert not window.isWindowModified()
    finally:
        kill_9(alive)


def test_start_cleans_stale_temps_and_unused_locks_only(make_window):
    folder = make_window.folder
    alive, alive_path = spawn(OWNER, folder, "norm")
    try:
        stale, fresh = folder / f"{TEMP_PREFIX}recovery-1.nla-x", folder / f"{TEMP_PREFIX}y"
        unused = folder / "recovery-1-dead.nla.lock"
        for path in (stale, fresh, unused):
            path.write_text("")
        past = time.time() - 7200
        os.utime(stale, (past, past))
        make_window()
        assert not stale.exists() and not unused.exists() and fresh.exists()
        assert alive_path.is_file() and alive_path.with_name(alive_path.name + ".lock").is_file()
    finally:
        kill_9(alive)


def test_autosave_keeps_one_file_per_window_and_settings_are_separate(tmp_path, qtbot):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    w = MainWindow(settings, tmp_path / "rec" / "recovery.nla")
    qtbot.addWidget(w)
    path = edited(w)
    assert edited(w, "quadratic") == path  # the same file, written over atomically
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name,
                                                                    path.name + ".lock"])
    w.sessions.discard_recovery()
    assert list(path.parent.iterdir()) == []
