"""Linear algebra: products, transposes, inverses, powers, solve, determinant, trace, diagonal
and norms."""

from __future__ import annotations

from dataclasses import replace

from nla_explorer.engine.ops.parts import KEEPDIM, A, X, dim, tensor_ports, unary
from nla_explorer.engine.ops.record import NodeRule, Op, Param

_PRODUCT = ((0, "∂{L}/∂{A} = {g} {B}ᵀ"), (1, "∂{L}/∂{B} = {A}ᵀ {g}"))


def _inverse(node: str) -> NodeRule:
    return unary(node, "∂{L}/∂{A} = −{A}⁻ᵀ {g} {A}⁻ᵀ", forward="A⁻¹", forward_symbols=("A",),
                 symbol="A")


def _norm(node: str) -> NodeRule:
    return unary(node, NORM_LINES["2"], ("x", "‖x‖"), (("x", "self"), ("‖x‖", "result")),
                 forward="‖x‖")


#: The backward line of a norm by its order (``ord=``, ``p=``): the 2-norm (also the Frobenius
#: norm of a matrix: every entry at once), 1, ∞, −∞, 0 and any other p, whose ``{p−1}`` is
#: written in (``step_variants``); the node saves the order it was called with.
NORM_LINES = {
    "2": "∂{L}/∂{x} = {g} · {x} / {‖x‖}",
    "fro": "∂{L}/∂{x} = {g} · {x} / {‖x‖}   (Frobenius: every entry, as one vector)",
    "1": "∂{L}/∂{x} = {g} · sign({x})",
    "inf": "∂{L}/∂{x} = {g} · sign({x}) where |{x}| is largest (= {‖x‖}; ties share {g} "
           "equally), 0 elsewhere",
    "-inf": "∂{L}/∂{x} = {g} · sign({x}) where |{x}| is smallest (= {‖x‖}; ties share {g} "
            "equally), 0 elsewhere",
    "0": "∂{L}/∂{x} = 0   (‖x‖₀ counts the nonzero entries: it does not change smoothly)",
    "p": "∂{L}/∂{x} = {g} · sign({x}) ⊙ |{x}|^{p−1} / {‖x‖}^{p−1}",
}
#: How each order is written after ‖x‖ (the 2-norm: nothing).
NORM_MARKS = {"2": "", "fro": "_F", "1": "₁", "inf": "∞", "-inf": "₋∞", "0": "₀"}


#: tril and triu: ``diagonal=k`` moves the diagonal k up (negative: down)
_OFFSET = Param("diagonal", "int", None, 1, "diagonal", 0, positional=False)
_MAIN = "the diagonal: the main one unless diagonal= is set (positive: above it)"

