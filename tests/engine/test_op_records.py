"""Op records: one per op, and the interpreter, palette, blocks and cards all read from them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from nla_explorer.engine.autograd.custom_functions import InverseMatrix
from nla_explorer.engine.autograd.forward_rules import _SYMBOLS, FORMULAS
from nla_explorer.engine.autograd.step_rules import NODES_OF_NO_OP, RULES, op_base
from nla_explorer.engine.blocks.editing import _VARARGS
from nla_explorer.engine.blocks.palette_entries import PARAMETERS, palette_entries
from nla_explorer.engine.blocks.templates import TEMPLATES
from nla_explorer.engine.ops import CATALOGUE, DOMAINS, FORMS, NodeRule, Op, OpSpec, Param, Port

ROOT = Path(__file__).resolve().parents[2]

#: The catalogue's keys, in the order of the table the records replaced.
KEYS = [
    "randn", "rand", "zeros", "ones", "full", "eye", "linspace", "arange", "tensor", "manual_seed",
    "requires_grad_", "add", "sub", "mul", "div", "pow", "neg", "matmul", "mm", "bmm", "mv",
    "dot", "outer", "t", "T", "mT", "transpose", "inverse", "inv", "matrix_power", "det", "logdet",
    "eigvalsh", "svdvals", "cholesky", "pinv", "solve",
    "trace", "diag", "tril", "triu", "kron", "norm", "vector_norm",
    "inverse_matrix", "reshape", "view", "permute", "flatten", "expand", "index", "cat", "stack",
    "unsqueeze", "squeeze", "clone", "detach", "double", "float", "to", "sum",
    "mean", "prod", "max", "cumsum", "var", "std", "abs", "sqrt", "exp", "log", "sin", "cos", "maximum", "clamp",
    "gt", "lt", "ge", "le", "eq", "ne", "logical_not", "logical_and", "logical_or", "where",
    "masked_fill", "integer", "relu",
    "sigmoid", "tanh", "softmax", "log_softmax", "linear", "mse_loss", "cross_entropy",
    "max_pool1d", "max_pool2d", "max_of", "min_of", "sort", "topk", "argmax", "argmin", "field",
    "qr", "eigh", "svd", "lstsq",
    "backward", "grad", "grad_of", "set_grad", "zero_", "grad_mode",
    "retain_grad",
    "shows",
    "jacobian", "hessian", "iadd", "isub", "imul", "idiv", "iand", "ior", "ixor",
    "set_item",
]

# -- the palette tables the records replaced (palette_entries.py before the records) ----------
OLD_GLYPHS = {
    "randn": "N", "rand": "U", "zeros": "0", "ones": "1", "full": "c", "eye": "I", "linspace": "⋯",
    "arange": "#", "tensor": "[ ]", "manual_seed": "⚄", "requires_grad_": "∇",
    "add": "+", "sub": "−", "mul": "⊙", "div": "÷", "pow": "xⁿ", "neg": "−x",
    "matmul": "@", "mm": "AB", "mv": "Ax", "dot": "x·y", "outer": "⊗", "t": "Aᵀ", "T": "Aᵀ",
    "transpose": "⇄", "inverse": "A⁻¹", "inv": "A⁻¹", "det": "|A|", "solve": "A\\b", "trace": "tr",
    "diag": "⋱", "norm": "‖x‖", "inverse_matrix": "ƒ⁻¹",
    "reshape": "⊞", "view": "⊡", "index": "[i]", "cat": "++", "stack": "≡", "unsqueeze": "↑",
    "squeeze": "↓", "sum": "Σ", "mean": "μ", "prod": "Π", "max": "⋁",
    "abs": "|x|", "sqrt": "√", "exp": "eˣ", "log": "ln", "sin": "sin", "cos": "cos",
    "maximum": "∨", "clamp": "⌊⌉",
    "relu": "_/", "sigmoid": "σ", "tanh": "th", "softmax": "sm", "log_softmax": "ls",
    "linear": "Wx", "mse_loss": "L₂", "cross_entropy": "CE",
    "max_pool1d": "▁▇", "max_pool2d": "▦",
    "clone": "⧉", "detach": "✂",  # added with the records
    "bmm": "ABₖ", "mT": "Aᵀ", "matrix_power": "Aⁿ", "vector_norm": "‖·‖", "permute": "⤨",
    "flatten": "▬", "expand": "⇶", "double": "f64", "float": "f32", "var": "σ²", "std": "σ",
    "logdet": "ln|", "eigvalsh": "λ", "svdvals": "σᵢ", "cholesky": "√S", "pinv": "A⁺",
    "tril": "◣", "triu": "◥", "kron": "A⊗B", "cumsum": "Σ…",
    "to": "→", "gt": ">", "lt": "<", "ge": "≥", "le": "≤", "eq": "=", "ne": "≠",  # comparisons
    "logical_not": "¬", "logical_and": "∧", "logical_or": "∨", "where": "?:", "masked_fill": "▤",
}
OLD_KEYWORDS = {
    "randn": "normal gaussian random", "rand": "uniform random", "eye": "identity",
    "tensor": "matrix literal", "manual_seed": "seed random", "requires_grad_": "parameter leaf",
    "add": "plus sum", "sub": "minus subtract difference", "mul": "times multiply hadamard",
    "div": "divide quotient", "pow": "power square exponent", "neg": "negate minus",
    "matmul": "matrix multiply product", "mm": "matrix multiply product",
    "mv": "matrix vector product", "dot": "inner product scalar", "outer": "outer product rank one",
    "t": "transpose", "T": "transpose", "inverse": "invert inverse", "inv": "invert inverse",
    "det": "determinant", "solve": "linear system", "norm": "length euclidean",
    "inverse_matrix": "custom function backward", "index": "slice getitem",
    "cat": "concatenate join", "sum": "sigma total", "mean": "average", "max": "amax maximum",
    "prod": "product multiply all", "abs": "absolute", "sqrt": "square root",
    "exp": "exponential", "log": "logarithm",
    "maximum": "max", "clamp": "clip", "relu": "rectifier", "sigmoid": "sigma logistic σ",
    "tanh": "hyperbolic tangent", "softmax": "probabilities normalise", "linear": "layer dense affine",
    "mse_loss": "mean squared error", "cross_entropy": "classification log likelihood nll",
    "clone": "copy", "detach": "stop gradient constant no grad",  # added with the records
    "bmm": "batch matrix multiply product", "mT": "transpose matrix batch",
    "matrix_power": "power repeated product", "vector_norm": "length euclidean p-norm",
    "permute": "transpose reorder axes", "flatten": "ravel vectorise vec",
    "expand": "broadcast repeat", "double": "cast dtype float64 convert precision",
    "float": "cast dtype float32 convert precision", "var": "variance spread unbiased",
    "std": "standard deviation spread unbiased",
    "logdet": "log determinant", "eigvalsh": "eigenvalues spectrum symmetric hermitian",
    "svdvals": "singular values svd spectrum",
    "cholesky": "cholesky factor decomposition positive definite triangular",
    "pinv": "pseudo inverse moore penrose least squares",
    "tril": "lower triangular mask", "triu": "upper triangular mask",
    "kron": "kronecker tensor product block", "cumsum": "cumulative sum running total prefix",
    "to": "cast dtype convert precision bool mask",  # added with the comparisons
    "gt": "compare mask bool greater than", "lt": "compare mask bool less than",
    "ge": "compare mask bool greater equal", "le": "compare mask bool less equal",
    "eq": "compare mask bool equal", "ne": "compare mask bool not equal",
    "logical_not": "invert negate mask bool", "logical_and": "both mask bool",
    "logical_or": "either mask bool", "where": "select choose mask if else leaky",
    "masked_fill": "mask fill replace set where",
}
OLD_CODE = {
    "randn": "torch.randn(3, 3)", "rand": "torch.rand(3, 3)", "zeros": "torch.zeros(3, 3)",
    "ones": "torch.ones(3, 3)", "full": "torch.full((3, 3), 0.5)", "eye": "torch.eye(3)",
    "linspace": "torch.linspace(0, 1, 5)", "arange": "torch.arange(5)",
    "tensor": "torch.tensor([[1., 2.], [3., 4.]])", "manual_seed": "torch.manual_seed(0)",
    "requires_grad_": "x.requires_grad_()", "neg": "-x", "matmul": "A @ B", "index": "x[0, 1:]",
    "logical_not": "~m", "where": "torch.where(x > 0, x, 0.1 * x)",
    "masked_fill": "x.masked_fill(x < 0, 0.0)",
}
OLD_EXTRA_ARGS = {
    "transpose": "0, 1", "reshape": "-1", "view": "-1", "unsqueeze": "0", "clamp": "min=0",
    "softmax": "dim=-1", "log_softmax": "dim=-1", "max_pool1d": "2", "max_pool2d": "2",
    "permute": "1, 0", "expand": "2, 3, 3", "matrix_power": "2", "cumsum": "0",
    "to": "torch.float64",
}
OLD_ARG_NAMES = {
    "mm": ("A", "B"), "mv": ("A", "x"), "dot": ("x", "y"), "outer": ("x", "y"),
    "solve": ("A", "b"), "linear": ("x", "W", "b"), "mse_loss": ("y_hat", "y"),
    "cross_entropy": ("z", "target"), "t": ("A",), "T": ("A",), "inverse": ("A",),
    "inv": ("A",), "det": ("A",), "trace": ("A",), "inverse_matrix": ("A",),
    "bmm": ("A", "B"), "mT": ("A",), "matrix_power": ("A",), "logdet": ("A",),
    "eigvalsh": ("S",), "svdvals": ("A",), "cholesky": ("S",), "pinv": ("A",),
    "tril": ("A",), "triu": ("A",), "kron": ("A", "B"),
    "logical_and": ("m1", "m2"), "logical_or": ("m1", "m2"),
}

# -- the card tables the records replaced (step_rules.RULES, forward_rules.FORMULAS/_SYMBOLS) ---
OLD_RULE_NODES = {
    "Abs", "AccumulateGrad", "Add", "Addmm", "Cat", "Clamp", "ClampMax", "ClampMin", "Clone", "Cos",
    "Diag", "Div", "Dot", "Exp", "Expand", "Index", "Inv", "InverseMatrix", "LinalgDet",
    "LinalgInvEx", "LinalgSolveEx", "LinalgVectorNorm", "Log", "LogSoftmax", "Matmul", "Max",
    "Maximum", "Mean", "Mm", "MseLoss", "Mul", "Mv", "Neg", "NllLoss", "Norm", "Permute", "Pow",
    "Pow1", "Pow2", "Prod", "Relu", "Reshape", "ReshapeAlias", "Select", "Sigmoid", "Sin", "Slice",
    "Softmax", "Sqrt", "Squeeze", "Stack", "Sub", "Sum", "T", "Tanh", "Trace", "Transpose",
    "UnsafeView", "Unsqueeze", "View",
    "Bmm", "Std", "ToCopy", "Var",  # added with bmm, std, double and var
    "LinalgSlogdet", "Where",  # added with logdet
    "LinalgEigh", "LinalgSvd", "LinalgCholeskyEx", "LinalgPinv",  # eigvalsh svdvals cholesky pinv
    "Tril", "Triu", "Cumsum",  # added with tril, triu and cumsum
    "MaskedFill",  # added with masked_fill (Where's rule moved from logdet to torch.where)
    "Min", "Sort", "Topk",  # added with min, sort and topk
    "CopySlices",  # added with y[i] = v
    "LinalgQr", "LinalgLstsq",  # added with qr and lstsq
}
OLD_FORMULAS = {
    "Add": "a + b", "Sub": "a − b", "Mul": "a · b", "Div": "a / b", "Neg": "−x",
    "Pow": "x^p", "Pow1": "a^b", "Pow2": "c^x", "Exp": "exp(x)", "Log": "ln x", "Sqrt": "√x",
    "Sin": "sin x", "Cos": "cos x", "Tanh": "tanh x", "Sigmoid": "σ(x) = 1 / (1 + exp(−x))",
    "Relu": "max(0, x)", "Sum": "Σᵢ xᵢ", "Mean": "(1/N) Σᵢ xᵢ", "Prod": "Πᵢ xᵢ", "Mm": "A · B", "Mv": "A x",
    "Dot": "aᵀ b", "Addmm": "c + A · B", "Matmul": "A @ B", "T": "xᵀ", "Transpose": "xᵀ",
    "Abs": "|x|", "LinalgInvEx": "A⁻¹", "InverseMatrix": "A⁻¹", "Inv": "A⁻¹",
    "LinalgDet": "det A", "LinalgSolveEx": "A⁻¹ B (solve A X = B)",
    "LinalgVectorNorm": "‖x‖", "Norm": "‖x‖", "Softmax": "exp(x) / Σⱼ exp(xⱼ)",
    "MseLoss": "(1/N) Σ (ŷ − y)²", "Trace": "Σᵢ Aᵢᵢ",
    "Clone": "x (copied)",  # added with the records
    "Bmm": "A · B (batch by batch)", "ToCopy": "x (dtype converted)",
    "Var": "Σᵢ (xᵢ − mean)² / (N − correction)", "Std": "√(Σᵢ (xᵢ − mean)² / (N − correction))",
    "LinalgSlogdet": "log |det A|", "Where": "a where the condition holds, else b",
    "LinalgEigh": "eigenvalues of S", "LinalgSvd": "singular values of A",
    "LinalgCholeskyEx": "cholesky factor of S", "LinalgPinv": "A⁺ (pseudo-inverse)",
    "Tril": "the lower triangle of A", "Triu": "the upper triangle of A",
    "Cumsum": "running sums of x along the dim",
    "MaskedFill": "x, set to the value where the condition holds",
    "Sort": "x sorted", "Topk": "the largest entries of x",
    "CopySlices": "y with some entries set to v", "LinalgQr": "the QR factors of A",
    "LinalgLstsq": "least squares: A⁺ B",
}
OLD_SYMBOLS = {
    "Add": ("a", "b"), "Sub": ("a", "b"), "Mul": ("a", "b"), "Div": ("a", "b"),
    "Pow1": ("a", "b"), "Pow2": ("c", "x"), "Mm": ("A", "B"), "Mv": ("A", "x"),
    "Dot": ("a", "b"), "Addmm": ("c", "A", "B"), "Matmul": ("A", "B"),
    "LinalgSolveEx": ("A", "B"), "MseLoss": ("ŷ", "y"),
    "LinalgInvEx": ("A",), "InverseMatrix": ("A",), "Inv": ("A",), "LinalgDet": ("A",),
    "Trace": ("A",), "Bmm": ("A", "B"), "LinalgSlogdet": ("A",), "Where": ("a", "b"),
    "LinalgEigh": ("S",), "LinalgSvd": ("A",), "LinalgCholeskyEx": ("S",), "LinalgPinv": ("A",),
    "Tril": ("A",), "Triu": ("A",), "MaskedFill": ("x",), "CopySlices": ("y", "v"),
    "LinalgQr": ("A",), "LinalgLstsq": ("A", "B"),
}


def _blocks() -> list[Op]:
    return [op for op in CATALOGUE.values() if not op.statement]


# -- one record per op ---------------------------------------------------------------------------
def test_every_op_has_exactly_one_record_in_one_domain():
    declared = Counter(op.key for domain in DOMAINS for op in domain.OPS)
    assert [key for key, n in declared.items() if n > 1] == []
    assert list(CATALOGUE) == KEYS == list(declared)
    for domain in DOMAINS:
        for op in domain.OPS:
            assert CATALOGUE[op.key] is op
    assert OpSpec is Op  # the name code imported before the records


def test_every_form_belongs_to_one_record():
    spellings = Counter(form for op in CATALOGUE.values() for form in op.forms)
    assert [form for form, n in spellings.items() if n > 1] == []
    assert FORMS == {form: op.key for op in CATALOGUE.values() for form in op.forms}


def test_every_backward_node_has_one_rule():
    names = Counter(rule.node for op in CATALOGUE.values() for rule in op.nodes)
    names.update(rule.node for rule in NODES_OF_NO_OP)
    assert [name for name, n in names.items() if n > 1] == []
    assert set(RULES) == set(names) == OLD_RULE_NODES
    assert {rule.node for rule in NODES_OF_NO_OP} == {"AccumulateGrad", "UnsafeView"}


#: Code per op and the backward node torch makes for it (its base name, see ``op_base``).
MADE_BY = [
    ("add", "x + y", "Add"), ("sub", "x - y", "Sub"), ("mul", "x * y", "Mul"),
    ("div", "x / y", "Div"), ("pow", "x ** 2", "Pow"), ("pow", "x ** y", "Pow1"),
    ("pow", "2 ** x", "Pow2"), ("neg", "-x", "Neg"), ("mm", "M @ M", "Mm"), ("mv", "M @ v", "Mv"),
    ("dot", "v @ v", "Dot"), ("t", "M.t()", "T"), ("T", "M.T", "Permute"),
    ("transpose", "M.transpose(0, 1)", "Transpose"), ("inv", "torch.linalg.inv(M)", "LinalgInvEx"),
    ("det", "torch.det(M)", "LinalgDet"), ("solve", "torch.linalg.solve(M, v)", "LinalgSolveEx"),
    ("trace", "M.trace()", "Trace"), ("norm", "torch.linalg.norm(v)", "LinalgVectorNorm"),
    ("inverse_matrix", "InverseMatrix.apply(M)", "InverseMatrix"), ("view", "M.view(-1)", "View"),
    ("index", "M[0]", "Select"), ("index", "M[1:]", "Slice"), ("cat", "torch.cat([v, v])", "Cat"),
    ("stack", "torch.stack([v, v])", "Stack"), ("unsqueeze", "v.unsqueeze(0)", "Unsqueeze"),
    ("squeeze", "M[:1].squeeze(0)", "Squeeze"), ("sum", "M.sum()", "Sum"),
    ("mean", "M.mean()", "Mean"), ("prod", "M.prod()", "Prod"), ("abs", "M.abs()", "Abs"), ("sqrt", "x.sqrt()", "Sqrt"),
    ("exp", "M.exp()", "Exp"), ("log", "x.log()", "Log"), ("sin", "M.sin()", "Sin"),
    ("cos", "M.cos()", "Cos"), ("maximum", "torch.maximum(x, y)", "Maximum"),
    ("clamp", "M.clamp(0, 1)", "Clamp"), ("clamp", "M.clamp_min(0)", "ClampMin"),
    ("clamp", "M.clamp_max(0)", "ClampMax"), ("relu", "M.relu()", "Relu"),
    ("sigmoid", "M.sigmoid()", "Sigmoid"), ("tanh", "M.tanh()", "Tanh"),
    ("softmax", "M.softmax(0)", "Softmax"), ("log_softmax", "M.log_softmax(0)", "LogSoftmax"),
    ("linear", "F.linear(M, M, v)", "Addmm"), ("mse_loss", "F.mse_loss(x, y)", "MseLoss"),
    ("cross_entropy", "F.cross_entropy(M, torch.tensor([0, 1, 2]))", "NllLoss"),
    ("bmm", "torch.bmm(M[None], M[None])", "Bmm"), ("transpose", "M.mT", "Transpose"),
    ("T", "M.permute(1, 0)", "Permute"), ("norm", "torch.linalg.vector_norm(v, 3)",
                                          "LinalgVectorNorm"),
    ("expand", "v.expand(2, 3)", "Expand"), ("double", "x.float().double()", "ToCopy"),
    ("double", "x.float()", "ToCopy"), ("var", "M.var(0)", "Var"), ("std", "M.std()", "Std"),
    ("view", "M.flatten()", "View"), ("mm", "M.matrix_power(2)", "Mm"),
    ("where", "torch.logdet(M)", "Where"), ("where", "torch.where(x > 0.7, x, y)", "Where"),
    ("masked_fill", "x.masked_fill(x > 0.7, 0.)", "MaskedFill"),
    ("masked_fill", "x.masked_fill(x > 0.7, y[0])", "MaskedFill"),
    ("eigvalsh", "torch.linalg.eigvalsh(M)", "LinalgEigh"),
    ("svdvals", "torch.linalg.svdvals(M)", "LinalgSvd"),
    ("cholesky", "torch.linalg.cholesky(M @ M.T)", "LinalgCholeskyEx"),
    ("pinv", "torch.linalg.pinv(M)", "LinalgPinv"),
    ("tril", "M.tril()", "Tril"), ("triu", "torch.triu(M, 1)", "Triu"),
    ("cumsum", "v.cumsum(0)", "Cumsum"),
]


@pytest.mark.parametrize("key, code, node", MADE_BY, ids=[f"{k}[{c}]" for k, c, _ in MADE_BY])
def test_records_name_the_nodes_torch_makes(key, code, node):
    leaves = {
        "x": torch.rand(3, dtype=torch.float64) + 0.5, "y": torch.rand(3, dtype=torch.float64),
        "v": torch.randn(3, dtype=torch.float64),
        "M": torch.randn(3, 3, dtype=torch.float64) + 3 * torch.eye(3, dtype=torch.float64),
    }
    names = {k: t.requires_grad_() for k, t in leaves.items()}
    out = eval(code, {"torch": torch, "F": F, "InverseMatrix": InverseMatrix, **names})
    assert op_base(type(out.grad_fn).__name__) == node
    assert node in {rule.node for rule in CATALOGUE[key].nodes}


# -- what reads the records produces what the old tables did --------------------------------------
def test_block_templates_are_the_records_ports_and_parameters():
    assert list(TEMPLATES) == [op.key for op in _blocks()]
    for op in _blocks():
        t = TEMPLATES[op.key]
        assert (t.category, t.summary, t.ports, t.params) == (op.category, op.formula, op.ports,
                                                               op.params)
        assert t.output == (op.key != "manual_seed")
        assert len(t.ports) == (1 if op.arity < 0 else op.arity), op.key
    assert TEMPLATES["pow"].ports == (Port("a", 0, "input", number=True),
                                      Port("b", 1, "exponent", number=True, default=2))
    assert TEMPLATES["linear"].ports[2] == Port("b", 2, "bias", optional=True)
    assert TEMPLATES["cat"].ports == (Port("tensors", 0, "tensors", many=True),)
    assert TEMPLATES["norm"].params == (
        Param("p", "number", None, 1, "p", positional=False, choices=("fro", "nuc")),
        Param("dim", "dims", None, 2, "dim", None, False, False),
        Param("keepdim", "bool", index=3, keyword="keepdim", default=False, positional=False))
    assert TEMPLATES["randn"].params == (
        Param("shape", "shape", (3, 3), 0, "size", required=True),
        Param("requires_grad", "bool", keyword="requires_grad", default=False, positional=False),
        Param("dtype", "dtype", keyword="dtype", positional=False))
    assert [p.name for p in TEMPLATES["arange"].params] == ["start", "end", "step",
                                                            "requires_grad", "dtype"]
    assert set(_VARARGS) == {"randn", "rand", "zeros", "ones", "reshape", "view", "permute",
                             "expand"}


def test_the_palette_shows_what_it_showed():
    entries = {entry.key: entry for entry in palette_entries()}
    blocks = [entries[op.key] for op in _blocks()]
    assert {e.op: e.glyph for e in blocks} == OLD_GLYPHS
    for op in _blocks():
        assert op.keywords == OLD_KEYWORDS.get(op.key, "")
        assert op.code == OLD_CODE.get(op.key, "")
        assert op.code_args == OLD_EXTRA_ARGS.get(op.key, "")
        assert op.arg_names == OLD_ARG_NAMES.get(op.key, ())
    assert [e.key for e in entries.values() if e.category == PARAMETERS] == [
        "randn_parameter", "rand_parameter", "zeros_parameter", "ones_parameter"]
    mm = entries["mm"]
    assert (mm.code, mm.keywords, mm.glyph) == ("torch.mm(A, B)",
                                                "matrix multiply product torch.mm .mm", "AB")
    assert entries["clamp"].code == "torch.clamp(x, min=0)"
    assert entries["softmax"].keywords == "probabilities normalise torch.softmax F.softmax .softmax"
    assert entries["zeros_parameter"].code == "torch.zeros(3, 3, requires_grad=True)"
    assert entries["max_pool2d"].code == "F.max_pool2d(x, 2)"


def test_the_cards_read_the_records_rules():
    assert FORMULAS == OLD_FORMULAS
    assert _SYMBOLS == OLD_SYMBOLS
    for op in CATALOGUE.values():
        for rule in op.nodes:
            assert RULES[rule.node] is rule
    # backward lines are templates the step card fills with the program's names
    assert RULES["Div"] == NodeRule(
        "Div", ("a", "b"), ((0, "∂{L}/∂{a} = {g} / {b}"), (1, "∂{L}/∂{b} = −{g} · {a} / {b}²")),
        ((0, ("b",)), (1, ("a", "b"))), (("a", "self"), ("b", "other")), "a / b", ("a", "b"))
    assert RULES["Pow2"] == NodeRule(
        "Pow2", ("x",), ((0, "∂{L}/∂{x} = {g} · {c}^{x} · ln {c}"),), ((0, ("c", "x")),),
        (("c", "self"), ("x", "exponent")), "c^x", ("c", "x"))
    assert RULES["NllLoss"].lines[1] == (
        None, "cross-entropy: with log_softmax before it, ∂{L}/∂logits = (softmax − one-hot) · "
              "{g} / {N}, {N} = number of samples")
    assert RULES["Reshape"].lines == RULES["UnsafeView"].lines == (
        (0, "∂{L}/∂{x} = {g} reshaped back to {x:shape}"),)
    assert RULES["AccumulateGrad"].lines == ((None, "{x}.grad = Σ contributions"),)


# -- adding an op ----------------------------------------------------------------------------------
#: A fresh interpreter that declares one more op (gelu) in a domain's ``OPS`` as it is imported,
#: then asks the interpreter, the writer, the palette, the templates and both cards about it.
NEW_OP = textwrap.dedent('''
    import importlib.abc, importlib.machinery, json, sys

    class DeclareGelu(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name != "nla_explorer.engine.ops.activations":
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            run = spec.loader.exec_module

            def exec_module(module):
                run(module)
                from nla_explorer.engine.ops.parts import F, X, unary
                from nla_explorer.engine.ops.record import Op
                module.OPS += (Op("gelu", "activations", "x Φ(x)", (F + "gelu",), ports=X,
                                  glyph="Φ", keywords="gaussian error",
                                  nodes=(unary("Gelu", "∂L/∂x = g · (Φ(x) + x φ(x))",
                                               forward="x Φ(x)"),)),)
            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, DeclareGelu())
    from nla_explorer.engine import explore_code, parse_code, to_code
    from nla_explorer.engine.autograd.forward_rules import forward_card
    from nla_explorer.engine.autograd.step_rules import step_card
    from nla_explorer.engine.autograd.stepper import forward_order
    from nla_explorer.engine.blocks.palette_entries import palette_entries
    from nla_explorer.engine.blocks.templates import TEMPLATES

    code = ("import torch\\nimport torch.nn.functional as F\\n"
            "x = torch.tensor([0.5, -1.0], requires_grad=True)\\ny = F.gelu(x)\\nz = y.sum()\\n")
    e = explore_code(code)
    node = next(n for n in e.graph.nodes if n.op == "GeluBackward0")
    step = next(s for s in e.trace.steps if s.node_id == node.id)
    order = forward_order(e.graph, e.trace)
    entry = next(p for p in palette_entries() if p.key == "gelu")
    print(json.dumps({
        "value": node.value.values.tolist(),
        "step": step_card(e.graph, e.trace, step.index).rule,
        "forward": forward_card(e.graph, order, order.index(node.id)).rule,
        "palette": [entry.category, entry.glyph, entry.code, entry.keywords],
        "ports": [p.name for p in TEMPLATES["gelu"].ports],
        "written": to_code(parse_code(code)).splitlines()[-2],
    }))
''')


def test_adding_an_op_is_one_declaration():
    done = subprocess.run([sys.executable, "-c", NEW_OP], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    expected = F.gelu(torch.tensor([0.5, -1.0])).tolist()
    assert got["value"] == pytest.approx(expected)
    assert got["step"] == ["∂L/∂x = g · (Φ(x) + x φ(x))"]
    assert got["forward"] == ["y = x Φ(x)"]
    assert got["palette"] == ["activations", "Φ", "F.gelu(x)", "gaussian error F.gelu"]
    assert got["ports"] == ["x"]
    assert got["written"] == "y = F.gelu(x)"
