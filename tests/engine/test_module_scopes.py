"""Module invocations ("scopes") on every node: the chain of module calls that made it."""

from __future__ import annotations

import pytest
import torch

from nla_explorer.engine.autograd.graph import LEAF, OP, ModuleInfo
from nla_explorer.engine.recording import capture_tensor, recording
from nla_explorer.engine.runner import wire
from nla_explorer.engine.runner.supervisor import Runner


class Block(torch.nn.Module):
    """A custom module with a Sequential inside and an op of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Tanh())

    def forward(self, x):
        return self.inner(x) * 2.0  # the mul is the block's own


def ops_by_scope(graph) -> dict[tuple, set[str]]:
    out: dict[tuple, set[str]] = {}
    for node in graph.nodes:
        if node.kind == OP:
            out.setdefault(node.scope, set()).add(node.op)
    return out


def test_nested_modules_give_the_chain_outermost_first():
    torch.manual_seed(0)
    net = torch.nn.Sequential(Block(), torch.nn.Linear(3, 1))
    x = torch.randn(2, 3)
    with recording():
        loss = net(x).pow(2).sum()
    graph = capture_tensor(loss, models={"net": net}).graph
    assert ops_by_scope(graph) == {
        (("net", 1), ("net.0", 1), ("net.0.inner", 1), ("net.0.inner.0", 1)): {"AddmmBackward0",
                                                                        "TBackward0"},
        (("net", 1), ("net.0", 1), ("net.0.inner", 1), ("net.0.inner.1", 1)): {"TanhBackward0"},
        (("net", 1), ("net.0", 1)): {"MulBackward0"},
        (("net", 1), ("net.1", 1)): {"AddmmBackward0", "TBackward0"},
        (): {"PowBackward0", "SumBackward0"},  # made outside any module
    }
    for node in graph.nodes:  # the innermost path is the module, as before
        assert node.module == (node.scope[-1][0] if node.scope else None)
    assert all(n.scope == () for n in graph.nodes if n.kind == LEAF)


def test_a_cell_called_in_a_loop_numbers_its_calls():
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(2, 3)
    xs = torch.randn(3, 1, 2)
    with recording():
        h = c = torch.zeros(1, 3)
        steps = []
        for x in xs:
            h, c = cell(x, (h, c))
            steps.append(h)
        loss = h.sum()
    graph = capture_tensor(loss, models={"cell": cell}).graph
    scopes = {n.scope for n in graph.nodes if n.kind == OP}
    assert scopes == {(("cell", 1),), (("cell", 2),), (("cell", 3),), ()}
    # each call's nodes are exactly those its forward made: its output's node is in it
    del steps
    step_counts = {k: sum(1 for n in graph.nodes if n.scope == (("cell", k),)) for k in (1, 2, 3)}
    assert step_counts[1] == step_counts[2] == step_counts[3] > 0


def test_a_transformer_encoder_scopes_run_through_its_layers_and_attention():
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
    model = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    x = torch.randn(3, 2, 8)
    with recording():
        loss = model(x).sum()
    graph = capture_tensor(loss, models={"model": model}).graph
    scopes = {n.scope for n in graph.nodes if n.kind == OP}
    for k in (0, 1):  # a ModuleList has no forward of its own: no "model.layers" in the chain
        assert (("model", 1), (f"model.layers.{k}", 1)) in scopes
        assert (("model", 1), (f"model.layers.{k}", 1),
                (f"model.layers.{k}.self_attn", 1)) in scopes
        assert (("model", 1), (f"model.layers.{k}", 1),
                (f"model.layers.{k}.linear1", 1)) in scopes
    assert all(path != "model.layers" for scope in scopes for path, _ in scope)
    attention = [n for n in graph.nodes if n.scope[-1:] == (("model.layers.1.self_attn", 1),)]
    assert attention and all(n.module == "model.layers.1.self_attn" for n in attention)


def test_the_graph_lists_the_named_modules_with_class_and_parameter_count():
    torch.manual_seed(0)
    net = torch.nn.Sequential(Block(), torch.nn.Linear(3, 1))
    x = torch.randn(2, 3)
    with recording():
        loss = net(x).sum()
    graph = capture_tensor(loss, models={"net": net}).graph
    expected = tuple(ModuleInfo(path, type(m).__name__, sum(p.numel() for p in m.parameters()))
                     for path, m in net.named_modules(prefix="net"))
    assert graph.modules == expected
    by_path = {m.path: m for m in graph.modules}
    assert by_path["net"].kind == "Sequential" and by_path["net"].parameters == 12 + 4
    assert by_path["net.0"].kind == "Block" and by_path["net.0"].parameters == 12
    assert by_path["net.0.inner.1"] == ModuleInfo("net.0.inner.1", "Tanh", 0)


def test_modules_without_a_path_are_left_out_of_the_chain():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 2))
    wrapper = torch.nn.Sequential(net)  # called, but not among the named models
    with recording():
        loss = wrapper(torch.randn(1, 3)).sum()
    graph = capture_tensor(loss, models={"net": net}).graph
    assert {n.scope for n in graph.nodes if n.kind == OP} == {
        (("net", 1), ("net.0", 1)), ()}


def test_a_forward_that_raised_does_not_stay_in_later_chains():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 2))
    with recording():
        with pytest.raises(RuntimeError):
            net(torch.randn(1, 4))  # a shape error inside net.0's forward
        loss = net(torch.randn(1, 3)).sum()
    graph = capture_tensor(loss, models={"net": net}).graph
    assert (("net", 2), ("net.0", 2)) in {n.scope for n in graph.nodes}


def test_scopes_and_modules_survive_the_wire():
    torch.manual_seed(0)
    net = torch.nn.Sequential(Block(), torch.nn.Linear(3, 1))
    with recording():
        loss = net(torch.randn(2, 3)).sum()
    graph = capture_tensor(loss, models={"net": net}).graph
    back = wire.decode(wire.encode(graph))
    assert [n.scope for n in back.nodes] == [n.scope for n in graph.nodes]
    assert all(isinstance(n.scope, tuple) and all(isinstance(s, tuple) for s in n.scope)
               for n in back.nodes)
    assert back.modules == graph.modules


PROGRAM = """import torch
torch.manual_seed(0)
cell = torch.nn.RNNCell(2, 3)
net = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Tanh())
h = torch.zeros(1, 3)
for x in torch.randn(2, 1, 2):
    h = cell(x, h)
