"""Two course examples built block by block, as the block editor's edits would build them."""

from nla_explorer.engine import Expression, Var
from nla_explorer.engine.blocks.editing import add_block, connect, set_number, set_output


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
