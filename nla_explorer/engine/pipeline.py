"""From code or blocks to everything the app shows: expression → evaluation → graph → trace."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nla_explorer.engine.capture import capture
from nla_explorer.engine.code_parser import parse_code
from nla_explorer.engine.errors import CaptureError, ExpressionError
from nla_explorer.engine.tensors import FULL_VALUE_LIMIT
from nla_explorer.engine.evaluate import Evaluation, evaluate
from nla_explorer.engine.expression import Expression
from nla_explorer.engine.graph import AutogradGraph
from nla_explorer.engine.trace import BackwardTrace, trace_backward


@dataclass(frozen=True, eq=False)
class Exploration:
    """One expression, evaluated, with its autograd graph and one traced backward pass."""

    expression: Expression
    evaluation: Evaluation
    graph: AutogradGraph
    trace: BackwardTrace

    @property
    def output(self) -> torch.Tensor:
        return self.evaluation.output

    @property
    def output_name(self) -> str | None:
        return self.evaluation.output_name


def explore_expression(expression: Expression, value_limit: int = FULL_VALUE_LIMIT) -> Exploration:
    """Evaluate, capture and trace ``expression``; errors name the culprit. Tensors of up to
    ``value_limit`` elements keep all their values, larger ones a summary."""
    evaluation = evaluate(expression, value_limit=value_limit)
    out = evaluation.output
    block = expression.block(evaluation.output_id)
    label = block.name or block.id
    if not out.requires_grad:
        raise ExpressionError(
            f"the output '{label}' does not require grad: give one of its inputs "
            "requires_grad=True", block.line, label)
    try:
        graph = capture(out, names=evaluation.names(), recorder=evaluation.recorder,
                        limit=value_limit)
        trace = trace_backward(out, limit=value_limit)
    except CaptureError as exc:
        raise ExpressionError(str(exc), block.line, label) from None
    return Exploration(expression, evaluation, graph, trace)


def explore_code(text: str, output: str | None = None,
                 value_limit: int = FULL_VALUE_LIMIT) -> Exploration:
    """``parse_code`` then :func:`explore_expression`."""
    return explore_expression(parse_code(text, output=output), value_limit)