loss = net(h).sum()
loss.backward()
"""


def test_run_as_python_carries_scopes_and_modules_across_the_pipe():
    with Runner() as runner:
        result = runner.run_cells([("In[1]", 1, PROGRAM)])
    assert result.error is None, result.error
    graph = result.graph
    scopes = {n.scope for n in graph.nodes if n.kind == OP}
    assert scopes == {(("cell", 1),), (("cell", 2),), (("net", 1), ("net.0", 1)),
                      (("net", 1), ("net.1", 1)), ()}
    assert {(m.path, m.kind, m.parameters) for m in graph.modules} == {
        ("cell", "RNNCell", 2 * 3 + 3 * 3 + 3 + 3), ("net", "Sequential", 12),
        ("net.0", "Linear", 12), ("net.1", "Tanh", 0)}
    assert graph.modules == result.modules


def test_outputs_nested_in_tuples_and_dicts_are_tagged_by_their_module():
    """nn.LSTM returns (out, (h, c)); many models return a dict: every node a module made
    carries its call, whichever output reaches it."""
    from nla_explorer.engine.recording import capture_tensor, recording

    class Heads(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.LSTM(3, 4)
            self.head = torch.nn.Linear(4, 2)

        def forward(self, x):
            out, (h, c) = self.rnn(x)
            return {"logits": self.head(h[-1]), "memory": c.tanh()}

    torch.manual_seed(0)
    model = Heads()
    with recording():
        result = model(torch.randn(5, 1, 3))
        loss = result["logits"].sum() + result["memory"].sum()
    cap = capture_tensor(loss, models={"m": model})
    scopes = {n.op: n.scope for n in cap.graph.nodes if n.kind == "op"}
    assert scopes["TanhBackward0"] == (("m", 1),)  # made in m's forward, outside rnn and head
    lstm_ops = [n for n in cap.graph.nodes if n.scope[-1:] == (("m.rnn", 1),)]
    assert lstm_ops, "the LSTM's nodes carry its call"
    assert all(n.scope[0] == ("m", 1) for n in lstm_ops)
