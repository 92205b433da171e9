"""Tiny heatmaps of tensors for edge labels, step cards and the graph's boxes (value and gradient
strips): diverging colours centred at zero.

The colours are colorcet's CET-D1 (blue–white–red, readable by colour-blind viewers), the same map
the inspector's heatmaps use, sampled at nine anchors so the picture code needs no pyqtgraph.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from nla_explorer.engine.tensors import TensorData

ANCHORS = np.array([[int(h[i:i + 2], 16) for i in (1, 3, 5)] for h in (
    "#2151db", "#6f74e1", "#9f9be7", "#c9c4ec", "#ede7e9", "#f0bdb1", "#e78b76", "#d6573e",
    "#c00206")], dtype=np.float64)
NAN_COLOUR = (128, 128, 128)
#: Tensors with more cells than this are averaged into blocks before drawing.
MAX_SIDE = 32


def grid_of(values: np.ndarray) -> np.ndarray:
    """A 2-D float grid: a vector as one row, leading dimensions flattened."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 0:
        return values.reshape(1, 1)
    if values.ndim == 1:
        return values.reshape(1, -1)
    return values.reshape(-1, values.shape[-1])


def pooled(grid: np.ndarray, max_side: int = MAX_SIDE, max_rows: int | None = None) -> np.ndarray:
    """Average blocks so neither side exceeds ``max_side`` (a 1000×1000 gradient stays readable);
    ``max_rows`` caps the rows on their own (a strip a few cells tall)."""
    rows, cols = grid.shape
    fr, fc = -(-rows // (max_rows or max_side)), -(-cols // max_side)
    if fr == 1 and fc == 1:
        return grid
    pad = np.full((-(-rows // fr) * fr, -(-cols // fc) * fc), np.nan)
    pad[:rows, :cols] = grid
    blocks = pad.reshape(pad.shape[0] // fr, fr, pad.shape[1] // fc, fc)
    with np.errstate(invalid="ignore"):
        return np.nanmean(blocks, axis=(1, 3))


def diverging_rgb(grid: np.ndarray, limit: float | None = None) -> np.ndarray:
    """``uint8`` RGB cells: zero is near-white, ±``limit`` (default max |v|) the darkest blue/red."""
    finite = np.isfinite(grid)
    if limit is None:
        limit = float(np.abs(grid[finite]).max()) if finite.any() else 1.0
    limit = limit if limit > 0 else 1.0
    t = np.clip((np.where(finite, grid, 0.0) / limit + 1.0) / 2.0, 0.0, 1.0) * (len(ANCHORS) - 1)
    low = np.minimum(t.astype(int), len(ANCHORS) - 2)
    frac = (t - low)[..., None]
    rgb = ANCHORS[low] * (1 - frac) + ANCHORS[low + 1] * frac
    rgb[~finite] = NAN_COLOUR
    return rgb.round().astype(np.uint8)


def pooled_shape(rows: int, cols: int, max_cols: int, max_rows: int) -> tuple[int, int]:
    """The shape :func:`pooled` gives a ``rows``×``cols`` grid (sides capped as given)."""
    fr, fc = -(-rows // max_rows), -(-cols // max_cols)
    return -(-rows // fr), -(-cols // fc)


def strip_grid(values: np.ndarray, max_cols: int = 16, max_rows: int = 6) -> tuple[np.ndarray,
                                                                                   bool]:
    """The cells of a value strip and whether entries were left out: a vector's first
    ``max_cols`` entries (clipped), a matrix averaged down to at most ``max_rows``×``max_cols``."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim <= 1:
        flat = values.reshape(-1)
        return flat[:max_cols].reshape(1, -1), flat.size > max_cols
    return pooled(grid_of(values), max_cols, max_rows), False


def strip_image(data: TensorData, max_cols: int = 16, max_rows: int = 6,
                cell_px: int = 8) -> QImage | None:
    """The cells of :func:`strip_grid`, ``cell_px`` pixels each with a transparent gutter
    between neighbours (what is behind shows through), coloured on the scale of the whole
    tensor's largest magnitude; ``None`` when only a summary is known. Draw it scaled without
    smoothing: one image, however many cells."""
    if data.values is None or data.values.size == 0:
        return None
    grid, _ = strip_grid(data.values, max_cols, max_rows)
    finite = np.isfinite(data.values)
    limit = float(np.abs(data.values[finite]).max()) if finite.any() else None
    rows, cols = grid.shape
    rgba = np.full((rows * cell_px, cols * cell_px, 4), 255, dtype=np.uint8)
    rgba[..., :3] = np.repeat(np.repeat(diverging_rgb(grid, limit), cell_px, 0), cell_px, 1)
    gutter = cell_px - 1
    rgba[:, gutter:-1:cell_px] = 0  # between columns (transparent: premultiplied zero)
    rgba[gutter:-1:cell_px, :] = 0  # between rows
    rgba = np.ascontiguousarray(rgba)
    return QImage(rgba.data, cols * cell_px, rows * cell_px, 4 * cols * cell_px,
                  QImage.Format_RGBA8888_Premultiplied).copy()


_CACHE: OrderedDict[tuple, tuple[object, QImage | None]] = OrderedDict()
_CACHE_SIZE = 256


def heatmap_image(data: TensorData | np.ndarray, cell: float = 10.0,
                  max_width: float = 160.0, max_height: float = 120.0) -> QImage | None:
    """A framed heatmap image of a tensor's values (``None`` when only a summary is known).

    Snapshots are immutable, so their images are cached: a step shows the same gradient on
    the edge and in the card, and stepping back and forth redraws the same few.
    """
    if not isinstance(data, TensorData):
        return _heatmap_image(data, cell, max_width, max_height)
    key = (id(data), cell, max_width, max_height)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is data:  # the entry holds ``data``, so its id is not reused
        _CACHE.move_to_end(key)
        return hit[1]
    image = _heatmap_image(data.values, cell, max_width, max_height)
    _CACHE[key] = (data, image)
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return image


def _heatmap_image(values: np.ndarray | None, cell: float, max_width: float,
                   max_height: float) -> QImage | None:
    if values is None or np.asarray(values).size == 0:
        return None
    grid = pooled(grid_of(values))
    rows, cols = grid.shape
    size = max(2.0, min(cell, max_width / cols, max_height / rows))
    width, height = max(1, round(cols * size)), max(1, round(rows * size))
    rgb = np.ascontiguousarray(diverging_rgb(grid))
    cells = QImage(rgb.data, cols, rows, 3 * cols, QImage.Format_RGB888).copy()
    image = QImage(width + 2, height + 2, QImage.Format_ARGB32_Premultiplied)
    image.fill(QColor("#606060"))
    painter = QPainter(image)
    painter.drawImage(1, 1, cells.scaled(width, height))  # nearest: crisp cells
    if size >= 6 and rows * cols > 1:  # thin grid lines between cells when they are big enough
        painter.setPen(QPen(QColor(255, 255, 255, 90), 1))
        for c in range(1, cols):
            painter.drawLine(1 + round(c * size), 1, 1 + round(c * size), height)
        for r in range(1, rows):
            painter.drawLine(1, 1 + round(r * size), width, 1 + round(r * size))
    painter.end()
    return image
