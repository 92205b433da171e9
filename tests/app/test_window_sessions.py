"""Undo/redo of edits, sessions saved and opened from the window, autosave and crash recovery."""

import json

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from nla_explorer.engine.sessions.nla_file import expression_to_json
from nla_explorer.main_window import MainWindow


@pytest.fixture
def make_window(qtbot, tmp_path, monkeypatch):
    warnings = []  # what the window reported (non-modal notifications)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)

    def make():
        w = MainWindow(settings, tmp_path / "recovery.nla")
        qtbot.addWidget(w)
        w.sessions.failed.connect(warnings.append)
        w.warnings = warnings
        return w
    return make


def state(w):
    return json.dumps(expression_to_json(w.document.expression), sort_keys=True)


def test_undo_redo_round_trip_to_identical_json(make_window, qtbot):
    w = make_window()
    w.load_example("quadratic")
    original = state(w)
    assert not w.isWindowModified()
    w.code_panel.set_text(w.code_panel.text().replace("f.backward()", "g = f * f\ng.backward()"))
    w.code_panel.request_capture()
    edited = state(w)
    assert edited != original and w.isWindowModified()
    assert w.document.graph.output.name == "g"
    w.undo_action.trigger()
    assert state(w) == original
    assert w.code_panel.text() == w.document.code and "g = f * f" not in w.code_panel.text()
    assert not w.isWindowModified()
    w.redo_action.trigger()
    assert state(w) == edited and w.document.graph.output.name == "g"


def test_failed_edit_is_not_an_undo_step(make_window):
    w = make_window()
    w.load_example("norm")
    count = w.document.undo_stack.count()
    w.code_panel.set_text("x = torch.randn(3)\ny = x @ torch.randn(4)\n")
    w.code_panel.request_capture()
    assert w.document.undo_stack.count() == count
    assert "inner sizes" in w.code_panel.error_label.text()


def test_save_and_open_a_session(make_window, tmp_path):
    w = make_window()
    w.load_example("relu_layer")
    path = tmp_path / "lecture.nla"
    assert w.sessions.save_to(path)
    assert json.loads(path.read_text())["format"] == "nla-explorer-session"
    assert "lecture.nla" in w.windowTitle()
    w2 = make_window()
    assert w2.open_path(str(path))
    assert state(w2) == state(w)
    assert w2.document.graph.output.name == "out" and not w2.isWindowModified()
    assert "y = torch.relu(A @ x + b)" in w2.code_panel.text()


def test_hostile_session_is_refused_and_current_work_kept(make_window, tmp_path):
    w = make_window()
    w.load_example("quadratic")
    before = state(w)
    bad = tmp_path / "evil.nla"
    data = expression_to_json(w.document.expression)
    data["blocks"][1]["form"] = "os.system"
    bad.write_text(json.dumps(data))
    assert not w.open_path(str(bad))
    assert "not a spelling" in w.warnings[-1]
    truncated = tmp_path / "cut.nla"
    truncated.write_text(json.dumps(data)[:200])
    assert not w.open_path(str(truncated))
    assert "not valid JSON" in w.warnings[-1]
    assert state(w) == before


def test_autosave_and_restore_after_a_crash(make_window, tmp_path):
    w = make_window()
    w.load_example("quadratic")
    assert not w.sessions.autosave()  # nothing unsaved yet
    w.code_panel.set_text(w.code_panel.text() + "g = f * f\n")
    w.code_panel.request_capture()
    assert w.sessions.autosave() and w.sessions.recovery_path.is_file()
    assert w.sessions.recovery_path.parent == tmp_path
    assert w.sessions.recovery_path.name.startswith("recovery-")
    edited = state(w)
    assert not make_window().sessions.has_recovery()  # w is alive: its file is not an orphan
    w.sessions.recovery.release()  # the app is killed here: no clean close, its lock goes
    w2 = make_window()
    assert w2.sessions.has_recovery()
    assert w2.sessions.restore_recovery()
    assert state(w2) == edited and w2.isWindowModified()
    orphan = w.sessions.recovery_path
    assert orphan.is_file()  # kept until w2's own recovery file holds the work
    assert w2.sessions.autosave() and not orphan.exists()


def test_clean_close_removes_only_this_windows_recovery_file(make_window, tmp_path):
    w = make_window()
    w.load_example("quadratic")
    other = tmp_path / "recovery.nla"  # another window's (or an older version's) file
    other.write_text("{}")
    w.sessions.recovery_path.write_text("{}")
    w.close()
    assert not w.sessions.recovery_path.exists() and other.read_text() == "{}"


def test_start_up_offers_to_restore_and_honours_the_answer(make_window, monkeypatch, tmp_path):
    w = make_window()
    w.load_example("quadratic")
    w.code_panel.set_text(w.code_panel.text().replace("f.backward()", "g = f * f\ng.backward()"))
    w.code_panel.request_capture()
    assert w.sessions.autosave()
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[1]) or QMessageBox.No)
    assert make_window().sessions.offer_recovery() is False and not asked  # w is running
    assert w.sessions.recovery_path.is_file()
    w.sessions.recovery.release()  # w crashes
    declined = make_window()
    assert declined.sessions.offer_recovery() is False and asked
    assert not w.sessions.recovery_path.exists()  # declined: the orphan is discarded
    assert w.sessions.autosave()
    w.sessions.recovery.release()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    accepted = make_window()
    assert accepted.sessions.offer_recovery() is True
    assert accepted.document.graph.output.name == "g"
