"""How the views draw, as a value: :class:`ViewStyle` (colours, font size, precision of numbers).

Colours are Okabe–Ito hues (distinguishable by colour-blind readers); the fills and borders of
the graph's boxes are in graph_view/kind_styles.py, the block editor's are roles here. A style is frozen: switching the theme, the
font or the precision makes a new one, which the window hands to the views (each view keeps its
own, so two windows may draw in two styles).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import cached_property

from PySide6.QtGui import QColor, QFont, QFontMetricsF

from nla_explorer.value_text import DEFAULT_PRECISION

MIN_PRECISION, MAX_PRECISION = 2, 12  # significant digits a style may ask for


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


@dataclass(frozen=True)
class ViewStyle:
    """Colours (``#rrggbb``), the font size (points) and the precision (significant digits).

    Boxes keep their light fills and dark text in both themes (they read well on either); the
    dark theme changes the canvas and what is drawn straight on it (edges, wires, flows), and
    the text of the step card, which sits on the window's background.
    """

    theme: str = "light"
    canvas: str = "#ffffff"  # the graph view's and the block canvas' background
    text: str = "#1a1a1a"
    muted: str = "#555555"
    value: str = "#00634a"  # bluish green: forward values
    grad: str = "#b34700"  # vermillion: gradients
    edge: str = "#4d4d4d"  # graph edges and block wires
    constant_edge: str = "#9c8a00"
    made_by_edge: str = "#a8477f"  # from a node to the order-2 nodes its backward made
    selected: str = "#009e73"
    input_highlight: str = "#0072b2"
    consumer_highlight: str = "#e69f00"
    step_current: str = "#d55e00"  # the node the backward pass runs now
    gradient_flow: str = "#cc3311"  # edges carrying gradient at this step
    value_flow: str = "#007a5a"  # edges carrying a value at a forward step
    group_frame: str = "#6a51a3"  # the frame and header of an open module group
    leaf_grad_fill: str = "#f5b995"  # a leaf whose .grad has been accumulated
    # the block editor's boxes: light in both themes, as the graph's (a trainable leaf in the
    # parameter's blue, the output in the output's orange)
    block_fill: str = "#f4f6f8"
    block_border: str = "#5f5f5f"
    block_leaf_fill: str = "#d4e8f7"
    block_output_fill: str = "#fbdcc8"
    block_output_border: str = "#d55e00"
    port_fill: str = "#ffffff"
    card_grad: str = "#b34700"  # the step card's captions, on the window's background
    card_value: str = "#00634a"
    card_muted: str = "#555555"
    # panels that draw on the window's text fields (plots, the code editor, the inspector)
    surface: str = "#ffffff"  # their background (the palette's Base)
    surface_text: str = "#1a1a1a"
    surface_muted: str = "#5f6368"
    surface_grid: str = "#d0d0d0"  # light rules: plot grids, legend frames
    error: str = "#b3261e"  # error text on the window or a surface
    error_fill: str = "#fdecea"  # the background of an error box
    # on the window's background: verdicts (with ✓ / ✗, so colour is never the only cue; Paul
    # Tol's green and red), the frames of cards, a note box and a warning banner
    agree: str = "#117733"
    differ: str = "#cc3311"
    rule: str = "#d0d4d9"
    note_text: str = "#1f3f66"
    note_fill: str = "#eaf2fb"
    note_border: str = "#b6cde6"
    warning_text: str = "#5c4400"
    warning_fill: str = "#fff4ce"
    series: tuple[str, ...] = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00",
                               "#56b4e9", "#1a1a1a")  # Okabe–Ito: one colour per plotted curve
    #: a box the pass has not reached: its fill, border and heatmaps fade to this, its text
    #: stays whole (4.5:1 on the faded fill); on a dark canvas the fill fades less
    waiting_opacity: float = 0.35
    font_size: float = 11.0
    precision: int = DEFAULT_PRECISION

    @classmethod
    def light(cls) -> ViewStyle:
        return cls()

    @classmethod
    def dark(cls) -> ViewStyle:
        return cls(theme="dark", canvas="#202124", edge="#a8a8a8", constant_edge="#d4c24a",
                   made_by_edge="#e69fc8", group_frame="#b39ddb",
                   gradient_flow="#ff7a50", value_flow="#3fcf9a", card_grad="#ff9a5c",
                   card_value="#3fcf9a", card_muted="#a0a0a0", surface="#1f1f1f",
                   surface_text="#e8e8e8", surface_muted="#a8a8a8", surface_grid="#4a4a4a",
                   error="#ff8a80", error_fill="#3b1f1f", agree="#5fd38a", differ="#ff8a80",
                   rule="#5a5f66", note_text="#dce9f7", note_fill="#1f3347",
                   note_border="#3f6487", warning_text="#ffe08a", warning_fill="#3d3411",
                   waiting_opacity=0.9,
                   series=("#56b4e9", "#ff8c42", "#3fcf9a", "#e69fc8", "#f0c04a", "#9ad0f5",
                           "#e8e8e8"))

    @classmethod
    def for_theme(cls, theme: str) -> ViewStyle:
        """The style of a resolved theme: ``"dark"`` or else light."""
        return cls.dark() if theme == "dark" else cls.light()

    def with_font(self, size: float) -> ViewStyle:
        return replace(self, font_size=float(size))

    def with_precision(self, digits: int) -> ViewStyle:
        return replace(self, precision=max(MIN_PRECISION, min(int(digits), MAX_PRECISION)))

    def with_colours_of(self, other: ViewStyle) -> ViewStyle:
        """``other``'s theme and colours with this style's font size and precision."""
        return replace(other, font_size=self.font_size, precision=self.precision)

    @property
    def is_dark(self) -> bool:
        return self.colour("canvas").lightness() < 128

    def same_layout(self, other: ViewStyle) -> bool:
        """Would a picture drawn in ``other`` have the same boxes? (Colours do not move them.)"""
        return (self.font_size, self.precision) == (other.font_size, other.precision)

    def colour(self, role: str) -> QColor:
        """The colour of ``role`` (a field name: ``"edge"``, ``"grad"`` …)."""
        return QColor(self._colours[role])

    @cached_property
    def _colours(self) -> dict[str, QColor]:
        return {f.name: QColor(getattr(self, f.name)) for f in fields(self)
                if isinstance(getattr(self, f.name), str) and f.name != "theme"}

    def series_colour(self, index: int) -> str:
        """The ``index``-th curve's colour (they repeat after the last)."""
        return self.series[index % len(self.series)]

    @cached_property
    def fonts(self) -> Fonts:
        return Fonts(self.font_size)


def luminance(colour: QColor | str) -> float:
    """WCAG relative luminance of ``colour`` (0 black … 1 white)."""
    colour = QColor(colour)

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return (0.2126 * linear(colour.redF()) + 0.7152 * linear(colour.greenF())
            + 0.0722 * linear(colour.blueF()))


def contrast(a: QColor | str, b: QColor | str) -> float:
    """WCAG contrast ratio of two colours: 1 (same) … 21 (black on white); text wants ≥ 4.5."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
