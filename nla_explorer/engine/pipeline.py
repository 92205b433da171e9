"""From code or blocks to everything the app shows: expression → evaluation → graph → trace."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from nla_explorer.engine.autograd.backward_calls import BackwardCall
from nla_explorer.engine.autograd.capture import capture
from nla_explorer.engine.code.functions import RESULTS
from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.errors import CaptureError, ExpressionError
from nla_explorer.engine.tensors import FULL_VALUE_LIMIT, values_budget
from nla_explorer.engine.code.evaluation import Evaluation, evaluate
from nla_explorer.engine.expression import Expression
from nla_explorer.engine.autograd.graph import AutogradGraph
from nla_explorer.engine.autograd.trace import BackwardTrace, trace_backward

UNSEEDED_NOTE = ("unseeded: each capture draws new numbers (torch.manual_seed(0) at the top keeps "
                 "them)")


@dataclass(frozen=True, eq=False)
class Exploration:
    """One expression, evaluated, with the graph and the backward pass shown.

    With backward calls in the code, the graph and trace are those of call ``call_index`` (by
    default the last); without any, those of the ``backward()`` the output would get (``remarks``
    says so). ``remarks``: what the user should know about the result (unseeded numbers...).
    """

    expression: Expression
    evaluation: Evaluation
    graph: AutogradGraph
    trace: BackwardTrace
    call_index: int | None = None
    remarks: tuple[str, ...] = ()

    @property
    def output(self) -> torch.Tensor:
        return self.evaluation.output

    @property
    def output_name(self) -> str | None:
        if self.call is not None:
            return self.call.output_name
        return self.evaluation.output_name

    @property
    def calls(self) -> tuple[BackwardCall, ...]:
        return self.evaluation.backward_calls

    @property
    def call(self) -> BackwardCall | None:
        return None if self.call_index is None else self.calls[self.call_index]

    @property
    def unseeded(self) -> bool:
        return self.evaluation.unseeded

    @property
    def call_note(self) -> str | None:
        """Which call is shown, when the code makes several: "backward call 2 of 3: g.backward()"."""
        calls = self.calls
        if self.call is None or len(calls) < 2:
            return None
        line = f" (line {self.call.line})" if self.call.line else ""
        return f"backward call {self.call_index + 1} of {len(calls)}: {self.call.label}{line}"

    @property
    def notes(self) -> tuple[str, ...]:
        """The remarks, then which call is shown (for the JSON and the command line)."""
        return self.remarks + ((self.call_note,) if self.call_note else ())

    def with_call(self, index: int) -> "Exploration":
        """The same run, showing backward call ``index`` (nothing is evaluated again)."""
        calls = self.calls
        if not 0 <= index < len(calls):
            raise ExpressionError(f"there is no backward call {index + 1}: the code makes "
                                  f"{len(calls)}")
        return replace(self, graph=calls[index].graph, trace=calls[index].trace,
                       call_index=index)


def explore_expression(expression: Expression, value_limit: int = FULL_VALUE_LIMIT,
                       call: int | None = None) -> Exploration:
    """Evaluate ``expression`` and show backward call ``call`` (default: the last), or trace the
    output's ``backward()`` when the code makes none; errors name the culprit. Tensors of up to
    ``value_limit`` elements keep all their values, larger ones a summary; all the snapshots of
    one exploration share one values budget (:func:`values_budget`)."""
    with values_budget():
        return _explore(expression, value_limit, call)


def _explore(expression: Expression, value_limit: int, call: int | None) -> Exploration:
    evaluation = evaluate(expression, value_limit=value_limit)
    remarks = (UNSEEDED_NOTE,) if evaluation.unseeded else ()
    calls = evaluation.backward_calls
    if calls:
        index = len(calls) - 1 if call is None else call
        if not 0 <= index < len(calls):
            raise ExpressionError(f"there is no backward call {index + 1}: the code makes "
                                  f"{len(calls)}")
        chosen = calls[index]
        return Exploration(expression, evaluation, chosen.graph, chosen.trace, index, remarks)
    return _hypothetical(expression, evaluation, value_limit, remarks)


def _hypothetical(expression: Expression, evaluation: Evaluation, value_limit: int,
                  remarks: tuple[str, ...]) -> Exploration:
    """No backward call in the code: the pass ``out.backward()`` would run (ones for a non-scalar)."""
    out = evaluation.output
    block = expression.block(evaluation.output_id)
    label = block.name or block.id
    graphed = None if out.requires_grad else _last_with_graph(evaluation)
    if graphed is not None:  # ``L = f(x); A = torch.randn(2)``: A has no graph to draw, L has
        expression = replace(expression, output=graphed.id)
        evaluation = replace(evaluation, expression=expression, output_id=graphed.id)
        remarks += (f"{label} requires no grad: the graph is that of {graphed.name}, the last "
                    "tensor the code made with one",)
        out, block, label = evaluation.output, graphed, graphed.name
    if not out.requires_grad:
        made = [b.name or b.id for b in expression.blocks if b.op in RESULTS]
        if made:  # jacobian(f, x) needs no x.requires_grad: it differentiates copies of its own
            raise ExpressionError(
                f"nothing in the code requires grad, so there is no graph of it to draw; "
                f"{' and '.join(made)} come from {'these' if len(made) > 1 else 'a'} "
                "torch.autograd.functional call" + ("s" if len(made) > 1 else "") +
                " — press Run cell (Shift+Enter) to see them in Results", block.line, label)
        raise ExpressionError(
            f"the output '{label}' does not require grad: give one of its inputs "
            "requires_grad=True", block.line, label)
    try:
        graph = capture(out, names=evaluation.names(), recorder=evaluation.recorder,
                        limit=value_limit)
        trace = trace_backward(out, limit=value_limit)
    except CaptureError as exc:
        raise ExpressionError(str(exc), block.line, label) from None
    seed = f"{label}.backward()" if out.dim() == 0 else \
        f"{label}.backward(torch.ones_like({label}))"
    remarks += (f"the code calls no backward: the steps show {seed}",)
    return Exploration(expression, evaluation, graph, trace, None, remarks)


def _last_with_graph(evaluation: Evaluation):
    """The block of the last named tensor the code made with a graph (``grad_fn``), or None."""
    return next((b for b in reversed(evaluation.expression.blocks) if b.name and
                 b.id in evaluation.tensors and evaluation.tensors[b.id].grad_fn is not None),
                None)


def explore_code(text: str, output: str | None = None,
                 value_limit: int = FULL_VALUE_LIMIT, call: int | None = None) -> Exploration:
    """``parse_code`` then :func:`explore_expression`."""
    return explore_expression(parse_code(text, output=output), value_limit, call)
