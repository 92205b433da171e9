"""The block editor's engine: templates for the whole catalogue and pure, validated edits."""

import json
import subprocess
import sys

import pytest
import torch

from nla_explorer.engine import (
    EXAMPLES, Block, DType, Expression, ExpressionError, Hole, Ref, Slice, Var, evaluate,
    explore_code, explore_expression, parse_code, to_code,
)
from nla_explorer.engine.blocks.editing import (
    KINDS, TEMPLATES, add_block, connect, disconnect, new_block_id, param_value, param_values,
    port_value, port_values, problems, remove_blocks, remove_number, rename, set_number,
    set_output, set_param, template,
)
from nla_explorer.engine.code.evaluation import MAX_ELEMENTS
from nla_explorer.engine.ops import CATALOGUE
from nla_explorer.engine.sessions.nla_file import expression_to_json, session_from_text
from tests.helpers import plain_quadratic

QUADRATIC = EXAMPLES["quadratic"].code
#: The relu layer with its shapes written as tuples (how the block editor writes them).
RELU_TUPLES = """\
import torch

d0, d1 = 4, 3
torch.manual_seed(0)
x = torch.randn((d0,), requires_grad=True)
A = torch.randn((d1, d0), requires_grad=True)
b = torch.randn((d1,), requires_grad=True)
y = torch.relu(A @ x + b)
out = torch.norm(y)
out.backward()
"""


def build_quadratic():
    e = set_number(Expression(), "n", 5)
    e, _ = add_block(e, "manual_seed")
    e, A = add_block(e, "randn", name="A", params={"shape": ("n", "n"), "requires_grad": True})
    e, b = add_block(e, "randn", name="b", params={"shape": "(n,)"})  # text, as typed in a field
    e, x = add_block(e, "randn", name="x", params={"shape": (Var("n"),), "requires_grad": "true"})
    e, half_x = add_block(e, "mul", params={"a": 0.5})
    e = connect(e, x, half_x, "b")
    e, xA = add_block(e, "matmul")
    e = connect(connect(e, half_x, xA, "a"), A, xA, "b")
    e, xAx = add_block(e, "matmul")
    e = connect(connect(e, xA, xAx, 0), x, xAx, 1)  # ports by position too
    e, bx = add_block(e, "matmul")
    e = connect(connect(e, b, bx, "a"), x, bx, "b")
    e, f = add_block(e, "sub", name="f")
    e = connect(connect(e, xAx, f, "a"), bx, f, "b")
    return set_output(e, f)


def build_relu_layer():
    e = set_number(set_number(Expression(), "d0", 4), "d1", 3)
    e, _ = add_block(e, "manual_seed", params={"seed": 0})
    e, x = add_block(e, "randn", name="x", params={"shape": ("d0",), "requires_grad": True})
    e, A = add_block(e, "randn", name="A", params={"shape": "d1, d0", "requires_grad": True})
    e, b = add_block(e, "randn", name="b", params={"shape": ("d1",), "requires_grad": True})
    e, Ax = add_block(e, "matmul")
    e = connect(connect(e, A, Ax, "a"), x, Ax, "b")
    e, z = add_block(e, "add")
    e = connect(connect(e, Ax, z, "a"), b, z, "b")
    e, y = add_block(e, "relu", name="y")
    e = connect(e, z, y, "x")
    e, out = add_block(e, "norm", name="out")
    return set_output(connect(e, y, out, "x"), out)


def leaf_grads(expr_or_code, leaves):
    exploration = (explore_code(expr_or_code) if isinstance(expr_or_code, str)
                   else explore_expression(expr_or_code))
    names = exploration.evaluation.names()
    return torch.autograd.grad(exploration.output, [names[n] for n in leaves])


def structure(expr):
    """Blocks as (op, name, ports, params) read through the templates: spelling-independent."""
    def one(b):
        ports = tuple((k, v.block if isinstance(v, Ref) else v) for k, v in port_values(b))
        return b.op, b.name, ports, tuple(sorted(param_values(b).items(), key=str))
    return [one(b) for b in expr.blocks], expr.numbers, expr.output


