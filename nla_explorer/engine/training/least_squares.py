"""The seed's exercise: minimise ‖Ax − y‖² with ``torch.optim.SGD`` and watch x approach A⁺y.

Plain gradient descent from x₀ converges (for lr < 1/σ_max²) to the solution nearest x₀:
A⁺y + (I − A⁺A)x₀. That is the pseudo-inverse solution A⁺y when A has full column rank or x₀ = 0;
for a wide A (the seed's 3 × 4) and a random x₀ it is not, and the demo shows both distances.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Iterator, Union

import numpy as np
import torch

from nla_explorer.engine.training.config import ConfigError, bound_text

INITS = ("random", "zeros")
LS_BOUNDS: dict[str, tuple[float, float]] = {
    "rows": (1, 200), "cols": (1, 200), "lr": (1e-5, 10.0), "epochs": (1, 10_000),
    "seed": (0, 2**31 - 1),
}


@dataclass(frozen=True)
class LeastSquaresConfig:
    """A p × n system (the seed's 3 × 4 by default), SGD's learning rate, epochs and x₀."""

    rows: int = 3
    cols: int = 4
    lr: float = 0.05
    epochs: int = 300
    init: str = "random"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.init not in INITS:
            raise ConfigError(f"init must be one of {', '.join(INITS)}, not {self.init!r}",
                              culprit="init")
        for name, (low, high) in LS_BOUNDS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{name} must be a number, not {value!r}", culprit=name)
            if name != "lr" and not float(value).is_integer():
                raise ConfigError(f"{name} must be a whole number, not {value!r}", culprit=name)
            if not math.isfinite(value) or not low <= value <= high:
                raise ConfigError(f"{name} = {value:g} is out of range: {name} must be between "
                                  f"{bound_text(low)} and {bound_text(high)}", culprit=name)

    def label(self) -> str:
        return f"{self.rows}×{self.cols} lr={self.lr:.3g} x₀={self.init} E={self.epochs}"


@dataclass(frozen=True, eq=False)
class LeastSquaresStart:
    """The problem: A, y, x₀, the pseudo-inverse solution and where SGD will end up."""

    config: LeastSquaresConfig
    A: np.ndarray
    y: np.ndarray
    x0: np.ndarray
    pinv_solution: np.ndarray
    limit: np.ndarray  # A⁺y + (I − A⁺A)x₀
    lr_limit: float  # SGD on ‖Ax − y‖² converges for lr < 1/σ_max²
    min_loss: float  # ‖A A⁺y − y‖², zero when A has full row rank


@dataclass(frozen=True, eq=False)
class LeastSquaresProgress:
    """One SGD step: the loss at x (before the step) and x's distances to A⁺y and to the limit."""

    epoch: int
    loss: float
    distance: float
    distance_to_limit: float
    x: np.ndarray


@dataclass(frozen=True, eq=False)
class LeastSquaresResult:
    """The end of the run: the loss curve, the final distance to A⁺y, or why it diverged."""

    config: LeastSquaresConfig
    losses: np.ndarray
    distances: np.ndarray
    x: np.ndarray | None
    distance: float | None
    diverged: str | None
    diverged_epoch: int | None
    elapsed_s: float


LeastSquaresItem = Union[LeastSquaresStart, LeastSquaresProgress, LeastSquaresResult]


def least_squares_problem(config: LeastSquaresConfig) -> tuple[torch.Tensor, ...]:
    """A, y and x₀, drawn like the seed (``torch.randn``) from a generator seeded with the seed."""
    g = torch.Generator().manual_seed(config.seed)
    A = torch.randn(config.rows, config.cols, generator=g)
    y = torch.randn(config.rows, generator=g)
    x0 = (torch.randn(config.cols, generator=g) if config.init == "random"
          else torch.zeros(config.cols))
    return A, y, x0


def least_squares_sgd(config: LeastSquaresConfig) -> Iterator[LeastSquaresItem]:
    """SGD on ‖Ax − y‖²: a start item, one progress item per epoch, then a result."""
    started = time.perf_counter()
    A, y, x0 = least_squares_problem(config)
    A64, y64 = A.double(), y.double()
    pinv = torch.linalg.pinv(A64)
    solution = pinv @ y64
    limit = solution + x0.double() - pinv @ (A64 @ x0.double())
    sigma_max = float(torch.linalg.matrix_norm(A64, ord=2))
    lr_limit = 1 / sigma_max ** 2 if sigma_max > 0 else math.inf
    min_loss = float(((A64 @ solution - y64) ** 2).sum())
    yield LeastSquaresStart(config, A.numpy(), y.numpy(), x0.numpy().copy(), solution.numpy(),
                            limit.numpy(), lr_limit, min_loss)
    x = x0.clone().requires_grad_()
    optimizer = torch.optim.SGD([x], lr=config.lr)
    solution32, limit32 = solution.float(), limit.float()
    losses: list[float] = []
    distances: list[float] = []
    for epoch in range(config.epochs):
        optimizer.zero_grad()
        loss = ((A @ x - y) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            value, distance, to_limit = torch.stack((
                loss, torch.linalg.vector_norm(x - solution32),
                torch.linalg.vector_norm(x - limit32))).tolist()
        if not (math.isfinite(value) and math.isfinite(distance)):
            reason = (f"loss became {value} at epoch {epoch}: learning rate {config.lr:g} is above "
                      f"1/σ_max² = {lr_limit:.3g}, so SGD on ‖Ax − y‖² diverges")
            yield LeastSquaresResult(config, np.asarray(losses), np.asarray(distances), None, None,
                                     reason, epoch, time.perf_counter() - started)
            return
        losses.append(value)
        distances.append(distance)
        yield LeastSquaresProgress(epoch, value, distance, to_limit, x.detach().numpy().copy())
        optimizer.step()
    final = x.detach()
    distance = float(torch.linalg.vector_norm(final.double() - solution))
    yield LeastSquaresResult(config, np.asarray(losses), np.asarray(distances),
                             final.numpy().copy(), distance, None, None,
                             time.perf_counter() - started)
