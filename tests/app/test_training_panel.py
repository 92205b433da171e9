"""Training panel (qtbot): slider runs and cancels, responsiveness, divergence, targets, graph."""

from pathlib import Path

import pytest
import torch

from nla_explorer.engine import evaluate, parse_code
from nla_explorer.engine.training.loop import build
from nla_explorer.stall_probe import StallProbe
from nla_explorer.panels.training import LEAST_SQUARES, POLY, TrainingPanel
from tests.app.approved import assert_looks_approved, settled

SHOTS = Path(__file__).resolve().parent / "screenshots"


@pytest.fixture
def panel(qtbot):
    p = TrainingPanel()
    qtbot.addWidget(p)
    p.resize(1200, 800)
    p.show()
    qtbot.waitExposed(p)
    qtbot.waitUntil(lambda: not p.busy(), timeout=60_000)  # the torch.optim warm-up
    yield p
    p.stop()
    qtbot.waitUntil(lambda: not p.busy(), timeout=30_000)


def set_value(panel, slider, value):
    """Move ``slider`` to the listed value nearest ``value`` (as a click on the track would)."""
    panel.poly_controls.slider_widget(slider).set_value(value)


def drag_and_release(slider, value_index):
    slider.setSliderDown(True)
    slider.setValue(value_index)
    slider.setSliderDown(False)  # emits sliderReleased


def finish(qtbot, panel, timeout=30_000):
    with qtbot.waitSignal(panel.run_finished, timeout=timeout) as blocker:
        pass
    return blocker.args[0]


def test_default_run_draws_the_seeds_fit(qtbot, panel):
    with qtbot.waitSignal(panel.run_finished, timeout=30_000) as blocker:
        panel.start_button.click()
    result = blocker.args[0]
    assert result.diverged is None and len(result.losses) == 100
    x, y = panel.loss_curve.getData()
    assert len(x) == 100 and 10 ** y[-1] == pytest.approx(result.losses[-1])  # log axis
    fx, fy = panel.fit_curve.getData()
    assert len(fx) == 20 and fy.tolist() == pytest.approx(result.prediction.tolist())
    assert "Done: 100 epochs" in panel.status_label.text()


def test_slider_release_starts_a_run_and_cancels_the_running_one(qtbot, panel):
    set_value(panel, panel.epochs_slider, 10_000)
    with qtbot.waitSignal(panel.run_started, timeout=5000):
        panel.start()
    first = panel.run
    qtbot.waitUntil(lambda: first.count > 5, timeout=30_000)
    with qtbot.waitSignal(panel.run_started, timeout=1000) as started:
        drag_and_release(panel.hidden_slider, panel.hidden_slider.value() + 3)
    assert started.args[0].hidden == 13 and started.args[0].epochs == 10_000
    assert first.job.is_cancelled()
    qtbot.waitUntil(lambda: not first.job.running, timeout=5000)
    assert panel.run is not first and panel.is_running()
    count = first.count
    qtbot.waitUntil(lambda: panel.run.count > 5, timeout=30_000)
    assert first.count == count  # nothing of the cancelled run is taken in any more


def test_dragging_retrains_the_latest_value_throttled(qtbot, panel):
    starts = []
    panel.run_started.connect(starts.append)
    slider = panel.lr_slider
    slider.setSliderDown(True)
    for step in (1, 2, 3, 4):  # four moves faster than the throttle
        slider.setValue(slider.value() + 1)
    assert starts == []
    qtbot.waitUntil(lambda: len(starts) == 1, timeout=2000)
    assert starts[0].lr == panel.poly_controls.value_of(slider)  # the latest value, once
    slider.setValue(slider.value() + 1)
    qtbot.waitUntil(lambda: len(starts) == 2, timeout=2000)
    slider.setSliderDown(False)  # release on the value already training: no third run
    qtbot.wait(200)
    assert len(starts) == 2 and starts[1].lr == panel.poly_controls.value_of(slider)


