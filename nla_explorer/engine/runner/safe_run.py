"""Inside the child: the safe interpreter (the runner's safe mode), its result as plain data.

The window sends code or blocks here instead of evaluating them itself: nothing of a program, not
even the whitelisted ops, runs in the window's process. A result carries what the views need
besides the graph and the steps: the expression, the shapes of the blocks (or why they do not
evaluate), the example's manual gradients and each leaf's ``.grad`` after the program.
"""

from __future__ import annotations

from nla_explorer.engine.autograd.gradcheck import LeafCheck, finite_difference_check
from nla_explorer.engine.blocks.diagnosis import diagnose
from nla_explorer.engine.derivatives import derivatives_of
from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.errors import EngineError, ExpressionError
from nla_explorer.engine.examples import get_example, manual_gradients
from nla_explorer.engine.expression import Expression
from nla_explorer.engine.pipeline import Exploration, explore_expression
from nla_explorer.engine.runner.result import SAFE, Comparison, RunError, RunResult
from nla_explorer.engine.tensors import snapshot


def run_safe(text: str, call: int | None = None, limit: int = 10_000) -> RunResult:
    """Read ``text`` through the whitelist interpreter (nothing runs as Python) and show call
    ``call``; an error is the result's ``error``, with its line and culprit."""
    return explore_safe(code=text, call=call, limit=limit)


def explore_safe(code: str | None = None, expression: Expression | None = None,
                 call: int | None = None, limit: int = 10_000,
                 example: str | None = None) -> RunResult:
    """The safe interpreter on ``code`` or on blocks; with ``example`` (its name) the course's
    manual gradients are evaluated too. Blocks that do not evaluate come back with their
    diagnosis (shapes of those that do, the message of each that does not)."""
    try:
        if expression is None:
            expression = parse_code(code or "")
        exploration = explore_expression(expression, limit, call)
    except ExpressionError as exc:
        shapes, errors = diagnose(expression) if expression is not None else ({}, {})
        return RunResult(SAFE, error=RunError("", exc.reason, exc.line, None, "", exc.culprit),
                         expression=expression, shapes=shapes, block_errors=errors)
    except EngineError as exc:
        return RunResult(SAFE, error=RunError("", str(exc)), expression=expression)
    return _result(exploration, limit, example)


def _result(exploration: Exploration, limit: int, example: str | None) -> RunResult:
    evaluation = exploration.evaluation
    tensors = {name: snapshot(t, limit) for name, t in evaluation.names().items()}
    comparisons = ()
    if example is not None:
        try:
            pairs = manual_gradients(get_example(example), evaluation)
        except EngineError:
            pairs = []
        comparisons = tuple(Comparison(manual.leaf, manual.label, snapshot(value), "formula")
                            for manual, value in pairs)
    return RunResult(
        SAFE, exploration.graph, exploration.trace, exploration.calls, exploration.call_index,
        tuple(range(1, len(exploration.calls) + 1)), len(exploration.calls), exploration.remarks,
        final_grads={name: None if g is None else snapshot(g, limit)
                     for name, g in evaluation.final_grads().items()},
        tensors=tensors, comparisons=comparisons, output_name=exploration.output_name,
        unseeded=exploration.unseeded, expression=exploration.expression,
        shapes={k: tuple(t.shape) for k, t in evaluation.tensors.items()},
        derivatives=derivatives_of(evaluation, limit))


def check_safe(expression: Expression, call: int | None = None,
               limit: int = 10_000) -> tuple[LeafCheck, ...]:
    """The finite-difference check of the expression's leaves (it evaluates them again)."""
    return tuple(finite_difference_check(explore_expression(expression, limit, call)))
