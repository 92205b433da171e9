"""What an undo step of the document restores (:class:`State`), and the undo command itself."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QUndoCommand

from nla_explorer.engine.examples import Example
from nla_explorer.engine.expression import Expression
from nla_explorer.engine.pipeline import Exploration
from nla_explorer.engine.runner.result import RunResult


@dataclass(frozen=True, eq=False)
class State:
    """What an undo step restores: the blocks being edited, and the last good capture of them.

    ``expression`` is what the block canvas shows and may not evaluate yet (an unconnected port);
    then ``problem`` says why and ``exploration`` is still the last good capture.
    """

    exploration: Exploration | RunResult  # the safe interpreter's, or a Run as Python result
    code: str
    example: Example | None
    title: str
    expression: Expression
    positions: tuple[tuple[str, tuple[float, float]], ...] = ()
    problem: str = ""
    diagnosis: tuple[dict, dict] | None = None  # the child's shapes and messages for ``problem``


class CaptureCommand(QUndoCommand):
    """One edit (code, a block gesture, an example, a session): undo restores the state before."""

    def __init__(self, document, before: State | None, after: State, text: str):
        super().__init__(text)
        self.document, self.before, self.after = document, before, after

    def redo(self) -> None:
        self.document.restore(self.after)

    def undo(self) -> None:
        if self.before is not None:
            self.document.restore(self.before)
