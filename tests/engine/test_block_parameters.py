"""Block parameters, names, structural problems and robustness of the block editor's engine."""

import subprocess
import sys

import pytest
import torch

from nla_explorer.engine import (
    EXAMPLES, Block, DType, Expression, ExpressionError, Hole, Ref, Slice, Var, evaluate,
    parse_code, to_code,
)
from nla_explorer.engine.blocks.editing import (
    TEMPLATES, add_block, connect, param_value, param_values, port_values, problems,
    remove_blocks, remove_number, rename, set_number, set_output, set_param,
)
from nla_explorer.engine.code.evaluation import MAX_ELEMENTS
from tests.engine.block_builders import build_quadratic


# -- parameters -----------------------------------------------------------------------------------
@pytest.mark.parametrize("op, param, value, message", [
    ("randn", "shape", "abc", "must be a number, not the text 'abc'"),
    ("randn", "shape", ("n", "m"), "not the text 'm' nor one of the named numbers \\(n\\)"),
    ("randn", "shape", (3, 0), "has the size 0; sizes are positive"),
    ("randn", "shape", (-1, 3), "has the size -1"),
    ("randn", "shape", (2.5,), "must be a whole number, not 2.5"),
    ("randn", "shape", (True,), "must be a number, not bool True"),
    ("randn", "shape", (100_000, 100_000), r"torch.randn\(\(100000, 100000\)\) would hold "
                                           r"10,000,000,000 elements; the limit is 50,000,000"),
    ("randn", "shape", (2,) * 17, "has 17 dimensions"),
    ("randn", "requires_grad", "maybe", "must be true or false"),
    ("randn", "dtype", "float99", "must be one of float32"),
    ("randn", "size", 3, r"has no parameter 'size' \(parameters: shape, requires_grad, dtype\)"),
    ("eye", "n", 100_000, "would hold 10,000,000,000 elements"),
    ("eye", "n", -2, "must be at least 0"),
    ("linspace", "steps", "five", "not the text 'five'"),
    ("linspace", "steps", 10**9, "would hold 1,000,000,000 elements"),
    ("linspace", "start", "nan", "must be a finite number, not nan"),
    ("linspace", "end", float("inf"), "must be a finite number, not inf"),
    ("linspace", "end", 10**20, "is too large"),
    ("arange", "end", 1e12, "would hold 1,000,000,000,000 elements"),
    ("full", "fill_value", [1], "must be a number, not list"),
    ("tensor", "data", [[1, 2], [3]], "not rectangular"),
    ("tensor", "data", [[1, "a"]], "must hold only numbers, not str 'a'"),
    ("tensor", "data", "[[1, nan]]", "must be numbers in nested lists"),
    ("tensor", "data", [[1.0, float("nan")]], "must be a finite number, not nan"),
    ("tensor", "data", [], "has an empty list"),
    ("tensor", "data", "__import__('os')", "must be numbers in nested lists"),
    ("tensor", "data", "[" * 50 + "1" + "]" * 50, "nested too deeply"),
    ("tensor", "data", "1" * 200_000, "characters long"),
    ("softmax", "dim", None, "dim needs a value"),
    ("softmax", "dim", 1.5, "must be a whole number"),
    ("sum", "dim", "0, x", "not the text 'x'"),
    ("index", "index", "0][0", "is not an index"),
    ("index", "index", "__import__('os')", "cannot be part of an index"),
    ("index", "index", "0.5", "cannot be part of an index"),
    ("reshape", "shape", (-1, -1), "only one size -1"),
    ("manual_seed", "seed", -1, "must be at least 0"),
    ("max_pool1d", "kernel_size", 0, "must be at least 1"),
    ("mul", "a", "half", "input 'a' must be a number, not the text 'half'"),
    ("matmul", "a", 1.0, "input 'a' of block b2 \\(matmul\\) takes a wire, not a value"),
])
def test_bad_parameters_are_refused_with_the_block_and_the_value(op, param, value, message):
    e = set_number(Expression(), "n", 5)
    e, _ = add_block(e, "manual_seed")
    e, block_id = add_block(e, op)
    with pytest.raises(ExpressionError, match=message) as info:
        set_param(e, block_id, param, value)
    assert info.value.culprit == block_id
    assert f"block {block_id} ({op})" in str(info.value)


