"""What is wrong with a block expression that does not evaluate: the shapes of the blocks that
do, and a message for each block that does not (the block canvas draws both)."""

from __future__ import annotations

from nla_explorer.engine.blocks import editing as B
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Expression


def diagnose(expr: Expression) -> tuple[dict[str, tuple], dict[str, str]]:
    """Shapes by block id (when it evaluates) and error messages by block id (when not)."""
    from nla_explorer.engine.code.evaluation import evaluate  # (evaluation imports the blocks)
    errors = {k: v for k, v in B.problems(expr).items() if not v.startswith("waits on")}
    if errors or not expr.blocks:
        return {}, errors
    try:
        evaluation = evaluate(expr)
    except ExpressionError as exc:
        culprit = exc.culprit if exc.culprit in expr.ids else expr.named().get(exc.culprit)
        return {}, {culprit or expr.blocks[-1].id: exc.reason}
    return {k: tuple(t.shape) for k, t in evaluation.tensors.items()}, {}
