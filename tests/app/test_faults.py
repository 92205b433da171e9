"""Faults injected into the running window: each is reported, and the window goes on.

Covered elsewhere: corrupt preference values (test_preferences_help), failing and atomic saves
and exports (test_security, test_export), an error inside a training run (test_training_panel),
out of memory in the timing engine, CPU and GPU (test_timing_engine), the crash dialog's
buttons (test_crash_dialog), restoring the recovery file in-process (test_window_sessions).
Here: the same faults through the whole window, and the ones nothing else injects: an exception
in the training and the timing worker, out of memory in a capture, a block edit and a timing case,
Graphviz missing, unwritable export and session paths, a corrupt settings file, an exception in a
slot and in a worker thread (the crash dialog). Kill -9 while editing: test_kill_recovery.
"""

from dataclasses import replace

import pytest
import torch
from PySide6.QtCore import QByteArray, QSettings, QThreadPool, QTimer

import nla_explorer.engine.autograd.backward_calls as backward_calls
import nla_explorer.panels.timing as timing_panel
import nla_explorer.panels.training as training_panel
from nla_explorer.crash_dialog import CrashHandler
from nla_explorer.engine.blocks import edits as E
from nla_explorer.engine.timing.sweep import OPS
from nla_explorer.graph_view.layout import dot as dot_layout
from nla_explorer.main_window import MainWindow

EDIT = ("f.backward()", "g = f * f\ng.backward()")


def short_training(window):
    window.training.poly_controls.slider_widget(window.training.epochs_slider).set_value(20)
    window.training.throttle.stop()


def choose_small_sweep(panel):
    """matmul, float32, CPU, n = 16 and 32, 10 ms a case."""
    for name, box in panel.device_boxes.items():
        box.setChecked(name == "cpu")
    panel.size_min.setCurrentText("16")
    panel.size_max.setCurrentText("32")
    panel.min_time.setValue(0.01)
    return panel


def edited_quadratic(window) -> None:
    window.load_example("quadratic")
    window.code_panel.set_text(window.code_panel.text().replace(*EDIT))
    window.code_panel.request_capture()


# -- exceptions inside workers -------------------------------------------------------------
def test_an_exception_inside_the_training_worker_is_reported_and_the_window_goes_on(
        window, qtbot, monkeypatch):
    real_train = training_panel.train

    def broken(config):
        yield from list(real_train(config))[:5]
        raise ValueError("injected: a NaN in the weights")

    monkeypatch.setattr(training_panel, "train", broken)
    short_training(window)
    window.training.start()
    qtbot.waitUntil(lambda: "injected" in window.training.status_label.text(), timeout=20_000)
    assert window.training.status_label.text().startswith("Training failed")
    assert not window.training.is_running()
    qtbot.waitUntil(lambda: not window.training.busy(), timeout=10_000)
    edited_quadratic(window)  # the rest of the window is untouched
    assert window.document.graph.output.name == "g"
    monkeypatch.setattr(training_panel, "train", real_train)
    with qtbot.waitSignal(window.training.run_finished, timeout=30_000):
        window.training.start()
    assert window.training.status_label.text().startswith("Done")


def test_an_exception_inside_the_timing_worker_is_reported_and_run_is_enabled_again(
        window, qtbot, monkeypatch):
    real_sweep = timing_panel.sweep

    def broken(plan, cancel=None):
        yield from list(real_sweep(plan, cancel=cancel))[:1]
        raise RuntimeError("injected: the timer went backwards")

    panel = choose_small_sweep(window.timing)
    monkeypatch.setattr(timing_panel, "sweep", broken)
    with qtbot.waitSignal(panel.sweep_finished, timeout=20_000) as outcome:
        assert panel.start()
    assert outcome.args == ["failed"]
    assert "The sweep failed: injected: the timer went backwards" in panel.status_label.text()
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert len(panel.results) == 1  # what was measured before the error is kept
    monkeypatch.setattr(timing_panel, "sweep", real_sweep)
    with qtbot.waitSignal(panel.sweep_finished, timeout=20_000) as outcome:
        panel.run_button.click()
    assert outcome.args == ["done"] and len(panel.results) == 2


@pytest.mark.parametrize("error", [MemoryError(), torch.cuda.OutOfMemoryError(
    "CUDA out of memory. Tried to allocate 2.00 GiB")], ids=["memory_error", "cuda_oom"])
