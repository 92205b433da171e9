"""Train the course's polynomial-fit network, yielding plain per-epoch progress (no Qt, no plots).

``train(config)`` is a generator: a :class:`TrainStart` (the data and the untrained fit), then one
:class:`TrainProgress` per epoch, then a :class:`TrainResult`. With the default config it reproduces
the seed notebook exactly: the same ``nn.Linear`` initialisation for the same seed, x = linspace(-1,
1, m), MSE loss, Adam with lr 0.01 for 100 epochs; the loss of each epoch is the one the notebook's
loop computes before its ``optimizer.step()``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Iterator, Union

import numpy as np
import torch
import torch.nn.functional as F

from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.timing.devices import parse_device, unavailable_reason
from nla_explorer.engine.training.config import (
    GRID_POINTS, MOMENTUM, OPTIMIZER_LABELS, ConfigError, TrainConfig,
)

_ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


@dataclass(frozen=True, eq=False)
class TrainStart:
    """The data of a run and the untrained network's fit, sent before the first epoch."""

    config: TrainConfig
    x_points: np.ndarray
    y_points: np.ndarray  # the training targets (with noise, if any)
    x_grid: np.ndarray
    y_grid: np.ndarray  # the exact target on the grid
    prediction: np.ndarray  # at the training points
    grid_prediction: np.ndarray | None  # per-point network only


@dataclass(frozen=True, eq=False)
class TrainProgress:
    """One epoch: its loss (before the step, as the seed prints it) and the fit that gave it."""

    epoch: int  # 0-based, like the seed's ``for epoch in range(100)``
    loss: float
    prediction: np.ndarray
    grid_prediction: np.ndarray | None
    grad_norm: float
    weight_norm: float


@dataclass(frozen=True, eq=False)
class TrainResult:
    """The end of a run: every finite loss, the trained fit, or why it diverged."""

    config: TrainConfig
    losses: np.ndarray
    fit_error: float | None  # MSE at the training points after the last step
    grid_error: float | None  # per-point network: MSE against the exact target on the grid
    prediction: np.ndarray | None
    grid_prediction: np.ndarray | None
    diverged: str | None
    diverged_epoch: int | None
    elapsed_s: float

    @property
    def final_loss(self) -> float | None:
        return float(self.losses[-1]) if len(self.losses) else None


TrainItem = Union[TrainStart, TrainProgress, TrainResult]


class Network:
    """The course network (m values → p → m outputs at once) or the per-point one (1 → p → 1).

    Weights are drawn like ``nn.Linear`` (Kaiming-uniform, then the bias), layer by layer in the
    seed's order, from ``generator``: the same seed gives the same weights as the notebook's Net.
    """

    def __init__(self, config: TrainConfig, generator: torch.Generator) -> None:
        self.course = config.network == "course"
        self.activation = _ACTIVATIONS[config.activation]
        p = config.hidden
        width = config.points if self.course else 1
        self.w1, self.b1 = _linear(p, width, not self.course, generator)
        self.w2, self.b2 = _linear(width, p, True, generator)
        self.parameters = [t for t in (self.w1, self.b1, self.w2, self.b2) if t is not None]

    def shape_input(self, x: torch.Tensor) -> torch.Tensor:
        """The course net reads the m values as one sample; the per-point net one x per row."""
        return x if self.course else x[:, None]

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.linear(self.activation(F.linear(inputs, self.w1, self.b1)), self.w2, self.b2)

    def to(self, device: torch.device) -> "Network":
        """The same weights as leaves on ``device`` (drawn on the CPU: the same numbers on
        every device)."""
        if device.type != "cpu":
            for name in ("w1", "b1", "w2", "b2"):
                t = getattr(self, name)
                if t is not None:
                    setattr(self, name, t.detach().to(device).requires_grad_())
            self.parameters = [t for t in (self.w1, self.b1, self.w2, self.b2) if t is not None]
        return self

    def weight_norm(self) -> torch.Tensor:
        return torch.linalg.vector_norm(torch.stack(
            [torch.linalg.vector_norm(t) for t in self.parameters]))

    def grad_norm(self) -> torch.Tensor:
        return torch.linalg.vector_norm(torch.stack(
            [torch.linalg.vector_norm(t.grad) for t in self.parameters]))


