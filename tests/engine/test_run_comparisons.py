"""Manual vs autograd from the code: what a Python run compared with a leaf's ``.grad``.

The course compares a hand-derived gradient with ``x.grad`` by printing both, by ``allclose`` or
by a difference; each way puts the hand-derived tensor in that leaf's Manual tab.
"""

from __future__ import annotations

import numpy as np
import pytest

from nla_explorer.engine.runner.program import Kernel
from nla_explorer.engine.runner.supervisor import Runner

FORWARD = """import torch
n = 4
A = torch.randn((n, n), requires_grad=True)
b = torch.randn((n,))
x = torch.randn((n,), requires_grad=True)
f = 0.5 * x @ A @ x - b @ x
f.backward()
"""


@pytest.mark.parametrize("compare, leaf, label, how", [
    ("manual_grad_x = 0.5 * (A + A.t()) @ x - b\nprint(manual_grad_x.data)\nprint(x.grad.data)",
     "x", "manual_grad_x", "printed beside it"),
    ("manual_grad_x = 0.5 * (A + A.t()) @ x - b\nok = torch.allclose(manual_grad_x, x.grad)",
     "x", "manual_grad_x", "allclose"),
    ("manual_grad_A = 0.5 * torch.ger(x, x)\n"
     "gap = torch.norm(manual_grad_A.data - A.grad.data).item()", "A", "manual_grad_A", "sub"),
])
def test_a_comparison_with_grad_names_the_manual_gradient(compare, leaf, label, how):
    kernel = Kernel()
    result = kernel.run([("In[1]", 1, FORWARD), ("In[2]", 9, compare)], seed=0)
    assert result.error is None, result.error
    found = [(c.leaf, c.label, c.how) for c in result.comparisons]
    assert found == [(leaf, label, how)]
    manual = kernel.namespace[label].detach().numpy()
    np.testing.assert_array_equal(result.comparisons[0].value.values, manual)


def test_printed_beside_a_grad_counts_only_with_its_shape():
    result = Kernel().run([("In[1]", 1, FORWARD + "print(b)\nprint(x.grad)\nprint(A)\n")],
                          seed=0)
    assert [(c.leaf, c.label) for c in result.comparisons] == [("x", "b")]


def test_the_safe_mode_of_the_child_is_the_interpreter_in_process():
    from nla_explorer.engine.pipeline import explore_code
    text = FORWARD.replace("import torch\n", "import torch\ntorch.manual_seed(0)\n")
    here = explore_code(text)
    with Runner() as runner:
        there = runner.run_safe(text)
        refused = runner.run_safe("import os\n")
    assert there.error is None and there.mode == "safe"
    assert [n.op for n in there.graph.nodes] == [n.op for n in here.graph.nodes]
    assert [s.node_id for s in there.trace.steps] == [s.node_id for s in here.trace.steps]
    for step_there, step_here in zip(there.trace.steps, here.trace.steps):
        for a, b in zip(step_there.grad_output_tensors, step_here.grad_output_tensors):
            assert (a is None) == (b is None) and (a is None or a.equal(b))
    assert "import os is not allowed" in refused.error.message and refused.error.line == 1
