"""Limits that hold: sizes come from the result, a program has a byte budget, a capture a values
budget and ``trace --json`` a size cap (issue 16; the adversarial fuzz is test_size_fuzz.py).

Each finding of the attack is a regression test here: diagonal offsets, ``out=``, dtype views,
empty factors, many medium allocations, thousands of lines of ``a = a.sin()``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from nla_explorer.engine import explore_code, explore_expression, parse_code
from nla_explorer.engine.code.budget import CaptureSizes, ProgramBudget, capture_bytes
from nla_explorer.engine.code.evaluation import evaluate
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.report import exploration_json, run_json
from nla_explorer.engine.runner.safe_run import run_safe
from nla_explorer.engine.sessions.nla_file import load_session, save_session
from nla_explorer.engine import tensors
from nla_explorer.engine.tensors import ALWAYS_KEPT, values_budget

MB = 10**6


def refusal(code: str, **limits) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        if limits:
            evaluate(parse_code(code), **limits)
        else:
            explore_code(code)
    return caught.value


# -- sizes from the result -----------------------------------------------------------------------
@pytest.mark.parametrize("code, shape", [
    ("x = torch.randn(100, requires_grad=True)\ny = torch.diag(x, 20000)", "20100×20100"),
    ("x = torch.randn(100, requires_grad=True)\ny = x.diag(diagonal=70000)", "70100×70100"),
    ("x = torch.randn(100, requires_grad=True)\ny = torch.diag(x, -30000)", "30100×30100"),
    # 7000² is under the limit: "at most the input squared" let this one through
    ("x = torch.randn(7000, requires_grad=True)\ny = torch.diag(x, 20000)", "27000×27000"),
])
def test_diagonal_offsets_are_sized_from_the_result(code, shape):
    error = refusal("import torch\n" + code + "\n")
    assert error.line == 3 and error.culprit == "y"
    assert f"diag → ({shape}) would hold" in str(error) and "the limit is 50,000,000" in str(error)


def test_a_diagonal_offset_from_a_session_is_sized_too(tmp_path):
    expression = parse_code("import torch\nx = torch.randn(100, requires_grad=True)\n"
                            "y = x.diag(diagonal=20000)\n")
    save_session(tmp_path / "attack.nla", expression)
    loaded, _ = load_session(tmp_path / "attack.nla")
    with pytest.raises(ExpressionError, match=r"diag → \(20100×20100\) would hold 404,010,000"):
        explore_expression(loaded)


def test_small_diagonals_still_work():
    exploration = explore_code("import torch\nx = torch.randn(3, requires_grad=True)\n"
                               "y = torch.diag(x, 2)\nf = y.sum()\n")
    assert exploration.evaluation.names()["y"].shape == (5, 5)


@pytest.mark.parametrize("code", [
    "x = torch.zeros(3)\ny = torch.arange(end=1e9, out=x)",
    "x = torch.zeros(3)\nn = 32000\ny = torch.zeros(n, n, out=x)",
    "x = torch.zeros(3)\ny = torch.randn(3, 3, out=x)",
    "x = torch.randn(3, 3)\ny = torch.matmul(x, x, out=x)",
])
def test_out_is_refused_naming_the_line(code):
    error = refusal("import torch\n" + code + "\n")
    assert error.line == len(code.splitlines()) + 1
    assert "out= is not supported" in str(error)


@pytest.mark.parametrize("view, shape, count, limit", [
    ("x.view(torch.bool)", "30×320", "9,600", 5000),
    ("x.view(dtype=torch.bool)", "30×320", "9,600", 5000),
    ("x.view(torch.float16)", "30×160", "4,800", 4000),
])
def test_dtype_views_are_sized(view, shape, count, limit):
    error = refusal(f"import torch\nx = torch.randn(30, 40, dtype=torch.float64)\ny = {view}\n",
                    max_elements=limit)
    assert error.line == 3 and f"view → ({shape}) would hold {count} elements" in str(error)


def test_the_bool_view_of_a_large_float64_is_refused():
    error = refusal("import torch\nx = torch.randn(3000, 8000, dtype=torch.float64)\n"
                    "y = x.view(torch.bool)\n")
    assert error.line == 3 and "view → (3000×64000) would hold 192,000,000 elements" in str(error)


def test_narrowing_views_still_work():
    exploration = explore_code(
        "import torch\nx = torch.randn(4, 6, dtype=torch.float64)\ny = x.view(torch.float32)\n"
        "z = torch.randn(4, 12, requires_grad=True)\nf = (y * z).sum()\n")
    assert exploration.evaluation.names()["y"].shape == (4, 12)


def test_empty_factors_cannot_multiply_into_a_huge_matrix():
    """``(n×0) @ (0×n)`` is ``n×n`` zeros: bounds from the inputs' sizes (0) let it through."""
    error = refusal("import torch\na = torch.zeros(100000, 0)\nb = torch.zeros(0, 100000)\n"
                    "c = a @ b\n")
    assert error.line == 4 and "(100000×100000) would hold 10,000,000,000" in str(error)