def test_gui_keeps_running_during_a_long_run(qtbot, panel):
    """The run trains on a worker: the GUI thread's timer goes on ticking meanwhile. How long the
    GUI may stall is a speed figure: benchmarks/bench_train.py (longest_gui_stall_s)."""
    set_value(panel, panel.epochs_slider, 2000)
    panel.throttle.stop()
    probe = StallProbe(interval_ms=5)
    ticks_while_running = []
    probe.timer.timeout.connect(lambda: ticks_while_running.append(panel.is_running()))
    try:
        with qtbot.waitSignal(panel.run_finished, timeout=60_000) as blocker:
            probe.start()
            panel.start()
    finally:
        probe.stop()
    assert len(blocker.args[0].losses) == 2000
    assert sum(ticks_while_running) >= 3


def test_divergence_is_marked_and_explained(qtbot, panel):
    panel.network_combo.setCurrentIndex(panel.network_combo.findData("per_point"))
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("sgd"))
    set_value(panel, panel.lr_slider, 10)
    set_value(panel, panel.epochs_slider, 1000)
    panel.throttle.stop()
    with qtbot.waitSignal(panel.run_finished, timeout=30_000) as blocker:
        panel.start()
    result = blocker.args[0]
    assert result.diverged
    text = panel.status_label.text()
    assert "Diverged" in text and "learning rate 10 is too large for SGD" in text
    line = panel.fit_plots.loss_plot.divergence_line
    assert line.isVisible() and line.value() == result.diverged_epoch
    # still responsive: a sane learning rate trains again, and the marker goes away
    set_value(panel, panel.lr_slider, 0.01)
    set_value(panel, panel.epochs_slider, 50)
    panel.throttle.stop()
    with qtbot.waitSignal(panel.run_finished, timeout=30_000) as blocker:
        panel.start()
    assert blocker.args[0].diverged is None and not line.isVisible()


def test_typed_target_refuses_bad_input_and_keeps_the_last_good(qtbot, panel):
    edit = panel.target_edit
    edit.setText("__import__('os').system('echo hi')")
    edit.returnPressed.emit()
    message = panel.poly_controls.target_message
    assert not message.isHidden() and "__import__" in message.text()
    assert "still fitting x**3 - x" in message.text()
    assert panel.current_config().target == "x**3 - x"
    edit.setText("x ^ 2")
    edit.returnPressed.emit()
    assert "write x**3" in message.text()
    with qtbot.waitSignal(panel.run_started, timeout=2000) as started:
        edit.setText("sin(pi*x)")
        edit.returnPressed.emit()
    assert started.args[0].target == "sin(pi*x)" and message.isHidden()
    result = finish(qtbot, panel)
    assert result.diverged is None


def test_show_graph_emits_code_of_the_trained_network(qtbot, panel):
    panel.network_combo.setCurrentIndex(panel.network_combo.findData("per_point"))
    panel.activation_combo.setCurrentIndex(panel.activation_combo.findData("tanh"))
    panel.throttle.stop()
    with qtbot.waitSignal(panel.graph_requested, timeout=1000) as blocker:
        panel.graph_button.click()
    config = panel.current_config()
    loss = evaluate(parse_code(blocker.args[0])).output
    net, data = build(config)
    expected = torch.nn.functional.mse_loss(net(net.shape_input(data.x_points)),
                                            net.shape_input(data.y_points))
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    panel.mode_combo.setCurrentIndex(panel.mode_combo.findData(LEAST_SQUARES))
    with qtbot.waitSignal(panel.graph_requested, timeout=1000) as blocker:
        panel.graph_button.click()
    assert "((A @ x - y) ** 2).sum()" in blocker.args[0]
    assert evaluate(parse_code(blocker.args[0])).output.requires_grad


def test_pause_holds_the_run_and_resume_finishes_it(qtbot, panel):
    set_value(panel, panel.epochs_slider, 3000)
    panel.throttle.stop()
    panel.start()
    run = panel.run
    qtbot.waitUntil(lambda: run.count > 10, timeout=30_000)
    panel.pause_button.click()
    assert panel.pause_button.text() == "Resume"
    qtbot.wait(300)
    held = run.count
    qtbot.wait(300)
    assert run.count == held < 3000 and panel.is_running()
    with qtbot.waitSignal(panel.run_finished, timeout=60_000):
        panel.pause_button.click()
    assert run.count == 3000


