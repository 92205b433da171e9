"""The Time workspace's results table at projector size: every column it shows is whole, with no
sideways scrolling (at 1280×720 the columns after IQR were cut off); what it leaves out for room
is named under it and is in each row's tooltip and in Ctrl+C."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from nla_explorer.engine.timing.results import TimingResult, results_from_csv
from nla_explorer.panels.timing_cells import COLUMNS, PRIORITY, result_cells, short_source
from tests.app.test_timing_panel import synthetic_gpu_csv

THIS_RUN = [TimingResult("matmul", 16, "cpu", "float32", median_s=1.28e-6, iqr_s=1.4e-7,
                         repeats=178389, gflops=6.413, gbps=2.405, device_label="Xeon"),
            TimingResult("matmul", 8192, "cpu", "bfloat16", status="skipped",
                         error="predicted 41 s per call > 10 s")]


def _time_workspace(window, qtbot, tmp_path, width, height, naive=False):
    """The Time workspace at ``width``×``height`` with a loaded GPU sweep and this run's rows
    (one skipped): every kind of column has something to show."""
    window.resize(width, height)
    window.workspaces.switch("time")
    timing = window.timing
    timing.naive_box.setChecked(naive)
    timing.load_csv(synthetic_gpu_csv(tmp_path)[0])
    timing.results = list(THIS_RUN)
    timing.redraw()
    qtbot.wait(100)
    assert (window.width(), window.height()) == (width, height)
    assert timing.table.rowCount() == 18
    return timing.table


def shown_columns(table) -> list[str]:
    return [name for c, name in enumerate(COLUMNS) if not table.isColumnHidden(c)]


def assert_every_shown_column_whole(table) -> None:
    """No horizontal scroll bar; each shown column lies inside the viewport, as wide as its
    widest cell and its header (no text cut or elided)."""
    assert table.isVisible()
    assert not table.horizontalScrollBar().isVisible()
    assert table.horizontalScrollBar().maximum() == 0
    header, view = table.horizontalHeader(), table.viewport().width()
    assert header.length() <= view
    metrics = table.fontMetrics()
    for c, name in enumerate(COLUMNS):
        if table.isColumnHidden(c):
            continue
        left = header.sectionViewportPosition(c)
        assert left >= 0 and left + header.sectionSize(c) <= view, name
        widest = max(metrics.horizontalAdvance(table.item(r, c).text())
                     for r in range(table.rowCount()))
        header_text = header.fontMetrics().horizontalAdvance(name)
        assert header.sectionSize(c) >= max(widest, header_text) + 6, name


@pytest.mark.parametrize("naive", [False, True])
def test_at_720p_every_column_of_the_table_is_whole(window, qtbot, tmp_path, naive):
    table = _time_workspace(window, qtbot, tmp_path, 1280, 720, naive)
    assert_every_shown_column_whole(table)
    shown = shown_columns(table)
    # what tells the rows apart and says why a row has no time is always there
    assert {"op", "dtype", "device", "n", "median", "source", "status"} <= set(shown)
    note = table.parentWidget().note
    if table.left_out:
        assert note.isVisible() and all(name in note.text() for name in table.left_out)
        assert note.visibleRegion().boundingRect() == note.rect()  # whole, on screen
    assert set(shown) | set(table.left_out) >= {"op", "median", "IQR", "repeats", "GFLOP/s"}
    for row, result in enumerate(table.results):  # the left-out values, in the row's tooltip
        tip = table.item(row, 0).toolTip()
        if result.repeats:
            assert f"{result.repeats:,} calls" in tip
        if result.iqr_s is not None:
            assert "IQR" in tip
        if result.error:
            assert result.error in tip


def test_at_1080p_the_table_shows_more_and_stays_whole(window, qtbot, tmp_path):
    table = _time_workspace(window, qtbot, tmp_path, 1280, 720)
    at_720 = set(shown_columns(table))
    table = _time_workspace(window, qtbot, tmp_path, 1920, 1080)
    assert_every_shown_column_whole(table)
    assert set(shown_columns(table)) > at_720
    assert {"IQR", "GFLOP/s", "GB/s"} <= set(shown_columns(table))


def test_a_narrow_table_leaves_out_the_least_important_columns_first(window, qtbot, tmp_path):
    table = _time_workspace(window, qtbot, tmp_path, 1280, 720)
    shown = set(shown_columns(table))
    for name in table.left_out:
        assert all(PRIORITY[name] >= PRIORITY[other] for other in shown
                   if PRIORITY[other] > 1), name


def test_ctrl_c_copies_every_column_of_the_selected_rows(window, qtbot, tmp_path):
    table = _time_workspace(window, qtbot, tmp_path, 1280, 720)
    table.setFocus()
    table.selectRow(16)  # this run's matmul at n = 16
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    text = QGuiApplication.clipboard().text()
    assert text.splitlines()[0].startswith("op\tsize\tdevice\tdtype")
    assert results_from_csv(text) == [THIS_RUN[0]]  # repeats and GB/s too, at full precision


def test_compact_cells():
    cells = dict(zip(COLUMNS, result_cells(THIS_RUN[0])))
    assert cells["dtype"] == "f32" and cells["median"] == "1.28 µs"
    assert cells["GFLOP/s"] == "6.41" and cells["source"] == "this run"
    assert dict(zip(COLUMNS, result_cells(THIS_RUN[1])))["status"] == "skipped"
    reference = TimingResult("matmul", 16, "cuda", "float32", median_s=8e-6, gflops=42149.2,
                             source="NVIDIA H100 80GB HBM3 (reference run, not this machine)")
    assert short_source(reference).startswith("ref: NVIDIA") and len(short_source(reference)) <= 18
    assert dict(zip(COLUMNS, result_cells(reference)))["GFLOP/s"] == "42.1k"


def test_the_plots_keep_two_thirds_after_the_window_shrinks(window, qtbot, tmp_path):
    """1080p, another workspace, then 720p: the table had half the width, the plot squeezed."""
    table = _time_workspace(window, qtbot, tmp_path, 1920, 1080)
    window.workspaces.switch("train")
    window.resize(1280, 720)
    qtbot.wait(50)
    window.workspaces.switch("time")
    qtbot.wait(100)
    plots, results = window.timing.results_splitter.sizes()
    assert plots >= 0.6 * (plots + results) or results <= table.minimumSizeHint().width() + 2
    assert_every_shown_column_whole(table)
