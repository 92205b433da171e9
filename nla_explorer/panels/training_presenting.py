"""The training panel in presentation mode: the plots take the room, the sliders stay beside them,
readable from the back row.

At 1280×720 the sliders at the presentation's type took half the screen and squeezed the plots;
at 0.6 of it (the first fix) the values were smaller than in the normal window. Presenting, the
controls are in :func:`beside_points` type (15 pt at 1280 px wide, 18 at 1920, never smaller than
the normal window's), and they give the plots room by narrowness, not by small type: the column is
as wide as its labels and a slider row, and a field wider than what is left beside its label (the
network's menu) goes under its label, in the empty height below. The plots' legends take the
controls' type too (the fit's key in one row under its title, not three), the y axes only the
width of their ticks, and the fit a little wider than the loss and the norms.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QFormLayout, QStyle

from nla_explorer.panels.plot_presenting import beside_points, legend_text_size
from nla_explorer.panels.training_controls import ValueSlider

#: A slider's least length when presenting, in ems (shorter, it is hard to aim at a value).
SLIDER_EMS = 5


def present_controls(panel, on: bool, points: int) -> None:
    """``panel`` (a ``TrainingPanel``) presented at ``points`` (``on``), or as it was."""
    plots = panel.fit_plots
    font = QFont()
    if on:
        side = beside_points(panel, points, plots.plain_points or 0)
        font.setPointSize(side)
    plots.set_presenting(False)  # set_font_size below sets the plain axis first
    for widget in (panel.controls_stack, panel.status_label):
        widget.setFont(font)  # off: a default QFont, the panel's again
    _wrap_wide_fields(panel, on)
    panel.set_font_size(points if on else panel.font().pointSize())
    if _side_by_side(plots):  # the loss and the norms share the height evenly: the norms'
        plots.set_side_by_side(True)  # header (title, a legend on two rows) left them no room
        if on:
            plots.grid.setRowStretch(0, 1)
            plots.grid.setRowStretch(1, 1)
    if on:
        plots.set_presenting(True)
        for plot in panel.plots_stack.findChildren(pg.PlotWidget):
            legend = plot.getPlotItem().legend
            if legend is not None:
                legend_text_size(legend, f"{side}pt")
        width = _controls_width(panel)
        panel.controls_scroll.setMinimumWidth(width)
        panel.splitter.setSizes([width, max(panel.splitter.width() - width, 1)])


def _side_by_side(plots) -> bool:
    """Whether the fit is beside the loss and norms (spanning their two rows)."""
    grid = plots.grid
    return grid.getItemPosition(grid.indexOf(plots.fit_plot))[2] == 2


def _forms(panel) -> list[QFormLayout]:
    return [panel.poly_controls.form, panel.ls_controls.form]


def _wrap_wide_fields(panel, on: bool) -> None:
    """Presenting: a field too wide for its row goes under its label; each menu asks for the
    width of its longest item in the new type (a combo box keeps the minimum it first measured,
    at the old type, and elided its text), and gets it."""
    style = panel.style()
    plain = QFormLayout.RowWrapPolicy(style.styleHint(QStyle.StyleHint.SH_FormLayoutWrapPolicy))
    for form in _forms(panel):
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows if on else plain)
    for combo in panel.controls_stack.findChildren(QComboBox):
        combo.setMinimumWidth(combo.sizeHint().width() if on else 0)


def _form_width(form: QFormLayout) -> int:
    """The width of ``form``: its widest field's, or its labels' and a slider's (``SLIDER_EMS``
    long) beside them if that is wider; a field too wide to stand beside its label (the network's
    menu) goes under it."""
    labels, fields, sliders = [0], [0], [0]
    for row in range(form.rowCount()):
        label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
        if label is not None and label.widget() is not None:
            labels.append(label.widget().sizeHint().width())
        if field is None:
            continue
        fields.append(field.minimumSize().width())
        widget = field.widget()
        if isinstance(widget, ValueSlider):
            em = widget.fontMetrics().horizontalAdvance("M")
            spacing = max(widget.layout().spacing(), 0)
            sliders.append(SLIDER_EMS * em + spacing + widget.value_label.minimumWidth())
    margins = form.contentsMargins()
    inner = max(max(fields), max(labels) + max(form.horizontalSpacing(), 0) + max(sliders))
    return margins.left() + inner + margins.right()


def _controls_width(panel) -> int:
    """The sliders' column (either demo's), its frame included, and its scroll bar if the
    controls at that width are taller than the column."""
    scroll = panel.controls_scroll
    frame = 2 * scroll.frameWidth()
    width = max(_form_width(form) for form in _forms(panel))
    tall = max(form.totalHeightForWidth(width) if form.hasHeightForWidth()
               else form.totalSizeHint().height() for form in _forms(panel))
    if tall > scroll.height() - frame:
        width += scroll.verticalScrollBar().sizeHint().width()
    return width + frame
