"""Jacobians and Hessians of whole functions: the safe interpreter and Run as Python against torch."""

from __future__ import annotations

import pytest
import torch

from nla_explorer.engine.code.evaluation import evaluate
from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.code.writer import to_code
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.examples import EXAMPLES
from nla_explorer.engine.report import exploration_json, run_json
from nla_explorer.engine.pipeline import explore_code
from nla_explorer.engine.runner.program import Kernel
from nla_explorer.engine.runner.safe_run import explore_safe

QUADRATIC = EXAMPLES["hessian_quadratic"].code
NET = EXAMPLES["tanh_net_jacobian"].code
FORMS = """
H2 = torch.func.hessian(lambda x: 0.5 * x @ A @ x - b @ x)(x)
def g(v):
    \"\"\"The quadratic again, as a def.\"\"\"
    y = 0.5 * v @ A @ v
    return y - b @ v
H3 = torch.autograd.functional.hessian(g, x)
q = lambda v: torch.tanh(A @ v)
J = torch.func.jacrev(q)(x)
J2 = torch.func.jacfwd(q)(x)
"""


def plain(code: str) -> dict:
    """The code run by plain Python and torch: the oracle."""
    namespace: dict = {}
    exec(compile(code, "<oracle>", "exec"), namespace)  # noqa: S102 - the test's own code
    return namespace


def safe_tensors(code: str) -> dict[str, torch.Tensor]:
    return evaluate(parse_code(code)).names()


def python_result(code: str):
    result = Kernel().run([("In[1]", 1, code)])
    assert result.error is None, result.error
    return result


def test_the_hessian_of_the_course_quadratic_is_torchs_and_half_a_plus_a_transpose():
    expected = plain(QUADRATIC)
    ours = safe_tensors(QUADRATIC)
    torch.testing.assert_close(ours["H"], expected["H"], rtol=0, atol=0)
    A = ours["A"].detach()
    torch.testing.assert_close(ours["H"], 0.5 * (A + A.T))
    torch.testing.assert_close(ours["x"].grad, expected["x"].grad, rtol=0, atol=0)


def test_the_jacobian_of_the_tanh_net_is_torchs_and_the_chain_rule():
    expected = plain(NET)
    ours = safe_tensors(NET)
    torch.testing.assert_close(ours["J"], expected["J"], rtol=0, atol=0)
    t = {k: v.detach() for k, v in ours.items()}
    chain = t["W2"] @ torch.diag(1 - torch.tanh(t["W1"] @ t["x"] + t["b1"]) ** 2) @ t["W1"]
    torch.testing.assert_close(ours["J"], chain)


@pytest.mark.parametrize("name", ["H2", "H3", "J", "J2"])
def test_torch_func_forms_defs_and_named_lambdas_agree_with_torch(name):
    code = QUADRATIC + FORMS
    torch.testing.assert_close(safe_tensors(code)[name], plain(code)[name], rtol=0, atol=0)


@pytest.mark.parametrize("code,names", [(QUADRATIC, ["H"]), (NET, ["J"]),
                                        (QUADRATIC + FORMS, ["H", "H2", "H3", "J", "J2"])])
def test_both_modes_give_the_same_named_results(code, names):
    safe = explore_safe(code=code)
    python = python_result(code)
    assert safe.error is None, safe.error
    assert [d.name for d in safe.derivatives] == names
    assert [d.name for d in python.derivatives] == names
    for ours, theirs in zip(safe.derivatives, python.derivatives):
        assert (ours.kind, ours.input_name, ours.input_shape) == \
            (theirs.kind, theirs.input_name, theirs.input_shape)
        assert ours.function == theirs.function
        assert (ours.value.values == theirs.value.values).all()
    # the derivative's inner autograd.grad calls are torch's, not the program's backward calls
    assert len(python.calls) == len(safe.calls)


def test_labels_name_the_input_entries():
    h = explore_safe(code=QUADRATIC).derivatives[0]
    assert h.title == "H = ∇²f(x)"
    assert h.row_labels() == h.column_labels() == [f"x[{i}]" for i in range(5)]
    assert h.function == "lambda x: 0.5 * x @ A @ x - b @ x"
    j = explore_safe(code=NET).derivatives[0]
    assert j.row_labels() == ["f[0]", "f[1]"] and j.column_labels() == ["x[0]", "x[1]", "x[2]"]
    assert j.matrix().shape == (2, 3)


