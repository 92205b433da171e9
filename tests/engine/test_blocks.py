"""The block editor's engine: templates for the whole catalogue and pure, validated edits."""

import json

import pytest
import torch

from nla_explorer.engine import (
    EXAMPLES, Expression, ExpressionError, Hole, Ref, evaluate, explore_code, explore_expression,
    parse_code, to_code,
)
from nla_explorer.engine.blocks.editing import (
    KINDS, TEMPLATES, add_block, connect, disconnect, new_block_id, param_value, param_values,
    port_value, port_values, problems, remove_blocks, set_output, template,
)
from nla_explorer.engine.ops import CATALOGUE
from nla_explorer.engine.sessions.nla_file import expression_to_json, session_from_text
from tests.engine.block_builders import build_quadratic, build_relu_layer
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
          "solve": [(3, 3), (3,)], "linear": [(3,), (2, 3)], "max_pool2d": [(1, 4, 4)],
          "bmm": [(2, 3, 3), (2, 3, 3)], "masked_fill": [(3, 3), (3, 3), ()]}
#: Ops a random input would fail as torch fails on it (cholesky: not positive definite; a mask).
INPUTS = {"cholesky": ("eye", {"n": 3}),  # masks: bool tensors (the values of a where, too)
          **dict.fromkeys(("logical_not", "logical_and", "logical_or", "where", "masked_fill"),
                          ("ones", {"dtype": "bool"}))}


@pytest.mark.parametrize("op", [k for k, spec in CATALOGUE.items() if not spec.statement])
def test_a_fresh_block_evaluates_once_wired_and_its_code_reads_back(op):
    t = template(op)
    many = bool(t.ports) and t.ports[0].many
    ports = ["tensors", "tensors"] if many else [p.name for p in t.ports if not p.optional]
    shapes = SHAPES.get(op, [(3, 3)] * len(ports))
    e, sources = Expression(), []
    for shape in shapes:  # inputs first: ids then follow the order parse_code gives
        maker, params = INPUTS.get(op, ("randn", {}))
        e, source = add_block(e, maker, params=params if "n" in params else {"shape": shape,
                                                                              **params})
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
    assert problems(cut)["b6"] == "input 'b' is unconnected"
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
                       match=r"block b10 \(matmul\): input 'b' is unconnected") as info:
        evaluate(e)  # the output f does not need b10: every block is checked anyway
    assert info.value.culprit == "b10"
    with pytest.raises(ExpressionError, match=r"block b10 \(matmul\): input 'b' is "
                                              "unconnected; code cannot express") as info:
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
