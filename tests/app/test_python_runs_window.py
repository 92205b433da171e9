"""Run as Python in the window, as a user drives it: cells, consent, Cancel, errors, every call.

The child process is real (a warm one per window); the window must keep painting while a program
runs (StallProbe) and say what happened when it fails.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from nla_explorer.engine.runner.cells import read_program
from nla_explorer.stall_probe import StallProbe
from tests.engine.course_cells import NOTEBOOKS
from tests.engine.test_own_function import SQUARE as OWN_FUNCTION

pytestmark = [pytest.mark.timeout(240)]

QUADRATIC = NOTEBOOKS / "nla_and_neural_networks.ipynb"
SQUARE = "# %% In[1]\n" + OWN_FUNCTION.replace("FACTOR", "3")  # 2 * x * g is right
LOOP = """# %% In[1]
import torch
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
xs = torch.randn(8, 3)
for epoch in range(100):
    opt.zero_grad()
    loss = (net(xs) ** 2).mean()
    loss.backward()
    opt.step()
"""


@pytest.fixture
def trusted(settings):
    settings.setValue("python/runs_allowed", 1)
    settings.setValue("python/time_limit_s", 60)
    return settings


def finish(qtbot, window, timeout=120_000):
    qtbot.waitUntil(lambda: not window.runs.runs.running, timeout=timeout)
    QApplication.processEvents()  # the result's signal, queued from the worker thread


def test_run_all_cells_of_a_course_notebook(qtbot, trusted, window):
    window.code_panel.set_text(read_program(QUADRATIC))
    qtbot.keyClick(window.code_panel.editor, Qt.Key_Return,
                   Qt.ControlModifier | Qt.ShiftModifier)
    finish(qtbot, window)
    doc = window.document
    assert doc.error == "" and len(doc.calls) == 1
    assert doc.graph.output.name == "f"
    texts = window.code_panel.output.texts()
    assert any("tensor(" in t for t in texts)
    x = doc.graph.find("x")
    manual = doc.manual_for(x.id)  # the notebook printed manual_grad_x beside x.grad
    assert [label for label, _ in manual] == ["manual_grad_x"]
    assert np.allclose(manual[0][1].values, doc.grad_of(x.id).values, atol=1e-5)


def test_cells_share_the_namespace_and_errors_mark_their_line(qtbot, trusted, window):
    text = ("# %% In[1]\nimport torch\nA = torch.eye(2, requires_grad=True)\n\n"
            "# %% In[2]\nf = (A * A).sum()\nf.backward()\nprint(A.grad)\n\n"
            "# %% In[3]\nprint(undefined_name)\n")
    window.code_panel.set_text(text)
    window.runs.run_cell(2)
    finish(qtbot, window)
    window.runs.run_cell(6)  # In[2] uses A from In[1]
    finish(qtbot, window)
    assert window.document.error == ""
    assert [n.name for n in window.document.graph.leaves] == ["A"]
    window.runs.run_cell(11)
    finish(qtbot, window)
    assert "NameError" in window.code_panel.error_label.text()
    assert window.code_panel.editor.error_block == 10  # line 11, 0-based block
    assert window.document.graph.output.name == "f"  # the last good graph stays


def test_the_window_paints_while_a_program_runs_and_cancel_ends_it(qtbot, trusted, window):
    window.code_panel.set_text("import time\ntime.sleep(60)\n")
    window.runs.run_cell(1)
    finish(qtbot, window)  # a warm child first: its start is not the point here
    probe = StallProbe()
    probe.start()
    window.runs.run_cell(1)
    assert window.code_panel.cancel_button.isVisible()
    qtbot.wait(800)
    started = time.monotonic()
    qtbot.mouseClick(window.code_panel.cancel_button, Qt.LeftButton)
    finish(qtbot, window, timeout=5000)
    probe.stop()
    assert time.monotonic() - started < 1.5
    assert "cancelled" in window.code_panel.error_label.text()
    assert probe.longest < 0.5, probe.longest
    window.code_panel.set_text("import torch\nx = torch.ones(2, requires_grad=True)\n"
                               "y = (x * 3).sum()\ny.backward()\n")
    window.runs.run_cell(1)  # a fresh child answers the next run
    finish(qtbot, window)
    assert window.document.graph.output.name == "y"


def test_a_crash_in_the_child_is_a_message_not_a_dead_window(qtbot, trusted, window):
    window.code_panel.set_text("import os\nos.abort()\n")
    window.runs.run_cell(1)
    finish(qtbot, window)
    assert "SIGABRT" in window.code_panel.error_label.text()
    assert window.isVisible()


def test_the_first_run_asks_for_consent(qtbot, settings, window):
    window.code_panel.set_text("x = 1\n")
    answers = []

    def answer(button):
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(50, lambda: answer(button))
            return
        answers.append(box.text())
        box.button(button).click()
    QTimer.singleShot(50, lambda: answer(QMessageBox.Cancel))
    assert window.runs.run_cell(1) is False
    assert "Run only code you trust" in answers[0]
    QTimer.singleShot(50, lambda: answer(QMessageBox.Ok))
    assert window.runs.run_cell(1) is True
    finish(qtbot, window)
    assert window.runs.run_cell(1) is True  # asked once per session
    finish(qtbot, window)
    assert len(answers) == 2


def test_a_training_loop_lists_its_backward_calls(qtbot, trusted, window):
    window.code_panel.set_text(LOOP)
    window.runs.run_all()
    finish(qtbot, window)
    box = window.stepper.call_box
    assert box.count() == len(window.document.calls) < 100
    assert box.itemText(0).startswith("1 · loss.backward()")
    assert box.itemText(box.count() - 1).startswith("100 · ")
    assert any("kept" in note and "of 100" in note for note in window.document.notes)
    modules = {n.module for n in window.document.graph.nodes if n.kind == "op"}
    assert {"net.0", "net.1", "net.2"} <= modules
    tanh = next(n for n in window.document.graph.nodes if n.op == "TanhBackward0")
    window.document.select(tanh.id)
    qtbot.waitUntil(lambda: "net.1" in window.inspector.subtitle.text())
    assert "net.0.weight" in {n.name for n in window.document.graph.leaves}
    box.activated.emit(0)  # the user picks call 1
    assert window.document.call_index == 0
    assert window.stepper.call_box.currentIndex() == 0


def test_an_example_run_as_python_shows_what_its_capture_shows(qtbot, trusted, window):
    """The InverseMatrix example defines the course's class, so Run (real Python) works on it too,
    with the same nodes, steps and gradients as Capture (which never runs the class's code)."""
    window.load_example("inverse_matrix")
    doc = window.document

    def seen():
        steps = [(doc.graph.node(s.node_id).op, s.grad_output_tensors[0].sum().item())
                 for s in doc.trace.steps]
        return sorted(n.op for n in doc.graph.nodes), steps

    captured = seen()
    assert "InverseMatrixBackward" in captured[0]
    window.runs.run_all()
    finish(qtbot, window)
    assert doc.error == "" and len(doc.calls) == 1
    ran = seen()
    assert ran[0] == captured[0]
    assert [op for op, _ in ran[1]] == [op for op, _ in captured[1]]
    assert np.allclose([g for _, g in ran[1]], [g for _, g in captured[1]])


def test_the_students_own_backward_is_checked(qtbot, trusted, window):
    window.code_panel.set_text(SQUARE)
    window.runs.run_all()
    finish(qtbot, window)
    checks = window.stepper.check_gradients()
    assert len(checks) == 1 and checks[0].checked and not checks[0].ok
    assert "✗ Square.backward" in window.stepper.check_result.text()
    z = window.document.graph.find("z")
    torch_z = torch.from_numpy(np.array(window.document.grad_of(z.id).values))
    numerical = torch.from_numpy(np.array(checks[0].numerical.values))
    assert torch.allclose(torch_z, 1.5 * numerical)  # 3x where 2x is right


@pytest.mark.parametrize("code, says", [
    ("print('x' * 10_000_000)", "more characters"),
    ("import torch\nt = torch.empty(50_000_000_000 // 4)", "out of memory"),
    ("import sys\nsys.exit(3)", "sys.exit(3)"),
    ("while True:\n    pass", "time limit"),
])
def test_faults_are_messages_and_the_window_keeps_painting(qtbot, trusted, window, code, says):
    trusted.setValue("python/time_limit_s", 3)
    window.code_panel.set_text("x = 1\n")
    window.runs.run_cell(1)  # a warm child first: its start is not the point here
    finish(qtbot, window)
    probe = StallProbe()
    probe.start()
    window.code_panel.set_text(code)
    window.runs.run_cell(1)
    finish(qtbot, window, timeout=30_000)
    qtbot.wait(50)
    probe.stop()
    output = window.code_panel.output
    shown = "\n".join([window.code_panel.error_label.text(), *output.texts(),
                       *(label.text() for label in output.findChildren(QLabel))])
    assert says in shown
    assert probe.longest < 0.5, probe.longest


def test_a_refusal_runs_the_code_as_python_from_its_own_link(qtbot, trusted, window):
    """Capture refuses a loop and says "press Run cell": that phrase is a link, and a click on it
    runs the cell as Python (consent given), which draws the loop's graph."""
    text = ("import torch\nx = torch.ones(3, requires_grad=True)\ny = x\n"
            "for k in range(3):\n    y = y * 2\ny.sum().backward()\n")
    code = window.code_panel
    code.set_text(text)
    code.request_capture()
    qtbot.waitUntil(lambda: bool(window.document.error), timeout=30_000)
    label = code.error_label
    assert "<a href='run'>press Run cell (Shift+Enter)</a>" in label.text()
    assert "for loop is not supported" in label.text()
    label.linkActivated.emit("run")
    finish(qtbot, window)
    assert window.document.error == ""
    assert [n.op for n in window.document.graph.nodes].count("MulBackward0") == 3
    assert window.document.graph.find("x").kind == "leaf"


def test_an_opened_notebook_says_where_the_reader_stops_and_runs_whole_from_its_link(
        qtbot, trusted, window):
    """Opening a notebook runs nothing; where the safe reader cannot follow it (the student's own
    autograd.Function), the message names the line and offers Run all, not Run cell (its cells
    need the ones before them); the link runs every cell as Python and draws the result."""
    path = NOTEBOOKS / "tensors_gradients_least_squares.ipynb"
    assert window.runs.open_code(str(path))
    label = window.code_panel.error_label
    text = label.text()
    assert "tensors_gradients_least_squares.ipynb is open, not run" in text
    assert "stops at line 73: &#x27;staticmethod&#x27; is not allowed" in text
    assert "<a href='all'>press Run all (Ctrl+Shift+Enter)</a>" in text
    assert "Run cell" not in text  # one way out, the one that works for a notebook
    assert window.statusBar().currentMessage().startswith("Opened tensors_gradients_least")
    assert "#eaf2fb" in label.styleSheet() and "#fdecea" not in label.styleSheet()  # a notice
    label.linkActivated.emit("all")
    finish(qtbot, window)
    assert window.document.graph is not None and window.document.calls
    assert not label.isVisible() or "open, not run" not in label.text()
