"""Factorizations that give several matrices: QR, the symmetric eigendecomposition, the SVD, and
least squares (its solution, residuals, rank and singular values).

Code only, as ``x.sort()`` is (see :mod:`selection`): ``Q, R = torch.linalg.qr(A)``,
``torch.linalg.eigh(S).eigenvalues``, ``U, S, Vh = torch.linalg.svd(A, full_matrices=False)``.
One backward node takes the gradients of all the factors. Its card writes each factor by the
program's name for it (``{outk}`` in a line: output ``k``), else by torch's (``FACTORS``).
"""

from __future__ import annotations

from nla_explorer.engine.ops.parts import tensor_ports
from nla_explorer.engine.ops.record import NodeRule, Op

#: The outputs whose own gradient makes a node's card the general one (eigenvectors, U and Vh:
#: eigvalsh and svdvals send only the values back, with the simpler rule of their ops).
VECTORS = {"LinalgEigh": (1,), "LinalgSvd": (0, 2)}
_D = "∂{L}/∂"
#: The general backward lines, where the vectors' gradients arrive too.
GENERAL_LINES = {
    "LinalgEigh": (
        (0, "∂{L}/∂{S} = {out1} (diag(" + _D + "{out0}) + gaps ⊙ {out1}ᵀ " + _D + "{out1}) "
            "{out1}ᵀ, made symmetric"),
        (None, "gapsᵢⱼ = 1 / ({out0}ⱼ − {out0}ᵢ), 0 on the diagonal; gradients that do not "
               "arrive count as 0")),
    "LinalgSvd": (
        (0, "∂{L}/∂{A} = {out0} diag(" + _D + "{out1}) {out2} + what " + _D + "{out0} and "
            + _D + "{out2} add"),
        (None, "that part divides by the gaps {out1}ⱼ² − {out1}ᵢ² between squared singular "
               "values: close ones make it large")),
}

#: The forward formula where the program names several factors (the rules' own speak of the
#: values, which is all eigvalsh and svdvals give).
ALL_FACTORS = {"LinalgEigh": "eigenvalues and eigenvectors of S",
               "LinalgSvd": "the singular value decomposition of A"}

OPS = (
    Op("qr", "linear algebra", "(Q, R): A = Q R, Q with orthonormal columns, R upper triangular",
       ("torch.linalg.qr",), ports=tensor_ports("A"), statement=True, any_result=True,
       fields=("Q", "R"), glyph="QR",
       nodes=(NodeRule("LinalgQr", ("A",), (
           (0, "∂{L}/∂{A} = (" + _D + "{out0} + {out0} copyltu({out1} (" + _D + "{out1})ᵀ − ("
               + _D + "{out0})ᵀ {out0})) {out1}⁻ᵀ"),
           (None, "copyltu: the lower triangle, mirrored onto the upper one; "
                  "gradients that do not arrive count as 0")),
           forward="the QR factors of A", forward_symbols=("A",)),)),
    # their nodes' rules live with eigvalsh and svdvals (LinalgEigh, LinalgSvd)
    Op("eigh", "linear algebra", "(eigenvalues, eigenvectors) of a symmetric S",
       ("torch.linalg.eigh",), ports=tensor_ports("S"), statement=True, any_result=True,
       fields=("eigenvalues", "eigenvectors"), glyph="λV"),
    Op("svd", "linear algebra", "(U, S, Vh): A = U diag(S) Vh", ("torch.linalg.svd",),
       ports=tensor_ports("A"), statement=True, any_result=True, fields=("U", "S", "Vh"),
       glyph="USV"),
    # (solution, residuals, rank, singular_values); only the solution has a gradient to pass on
    Op("lstsq", "linear algebra", "the X with A X closest to B (least squares)",
       ("torch.linalg.lstsq",), arity=2, ports=tensor_ports("A", "B", keywords=("A", "B")),
       statement=True, any_result=True, glyph="A\\B",
       fields=("solution", "residuals", "rank", "singular_values"),
       nodes=(NodeRule("LinalgLstsq", ("A", "B"), (
           (1, "∂{L}/∂{B} = ({A}⁺)ᵀ {g}"),
           (0, "∂{L}/∂{A} = the pseudo-inverse's rule for ∂{L}/∂{A}⁺ = {g} {B}ᵀ"),
           (None, "the solution is {A}⁺ {B}: {A}⁺ the pseudo-inverse of {A}")),
           forward="least squares: A⁺ B", forward_symbols=("A", "B")),)),
)

#: torch's names of each factorization node's outputs: its op's named tuple's fields (eigh's
#: and svd's nodes are also eigvalsh's and svdvals', whose records hold their rules).
_NODES = {"qr": "LinalgQr", "eigh": "LinalgEigh", "svd": "LinalgSvd", "lstsq": "LinalgLstsq"}
FACTORS = {_NODES[op.key]: op.fields for op in OPS}

