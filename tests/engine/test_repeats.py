"""Repeated blocks of plain code: each detected block is exactly the ops one loop iteration made."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest
import torch

from nla_explorer.engine import capture
from nla_explorer.engine.autograd.repeats import REPEAT, find_repeats, repeat_scopes
from nla_explorer.engine.recording import recording

WORKLOADS = Path(__file__).resolve().parents[2] / "benchmarks" / "workloads.py"


def workloads():
    spec = importlib.util.spec_from_file_location("bench_workloads", WORKLOADS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reachable(fns) -> set[int]:
    """Sequence numbers of the op Nodes torch reaches from ``fns`` through ``next_functions``."""
    seen, todo = set(), [fn for fn in fns if fn is not None]
    while todo:
        fn = todo.pop()
        if fn in seen or type(fn).__name__ == "AccumulateGrad":
            continue
        seen.add(fn)
        todo.extend(child for child, _ in fn.next_functions if child is not None)
    return {fn._sequence_nr() for fn in seen}


def made_by_step(steps: list[tuple[torch.Tensor, ...]], start=()) -> list[set[int]]:
    """Per loop iteration (given by the tensors it returned), the op Nodes it made, by torch;
    ``start``: the loop's start values (what made them is no iteration's)."""
    made, before = [], reachable(t.grad_fn for t in start)
    for outputs in steps:
        now = reachable(t.grad_fn for t in outputs)
        made.append(now - before)
        before |= now
    return made


def blocks_by_number(graph, scopes, path=REPEAT) -> list[set[int]]:
    """The sequence numbers of each block of run ``path``, block 1 first."""
    count = max(k for ((p, k),) in scopes.values() if p == path)
    blocks = [set() for _ in range(count)]
    for node_id, ((p, k),) in scopes.items():
        if p == path:
            blocks[k - 1].add(graph.node(node_id).sequence_nr)
    return blocks


def tanh_loop(steps: int, x_grad: bool = False, x=None, seed: int = 0):
    """``x = tanh(W @ x + b)`` ``steps`` times: (W, b, x0, the output of each iteration)."""
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(4, 4, generator=g, requires_grad=True)
    b = torch.randn(4, generator=g, requires_grad=True)
    x = torch.randn(4, generator=g, requires_grad=x_grad) if x is None else x
    outputs = []
    for _ in range(steps):
        x = torch.tanh(W @ x + b)
        outputs.append((x,))
    return W, b, outputs


@pytest.mark.parametrize("x_grad", [False, True])
def test_ten_tanh_iterations_are_ten_blocks_in_forward_order(x_grad):
    W, b, steps = tanh_loop(10, x_grad)
    y = steps[-1][0].sum()
    graph = capture(y, names=locals())
    scopes = repeat_scopes(graph)
    assert set(scopes.values()) == {((REPEAT, k),) for k in range(1, 11)}
    assert blocks_by_number(graph, scopes) == made_by_step(steps)
    assert graph.output_id not in scopes  # the sum after the loop
    assert not any(graph.node(i).kind == "leaf" for i in scopes)
    for run in find_repeats(graph):
        assert [graph.node(i).op for i in run.blocks[0]] == ["MvBackward0", "AddBackward0",
                                                             "TanhBackward0"]


def lstm_cell_steps(steps: int):
    """An LSTMCell (8 → 16) unrolled as in benchmarks/workloads.py, keeping each step's (h, c)."""
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(8, 16)
    seq = torch.randn(steps, 1, 8, generator=torch.Generator().manual_seed(1))
    h, c = torch.zeros(1, 16), torch.zeros(1, 16)
    out = []
    for t in range(steps):
        h, c = cell(seq[t], (h, c))
        out.append((h, c))
    return out


def test_an_lstm_cell_loop_is_one_block_per_step():
    steps = lstm_cell_steps(50)
    graph = capture(steps[-1][0].sum())
    scopes = repeat_scopes(graph)
    assert blocks_by_number(graph, scopes) == made_by_step(steps)


def test_lstm_workload_folds_into_fifty_blocks_with_the_same_ops():
    y, names = workloads().lstm(50)
    graph = capture(y, names=names)
    (run,) = find_repeats(graph)
    assert run.count == 50 and run.period == 15
    kinds = [Counter(graph.node(i).op for i in block) for block in run.blocks]
    assert all(k == kinds[0] for k in kinds)
    ops = [n for n in graph.nodes if n.kind == "op"]
    assert {i for block in run.blocks for i in block} == {n.id for n in ops} - {graph.output_id}


def test_two_different_loops_are_two_runs_numbered_in_forward_order():
    W, b, first = tanh_loop(10)
    a = torch.randn(4, requires_grad=True)
    x, second = first[-1][0], []
    for _ in range(12):  # longer: found first, still numbered second
        x = torch.sin(x) * a + x
        second.append((x,))
    graph = capture(x.sum())
    scopes = repeat_scopes(graph)
    made = made_by_step(first + second)
    assert blocks_by_number(graph, scopes, REPEAT) == made[:10]
    assert blocks_by_number(graph, scopes, f"{REPEAT} 2") == made[10:]
    assert {p for ((p, _),) in scopes.values()} == {REPEAT, f"{REPEAT} 2"}


def test_a_graph_without_repetition_has_no_blocks():
    y, names = workloads().quadratic()
    assert repeat_scopes(capture(y, names=names)) == {}


