"""The training panel in presentation mode: the plots take the room, the sliders stay beside them.

At 1280×720 the sliders at the presentation's type took half the screen and squeezed the fit and
loss plots until their titles were cut off: presenting, the controls are in smaller type, the
more so the narrower the screen (``COMPACT`` of the plots' at 1280 px wide, up to ``ROOMY`` of it
on a wider one), and only as wide as they must be (not as they would like).
"""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication

from nla_explorer.panels.plot_presenting import COMPACT, COMPACT_FLOOR, compact_font

ROOMY = 0.8


def present_controls(panel, on: bool, points: int) -> None:
    """``panel`` (a ``TrainingPanel``) presented at ``points`` (``on``), or as it was."""
    font = compact_font(points, on)
    if on:  # one size from the screen's width: trying sizes until the controls fit measures
        # nothing (a combo box keeps the first minimum size it computed, whatever its font)
        screen = panel.screen() or QGuiApplication.primaryScreen()
        wide = screen.geometry().width() / 1280 if screen is not None else 1.0
        font.setPointSize(max(COMPACT_FLOOR, min(round(points * COMPACT * wide),
                                                 round(points * ROOMY))))
    for widget in (panel.controls_stack, panel.status_label):
        widget.setFont(font)
    panel.set_font_size(points if on else panel.font().pointSize())
    plots = panel.fit_plots
    if _side_by_side(plots):  # the loss and the norms share the height evenly: the norms'
        plots.set_side_by_side(True)  # header (title, a legend on two rows) left them no room
        if on:
            plots.grid.setRowStretch(0, 1)
            plots.grid.setRowStretch(1, 1)
    if on:
        width = _controls_width(panel)
        panel.controls_scroll.setMinimumWidth(width)
        panel.splitter.setSizes([width, max(panel.splitter.width() - width, 1)])


def _side_by_side(plots) -> bool:
    """Whether the fit is beside the loss and norms (spanning their two rows)."""
    grid = plots.grid
    return grid.getItemPosition(grid.indexOf(plots.fit_plot))[2] == 2


def _controls_width(panel) -> int:
    """The least width of the sliders' column (either demo's), its scroll bar included."""
    controls = max(panel.poly_controls.minimumSizeHint().width(),
                   panel.ls_controls.minimumSizeHint().width())
    return controls + panel.controls_scroll.verticalScrollBar().sizeHint().width() + 8