# -- templates -------------------------------------------------------------------------------------
def test_every_catalogue_op_has_a_consistent_template():
    assert set(TEMPLATES) == {k for k, spec in CATALOGUE.items() if not spec.statement}
    for op, spec in CATALOGUE.items():
        if spec.statement:
            continue  # code-only: backward calls, x.grad, in-place updates
        t = template(op)
        assert t.summary == spec.formula and t.category == spec.category
        assert t.output == (op != "manual_seed")
        if spec.arity < 0:
            assert [p.many for p in t.ports] == [True]
        else:
            assert len(t.ports) == spec.arity, op
        assert [p.index for p in t.ports] == list(range(len(t.ports)))
        assert all(p.kind in KINDS for p in t.params), op
        names = [x.name for x in (*t.ports, *t.params)]
        assert len(names) == len(set(names)), op
        if spec.constructor:
            assert {"requires_grad", "dtype"} <= {p.name for p in t.params}, op
    assert [p.name for p in template("linear").ports] == ["x", "W", "b"]
    assert template("linear").port("b").optional
    assert [p.name for p in template("mv").ports] == ["A", "x"]
    assert template("pow").port("b").default == 2 and template("mul").port("a").number
    assert template("index").param("index").kind == "index"


def test_palette_presets_are_parameters_of_the_templates():
    from nla_explorer.engine.blocks.palette_entries import palette_entries
    for entry in palette_entries():
        e, block_id = add_block(Expression(), entry.op, params=entry.kwargs)
        for key, value in entry.preset:
            assert param_value(e.block(block_id), key) == value


def test_unknown_op_is_refused():
    with pytest.raises(ExpressionError, match="'conv3d' is not a block kind"):
        add_block(Expression(), "conv3d")
    with pytest.raises(ExpressionError, match="'input' is not a block kind"):
        template("input")


#: Input shapes for ops where the default (3, 3) would not fit.
SHAPES = {"mv": [(3, 3), (3,)], "dot": [(3,), (3,)], "outer": [(3,), (3,)],
          "solve": [(3, 3), (3,)], "linear": [(3,), (2, 3)], "max_pool2d": [(1, 4, 4)]}


@pytest.mark.parametrize("op", [k for k, spec in CATALOGUE.items() if not spec.statement])
def test_a_fresh_block_evaluates_once_wired_and_its_code_reads_back(op):
    t = template(op)
    many = bool(t.ports) and t.ports[0].many
    ports = ["tensors", "tensors"] if many else [p.name for p in t.ports if not p.optional]
    shapes = SHAPES.get(op, [(3, 3)] * len(ports))
    e, sources = Expression(), []
    for shape in shapes:  # inputs first: ids then follow the order parse_code gives
        e, source = add_block(e, "randn", params={"shape": shape})
        sources.append(source)
    e, block_id = add_block(e, op, name=None if op == "manual_seed" else "out")
    for port, source in zip(ports, sources):
        e = connect(e, source, block_id, port)
    if op == "manual_seed":
        e, block_id = add_block(e, "randn", name="out")
    e = set_output(e, block_id)
    assert problems(e) == {}
    assert isinstance(evaluate(e).output, torch.Tensor)
    code = to_code(e)
    assert parse_code(code) == e, code


# -- the course examples, built by hand ---------------------------------------------------------
def test_quadratic_by_hand_equals_the_pasted_course_code():
    built = build_quadratic()
    assert built == parse_code(QUADRATIC)
    assert built == EXAMPLES["quadratic"].expression()  # with f.backward(): the same output
    assert problems(built) == {}
    code = to_code(built)
    assert "f = 0.5 * x @ A @ x - b @ x" in code
    assert parse_code(code) == built


def test_quadratic_gradients_match_the_code_and_plain_torch():
    built_A, built_x = leaf_grads(build_quadratic(), ["A", "x"])
    code_A, code_x = leaf_grads(QUADRATIC, ["A", "x"])
    A, b, x, plain_A, plain_x = plain_quadratic()
    for built, code, plain in ((built_A, code_A, plain_A), (built_x, code_x, plain_x)):
        assert torch.equal(built, code)
        assert torch.allclose(built, plain)
    assert torch.allclose(built_x, (0.5 * (A + A.t()) @ x - b).detach())


