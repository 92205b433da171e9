"""The timing panel: a CPU sweep fills table and plots, quick Cancel, no-GPU path, CSV loading."""

from pathlib import Path

import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from nla_explorer.engine.timing.sweep import TimingResult, results_from_csv, results_to_csv
from nla_explorer.panels.timing import TimingPanel
from nla_explorer.panels.timing_buttons import NO_GPU
from tests.app.approved import assert_looks_approved

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
H100 = "NVIDIA H100 80GB HBM3"


@pytest.fixture
def panel(qtbot):
    p = TimingPanel()
    qtbot.addWidget(p)
    p.resize(1280, 820)
    p.show()
    qtbot.waitExposed(p)
    yield p
    if p.is_running():
        p.cancel()
        qtbot.waitUntil(lambda: not p.is_running(), timeout=5000)


def choose(panel, ops=("matmul",), dtypes=("float32",), devices=("cpu",), sizes=(16, 64),
           min_time=0.02):
    for i in range(panel.ops_list.count()):
        item = panel.ops_list.item(i)
        item.setCheckState(Qt.CheckState.Checked if item.text() in ops else Qt.CheckState.Unchecked)
    for name, box in panel.dtype_boxes.items():
        box.setChecked(name in dtypes)
    for name, box in panel.device_boxes.items():
        box.setChecked(name in devices)
    panel.size_min.setCurrentText(str(sizes[0]))
    panel.size_max.setCurrentText(str(sizes[1]))
    panel.min_time.setValue(min_time)


def run(qtbot, panel, timeout=20000):
    with qtbot.waitSignal(panel.sweep_finished, timeout=timeout) as blocker:
        panel.run_button.click()
    return blocker.args[0]


def synthetic_gpu_csv(tmp_path, name="h100.csv"):
    """A CSV as a GPU box would write it: CPU at 1 TFLOP/s + 2 µs, GPU at 50 TFLOP/s + 8 µs."""
    rows = []
    for n in (16, 32, 64, 128, 256, 512, 1024, 2048):
        for device, label, rate, overhead in (("cpu", "Xeon (16 threads)", 1e12, 2e-6),
                                              ("cuda", H100, 50e12, 8e-6)):
            t = overhead + 2 * n ** 3 / rate
            rows.append(TimingResult("matmul", n, device, "float32", median_s=t, iqr_s=t / 50,
                                     repeats=100, gflops=2 * n ** 3 / t / 1e9,
                                     gbps=12 * n * n / t / 1e9, device_label=label))
    path = tmp_path / name
    path.write_text(results_to_csv(rows))
    return path, rows


def data_items(plot):
    return [item for item in plot.getPlotItem().listDataItems() if item.name()]


def test_cpu_sweep_fills_table_and_plots(qtbot, panel):
    choose(panel, ops=("matmul", "add"), sizes=(16, 64))
    panel.naive_box.setChecked(True)
    assert panel.plan().count == 6
    assert run(qtbot, panel) == "done"
    assert len(panel.results) == 6 and all(r.ok for r in panel.results)
    assert panel.table.rowCount() == 6
    assert panel.progress.value() == panel.progress.maximum() == 6
    assert "Done: 6 cases" in panel.status_label.text()
    assert set(panel.plots.time_series) == {"matmul float32 cpu", "add float32 cpu"}
    names = {item.name(): item for item in data_items(panel.plots.time_plot)}
    assert len(names["matmul float32 cpu"].xData) == 3
    assert "matmul float32 cpu naive (unsynchronised)" in names
    panel.naive_box.setChecked(False)
    names = {item.name() for item in data_items(panel.plots.time_plot)}
    assert not any("naive" in name for name in names)
    assert panel.table.isColumnHidden(9)
    throughput = {item.name() for item in data_items(panel.plots.throughput_plot)}
    assert throughput == {"matmul float32 cpu", "add float32 cpu"}


