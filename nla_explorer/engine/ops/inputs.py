"""Inputs: the constructors (parameters are the same blocks with requires_grad=True) and seeding."""

from __future__ import annotations

from nla_explorer.engine.ops.parts import MAKERS, X, shape
from nla_explorer.engine.ops.record import Op, Param

OPS = (
    Op("randn", "inputs", "samples of N(0, 1)", ("torch.randn",), arity=0, constructor=True,
       random=True, params=(shape((3, 3)), *MAKERS), varargs=True,
       glyph="N", keywords="normal gaussian random", code="torch.randn(3, 3)",
       parameter_entry=True),
    Op("rand", "inputs", "samples of U[0, 1)", ("torch.rand",), arity=0, constructor=True,
       random=True, params=(shape((3, 3)), *MAKERS), varargs=True,
       glyph="U", keywords="uniform random", code="torch.rand(3, 3)", parameter_entry=True),
    Op("zeros", "inputs", "all zeros", ("torch.zeros",), arity=0, constructor=True,
       params=(shape((3, 3)), *MAKERS), varargs=True,
       glyph="0", code="torch.zeros(3, 3)", parameter_entry=True),
    Op("ones", "inputs", "all ones", ("torch.ones",), arity=0, constructor=True,
       params=(shape((3, 3)), *MAKERS), varargs=True,
       glyph="1", code="torch.ones(3, 3)", parameter_entry=True),
    Op("full", "inputs", "every entry = value", ("torch.full",), arity=0, constructor=True,
       params=(shape((3,), kw="size"),
               Param("fill_value", "float", 1.0, 1, "fill_value", required=True), *MAKERS),
       glyph="c", code="torch.full((3, 3), 0.5)"),
    Op("eye", "inputs", "identity matrix I", ("torch.eye",), arity=0, constructor=True,
       params=(Param("n", "int", 3, 0, "n", required=True, minimum=0),
               Param("m", "int", None, 1, "m", minimum=0), *MAKERS),
       glyph="I", keywords="identity", code="torch.eye(3)"),
    Op("linspace", "inputs", "evenly spaced points in [start, end]", ("torch.linspace",),
       arity=0, constructor=True,
       params=(Param("start", "number", -1, 0, "start", required=True),
               Param("end", "number", 1, 1, "end", required=True),
               Param("steps", "int", 5, 2, "steps", required=True, minimum=0), *MAKERS),
       glyph="⋯", code="torch.linspace(0, 1, 5)"),
    # arange's positions depend on how many are given: templates reads and writes them itself
    Op("arange", "inputs", "start, start+step, ... < end", ("torch.arange",), arity=0,
       constructor=True,
       params=(Param("start", "number", None, None, "start", default=0),
               Param("end", "number", 5, None, "end", required=True),
               Param("step", "number", None, None, "step", default=1), *MAKERS),
       glyph="#", code="torch.arange(5)"),
    Op("tensor", "inputs", "a matrix typed in", ("torch.tensor",), arity=0, constructor=True,
       params=(Param("data", "matrix", ((1.0, 2.0), (3.0, 4.0)), 0, "data", required=True),
               *MAKERS),
       glyph="[ ]", keywords="matrix literal", code="torch.tensor([[1., 2.], [3., 4.]])"),
    Op("manual_seed", "inputs", "seed the random generator", ("torch.manual_seed",), arity=0,
       params=(Param("seed", "int", 0, 0, "seed", required=True, minimum=0),), output=False,
       glyph="⚄", keywords="seed random", code="torch.manual_seed(0)"),
    Op("requires_grad_", "inputs", "make a leaf a parameter",
       (".requires_grad_", "attr=:requires_grad"), ports=X,
       glyph="∇", keywords="parameter leaf", code="x.requires_grad_()"),
)