OPS = (
    # matmul makes Mm, Mv or Dot by the inputs' dimensions; those rules live with mm, mv and dot
    Op("matmul", "linear algebra", "A B", ("@", "torch.matmul", ".matmul"), arity=2,
       ports=tensor_ports("a", "b"), glyph="@", keywords="matrix multiply product", code="A @ B",
       nodes=(NodeRule("Matmul", ("A", "B"), _PRODUCT, forward="A @ B",
                       forward_symbols=("A", "B")),)),
    Op("mm", "linear algebra", "A B (matrices)", ("torch.mm", ".mm"), arity=2,
       ports=tensor_ports("A", "B", keywords=("input", "mat2")),
       glyph="AB", keywords="matrix multiply product", arg_names=("A", "B"),
       nodes=(NodeRule("Mm", ("A", "B"), _PRODUCT, ((0, ("B",)), (1, ("A",))),
                       (("A", "self"), ("B", "mat2")), forward="A · B",
                       forward_symbols=("A", "B")),)),
    Op("bmm", "linear algebra", "Aₖ Bₖ for each k (batches)", ("torch.bmm", ".bmm"), arity=2,
       ports=tensor_ports("A", "B", keywords=("input", "mat2")),
       glyph="ABₖ", keywords="batch matrix multiply product", arg_names=("A", "B"),
       nodes=(NodeRule("Bmm", ("A", "B"), tuple((slot, f"{line} (batch by batch)")
                                               for slot, line in _PRODUCT),
                       ((0, ("B",)), (1, ("A",))), (("A", "self"), ("B", "mat2")),
                       forward="A · B (batch by batch)", forward_symbols=("A", "B")),)),
    Op("mv", "linear algebra", "A x", ("torch.mv", ".mv"), arity=2,
       ports=tensor_ports("A", "x", keywords=("input", "vec")),
       glyph="Ax", keywords="matrix vector product", arg_names=("A", "x"),
       nodes=(NodeRule("Mv", ("A", "x"), ((0, "∂{L}/∂{A} = {g} {x}ᵀ (outer product)"),
                                       (1, "∂{L}/∂{x} = {A}ᵀ {g}")),
                       ((0, ("x",)), (1, ("A",))), (("A", "self"), ("x", "vec")),
                       forward="A x", forward_symbols=("A", "x")),)),
    Op("dot", "linear algebra", "xᵀ y", ("torch.dot", ".dot"), arity=2,
       ports=tensor_ports("x", "y", keywords=("input", "tensor")),
       glyph="x·y", keywords="inner product scalar", arg_names=("x", "y"),
       nodes=(NodeRule("Dot", ("a", "b"),
                       ((0, "∂{L}/∂{a} = {g} · {b}"), (1, "∂{L}/∂{b} = {g} · {a}")),
                       ((0, ("b",)), (1, ("a",))), (("a", "self"), ("b", "tensor")),
                       forward="aᵀ b", forward_symbols=("a", "b")),)),
    Op("outer", "linear algebra", "x yᵀ", ("torch.outer", "torch.ger", ".outer", ".ger"),
       arity=2, ports=tensor_ports("x", "y", keywords=("input", "vec2")),
       glyph="⊗", keywords="outer product rank one", arg_names=("x", "y")),
    Op("t", "linear algebra", "Aᵀ", (".t", "torch.t"), ports=A,
       glyph="Aᵀ", keywords="transpose", arg_names=("A",),
       nodes=(unary("T", "∂{L}/∂{x} = {g}ᵀ (transposed back)", forward="xᵀ"),)),
    Op("T", "linear algebra", "Aᵀ", ("attr:T",), ports=A,
       glyph="Aᵀ", keywords="transpose", arg_names=("A",),
       nodes=(unary("Permute", "∂{L}/∂{x} = {g} permuted back to {x:shape}"),)),
    # x.mT swaps the last two dims: TransposeBackward0, whose rule lives with transpose
    Op("mT", "linear algebra", "Aᵀ (of each matrix of a batch)", ("attr:mT",), ports=A,
       glyph="Aᵀ", keywords="transpose matrix batch", arg_names=("A",)),
    Op("transpose", "linear algebra", "swap two dims", (".transpose", "torch.transpose"),
       ports=A, params=(dim(0, 1, True, name="dim0", positional=True),
                        dim(1, 2, True, name="dim1", positional=True)),
       glyph="⇄", code_args="0, 1",
       nodes=(unary("Transpose", "∂{L}/∂{x} = {g}ᵀ (the two dimensions swapped back)",
                    forward="xᵀ"),)),
    # torch.inverse is an alias of torch.linalg.inv: both make LinalgInvExBackward0
    Op("inverse", "linear algebra", "A⁻¹", ("torch.inverse", ".inverse"), ports=A,
       glyph="A⁻¹", keywords="invert inverse", arg_names=("A",), nodes=(_inverse("Inv"),)),
    Op("inv", "linear algebra", "A⁻¹", ("torch.linalg.inv",), ports=A,
       glyph="A⁻¹", keywords="invert inverse", arg_names=("A",),
       nodes=(_inverse("LinalgInvEx"),)),
    # Aⁿ is made of other ops: Mm nodes (n ≥ 2), a Clone (n = 1), LinalgInvEx first (n < 0)
    Op("matrix_power", "linear algebra", "Aⁿ = A A ⋯ A (n times)",
       ("torch.linalg.matrix_power", "torch.matrix_power", ".matrix_power"), ports=A,
       params=(Param("n", "int", 2, 1, "n", required=True),),
       glyph="Aⁿ", keywords="power repeated product", arg_names=("A",), code_args="2"),
    Op("det", "linear algebra", "det A", ("torch.det", ".det", "torch.linalg.det"), ports=A,
       glyph="|A|", keywords="determinant", arg_names=("A",),
       nodes=(unary("LinalgDet", "∂{L}/∂{A} = {g} · {det(A)} · {A}⁻ᵀ", ("det(A)",),
                    (("det(A)", "result"),),
                    forward="det A", forward_symbols=("A",), symbol="A"),)),
    # logdet is log |det A| (LinalgSlogdet), then NaN where det A < 0 (a Where node: its rule
    # lives with torch.where)
    Op("logdet", "linear algebra", "log det A", ("torch.logdet", ".logdet"), ports=A,
       glyph="ln|", keywords="log determinant", arg_names=("A",),
       nodes=(unary("LinalgSlogdet", "∂{L}/∂{A} = {g} · {A}⁻ᵀ", forward="log |det A|",
                    forward_symbols=("A",), symbol="A"),)),
    Op("eigvalsh", "linear algebra", "eigenvalues λ₁ ≤ … ≤ λₙ of a symmetric S",
       ("torch.linalg.eigvalsh",), ports=tensor_ports("S"),
       glyph="λ", keywords="eigenvalues spectrum symmetric hermitian", arg_names=("S",),
       nodes=(unary("LinalgEigh", "∂{L}/∂{S} = Σᵢ {g}ᵢ · eigvecᵢ eigvecᵢᵀ",
                    extra="eigvecᵢ: the unit eigenvector of eigenvalueᵢ, so "
                          "∂eigenvalueᵢ/∂{S} = eigvecᵢ eigvecᵢᵀ",
                    forward="eigenvalues of S", forward_symbols=("S",), symbol="S"),)),
    Op("svdvals", "linear algebra", "singular values σ₁ ≥ … ≥ σᵣ of A",
       ("torch.linalg.svdvals",), ports=A,
       glyph="σᵢ", keywords="singular values svd spectrum", arg_names=("A",),
       nodes=(unary("LinalgSvd", "∂{L}/∂{A} = Σᵢ {g}ᵢ · leftᵢ rightᵢᵀ",
                    extra="leftᵢ, rightᵢ: the unit singular vectors of σᵢ ({A} = Σᵢ σᵢ leftᵢ "
                          "rightᵢᵀ), so ∂σᵢ/∂{A} = leftᵢ rightᵢᵀ",
                    forward="singular values of A", forward_symbols=("A",), symbol="A"),)),
    Op("cholesky", "linear algebra", "C lower triangular with C Cᵀ = S",
       ("torch.linalg.cholesky",), ports=tensor_ports("S"),
       glyph="√S", keywords="cholesky factor decomposition positive definite triangular",
       arg_names=("S",),
       nodes=(unary("LinalgCholeskyEx", "∂{L}/∂{S} = ½ {C}⁻ᵀ mirror(lower({C}ᵀ {g})) {C}⁻¹",
                    saved=(("C", "result"),),  # torch saves it as L: the output
                    extra="lower: the lower triangle; mirror: copied onto the upper one as well",
                    forward="cholesky factor of S", forward_symbols=("S",), symbol="S"),)),
    Op("pinv", "linear algebra", "A⁺, the pseudo-inverse", ("torch.linalg.pinv",), ports=A,
       glyph="A⁺", keywords="pseudo inverse moore penrose least squares", arg_names=("A",),
       nodes=(unary("LinalgPinv", "∂{L}/∂{A} = −{P}ᵀ {g} {P}ᵀ + ({I} − {A} {P}) {g}ᵀ {P} {P}ᵀ "
                    "+ {P}ᵀ {P} {g}ᵀ ({I} − {P} {A})", saved=(("P", "result"),),
                    extra="{P} = {A}⁺, the pseudo-inverse",
                    forward="A⁺ (pseudo-inverse)", forward_symbols=("A",), symbol="A"),)),
    Op("solve", "linear algebra", "A⁻¹ b", ("torch.linalg.solve",), arity=2,
       ports=tensor_ports("A", "b", keywords=("A", "B")),
       glyph="A\\b", keywords="linear system", arg_names=("A", "b"),
       nodes=(NodeRule("LinalgSolveEx", ("A", "B"),
                       ((1, "∂{L}/∂{B} = {A}⁻ᵀ {g}"), (0, "∂{L}/∂{A} = −({A}⁻ᵀ {g}) {X}ᵀ"),
                        (None, "{X} = {A}⁻¹{B}, the solution")),
                       saved=(("X", "result"),), forward="A⁻¹ B (solve A X = B)",
                       forward_symbols=("A", "B")),)),
    Op("trace", "linear algebra", "tr A = Σ Aᵢᵢ", ("torch.trace", ".trace"), ports=A,
       glyph="tr", arg_names=("A",),
       nodes=(unary("Trace", "∂{L}/∂{A} = {g} · {I}", forward="Σᵢ Aᵢᵢ", forward_symbols=("A",),
                    symbol="A"),)),
    Op("diag", "linear algebra", "diagonal ↔ diagonal matrix", ("torch.diag", ".diag"), ports=X,
       params=(Param("diagonal", "int", None, 1, "diagonal", 0, positional=False),), glyph="⋱",
       nodes=(unary("Diag", "∂{L}/∂{x} = the diagonal of {g} (or {g} placed on the diagonal)"),)),
    Op("tril", "linear algebra", "the lower triangle of A (0 above the diagonal)",
       ("torch.tril", ".tril"), ports=A, params=(_OFFSET,), glyph="◣",
       keywords="lower triangular mask", arg_names=("A",),
       nodes=(unary("Tril", "∂{L}/∂{A} = {g} on and below the diagonal, 0 above", extra=_MAIN,
                    forward="the lower triangle of A", forward_symbols=("A",), symbol="A"),)),
    Op("triu", "linear algebra", "the upper triangle of A (0 below the diagonal)",
       ("torch.triu", ".triu"), ports=A, params=(_OFFSET,), glyph="◥",
       keywords="upper triangular mask", arg_names=("A",),
       nodes=(unary("Triu", "∂{L}/∂{A} = {g} on and above the diagonal, 0 below", extra=_MAIN,
                    forward="the upper triangle of A", forward_symbols=("A",), symbol="A"),)),
    # kron is made of other ops: views of A and B, their product (Mul), an UnsafeView
    Op("kron", "linear algebra", "A ⊗ B: every Aᵢⱼ times B", ("torch.kron", ".kron"), arity=2,
       ports=tensor_ports("A", "B"), glyph="A⊗B", keywords="kronecker tensor product block",
       arg_names=("A", "B")),
    Op("norm", "linear algebra", "‖x‖₂", ("torch.norm", ".norm", "torch.linalg.norm"), ports=X,
       params=(Param("p", "number", None, 1, "p", positional=False, choices=("fro", "nuc")),
               dim(kind="dims", index=2), replace(KEEPDIM, index=3)),
       glyph="‖x‖", keywords="length euclidean",
       nodes=(_norm("LinalgVectorNorm"), _norm("Norm"))),
    # LinalgVectorNormBackward0: its rule lives with norm
    Op("vector_norm", "linear algebra", "‖x‖ₚ = (Σ |xᵢ|ᵖ)^(1/p)", ("torch.linalg.vector_norm",),
       ports=X, params=(Param("ord", "number", None, 1, "ord", 2, positional=False),
                        dim(kind="dims", index=2), replace(KEEPDIM, index=3)),
       glyph="‖·‖", keywords="length euclidean p-norm"),
    Op("inverse_matrix", "linear algebra", "A⁻¹, custom backward −A⁻ᵀ G A⁻ᵀ",
       ("custom:InverseMatrix.apply",), ports=A,
       glyph="ƒ⁻¹", keywords="custom function backward", arg_names=("A",),
       nodes=(_inverse("InverseMatrix"),)),
)
