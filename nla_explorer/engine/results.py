"""The named results a view shows: each Jacobian or Hessian with the course's closed forms of it."""

from __future__ import annotations

from nla_explorer.engine.derivatives import Derivative, derivatives_of
from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.examples import Example, manual_gradients
from nla_explorer.engine.runner.result import RunResult
from nla_explorer.engine.tensors import FULL_VALUE_LIMIT, TensorData, snapshot

ClosedForms = tuple[tuple[str, TensorData], ...]


def named_results(exploration, example: Example | None = None,
                  limit: int = FULL_VALUE_LIMIT) -> tuple[tuple[Derivative, ClosedForms], ...]:
    """``(derivative, ((label, closed form), ...))`` for each named result of ``exploration``
    (a :class:`RunResult` from either mode, or the safe interpreter's ``Exploration``)."""
    if exploration is None:
        return ()
    if isinstance(exploration, RunResult):
        return tuple((d, tuple((c.label, c.value) for c in exploration.comparisons
                               if c.leaf == d.name)) for d in exploration.derivatives)
    derivatives = derivatives_of(exploration.evaluation, limit)
    closed: dict[str, list[tuple[str, TensorData]]] = {}
    if example is not None and derivatives:
        try:
            pairs = manual_gradients(example, exploration.evaluation)
        except EngineError:
            pairs = []
        for manual, value in pairs:
            closed.setdefault(manual.leaf, []).append((manual.label, snapshot(value, limit)))
    return tuple((d, tuple(closed.get(d.name, ()))) for d in derivatives)