def test_parameters_accept_values_and_text_and_keep_the_spelling():
    e = set_number(Expression(), "n", 4)
    e, r = add_block(e, "randn", params={"shape": "n, 2", "dtype": "torch.float64"})
    assert e.block(r).args == ((Var("n"), 2),)
    assert e.block(r).kwargs == (("dtype", DType("float64")),)
    assert set_param(e, r, "dtype", None).block(r).kwargs == ()
    assert set_param(e, r, "requires_grad", False).block(r).kwargs == e.block(r).kwargs
    assert set_param(e, r, "shape", "()").block(r).args == ((),)
    pasted = parse_code("n = 4\nA = torch.randn(n, 3)\nB = x = A.reshape(2, 6)\n")
    assert param_value(pasted.block("b1"), "shape") == (Var("n"), 3)
    assert set_param(pasted, "b1", "shape", (2, 2)).block("b1").args == (2, 2)  # still varargs
    assert set_param(pasted, "b2", "shape", "-1").block("b2").args == (Ref("b1"), -1)
    e, idx = add_block(e, "index", params={"index": ":, None, n:, ..."})
    assert param_value(e.block(idx), "index") == (Slice(), None, Slice(Var("n")), ...)
    assert set_param(e, idx, "index", (slice(1, 3), -1)).block(idx).args[1] == (Slice(1, 3), -1)
    assert set_param(e, idx, "index", "None").block(idx).args == (Hole("x"), None)  # x[None]
    assert set_param(e, idx, "index", None).block(idx).args == (Hole("x"), None)
    assert problems(parse_code("x = torch.randn(3)\ny = x[None]\n")) == {}
    e, t = add_block(e, "tensor", params={"data": "[[1, 2.5], [3, -4]]"})
    assert e.block(t).args == (((1, 2.5), (3, -4)),)
    e, a = add_block(e, "arange")
    assert e.block(a).args == (5,)
    e = set_param(set_param(e, a, "start", 1), a, "step", 2)
    assert e.block(a).args == (1, 5, 2)
    e = set_param(set_param(e, a, "start", 0), a, "step", 1)
    assert e.block(a).args == (5,)
    e, s = add_block(e, "sum", params={"dim": "0, 1", "keepdim": True})
    assert e.block(s).kwargs == (("dim", (0, 1)), ("keepdim", True))
    e, nrm = add_block(e, "norm", params={"p": "fro"})
    assert e.block(nrm).kwargs == (("p", "fro"),)
    assert set_param(e, nrm, "p", "2").block(nrm).kwargs == (("p", 2),)
    e, lin = add_block(e, "linspace", params={"steps": "n"})
    assert e.block(lin).args == (-1, 1, Var("n"))
    e, full = add_block(e, "full", params={"fill_value": 2})
    assert e.block(full).args == ((3,), 2.0)
    e, c = add_block(e, "clamp", params={"min": None, "max": 1})
    assert e.block(c).kwargs == (("max", 1),)


