"""Where the document's explorations come from: the window's child process, or this process.

With an evaluator (the window's :class:`~nla_explorer.evaluator.ChildEvaluator`) code and blocks
are evaluated in the child and come back as a safe-mode :class:`RunResult`; without one (the
engine's own users, a bare document in a test) in this process as an :class:`Exploration`. Both
read the same for the views; these functions hide the difference from the document.
"""

from __future__ import annotations

from dataclasses import replace

from nla_explorer.engine.autograd.gradcheck import LeafCheck, finite_difference_check
from nla_explorer.engine.blocks.diagnosis import diagnose
from nla_explorer.engine.blocks.editing import problems
from nla_explorer.engine.code.writer import to_code
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.examples import Example, manual_gradients
from nla_explorer.engine.expression import Expression, Hole, Var
from nla_explorer.engine.pipeline import explore_code, explore_expression
from nla_explorer.engine.runner.result import RunResult
from nla_explorer.engine.tensors import TensorData, snapshot


class BlocksError(ExpressionError):
    """Blocks that do not evaluate, with the child's diagnosis (shapes, and a message per block)."""

    def __init__(self, message: str, line: int | None, culprit: str | None,
                 diagnosis: tuple[dict, dict] | None) -> None:
        super().__init__(message, line, culprit)
        self.diagnosis = diagnosis


def explore(evaluator, limit: int, code: str | None = None,
            expression: Expression | None = None, example: Example | None = None):
    """The exploration of ``code`` or ``expression``; errors raise like the engine's."""
    if evaluator is None:
        if expression is None:
            return explore_code(code, value_limit=limit)
        return explore_expression(expression, limit)
    result = evaluator.explore(code=code, expression=expression, limit=limit,
                               example=example.name if example is not None else None)
    if result.error is not None:
        error = result.error
        diagnosis = (result.shapes or {}, result.block_errors or {}) \
            if result.block_errors is not None else None
        raise BlocksError(error.message, error.line, error.culprit, diagnosis)
    return result


#: What an unconnected input reads as in the code of unfinished blocks (not defined: running
#: that code says ``name 'unconnected' is not defined``).
UNCONNECTED = Var("unconnected")


def blocks_code(expression: Expression) -> str:
    """The code form of the blocks as they are: empty for nothing at all; for unfinished blocks
    a comment saying what is missing, then their code with ``unconnected`` for each open input."""
    if not expression.blocks and not expression.numbers:
        return ""
    try:
        return to_code(expression)
    except ExpressionError as exc:
        labels = {b.id: b.label for b in expression.blocks}
        reasons = [f"{labels[i]}: {why}" for i, why in problems(expression).items()
                   if not why.startswith("waits on")] or [str(exc)]
        missing = "".join(f"# unfinished: {reason}\n" for reason in reasons)

    def fill(value: object) -> object:
        if isinstance(value, Hole):
            return UNCONNECTED
        return tuple(fill(v) for v in value) if isinstance(value, tuple) else value
    filled = replace(expression, blocks=tuple(
        replace(b, args=fill(b.args), kwargs=tuple((k, fill(v)) for k, v in b.kwargs))
        for b in expression.blocks))
    try:
        return missing + to_code(filled)
    except ExpressionError:  # not even with the holes filled (an unknown block kind...)
        return missing


def block_shapes(exploration) -> dict[str, tuple[int, ...]]:
    """The shape of each block's tensor, by block id."""
    if isinstance(exploration, RunResult):
        return dict(exploration.shapes or {})
    return {k: tuple(t.shape) for k, t in exploration.evaluation.tensors.items()}


def diagnosis_of(expression: Expression, stored: tuple[dict, dict] | None
                 ) -> tuple[dict, dict]:
    """Shapes and per-block messages of blocks that do not evaluate (the child's, when it said)."""
    return stored if stored is not None else diagnose(expression)


def check(evaluator, exploration) -> list[LeafCheck]:
    """The finite-difference check of the shown call: in the child, in the run (a Python run's
    own Functions), or here."""
    if isinstance(exploration, RunResult):
        if exploration.expression is None:
            return list(exploration.checks_of_call())
        if evaluator is not None:
            return list(evaluator.check(exploration.expression, exploration.call_index))
        return list(finite_difference_check(explore_expression(
            exploration.expression, call=exploration.call_index)))
    return finite_difference_check(exploration)


def final_grads(exploration, limit: int) -> dict[str, TensorData | None]:
    """Each named leaf's ``.grad`` after the whole program (a Python run's, or this process's)."""
    if isinstance(exploration, RunResult):
        return dict(exploration.final_grads or {})
    return {name: None if grad is None else snapshot(grad, limit)
            for name, grad in exploration.evaluation.final_grads().items()}


def manual_by_leaf(exploration, example: Example | None) -> dict[str, list[tuple[str, TensorData]]]:
    """Per leaf name, ``(label, value)`` of each manual gradient: what a Python run compared with
    ``.grad``, or the example's formulas evaluated on this exploration."""
    out: dict[str, list[tuple[str, TensorData]]] = {}
    if isinstance(exploration, RunResult):
        for c in exploration.comparisons:
            out.setdefault(c.leaf, []).append((c.label, c.value))
    elif example is not None:
        for manual, value in manual_gradients(example, exploration.evaluation):
            out.setdefault(manual.leaf, []).append((manual.label, snapshot(value)))
    return out