def test_relu_layer_by_hand_matches_the_example():
    built = build_relu_layer()
    assert built == parse_code(RELU_TUPLES)
    # The example spells shapes as torch.randn(d1, d0): equal structure, different arguments.
    example = EXAMPLES["relu_layer"].expression()
    assert built != example
    assert structure(built) == structure(example)
    assert parse_code(to_code(built)) == built
    built_grads = leaf_grads(built, ["A", "x", "b"])
    code_grads = leaf_grads(EXAMPLES["relu_layer"].code, ["A", "x", "b"])
    torch.manual_seed(0)
    x = torch.randn(4, requires_grad=True)
    A = torch.randn(3, 4, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    plain = torch.autograd.grad(torch.norm(torch.relu(A @ x + b)), [A, x, b])
    for mine, theirs, reference in zip(built_grads, code_grads, plain):
        assert torch.equal(mine, theirs)
        assert torch.allclose(mine, reference)


# -- wiring ---------------------------------------------------------------------------------------
def test_connect_refuses_loops_cycles_seeds_and_unknown_ports():
    e = build_quadratic()
    with pytest.raises(ExpressionError, match=r"block b5 \(mul\) into itself") as info:
        connect(e, "b5", "b5", "a")
    assert info.value.culprit == "b5"
    with pytest.raises(ExpressionError,
                       match=r"block b9 'f' \(sub\) into block b5 \(mul\) would make a cycle: "
                             r"b5 → b6 → b7 → b9"):
        connect(e, "b9", "b5", "a")
    with pytest.raises(ExpressionError, match=r"block b1 \(manual_seed\) makes no tensor"):
        connect(e, "b1", "b5", "a")
    with pytest.raises(ExpressionError, match=r"has no input 'c' \(inputs: a, b\)"):
        connect(e, "b2", "b6", "c")
    with pytest.raises(ExpressionError, match="has no input 2"):
        connect(e, "b2", "b6", 2)
    with pytest.raises(ExpressionError, match="there is no block 'b99'"):
        connect(e, "b99", "b6", "a")
    with pytest.raises(ExpressionError, match="there is no block 'b99'"):
        connect(e, "b2", "b99", "a")
    with pytest.raises(ExpressionError, match=r"block b2 'A' \(randn\) has no input 'a'"):
        connect(e, "b3", "b2", "a")
    # Replacing a wire is allowed: b @ x becomes b @ b.
    assert port_value(connect(e, "b3", "b8", "b").block("b8"), "b") == Ref("b3")


def test_connect_keeps_each_block_after_its_inputs_without_moving_constructors():
    e, mm = add_block(Expression(), "matmul", name="C")
    e, s = add_block(e, "sum", name="total")
    e = connect(e, mm, s, "x")
    e, A = add_block(e, "randn", name="A", params={"shape": (2, 3)})
    e, B = add_block(e, "rand", name="B", params={"shape": (3, 4)})
    e, other = add_block(e, "ones", name="other")
    e = connect(connect(e, A, mm, "a"), B, mm, "b")
    assert [b.name for b in e.blocks] == ["A", "B", "C", "total", "other"]
    assert problems(e) == {}
    assert evaluate(set_output(e, s)).output.shape == ()


def test_list_ports_append_replace_and_disconnect_items():
    e, a = add_block(Expression(), "randn", params={"shape": (2,)})
    e, b = add_block(e, "zeros", params={"shape": (2,)})
    e, c = add_block(e, "cat", params={"dim": 0})
    assert problems(e) == {c: "input 'tensors' has no tensors connected"}
    e = connect(connect(connect(e, a, c, "tensors"), b, c, "tensors"), a, c, "tensors")
    assert port_values(e.block(c)) == (("tensors[0]", Ref(a)), ("tensors[1]", Ref(b)),
                                        ("tensors[2]", Ref(a)))
    e = connect(e, b, c, "tensors[2]")
    assert evaluate(e).output.tolist()[4:] == [0.0, 0.0]
    e = disconnect(e, c, "tensors[0]")
    assert port_value(e.block(c), "tensors") == (Ref(b), Ref(b))
    with pytest.raises(ExpressionError, match="say which tensor"):
        disconnect(e, c, "tensors")
    with pytest.raises(ExpressionError, match=r"has 2 tensor\(s\) on 'tensors'; tensors\[5\]"):
        connect(e, a, c, "tensors[5]")
    e = remove_blocks(e, [b])
    assert port_value(e.block(c), "tensors") == ()


def test_disconnect_gives_a_hole_a_default_number_or_nothing():
    e = build_quadratic()
    cut = disconnect(e, "b6", "b")
    assert port_value(cut.block("b6"), "b") == Hole("b")
    assert problems(cut)["b6"] == "input 'b' is not connected"
    assert problems(cut)["b9"] == "waits on block b7 (matmul), which cannot evaluate"
    e2 = parse_code("x = torch.randn(3)\ny = x ** 3\n")
    assert disconnect(e2, "b2", "b").block("b2").args == (Ref("b1"), 2)
    assert disconnect(e2, "b2", "a").block("b2").args == (Hole("a"), 3)
    e3 = parse_code("x = torch.randn(3)\nW = torch.randn(2, 3)\nc = torch.randn(2)\n"
                    "y = F.linear(x, W, bias=c)\n")
    assert port_value(e3.block("b4"), "b") == Ref("b3")
    assert disconnect(e3, "b4", "b").block("b4").kwargs == ()
    assert problems(disconnect(e3, "b4", "b")) == {}


def test_remove_blocks_leaves_holes_and_clears_the_output():
    e = build_quadratic()
    cut = remove_blocks(e, ["b4"])  # x
    assert cut.block("b5").args == (0.5, Hole("b"))
    assert cut.block("b7").args == (Ref("b6"), Hole("b"))
    assert cut.output == "b9"
    assert remove_blocks(e, "b9").output is None
    with pytest.raises(ExpressionError, match="there is no block 'b42'"):
        remove_blocks(e, ["b4", "b42"])
    assert new_block_id(cut) == "b10"
    assert new_block_id(remove_blocks(e, ["b9"])) == "b9"
    index = parse_code("i = torch.ones(2)\nx = torch.randn(3)\ny = x[i]\n")
    assert remove_blocks(index, ["b1"]).block("b3").args == (Ref("b2"), Hole("arg1"))


# -- holes in evaluate, code and sessions ------------------------------------------------------
def test_holes_are_refused_by_evaluate_and_code_and_survive_sessions():
    e = build_quadratic()
    e, lonely = add_block(e, "matmul")
    e = connect(e, "b2", lonely, "a")
    with pytest.raises(ExpressionError,
                       match=r"block b10 \(matmul\): input 'b' is not connected") as info:
        evaluate(e)  # the output f does not need b10: every block is checked anyway
    assert info.value.culprit == "b10"
    with pytest.raises(ExpressionError, match=r"block b10 \(matmul\): input 'b' is not "
                                              "connected; code cannot express") as info:
        to_code(e)
    assert info.value.culprit == "b10"
    data = expression_to_json(e)
    assert data["blocks"][-1]["args"] == [{"ref": "b2"}, {"hole": "b"}]
    loaded, _ = session_from_text(json.dumps(data))
    assert loaded == e
    data["blocks"][-1]["args"][1] = {"hole": "no such port!"}
    with pytest.raises(ExpressionError, match="block b10 has an unconnected input with an invalid"):
        session_from_text(json.dumps(data))
    data["blocks"][-1]["args"][1] = {"hole": 3}
    with pytest.raises(ExpressionError, match="invalid port name"):
        session_from_text(json.dumps(data))


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
        "h": "input 'a' is not connected",
        "z": "needs a tensor on at least one input",
        "sm": "parameter 'dim' is missing",
        "odd": "unknown block kind 'conv'",
    }
    for example in EXAMPLES.values():
        assert problems(example.expression()) == {}, example.name


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


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_removing_and_re_adding_any_block_of_an_example(name):
    expr = EXAMPLES[name].expression()
    for old in expr.blocks:
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
