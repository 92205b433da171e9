"""The training panel: drag a slider and the network retrains live, with its fit and loss curves.

Two demos: the polynomial fit of the course's fourth notebook, and the seed's least-squares
exercise by SGD. Training runs in a worker (:class:`GeneratorJob` over the engine's generators);
each epoch only stores numbers here, and a ~30 Hz timer redraws the latest state, so the window
stays responsive. Moving a slider restarts training at most every ``THROTTLE_MS`` while dragging
(older runs cancelled) and at once on release.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSplitter, QStackedWidget,
    QVBoxLayout, QWidget,
)

from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.training.least_squares import least_squares_sgd
from nla_explorer.engine.training.loop import train, warm_up
from nla_explorer.engine.training.step_code import least_squares_code, training_step_code
from nla_explorer.drawing.style import ViewStyle
from nla_explorer.panels.training_controls import (
    LeastSquaresControls, PolyFitControls, error_style,
)
from nla_explorer.panels.least_squares_plots import LeastSquaresPlots
from nla_explorer.panels.training_presenting import present_controls
from nla_explorer.panels.training_plots import FitPlots
from nla_explorer.panels.training_runs import Run, RunFailed
from nla_explorer.workers import GeneratorJob

POLY, LEAST_SQUARES = "poly", "least_squares"
MODES = {POLY: "Polynomial fit", LEAST_SQUARES: "Least squares (SGD)"}
REDRAW_MS = 33
WARM_UP_DELAY_MS = 2000
#: The first frame waits a little: a short run (a slider step) is then drawn once, finished.
FIRST_FRAME_MS = 100
THROTTLE_MS = 80


class TrainingPanel(QWidget):
    """Sliders and plots to retrain a small network live (and the least-squares SGD demo)."""

    run_started = Signal(object)  # the config
    run_finished = Signal(object)  # the TrainResult / LeastSquaresResult, after it is drawn
    graph_requested = Signal(str)  # course code of one training step's loss
    graph_closed = Signal()  # "Hide graph": the window takes the step's graph away

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runs_started = 0
        self.run: Run | None = None
        self._jobs: set[GeneratorJob] = set()
        self.mode_combo = QComboBox()
        for key, text in MODES.items():
            self.mode_combo.addItem(text, key)
        self.mode_combo.setToolTip("Polynomial fit: the course's network on x³ − x (notebook 4); "
                                   "least squares: the seed's ‖Ax − y‖² by SGD")
        self.start_button = self._button("Start", "Train from scratch with these settings")
        self.pause_button = self._button("Pause", "Pause or resume the running training")
        self.pause_button.setCheckable(True)
        self.reset_button = self._button("Reset", "Stop, and clear the plots and earlier runs")
        self.graph_button = self._button("Show graph", "Show (or hide) the autograd graph of one training "
                                         "step's loss (the network these settings train)")
        self.poly_controls = PolyFitControls()
        self.ls_controls = LeastSquaresControls()
        self.fit_plots = FitPlots()
        self.ls_plots = LeastSquaresPlots()
        self.status_label = QLabel("Press Start, or move a slider: the network retrains at once.",
                                   wordWrap=True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setToolTip("What the last run did, or why it stopped")
        self._build_layout()
        # public handles for tests and the main window
        c = self.poly_controls
        self.hidden_slider, self.lr_slider = c.hidden_slider, c.lr_slider
        self.epochs_slider, self.points_slider = c.epochs_slider, c.points_slider
        self.noise_slider, self.seed_spin = c.noise_slider, c.seed_spin
        self.network_combo, self.activation_combo = c.network_combo, c.activation_combo
        self.optimizer_combo, self.target_edit = c.optimizer_combo, c.target_edit
        self.loss_curve = self.fit_plots.loss_plot.curve
        self.fit_curve = self.fit_plots.fit_curve
        self.redraw_timer = QTimer(self, interval=REDRAW_MS)
        self.redraw_timer.timeout.connect(self._redraw)
        self.throttle = QTimer(self, interval=THROTTLE_MS, singleShot=True)
        self.throttle.timeout.connect(self._restart_if_changed)
        self._dirty = False
        self.view_style = ViewStyle.light()
        self._status_error = False
        for controls in (self.poly_controls, self.ls_controls):
            controls.edited.connect(self._edited)
            controls.released.connect(self._restart_if_changed)
        self.start_button.clicked.connect(self.start)
        self.pause_button.toggled.connect(self.set_paused)
        self.reset_button.clicked.connect(self.reset)
        self.graph_button.clicked.connect(self._graph_clicked)
        self.mode_combo.currentIndexChanged.connect(self._mode_changed)
        app = QCoreApplication.instance()
        if app is not None:  # no worker may outlive the application
            app.aboutToQuit.connect(self.stop)
        self._warmed = False
        self._graph_shown = False

    # -- layout ------------------------------------------------------------------------------------
    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Compact by default (a bottom dock); the plots share whatever room they are given."""
        return QSize(1000, 340)

    def _button(self, text: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        return button

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Demo"))
        top.addWidget(self.mode_combo)
        top.addStretch(1)
        for button in (self.start_button, self.pause_button, self.reset_button,
                       self.graph_button):
            top.addWidget(button)
        self.controls_stack = QStackedWidget()
        self.controls_stack.addWidget(self.poly_controls)
        self.controls_stack.addWidget(self.ls_controls)
        self.controls_scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.controls_stack)
        scroll.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 24)
        self.plots_stack = QStackedWidget()
        self.plots_stack.addWidget(self.fit_plots)
        self.plots_stack.addWidget(self.ls_plots)
        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(self.plots_stack)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status_label)

    def set_font_size(self, points: int) -> None:
        """Follow the window's font size (plots' ticks, titles and legends included)."""
        font = self.font()
        font.setPointSize(points)
        self.setFont(font)
        self.fit_plots.set_font_size(points)
        self.ls_plots.set_font_size(points)
        controls = max(self.poly_controls.sizeHint().width(), self.ls_controls.sizeHint().width())
        width = controls + self.controls_scroll.verticalScrollBar().sizeHint().width() + 8
        self.controls_scroll.setMinimumWidth(min(width, max(self.width() // 2, 1)))
        self.splitter.setSizes([width, max(self.splitter.width() - width, 1)])

    def set_presentation(self, on: bool, points: int = 20) -> None:
        """Presentation mode at ``points``: the plots take the room, the sliders smaller beside."""
        present_controls(self, on, points)

    def set_view_style(self, style: ViewStyle) -> None:
        """Draw in ``style``'s colours: the plots (axes, titles, legends, curves), the messages."""
        if style == self.view_style:
            return
        self.view_style = style
        self.fit_plots.set_view_style(style)
        self.ls_plots.set_view_style(style)
        self.poly_controls.set_view_style(style)
        self._status(self.status_label.text(), self._status_error)

    # -- public API ------------------------------------------------------------------------------
    def set_side_by_side(self, on: bool) -> None:
        """Plots in a row (a wide, short bottom dock) or stacked (a tall one, a floating window)."""
        self.fit_plots.set_side_by_side(on)
        self.ls_plots.set_side_by_side(on)

    def mode(self) -> str:
        return self.mode_combo.currentData()

    def current_config(self) -> object:
        """The config the controls show (``TrainConfig`` or ``LeastSquaresConfig``)."""
        controls = self.poly_controls if self.mode() == POLY else self.ls_controls
        return controls.config()

    def _config_or_report(self) -> object | None:
        """The controls' config, or None with the culprit in the status line (bad input)."""
        self.throttle.stop()
        try:
            return self.current_config()
        except EngineError as exc:
            self._status(f"Not started: {exc}", error=True)
            return None

    def is_running(self) -> bool:
        return self.run is not None and self.run.result is None

    def start(self) -> None:
        """Train from scratch with the current settings, cancelling any running training."""
        config = self._config_or_report()
        if config is None:
            return
        self._cancel_run()
        self._runs_started += 1
        run = Run(self._runs_started, self.mode(), config)
        self.run = run
        self.pause_button.setChecked(False)
        generator_fn = (lambda: train(config)) if run.mode == POLY else (
            lambda: least_squares_sgd(config))
        job = GeneratorJob(lambda: run.batches(generator_fn))
        run.job = job
        job.yielded.connect(self._on_items)
        for signal in (job.finished, job.cancelled, job.failed):
            signal.connect(self._forget_jobs)
        self._jobs.add(job)
        self._status(f"Training: {config.label()}")
        job.start()
        self.redraw_timer.start(FIRST_FRAME_MS)
        self.run_started.emit(config)

    def set_paused(self, paused: bool) -> None:
        """Hold the running training at its next epoch (the worker waits), or let it go on."""
        if self.pause_button.isChecked() != paused:
            self.pause_button.setChecked(paused)
            return
        self.pause_button.setText("Resume" if paused else "Pause")
        if self.run is not None:
            (self.run.gate.clear if paused else self.run.gate.set)()
            if self.is_running():
                done = f"epoch {self.run.count} / {self.run.config.epochs:,}"
                self._status(f"Paused at {done}" if paused else f"Training: {done}")

    def reset(self) -> None:
        """Stop training and clear the plots and the remembered runs."""
        self.throttle.stop()
        self._cancel_run()
        self.run = None
        self.redraw_timer.stop()
        self.fit_plots.clear()
        self.ls_plots.clear()
        self._status("Reset. Press Start, or move a slider.")

    def stop(self) -> None:
        """Cancel every run (call before the window closes)."""
        self.throttle.stop()
        self.redraw_timer.stop()
        for job in list(self._jobs):
            job.cancel()
        if self.run is not None:
            self.run.gate.set()

    def busy(self) -> bool:
        """True while any worker (a run being cancelled included) is still going."""
        return any(job.running for job in self._jobs)

    def set_graph_shown(self, shown: bool) -> None:
        """The window shows the step's graph beside the panel (Train): the button hides it."""
        self._graph_shown = shown
        self.graph_button.setText("Hide graph" if shown else "Show graph")

    def _graph_clicked(self) -> None:
        if self._graph_shown:
            self.graph_closed.emit()
        else:
            self.request_graph()

    def request_graph(self) -> None:
        """Emit ``graph_requested`` with the code of one training step's loss for these settings."""
        try:
            config = self.current_config()
            code = (training_step_code(config) if self.mode() == POLY
                    else least_squares_code(config))
        except EngineError as exc:
            self._status(f"No graph: {exc}", error=True)
            return
        self.graph_requested.emit(code)

    # -- runs --------------------------------------------------------------------------------------
    def _on_items(self, tagged: tuple) -> None:
        run_id, items = tagged
        run = self.run
        if run is None or run_id != run.id:
            return  # a cancelled run's last items
        for item in items:
            what = run.take(item)
            if what in ("progress", "start"):
                self._dirty = True  # drawn by the next frame, not per item
            elif what == "result":
                self._finish(run, item)
            elif what == "failed":
                self.redraw_timer.stop()
                self._status(f"Training failed: {item.message}", error=True)

    def _redraw(self, whole: bool = False) -> None:
        """One frame: the latest epoch's fit and every number so far (the timer calls it).

        A run's first frame only sets its plots up (new axes cost a full repaint); its numbers
        come with the next frame, so no single frame holds the GUI long. ``whole``: both at once.
        """
        if self.redraw_timer.interval() != REDRAW_MS:
            self.redraw_timer.setInterval(REDRAW_MS)
        run = self.run
        if run is None or not self._dirty or run.start is None:
            return
        self._dirty = False
        if not run.begun:
            run.begun = True
            if run.mode == POLY:
                self.fit_plots.begin(run.start, run.config.epochs)
            else:
                self.ls_plots.begin(run.start)
            self._dirty = run.latest is not None
            if not whole:
                return
        if run.latest is None:
            return
        if run.mode == POLY:
            self.fit_plots.show_progress(run.latest, run.column(0), run.column(1), run.column(2))
        else:
            self.ls_plots.show_progress(run.column(0), run.column(1), run.column(2))
        if self.is_running() and not self.pause_button.isChecked():
            self._status(f"Training: epoch {run.latest.epoch + 1} / {run.config.epochs:,} · loss "
                         f"{run.latest.loss:.3e}   ({run.config.label()})")

    def _finish(self, run: Run, result) -> None:
        self._dirty = True
        self._redraw(whole=True)
        self.redraw_timer.stop()
        plots = self.fit_plots if run.mode == POLY else self.ls_plots
        plots.finish(result)
        plots.loss_plot.keep(run.config, result.losses)
        if result.diverged:
            self._status(f"Diverged — {result.diverged}. Training stopped; try a smaller "
                         "learning rate.", error=True)
        else:
            self._status(self._summary(run, result))
        self.run_finished.emit(result)

    def _summary(self, run: Run, result) -> str:
        text = f"Done: {len(result.losses):,} epochs in {result.elapsed_s:.2f} s · final loss "
        text += f"{result.final_loss:.3e}" if run.mode == POLY else f"{result.losses[-1]:.3e}"
        if run.mode == POLY:
            text += f" · fit error {result.fit_error:.3e}"
            if result.grid_error is not None:
                text += f" · error on [-1, 1] {result.grid_error:.3e}"
        else:
            text += f" · ‖x − A⁺y‖ = {result.distance:.3e}"
        return text + f"   ({run.config.label()})"

    def _cancel_run(self) -> None:
        if self.run is not None:
            self.run.cancel()

    def _forget_jobs(self, *_args) -> None:
        self._jobs = {job for job in self._jobs if job.running}

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._warmed:  # after the panel is first seen, and after start-up's own work,
            self._warmed = True  # which this thread would slow down (the GIL)
            QTimer.singleShot(WARM_UP_DELAY_MS, self._warm_up)

    def _warm_up(self) -> None:
        """Import torch.optim's lazy dependencies in a worker now, not on the first slider move."""
        job = GeneratorJob(lambda: iter([warm_up()]))
        for signal in (job.finished, job.cancelled, job.failed):
            signal.connect(self._forget_jobs)
        self._jobs.add(job)
        job.start()

    # -- controls ----------------------------------------------------------------------------------
    def _edited(self) -> None:
        """Throttle: while values keep changing, restart at most every ``THROTTLE_MS``."""
        if not self.throttle.isActive():
            self.throttle.start()

    def _restart_if_changed(self) -> None:
        """Restart unless the running (or finished) run already has exactly these settings."""
        config = self._config_or_report()
        if config is None:
            return
        if self.run is not None and self.run.mode == self.mode() and self.run.config == config \
                and not isinstance(self.run.result, RunFailed):
            return
        self.start()

    def _mode_changed(self) -> None:
        self.throttle.stop()
        self._cancel_run()
        self.redraw_timer.stop()
        self.run = None
        index = 0 if self.mode() == POLY else 1
        self.controls_stack.setCurrentIndex(index)
        self.plots_stack.setCurrentIndex(index)
        self._status(f"{MODES[self.mode()]}: press Start, or move a slider.")

    def _status(self, text: str, error: bool = False) -> None:
        self.status_label.setText(text)
        self._status_error = error
        style = error_style(self.view_style) if error else ""
        if self.status_label.styleSheet() != style:  # re-styling re-polishes: not every frame
            self.status_label.setStyleSheet(style)
