"""A closed form or manual gradient against autograd, as a card: ✓ / ✗ verdict, label, max |Δ|.

The inspector's Manual tab and the Results panel show the same card. Its colours are those of
the theme its parent is painted in (green and red that read on the light and the dark window
alike); the panels make their cards again when the palette changes.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from nla_explorer.panels.manual_compare import ManualComparison
from nla_explorer.panels.muted_text import muted_colour, palette_style
from nla_explorer.panels.tensor_plot import number_text


def verdict_card(c: ManualComparison, parent: QWidget, points: float | None = None) -> QLabel:
    """The card of ``c``, coloured for ``parent``'s palette (``points``: its type size)."""
    style = palette_style(parent)
    colour = style.agree if c.agrees else style.differ
    verdict = "✓ agrees with autograd" if c.agrees else "✗ differs from autograd"
    detail = c.reason or (f"max |Δ| = {number_text(c.max_abs, 3)} · relative "
                          f"{number_text(c.relative, 3)}")
    card = QLabel(f"<div style='color:{colour}; font-weight:600;'>{verdict}</div>"
                  f"<div>{html.escape(c.label)}</div>"
                  f"<div style='font-family:monospace; color:{muted_colour(parent)};'>"
                  f"{html.escape(detail)}</div>", wordWrap=True)
    card.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    size = f" font-size: {points}pt;" if points else ""
    card.setStyleSheet(f"QLabel {{ border: 1px solid {style.rule}; border-left: 6px solid "
                       f"{colour}; border-radius: 4px; padding: 6px 8px;{size} }}")
    return card
