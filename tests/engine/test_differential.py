"""Differential test: the interpreter shows what plain CPython + torch do with the same code.

Generated programs (:mod:`tests.engine.differential_programs`: views, in-place updates of non-leaves,
several backward calls, ``retain_graph``, ``backward(v)``, ``grad(..., grad_outputs=v)``,
``inputs=``, ``x.grad.zero_()``, and programs where torch raises) run twice: in a child process
as plain Python, observed by pre-hooks on every node (:mod:`tests.engine.oracle`), and through
``explore_code``. Nodes, step order, every incoming gradient, grad()'s results, the final value of
every named tensor and every leaf's ``.grad`` must be identical bit for bit; an error must be
torch's own message on the same line. 300 programs in ``make test``; ``NLA_FUZZ_LONG=1`` runs 5,000.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from nla_explorer.engine.code.backward_lines import line_label
from tests.engine.app_record import app_record
from tests.engine.differential_programs import differential_programs
from tests.engine.oracle import Oracle
from tests.fuzz_support import TALLY, fuzz_settings, time_limit, write_tally

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.fixture(scope="module")
def oracle():
    with Oracle() as running:
        yield running
    write_tally()


def assert_same(expected: dict, actual: dict, text: str) -> None:
    where = f"\n--- program ---\n{text}"
    if expected["error"] is not None or actual["error"] is not None:
        assert expected["error"] is not None, f"the app raised {actual['error']}{where}"
        assert actual["error"] is not None, f"torch raised {expected['error']}{where}"
        assert actual["error"]["line"] == expected["error"]["line"], where
        assert expected["error"]["message"] in actual["error"]["message"], where
        if actual["error"]["type"] != "ExpressionError":  # what the code met, not a refusal
            assert actual["error"]["type"] == expected["error"]["type"], where
        return
    assert len(actual["calls"]) == len(expected["calls"]), where
    for k, (want, got) in enumerate(zip(expected["calls"], actual["calls"])):
        what = f"backward call {k + 1}{where}"
        assert (got["kind"], got["line"]) == (want["kind"], want["line"]), what
        assert got["nodes"] == want["nodes"], what
        assert [s[0] for s in got["steps"]] == [s[0] for s in want["steps"]], f"order, {what}"
        assert got["steps"] == want["steps"], f"gradients, {what}"
        assert got["results"] == want["results"], f"grad() results, {what}"
    assert actual["tensors"].keys() == expected["tensors"].keys(), where
    for name, value in expected["tensors"].items():
        assert actual["tensors"][name] == value, f"value of {name}{where}"
    assert actual["grads"] == expected["grads"], f".grad after the program{where}"


@fuzz_settings(short=300)
@given(differential_programs())
def test_the_interpreter_matches_plain_python(oracle, program):
    TALLY["differential programs"] += 1
    expected = oracle.run(program.text)
    assert (expected["error"] is not None) == program.expect_error, (expected, program.text)
    with time_limit():
        actual = app_record(program.text)
    if program.expect_error:
        TALLY["differential programs where torch raised"] += 1
    TALLY["differential backward calls"] += len(expected["calls"])
    assert_same(expected, actual, program.text)
    lines = program.text.splitlines()
    for call in actual["calls"]:  # named as Run as Python names it: its line, not a made-up form
        assert call["label"] == line_label(lines[call["line"] - 1]), program.text
