"""The least-squares demo's plots: ‖Ax − y‖² per SGD step, and x's distance to the solutions."""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QFont  # noqa: E402
from PySide6.QtWidgets import QBoxLayout, QLabel, QVBoxLayout, QWidget  # noqa: E402
import pyqtgraph as pg  # noqa: E402

from nla_explorer.drawing.style import ViewStyle  # noqa: E402
from nla_explorer.panels.log_plots import (  # noqa: E402
    DecadeRange, legend_of, plot_widget, positive, set_font, with_divergence,
)
from nla_explorer.panels.plot_theme import style_plot  # noqa: E402
from nla_explorer.panels.training_plots import LossPlot  # noqa: E402

DISTANCE_TITLE = "Distance of x to the solution"

class LeastSquaresPlots(QWidget):
    """‖Ax − y‖² per SGD step, and x's distance to A⁺y and to where SGD ends up from x₀."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loss_plot = LossPlot(self, "‖Ax − y‖² per epoch", "‖Ax − y‖²")
        self.distance_plot = plot_widget(self, DISTANCE_TITLE, "epoch", log_y=True)
        item = self.distance_plot.getPlotItem()
        self.distance_curve = item.plot(name="‖x − A⁺y‖", connect="finite")
        self.limit_curve = item.plot(name="‖x − (A⁺y + (I − A⁺A)x₀)‖", connect="finite")
        self.distance_plot.setXLink(self.loss_plot)
        self.distance_range = DecadeRange(self.distance_plot)
        self.info_label = QLabel(wordWrap=True)
        self.info_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info_label.setToolTip("Facts about this A computed exactly (float64, torch.linalg)")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.plots_box = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.plots_box.addWidget(self.loss_plot, 1)
        self.plots_box.addWidget(self.distance_plot, 1)
        layout.addLayout(self.plots_box, 1)
        layout.addWidget(self.info_label)
        self.set_view_style(ViewStyle.light())

    def set_view_style(self, style: ViewStyle) -> None:
        """Colours of the plots, axes, titles, legends and curves."""
        self.loss_plot.set_view_style(style)
        style_plot(self.distance_plot, style)
        self.distance_curve.setPen(pg.mkPen(style.series_colour(0), width=1))
        self.limit_curve.setPen(pg.mkPen(style.series_colour(1), width=1,
                                         style=Qt.PenStyle.DashLine))
        legend_of(self.distance_plot).updateSize()

    def set_side_by_side(self, on: bool) -> None:
        """The loss beside the distances (a wide, short bottom dock), or above them."""
        self.plots_box.setDirection(QBoxLayout.Direction.LeftToRight if on
                                    else QBoxLayout.Direction.TopToBottom)

    def begin(self, start) -> None:
        """A new run (a ``LeastSquaresStart``): what SGD should reach, and how fast it may step."""
        config = start.config
        self.loss_plot.begin(config.epochs, config)
        self.distance_curve.setData([], [])
        self.limit_curve.setData([], [])
        self.distance_range.reset()
        legend_of(self.distance_plot).set_title(DISTANCE_TITLE)
        gap = float(np.linalg.norm(start.limit - start.pinv_solution))
        where = ("A⁺y itself" if gap < 1e-6 else
                 f"A⁺y + (I − A⁺A)x₀, at distance {gap:.3g} from A⁺y (x₀'s part in the null "
                 "space of A never changes)")
        self.info_label.setText(
            f"A is {config.rows} × {config.cols}. SGD converges for lr < 1/σ_max² = "
            f"{start.lr_limit:.3g} (this run: lr = {config.lr:.3g}); from this x₀ it ends at "
            f"{where}. Smallest possible ‖Ax − y‖² = {start.min_loss:.3g}.")

    def show_progress(self, losses: np.ndarray, distances: np.ndarray,
                      to_limit: np.ndarray) -> None:
        self.loss_plot.show_losses(losses)
        epochs = np.arange(len(distances))
        self.distance_curve.setData(epochs, positive(distances))
        self.limit_curve.setData(epochs, positive(to_limit))
        self.distance_range.fit(distances, to_limit)
        title = with_divergence(DISTANCE_TITLE, distances, to_limit)
        if title != self.distance_plot.getPlotItem().titleLabel.text:
            legend_of(self.distance_plot).set_title(title)

    def finish(self, result) -> None:
        if result.diverged:
            self.loss_plot.mark_divergence(result.diverged_epoch, f"diverged at epoch "
                                           f"{result.diverged_epoch}")

    def clear(self) -> None:
        self.distance_curve.setData([], [])
        self.limit_curve.setData([], [])
        self.info_label.clear()
        self.loss_plot.clear_runs()

    def set_font_size(self, points: int) -> None:
        font = QFont(self.font())
        font.setPointSize(points)
        for widget in (self.loss_plot, self.distance_plot):
            set_font(widget, font)
            legend_of(widget).fit()
