"""A code-only block's inputs, for its wires in the block editor: ``x.sort()`` reads ``x``,
``y[0] = v`` reads ``y`` and ``v``, ``grad(f, [x, A])`` reads ``f``, ``x`` and ``A``."""

from __future__ import annotations

from nla_explorer.engine.blocks.templates import code_only_inputs
from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.expression import Ref

H = "import torch\nx = torch.randn(5, requires_grad=True)\nA = torch.randn(5, 5, requires_grad=True)\n"


def _inputs(code: str, op: str) -> list[tuple[str, str]]:
    expression = parse_code(H + code)
    names = {b.id: b.name or b.id for b in expression.blocks}
    block = next(b for b in expression.blocks if b.op == op)
    return [(address, names[ref.block]) for address, ref in code_only_inputs(block)
            if isinstance(ref, Ref)]


def test_a_sort_reads_its_tensor():
    assert _inputs("v, i = x.sort(descending=True)\nv.sum().backward()\n", "sort") == [("x", "x")]


def test_an_item_assignment_reads_the_tensor_and_the_value():
    code = "y = x * 2\nw = A[0] * 3\ny[1:3] = w[:2]\ny.sum().backward()\n"
    assert [address for address, _ in _inputs(code, "set_item")] == ["y", "v"]


def test_a_grad_call_reads_its_outputs_and_each_input():
    code = "f = (A @ x).sum()\ngx, gA = torch.autograd.grad(f, [x, A])\n"
    assert _inputs(code, "grad") == [("input 0", "f"), ("input 1[0]", "x"), ("input 1[1]", "A")]
