"""The course examples, registered by name; each reproduces a cell of the seminar notebooks."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nla_explorer.engine.code import course_classes
from nla_explorer.engine.code.parser import parse_code
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.code.evaluation import Evaluation, evaluate
from nla_explorer.engine.expression import Expression


@dataclass(frozen=True)
class ManualGradient:
    """A gradient written by hand in the course, to show beside autograd's."""

    leaf: str  # the variable it is the gradient of (or the named Jacobian/Hessian it gives)
    label: str
    formula: str  # code in the whitelist, reading the example's tensors


@dataclass(frozen=True)
class Example:
    name: str
    title: str
    source: str  # notebook and cell it comes from
    description: str
    code: str
    manual: tuple[ManualGradient, ...] = ()

    def expression(self) -> Expression:
        return parse_code(self.code)


_QUADRATIC = """\
import torch

n = 5
torch.manual_seed(0)
A = torch.randn((n, n), requires_grad=True)
b = torch.randn((n,))
x = torch.randn((n,), requires_grad=True)

f = 0.5 * x @ A @ x - b @ x
"""

_MANUAL_X = "0.5 * (A + A.t()) @ x - b"
_MANUAL_A = "0.5 * torch.ger(x, x)"

EXAMPLES: dict[str, Example] = {}


def _register(example: Example) -> None:
    EXAMPLES[example.name] = example


