"""The checks every newly whitelisted op passes, shared by the op test modules: the same run as
plain Python (values, gradients, step order, errors), code that reads back, and a card written
for each step and forward line."""

from __future__ import annotations

import pytest
import torch

from nla_explorer.engine import explore_code
from nla_explorer.engine.autograd.forward_rules import forward_card
from nla_explorer.engine.autograd.rule_table import RULES, op_base
from nla_explorer.engine.autograd.step_rules import step_card
from nla_explorer.engine.autograd.stepper import forward_order
from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.code.writer import to_code
from tests.engine.app_record import app_record
from tests.engine.oracle import decode
from tests.engine.test_differential import assert_same


def runs_as_python(oracle, text: str) -> None:
    assert_same(oracle.run(text), app_record(text), text)


def raises_on_its_last_line_as_torch(oracle, text: str) -> None:
    expected, actual = oracle.run(text), app_record(text)
    assert expected["error"] is not None and actual["error"] is not None, text
    assert actual["error"]["type"] == expected["error"]["type"], text
    assert actual["error"]["line"] == expected["error"]["line"] == len(text.splitlines())


def reads_back(text: str) -> None:
    expression = parse_code(text)
    assert parse_code(to_code(expression)) == expression


def cards_written(text: str, nodes: set[str], incoming: bool = False) -> None:
    """Each step of an op in ``nodes`` has its rule (and, with ``incoming``, the gradient that
    arrives); every forward line has its card."""
    exploration = explore_code(text)
    graph, trace = exploration.graph, exploration.trace
    made = {op_base(graph.node(step.node_id).op) for step in trace.steps}
    assert nodes <= made, made
    for i, step in enumerate(trace.steps):
        card = step_card(graph, trace, i)
        if op_base(graph.node(step.node_id).op) in nodes:
            assert op_base(graph.node(step.node_id).op) in RULES and card.rule, card.title
            assert all("{" not in line for line in card.rule), card.rule
            assert not incoming or card.incoming is not None, card.title
    order = forward_order(graph, trace)
    for i in range(len(order)):
        assert forward_card(graph, order, i).rule


def raises_as_python(oracle, text: str, kind: str, message: str) -> None:
    """Python and the explorer stop on the program's last line with ``kind``, saying ``message``."""
    expected, actual = oracle.run(text), app_record(text)
    assert expected["error"]["type"] == actual["error"]["type"] == kind, actual["error"]
    assert expected["error"]["line"] == actual["error"]["line"] == len(text.splitlines())
    assert message in expected["error"]["message"] and message in actual["error"]["message"]


def card_rules(text: str) -> dict[str, list[tuple[str, ...]]]:
    """Each step card's rule lines, by the base name of its node (in step order)."""
    exploration = explore_code(text)
    graph, trace = exploration.graph, exploration.trace
    out: dict[str, list[tuple[str, ...]]] = {}
    for i, s in enumerate(trace.steps):
        out.setdefault(op_base(graph.node(s.node_id).op), []).append(
            step_card(graph, trace, i).rule)
    return out


def as_python_tests(head: str, programs: dict[str, str]):
    """The test each op module runs on its programs: as plain Python runs them, and read back
    from the code the writer writes (assign it to a ``test_…`` name of the module)."""
    @pytest.mark.parametrize("name", list(programs))
    def test_it_runs_as_plain_python_does_and_reads_back(oracle, name):
        runs_as_python(oracle, head + programs[name])
        reads_back(head + programs[name])
    return test_it_runs_as_plain_python_does_and_reads_back


def runs_as_python_to_rounding(oracle, text: str) -> None:
    """As :func:`runs_as_python`, but values and gradients equal up to the last bits: for ops
    torch itself does not repeat bit for bit (lstsq's LAPACK driver gives a last bit or two
    apart in two runs of one Python process). Nodes and step order are exact."""
    expected, actual = oracle.run(text), app_record(text)
    assert expected["error"] is None and actual["error"] is None, (expected["error"], text)
    assert len(actual["calls"]) == len(expected["calls"]), text
    for want, got in zip(expected["calls"], actual["calls"]):
        assert got["nodes"] == want["nodes"] and [s[0] for s in got["steps"]] == [
            s[0] for s in want["steps"]], text
        for (_, grads_want), (_, grads_got) in zip(want["steps"], got["steps"]):
            for g_want, g_got in zip(grads_want, grads_got):
                _close(g_want, g_got, text)
    assert actual["tensors"].keys() == expected["tensors"].keys(), text
    for name, value in expected["tensors"].items():
        _close(value, actual["tensors"][name], text)
    for name, value in expected["grads"].items():
        _close(value, actual["grads"][name], text)


def _close(want, got, text: str) -> None:
    if want is None or got is None:
        assert want is got, text
        return
    a, b = decode(want), decode(got)
    assert a.dtype == b.dtype and a.shape == b.shape, text
    assert torch.allclose(a, b, rtol=1e-10, atol=1e-12) if a.is_floating_point() else \
        torch.equal(a, b), text