def test_finished_runs_stay_as_labelled_overlays(qtbot, panel):
    with qtbot.waitSignal(panel.run_finished, timeout=30_000):
        panel.start()
    set_value(panel, panel.lr_slider, 0.05)
    with qtbot.waitSignal(panel.run_finished, timeout=30_000):
        panel.throttle.stop()
        panel.start()
    loss_plot = panel.fit_plots.loss_plot
    assert [config.lr for config, _ in loss_plot.history] == [0.01, 0.05]
    assert len(loss_plot.overlays) == 1  # the lr = 0.01 run, behind this one
    labels = [label.text for _, label in loss_plot.legend.items]
    assert labels == ["this run: loss", "lr=0.01"]
    panel.reset_button.click()
    assert loss_plot.history == [] and loss_plot.overlays == []


def test_an_error_inside_a_run_is_reported_and_the_panel_goes_on(qtbot, panel, monkeypatch):
    import nla_explorer.panels.training as training_panel

    real_train = training_panel.train

    def broken(config):
        yield from list(real_train(config))[:3]
        raise RuntimeError("the learning rate is a banana")

    monkeypatch.setattr(training_panel, "train", broken)
    panel.start()
    qtbot.waitUntil(lambda: "banana" in panel.status_label.text(), timeout=10_000)
    assert "Training failed" in panel.status_label.text() and not panel.is_running()
    monkeypatch.setattr(training_panel, "train", real_train)
    with qtbot.waitSignal(panel.run_finished, timeout=30_000):
        panel.start()
    assert "Done" in panel.status_label.text()


def test_least_squares_mode_converges(qtbot, panel):
    panel.mode_combo.setCurrentIndex(panel.mode_combo.findData(LEAST_SQUARES))
    panel.ls_controls.init_combo.setCurrentIndex(panel.ls_controls.init_combo.findData("zeros"))
    panel.throttle.stop()
    with qtbot.waitSignal(panel.run_finished, timeout=30_000) as blocker:
        panel.start()
    assert blocker.args[0].distance < 1e-3
    assert "1/σ_max²" in panel.ls_plots.info_label.text()
    panel.mode_combo.setCurrentIndex(panel.mode_combo.findData(POLY))
    assert panel.current_config().hidden == 10


def test_screenshot_mid_training(qtbot, panel):
    """tests/app/screenshots/training_panel.png: the per-point fit on its way, after earlier runs."""
    SHOTS.mkdir(exist_ok=True)
    set_value(panel, panel.epochs_slider, 100)
    panel.throttle.stop()
    with qtbot.waitSignal(panel.run_finished, timeout=30_000):
        panel.start()
    panel.network_combo.setCurrentIndex(panel.network_combo.findData("per_point"))
    panel.activation_combo.setCurrentIndex(panel.activation_combo.findData("tanh"))
    set_value(panel, panel.hidden_slider, 16)
    set_value(panel, panel.lr_slider, 0.02)
    set_value(panel, panel.epochs_slider, 2000)
    panel.throttle.stop()
    panel.start()
    qtbot.waitUntil(lambda: panel.run.count > 400, timeout=30_000)
    panel.pause_button.click()
    qtbot.wait(100)  # the redraw timer draws what arrived
    assert_looks_approved(settled(panel), "training_panel", max_changed=0.01)
    panel.set_font_size(16)
    panel.resize(1400, 950)
    qtbot.wait(100)
    assert_looks_approved(settled(panel), "training_panel_large_font", max_changed=0.01)
    panel.mode_combo.setCurrentIndex(panel.mode_combo.findData(LEAST_SQUARES))
    panel.set_font_size(10)
    panel.resize(1200, 800)
    with qtbot.waitSignal(panel.run_finished, timeout=30_000):
        panel.start()
    assert_looks_approved(settled(panel), "training_panel_least_squares", max_changed=0.01)
    assert (SHOTS / "training_panel.png").stat().st_size > 10_000


def test_before_the_first_epoch_the_epoch_axes_read_epoch(qtbot, panel):
    """One point at epoch 0 spans a sliver of x: pyqtgraph rescaled the ticks to 200…800 and
    wrote "epoch (x0.001)" under them, a unit nobody counts epochs in."""
    for widget in (panel.fit_plots.loss_plot, panel.fit_plots.norm_plot):
        item = widget.getPlotItem()
        item.setXRange(0, 0.001, padding=0)
        qtbot.wait(20)
        axis = item.getAxis("bottom")
        assert "x0.001" not in axis.labelString() and axis.autoSIPrefixScale == 1.0
