"""Double backward: ``grad(y, x, create_graph=True)`` then the backward of a function of the result.

Both ways of running code (the safe interpreter and Run as Python) against plain CPython + torch
(the oracle: pre-hooks on every node): the same nodes, step order, gradients and ``x.grad``; and the
graph of the second call holds the nodes the first backward made (order 2, each after the
first-order node whose backward made it) together with the first-order graph.
"""

from __future__ import annotations

import pytest
import torch

from nla_explorer.engine import explore_code
from nla_explorer.engine.autograd.backward_calls import run_backward_call
from nla_explorer.engine.autograd.recorder import ForwardRecorder
from nla_explorer.engine.report import graph_json
from nla_explorer.engine.runner.supervisor import Runner
from nla_explorer.engine.samples import DOUBLE_BACKWARD as CUBE
from tests.engine.app_record import app_record
from tests.engine.oracle import decode
from tests.engine.run_record import run_record
from tests.engine.test_differential import assert_same

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]


EXP = """import torch
torch.manual_seed(1)
x = torch.randn(4, requires_grad=True)
y = torch.exp(x).sum()
g, = torch.autograd.grad(y, x, create_graph=True)
z = (g * x).sum()
z.backward()
"""


def _first_order_part(actual: dict, expected: dict) -> dict:
    """The app's calls cut to the nodes torch's walk reaches: the app shows the first-order
    graph that made the higher-order nodes after them (checked apart)."""
    for want, got in zip(expected["calls"], actual["calls"]):
        assert len(got["nodes"]) >= len(want["nodes"])
        got["nodes"] = got["nodes"][:len(want["nodes"])]
    return actual


@pytest.mark.parametrize("text", [CUBE, EXP], ids=["cube", "exp"])
def test_the_interpreter_steps_the_double_backward_as_torch(oracle, text):
    expected = oracle.run(text)
    assert expected["error"] is None and len(expected["calls"]) == 2
    actual = _first_order_part(app_record(text), expected)
    assert_same(expected, actual, text)


def test_run_as_python_steps_the_double_backward_as_torch(oracle):
    expected = oracle.run(CUBE)
    with Runner() as runner:
        result = runner.run_cells([("cell", 1, CUBE)])
    actual = _first_order_part(run_record(result, set(expected["tensors"])), expected)
    assert_same(expected, actual, CUBE)
    x = decode(expected["tensors"]["x"])
    assert torch.allclose(decode(expected["grads"]["x"]), 36 * x ** 3)  # d/dx Σ (3x²)²
    graph = result.calls[1].graph
    assert {n.op for n in graph.nodes if n.order == 2} == {
        "MulBackward0", "MulBackward1", "PowBackward0"}


def test_the_second_call_shows_order_two_nodes_after_the_first_order_graph():
    exploration = explore_code(CUBE)
    first, second = exploration.evaluation.backward_calls
    assert {n.order for n in first.graph.nodes} == {1}
    graph = second.graph
    assert graph.highest_order == 2
    made = [n for n in graph.nodes if n.order == 2]
    assert sorted(n.op for n in made) == ["MulBackward0", "MulBackward1", "PowBackward0"]
    assert graph.find("g").order == 2  # g is the gradient the first backward built
    makers = {graph.node(n.made_by) for n in made}
    # every one was made by the backward of y's pow (x ** 3), a first-order node
    assert [(m.op, m.order) for m in makers] == [("PowBackward0", 1)]
    (maker,) = makers
    assert [e.target for e in graph.consumers_of(maker.id)] == [graph.find("y").id]
    assert {p[1] for p in graph.made_by_pairs()} == {n.id for n in made}
    # the first-order graph is there whole: x → pow → sum (y); z's own ops are order 1
    assert graph.find("y").op == "SumBackward0" and graph.find("y").order == 1
    assert graph.find("z").order == 1
    # order-2 pow reads the first-order leaf x: an edge from the first-order graph
    x = graph.find("x")
    assert any(graph.node(e.target).order == 2 for e in graph.consumers_of(x.id))
    # the steps of z's backward run through the order-2 nodes
    stepped = [graph.node(s.node_id) for s in second.trace.steps]
    assert [n.order for n in stepped].count(2) == 3
    assert maker.id not in {s.node_id for s in second.trace.steps}  # not part of z's backward
    # values of order-2 nodes are recorded (g is 3x²)
    torch.manual_seed(0)
    x0 = torch.randn(3)
    assert torch.allclose(torch.tensor(graph.find("g").value.values), 3 * x0 ** 2)


def test_a_saved_first_order_result_feeds_an_order_two_node():
    """exp saves its result: the order-2 mul reads it, an edge from the first-order exp."""
    graph = explore_code(EXP).evaluation.backward_calls[1].graph
    exp = next(n for n in graph.nodes if n.op == "ExpBackward0")
    assert exp.order == 1
    assert any(graph.node(e.target).order == 2 for e in graph.consumers_of(exp.id))


def test_a_third_order_graph_and_the_json():
    rec = ForwardRecorder()
    options = {"recorder": rec, "limit": 1000, "line": None, "block_id": "b", "label": "l",
               "output_name": None}
    with rec:
        x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = (x ** 4).sum()
    names = {"x": x, "y": y}
    (g,), _ = run_backward_call("grad", "torch.autograd.grad", torch.autograd.grad, (y, x),
                                {"create_graph": True}, names=names, **options)
    with rec:
        s = g.sum()
    (h,), second = run_backward_call("grad", "torch.autograd.grad", torch.autograd.grad, (s, x),
                                     {"create_graph": True}, names={**names, "g": g}, **options)
    with rec:
        t = h.sum()
    _, third = run_backward_call("backward", ".backward", torch.Tensor.backward, (t,), {},
                                 names={**names, "g": g, "h": h, "t": t}, **options)
    assert second.graph.highest_order == 2
    assert third.graph.highest_order == 3
    for node in third.graph.nodes:
        if node.order == 3:  # made by the backward of an order-2 node
            assert third.graph.node(node.made_by).order == 2
    plain = x.detach().clone().requires_grad_(True)  # the same program, plain torch
    (pg,) = torch.autograd.grad((plain ** 4).sum(), plain, create_graph=True)
    (ph,) = torch.autograd.grad(pg.sum(), plain, create_graph=True)
    ph.sum().backward()
    assert torch.equal(x.grad, plain.grad)
    data = graph_json(third.graph, third.trace)
    orders = {n["id"]: n["order"] for n in data["nodes"]}
    assert set(orders.values()) == {1, 2, 3}
    assert all(n["made_by"] is None or orders[n["made_by"]] == n["order"] - 1
               for n in data["nodes"])