def test_out_of_memory_in_a_timing_case_is_a_failed_row_and_the_sweep_goes_on(
        window, qtbot, monkeypatch, error):
    """Simulated here (this machine has no GPU); test_timing_engine allocates for real on one."""
    real = OPS["matmul"].setup

    def setup(n, device, dtype):
        if n > 16:
            raise error
        return real(n, device, dtype)

    monkeypatch.setitem(OPS, "matmul", replace(OPS["matmul"], setup=setup))
    panel = choose_small_sweep(window.timing)
    with qtbot.waitSignal(panel.sweep_finished, timeout=20_000) as outcome:
        assert panel.start()
    assert outcome.args == ["done"]
    assert [r.status for r in panel.results] == ["ok", "failed"]
    assert "n=32" in panel.results[1].error
    assert "1 skipped or failed" in panel.status_label.text() and panel.run_button.isEnabled()


# -- out of memory while capturing ----------------------------------------------------------
def in_process(window) -> None:
    """The document's own handling of what the engine raises: evaluated here, not in the child,
    so that a monkeypatched engine takes part (the window's child is tested on its own)."""
    window.document.evaluator = None


def raise_memory_error(*args, **kwargs):
    raise MemoryError()


@pytest.mark.parametrize("where", ["capture", "record_steps"])
def test_out_of_memory_while_capturing_code_keeps_the_last_good_graph(window, monkeypatch, where):
    in_process(window)  # the injection patches this process (test_evaluation_child.py: the child)
    window.load_example("quadratic")
    graph, code = window.document.graph, window.document.code
    monkeypatch.setattr(backward_calls, where, raise_memory_error)  # f.backward() ends the code
    edited_quadratic(window)
    assert "out of memory" in window.document.error
    assert window.document.graph is graph and window.document.code == code
    assert "out of memory" in window.code_panel.error_label.text()
    monkeypatch.undo()
    edited_quadratic(window)
    assert window.document.error == "" and window.document.graph.output.name == "g"