def test_two_iterations_are_too_few_unless_asked_for():
    W, b, steps = tanh_loop(2)
    graph = capture(steps[-1][0].sum())
    assert repeat_scopes(graph, min_repeats=3) == {}
    assert blocks_by_number(graph, repeat_scopes(graph, min_repeats=2)) == made_by_step(steps)


def test_single_op_blocks_need_min_block_one():
    x, steps = torch.randn(3, requires_grad=True), []
    for _ in range(10):
        x = torch.sin(x)
        steps.append((x,))
    graph = capture(x.sum())
    assert repeat_scopes(graph) == {}
    assert blocks_by_number(graph, repeat_scopes(graph, min_block=1)) == made_by_step(steps)


def test_ops_with_a_module_scope_are_left_out():
    W, b, steps = tanh_loop(10)
    graph = capture(steps[-1][0].sum())
    made = made_by_step(steps)
    in_module = {n.id for n in graph.nodes if n.sequence_nr in set().union(*made[:4])}
    base = {i: (("net", 1),) for i in in_module}
    scopes = repeat_scopes(graph, base=base)
    assert not in_module & scopes.keys()
    assert blocks_by_number(graph, scopes) == made[4:]  # numbered 1 … 6
    # An empty scope is no scope: those ops still take part.
    assert repeat_scopes(graph, base={i: () for i in in_module}) == repeat_scopes(graph)


def test_a_change_of_wiring_ends_a_run():
    a = torch.randn(4, requires_grad=True)
    x, steps = torch.randn(4), []
    for i in range(12):  # the same ops each time; the mul's operands swap half-way
        x = torch.tanh(a * x + a) if i < 6 else torch.tanh(x * a + a)
        steps.append((x,))
    graph = capture(x.sum())
    scopes = repeat_scopes(graph)
    made = made_by_step(steps)
    assert blocks_by_number(graph, scopes, REPEAT) == made[:6]
    assert blocks_by_number(graph, scopes, f"{REPEAT} 2") == made[6:]


def test_ops_before_and_after_a_loop_that_look_like_part_of_it_stay_out():
    # tanh before the loop looks like an iteration's last op, W_out @ x after it like a first one
    x0 = torch.randn(4, requires_grad=True)
    start = torch.tanh(x0)
    W, b, steps = tanh_loop(10, x=start)
    W_out = torch.randn(4, 4, requires_grad=True)
    graph = capture((W_out @ steps[-1][0]).sum())
    scopes = repeat_scopes(graph)
    assert blocks_by_number(graph, scopes) == made_by_step(steps, start=(start,))
    assert len(scopes) == 30


def test_blocks_begin_where_the_fewest_values_pass_between_them():
    # sin(x) after the loop looks like an iteration's first op; [mul, add, sin] hands on two values
    # (the sine and x), [sin, mul, add] only x
    a = torch.randn(4, requires_grad=True)
    x, steps = torch.randn(4, requires_grad=True), []
    for _ in range(8):
        x = x + torch.sin(x) * a
        steps.append((x,))
    graph = capture(torch.sin(x).sum())
    assert blocks_by_number(graph, repeat_scopes(graph)) == made_by_step(steps)


def test_a_first_iteration_without_grad_on_its_input_is_left_out():
    # x0 needs no grad: the first iteration makes no mul node, so it is shorter than the others
    W, b = torch.randn(4, 4, requires_grad=True), torch.randn(4, requires_grad=True)
    x, steps = torch.randn(4), []
    for _ in range(10):
        x = torch.tanh(W @ (x * x) + b)
        steps.append((x,))
    graph = capture(x.sum())
    made = made_by_step(steps)
    assert len(made[0]) == 3 and len(made[1]) == 4
    assert blocks_by_number(graph, repeat_scopes(graph)) == made[1:]


def test_residual_blocks_of_a_plain_capture_match_the_modules_that_made_them():
    block_type = workloads()._Block  # conv, bn, relu, conv, bn, add, relu
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                              torch.nn.ReLU(), *[block_type(4) for _ in range(8)],
                              torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                              torch.nn.Linear(4, 2))
    owner = {id(m): k for k, block in enumerate(net[3:11]) for m in block.modules()}
    with recording() as rec:
        y = net(torch.randn(2, 3, 6, 6)).sum()
    made: list[set[int]] = [set() for _ in range(8)]
    seen, todo = set(), [y.grad_fn]
    while todo:  # torch's Nodes, each put in the block whose module made it
        fn = todo.pop()
        if fn is None or fn in seen or type(fn).__name__ == "AccumulateGrad":
            continue
        seen.add(fn)
        todo.extend(child for child, _ in fn.next_functions)
        k = owner.get(id(rec.module_of(fn)))
        if k is not None:
            made[k].add(fn._sequence_nr())
    graph = capture(y)  # no module information: plain code to the detector
    assert blocks_by_number(graph, repeat_scopes(graph)) == made


def test_bad_thresholds_are_refused():
    W, b, steps = tanh_loop(3)
    graph = capture(steps[-1][0].sum())
    with pytest.raises(ValueError, match="min_repeats"):
        repeat_scopes(graph, min_repeats=1)
    with pytest.raises(ValueError, match="min_block"):
        repeat_scopes(graph, min_block=0)
