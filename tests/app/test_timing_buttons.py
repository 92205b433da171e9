"""The timing panel's Results box: the buttons reach the panel, file names come from dialogs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from nla_explorer.engine.timing.sweep import TimingResult, results_to_csv
from nla_explorer.panels.timing import TimingPanel
from nla_explorer.panels.timing_buttons import ResultsButtons


def test_save_and_load_buttons_go_through_the_dialogs(qtbot, tmp_path, monkeypatch):
    panel = TimingPanel()
    qtbot.addWidget(panel)
    result = TimingResult("matmul", 64, "cpu", "float32", median_s=1e-4, iqr_s=1e-6, repeats=5,
                          gflops=5.2)
    source = tmp_path / "earlier.csv"
    source.write_text(results_to_csv([result]), encoding="utf-8")
    box = panel.findChild(ResultsButtons)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(source), ""))
    qtbot.mouseClick(box.load_button, Qt.LeftButton)
    assert [r.op for r in panel.all_results()] == ["matmul"]
    target = tmp_path / "saved.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    qtbot.mouseClick(box.save_button, Qt.LeftButton)
    assert target.read_text(encoding="utf-8") == results_to_csv(panel.all_results())
    qtbot.mouseClick(box.clear_button, Qt.LeftButton)
    assert panel.all_results() == []
