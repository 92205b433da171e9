"""A shown code editor panel holding some text, for the editor's own tests."""

from __future__ import annotations

from nla_explorer.panels.code_editor import CodeEditorPanel


def shown_code_panel(qtbot, text: str, width: int, height: int) -> CodeEditorPanel:
    """A :class:`CodeEditorPanel` of ``width``×``height`` showing ``text``, on screen."""
    panel = CodeEditorPanel()
    qtbot.addWidget(panel)
    panel.resize(width, height)
    panel.set_text(text)
    panel.show()
    qtbot.waitExposed(panel)
    return panel
