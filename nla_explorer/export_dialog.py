"""The export dialog: where to write, the scale, a transparent background, which step, as a slide.

The choices are a plain value (:class:`ExportOptions`): the dialog is filled from one and reads
back one (:meth:`ExportDialog.options`), so a test sets its widgets and exports without ``exec``.
:func:`options_problem` names what is wrong with a choice; the dialog shows it and stays open.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout,
    QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from nla_explorer.panels.muted_text import palette_style

FORMATS = (".png", ".svg", ".pdf", ".dot")  # graph_view.export.FORMATS
FILTERS = ("PNG image (*.png);;SVG vector image (*.svg);;PDF document (*.pdf);;"
           "Graphviz DOT (*.dot)")


@dataclass(frozen=True)
class ExportOptions:
    """What to export: the file (its extension is the format), the PNG scale, a transparent
    background (PNG, SVG), the step (1 = the first; None: the step shown), a 16:9 slide with the
    step card, or every step (a PDF of a page each, or numbered PNG/SVG files)."""

    path: str = ""
    scale: float = 2.0
    transparent: bool = False
    slide: bool = True
    step: int | None = None
    all_steps: bool = False

    @property
    def suffix(self) -> str:
        return Path(self.path).suffix.lower()


def options_problem(options: ExportOptions, step_count: int) -> str | None:
    """Why ``options`` cannot be exported from a pass of ``step_count`` steps (a line), or None."""
    if not options.path.strip():
        return "choose a file to export to"
    if options.suffix not in FORMATS:
        return (f"cannot export to '{Path(options.path).name}': the extension must be one of "
                f"{', '.join(FORMATS)}")
    if not 0.05 <= options.scale <= 20:
        return f"the scale {options.scale:g} is out of range (0.05 to 20)"
    stepwise = options.slide or options.all_steps or options.step is not None
    if stepwise and options.suffix == ".dot":
        return ("a DOT file holds the graph only: choose PNG, SVG or PDF for a slide or a "
                "step")
    if (options.all_steps or options.step is not None) and step_count == 0:
        return "the graph has no steps to export"
    if options.step is not None and not options.all_steps and \
            not 1 <= options.step <= step_count:
        return f"step {options.step} is out of range: the pass has steps 1 to {step_count}"
    return None


class ExportDialog(QDialog):
    """File ▸ Export slide… (and Export all steps…): the choices of :class:`ExportOptions` for a
    pass of ``step_count`` steps; OK is refused, with the reason shown, while they are wrong."""

    def __init__(self, parent: QWidget | None, options: ExportOptions, step_count: int) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.step_count = step_count
        self.path = QLineEdit()
        self.path.setObjectName("export_path")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.scale = QDoubleSpinBox()
        self.scale.setRange(0.05, 20.0)
        self.scale.setSingleStep(0.5)
        self.scale.setDecimals(2)
        self.scale.setSuffix(" ×")
        self.scale.setToolTip("PNG pixels per picture pixel (a slide is 1280×720 times this)")
        self.transparent = QCheckBox("Transparent background (PNG, SVG)")
        self.slide = QCheckBox("Slide: 16:9, the step card beside the graph, a title")
        self.step = QSpinBox()
        self.step.setRange(0, step_count)
        self.step.setSpecialValueText("the step shown")
        self.step.setPrefix("step ")
        self.step.setToolTip(f"1 to {step_count}")
        self.all_steps = QCheckBox("Every step (a PDF: one page each; PNG, SVG: one file each)")
        self.message = QLabel()
        self.message.setObjectName("export_problem")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {palette_style(self).error}")  # the dialog's theme
        self.message.hide()
        form = QFormLayout()
        form.addRow("File", row)
        form.addRow("Scale", self.scale)
        form.addRow("Step", self.step)
        form.addRow("", self.all_steps)
        form.addRow("", self.slide)
        form.addRow("", self.transparent)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.set_options(options)
        for signal in (self.path.textChanged, self.all_steps.toggled, self.slide.toggled):
            signal.connect(self._update)
        self._update()

    def set_options(self, options: ExportOptions) -> None:
        self.path.setText(options.path)
        self.scale.setValue(options.scale)
        self.transparent.setChecked(options.transparent)
        self.slide.setChecked(options.slide)
        self.step.setValue(options.step or 0)
        self.all_steps.setChecked(options.all_steps)

    def options(self) -> ExportOptions:
        """The choices as they stand."""
        return ExportOptions(self.path.text().strip(), self.scale.value(),
                             self.transparent.isChecked() and self.transparent.isEnabled(),
                             self.slide.isChecked(), self.step.value() or None,
                             self.all_steps.isChecked())

    def problem(self) -> str | None:
        return options_problem(self.options(), self.step_count)

    def accept(self) -> None:
        problem = self.problem()
        if problem:
            self.message.setText(problem)
            self.message.show()
            return
        super().accept()

    def browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text(), FILTERS)
        if path:
            self.path.setText(path)

    def _update(self) -> None:
        suffix = self.options().suffix
        self.scale.setEnabled(suffix == ".png")
        self.transparent.setEnabled(suffix in (".png", ".svg"))
        self.step.setEnabled(not self.all_steps.isChecked())
        self.message.hide()
