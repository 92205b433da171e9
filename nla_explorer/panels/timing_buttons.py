"""The timing panel's Results box: Copy, Save CSV…, Load CSV…, Clear (it asks for file names), and
on a machine without a GPU the shipped reference GPU run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QGridLayout, QGroupBox, QPushButton, QWidget

from nla_explorer.drawing.style import ViewStyle
from nla_explorer.engine.timing.reference import ReferenceRun, reference_runs
from nla_explorer.resources import reference_runs_folder


NO_GPU = "No GPU found — CPU only; load a CSV measured on a GPU to compare."


def no_gpu_text(reference: ReferenceRun | None) -> str:
    """The banner of a machine without a GPU (and the reference run it can compare with)."""
    if reference is None:
        return NO_GPU
    return (f"No GPU found — CPU only. Compare with the run measured on "
            f"{reference.device_name} (Results ▸ Reference run), or load a CSV measured on a GPU.")


def banner_sheet(style: ViewStyle, warning: bool) -> str:
    """The devices banner: a warning (no GPU) in ``style``'s warning colours, else plain."""
    if not warning:
        return "padding: 4px;"
    return (f"background: {style.warning_fill}; color: {style.warning_text}; padding: 6px; "
            "border-radius: 4px;")


def shipped_reference() -> ReferenceRun | None:
    """The newest reference GPU run shipped with the app (None: none is)."""
    runs = reference_runs(reference_runs_folder())
    return max(runs, key=lambda run: run.facts.get("date", "")) if runs else None


class ResultsButtons(QGroupBox):
    """Buttons wired to what the panel does with its results; the file dialogs live here."""

    def __init__(self, copy: Callable[[], object], save: Callable[[Path], object],
                 load: Callable[[Path], object], clear: Callable[[], object],
                 reference: ReferenceRun | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Results", parent)
        self._save, self._load = save, load
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy every result to the clipboard (tab-separated, pastes "
                                    "into a spreadsheet)")
        self.copy_button.clicked.connect(copy)
        self.save_button = QPushButton("Save CSV…")
        self.save_button.setToolTip("Save every result (this run and loaded ones) as CSV")
        self.save_button.clicked.connect(self._choose_save)
        self.load_button = QPushButton("Load CSV…")
        self.load_button.setToolTip("Load results measured elsewhere (e.g. on a GPU box with "
                                    "nla-explorer timing --csv FILE) to compare")
        self.load_button.clicked.connect(self._choose_load)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Forget all results, measured and loaded")
        self.clear_button.clicked.connect(clear)
        grid = QGridLayout(self)
        for i, button in enumerate((self.copy_button, self.save_button, self.load_button,
                                    self.clear_button)):
            grid.addWidget(button, i // 2, i % 2)
        self.reference_button = None
        if reference is not None:  # (offered where there is no GPU)
            self.reference_button = QPushButton(f"Reference run: {reference.device_name}")
            self.reference_button.setToolTip(
                f"Load the sweep measured on {reference.summary}, to see what a GPU does: "
                "its speed-up and crossover. Not this machine.")
            self.reference_button.clicked.connect(lambda: load(reference.path))
            grid.addWidget(self.reference_button, 2, 0, 1, 2)

    def _choose_load(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load timing results", "",
                                              "CSV files (*.csv *.tsv *.txt);;All files (*)")
        if path:
            self._load(Path(path))

    def _choose_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save timing results", "timing.csv",
                                              "CSV files (*.csv)")
        if path:
            self._save(Path(path))
