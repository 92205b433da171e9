"""Session files are data: they round-trip, and anything odd is refused with a message."""

import json

import pytest

from nla_explorer.engine import EXAMPLES, ExpressionError, evaluate, parse_code, to_code
from nla_explorer.engine.sessions.nla_file import (
    expression_to_json, load_session, save_session, session_from_text,
)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_examples_round_trip_through_a_session_file(name, tmp_path):
    expr = EXAMPLES[name].expression()
    path = tmp_path / f"{name}.nla"
    save_session(path, expr, layout={"b1": (10.0, 20.5)})
    loaded, layout = load_session(path)
    assert loaded == expr
    assert [b.form for b in loaded.blocks] == [b.form for b in expr.blocks]
    assert layout == {"b1": (10.0, 20.5)}
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


@pytest.mark.parametrize("name", ["quadratic", "relu_layer"])
def test_the_codes_closing_backward_survives_a_session(name, tmp_path):
    """The code written from a loaded session still ends with ``f.backward()``, and running it
    records that backward call on the same line, as before saving."""
    code = EXAMPLES[name].code
    expr = parse_code(code)
    assert expr.backward_line is not None
    save_session(tmp_path / "s.nla", expr)
    loaded, _ = load_session(tmp_path / "s.nla")
    assert (loaded.backward_line, loaded.backward_text) == (expr.backward_line, expr.backward_text)
    assert to_code(loaded) == to_code(expr) and to_code(loaded).rstrip().endswith(".backward()")
    calls = [(c.line, c.label) for c in evaluate(loaded).backward_calls]
    assert calls == [(c.line, c.label) for c in evaluate(expr).backward_calls] and calls


def test_index_slices_and_dtypes_survive():
    expr = parse_code("x = torch.randn(4, 3, dtype=torch.float64)\ny = x[:, None, 1:3, ...][0]\n")
    loaded, _ = session_from_text(json.dumps(expression_to_json(expr)))
    assert loaded == expr
    assert evaluate(loaded).output.shape == evaluate(expr).output.shape


def good():
    return expression_to_json(EXAMPLES["quadratic"].expression())


def good_text():
    return json.dumps(good())


def mutate(change):
    data = good()
    change(data)
    return json.dumps(data)


BAD = [
    ("not json {", "not valid JSON"),
    ("[1, 2]", "does not hold a session"),
    (mutate(lambda d: d.update(format="other")), "not an NLA Explorer session"),
    (mutate(lambda d: d.update(version=99)), "version 99"),
    (mutate(lambda d: d["blocks"][0].update(op="system")), "unknown kind"),
    (mutate(lambda d: d["blocks"][1].update(form="os.system")), "not a spelling of randn"),
    (mutate(lambda d: d["blocks"][0].update(name="__class__")), "invalid name"),
    (mutate(lambda d: d["blocks"][3].update(args=[{"ref": "nowhere"}, 1])), "does not exist"),
    (mutate(lambda d: d["blocks"][0].update(args=[{"eval": "1+1"}])), "not allowed"),
    (mutate(lambda d: d.update(blocks="many")), "'blocks' must be a list"),
    (mutate(lambda d: d.update(numbers=[["n", float("inf")]])), "bad number"),
    (mutate(lambda d: d.update(output="b99")), "not a block"),
    ("[" * 100000 + "]" * 100000, "not valid JSON"),
    # found by fuzzing (tests/test_fuzz_sessions.py): each escaped as a TypeError or ValueError
    (mutate(lambda d: d["blocks"][0].update(op=["randn"])), "unknown kind"),
    (mutate(lambda d: d.update(output=["b1"])), "the output ['b1'] is not a block"),
    (mutate(lambda d: d["blocks"][1].update(kwargs=[["dtype", {"dtype": ["float64"]}]])),
     "not allowed"),
    (good_text().replace('"version": 1', '"version": ' + "9" * 5000), "not valid JSON"),
    (mutate(lambda d: d.update(version=True)), "version True"),
    (mutate(lambda d: d.update(format="x" * 100_000)), "format is 'xxxxxxxxxxxx"),
    (mutate(lambda d: d.update(numbers=[["n", 5], ["n", 6]])), "two numbers share a name"),
    (mutate(lambda d: d.update(backward=["import os", None])), "'backward' must be [line, label]"),
    (mutate(lambda d: d.update(backward=[True, "f.backward()"])), "must be [line, label]"),
    (mutate(lambda d: d.update(backward=[3, "x" * 500])), "must be [line, label]"),
    (mutate(lambda d: d.update(backward=[3, None], output=None)), "the output is not set"),
]


@pytest.mark.parametrize("text,message", BAD)
def test_bad_sessions_are_refused(text, message):
    with pytest.raises(ExpressionError) as info:
        session_from_text(text, "lecture.nla")
    assert message in str(info.value) and "lecture.nla" in str(info.value)


def test_huge_or_unreadable_files(tmp_path):
    big = tmp_path / "big.nla"
    big.write_text(" " * 6_000_000)
    with pytest.raises(ExpressionError, match="at most"):
        load_session(big)
    binary = tmp_path / "bin.nla"
    binary.write_bytes(b"\xff\xfe\x00\x81" * 10)
    with pytest.raises(ExpressionError, match="not a text file"):
        load_session(binary)
    with pytest.raises(ExpressionError, match="cannot read"):
        load_session(tmp_path / "missing.nla")


def test_a_session_that_loads_but_cannot_run_says_why():
    """``torch.norm(None)`` raised AttributeError, which escaped the evaluator."""
    data = expression_to_json(EXAMPLES["norm"].expression())
    data["blocks"][2]["args"] = [None]
    loaded, _ = session_from_text(json.dumps(data))
    with pytest.raises(ExpressionError, match="norm: None"):
        evaluate(loaded)


def test_long_messages_stay_short():
    with pytest.raises(ExpressionError) as info:
        session_from_text(mutate(lambda d: d.update(format="x" * 100_000)))
    assert len(str(info.value)) < 200
