"""Finite-difference check of autograd's leaf gradients."""

import dataclasses

import numpy as np
import pytest
import torch

from nla_explorer.engine import EXAMPLES, explore_code
from nla_explorer.engine.autograd.gradcheck import LeafCheck, finite_difference_check
from nla_explorer.engine.tensors import snapshot
from nla_explorer.engine.autograd.trace import BackwardTrace

QUADRATIC64 = """import torch
n = 5
torch.manual_seed(0)
A = torch.randn((n, n), dtype=torch.float64, requires_grad=True)
b = torch.randn((n,), dtype=torch.float64)
x = torch.randn((n,), dtype=torch.float64, requires_grad=True)
f = 0.5 * x @ A @ x - b @ x
"""


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_course_examples_pass(name):
    e = explore_code(EXAMPLES[name].code)
    checks = finite_difference_check(e)
    assert {c.node_id for c in checks} == {n.id for n in e.graph.leaves}
    for c in checks:
        assert isinstance(c, LeafCheck)
        assert c.checked and c.ok, (name, c.name, c.relative_error)
        assert c.relative_error < 1e-2
        assert c.numerical.shape == c.autograd.shape


def test_quadratic_float64_is_accurate():
    e = explore_code(QUADRATIC64)
    checks = {c.name: c for c in finite_difference_check(e)}
    assert set(checks) == {"A", "x"}
    for c in checks.values():
        assert c.autograd.dtype == "float64"
        assert c.ok and c.relative_error < 1e-6


def test_wrong_gradient_is_flagged():
    e = explore_code(EXAMPLES["quadratic"].code)
    x = e.graph.find("x")
    grads = dict(e.trace.leaf_grads)
    grads[x.id] = snapshot(torch.from_numpy(np.array(grads[x.id].values)) * 1.1)
    bad = dataclasses.replace(e, trace=BackwardTrace(e.trace.steps, grads, e.trace.grad_output))
    checks = {c.name: c for c in finite_difference_check(bad)}
    assert not checks["x"].ok and checks["x"].checked
    assert checks["x"].relative_error > 0.05
    assert checks["A"].ok


def test_large_leaves_are_skipped():
    e = explore_code(EXAMPLES["quadratic"].code)
    checks = {c.name: c for c in finite_difference_check(e, max_elements=10)}
    assert checks["x"].checked and checks["x"].ok
    assert not checks["A"].checked and not checks["A"].ok
    assert checks["A"].numerical is None and "not checked" in checks["A"].note


def test_non_scalar_output_and_shared_leaf():
    code = ("import torch\ntorch.manual_seed(0)\nx = torch.randn(3, requires_grad=True)\n"
            "y = torch.sigmoid(x) * torch.tanh(x) + x * x\n")
    checks = finite_difference_check(explore_code(code))
    assert len(checks) == 1 and checks[0].ok
