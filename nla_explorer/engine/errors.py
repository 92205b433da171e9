"""Errors the engine reports to users: each names its culprit (line, block, shapes)."""

from __future__ import annotations


class EngineError(Exception):
    """Base class: a clear, user-facing message, never a traceback."""


class CaptureError(EngineError):
    """The tensor cannot be captured (not a tensor, no graph, freed graph)."""


class ExpressionError(EngineError):
    """Bad code or a bad block: ``line`` (1-based) and ``culprit`` (a name or block id) when known;
    ``python_type``: the exception Python (or torch) raised there (``RuntimeError``), where the
    error is one the code itself meets, not a refusal of the safe reader."""

    def __init__(self, message: str, line: int | None = None, culprit: str | None = None,
                 python_type: str | None = None) -> None:
        self.line = line
        self.culprit = culprit
        self.reason = message
        self.python_type = python_type
        super().__init__(f"line {line}: {message}" if line else message)
