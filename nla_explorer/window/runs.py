"""Run as Python in the window: the Code dock's cells run by a child process, with consent, limits,
Cancel, output and the result on the graph; and the safe interpreter's child for every capture.

Shift+Enter runs the cell at the cursor in the warm namespace (In[20] after In[18] works);
Ctrl+Shift+Enter runs every cell in a fresh one. The first run asks once whether to run the code
as Python (remembered in Preferences when the user says so). Opening a ``.py`` or ``.ipynb`` file
shows it and never runs it: the safe interpreter reads what it accepts, Run runs the rest.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from nla_explorer.document import Document
from nla_explorer.engine.errors import EngineError
from nla_explorer.evaluator import ChildEvaluator
from nla_explorer.engine.runner.cells import cell_at, read_program, split_cells
from nla_explorer.engine.runner.result import RunResult
from nla_explorer.panels.code_editor import CodeEditorPanel
from nla_explorer.panels.run_output import OutputEntry
from nla_explorer.preferences import load_preferences, save_preferences
from nla_explorer.python_runs import PythonRuns

CONSENT = ("Run as Python runs your code with Python and PyTorch, like a notebook does, in a "
           "separate process with a memory and time limit.\n\nRun only code you trust.")


class WindowRuns(QObject):
    """Connects the Code dock's Run buttons to a :class:`PythonRuns` and the document."""

    def __init__(self, window: QWidget, document: Document, code_panel: CodeEditorPanel,
                 settings: QSettings, show_message) -> None:
        super().__init__(window)
        self.window, self.document, self.code_panel = window, document, code_panel
        self.settings, self.show_message = settings, show_message
        prefs = load_preferences(settings)
        self.runs = PythonRuns(self, prefs.run_memory_mb, prefs.run_time_limit_s)
        self.asked = False  # consent given in this session (not remembered)
        self._what = ""
        self._ticker = QTimer(self)
        self._ticker.setInterval(100)
        self._ticker.timeout.connect(self._tick)
        code_panel.run_cell_requested.connect(self.run_cell)
        code_panel.run_all_requested.connect(self.run_all)
        code_panel.cancel_requested.connect(self.runs.cancel)
        # the safe interpreter runs in a child too: nothing of a program runs in the window
        self.evaluator = ChildEvaluator.shared()
        self.evaluator.set_limits(prefs.run_memory_mb, prefs.run_time_limit_s)
        document.evaluator = self.evaluator
        self.evaluator.busy_changed.connect(self._evaluating)
        code_panel.cancel_requested.connect(self.evaluator.cancel)
        self.runs.finished.connect(self._finished)
        self.runs.failed.connect(self._failed)

    # -- requests --------------------------------------------------------------------------------
    def run_cell(self, line: int) -> bool:
        """Run the cell holding ``line`` (1-based) in the warm namespace."""
        text = self.code_panel.text()
        cell = cell_at(text, line)
        if cell is None or cell.is_empty:
            self.show_message("Nothing to run in this cell", 3000)
            return False
        return self._start([(cell.label, cell.first_line, cell.source)], text, False, cell.label)

    def run_all(self) -> bool:
        """Run every cell in order, in a fresh namespace."""
        text = self.code_panel.text()
        cells = [(c.label, c.first_line, c.source) for c in split_cells(text) if not c.is_empty]
        if not cells:
            self.show_message("Nothing to run: the code is empty", 3000)
            return False
        return self._start(cells, text, True, "all cells")

    def _start(self, cells, text: str, fresh: bool, what: str) -> bool:
        if self.runs.running or not self.consent():
            return False
        prefs = load_preferences(self.settings)
        self.runs.set_limits(prefs.run_memory_mb, prefs.run_time_limit_s)
        self.evaluator.set_limits(prefs.run_memory_mb, prefs.run_time_limit_s)
        self._what = what
        self.code_panel.show_error("")
        self.code_panel.mark_error_line(None)
        self.runs.run(cells, text, fresh, self.document.value_limit)
        self.code_panel.set_running(True, f"Running {what} as Python…")
        self._ticker.start()
        return True

    def consent(self) -> bool:
        """Whether the user agrees to run code as Python (asked once; remembered on request)."""
        prefs = load_preferences(self.settings)
        if prefs.python_runs_allowed or self.asked:
            return True
        box = QMessageBox(QMessageBox.Question, "Run as Python", CONSENT,
                          QMessageBox.Ok | QMessageBox.Cancel, self.window)
        box.button(QMessageBox.Ok).setText("Run as Python")
        remember = QCheckBox("Don't ask again (Preferences)")
        box.setCheckBox(remember)
        box.setObjectName("consent_box")
        if box.exec() != QMessageBox.Ok:
            return False
        self.asked = True
        if remember.isChecked():
            save_preferences(self.settings, replace(prefs, python_runs_allowed=1))
        return True

    # -- results ---------------------------------------------------------------------------------
    def _evaluating(self, busy: bool) -> None:
        """A capture that takes a while: say so, and offer Cancel (the window keeps painting)."""
        if not self.runs.running:
            self.code_panel.set_running(busy, "Evaluating… (Cancel stops it)" if busy else "")

    def _tick(self) -> None:
        self.code_panel.set_running(True, f"Running {self._what} as Python… "
                                          f"{self.runs.elapsed():.1f} s   (Cancel stops it)")

    def _finished(self, result: RunResult, _text: str) -> None:
        self._ticker.stop()
        calls = result.total_calls
        summary = f"{self._what} ran in {result.seconds:.2f} s" + (
            f" · {calls} backward call{'s' if calls != 1 else ''}" if calls else "")
        self.code_panel.set_running(False, summary)
        self.code_panel.output.show_result([
            OutputEntry(o.label, o.text, o.figures, str(o.error) if o.error else "")
            for o in result.outputs])
        # the text as it is now: an edit made while the run went on is not replaced
        drawn = self.document.set_run(result, self.code_panel.text())
        if result.error is not None:
            self.code_panel.show_error(str(result.error))
            self.code_panel.mark_error_line(result.error.line)
        elif not drawn:
            self.show_message("The run made no tensor with a graph: nothing new to draw", 5000)

    def _failed(self, message: str) -> None:
        self._ticker.stop()
        self.code_panel.set_running(False, "")
        self.code_panel.show_error(message)

    # -- files -----------------------------------------------------------------------------------
    def open_code(self, path: str) -> bool:
        """Show a ``.py``, ``.txt`` or ``.ipynb`` file in the Code dock, never running it: the
        safe interpreter draws what it accepts; for the rest, Run (Shift+Enter) runs it."""
        try:
            text = read_program(path)
        except EngineError as exc:
            self.code_panel.show_error(str(exc))
            return False
        self.code_panel.set_text(text)
        if self.document.set_code(text, title=Path(path).name):
            return True
        # the safe reader's refusal without its hint: a course file runs whole, not a cell
        stop = self.document.error.split(" — ")[0].rstrip(".")
        name = Path(path).name
        self.code_panel.show_error(f"{name} is open, not run: the safe reader stops at {stop}. To "
                                   "run it as Python, press Run all (Ctrl+Shift+Enter).", True)
        self.show_message(f"Opened {name}: nothing drawn yet — Run all (Ctrl+Shift+Enter) runs "
                          "it as Python", 0)
        return True

    def close(self) -> None:
        self._ticker.stop()
        self.runs.close()
