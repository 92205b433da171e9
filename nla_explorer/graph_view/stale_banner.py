"""The line above a graph that is not the code's: the last good graph, kept after an error."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from nla_explorer.drawing.style import ViewStyle


class StaleBanner(QLabel):
    """Says why the graph shown is the last good one (the code has an error, the blocks are
    unfinished); hidden while the graph is the current code's. In the view's type size, so a
    lecture hall reads it too."""

    def __init__(self, style: ViewStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stale_banner")
        self.setWordWrap(True)
        self.reason = ""
        self.set_view_style(style)
        self.hide()

    def set_view_style(self, style: ViewStyle) -> None:
        self.setStyleSheet(
            f"QLabel#stale_banner {{ color: {style.warning_text}; background: {style.warning_fill};"
            f" border-bottom: 1px solid {style.rule}; padding: 4px 8px;"
            f" font-size: {style.font_size:.1f}pt; }}")

    def show_reason(self, reason: str) -> None:
        """``reason``: why the graph is not the current one ("" hides the banner)."""
        self.reason = reason
        first = reason.strip().splitlines()[0] if reason.strip() else ""
        self.setText(f"⚠ The last graph that ran is shown — {first}" if first else "")
        self.setToolTip(reason)
        self.setVisible(bool(first))
