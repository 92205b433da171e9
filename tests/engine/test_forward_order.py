"""The forward pass is stepped in the order Python made the nodes (torch's sequence numbers)."""

from __future__ import annotations

import pytest
import torch

from nla_explorer.engine import EXAMPLES, explore_code
from nla_explorer.engine.autograd.custom_functions import CUSTOM_FUNCTIONS
from nla_explorer.engine.autograd.stepper import forward_order
from nla_explorer.engine.autograd.walk import autograd_nodes, is_leaf_node

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]


def plain_creation_order(code: str, output: str) -> list[str]:
    """Plain exec of the code: its op Nodes sorted by the number torch gave them at creation."""
    scope = {"torch": torch, "F": torch.nn.functional, **CUSTOM_FUNCTIONS}
    exec(code.replace(f"{output}.backward()", ""), scope)  # noqa: S102 - the course's examples
    nodes = [fn for fn in autograd_nodes(scope[output].grad_fn) if not is_leaf_node(fn)]
    return [type(fn).__name__ for fn in sorted(nodes, key=lambda fn: fn._sequence_nr())]


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_forward_steps_follow_pythons_order(name):
    shown = explore_code(EXAMPLES[name].code)
    order = [shown.graph.node(i) for i in forward_order(shown.graph, shown.trace)]
    leaves = [n for n in order if n.kind == "leaf"]
    assert order[:len(leaves)] == leaves  # leaves first: they exist before any op
    ops = [n.op for n in order[len(leaves):]]
    assert ops == plain_creation_order(EXAMPLES[name].code, shown.output_name)


def test_the_course_cell_computes_b_at_x_after_x_a_x():
    shown = explore_code(EXAMPLES["quadratic"].code)
    order = [shown.graph.node(i) for i in forward_order(shown.graph, shown.trace)]
    assert [n.label for n in order] == ["x", "A", "mul", "unsqueeze", "mm", "squeeze", "dot",
                                        "dot", "sub"]
    assert [s.label for s in order[-2].saved if s.role == "constant"] == ["b"]