def test_cancel_stops_a_running_sweep(qtbot, panel):
    """Cancel ends the sweep early (how soon: benchmarks/bench_timing.py, cancel_latency_s)."""
    choose(panel, sizes=(256, 2048), min_time=5.0)  # would take well over 20 s
    assert panel.start()
    qtbot.wait(300)
    assert panel.is_running()
    with qtbot.waitSignal(panel.sweep_finished, timeout=10_000) as blocker:
        panel.cancel_button.click()
    assert blocker.args == ["cancelled"]
    assert len(panel.results) < panel.plan().count
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert "Cancelled" in panel.status_label.text()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the machine without a GPU")
def test_no_gpu_banner_and_cpu_only(qtbot, panel):
    assert panel.banner.isVisible() and panel.banner.text() == NO_GPU
    assert list(panel.device_boxes) == ["cpu"]
    choose(panel, sizes=(16, 32))
    assert run(qtbot, panel) == "done"
    assert panel.plots.speedup_view.currentWidget() is panel.plots.speedup_message
    assert panel.plots.crossovers == {}


def test_loaded_gpu_csv_shows_speedup_with_crossover_and_peak(qtbot, panel, tmp_path):
    path, rows = synthetic_gpu_csv(tmp_path)
    with qtbot.waitSignal(panel.results_changed, timeout=1000):
        assert panel.load_csv(path)
    assert panel.table.rowCount() == len(rows)
    assert "Loaded 16 results from h100.csv" in panel.status_label.text()
    assert panel.plots.crossovers == {"cuda over cpu: matmul float32 · h100.csv": 256}
    assert panel.plots.speedup_view.currentWidget() is panel.plots.speedup_plot
    items = panel.plots.speedup_plot.getPlotItem().listDataItems()
    stars = [i for i in items if i.opts.get("symbol") == "star"]
    assert len(stars) == 1 and list(stars[0].xData) == [256]
    assert f"{H100} peak float32: 67k GFLOP/s" in panel.plots.peak_lines
    assert "matmul float32 cuda · h100.csv" in panel.plots.time_series


def test_bad_csv_gives_a_message_and_keeps_previous_results(qtbot, panel, tmp_path):
    path, rows = synthetic_gpu_csv(tmp_path)
    assert panel.load_csv(path)
    bad = tmp_path / "bad.csv"
    bad.write_text("op,size,device,dtype,median_s\nmatmul,16,cpu,float32,0.1\n"
                   "matmul,sixteen,cpu,float32,0.2\n")
    assert not panel.load_csv(bad)
    assert "bad.csv" in panel.status_label.text() and "line 3" in panel.status_label.text()
    assert "size" in panel.status_label.text()
    assert len(panel.loaded) == len(rows) and panel.table.rowCount() == len(rows)
    assert not panel.load_csv(tmp_path / "missing.csv")
    assert "Cannot read missing.csv: No such file" in panel.status_label.text()


def test_save_and_copy_round_trip(qtbot, panel, tmp_path):
    path, rows = synthetic_gpu_csv(tmp_path)
    panel.load_csv(path)
    out = tmp_path / "out.csv"
    assert panel.save_csv(out)
    assert results_from_csv(out.read_text()) == panel.all_results()
    text = panel.copy_results()
    assert QGuiApplication.clipboard().text() == text
    assert text.splitlines()[0].startswith("op\tsize\tdevice\tdtype")
    assert len(results_from_csv(text)) == len(rows)
    assert not panel.save_csv(tmp_path / "no" / "such" / "dir.csv")


def test_nothing_chosen_is_a_message_not_a_run(panel):
    choose(panel, ops=())
    assert not panel.start()
    assert "Pick at least one operation" in panel.status_label.text()
    assert not panel.is_running()


def test_screenshot_after_a_small_sweep(qtbot, panel, tmp_path):
    choose(panel, ops=("matmul", "mv"), sizes=(16, 256), min_time=0.02)
    panel.naive_box.setChecked(True)
    assert run(qtbot, panel) == "done"
    path, _ = synthetic_gpu_csv(tmp_path)
    panel.load_csv(path)
    SCREENSHOTS.mkdir(exist_ok=True)
    for index, name in enumerate(("timing_panel", "timing_panel_speedup",
                                  "timing_panel_throughput")):
        panel.plot_tabs.setCurrentIndex(index)
        qtbot.wait(50)
        image = panel.grab()
        assert image.width() >= 1200
        # measured times differ run to run: the plots move, the layout must not
        assert_looks_approved(image, name, max_changed=0.10)