def test_the_examples_give_their_closed_forms_and_they_agree():
    for name, result_name in (("hessian_quadratic", "H"), ("tanh_net_jacobian", "J")):
        result = explore_safe(code=EXAMPLES[name].code, example=name)
        value = next(d for d in result.derivatives if d.name == result_name).value.values
        closed = [c for c in result.comparisons if c.leaf == result_name]
        assert closed, name
        for c in closed:
            torch.testing.assert_close(torch.tensor(c.value.values), torch.tensor(value))
    # the graph shown is the program's, not the result's: f, whose backward the code calls
    assert explore_safe(code=QUADRATIC).output_name == "f"


def test_the_json_carries_the_named_results_in_both_modes():
    expected = plain(QUADRATIC)["H"].tolist()
    for document in (exploration_json(explore_code(QUADRATIC)), run_json(python_result(QUADRATIC)),
                     run_json(explore_safe(code=QUADRATIC))):
        h = document["results"]["H"]
        assert h["kind"] == "hessian" and h["input"] == "x" and h["shape"] == [5, 5]
        assert h["rows"][:2] == ["x[0]", "x[1]"]
        assert h["value"] == expected


UNSAFE = [
    ("H = torch.autograd.functional.hessian(lambda x: open('/etc/passwd'), x)", "open"),
    ("H = torch.autograd.functional.hessian(lambda x: __import__('os'), x)", "__import__"),
    ("H = torch.autograd.functional.hessian(lambda x: getattr(x, 'sum')(), x)", "getattr"),
    ("H = torch.autograd.functional.hessian(lambda x: x.__class__, x)", "__class__"),
    ("H = torch.autograd.functional.hessian(lambda x: torch.load('w.pt'), x)", "load"),
    ("def f(x):\n    for i in range(3):\n        x = x * 2\n    return x", "function definition"),
    ("def f(x):\n    import os\n    return x", "import os"),
    ("y = (lambda v: v * 2)(x)", "lambda"),
    ("f = lambda v: v * 2\ny = f(x, x)", "called here with 2 argument(s)"),
    ("H = torch.autograd.functional.hessian(lambda x: x.sum(), x, foo=1)", "foo"),
    ("H = torch.autograd.functional.hessian(lambda x: torch.randn(3).sum(), x)", "randn"),
    ("H = torch.autograd.functional.hessian(lambda x: x.sum(), x, x)", "one input"),
    ("H = torch.autograd.functional.hessian(lambda x: (x * x).sum(), 3)", "needs a tensor"),
    ("H = torch.autograd.functional.hessian(lambda x: x, x)", "single element"),
    ("J = torch.autograd.functional.jacobian(lambda x: x * 2, torch.ones(10000))", "limit"),
]


@pytest.mark.parametrize("code,culprit", UNSAFE)
def test_unsafe_or_wrong_functions_are_refused_with_a_clear_message(code, culprit, monkeypatch,
                                                                    tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExpressionError) as info:
        evaluate(parse_code("import torch\nx = torch.randn(3, requires_grad=True)\n" + code))
    assert culprit in str(info.value)
    assert info.value.line is not None
    assert list(tmp_path.iterdir()) == []


def test_a_function_of_the_code_called_directly_runs_as_python_does():
    code = ("import torch\nm = 5\npoly = lambda x: x**3 - x\nx_vals = torch.linspace(-1, 1, m)\n"
            "y_vals = poly(x_vals)\ndef sq(v):\n    w = v * v\n    return w.sum()\n"
            "s = sq(x_vals)\n")
    ours, expected = safe_tensors(code), plain(code)
    for name in ("y_vals", "s"):
        torch.testing.assert_close(ours[name], expected[name], rtol=0, atol=0)


def test_the_code_form_writes_the_call_back():
    code = to_code(parse_code(QUADRATIC))
    assert "torch.autograd.functional.hessian(lambda x: 0.5 * x @ A @ x - b @ x, x)" in code
    torch.testing.assert_close(safe_tensors(code)["H"], safe_tensors(QUADRATIC)["H"])