def test_named_numbers_are_validated_against_the_blocks_using_them():
    e = build_quadratic()
    assert set_number(e, "n", "7").number_dict == {"n": 7}
    with pytest.raises(ExpressionError, match=r"block b2 'A' \(randn\): .*must be a whole number, "
                                              r"not 'n' = 2.5"):
        set_number(e, "n", 2.5)
    with pytest.raises(ExpressionError, match=r"block b2 'A' \(randn\): torch.randn\(\(100000, "
                                              r"100000\)\) would hold 10,000,000,000 elements"):
        set_number(e, "n", 100_000)
    for bad, message in ((float("nan"), "finite"), ("abc", "not the text 'abc'"),
                         (True, "not bool")):
        with pytest.raises(ExpressionError, match=message):
            set_number(e, "m", bad)
    with pytest.raises(ExpressionError, match=r"block b2 'A' \(randn\) has that name"):
        set_number(e, "A", 3)
    with pytest.raises(ExpressionError, match="reserved"):
        set_number(e, "torch", 3)
    with pytest.raises(ExpressionError, match=r"block b2 'A' \(randn\) uses it"):
        remove_number(e, "n")
    assert remove_number(set_number(e, "m", 2), "m").numbers == e.numbers
    with pytest.raises(ExpressionError, match="there is no number 'm'"):
        remove_number(e, "m")


@pytest.mark.parametrize("name, message", [
    ("1x", "not a valid Python name"), ("x y", "not a valid Python name"), (3, "not a valid"),
    ("__x__", "reserved"), ("for", "reserved"), ("torch", "reserved"), ("F", "reserved"),
    ("n", "'n' is the number 5"), ("A", r"block b2 'A' \(randn\) already has that name"),
])
def test_bad_names_are_refused(name, message):
    with pytest.raises(ExpressionError, match=message) as info:
        rename(build_quadratic(), "b4", name)
    assert info.value.culprit == "b4"


def test_rename_and_output():
    e = build_quadratic()
    assert rename(e, "b4", "x").block("b4").name == "x"  # its own name again
    assert rename(e, "b4", None).block("b4").name is None
    assert rename(e, "b5", "half_x").block("b5").name == "half_x"
    assert set_output(e, None).output is None
    with pytest.raises(ExpressionError, match=r"manual_seed\) makes no tensor, so it cannot be"):
        set_output(e, "b1")
    with pytest.raises(ExpressionError, match="there is no block 'b0'"):
        set_output(e, "b0")


# -- structural problems --------------------------------------------------------------------------
def test_problems_name_every_block_that_cannot_evaluate():
    seed = Block("s", "manual_seed", (0,))
    x = Block("x", "randn", ((3,),))
    blocks = (
        seed, x,
        Block("c1", "neg", (Ref("c2"),)), Block("c2", "neg", (Ref("c1"),)),  # a cycle
        Block("d", "exp", (Ref("c1"),)),  # downstream of it
        Block("u", "relu", (Ref("nope"),)),
        Block("w", "mul", (Ref("x"), Ref("x"), Ref("x"))),
        Block("m", "matmul", (Ref("x"),)),
        Block("k", "sin", (Ref("s"),)),
        Block("v", "randn", ((Var("q"),),)),
        Block("h", "add", (Hole("a"), 1)),
        Block("z", "sub", (2, 1)),
        Block("sm", "softmax", (Ref("x"),)),
        Block("odd", "conv", ()),
        Block("x", "ones", ((2,),)),
    )
    found = problems(Expression(blocks))
    assert found == {
        "x": "shares its id with another block",
        "c1": "is part of a cycle (c1 → c2 → c1)", "c2": "is part of a cycle (c2 → c1 → c2)",
        "d": "waits on block c1 (neg), which cannot evaluate",
        "u": "reads block nope, which does not exist",
        "w": "takes at most 2 positional arguments, got 3",
        "m": "input 'b' is missing",
        "k": "reads block s (manual_seed), which makes no tensor",
        "v": "uses the number 'q', which is not defined",
        "h": "input 'a' is unconnected",
        "z": "needs a tensor on at least one input",
        "sm": "parameter 'dim' is missing",
        "odd": "unknown block kind 'conv'",
    }
    for example in EXAMPLES.values():
        assert problems(example.expression()) == {}, example.name