# -- the program's budget ------------------------------------------------------------------------
def test_many_medium_allocations_are_refused_at_the_line_past_the_budget():
    code = "import torch\n" + "".join(f"x{i} = torch.randn(700, 700)\n" for i in range(40))
    error = refusal(code, max_bytes=20 * MB)  # 1.96 MB each: the 11th would pass 20 MB
    assert error.line == 12 and error.culprit == "x10"
    assert str(error) == ("line 12: torch.randn(700, 700) needs 2.0 MB more: the program's "
                          "tensors would reach 21.6 MB, past the 20.0 MB a program may hold "
                          "(gradients to come included)")


def test_the_budget_keeps_room_for_gradients():
    code = "import torch\n" + "".join(f"x{i} = torch.randn(700, 700, requires_grad=True)\n"
                                      for i in range(40))
    assert refusal(code, max_bytes=20 * MB).line == 5  # 5.9 MB each with its gradients


def test_tensors_saved_for_backward_count():
    """cross_entropy saves a log_softmax as large as its input, which no block holds."""
    code = ("import torch\nx = torch.randn(1000, 1000, requires_grad=True)\n"
            "t = torch.zeros(1000, dtype=torch.int64)\n"
            + "".join(f"l{i} = torch.nn.functional.cross_entropy(x, t)\n" for i in range(20)))
    error = refusal(code, max_bytes=30 * MB)
    assert 5 <= error.line <= 12 and "cross_entropy" in str(error)


def test_the_traces_of_backward_calls_count():
    code = ("import torch\nx = torch.randn(1000, 1000, requires_grad=True)\n"
            "y = (x * 2).sin()\nf = y.sum()\n"
            + "f.backward(retain_graph=True)\n" * 20)
    error = refusal(code, max_bytes=100 * MB)  # the first call keeps ~20 MB of gradients
    assert 6 <= error.line <= 24 and "backward" in str(error)


def test_the_real_budget_refuses_what_a_real_machine_would_not_survive():
    """The finding: 40 lines of randn(7000, 7000) reached 5.3 GB; 2 GiB stop it at line 12."""
    code = "import torch\n" + "".join(f"x{i} = torch.randn(7000, 7000)\n" for i in range(40))
    error = refusal(code)
    assert error.line == 12
    assert "past the 2.1 GB a program may hold" in str(error)


def test_a_program_within_the_budget_evaluates_and_counts_its_bytes():
    budget = ProgramBudget(limit=10**9)
    x = torch.randn(100, 100, requires_grad=True)
    y = (x * 2).exp()  # MulBackward saves the 2 (8 bytes), ExpBackward saves y
    assert budget.hold(x) == 40_000 and budget.hold(y) == 40_008
    budget.reserve_grad(y)
    assert budget.total == 80_008 + 80_000
    assert budget.hold(y.T) == 0  # a view: the same storage


# -- what a capture keeps, what the JSON writes --------------------------------------------------
CHAIN = "import torch\na = torch.randn(100, 100, requires_grad=True)\n"