def _linear(out_features: int, in_features: int, bias: bool,
            generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``nn.Linear.reset_parameters`` with an explicit generator (no global RNG touched)."""
    weight = torch.empty(out_features, in_features)
    torch.nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    weight.requires_grad_()
    if not bias:
        return weight, None
    bound = 1 / math.sqrt(in_features)
    b = torch.empty(out_features)
    torch.nn.init.uniform_(b, -bound, bound, generator=generator)
    return weight, b.requires_grad_()


def make_optimizer(config: TrainConfig, parameters: list[torch.Tensor]) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=config.lr)
    momentum = MOMENTUM if config.optimizer == "momentum" else 0.0
    return torch.optim.SGD(parameters, lr=config.lr, momentum=momentum)


@dataclass(frozen=True, eq=False)
class TrainingData:
    """The training points and targets of a config, and the exact target on a dense grid."""

    x_points: torch.Tensor
    y_points: torch.Tensor
    x_grid: torch.Tensor
    y_grid: torch.Tensor


def training_data(config: TrainConfig, generator: torch.Generator) -> TrainingData:
    """x = linspace(-1, 1, m), y = target(x), plus noise drawn from ``generator`` if any."""
    target = config.parsed_target()
    x = torch.linspace(-1, 1, config.points)
    y = target.values(x)
    if config.noise:
        y = y + config.noise * torch.randn(config.points, generator=generator)
    grid = torch.linspace(-1, 1, GRID_POINTS)
    return TrainingData(x, y, grid, target.values(grid))


def build(config: TrainConfig) -> tuple[Network, TrainingData]:
    """The network and data of ``config``; the same calls in the same order as the seed."""
    generator = torch.Generator().manual_seed(config.seed)
    net = Network(config, generator)
    return net, training_data(config, generator)


def train(config: TrainConfig, grid_every: int = 1,
          device: str | torch.device = "cpu") -> Iterator[TrainItem]:
    """Train ``config``: a :class:`TrainStart`, one :class:`TrainProgress` per epoch, a result.

    Stops at the first non-finite loss, with the reason in ``TrainResult.diverged``. The per-point
    network's fit on the dense grid is computed every ``grid_every`` epochs (else ``None``).
    ``device``: where the network trains (``cuda``: on the GPU); its weights and data are drawn
    on the CPU first, so every device starts from the same numbers.
    """
    started = time.perf_counter()
    device = training_device(device)
    net, data = build(config)
    net.to(device)
    inputs = net.shape_input(data.x_points.to(device))
    targets = net.shape_input(data.y_points.to(device))
    grid_inputs = None if net.course else net.shape_input(data.x_grid.to(device))
    optimizer = make_optimizer(config, net.parameters)
    with torch.no_grad():
        first = _flat(net(inputs))
        first_grid = None if grid_inputs is None else _flat(net(grid_inputs))
    yield TrainStart(config, data.x_points.numpy(), data.y_points.numpy(), data.x_grid.numpy(),
                     data.y_grid.numpy(), first, first_grid)
    losses: list[float] = []
    for epoch in range(config.epochs):
        optimizer.zero_grad()
        prediction = net(inputs)
        loss = F.mse_loss(prediction, targets)
        loss.backward()
        grid = None
        if grid_inputs is not None and (epoch % grid_every == 0 or epoch == config.epochs - 1):
            with torch.no_grad():
                grid = _flat(net(grid_inputs))
        with torch.no_grad():
            numbers = torch.stack((loss.detach(), net.grad_norm(), net.weight_norm())).tolist()
        value = numbers[0]
        if not math.isfinite(value):
            reason = (f"loss became {value} at epoch {epoch}: learning rate {config.lr:g} is too "
                      f"large for {OPTIMIZER_LABELS[config.optimizer]}")
            yield TrainResult(config, np.asarray(losses), None, None, None, None, reason, epoch,
                              time.perf_counter() - started)
            return
        losses.append(value)
        yield TrainProgress(epoch, value, _flat(prediction.detach()), grid, numbers[1], numbers[2])
        optimizer.step()
    yield _result(config, net, data, inputs, targets, grid_inputs, losses, started)


def _result(config: TrainConfig, net: Network, data: TrainingData, inputs: torch.Tensor,
            targets: torch.Tensor, grid_inputs: torch.Tensor | None, losses: list[float],
            started: float) -> TrainResult:
    with torch.no_grad():
        out = net(inputs)
        fit_error = F.mse_loss(out, targets).item()
        grid_out = None if grid_inputs is None else net(grid_inputs)
        grid_error = None if grid_out is None else F.mse_loss(
            grid_out, net.shape_input(data.y_grid.to(grid_out.device))).item()
    diverged = None
    if not math.isfinite(fit_error):
        diverged = (f"loss became {fit_error} after the last step: learning rate {config.lr:g} is "
                    f"too large for {OPTIMIZER_LABELS[config.optimizer]}")
    return TrainResult(config, np.asarray(losses), fit_error if diverged is None else None,
                       grid_error if diverged is None else None, _flat(out),
                       None if grid_out is None else _flat(grid_out), diverged,
                       config.epochs if diverged else None, time.perf_counter() - started)


def _flat(t: torch.Tensor) -> np.ndarray:
    return t.detach().reshape(-1).cpu().numpy().copy()


def training_device(device: str | torch.device) -> torch.device:
    """``device`` as a torch.device this machine has; a :class:`ConfigError` naming it else."""
    try:
        parsed = device if isinstance(device, torch.device) else parse_device(str(device))
    except EngineError as exc:
        raise ConfigError(str(exc), culprit="device") from None
    reason = unavailable_reason(parsed)
    if reason is not None:
        raise ConfigError(f"cannot train on {device}: {reason}", culprit="device")
    return parsed


def warm_up() -> None:
    """Import what the first optimiser step imports (``torch.optim`` loads ``torch._dynamo``, ~1 s).

    Call it once in a worker thread so the first run started from a slider is not the slow one.
    """
    weight = torch.zeros(1, requires_grad=True)
    for optimizer in (torch.optim.Adam([weight]), torch.optim.SGD([weight], lr=0.1)):
        optimizer.zero_grad()
        (weight * weight).sum().backward()
        optimizer.step()


def run_to_end(config: TrainConfig, device: str | torch.device = "cpu") -> TrainResult:
    """Train without keeping the progress (CLI, tests, benchmarks)."""
    item = None
    for item in train(config, grid_every=max(config.epochs, 1), device=device):
        pass
    return item
