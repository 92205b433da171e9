"""The block catalogue: every op the code form and the block editor know, as plain data.

Adding an op is one ``_op(...)`` line: its key, category, formula and the spellings (forms) code may use:
an operator (``"@"``), a function path (``"torch.matmul"``, ``"torch.nn.functional.relu"``), a method
(``".matmul"``) or an attribute (``"attr:T"``). Only forms listed here can ever be called.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import torch

from nla_explorer.engine.autograd.custom_functions import CUSTOM_FUNCTIONS


@dataclass(frozen=True)
class OpSpec:
    """One block kind. ``forms[0]`` is how a new block of this kind is written in code."""

    key: str
    category: str
    formula: str
    forms: tuple[str, ...]
    arity: int = 1  # tensor inputs of a block (-1: a list of tensors)
    constructor: bool = False
    random: bool = False
    statement: bool = False  # code-only (backward calls, in-place updates): not in the palette

    @property
    def label(self) -> str:
        return self.key


CATALOGUE: dict[str, OpSpec] = {}


def _op(key, category, formula, *forms, arity=1, constructor=False, random=False,
        statement=False):
    CATALOGUE[key] = OpSpec(key, category, formula, forms, arity, constructor, random, statement)


F = "torch.nn.functional."
# inputs (constructors); parameters are the same blocks with requires_grad=True
_op("randn", "inputs", "samples of N(0, 1)", "torch.randn", arity=0, constructor=True, random=True)
_op("rand", "inputs", "samples of U[0, 1)", "torch.rand", arity=0, constructor=True, random=True)
_op("zeros", "inputs", "all zeros", "torch.zeros", arity=0, constructor=True)
_op("ones", "inputs", "all ones", "torch.ones", arity=0, constructor=True)
_op("full", "inputs", "every entry = value", "torch.full", arity=0, constructor=True)
_op("eye", "inputs", "identity matrix I", "torch.eye", arity=0, constructor=True)
_op("linspace", "inputs", "evenly spaced points in [start, end]", "torch.linspace", arity=0,
    constructor=True)
_op("arange", "inputs", "start, start+step, ... < end", "torch.arange", arity=0, constructor=True)
_op("tensor", "inputs", "a matrix typed in", "torch.tensor", arity=0, constructor=True)
_op("manual_seed", "inputs", "seed the random generator", "torch.manual_seed", arity=0)
_op("requires_grad_", "inputs", "make a leaf a parameter", ".requires_grad_")
# arithmetic
_op("add", "arithmetic", "a + b", "+", "torch.add", ".add", arity=2)
_op("sub", "arithmetic", "a − b", "-", "torch.sub", ".sub", arity=2)
_op("mul", "arithmetic", "a ⊙ b (elementwise)", "*", "torch.mul", ".mul", arity=2)
_op("div", "arithmetic", "a / b (elementwise)", "/", "torch.div", ".div", arity=2)
_op("pow", "arithmetic", "aᵇ (elementwise)", "**", "torch.pow", ".pow", arity=2)
_op("neg", "arithmetic", "−a", "u-", "torch.neg", ".neg")
# linear algebra
_op("matmul", "linear algebra", "A B", "@", "torch.matmul", ".matmul", arity=2)
_op("mm", "linear algebra", "A B (matrices)", "torch.mm", ".mm", arity=2)
_op("mv", "linear algebra", "A x", "torch.mv", ".mv", arity=2)
_op("dot", "linear algebra", "xᵀ y", "torch.dot", ".dot", arity=2)
_op("outer", "linear algebra", "x yᵀ", "torch.outer", "torch.ger", ".outer", ".ger", arity=2)
_op("t", "linear algebra", "Aᵀ", ".t", "torch.t")
_op("T", "linear algebra", "Aᵀ", "attr:T")
_op("transpose", "linear algebra", "swap two dims", ".transpose", "torch.transpose")
_op("inverse", "linear algebra", "A⁻¹", "torch.inverse", ".inverse")
_op("inv", "linear algebra", "A⁻¹", "torch.linalg.inv")
_op("det", "linear algebra", "det A", "torch.det", ".det", "torch.linalg.det")
_op("solve", "linear algebra", "A⁻¹ b", "torch.linalg.solve", arity=2)
_op("trace", "linear algebra", "tr A = Σ Aᵢᵢ", "torch.trace", ".trace")
_op("diag", "linear algebra", "diagonal ↔ diagonal matrix", "torch.diag", ".diag")
_op("norm", "linear algebra", "‖x‖₂", "torch.norm", ".norm", "torch.linalg.norm")
_op("inverse_matrix", "linear algebra", "A⁻¹, custom backward −A⁻ᵀ G A⁻ᵀ",
    "custom:InverseMatrix.apply")
# shape
_op("reshape", "shape", "same values, new shape", ".reshape", "torch.reshape")
_op("view", "shape", "same storage, new shape", ".view")
_op("index", "shape", "x[i], x[a:b], x[:, None]", "[]")
_op("cat", "shape", "join along a dim", "torch.cat", arity=-1)
_op("stack", "shape", "stack along a new dim", "torch.stack", arity=-1)
_op("unsqueeze", "shape", "insert a dim of size 1", ".unsqueeze", "torch.unsqueeze")
_op("squeeze", "shape", "drop dims of size 1", ".squeeze", "torch.squeeze")
# reductions
_op("sum", "reductions", "Σ xᵢ", ".sum", "torch.sum")
_op("mean", "reductions", "(1/n) Σ xᵢ", ".mean", "torch.mean")
_op("max", "reductions", "max xᵢ", "torch.amax", ".amax")
# elementwise
for _name, _formula in [("abs", "|x|"), ("sqrt", "√x"), ("exp", "eˣ"), ("log", "ln x"),
                        ("sin", "sin x"), ("cos", "cos x")]:
    _op(_name, "elementwise", _formula, f"torch.{_name}", f".{_name}")
_op("maximum", "elementwise", "max(a, b) elementwise", "torch.maximum", ".maximum", arity=2)
_op("clamp", "elementwise", "min(max(x, lo), hi)", "torch.clamp", ".clamp")
# activations
_op("relu", "activations", "max(0, x)", "torch.relu", F + "relu", ".relu")
_op("sigmoid", "activations", "1 / (1 + e⁻ˣ)", "torch.sigmoid", F + "sigmoid", ".sigmoid")
_op("tanh", "activations", "tanh x", "torch.tanh", F + "tanh", ".tanh")
_op("softmax", "activations", "eˣⁱ / Σ eˣʲ", "torch.softmax", F + "softmax", ".softmax")
_op("log_softmax", "activations", "xᵢ − log Σ eˣʲ", "torch.log_softmax", F + "log_softmax",
    ".log_softmax")
_op("linear", "activations", "x Wᵀ + b (a layer)", F + "linear", arity=3)
# losses
_op("mse_loss", "losses", "mean (ŷ − y)²", F + "mse_loss", arity=2)
_op("cross_entropy", "losses", "−log softmax(z)[target]", F + "cross_entropy", arity=2)
# pooling
_op("max_pool1d", "pooling", "max over windows (1-d)", F + "max_pool1d")
_op("max_pool2d", "pooling", "max over windows (2-d)", F + "max_pool2d")

# autograd and in-place updates: code only, executed exactly as Python would (torch's own errors)
_op("backward", "autograd", "run the backward pass", ".backward", "torch.autograd.backward",
    statement=True)
_op("grad", "autograd", "gradients of outputs w.r.t. inputs", "torch.autograd.grad",
    statement=True)
_op("grad_of", "autograd", "the .grad a backward pass left", "attr:grad", statement=True)
_op("set_grad", "autograd", "x.grad = None", "attr=:grad", statement=True)
_op("zero_", "autograd", "set to zero in place", ".zero_", statement=True)
_op("iadd", "in-place", "a += b", "+=", arity=2, statement=True)
_op("isub", "in-place", "a −= b", "-=", arity=2, statement=True)
_op("imul", "in-place", "a *= b", "*=", arity=2, statement=True)
_op("idiv", "in-place", "a /= b", "/=", arity=2, statement=True)

#: Ops whose block makes no new tensor of the graph: they run the autograd engine or change state.
AUTOGRAD_CALLS = frozenset({"backward", "grad"})
#: Augmented assignments: Python calls ``__iadd__`` etc., which torch runs in place.
IN_PLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv}

#: Python operators (``u-`` is unary minus).
OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "**": operator.pow, "@": operator.matmul, "u-": operator.neg,
}

#: form → op key, for every spelling.
FORMS: dict[str, str] = {form: spec.key for spec in CATALOGUE.values() for form in spec.forms}

#: dtypes code may name (``torch.float64``, ``torch.double``...), by canonical name.
DTYPES = {
    "float32": torch.float32, "float": torch.float32, "float64": torch.float64,
    "double": torch.float64, "float16": torch.float16, "half": torch.float16,
    "bfloat16": torch.bfloat16, "int64": torch.int64, "long": torch.int64,
    "int32": torch.int32, "bool": torch.bool,
}


def canonical_dtype(name: str) -> str:
    return str(DTYPES[name]).removeprefix("torch.")


def callable_for(form: str):
    """The function that evaluates ``form``; only forms of the catalogue resolve."""
    if form not in FORMS:
        raise KeyError(form)
    if form in OPERATORS:
        return OPERATORS[form]
    if form in IN_PLACE:
        return IN_PLACE[form]
    if form == "attr=:grad":
        return _set_grad
    if form == "[]":
        return operator.getitem
    if form.startswith("attr:"):
        return operator.attrgetter(form[5:])
    if form.startswith("."):
        return _method(form[1:])
    if form.startswith("custom:"):
        cls_name = form[len("custom:"):].split(".")[0]
        return CUSTOM_FUNCTIONS[cls_name].apply
    target = torch
    for part in form.split(".")[1:]:
        target = getattr(target, part)
    return target


def _set_grad(tensor, value):
    """``tensor.grad = value`` as Python runs it (torch checks the value)."""
    tensor.grad = value


def _method(name: str):
    def call(tensor, *args, **kwargs):
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f".{name}() needs a tensor, got {type(tensor).__name__}")
        return getattr(tensor, name)(*args, **kwargs)
    return call


def categories() -> dict[str, list[OpSpec]]:
    """The catalogue grouped by category, in catalogue order (for the palette)."""
    out: dict[str, list[OpSpec]] = {}
    for spec in CATALOGUE.values():
        if spec.statement:
            continue
        out.setdefault(spec.category, []).append(spec)
    return out
