"""Plain walks of torch's autograd graph, independent of the engine, for comparisons in tests."""

from __future__ import annotations

import torch


def walk_next_functions(tensor: torch.Tensor) -> list:
    """Every Node reachable from ``tensor.grad_fn``: an independent iterative DFS."""
    root = tensor.grad_fn
    seen, stack, out = set(), [root], []
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        out.append(fn)
        stack.extend(child for child, _ in fn.next_functions)
    return out


def op_names(fns) -> list[str]:
    return sorted(type(fn).__name__ for fn in fns)


def assert_consumers_first(graph, trace) -> None:
    """Each node's backward step comes after the steps of all nodes that consume its value."""
    position = {s.node_id: s.index for s in trace.steps}
    for edge in graph.edges:
        assert position[edge.target] < position[edge.source], (
            f"{edge.source} ran before its consumer {edge.target}")


def plain_quadratic(n: int = 5):
    """The seminar's cell in plain torch (seed 0): A, b, x and torch's gradients of A and x."""
    torch.manual_seed(0)
    A = torch.randn((n, n), requires_grad=True)
    b = torch.randn((n,))
    x = torch.randn((n,), requires_grad=True)
    grad_A, grad_x = torch.autograd.grad(0.5 * x @ A @ x - b @ x, [A, x])
    return A, b, x, grad_A, grad_x


class Square(torch.autograd.Function):
    """A student's own autograd Function: x², with its saved input."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * x * grad


def recorded_lstm(steps: int, generator: torch.Generator | None = None):
    """``(cell, loss)``: an LSTMCell(3, 4) run ``steps`` times inside ``recording()`` on a
    random sequence (drawn with ``generator``, else torch's global one after seed 0)."""
    from nla_explorer.engine.recording import recording
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(3, 4)
    seq = torch.randn(steps, 1, 3, generator=generator)
    with recording():
        h, c = torch.zeros(1, 4), torch.zeros(1, 4)
        for t in range(steps):
            h, c = cell(seq[t], (h, c))
        loss = h.sum()
    return cell, loss
