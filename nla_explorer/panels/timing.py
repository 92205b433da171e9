"""Timing panel: sweep ops × dtypes × devices × sizes off the GUI thread and plot CPU vs GPU.

Pick what to time, press Run; results arrive one by one (a worker thread runs the engine's
sweep, Cancel stops it within a second) and fill a log–log plot of time against size, the GPU's
speed-up over the CPU with the crossover size marked, a throughput plot with the device's peak,
and a table to copy or save as CSV. Without a GPU it says so, times the CPU, and can load a CSV
measured on a GPU elsewhere (``nla-explorer timing --csv FILE``) to compare.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QFrame, QGroupBox, QHBoxLayout, QLabel,
    QListWidget, QListWidgetItem, QProgressBar, QPushButton, QScrollArea, QVBoxLayout, QWidget,
)

from nla_explorer.drawing.style import ViewStyle
from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.timing.sweep import (
    DTYPES, OPS, SweepPlan, TimingResult, available_devices, power_of_two_sizes,
    results_to_csv, sweep,
)
from nla_explorer.engine.timing.results import load_results_csv, save_results_csv
from nla_explorer.panels.plot_presenting import beside_font
from nla_explorer.panels.split_shares import SharesSplitter
from nla_explorer.panels.timing_buttons import (
    ResultsButtons, banner_sheet, no_gpu_text, shipped_reference,
)
from nla_explorer.panels.timing_plots import TimingPlots
from nla_explorer.panels.timing_table import ResultsBox, ResultsTable
from nla_explorer.workers import GeneratorJob

SIZE_CHOICES = [2 ** k for k in range(0, 17)]  # 1 … 65536
REDRAW_MS = 33  # coalesce redraws to ~30 Hz


class TimingPanel(QWidget):
    """Controls, progress, plots and table for timing sweeps; ``start()`` / ``cancel()``."""

    sweep_started = Signal()
    result_added = Signal(object)  # a TimingResult, in the GUI thread
    sweep_finished = Signal(str)  # "done", "cancelled" or "failed"
    results_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.devices = available_devices()
        self.results: list[TimingResult] = []  # the latest sweep on this machine
        self.loaded: list[TimingResult] = []  # from CSV files, labelled by file name
        self._job: GeneratorJob | None = None
        self._expected = 0
        self._table_stale = True  # rows no longer match the results (after a load or clear)
        self._redraw_timer = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._redraw_timer.timeout.connect(self.redraw)
        self.plots = TimingPlots()
        self.view_style = ViewStyle.light()
        self._status_error = False
        self.table = ResultsTable()
        controls = self._build_controls()
        tabs = self.plots.tabs()
        self.plot_tabs = tabs
        right = SharesSplitter(Qt.Orientation.Vertical)  # the plots 2/3 beside, 3/5 above
        right.addWidget(tabs)
        self.results_box = ResultsBox(self.table)
        right.addWidget(self.results_box)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        self.results_splitter = right
        self.controls_scroll = scroll = QScrollArea()  # scrolls in a short dock, not growing it
        scroll.setWidget(controls)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(controls.sizeHint().width() + scroll.verticalScrollBar()
                               .sizeHint().width())
        left = QVBoxLayout()
        left.addWidget(scroll, 1)
        left.addWidget(self.run_area)
        self.run_area.setMaximumWidth(scroll.minimumWidth())
        layout = QHBoxLayout(self)
        layout.addLayout(left, 0)
        layout.addWidget(right, 1)
        self.plots.unit_box.currentIndexChanged.connect(self.redraw)
        self._update_sizes_label()
        self.redraw()

    # --- building -------------------------------------------------------------------------
    def set_side_by_side(self, on: bool) -> None:
        """Plots beside the results table (a wide, short bottom dock) or above it."""
        self.results_splitter.setOrientation(Qt.Orientation.Horizontal if on
                                             else Qt.Orientation.Vertical)
        self.results_splitter.reset()  # share the room again, plots first

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Compact by default (a bottom dock); the plots share whatever room they are given."""
        return QSize(1000, 360)

    def set_presentation(self, on: bool, points: int = 20) -> None:
        """Presentation mode: the plots, and beside them the table (and its note) in type a
        little smaller than theirs, bigger than in the workspace (the rest was set up)."""
        self.controls_scroll.setVisible(not on)
        self.run_area.setVisible(not on)
        self.results_box.set_font(beside_font(self, points, on))

    def _build_controls(self) -> QWidget:
        gpus = [d for d in self.devices if d.is_gpu]
        reference = None if gpus else shipped_reference()  # what a GPU would do, measured
        self.banner = QLabel(no_gpu_text(reference) if not gpus else
                             "GPU: " + ", ".join(f"{d.name} = {d.label}" for d in gpus),
                             wordWrap=True)
        self.banner.setStyleSheet(banner_sheet(self.view_style, warning=not gpus))
        self.banner.setToolTip("Devices found by torch on this machine")
        self.ops_list = QListWidget()
        for name, op in OPS.items():
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name == "matmul"
                               else Qt.CheckState.Unchecked)
            item.setToolTip(op.description)
            self.ops_list.addItem(item)
        self.ops_list.setToolTip("Operations to time (tick one or more)")
        self.ops_list.setMaximumHeight(self.ops_list.sizeHintForRow(0) * len(OPS) + 8)
        self.dtype_boxes = {}
        dtype_row = QHBoxLayout()
        for name in DTYPES:
            box = QCheckBox(name, checked=name == "float32")
            box.setToolTip("half precision: GPU tensor cores; slow or unsupported on most CPUs"
                           if name in ("bfloat16", "float16") else f"{name} tensors")
            self.dtype_boxes[name] = box
            dtype_row.addWidget(box)
        self.device_boxes = {}
        device_col = QVBoxLayout()
        for d in self.devices:
            box = QCheckBox(f"{d.name} — {d.label}", checked=True)
            box.setToolTip(f"Time on {d.label}")
            self.device_boxes[d.name] = box
            device_col.addWidget(box)
        self.size_min, self.size_max = QComboBox(), QComboBox()
        for box, default, tip in ((self.size_min, 16, "Smallest matrix size n"),
                                  (self.size_max, 4096 if gpus else 1024,
                                   "Largest matrix size n (sizes too big for memory are "
                                   "refused, slow ones skipped)")):
            box.addItems([str(n) for n in SIZE_CHOICES])
            box.setCurrentText(str(default))
            box.setToolTip(tip)
            box.currentIndexChanged.connect(self._update_sizes_label)
        self.sizes_label = QLabel(wordWrap=True)
        self.min_time = QDoubleSpinBox(minimum=0.01, maximum=10.0, value=0.2, singleStep=0.1,
                                       decimals=2, suffix=" s")
        self.min_time.setToolTip("Measure each case for at least this long (more = steadier)")
        self.max_call = QDoubleSpinBox(minimum=0.5, maximum=600.0, value=10.0, decimals=1,
                                       suffix=" s")
        self.max_call.setToolTip("Skip sizes where one call is predicted to take longer")
        self.naive_box = QCheckBox("Show naive (unsynchronised) timing")
        self.naive_box.setToolTip(
            "Also time one call with perf_counter and no synchronisation. On a GPU that only "
            "measures the launch: the kernel is still running. Dotted curves.")
        self.naive_box.toggled.connect(self._naive_toggled)
        self.transfer_box = QCheckBox("Measure host↔device copies")
        self.transfer_box.setToolTip("Also time copying the inputs to the GPU and back")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Start the sweep (in the background)")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel", enabled=False)
        self.cancel_button.setToolTip("Stop the sweep (within a second)")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setToolTip("Cases measured so far")
        self.status_label = QLabel("Pick what to time and press Run.", wordWrap=True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Sizes from", self.size_min)
        form.addRow("to", self.size_max)
        form.addRow(self.sizes_label)
        form.addRow("Time per case", self.min_time)
        form.addRow("Longest call", self.max_call)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        box = QWidget()
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.banner)
        for title, inner in (("Operations", self.ops_list), ("Data types", dtype_row),
                             ("Devices", device_col), ("Sizes (powers of two)", form)):
            group = QGroupBox(title)
            group_layout = QVBoxLayout(group)
            if isinstance(inner, QWidget):
                group_layout.addWidget(inner)
            else:
                group_layout.addLayout(inner)
            col.addWidget(group)
        col.addWidget(self.naive_box)
        col.addWidget(self.transfer_box)
        self.run_area = QWidget()  # below the scrolling controls: Run and the progress in sight
        run_col = QVBoxLayout(self.run_area)
        run_col.setContentsMargins(0, 0, 0, 0)
        run_col.addLayout(buttons)
        run_col.addWidget(self.progress)
        run_col.addWidget(self.status_label)
        col.addWidget(ResultsButtons(self.copy_results, self.save_csv, self.load_csv,
                                     self.clear_results, reference))
        col.addStretch(1)
        box.setMaximumWidth(360)
        return box

    # --- the plan ---------------------------------------------------------------------------

    def sizes(self) -> list[int]:
        """The sizes the controls describe."""
        lo, hi = int(self.size_min.currentText()), int(self.size_max.currentText())
        return power_of_two_sizes(min(lo, hi), max(lo, hi))

    def plan(self) -> SweepPlan:
        """The sweep the controls describe; EngineError when something is missing."""
        ops = [self.ops_list.item(i).text() for i in range(self.ops_list.count())
               if self.ops_list.item(i).checkState() == Qt.CheckState.Checked]
        dtypes = [name for name, box in self.dtype_boxes.items() if box.isChecked()]
        devices = [name for name, box in self.device_boxes.items() if box.isChecked()]
        for what, chosen in (("operation", ops), ("data type", dtypes), ("device", devices)):
            if not chosen:
                raise EngineError(f"Pick at least one {what}.")
        return SweepPlan(ops=ops, sizes=self.sizes(), devices=devices, dtypes=dtypes,
                         min_time=self.min_time.value(), naive=self.naive_box.isChecked(),
                         transfer=self.transfer_box.isChecked(),
                         max_call_s=self.max_call.value())

    def _update_sizes_label(self) -> None:
        sizes = self.sizes()
        shown = ", ".join(map(str, sizes)) if len(sizes) <= 6 else \
            f"{sizes[0]}, {sizes[1]}, …, {sizes[-1]}"
        self.sizes_label.setText(f"{len(sizes)} sizes: {shown}")

    # --- running ----------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._job is not None

    def start(self) -> bool:
        """Start a sweep of what the controls describe; False (with a message) if it cannot."""
        if self._job is not None:
            return False
        try:
            plan = self.plan()
        except EngineError as exc:
            self._status(str(exc), error=True)
            return False
        self.results = []
        self._expected = plan.count
        job = GeneratorJob(lambda: sweep(plan, cancel=job.is_cancelled))
        job.yielded.connect(self._on_result)
        job.finished.connect(self._on_finished)
        job.cancelled.connect(self._on_cancelled)
        job.failed.connect(self._on_failed)
        self._job = job
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, plan.count)
        self.progress.setValue(0)
        self._status(f"Timing {plan.count} cases…")
        self.redraw()
        job.start()
        self.sweep_started.emit()
        return True

    def cancel(self) -> None:
        """Ask the running sweep to stop; ``sweep_finished("cancelled")`` follows."""
        if self._job is not None:
            self._job.cancel()
            self.cancel_button.setEnabled(False)
            self._status("Cancelling…")

    def _on_result(self, result: TimingResult) -> None:
        self.results.append(result)
        self.table.add_result(result)
        self.progress.setValue(len(self.results))
        self._status(f"{len(self.results)} of {self._expected}: {result.op} {result.dtype} "
                     f"{result.device} n={result.size}" + ("" if result.ok else
                                                          f" ({result.status})"))
        self.result_added.emit(result)
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def _finish(self, outcome: str, message: str, error: bool = False) -> None:
        self._job = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self._redraw_timer.stop()
        self.redraw()
        self._status(message, error)
        self.results_changed.emit()
        self.sweep_finished.emit(outcome)

    def _on_finished(self) -> None:
        skipped = sum(not r.ok for r in self.results)
        self._finish("done", f"Done: {len(self.results)} cases"
                     + (f", {skipped} skipped or failed (see the table)" if skipped else "."))

    def _on_cancelled(self) -> None:
        self._finish("cancelled", f"Cancelled after {len(self.results)} of {self._expected} "
                                  "cases.")

    def _on_failed(self, message: str) -> None:
        self._finish("failed", "The sweep failed: " + message.splitlines()[0], error=True)

    # --- results ----------------------------------------------------------------------------

    def all_results(self) -> list[TimingResult]:
        """The loaded results, then this run's (the table's order)."""
        return self.loaded + self.results

    def redraw(self) -> None:
        """Redraw the plots and refill the table from all results."""
        everything = self.all_results()
        self.plots.redraw(everything, self.naive_box.isChecked())
        if self._table_stale or self.table.rowCount() != len(everything):
            self.table.set_results(everything)
            self._table_stale = False
        self.table.show_naive(self.naive_box.isChecked())

    def _naive_toggled(self, on: bool) -> None:
        self.redraw()
        if on and self.results and all(r.naive_s is None for r in self.results):
            self._status("Run again to measure the naive timing beside the synchronised one.")

    def load_csv(self, path: str | Path) -> bool:
        """Add the results in a CSV file (labelled by its name); a message and False if bad."""
        path = Path(path)
        try:
            loaded = load_results_csv(path)  # regular files of a sane size only
        except EngineError as exc:  # the message names the file when the file is the problem
            text = str(exc)
            self._status(text[:1].upper() + text[1:] if path.name in text else
                         f"Could not load {path.name}: {text}", error=True)
            return False
        sources = {r.source for r in loaded}
        self.loaded = [r for r in self.loaded if r.source not in sources] + loaded
        self._table_stale = True
        devices = sorted({r.device for r in loaded})
        self.redraw()
        self._status(f"Loaded {len(loaded)} results from {path.name} "
                     f"(devices: {', '.join(devices)}).")
        self.results_changed.emit()
        return True

    def save_csv(self, path: str | Path) -> bool:
        """Write every result as CSV; a message and False on failure."""
        path = Path(path)
        try:
            save_results_csv(path, self.all_results())  # atomic: a full disk keeps the old file
        except OSError as exc:
            self._status(f"Could not save {path.name}: {exc.strerror or exc}", error=True)
            return False
        self._status(f"Saved {len(self.all_results())} results to {path.name}.")
        return True

    def copy_results(self) -> str:
        """Put every result on the clipboard, tab-separated; returns the text."""
        text = results_to_csv(self.all_results(), delimiter="\t")
        QGuiApplication.clipboard().setText(text)
        self._status(f"Copied {len(self.all_results())} results.")
        return text

    def clear_results(self) -> None:
        """Forget every result (not while a sweep runs)."""
        if self._job is not None:
            self._status("Cancel the running sweep before clearing.", error=True)
            return
        self.results, self.loaded = [], []
        self._table_stale = True
        self.redraw()
        self.results_changed.emit()
        self._status("Cleared.")

    def set_view_style(self, style: ViewStyle) -> None:
        """Draw the plots and messages in ``style``'s colours."""
        if style == self.view_style:
            return
        self.view_style = style
        self.plots.set_view_style(style)
        self.banner.setStyleSheet(banner_sheet(style, not any(d.is_gpu for d in self.devices)))
        self.redraw()
        self._status(self.status_label.text(), self._status_error)

    def _status(self, text: str, error: bool = False) -> None:
        self.status_label.setText(text)
        self._status_error = error
        self.status_label.setStyleSheet(f"color: {self.view_style.error};" if error else "")

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.cancel()
        super().closeEvent(event)
