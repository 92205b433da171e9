"""Arithmetic on named numbers stays arithmetic: ``W = (...) / m ** 0.5`` keeps ``m ** 0.5``.

It used to be folded into 4.47213595499958 when read, so the code written back from the blocks
was not the code read, and changing ``m`` in *Numbers* left the divisor at √20 where Python would
use √m. The reference is plain Python (the oracle) running the same code, numbers changed.
"""

from __future__ import annotations

import pytest

from nla_explorer.engine import EXAMPLES, ExpressionError, evaluate, parse_code, to_code
from nla_explorer.engine.blocks.edits import SetNumbers, SetParam, apply_edit
from nla_explorer.engine.code.calc import read_calc
from nla_explorer.engine.expression import Calc, Var
from nla_explorer.engine.sessions.nla_file import load_session, save_session
from tests.engine.app_record import app_record, enc
from tests.engine.test_differential import assert_same

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]
POLYFIT = EXAMPLES["polyfit_net"].code


def test_the_polyfit_code_reads_and_writes_back_as_the_course_wrote_it():
    expression = parse_code(POLYFIT)
    divisors = [b.args[1] for b in expression.blocks if b.op == "div"]
    assert divisors == [Calc("**", (Var("m"), 0.5)), Calc("**", (Var("p"), 0.5)),
                        Calc("**", (Var("p"), 0.5))]
    written = to_code(expression)
    for line in ("W = ((torch.rand(p, m) * 2 - 1) / m ** 0.5).requires_grad_()",
                 "A = ((torch.rand(n, p) * 2 - 1) / p ** 0.5).requires_grad_()"):
        assert line in written
    assert parse_code(written) == expression


def test_a_changed_number_changes_the_arithmetic_as_in_python(oracle):
    expression = parse_code(POLYFIT)
    numbers = dict(expression.numbers)
    numbers.update(m=30, n=30, p=7)
    edited, _ = apply_edit(expression, {}, SetNumbers(tuple(numbers.items())))
    python = POLYFIT.replace("m = n = 20\np = 10", "m = n = 30\np = 7")
    assert python != POLYFIT
    expected = oracle.run(python)
    assert expected["error"] is None
    names = evaluate(edited).names()
    for name in ("W", "A", "B", "loss"):
        assert enc(names[name]) == expected["tensors"][name], name


@pytest.mark.parametrize("line", [
    "y = x * (n + 1)", "y = x / m ** 0.5", "y = x * -n", "y = x ** (n - 1)",
    "y = torch.randn(2 * n, n - 1) * x[n - 2]", "y = (2 * n) ** 0.5 * x", "y = -(n ** 2) * x",
    "y = x * (m - (1 - n)) / (m * n)", "y = x + -n ** 2 + (-n) ** 2",
])
def test_arithmetic_on_numbers_is_what_python_computes_and_round_trips(oracle, line):
    text = ("import torch\ntorch.manual_seed(0)\nn = 3\nm = 5\n"
            "x = torch.randn(n, requires_grad=True)\n" + line + "\nz = y.sum()\nz.backward()\n")
    expression = parse_code(text)
    assert any(isinstance(a, Calc) for b in expression.blocks for a in b.args)
    assert parse_code(to_code(expression)) == expression
    assert_same(oracle.run(text), app_record(text), text)


def test_a_session_keeps_the_arithmetic_and_refuses_malformed_arithmetic(tmp_path):
    expression = parse_code(POLYFIT)
    path = tmp_path / "polyfit.nla"
    save_session(path, expression)
    assert load_session(path)[0] == expression
    text = path.read_text()
    assert '"calc"' in text
    for bad in ('["@", [{"var": "m"}, 0.5]]', '["**", [{"var": "m"}]]',
                '["**", [{"var": "m"}, true]]', '["**", [{"var": "m"}, "0.5"]]',
                '["u-", [{"var": "m"}, 1]]'):
        broken = tmp_path / "broken.nla"
        broken.write_text(text.replace('"calc": [\n      "**",\n      [\n       {\n        "var": '
                                       '"m"\n       },\n       0.5\n      ]\n     ]',
                                       f'"calc": {bad}', 1))
        assert broken.read_text() != text
        with pytest.raises(ExpressionError, match="not allowed"):
            load_session(broken)


def test_a_parameter_field_takes_arithmetic_on_named_numbers_and_nothing_else():
    expression = parse_code(POLYFIT)
    div = next(b for b in expression.blocks if b.op == "div")
    edited, _ = apply_edit(expression, {}, SetParam(div.id, "b", "p ** 0.5 * 2"))
    stored = next(b for b in edited.blocks if b.id == div.id).args[1]
    assert stored == Calc("*", (Calc("**", (Var("p"), 0.5)), 2))
    assert "/ (p ** 0.5 * 2))" in to_code(edited)
    numbers = dict(expression.numbers)
    for text, says in (("q ** 0.5", "'q' is not a defined number"),
                       ("m / (n - 20)", "division by zero"),
                       ("__import__('os') * m", "only numbers"),
                       ("m ** 5000", "too large")):
        with pytest.raises(ValueError, match=says):
            read_calc(text, numbers)
        with pytest.raises(ExpressionError):
            apply_edit(expression, {}, SetParam(div.id, "b", text))
