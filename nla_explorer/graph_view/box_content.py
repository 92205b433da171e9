"""What a graph box holds, how big it is, and what a zoom shows of it (the level of detail).

A box holds its title (``mul``, ``x``, ``f = sub``), its shape, and its value and gradient:
numbers for a few entries, a strip of coloured cells (a small heatmap) for vectors and matrices.
Zoomed out so far that the title would be too small to read, a box shows only its name (the
program's variable name, else the op) in large type filling the box. :func:`label_px` says how
tall that name is on screen at a zoom and :func:`legible_zoom` from which zoom on it is at least
so many pixels tall: pure functions of a box's :class:`LabelSizes`, so a view can ask before it
zooms, and tests can assert legibility from the scene.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from PySide6.QtGui import QFont, QFontMetricsF

from nla_explorer.drawing.heatmap import pooled_shape
from nla_explorer.drawing.style import Fonts
from nla_explorer.engine.tensors import TensorData
from nla_explorer.graph_view.model import BADGE_LIMIT, DisplayNode

#: Levels of detail: every line; the name alone in large type; a plain rectangle.
FULL, NAME, PLAIN = "full", "name", "plain"
#: Full detail once the title is this tall on screen (pixels); below, the name in large type.
DEFAULT_LABEL_PX = 12.0
#: A name smaller than this on screen is not drawn: the box is a few pixels tall.
MIN_VISIBLE_PX = 4.0
#: The large name grows to fill its box, up to this many times the title's size; a box is at
#: least wide enough for its name at NAME_ROOM times the title's size.
MAX_NAME_SCALE = 3.0
NAME_ROOM = 1.5
#: A strip shows a vector's first STRIP_COLS entries, a matrix averaged to STRIP_ROWS×STRIP_COLS.
STRIP_COLS, STRIP_ROWS = 16, 6

STRIP_ROLES = ("value_strip", "grad_strip")


@dataclass(frozen=True)
class Strip:
    """The cells of a value or gradient strip: ``rows``×``cols``; ``clipped``: entries left out."""

    rows: int
    cols: int
    clipped: bool

    @property
    def key(self) -> str:
        return _strip_key(self.rows, self.cols, self.clipped)


@lru_cache(maxsize=1024)
def _strip_key(rows: int, cols: int, clipped: bool) -> str:
    return f"{rows}×{cols}{'…' if clipped else ''}"


def strip_of(data: TensorData | None) -> Strip | None:
    """The strip of a tensor of more than :data:`BADGE_LIMIT` entries whose values are known."""
    if data is None or data.values is None or data.numel <= BADGE_LIMIT:
        return None
    try:
        return _strip(tuple(data.shape))
    except TypeError:  # an unhashable size
        return _strip.__wrapped__(tuple(data.shape))


@lru_cache(maxsize=1024)
def _strip(shape: tuple[int, ...]) -> Strip:
    """By shape: 100,000 boxes have a handful of shapes."""
    numel = math.prod(shape)
    if len(shape) <= 1:
        return Strip(1, min(numel, STRIP_COLS), numel > STRIP_COLS)
    rows, cols = math.prod(shape[:-1]), shape[-1]
    return Strip(*pooled_shape(rows, cols, STRIP_COLS, STRIP_ROWS), False)


def node_lines(node: DisplayNode) -> list[tuple[str, str]]:
    """(role, text) lines of a box: title, shape, then the value and the gradient, as numbers
    (``value``, ``grad``) or as strips (``value_strip``, ``grad_strip``: the text is the
    strip's size in cells, so two boxes with the same lines have the same size)."""
    lines = [("title", node.title), ("sub", node.subtitle)]
    for line in (_data_line(node, "value", node.value), _data_line(node, "grad", node.grad)):
        if line is not None:
            lines.append(line)
    return lines


def size_key(node: DisplayNode) -> tuple:
    """What a box's size depends on (its lines), cheaper than :func:`node_lines`: boxes with
    equal keys are measured once (100,000 boxes of a few kinds)."""
    return (node.title, node.subtitle, _data_line(node, "value", node.value),
            _data_line(node, "grad", node.grad))


def _data_line(node: DisplayNode, role: str, data) -> tuple[str, str] | None:
    if data is None or data.values is None:
        return None
    key = (role, data.shape)
    try:  # by shape: 100,000 boxes, a handful of shapes
        line = _SHAPE_LINES.get(key)
    except TypeError:  # an unhashable size
        line = _shape_line(role, data)
    else:
        if line is None:
            line = _shape_line(role, data)
            if len(_SHAPE_LINES) < 4096:
                _SHAPE_LINES[key] = line
    if line != _BADGE:
        return line
    badge = node.value_badge if role == "value" else node.grad_badge  # a few numbers
    if not badge:
        return None
    return (role, badge if role == "value" else "∇ " + badge)


_BADGE = ("", "")  # a tensor small enough to show its numbers
_SHAPE_LINES: dict[tuple[str, tuple], tuple[str, str]] = {}


def _shape_line(role: str, data: TensorData) -> tuple[str, str]:
    """The line of ``data`` (values known) by its shape alone: a strip's size, or _BADGE."""
    if data.numel <= BADGE_LIMIT:  # as DisplayNode.value_badge / grad_badge
        return _BADGE
    return (role + "_strip", strip_of(data).key)


def metrics(role: str, fonts: Fonts) -> QFontMetricsF:
    return {"title": fonts.title_metrics, "sub": fonts.small_metrics}.get(role, fonts.mono_metrics)


def font(role: str, fonts: Fonts) -> QFont:
    return {"title": fonts.title, "sub": fonts.small}.get(role, fonts.mono)


def strip_cell(strip: Strip, fonts: Fonts) -> tuple[float, float]:
    """The width and height of one cell: a vector's row as tall as a line of numbers, a
    matrix's cells square and smaller."""
    if strip.rows == 1:
        return fonts.size * 0.8, fonts.mono_metrics.height() * 0.9
    return fonts.size * 0.65, fonts.size * 0.65


def strip_caption(role: str) -> str:
    return "∇" if role == "grad_strip" else ""


def strip_side(fonts: Fonts) -> float:
    """Room on each side of a strip's cells: the ∇ on the left, an ellipsis on the right (the
    same for the value and the gradient, so their cells line up)."""
    mono = fonts.mono_metrics
    return max(mono.horizontalAdvance("∇ "), mono.horizontalAdvance(" …"))


def strip_size(strip: Strip, role: str, fonts: Fonts) -> tuple[float, float]:
    """Width and height of a strip's line: the cells, centred, with room on both sides."""
    cell_w, cell_h = strip_cell(strip, fonts)
    return strip.cols * cell_w + 2 * strip_side(fonts), strip.rows * cell_h + fonts.size * 0.3


def line_size(node: DisplayNode, role: str, text: str, fonts: Fonts) -> tuple[float, float]:
    if role in STRIP_ROLES:
        strip = strip_of(node.value if role == "value_strip" else node.grad)
        return strip_size(strip, role, fonts)
    m = metrics(role, fonts)
    return m.horizontalAdvance(text), m.height()


def node_size(node: DisplayNode, fonts: Fonts) -> tuple[float, float]:
    """The box size for ``node`` with ``fonts`` (also given to the layout): as big as its
    lines need, and wide enough for its name in large type, with a padding that grows with the
    type."""
    width = fonts.title_metrics.horizontalAdvance(node.label) * NAME_ROOM
    height = 0.0
    for role, text in node_lines(node):
        w, h = line_size(node, role, text, fonts)
        width, height = max(width, w), height + h
    pad = fonts.padding
    return max(width + 2 * pad, fonts.size * 6), height + pad * 1.2


# -- the name in large type, and the zoom at which each level shows ---------------------------
@dataclass(frozen=True)
class LabelSizes:
    """Heights of a box's type in scene units (a line's ascent + descent: pixels at 100 %) and
    the zoom from which the box is drawn in full."""

    title_h: float
    name_h: float
    detail_zoom: float


@lru_cache(maxsize=4096)
def name_scale(label: str, width: float, height: float, fonts: Fonts) -> float:
    """How many times the title's size ``label`` may be drawn at to fill a box of this size."""
    m = fonts.title_metrics
    pad = fonts.padding
    by_width = (width - 2 * pad) / max(m.horizontalAdvance(label), 1.0)
    by_height = (height - pad * 0.5) / max(m.height(), 1.0)
    return max(1.0, min(by_width, by_height, MAX_NAME_SCALE))


def label_sizes(node: DisplayNode, size: tuple[float, float], fonts: Fonts,
                min_label_px: float = DEFAULT_LABEL_PX) -> LabelSizes:
    """The sizes of ``node``'s box of ``size``: full detail once its title is ``min_label_px``
    tall on screen, and at 100 % whatever the font (the size the user chose)."""
    title_h = fonts.title_metrics.height()
    scale = name_scale(node.label, size[0], size[1], fonts)
    return LabelSizes(title_h, title_h * scale, min(min_label_px / title_h, 1.0))


def name_font(fonts: Fonts, sizes: LabelSizes) -> QFont:
    """The font of the large name (shared by the boxes whose names are as large: do not change
    it)."""
    return _scaled_title(fonts, sizes.name_h / sizes.title_h)


@lru_cache(maxsize=1024)
def _scaled_title(fonts: Fonts, scale: float) -> QFont:
    big = QFont(fonts.title)
    big.setPointSizeF(fonts.title.pointSizeF() * scale)
    return big


def detail_level(zoom: float, sizes: LabelSizes) -> str:
    """What a box shows at ``zoom``: every line, its name alone, or nothing but its outline."""
    if zoom >= sizes.detail_zoom:
        return FULL
    return NAME if sizes.name_h * zoom >= MIN_VISIBLE_PX else PLAIN


def label_px(zoom: float, sizes: LabelSizes) -> float:
    """How tall (pixels on screen) a box's name is drawn at ``zoom``: its title at full detail,
    its large name when zoomed out, 0 when only the outline is drawn."""
    level = detail_level(zoom, sizes)
    if level == FULL:
        return sizes.title_h * zoom
    return sizes.name_h * zoom if level == NAME else 0.0


def legible_zoom(sizes: LabelSizes, min_px: float) -> float:
    """The smallest zoom from which on (at every larger zoom too) the name is ``min_px`` tall.

    The name shrinks where the full box takes over (the title is smaller than the large name),
    so the zoom where the large name reaches ``min_px`` counts only when the title is at least
    as tall there.
    """
    in_full = max(sizes.detail_zoom, min_px / sizes.title_h)
    in_name = max(min_px, MIN_VISIBLE_PX) / sizes.name_h
    if in_name < sizes.detail_zoom and sizes.title_h * sizes.detail_zoom >= min_px - 1e-9:
        return in_name
    return in_full