_register(Example(
    "quadratic", "f = ½ xᵀAx − bᵀx",
    "000 'NLA and neural networks', In [18]–[21]",
    "The seminar's quadratic form: autograd's x.grad and A.grad equal the manual "
    "½(A+Aᵀ)x − b and ½ x xᵀ.",
    _QUADRATIC + "f.backward()\n",
    (ManualGradient("x", "manual ½(A+Aᵀ)x − b", _MANUAL_X),
     ManualGradient("A", "manual ½ x xᵀ", _MANUAL_A)),
))
_register(Example(
    "quadratic_squared", "g = f · f",
    "001 'Семинар 4', In [5]–[7]",
    "g = f², so the chain rule multiplies by 2f: autograd's gradient differs from the seminar's "
    "'manual' ½(A+Aᵀ)x − b, which is the gradient of f, not of g.",
    _QUADRATIC + "g = f * f\ng.backward()\n",
    (ManualGradient("x", "seminar's manual ½(A+Aᵀ)x − b (gradient of f)", _MANUAL_X),
     ManualGradient("x", "chain rule 2f · (½(A+Aᵀ)x − b)", f"2 * f * ({_MANUAL_X})"),
     ManualGradient("A", "seminar's manual ½ x xᵀ (gradient of f)", _MANUAL_A),
     ManualGradient("A", "chain rule 2f · ½ x xᵀ", f"2 * f * {_MANUAL_A}")),
))
_register(Example(
    "norm", "y = ‖x‖₂",
    "002 'Pytorch's Gradient Computation', exercise 1",
    "The gradient of the 2-norm is x / ‖x‖₂.",
    "import torch\n\ntorch.manual_seed(0)\nx = torch.randn(4, requires_grad=True)\n"
    "y = torch.norm(x, p='fro')\ny.backward()\n",
    (ManualGradient("x", "manual x / ‖x‖₂", "x / torch.norm(x)"),),
))
_register(Example(
    "relu_layer", "‖max(0, Ax + b)‖₂",
    "002 'Defining functions in Pytorch', exercises 3–4",
    "A fully connected ReLU layer and the norm of its output; b requires grad here so that the "
    "exercise's gradient with respect to b can be seen.",
    "import torch\n\nd0, d1 = 4, 3\ntorch.manual_seed(0)\nx = torch.randn(d0, requires_grad=True)\n"
    "A = torch.randn(d1, d0, requires_grad=True)\nb = torch.randn(d1, requires_grad=True)\n"
    "y = torch.relu(A @ x + b)\nout = torch.norm(y)\nout.backward()\n",
    (ManualGradient("A", "manual (y/‖y‖) xᵀ", "torch.outer(y / out, x)"),
     ManualGradient("b", "manual y/‖y‖", "y / out"),
     ManualGradient("x", "manual Aᵀ (y/‖y‖)", "A.t() @ (y / out)")),
))
_register(Example(
    "least_squares", "‖Ax − y‖₂²",
    "002 'Gradient Descent in Pytorch', exercise 2",
    "The least-squares loss whose minimiser is the pseudo-inverse solution; its gradient is "
    "2Aᵀ(Ax − y).",
    "import torch\n\np, n = 3, 4\ntorch.manual_seed(0)\nA = torch.randn(p, n)\ny = torch.randn(p)\n"
    "x = torch.randn(n, requires_grad=True)\nloss = torch.norm(A @ x - y) ** 2\nloss.backward()\n",
    (ManualGradient("x", "manual 2Aᵀ(Ax − y)", "2 * A.t() @ (A @ x - y)"),),
))
_register(Example(
    "inverse_matrix", "B = A⁻¹ by a custom Function",
    "002 'Defining new functions', exercise 5",
    "The course's InverseMatrix autograd.Function, with the hand-written backward "
    "−A⁻ᵀ (∂L/∂B) A⁻ᵀ; A is shifted by n·I to keep it well conditioned.",
    "import torch\nfrom torch.autograd import Function\n\n\n" + course_classes.source("InverseMatrix")
    + "\n\nn = 4\ntorch.manual_seed(0)\nA = (torch.randn(n, n) + n * torch.eye(n)).requires_grad_()\n"
    "B = InverseMatrix.apply(A)\nL = B.sum()\nL.backward()\n",
    (ManualGradient("A", "manual −A⁻ᵀ 𝟙 A⁻ᵀ",
                    "-torch.inverse(A).t() @ torch.ones(n, n) @ torch.inverse(A).t()"),),
))
_register(Example(
    "polyfit_net", "20 → 10 → 20 sigmoid net on x³ − x",
    "003 'Basics of Neural Networks', the Net and its loss",
    "The course network: Linear(20, 10, bias=False), sigmoid, Linear(10, 20), MSE loss against "
    "x³ − x sampled at 20 points (weights initialised like nn.Linear).",
    "import torch\nimport torch.nn.functional as F\n\nm = n = 20\np = 10\ntorch.manual_seed(0)\n"
    "x_vals = torch.linspace(-1, 1, m)\ny_vals = x_vals ** 3 - x_vals\n"
    "W = ((torch.rand(p, m) * 2 - 1) / m ** 0.5).requires_grad_()\n"
    "A = ((torch.rand(n, p) * 2 - 1) / p ** 0.5).requires_grad_()\n"
    "B = ((torch.rand(n) * 2 - 1) / p ** 0.5).requires_grad_()\n"
    "y_pred = F.linear(torch.sigmoid(F.linear(x_vals, W)), A, B)\n"
    "loss = F.mse_loss(y_pred, y_vals)\nloss.backward()\n",
))
_register(Example(
    "sum_squares", "L = Σ xᵢ²",
    "003 'Pytorch primitives', scalar.backward()",
    "The exact gradient 2x of a sum of squares, as opposed to np.gradient's numerical estimate.",
    "import torch\n\nx = torch.linspace(1, 10, 10, requires_grad=True)\nscalar = (x ** 2).sum()\n"
    "scalar.backward()\n",
    (ManualGradient("x", "manual 2x", "2 * x"),),
))
_register(Example(
    "hessian_quadratic", "H = ∇²(½ xᵀAx − bᵀx)",
    "000 'NLA and neural networks', In [18]–[21], second derivatives",
    "The Hessian of the seminar's quadratic form, by torch.autograd.functional.hessian of the "
    "whole function: it equals ½(A + Aᵀ), whatever x is.",
    _QUADRATIC + "f.backward()\n"
    "H = torch.autograd.functional.hessian(lambda x: 0.5 * x @ A @ x - b @ x, x)\n",
    (ManualGradient("x", "manual ½(A+Aᵀ)x − b", _MANUAL_X),
     ManualGradient("H", "closed form ½(A + Aᵀ)", "0.5 * (A + A.t())")),
))
_register(Example(
    "tanh_net_jacobian", "J = ∂/∂x (W₂ tanh(W₁x + b₁) + b₂)",
    "003 'Basics of Neural Networks', a two-layer net's Jacobian",
    "The Jacobian of a 2-layer tanh network with respect to its input, by "
    "torch.autograd.functional.jacobian: by the chain rule it is W₂ diag(1 − tanh²(W₁x + b₁)) W₁; "
    "the backward pass of L = Σ y gives x.grad = 𝟙ᵀJ, the Jacobian's column sums.",
    "import torch\n\ntorch.manual_seed(0)\nx = torch.randn(3, requires_grad=True)\n"
    "W1 = torch.randn(4, 3)\nb1 = torch.randn(4)\nW2 = torch.randn(2, 4)\nb2 = torch.randn(2)\n"
    "y = W2 @ torch.tanh(W1 @ x + b1) + b2\n"
    "J = torch.autograd.functional.jacobian(lambda x: W2 @ torch.tanh(W1 @ x + b1) + b2, x)\n"
    "L = y.sum()\nL.backward()\n",
    (ManualGradient("J", "closed form W₂ diag(1 − tanh²(W₁x + b₁)) W₁",
                    "W2 @ torch.diag(1 - torch.tanh(W1 @ x + b1) ** 2) @ W1"),
     ManualGradient("x", "𝟙ᵀJ: the Jacobian's column sums", "J.sum(0)")),
))


def get_example(name: str) -> Example:
    if name not in EXAMPLES:
        raise ExpressionError(f"unknown example '{name}' (known: {', '.join(EXAMPLES)})",
                              culprit=name)
    return EXAMPLES[name]


def manual_gradients(example: Example, evaluation: Evaluation) -> list[tuple[ManualGradient,
                                                                           torch.Tensor]]:
    """Evaluate each manual formula on the example's (detached) tensors."""
    tensors = {k: v.detach() for k, v in evaluation.names().items()}
    numbers = "".join(f"{k} = {v!r}\n" for k, v in evaluation.expression.numbers)
    out = []
    for manual in example.manual:
        expr = parse_code(numbers + manual.formula, inputs=tensors)
        out.append((manual, evaluate(expr, inputs=tensors).output.detach()))
    return out
