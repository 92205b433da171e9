"""Sessions keep the numbers JSON has no literal for (``torch.inf``, ``-math.inf``, ``nan``).

``torch.linalg.norm(x, ord=torch.inf)`` runs in the safe interpreter, but its session file did not
load back ("the number inf is not allowed"). A non-finite number is now data too,
``{"number": "inf"}`` (strict JSON: no bare ``Infinity``), read back to the same program: the same
code, blocks, values and graph. A file holding any other non-finite number, or a bare ``Infinity``
or ``NaN``, is still refused with a message naming the block or the entry.
"""

from __future__ import annotations

import json
import math

import pytest

from nla_explorer.engine import ExpressionError, parse_code, to_code
from nla_explorer.engine.pipeline import explore_expression
from nla_explorer.engine.sessions.nla_file import (
    expression_to_json, load_session, save_session, session_from_text,
)
from tests.engine.app_record import enc

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

HEAD = ("import torch\nimport math\ntorch.manual_seed(0)\nn = 3\n"
        "x = torch.randn(n, requires_grad=True)\n")
PROGRAMS = {
    "norm inf": "y = torch.linalg.norm(x, ord=torch.inf)",
    "norm -inf": "y = torch.linalg.norm(x, ord=-torch.inf)",
    "math inf": "y = torch.linalg.norm(x, ord=math.inf)",
    "-math.inf": "y = torch.linalg.vector_norm(x, -math.inf)",
    "float inf": "y = x.norm(p=float('inf'))",
    "named": "p = torch.inf\ny = torch.linalg.norm(x, ord=p) + torch.linalg.norm(x, ord=-p)",
    "clamp": "y = (x.clamp(min=-math.inf, max=0.5) * math.tau).sum()",
    "sum of inf": "y = (x * (n * torch.inf)).sum()",
    "matrix": "y = torch.linalg.norm(x.reshape(1, n), ord=torch.inf)",
    "nan": "y = (x * float('nan')).sum()",
    "nan named": "q = math.nan\ny = (x + q).sum()",
    "in a function": "H = torch.autograd.functional.hessian("
                     "lambda t: torch.linalg.norm(t, ord=torch.inf) ** 2, x)\ny = (H @ x).sum()",
}


def shown(expression):
    """What the window shows of a program: every value, its graph and the backward steps."""
    exploration = explore_expression(expression)
    names = exploration.evaluation.names()
    steps = [(step.node_id, [enc(g) for g in step.grad_output_tensors])
             for step in exploration.trace.steps]
    return {k: enc(v) for k, v in names.items()}, [n.op for n in exploration.graph.nodes], steps


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_a_program_with_infinite_numbers_round_trips(name, tmp_path):
    expression = parse_code(HEAD + PROGRAMS[name] + "\n")
    path = tmp_path / "inf.nla"
    save_session(path, expression, layout={"b1": (1.0, 2.0)})
    text = path.read_text(encoding="utf-8")
    assert "Infinity" not in text and "NaN" not in text  # strict JSON
    json.loads(text, parse_constant=lambda token: pytest.fail(f"bare {token} in the file"))
    loaded, layout = load_session(path)
    assert layout == {"b1": (1.0, 2.0)}
    if name == "in a function":  # its code is written anew from its blocks: float('inf')
        assert "ord=float('inf')" in to_code(loaded)
    else:
        assert to_code(loaded) == to_code(expression)
    assert parse_code(to_code(loaded)) == loaded or "nan" in name
    assert json.dumps(expression_to_json(loaded)) == json.dumps(expression_to_json(expression))
    if "nan" not in name:  # nan != nan: the blocks are compared by their code and JSON above
        assert loaded == expression
    assert shown(loaded) == shown(expression)


def test_the_numbers_read_back_are_the_numbers_written():
    expression = parse_code(HEAD + "p = -math.inf\nq = float('nan')\n"
                            "y = torch.linalg.norm(x, ord=torch.inf) + (x * q).sum() * p\n")
    loaded, _ = session_from_text(json.dumps(expression_to_json(expression)))
    numbers = loaded.number_dict
    assert numbers["p"] == -math.inf and math.isnan(numbers["q"]) and numbers["n"] == 3
    norm = next(b for b in loaded.blocks if b.op == "norm")
    assert norm.kwarg("ord") == math.inf and isinstance(norm.kwarg("ord"), float)


def test_a_large_finite_float_round_trips():
    expression = parse_code(HEAD + "y = (x * 1e20 + 2.5e-300).sum()\n")
    loaded, _ = session_from_text(json.dumps(expression_to_json(expression)))
    assert loaded == expression


def tampered(change) -> str:
    data = expression_to_json(parse_code(HEAD + "y = torch.linalg.norm(x, ord=torch.inf)\n"))
    change(data)
    return json.dumps(data, allow_nan=True)


def norm_block(data) -> dict:
    return next(b for b in data["blocks"] if b["op"] == "norm")


@pytest.mark.parametrize("change,message", [
    (lambda d: norm_block(d).update(kwargs=[["ord", float("inf")]]), "number inf is not allowed"),
    (lambda d: norm_block(d).update(kwargs=[["ord", float("nan")]]), "number nan is not allowed"),
    (lambda d: norm_block(d).update(kwargs=[["ord", {"number": "1e999"}]]), "not allowed"),
    (lambda d: norm_block(d).update(kwargs=[["ord", {"number": "Infinity"}]]), "not allowed"),
    (lambda d: norm_block(d).update(kwargs=[["ord", {"number": 5}]]), "not allowed"),
    (lambda d: norm_block(d).update(kwargs=[["ord", {"number": "inf", "x": 1}]]), "not allowed"),
    (lambda d: norm_block(d).update(kwargs=[["ord", {"number": "__import__('os')"}]]),
     "not allowed"),
    (lambda d: d.update(numbers=[["n", {"number": "-nan"}]]), "bad number entry"),
    (lambda d: d.update(numbers=[["n", float("-inf")]]), "bad number entry"),
    (lambda d: d.update(numbers=[["n", {"number": "inf"}, 1]]), "bad number entry"),
])
def test_a_tampered_number_is_refused_by_name(change, message):
    with pytest.raises(ExpressionError) as info:
        session_from_text(tampered(change), "lecture.nla")
    text = str(info.value)
    assert message in text and "lecture.nla" in text, text
    if "block" in text:
        assert info.value.culprit == norm_block(json.loads(tampered(lambda d: None)))["id"]


def test_a_non_finite_number_where_torch_wants_a_size_is_torchs_error_not_a_crash():
    data = expression_to_json(parse_code(HEAD))
    randn = next(b for b in data["blocks"] if b["op"] == "randn")
    randn["args"] = [{"number": "inf"}]
    loaded, _ = session_from_text(json.dumps(data), "lecture.nla")
    with pytest.raises(ExpressionError) as info:
        explore_expression(loaded)
    assert str(info.value).strip()


def test_a_layout_position_that_is_not_finite_is_left_out_of_the_file(tmp_path):
    expression = parse_code(HEAD + "y = torch.linalg.norm(x, ord=torch.inf)\n")
    path = tmp_path / "layout.nla"
    save_session(path, expression, layout={"b1": (math.inf, 0.0), "b2": (3.0, 4.0)})
    assert load_session(path)[1] == {"b2": (3.0, 4.0)}