def test_code_only_blocks_are_known_and_checked_by_their_inputs():
    expr = parse_code("x = torch.randn(3, requires_grad=True)\ny = (x * x).sum()\ny.backward()\n"
                      "J = torch.autograd.functional.jacobian(lambda t: t.exp(), x)\nz = J.sum()\n")
    assert problems(expr) == {}  # z reads J: a jacobian makes a tensor
    backward = next(b for b in expr.blocks if b.op == "backward")
    broken = Expression(tuple(Block(b.id, b.op, (Ref("gone"),), form=b.form) if b is backward
                              else b for b in expr.blocks), expr.numbers, expr.output)
    assert problems(broken) == {backward.id: "reads block gone, which does not exist"}
    reader = Block("r", "neg", (Ref(backward.id),))
    assert problems(Expression(expr.blocks + (reader,)))["r"] == \
        f"reads block {backward.id} (backward), which makes no tensor"


def test_problems_stay_fast_on_a_long_chain():
    e, first = add_block(Expression(), "randn")
    blocks = [e.block(first)] + [Block(f"c{i}", "neg", (Ref(f"c{i - 1}" if i else first),))
                                 for i in range(3000)]
    assert problems(Expression(tuple(blocks))) == {}
    looped = Expression(tuple(blocks[:-1]) + (Block("c2999", "neg", (Ref("c2999"),)),))
    assert problems(looped) == {"c2999": "is part of a cycle (c2999 → c2999)"}


# -- robustness -----------------------------------------------------------------------------------
def _readd(expr, old):
    """Remove ``old`` then add it back by hand: same op, parameters, wires, name and output."""
    e = remove_blocks(expr, [old.id])
    problems(e)
    for attempt in (evaluate, to_code):
        try:
            attempt(e)
        except ExpressionError:
            pass
    e, new = add_block(e, old.op)
    for name, value in param_values(old).items():
        e = set_param(e, new, name, value)
    for port, value in port_values(old):
        if isinstance(value, Ref):
            e = connect(e, value.block, new, port.split("[")[0])
        elif value is not None and not isinstance(value, Hole):  # a number on a number port
            e = set_param(e, new, port, value)
    for b in expr.blocks:
        if b.id != old.id and old.id in b.inputs:
            for port, value in port_values(b):
                if value == Ref(old.id):
                    e = connect(e, new, b.id, port.split("[")[0])
    e = rename(e, new, old.name) if old.name else e
    return set_output(e, new) if expr.output == old.id else e


def _code_only(block):
    """A statement of the code (``f.backward()``, ``jacobian(f, x)``): the palette offers no such
    block and its inputs have no ports to wire, so the block editor can neither re-add nor
    re-wire it."""
    return block.op not in TEMPLATES


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_removing_and_re_adding_any_block_of_an_example(name):
    expr = EXAMPLES[name].expression()
    feeds_code_only = {i for b in expr.blocks if _code_only(b) for i in b.inputs}
    editable = [b for b in expr.blocks if not _code_only(b) and b.id not in feeds_code_only]
    assert editable and (feeds_code_only or len(editable) == len(expr.blocks)), name
    for old in editable:
        again = _readd(expr, old)
        assert problems(again) == {}, (old, problems(again))
        # The blocks run in the order Python runs their code form (a re-added block can move an
        # inline draw after others): the same numbers as that code, bit for bit.
        blocks_form = evaluate(again)
        if not blocks_form.unseeded:  # a re-added seed lands after the draws: new numbers each time
            assert torch.equal(blocks_form.output,
                               evaluate(parse_code(to_code(again))).output), old


def test_the_engine_never_imports_qt():
    code = ("import sys, nla_explorer.engine.blocks.editing, nla_explorer.engine\n"
            "print(sorted(m for m in sys.modules if 'Qt' in m or 'PySide' in m))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_absurd_sizes_are_refused_before_anything_is_allocated():
    e, r = add_block(Expression(), "zeros")
    with pytest.raises(ExpressionError, match="limit is"):
        set_param(e, r, "shape", (MAX_ELEMENTS, MAX_ELEMENTS, MAX_ELEMENTS))
    assert set_param(e, r, "shape", (MAX_ELEMENTS,)).block(r).args == ((MAX_ELEMENTS,),)
