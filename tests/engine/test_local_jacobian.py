"""The step card's local Jacobian, for every whitelisted op: J against torch.autograd.functional,
gᵀJ against the gradient torch sent, the diagonal of elementwise ops, and the size limits.

Each case is a snippet of ``test_op_gradients`` (same leaves, same calls) with ``out`` as the output.
The local Jacobians of all its steps, chained by the graph's edges (reverse accumulation), must give
``torch.autograd.functional.jacobian`` of the plain-PyTorch ``out`` with respect to each leaf: that
checks every node's J, also the ones inside an op (``linear``'s transpose, ``cross_entropy``'s
log_softmax). Then ``loss = sin(2 out + 1).sum()`` gives every step a gradient g that is not all
ones, and gᵀJ must be what torch sent at each step.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from nla_explorer.engine import explore_code
from nla_explorer.engine.autograd.graph import LEAF
from nla_explorer.engine.autograd.jacobian_card import ELEMENTWISE_OPS, JACOBIAN_LIMIT
from nla_explorer.engine.autograd import local_jacobian
from nla_explorer.engine.autograd.local_jacobian import JacobianKeeper
from nla_explorer.engine.autograd.step_rules import step_card
from nla_explorer.engine.autograd.trace import trace_backward
from nla_explorer.engine.autograd.walk import autograd_nodes, node_ids
from nla_explorer.engine.runner.wire import decode, encode
from nla_explorer.engine.ops import CATALOGUE
from tests.engine.test_op_gradients import ARGS, EXTRA, LEAVES, render, run_plain

#: In-place updates: their node is the out-of-place op's (``out += y`` makes an AddBackward0).
IN_PLACE = {"iadd": "out = x * 1\nout += y", "isub": "out = x * 1\nout -= y",
            "imul": "out = x * 1\nout *= y", "idiv": "out = x * 1\nout /= p",
            "set_item": "out = x * 1\nout[0] = y[1]"}  # CopySlices


def no_differentiable_input(key: str) -> str:
    """Why op ``key`` makes no node with a differentiable input (empty: it does)."""
    op = CATALOGUE[key]
    if op.constructor:
        return "a constructor: it makes a leaf, no node has an input"
    if op.category == "autograd":
        return "runs the autograd engine or reads/sets .grad: no node of the graph"
    return {"manual_seed": "seeds the generator: no tensor",
            "requires_grad_": "turns a tensor into a leaf: no node",
            "argmax": "an index: an integer tensor, no gradient",
            "argmin": "an index: an integer tensor, no gradient",
            "integer": "an integer or bool cast: no gradient",
            **dict.fromkeys(("iand", "ior", "ixor"), "a bool mask updated in place: no gradient"),
            }.get(key, "")


def snippet(body: str) -> str:
    used = [n for n in LEAVES if re.search(rf"\b{n}\b", body)]
    lines = ["torch.manual_seed(0)", *(f"{n} = {LEAVES[n]}" for n in used)]
    body = body if body.startswith("out") else f"out = {body}"
    return "\n".join([*lines, body]) + "\n"


def cases() -> list:
    out = []
    for key, op in CATALOGUE.items():
        if no_differentiable_input(key):
            continue
        body = IN_PLACE.get(key) or (render(op.forms[0], ARGS[key]) if key in ARGS else None)
        if body is not None:
            out.append(pytest.param(key, snippet(body), id=key))
    out += [pytest.param(key, snippet(expr), id=f"{key}[{expr}]") for key, _, expr in EXTRA]
    return out


CASES = cases()


def test_every_whitelisted_op_is_a_case_or_skipped_with_a_reason():
    covered = {c.values[0] for c in CASES}
    skipped = {key for key in CATALOGUE if no_differentiable_input(key)}
    assert set(CATALOGUE) == covered | skipped
    assert not covered & skipped


def chained(exp) -> dict[str, np.ndarray]:
    """∂out/∂(each node) from the steps' local Jacobians, in torch's step order."""
    graph, trace = exp.graph, exp.trace
    size = exp.output.numel()
    acc = {graph.output_id: np.eye(size)}
    for i, step in enumerate(trace.steps):
        node = graph.node(step.node_id)
        if node.kind == LEAF or node.id not in acc:
            continue
        card = step_card(graph, trace, i)
        sources = {e.slot: e.source for e in graph.inputs_of(node.id)}
        found = trace.jacobians[node.id]
        for part in card.jacobians:
            assert part.hidden() == "", (node.op, part.hidden())
            local = found.part(part.slot)
            source = sources[part.slot]
            acc[source] = acc.get(source, 0) + acc[node.id] @ local.matrix
    return acc


@pytest.mark.parametrize(("key", "code"), CASES)
def test_jacobians_match_torch(key, code):
    exp = explore_code(code)
    assert exp.output_name == "out"
    acc = chained(exp)
    ns = run_plain(code)
    leaves = [n for n in LEAVES if n in ns and isinstance(ns[n], torch.Tensor)
              and ns[n].requires_grad and ns[n].is_leaf]
    body = code.split("\n", 1 + len(leaves))[-1]

    def f(*values):
        local = {**ns, **dict(zip(leaves, values))}
        exec(body, local)  # noqa: S102 - the test's own snippet, the reference
        return local["out"]

    reference = torch.autograd.functional.jacobian(f, tuple(ns[n] for n in leaves))
    for name, ref in zip(leaves, reference):
        node = exp.graph.find(name)
        ref = ref.reshape(exp.output.numel(), -1).numpy()
        got = acc.get(node.id, np.zeros_like(ref))
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9, err_msg=f"∂out/∂{name}")


@pytest.mark.parametrize(("key", "code"), CASES)
def test_g_transpose_j_is_what_torch_sent(key, code):
    exp = explore_code(code + "loss = torch.sin(2 * out + 1).sum()\n")
    checked = 0
    for i, step in enumerate(exp.trace.steps):
        card = step_card(exp.graph, exp.trace, i)
        for part in card.jacobians:
            assert part.matches is True, (card.title, part.target)
            grad = card.outgoing[part.slot][1]
            single = grad.values.dtype == np.float32  # a cast's gradient (x.float()) is rounded
            np.testing.assert_allclose(part.product.values, grad.values, rtol=1e-6 if single
                                       else 1e-10, atol=1e-7 if single else 1e-12)
            checked += 1
        if exp.graph.node(step.node_id).kind != LEAF:
            assert len(card.jacobians) == sum(t is not None for _, t in card.outgoing)
    assert checked >= 2


@pytest.mark.parametrize("key", [k for k in ELEMENTWISE_OPS if k in ARGS])
def test_elementwise_ops_have_a_diagonal_jacobian(key):
    exp = explore_code(snippet(render(CATALOGUE[key].forms[0], ARGS[key])))
    card = step_card(exp.graph, exp.trace, 0)
    assert card.jacobians
    found = exp.trace.jacobians[exp.graph.output_id]
    for part in card.jacobians:
        full = found.part(part.slot).matrix
        assert part.elementwise, (key, part.target)
        assert part.jacobian.shape == exp.graph.output.shape  # only the diagonal is shown
        np.testing.assert_array_equal(full - np.diag(np.diagonal(full)), 0)
        np.testing.assert_array_equal(part.jacobian.values.reshape(-1), np.diagonal(full))


@pytest.mark.parametrize("expr", ["x @ B", "torch.softmax(x, dim=1)", "x.sum()"])
def test_other_ops_show_the_whole_matrix(expr):
    exp = explore_code(snippet(expr))
    card = step_card(exp.graph, exp.trace, 0)
    assert card.jacobians and not any(p.elementwise for p in card.jacobians)
    for part in card.jacobians:
        assert part.jacobian.shape == (part.rows, part.cols)


def test_a_broadcast_input_of_an_elementwise_op_gets_the_whole_matrix():
    """out = x ⊙ b (b broadcast along rows): J wrt x is diagonal, J wrt b is 12×3."""
    exp = explore_code(snippet("x * b[:, None]"))
    by_cols = {p.cols: p for p in step_card(exp.graph, exp.trace, 0).jacobians}
    assert by_cols[12].elementwise and by_cols[12].jacobian.shape == (3, 4)
    assert not by_cols[3].elementwise and by_cols[3].jacobian.shape == (12, 3)
    x = exp.evaluation.names()["x"].detach().numpy()
    np.testing.assert_allclose(by_cols[3].jacobian.values,  # ∂out[i, j]/∂b[k] = x[i, j] [i = k]
                               np.stack([np.where(np.arange(3)[:, None] == k, x, 0).reshape(-1)
                                         for k in range(3)], axis=1))


def test_a_step_above_the_limit_says_so():
    exp = explore_code("a = torch.randn(50, 50, requires_grad=True)\nout = a * 3\n")
    part = step_card(exp.graph, exp.trace, 0).jacobians[0]
    assert (part.rows, part.cols) == (2500, 2500)
    assert exp.trace.jacobians.get(exp.graph.output_id) is None or \
        not exp.trace.jacobians[exp.graph.output_id].parts  # never worked out: 6.25 M entries
    assert part.hidden() == ("Jacobian not shown: 2500×2500 entries above the limit "
                             "(Preferences)")
    small = explore_code(snippet("x * y"))
    part = step_card(small.graph, small.trace, 0).jacobians[0]
    assert part.entries == 144 and part.hidden(JACOBIAN_LIMIT) == ""
    assert part.hidden(100) == "Jacobian not shown: 12×12 entries above the limit (Preferences)"


def test_a_program_backward_without_retain_graph_still_has_its_jacobians():
    code = snippet("torch.tanh(x @ B)") + "loss = (out ** 2).sum()\nloss.backward()\n"
    exp = explore_code(code)
    assert exp.call is not None  # the program's own call, whose saved tensors are then freed
    parts = [p for i in range(len(exp.trace.steps))
             for p in step_card(exp.graph, exp.trace, i).jacobians]
    assert len(parts) >= 4 and all(p.matches for p in parts)


def test_one_backward_pass_spends_a_bounded_number_of_rows():
    x = torch.randn(6, requires_grad=True)
    y = (x.exp() * 2).sum()
    keeper = JacobianKeeper(max_rows=7)  # sum: 1 row, mul: 6 rows, exp: over the budget
    fns = autograd_nodes(y.grad_fn)
    with keeper.watching(fns):
        y.backward()
    found = keeper.by_id(node_ids(fns))
    notes = [j.note for j in found.values() if not j.parts]
    assert len([j for j in found.values() if j.parts]) == 2
    assert notes == ["Jacobian not kept: this backward pass already spent its budget of "
                     "7 Jacobian rows on other steps"]


def test_the_programs_own_function_is_not_run_again():
    class Twice(torch.autograd.Function):
        calls = 0

        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, g):
            Twice.calls += 1
            return 2 * g

    x = torch.randn(3, requires_grad=True)
    trace = trace_backward(Twice.apply(x).sum())
    assert Twice.calls == 1
    own = [j for j in trace.jacobians.values() if "program's own backward" in j.note]
    assert len(own) == 1 and not own[0].parts


def test_jacobians_cross_the_pipe_as_plain_data():
    exp = explore_code(snippet("torch.tanh(x @ B)"))
    trace = decode(encode(exp.trace))
    assert set(trace.jacobians) == set(exp.trace.jacobians)
    for node_id, found in exp.trace.jacobians.items():
        for part in found.parts:
            np.testing.assert_array_equal(trace.jacobians[node_id].part(part.slot).matrix,
                                          part.matrix)
    card = step_card(exp.graph, trace, 1)
    assert card.jacobians and all(p.matches for p in card.jacobians)


@pytest.mark.parametrize("expr", ["torch.tanh(x @ B)", "torch.softmax(x, dim=1)",
                                  "torch.nn.functional.linear(x, W, c)", "x * b[:, None]"])
def test_the_batched_rows_are_the_rows_one_by_one(expr, monkeypatch):
    code = snippet(expr) + "loss = torch.sin(out).sum()\n"
    batched = explore_code(code).trace.jacobians
    monkeypatch.setattr(local_jacobian, "_rows_batched", lambda *args: None)
    single = explore_code(code).trace.jacobians
    assert set(single) == set(batched) and any(j.parts for j in batched.values())
    for node_id, found in batched.items():
        assert [p.slot for p in found.parts] == [p.slot for p in single[node_id].parts]
        for part in found.parts:
            np.testing.assert_allclose(part.matrix, single[node_id].part(part.slot).matrix,
                                       rtol=1e-12, atol=1e-14)


def test_a_model_sized_graph_skips_the_local_jacobians_and_keeps_the_steps():
    """Above JACOBIAN_GRAPHS_UP_TO nodes the unit vectors would cost more than the backward: the
    trace has every step and gradient torch computes, and no local Jacobians."""
    from nla_explorer.engine.autograd.local_jacobian import JACOBIAN_GRAPHS_UP_TO

    x = torch.randn(3, requires_grad=True)
    y = x
    for _ in range(JACOBIAN_GRAPHS_UP_TO // 2 + 1):
        y = torch.tanh(y) * 1.0
    loss = y.sum()
    big = trace_backward(loss)
    assert big.jacobians == {}
    expected, = torch.autograd.grad(loss, x, retain_graph=True)
    leaf = next(k for k in big.leaf_grads)
    assert torch.allclose(torch.tensor(big.leaf_grads[leaf].values), expected)
    small = trace_backward((torch.tanh(x) * 2.0).sum())
    assert small.jacobians  # a course-sized graph keeps them
