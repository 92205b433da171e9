"""Style is a value handed to each panel that draws: dark and light themes, read from the widgets.

Regression: the dark theme was half applied (plot titles black on black) because plots took
their colours from the application's palette at one moment, while other views had their own.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor, QPalette

from nla_explorer.drawing.style import ViewStyle, contrast
from nla_explorer.engine.tensors import TensorData
from nla_explorer.panels.code_editor import CodeEditorPanel
from nla_explorer.panels.code_gutter import EditorColours
from nla_explorer.panels.tensor_plot import TensorView
from nla_explorer.panels.timing import TimingPanel
from nla_explorer.panels.training import TrainingPanel
from tests.app.test_timing_panel import synthetic_gpu_csv

PACKAGE = Path(__file__).resolve().parents[2] / "nla_explorer"
TEXT = 4.5  # WCAG AA for text


def plot_colours(plot: pg.PlotWidget) -> list[tuple[str, QColor, QColor]]:
    """(what, text colour, background) for each text a plot draws."""
    background = plot.backgroundBrush().color()
    item = plot.getPlotItem()
    pairs = []
    if item.titleLabel.text:
        pairs.append(("title", QColor(item.titleLabel.opts["color"]), background))
    for name in ("left", "bottom", "top", "right"):
        axis = item.getAxis(name)
        if axis.isVisible():
            pairs.append((f"{name} ticks", axis.textPen().color(), background))
            if axis.labelText and axis.label.isVisible():
                pairs.append((f"{name} label", QColor(axis.labelStyle.get("color", "#000")),
                              background))
    if item.legend is not None and item.legend.items:
        fill = item.legend.brush().color()
        for _, label in item.legend.items:
            pairs.append((f"legend {label.text}", QColor(label.opts["color"]), fill))
    return pairs


def assert_readable(root, style: ViewStyle) -> int:
    """Every plot under ``root`` draws on ``style``'s surface with text that contrasts with it."""
    plots = root.findChildren(pg.PlotWidget)
    for plot in plots:
        assert plot.backgroundBrush().color().name() == style.surface
        for what, fg, bg in plot_colours(plot):
            assert contrast(fg, bg) >= TEXT, (what, fg.name(), bg.name())
    return len(plots)


def assert_editor_readable(panel: CodeEditorPanel, style: ViewStyle) -> None:
    editor = panel.editor
    palette = editor.palette()
    base, text = palette.color(QPalette.Base), palette.color(QPalette.Text)
    assert base.name() == style.surface
    assert contrast(text, base) >= TEXT
    colours = EditorColours.of(palette)
    assert contrast(colours.current, colours.gutter) >= TEXT  # the current line's number
    assert contrast(colours.error, colours.error_line) >= 3.0
    assert panel.highlighter.dark == style.is_dark
    for fmt in panel.highlighter.DARK if style.is_dark else panel.highlighter.LIGHT:
        assert contrast(fmt.foreground().color(), base) >= TEXT, fmt.foreground().color().name()
    sheet = panel.error_label.styleSheet()
    fg, bg = re.search(r"color: (#\w+); background: (#\w+)", sheet).groups()
    assert contrast(fg, bg) >= TEXT
    # what the user sees: the editor's viewport is painted in the surface colour
    image = editor.viewport().grab().toImage()
    assert image.pixelColor(image.width() - 3, image.height() - 3).name() == style.surface


@pytest.fixture
def panels(qtbot, tmp_path):
    training, timing, code, tensor = TrainingPanel(), TimingPanel(), CodeEditorPanel(), TensorView()
    for panel in (training, timing, code, tensor):
        qtbot.addWidget(panel)
        panel.resize(1000, 600)
        panel.show()
    with qtbot.waitSignal(training.run_finished, timeout=30_000):
        training.start()
    timing.load_csv(synthetic_gpu_csv(tmp_path)[0])
    code.set_text("import torch\nx = torch.ones(3)  # a comment\n")
    code.show_error("line 2: something")
    values = np.array([[1.0, -2.0], [3.0, 4.0]])
    tensor.set_tensor(TensorData((2, 2), "float32", "cpu", values))
    yield training, timing, code, tensor
    training.stop()
    qtbot.waitUntil(lambda: not training.busy(), timeout=30_000)


def test_every_panel_follows_light_dark_light(panels, qtbot):
    training, timing, code, tensor = panels
    for style in (ViewStyle.dark(), ViewStyle.light(), ViewStyle.dark(), ViewStyle.light()):
        for panel in panels:
            panel.set_view_style(style)
        qtbot.wait(10)
        assert assert_readable(training, style) == 5
        assert assert_readable(timing, style) == 3
        assert assert_readable(tensor, style) == 2
        assert_editor_readable(code, style)
        fit = training.fit_plots
        assert fit.target_curve.opts["pen"].color().name() == style.surface_muted
        assert contrast(style.surface_muted, style.surface) >= TEXT


def test_the_window_hands_the_theme_to_every_panel(window, qtbot, tmp_path):
    window.timing.load_csv(synthetic_gpu_csv(tmp_path)[0])
    window.code_panel.set_text("x = torch.ones(3)\n")
    for theme in ("dark", "light", "dark"):
        window.preferences.set_theme(theme)
        style = ViewStyle.for_theme(theme)
        assert window.view_style.is_dark == (theme == "dark")
        assert assert_readable(window.training, style) == 5
        assert assert_readable(window.timing, style) == 3
        views = window.findChildren(TensorView)
        assert views and all(view.plot.style.theme == theme for view in views)
        for view in views:
            assert_readable(view, style)
        assert_editor_readable(window.code_panel, style)


def _imported_modules(tree: ast.Module) -> set[str]:
    """Names a module binds to modules of the package (``from nla_explorer.drawing import
    style``, ``import nla_explorer.themes as themes`` …)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.asname or alias.name.split(".")[0] for alias in node.names
                      if alias.name.startswith("nla_explorer")}
        elif isinstance(node, ast.ImportFrom) and node.module \
                and node.module.startswith("nla_explorer"):
            for alias in node.names:
                module = PACKAGE.parent / (node.module.replace(".", "/") + "/" + alias.name)
                if module.with_suffix(".py").exists() or module.is_dir():
                    names.add(alias.asname or alias.name)
    return names


def test_no_module_writes_another_modules_globals():
    """Style lives in values: no ``module.NAME = …``, ``setattr(module, …)`` or ``global``
    rebinding of style in a module that draws."""
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = _imported_modules(tree)
        for node in ast.walk(tree):
            targets = (node.targets if isinstance(node, ast.Assign) else
                       [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
            for target in targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                        and target.value.id in modules:
                    offences.append(f"{path.name}:{node.lineno} {target.value.id}.{target.attr}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id == "setattr" and isinstance(node.args[0], ast.Name) \
                    and node.args[0].id in modules:
                offences.append(f"{path.name}:{node.lineno} setattr({node.args[0].id}, …)")
        drawing = "drawing" in path.parts or path.name in ("themes.py",) or \
            path.name.startswith(("plot_", "training", "timing", "code_", "tensor_plot"))
        if drawing:
            offences += [f"{path.name}:{node.lineno} global {', '.join(node.names)}"
                         for node in ast.walk(tree) if isinstance(node, ast.Global)]
    assert offences == []
    for path in [*PACKAGE.glob("panels/*.py"), *PACKAGE.glob("drawing/*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "QApplication.palette()" not in text, f"{path.name} reads the application's palette"
