"""What a layout computes (node centres and edge polylines) and how it fails: no Qt, no algorithm.

Both layouts, the built-in layered one (layout.py) and Graphviz dot (dot_layout.py), return a
:class:`Layout`; the picture, the scene and the exporters read it."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_SIZE = (120.0, 40.0)  # (width, height) of a node without a size of its own

Point = tuple[float, float]


class LayoutError(Exception):
    """The graph could not be laid out; the message is meant for the user."""


class LayoutCancelled(LayoutError):
    """The caller's ``cancel()`` asked the layout to stop."""


@dataclass(frozen=True)
class Layout:
    """Node centres (y grows downward) and one polyline per input edge, in input order."""

    positions: dict[str, tuple[float, float]]
    edge_points: tuple[tuple[tuple[float, float], ...], ...]
    width: float
    height: float
    engine: str
    layers: dict[str, int]
