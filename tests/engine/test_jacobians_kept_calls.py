"""Local Jacobians cost a few milliseconds a call: a long loop computes them for the calls it keeps."""

from __future__ import annotations

import pytest

from nla_explorer.engine.runner.calls_kept import FIRST, MAX_KEPT, CallsKept
from nla_explorer.engine.runner.supervisor import Runner

LOOP = """import torch
torch.manual_seed(0)
w = torch.randn(3, requires_grad=True)
for step in range(200):
    loss = (torch.tanh(w) * 2).sum()
    loss.backward()
"""


def test_would_keep_agrees_with_what_is_kept():
    kept = CallsKept()
    answers = {}
    for _ in range(3 * MAX_KEPT):
        number = kept.next_number()
        answers[number] = kept.would_keep(number)
        kept.offer(number, object())
    numbers = [n for n, _, _ in kept.entries()]
    assert all(answers[n] for n in numbers[:-1])  # every kept call was known to be kept
    assert all(answers[n] for n in range(1, FIRST + 1))


@pytest.mark.timeout(120)
def test_kept_calls_carry_their_jacobians_and_the_rest_compute_none():
    with Runner() as runner:
        result = runner.run_cells([("In[1]", 1, LOOP)], timeout=90)
    assert result.error is None and result.total_calls == 200
    with_jacobians = [n for n, call in zip(result.call_numbers, result.calls)
                      if call.trace.jacobians]
    assert set(range(1, FIRST + 1)) <= set(with_jacobians)
    kept_by_rule = [n for n in result.call_numbers[:-1]]
    assert set(kept_by_rule) <= set(with_jacobians)