@pytest.mark.gpu
def test_gpu_sweep_in_the_panel_gives_a_speedup_curve(qtbot, panel):
    assert panel.banner.text() != NO_GPU and "cuda" in panel.device_boxes
    choose(panel, devices=("cpu", "cuda"), sizes=(64, 1024), min_time=0.05)
    assert run(qtbot, panel, timeout=60000) == "done"
    assert panel.plots.speedup_view.currentWidget() is panel.plots.speedup_plot
    assert "cuda over cpu: matmul float32" in panel.plots.crossovers


def _cpu_only(monkeypatch):
    import nla_explorer.panels.timing as timing
    cpu_only = [d for d in timing.available_devices() if not d.is_gpu]
    monkeypatch.setattr(timing, "available_devices", lambda: cpu_only)


def test_without_a_gpu_the_shipped_reference_run_is_offered_and_drawn(qtbot, tmp_path,
                                                                       monkeypatch):
    """A laptop without a GPU: one button loads the sweep measured on a GPU machine; its
    speed-up and crossover are drawn from its own rows, labelled as not this machine."""
    import nla_explorer.panels.timing_buttons as buttons
    from nla_explorer.engine.timing.reference import as_reference
    _cpu_only(monkeypatch)
    shipped = _shipped(tmp_path)
    monkeypatch.setattr(buttons, "reference_runs_folder", lambda: shipped)
    rows = results_from_csv((shipped / "h100.csv").read_text())
    panel = TimingPanel()
    qtbot.addWidget(panel)
    panel.resize(1280, 820)
    panel.show()
    button = panel.findChild(buttons.ResultsButtons).reference_button
    assert button is not None and button.isVisible()
    assert button.text() == f"Reference run: {H100}"
    assert panel.banner.text().startswith("No GPU found") and H100 in panel.banner.text()
    assert "not this machine" in button.toolTip().lower() and "2026-12-04" in button.toolTip()
    with qtbot.waitSignal(panel.results_changed, timeout=1000):
        button.click()
    source = f"{H100} (reference run, not this machine)"
    assert len(panel.loaded) == len(rows) and {r.source for r in panel.loaded} == {source}
    assert panel.plots.crossovers == {f"cuda over cpu: matmul float32 · {source}": 256}
    assert panel.plots.speedup_view.currentWidget() is panel.plots.speedup_plot
    assert f"matmul float32 cuda · {source}" in panel.plots.time_series


def _shipped(tmp_path):
    """A folder of reference runs holding the synthetic H100 sweep, as gpu_check writes it."""
    from nla_explorer.engine.timing.reference import as_reference
    shipped = tmp_path / "reference_runs"
    if not shipped.exists():
        path, _ = synthetic_gpu_csv(tmp_path, "sweep.csv")
        shipped.mkdir()
        facts = {"date": "2026-12-04", "torch": "2.13.0+cu130", "cuda": "13.0",
                 "device_name": H100}
        (shipped / "h100.csv").write_text(as_reference(path.read_text(), facts))
    return shipped


def test_with_a_gpu_or_nothing_shipped_no_reference_run_is_offered(qtbot, tmp_path,
                                                                   monkeypatch):
    import nla_explorer.panels.timing as timing
    import nla_explorer.panels.timing_buttons as buttons
    from nla_explorer.engine.timing.devices import DeviceInfo

    def offered() -> bool:
        panel = TimingPanel()
        qtbot.addWidget(panel)
        return panel.findChild(buttons.ResultsButtons).reference_button is not None
    _cpu_only(monkeypatch)
    monkeypatch.setattr(buttons, "reference_runs_folder", lambda: tmp_path / "none")
    assert not offered()  # nothing shipped
    monkeypatch.setattr(buttons, "reference_runs_folder", lambda: _shipped(tmp_path))
    assert offered()
    with_gpu = [*timing.available_devices(), DeviceInfo("cuda", "cuda", H100)]
    monkeypatch.setattr(timing, "available_devices", lambda: with_gpu)
    assert not offered()  # a machine with a GPU measures its own


def test_at_720p_run_cancel_and_the_progress_stay_in_sight(window, qtbot):
    """In the Time workspace at 1280×720 the controls scroll; Run, Cancel, the progress bar
    and the status line sit below them, whole (the progress bar was cut in half)."""
    window.resize(1280, 720)
    window.workspaces.switch("time")
    qtbot.wait(50)
    timing = window.timing
    for widget in (timing.run_button, timing.cancel_button, timing.progress,
                   timing.status_label):
        assert widget.isVisible()
        assert widget.visibleRegion().boundingRect() == widget.rect(), widget
