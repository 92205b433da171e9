"""Shape: reshaping, permuting, expanding, indexing, joining, (un)squeezing, copying and casts
(``.float()``, ``.double()``, ``.to(dtype)``)."""

from __future__ import annotations

from nla_explorer.engine.ops.parts import X, dim, reshaped, shape, unary
from nla_explorer.engine.ops.record import NodeRule, Op, Param, Port

_TENSORS = (Port("tensors", 0, "tensors", many=True),)

OPS = (
    Op("reshape", "shape", "same values, new shape", (".reshape", "torch.reshape"), ports=X,
       params=(shape((-1,), "reshape", 1, "shape"),), varargs=True, glyph="⊞", code_args="-1",
       nodes=(reshaped("Reshape"), reshaped("ReshapeAlias"))),
    Op("view", "shape", "same storage, new shape", (".view",), ports=X,
       params=(shape((-1,), "reshape", 1, "size"),), varargs=True, glyph="⊡", code_args="-1",
       nodes=(reshaped("View"),)),
    # permute makes PermuteBackward0, as x.T does: its rule lives with T
    Op("permute", "shape", "reorder the dims", (".permute", "torch.permute"), ports=X,
       params=(Param("dims", "dims", (1, 0), 1, "dims", required=True),), varargs=True,
       glyph="⤨", keywords="transpose reorder axes", code_args="1, 0"),
    # flatten is a view (ViewBackward0) or, of a tensor that is not contiguous, a copy
    # (CloneBackward0 then UnsafeViewBackward0); of one dim, the tensor itself
    Op("flatten", "shape", "dims start_dim…end_dim into one", (".flatten", "torch.flatten"),
       ports=X, params=(dim(index=1, default=0, name="start_dim"),
                        dim(index=2, default=-1, name="end_dim")),
       glyph="▬", keywords="ravel vectorise vec"),
    Op("expand", "shape", "repeat dims of size 1 (a view)", (".expand",), ports=X,
       params=(shape((2, 3, 3), "reshape", 1, "size"),), varargs=True, glyph="⇶",
       keywords="broadcast repeat", code_args="2, 3, 3",
       nodes=(unary("Expand", "∂{L}/∂{x} = {g} summed over the expanded dimensions"),)),
    Op("index", "shape", "x[i], x[a:b], x[:, None]", ("[]",), ports=X, any_result=True,
       params=(Param("index", "index", 0, 1, None, required=True),),
       glyph="[i]", keywords="slice getitem", code="x[0, 1:]",
       nodes=(unary("Select", "∂{L}/∂{x} = {g} put back at the selected position, 0 elsewhere"),
              unary("Slice", "∂{L}/∂{x} = {g} put back at the sliced positions, 0 elsewhere"),
              unary("Index", "∂{L}/∂{x} = {g} added back at the indexed positions, 0 elsewhere"))),
    Op("cat", "shape", "join along a dim", ("torch.cat",), arity=-1, ports=_TENSORS,
       params=(dim(default=0),), glyph="++", keywords="concatenate join",
       nodes=(NodeRule("Cat", (),
                       ((None, "∂{L}/∂{each} = the block of {g} where {each} was placed"),)),)),
    Op("stack", "shape", "stack along a new dim", ("torch.stack",), arity=-1, ports=_TENSORS,
       params=(dim(default=0),), glyph="≡",
       nodes=(NodeRule("Stack", (),
                       ((None, "∂{L}/∂{each} = {g}[{k}], the slice of {g} at {k}"),)),)),
    Op("unsqueeze", "shape", "insert a dim of size 1", (".unsqueeze", "torch.unsqueeze"),
       ports=X, params=(dim(0, required=True, positional=True),), glyph="↑", code_args="0",
       nodes=(reshaped("Unsqueeze"),)),
    Op("squeeze", "shape", "drop dims of size 1", (".squeeze", "torch.squeeze"), ports=X,
       params=(dim(kind="dims", positional=True),), glyph="↓", nodes=(reshaped("Squeeze"),)),
    Op("clone", "shape", "a copy that stays in the graph", (".clone", "torch.clone"), ports=X,
       glyph="⧉", keywords="copy", nodes=(unary("Clone", "∂{L}/∂{x} = {g}",
                                                  forward="x (copied)"),)),
    # detach makes no node: its result is a constant of the graph, as in torch
    Op("detach", "shape", "the same values, cut from the graph", (".detach", "torch.detach"),
       ports=X, glyph="✂", keywords="stop gradient constant no grad"),
    # a cast to the dtype the tensor has already is the tensor itself (no node), as in torch
    Op("double", "shape", "x as float64", (".double",), ports=X, glyph="f64",
       keywords="cast dtype float64 convert precision",
       nodes=(unary("ToCopy", "∂{L}/∂{x} = {g} converted back to {x}'s dtype",
                    forward="x (dtype converted)"),)),
    Op("float", "shape", "x as float32", (".float",), ports=X, glyph="f32",
       keywords="cast dtype float32 convert precision"),  # ToCopyBackward0: the rule of double
    Op("to", "shape", "x as another dtype", (".to",), ports=X,
       params=(Param("dtype", "dtype", None, 1, "dtype"),), glyph="→",
       keywords="cast dtype convert precision bool mask", code_args="torch.float64"),
)
