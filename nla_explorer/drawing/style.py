"""Colours and fonts of the graph picture and the block canvas (Okabe–Ito hues: distinguishable
by colour-blind readers). The fills and borders of the graph's boxes: graph_view/kind_styles.py."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontMetricsF

TEXT = QColor("#1a1a1a")
MUTED = QColor("#555555")
VALUE = QColor("#00634a")  # bluish green: forward values
GRAD = QColor("#b34700")  # vermillion: gradients
EDGE = QColor("#4d4d4d")
CONSTANT_EDGE = QColor("#9c8a00")
SELECTED = QColor("#009e73")
INPUT_HIGHLIGHT = QColor("#0072b2")
CONSUMER_HIGHLIGHT = QColor("#e69f00")
STEP_CURRENT = QColor("#d55e00")  # the node the backward pass runs now
GRADIENT_FLOW = QColor("#cc3311")  # edges carrying gradient at this step
VALUE_FLOW = QColor("#007a5a")  # edges carrying a value at a forward step
LEAF_GRAD_FILL = "#f5b995"  # a leaf whose .grad has been accumulated
CANVAS = QColor("#ffffff")  # the graph view's background

# what the dark theme changes: the canvas and what is drawn straight on it (boxes keep their
# light fills and dark text, which read well on both)
_LIGHT = {"CANVAS": "#ffffff", "EDGE": "#4d4d4d", "CONSTANT_EDGE": "#9c8a00",
          "GRADIENT_FLOW": "#cc3311", "VALUE_FLOW": "#007a5a"}
_DARK = {"CANVAS": "#202124", "EDGE": "#a8a8a8", "CONSTANT_EDGE": "#d4c24a",
         "GRADIENT_FLOW": "#ff7a50", "VALUE_FLOW": "#3fcf9a"}


def use_dark(dark: bool) -> None:
    """Colours for a dark or light canvas; pictures built afterwards use them."""
    for name, colour in (_DARK if dark else _LIGHT).items():
        globals()[name] = QColor(colour)


def is_dark() -> bool:
    return CANVAS.lightness() < 128


class Fonts:
    """The fonts of one picture; ``size`` is the title's point size (the projector setting)."""

    def __init__(self, size: float = 11.0) -> None:
        self.size = size
        self.title = QFont("DejaVu Sans", 1)
        self.title.setPointSizeF(size)
        self.title.setBold(True)
        self.small = QFont("DejaVu Sans", 1)
        self.small.setPointSizeF(size * 0.8)
        self.mono = QFont("DejaVu Sans Mono", 1)
        self.mono.setPointSizeF(size * 0.78)
        self.title_metrics = QFontMetricsF(self.title)
        self.small_metrics = QFontMetricsF(self.small)
        self.mono_metrics = QFontMetricsF(self.mono)

    @property
    def padding(self) -> float:
        return self.size * 0.7
