"""Inside the child: the safe interpreter's result as a :class:`RunResult` (the runner's safe mode)."""

from __future__ import annotations

from nla_explorer.engine.errors import EngineError, ExpressionError
from nla_explorer.engine.pipeline import explore_code
from nla_explorer.engine.runner.result import SAFE, RunError, RunResult
from nla_explorer.engine.tensors import snapshot


def run_safe(text: str, call: int | None = None, limit: int = 10_000) -> RunResult:
    """Read ``text`` through the whitelist interpreter (nothing runs as Python) and show call
    ``call``; an error is the result's ``error``, with its line and culprit."""
    try:
        exploration = explore_code(text, value_limit=limit, call=call)
    except ExpressionError as exc:
        return RunResult(SAFE, error=RunError("", exc.reason, exc.line, None, "", exc.culprit))
    except EngineError as exc:
        return RunResult(SAFE, error=RunError("", str(exc)))
    evaluation = exploration.evaluation
    tensors = {name: snapshot(t, limit) for name, t in evaluation.names().items()
               if hasattr(t, "grad_fn")}
    return RunResult(
        SAFE, exploration.graph, exploration.trace, exploration.calls, exploration.call_index,
        tuple(range(1, len(exploration.calls) + 1)), len(exploration.calls), exploration.remarks,
        final_grads={name: None if g is None else snapshot(g, limit)
                     for name, g in evaluation.final_grads().items()},
        tensors=tensors, output_name=exploration.output_name, unseeded=exploration.unseeded)
