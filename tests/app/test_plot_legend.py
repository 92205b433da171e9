"""A plot's header legend never covers the data and never runs off the plot: names too long
for one column break into lines at their `` · `` (a loaded run's name after the series), and
join again when the plot is wide enough."""

import pyqtgraph as pg

from nla_explorer.panels.plot_legend import CLEAR, TITLE_ROW, HeaderLegend

LONG = "cuda over cpu: matmul float32 · NVIDIA H200 (reference run, not this machine)"


def _plot(qtbot, width):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    legend = HeaderLegend(plot.getPlotItem(), labelTextSize="9pt")
    plot.plot([1, 2, 3], [1, 4, 9], name=LONG)
    plot.resize(width, 300)
    plot.show()
    qtbot.waitExposed(plot)
    return plot, legend


def test_a_name_too_long_for_the_plot_breaks_into_lines_and_joins_again(qtbot):
    plot, legend = _plot(qtbot, 380)
    (_, label), = legend.items
    room = plot.getPlotItem().width() - plot.getPlotItem().getAxis("left").width()
    assert label.text == LONG.replace(" · ", "<br>")
    assert 0 < legend.width() <= room  # inside the plot
    assert legend.pos().x() >= 0
    plot.resize(1400, 300)
    qtbot.waitUntil(lambda: label.text == LONG)  # room again: one line
    assert legend.width() <= plot.getPlotItem().width()
    assert plot.getPlotItem().listDataItems()[0].name() == LONG  # (the curve keeps its name)


def test_the_lower_header_wins_a_row_under_the_title_over_a_column_beside_it(qtbot):
    """Three entries fit beside the title only in one column, three rows tall: in a row under
    the title the header is lower, and a short stacked plot keeps its data (the Train fit plot
    beside the step's graph at 720p)."""
    plot = pg.PlotWidget(title="Fit · error 1.2e-06")
    qtbot.addWidget(plot)
    legend = HeaderLegend(plot.getPlotItem(), labelTextSize="11pt")
    for name in ("target", "training points", "network"):
        plot.plot([1, 2, 3], [1, 4, 9], name=name)
    plot.resize(380, 220)
    plot.show()
    qtbot.waitExposed(plot)
    qtbot.waitUntil(lambda: legend.columnCount == 3)
    header = plot.getPlotItem().layout.rowMinimumHeight(0)
    assert legend.rowCount == 1 and header <= TITLE_ROW + legend.height() + CLEAR
    title = plot.getPlotItem().titleLabel
    assert legend.pos().y() >= title.item.boundingRect().height() - 1, "under the title"
