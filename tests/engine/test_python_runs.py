"""Run as Python is what plain Python does: the course notebooks and generated programs, bit for bit.

Each program runs twice: through the runner (a supervised child, cells in one namespace, every
backward call recorded) and through the oracle (plain CPython observed by pre-hooks). Nodes, step
order, every incoming gradient, the values of the program's tensors and the leaves' ``.grad`` must
be identical; an error must be torch's message on the same line.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from nla_explorer.engine.runner.supervisor import Runner
from tests.engine.course_solutions import course_programs
from tests.engine.differential_programs import differential_programs
from tests.engine.oracle import Oracle
from tests.engine.run_record import kept_of, run_record
from tests.engine.test_differential import assert_same
from tests.fuzz_support import fuzz_settings

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.fixture(scope="module")
def oracle():
    with Oracle(timeout=120) as running:
        yield running


@pytest.fixture(scope="module")
def runner():
    with Runner() as running:
        yield running


def as_cells(sources: list[str]) -> list[tuple[str, int, str]]:
    """The cells of ``"\\n".join(sources)`` with their first lines (the oracle's line numbers)."""
    cells, line = [], 1
    for k, source in enumerate(sources, 1):
        cells.append((f"In[{k}]", line, source))
        line += source.count("\n") + 1
    return cells


@pytest.mark.parametrize("stem", sorted(course_programs()))
def test_each_course_notebook_runs_as_plain_python_does(oracle, runner, stem):
    sources = course_programs()[stem]
    expected = oracle.run("\n".join(sources))
    assert expected["error"] is None, expected["error"]
    runner.reset()  # a fresh namespace, as the oracle's fresh globals
    result = runner.run_cells(as_cells(sources), seed=0, timeout=300)
    assert result.error is None, result.error
    assert result.total_calls == len(expected["calls"])
    actual = run_record(result, names=set(expected["tensors"]) | set(expected["grads"]))
    assert_same(kept_of(expected, result), actual, stem)


@fuzz_settings(short=60)
@given(differential_programs())
def test_generated_programs_run_as_plain_python_does(oracle, runner, program):
    expected = oracle.run(program.text)
    runner.reset()
    result = runner.run_cells(as_cells([program.text]), seed=0, timeout=60)
    actual = run_record(result, names=set(expected["tensors"]) | set(expected["grads"]))
    if expected["error"] is not None:  # the same exception, on the same line
        assert actual["error"] is not None, (expected["error"], program.text)
        assert actual["error"]["type"] == expected["error"]["type"], program.text
        assert actual["error"]["line"] == expected["error"]["line"], program.text
        assert actual["error"]["message"] == expected["error"]["message"], program.text
        return
    assert_same(kept_of(expected, result), actual, program.text)


def test_cells_share_one_namespace_like_a_notebook(runner):
    runner.reset()
    first = runner.run_cells([("In[1]", 1, "import torch\nA = torch.eye(3, requires_grad=True)")])
    assert first.error is None and first.graph is None  # nothing to draw yet: A is a leaf
    second = runner.run_cells([("In[2]", 4, "f = (A * A).sum()\nf.backward()\nprint(A.grad)")])
    assert second.error is None, second.error
    assert second.outputs[0].text.startswith("tensor([[2., 0., 0.]")
    assert second.call.line == 5 and second.call.label == "f.backward()"
    assert second.output_name == "f"
