"""Course-style code for one training step's loss, in the form ``parse_code`` reads (graph view).

The weights are drawn as the seminar writes them, ``(torch.rand(out, in) * 2 - 1) / in ** 0.5``,
from ``torch.manual_seed(seed)``: the same random numbers, in the same order, as the trained
network's ``nn.Linear`` initialisation, so the code's loss is the network's initial loss (to float
rounding).
"""

from __future__ import annotations

import torch

from nla_explorer.engine.training.least_squares import LeastSquaresConfig
from nla_explorer.engine.training.loop import Network, training_data
from nla_explorer.engine.training.config import TrainConfig

_ACTIVATION_CODE = {"sigmoid": "torch.sigmoid", "tanh": "torch.tanh", "relu": "torch.relu"}


def training_step_code(config: TrainConfig) -> str:
    """The loss of the first training step of ``config``'s network, as course code."""
    act = _ACTIVATION_CODE[config.activation]
    lines = ["import torch", "import torch.nn.functional as F", ""]
    if config.network == "course":
        lines += [f"# the course network: the {config.points} values of x are one sample",
                  f"m = n = {config.points}", f"p = {config.hidden}",
                  f"torch.manual_seed({config.seed})",
                  _weight("W", "p, m", "m"), _weight("A", "n, p", "p"), _weight("B", "n", "p")]
    else:
        lines += ["# the per-point network 1 → p → 1, applied to each x",
                  f"m = {config.points}", f"p = {config.hidden}",
                  f"torch.manual_seed({config.seed})",
                  _weight("W1", "p, 1", None), _weight("b1", "p", None),
                  _weight("W2", "1, p", "p"), _weight("b2", "1", "p")]
    lines += ["x_vals = torch.linspace(-1, 1, m)", _target_line(config)]
    if config.network == "course":
        lines += [f"y_pred = F.linear({act}(F.linear(x_vals, W)), A, B)",
                  "loss = F.mse_loss(y_pred, y_vals)"]
    else:
        lines += [f"y_pred = F.linear({act}(F.linear(x_vals[:, None], W1, b1)), W2, b2)",
                  "loss = F.mse_loss(y_pred, y_vals[:, None])"]
    lines.append("loss.backward()")
    return "\n".join(lines) + "\n"


def _weight(name: str, shape: str, fan_in: str | None) -> str:
    """``nn.Linear``'s U(−1/√fan_in, 1/√fan_in) initialisation, written with ``torch.rand``."""
    draw = f"(torch.rand({shape}) * 2 - 1)"
    scaled = f"({draw} / {fan_in} ** 0.5)" if fan_in else draw
    return f"{name} = {scaled}.requires_grad_()"


def _target_line(config: TrainConfig) -> str:
    formula = config.parsed_target().code("x_vals")
    if formula is None:  # no course-code form (step): the target's values, typed in
        data = training_data(config, _generator_after_weights(config))
        values = ", ".join(repr(v) for v in data.y_points.tolist())
        return f"y_vals = torch.tensor([{values}])"
    noise = f" + {config.noise!r} * torch.randn(m)" if config.noise else ""
    return f"y_vals = {formula}{noise}"


def _generator_after_weights(config: TrainConfig) -> torch.Generator:
    """The generator in the state the network's initialisation leaves it (for the noise)."""
    generator = torch.Generator().manual_seed(config.seed)
    Network(config, generator)
    return generator


def least_squares_code(config: LeastSquaresConfig) -> str:
    """The seed's exercise, ‖Ax − y‖² at x₀, as course code (same draws as the demo)."""
    x0 = ("torch.randn(n, requires_grad=True)" if config.init == "random"
          else "torch.zeros(n, requires_grad=True)")
    return ("import torch\n\n"
            f"p, n = {config.rows}, {config.cols}\n"
            f"torch.manual_seed({config.seed})\n"
            "A = torch.randn(p, n)\n"
            "y = torch.randn(p)\n"
            f"x = {x0}\n"
            "loss = ((A @ x - y) ** 2).sum()\n"
            "loss.backward()\n")