def _kept_values(exploration) -> int:
    nodes = exploration.graph.nodes
    data = [n.value for n in nodes] + [s.tensor for n in nodes for s in n.saved]
    return sum(d.values.size for d in data if d is not None and d.values is not None)


def test_snapshots_share_a_values_budget():
    with values_budget(50_000):
        exploration = explore_code(CHAIN + "a = a.sin()\n" * 30)
        kept = _kept_values(exploration)
    assert kept <= 50_000
    later = [n.value for n in exploration.graph.nodes if n.value.values is None]
    assert later and all(d.summary is not None for d in later)  # past it: the summary


def test_evaluate_opens_its_own_values_budget(monkeypatch):
    monkeypatch.setattr(tensors, "VALUES_BUDGET", 30_000)
    evaluation = evaluate(parse_code(CHAIN + "a = a.sin()\n" * 10))
    kept = [d for values in evaluation.recorder._values.values() for d in values.values()]
    assert sum(d.values.size for d in kept if d.values is not None) <= 30_000
    assert any(d.values is None and d.summary is not None for d in kept)


def test_small_tensors_keep_their_values_whatever_the_budget():
    with values_budget(0):
        exploration = explore_code("import torch\nx = torch.randn(3, requires_grad=True)\n"
                                   "f = (x * x).sum()\n")
    assert all(n.value.values is not None for n in exploration.graph.nodes)
    assert ALWAYS_KEPT >= 3


def test_json_values_are_capped_with_summaries_and_a_note():
    exploration = explore_code(CHAIN + "a = a.sin()\n" * 10)
    full = exploration_json(exploration)
    capped = exploration_json(exploration, values_limit=50_000)
    assert not any("values omitted" in n for n in full["notes"])
    assert any(n == "values omitted above 50,000 elements in total: the tensors after that are "
               "given by their summaries" for n in capped["notes"])
    assert [set(n) for n in capped["nodes"]][:1] == [set(n) for n in full["nodes"]][:1]
    omitted = [n for n in capped["nodes"] if n["value"] is None]
    assert omitted and all({"min", "max", "mean", "norm"} <= set(n["value_summary"])
                           for n in omitted)
    node = next(n for n in full["nodes"] if n["id"] == omitted[0]["id"])
    values = np.array(node["value"])
    assert omitted[0]["value_summary"]["max"] == pytest.approx(values.max())
    written = sum(np.size(n["value"]) for n in capped["nodes"] if n["value"] is not None)
    assert written <= 50_000


def test_trace_json_of_five_hundred_lines_is_megabytes_not_half_a_gigabyte():
    """The finding: a 5 KB program made ``trace --json`` write 520 MB in 69 s."""
    text = json.dumps(exploration_json(explore_code(CHAIN + "a = a.sin()\n" * 500)))
    assert len(text) < 30 * MB
    assert "values omitted above 1,000,000 elements in total" in text


def test_run_json_shares_the_cap_across_calls():
    result = run_safe(CHAIN + "f = a.sin().sum()\nf.backward()\ng = a.cos().sum()\n"
                      "g.backward()\n")
    data = run_json(result, values_limit=30_000)
    assert any("values omitted above 30,000" in n for n in data["notes"])
    assert len(data["calls"]) == 2


def test_capture_bytes_counts_tensors_traces_and_values():
    exploration = explore_code("import torch\nx = torch.randn(1000, 1000, requires_grad=True)\n"
                               "y = x.sin()\nf = y.sum()\nf.backward()\n")
    size = capture_bytes(exploration)
    assert 7 * 4 * MB <= size < 8 * 4 * MB  # x, y, x.grad and the trace's 4 gradients
    sizes = CaptureSizes()
    assert sizes(exploration) == size and sizes(exploration.with_call(0)) == size  # cached
    assert capture_bytes(run_safe("import torch\nx = torch.randn(3, requires_grad=True)\n"
                                  "f = x.sum()\nf.backward()\n")) < MB