def test_torch_out_of_memory_in_an_op_names_the_block(window, monkeypatch):
    in_process(window)  # the injection patches this process (test_evaluation_child.py: the child)
    window.load_example("relu_layer")
    graph = window.document.graph

    def oom(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(torch, "relu", oom)
    window.code_panel.set_text(window.code_panel.text().replace("d1 = 4, 3", "d1 = 4, 5"))
    window.code_panel.request_capture()
    error = window.document.error
    assert "out of memory" in error and "relu" in error
    assert window.document.graph is graph


def test_out_of_memory_in_a_block_edit_keeps_the_last_good_graph(window, monkeypatch):
    """Regression: a MemoryError in a block edit escaped ``edit_blocks`` (only code was guarded)."""
    in_process(window)  # the injection patches this process (test_evaluation_child.py: the child)
    window.load_example("relu_layer")
    doc = window.document
    graph, expression = doc.graph, doc.expression
    monkeypatch.setattr(backward_calls, "capture", raise_memory_error)  # its out.backward()
    out = doc.expression.output
    assert not window.block_editor.apply(E.Rename(out, "result"))
    assert "out of memory" in doc.error
    assert doc.graph is graph and doc.expression == expression
    monkeypatch.undo()
    assert window.block_editor.apply(E.Rename(out, "result"))
    assert doc.graph.output.name == "result"


# -- Graphviz missing ----------------------------------------------------------------------
def test_layout_engine_dot_without_graphviz_falls_back_with_a_note(window, monkeypatch, tmp_path):
    monkeypatch.setattr(dot_layout.shutil, "which", lambda name: None)
    window.load_example("quadratic")
    window.toolbar.engine_combo.setCurrentText("dot")
    picture = window.graph_pane.picture
    assert picture is not None and picture.layout.engine == "builtin"
    assert "Graphviz 'dot' not found" in window.graph_pane.picture.note
    assert "Graphviz 'dot' not found" in window.statusBar().currentMessage()
    assert window.document.error == ""
    edited_quadratic(window)  # the next graph is drawn too
    output = window.document.graph.output_id
    assert window.graph_pane.picture.display.node_for_graph_id(output) is not None
    assert window.export.export_to(str(tmp_path / "g.dot"))  # DOT text needs no Graphviz program
    assert (tmp_path / "g.dot").read_text().lstrip().startswith("digraph")
    assert window.export.export_to(str(tmp_path / "g.svg"))


# -- unwritable export and session paths, through the window ------------------------------------
def test_unwritable_export_and_session_paths_are_reported_and_the_work_kept(
        window, monkeypatch, tmp_path):
    edited_quadratic(window)
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")  # works as root too, unlike a read-only folder
    assert not window.export.export_to(str(blocker / "graph.svg"))
    assert window.notifications.text.text().startswith("Export failed")
    assert not window.sessions.save_to(blocker / "work.nla")
    note = window.notifications.text.text()  # non-modal: no box blocks the window
    assert note.startswith("Cannot save") and "work.nla" in note
    assert window.isWindowModified() and window.document.graph.output.name == "g"
    assert window.sessions.save_to(tmp_path / "work.nla")  # somewhere writable: saved
    assert not window.isWindowModified()


# -- a corrupt settings file -------------------------------------------------------------------
CORRUPT_INI = b"""\x00\xff garbage [[[ no section
[window]
geometry=not bytes at all
state=@ByteArray(\\x01\\x02junk)
[view]
constants=maybe
font_size=huge
layout_engine=neato
theme=\\xff
[recent]
files=@ByteArray(abc), @Rect(1 2 3 4), /no/such/file.py
[session]
autosave_s=-5
[help]
tour_done=@Variant(junk)
"""


def test_a_corrupt_settings_file_opens_the_window_with_defaults(qtbot, tmp_path):
    """Regression: a geometry that was not bytes, or a recent-files list holding other types,
    raised TypeError in MainWindow.__init__: the app could not start at all."""
    path = tmp_path / "corrupt.ini"
    path.write_bytes(CORRUPT_INI)
    settings = QSettings(str(path), QSettings.IniFormat)
    window = MainWindow(settings, tmp_path / "recovery.nla")
    qtbot.addWidget(window)
    window.show()
    assert window.load_example("quadratic") and window.graph_pane.picture is not None
    assert window.toolbar.font_spin.value() == 11
    assert window.toolbar.engine_combo.currentText() == "auto"
    assert [a.text() for a in window.recent_menu.actions()] == ["/no/such/file.py"]
    window.close()  # and the file is written back clean
    settings.sync()
    again = QSettings(str(path), QSettings.IniFormat)
    assert isinstance(again.value("window/geometry"), QByteArray)
    assert again.value("view/font_size") in ("11", 11)


# -- an exception in a slot reaches the crash dialog ---------------------------------------
@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_shows_the_crash_dialog_and_the_window_goes_on(
        window, qtbot, monkeypatch, tmp_path):
    edited_quadratic(window)
    saved = tmp_path / "saved.nla"
    monkeypatch.setattr("nla_explorer.session_files.QFileDialog.getSaveFileName",
                        lambda *a, **k: (str(saved), ""))
    handler = CrashHandler(window, window.sessions.save_as)
    handler.install()
    try:
        def broken_inspector(*args, **kwargs):
            raise ZeroDivisionError("injected: the inspector divided by zero")

        monkeypatch.setattr(window.inspector, "show_node", broken_inspector)
        window.document.select(window.document.graph.output_id)  # the inspector follows later
        qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(),
                        timeout=5000)
        assert "ZeroDivisionError: injected" in handler.dialog.detailedText()
        first = handler.dialog
        QTimer.singleShot(0, lambda: 1 / 0)  # a second error: the same dialog, more details
        qtbot.wait(50)
        details = handler.dialog.detailedText()
        assert handler.dialog is first and "ZeroDivisionError: injected" in details
        assert "ZeroDivisionError: division by zero" in details
        save = next(b for b in first.buttons() if b.text().startswith("Save session"))
        save.click()
        assert saved.is_file() and not window.isWindowModified()
    finally:
        handler.uninstall()
    monkeypatch.undo()
    assert window.isVisible()
    window.code_panel.set_text(window.code_panel.text().replace("g = f * f", "g = f * f * f"))
    window.code_panel.request_capture()  # still working
    assert window.document.error == "" and window.document.graph.output.name == "g"


@pytest.mark.qt_no_exception_capture
def test_an_exception_escaping_a_worker_thread_shows_the_dialog_in_the_gui_thread(window, qtbot):
    """Regression: Qt's thread pool calls ``sys.excepthook`` in the worker, and the dialog was
    built there (a widget outside the GUI thread: never shown, undefined behaviour)."""
    handler = CrashHandler(window, lambda: None)
    handler.install()
    try:
        def escaping():
            raise ValueError("injected: escaped a worker")

        QThreadPool.globalInstance().start(escaping)
        qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(),
                        timeout=5000)
        assert handler.dialog.thread() is window.thread()
        assert "ValueError: injected: escaped a worker" in handler.dialog.detailedText()
    finally:
        handler.uninstall()
    assert window.isVisible()
