"""Sessions keep the function of a Jacobian/Hessian block as data (its blocks), never as code."""

import copy
import json

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from nla_explorer.engine import EXAMPLES, ExpressionError, parse_code, to_code
from nla_explorer.engine.code.evaluation import evaluate
from nla_explorer.engine.code.functions import Function
from nla_explorer.engine.sessions.nla_file import (
    MAX_BLOCKS, expression_to_json, session_from_text,
)
from tests.engine.test_fuzz_sessions import _change, check_load
from tests.fuzz_support import fuzz_settings

PROGRAM = """\
import torch
import torch.nn.functional as F

n = 3
torch.manual_seed(0)
A = torch.randn(n, n)
x = torch.randn(n, requires_grad=True)
def g(x):
    \"\"\"A docstring is code text: a session does not keep it.\"\"\"
    k = 2
    y = torch.tanh(A @ x)
    z = y ** k
    return F.relu(z).sum() + x[0]
H = torch.func.hessian(g)(x)
f = lambda x: 0.5 * x @ A @ x
J = torch.autograd.functional.jacobian(f, x)
K = torch.autograd.functional.jacobian(lambda t: (t * t).exp(), x, create_graph=True)
R = torch.func.jacrev(lambda t: A @ t)(x)
"""
RESULTS = ("H", "J", "K", "R")


def functions(expression):
    return {b.name: b.args[0] for b in expression.blocks if b.op in ("jacobian", "hessian")}


def round_trip(expression):
    return session_from_text(json.dumps(expression_to_json(expression)))[0]


def derivative(doc, name="H"):
    """The JSON of the function of the derivative block ``name``."""
    block = next(b for b in doc["blocks"] if b["name"] == name)
    return block["args"][0]["function"]


def test_functions_round_trip_and_give_torch_the_same_derivatives():
    expr = parse_code(PROGRAM)
    loaded = round_trip(expr)
    assert loaded == expr
    before, after = evaluate(expr), evaluate(loaded)
    names_before, names_after = before.names(), after.names()
    for name in RESULTS:  # bit for bit: the same blocks ran inside torch's jacobian/hessian
        assert torch.equal(names_before[name], names_after[name]), name
    plain: dict = {}
    exec(compile(PROGRAM, "<program>", "exec"), plain)  # noqa: S102 - the oracle: plain torch
    for name in RESULTS:
        torch.testing.assert_close(names_after[name], plain[name], rtol=1e-6, atol=1e-7)


def test_the_code_of_a_stored_function_is_written_from_its_blocks():
    loaded = functions(round_trip(parse_code(PROGRAM)))
    assert loaded["J"].text == "f" and loaded["J"].source == "lambda x: 0.5 * x @ A @ x"
    assert loaded["K"].text == "lambda t: (t * t).exp()"
    assert loaded["H"].source == ("def g(x):\n    k = 2\n    y = torch.tanh(A @ x)\n"
                                  "    z = y ** k\n    return F.relu(z).sum() + x[0]")
    code = to_code(round_trip(parse_code(PROGRAM)))
    assert "import torch.nn.functional as F" in code
    assert parse_code(code) == parse_code(PROGRAM)


def test_the_json_holds_no_code_and_code_slipped_in_is_never_used():
    doc = expression_to_json(parse_code(PROGRAM))
    stored = derivative(doc, "K")
    assert set(stored) == {"kind", "name", "params", "captured", "numbers", "output", "blocks"}
    stored["source"] = stored["text"] = "__import__('os').system('echo nla_canary')"
    loaded = functions(session_from_text(json.dumps(doc))[0])["K"]
    assert isinstance(loaded, Function) and loaded.text == "lambda t: (t * t).exp()"


@pytest.mark.parametrize("name", ["hessian_quadratic", "tanh_net_jacobian"])
def test_the_examples_functions_survive(name):
    expr = EXAMPLES[name].expression()
    loaded = round_trip(expr)
    assert [f.text for f in functions(loaded).values()] == \
        [f.text for f in functions(expr).values()]


def _edit(doc, change):
    change(doc)
    return json.dumps(doc)


REFUSED = {
    "a function in another block": (
        lambda d: d["blocks"][1].update(args=[d["blocks"][-1]["args"][0]]), "not allowed"),
    "backward inside": (lambda d: derivative(d)["blocks"].append(
        {"id": "zz", "op": "backward", "args": [{"ref": "b1"}]}), "not supported inside"),
    "a draw inside": (lambda d: derivative(d)["blocks"].append(
        {"id": "zz", "op": "randn", "args": [3]}), "not supported inside"),
    "a function inside": (lambda d: derivative(d)["blocks"].append(
        copy.deepcopy(next(b for b in d["blocks"] if b["name"] == "J"))), "not supported inside"),
    "two parameters": (lambda d: derivative(d).update(params=["x", "y"]), "one argument"),
    "a parameter without its input": (lambda d: derivative(d).update(params=["t"]),
                                      "one input block for each"),
    "captured count": (lambda d: next(b for b in d["blocks"] if b["name"] == "H")["args"][2]
                       ["tuple"].append({"ref": "b2"}), "must be blocks"),
    "dangling ref": (lambda d: derivative(d)["blocks"][-1].update(args=[{"ref": "nope"}]),
                     "does not exist"),
    "no output": (lambda d: derivative(d).update(output="nope"), "is not a block"),
    "unknown number": (lambda d: derivative(d).update(numbers=[]), "number 'k'"),
    "a def without a name": (lambda d: derivative(d).update(name=None), "for a def, a name"),
    "a bad name": (lambda d: derivative(d).update(name="__class__"), "for a def, a name"),
    "an unknown keyword": (lambda d: next(b for b in d["blocks"] if b["name"] == "K").update(
        kwargs=[["retain_graph", True]]), "no keyword"),
    "too many blocks in all": (lambda d: derivative(d)["blocks"].extend(
        [{"id": f"c{i}", "op": "neg", "args": [{"ref": "b1"}]} for i in range(MAX_BLOCKS)]),
        f"{MAX_BLOCKS:,} blocks in all"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_bad_function_is_refused_with_a_message(case):
    change, message = REFUSED[case]
    text = _edit(expression_to_json(parse_code(PROGRAM)), change)
    with pytest.raises(ExpressionError, match=message):
        session_from_text(text, "bad.nla")


@fuzz_settings(short=150)
@given(data=st.data())
def test_mutated_functions_are_refused_or_load_cleanly(data, tmp_path_factory):
    doc = expression_to_json(parse_code(PROGRAM))
    name = data.draw(st.sampled_from(RESULTS), label="derivative")
    block = next(b for b in doc["blocks"] if b["name"] == name)
    for _ in range(data.draw(st.integers(1, 3))):
        block["args"] = _change(data.draw, block["args"])
    target = tmp_path_factory.mktemp("mutants") / "mutant.nla"
    text = json.dumps(doc, allow_nan=True).replace("\"<RAW>\"", "[1, 2]")
    target.write_text(text, encoding="utf-8", errors="surrogatepass")
    assert check_load(target)
