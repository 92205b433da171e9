"""The settings of one training run of the polynomial-fit demo, checked against their bounds."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch

from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.training.targets import DEFAULT_TARGET, Target, parse_target

NETWORKS = ("course", "per_point")
ACTIVATIONS = ("sigmoid", "tanh", "relu")
OPTIMIZERS = ("sgd", "momentum", "adam")
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "SGD+momentum", "adam": "Adam"}
NETWORK_LABELS = {"course": "course network (m → p → m)",
                  "per_point": "per-point network (1 → p → 1)"}
MOMENTUM = 0.9
#: Points of the dense x grid on which targets and the per-point network are drawn.
GRID_POINTS = 201

#: Inclusive bounds of the numeric settings: (low, high).
BOUNDS: dict[str, tuple[float, float]] = {
    "hidden": (1, 512), "lr": (1e-5, 10.0), "epochs": (1, 10_000), "points": (2, 1000),
    "noise": (0.0, 10.0), "seed": (0, 2**31 - 1),
}
_INTEGERS = ("hidden", "epochs", "points", "seed")


class ConfigError(ExpressionError):
    """A training setting out of range; ``culprit`` is the field's name."""


@dataclass(frozen=True)
class TrainConfig:
    """One run; the defaults are the seed's: 20 → 10 → 20 sigmoid net, Adam 0.01, 100 epochs."""

    network: str = "course"
    hidden: int = 10
    lr: float = 0.01
    epochs: int = 100
    points: int = 20
    activation: str = "sigmoid"
    optimizer: str = "adam"
    target: str = DEFAULT_TARGET
    noise: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        validate(self)

    def to_dict(self) -> dict:
        return asdict(self)

    def parsed_target(self) -> Target:
        return parse_target(self.target)

    def label(self) -> str:
        """A short description for legends: ``p=10 lr=0.01 Adam sigmoid m=20``."""
        net = "course" if self.network == "course" else "per-point"
        extra = "" if self.target == DEFAULT_TARGET else f" y={self.target}"
        extra += f" noise={self.noise:g}" if self.noise else ""
        return (f"{net} p={self.hidden} lr={self.lr:.3g} {OPTIMIZER_LABELS[self.optimizer]} "
                f"{self.activation} m={self.points} E={self.epochs}{extra}")

    def weight_count(self) -> int:
        p, m = self.hidden, self.points
        return p * m + m * p + m if self.network == "course" else 3 * p + 1


def bound_text(value: float) -> str:
    """``10,000`` and ``2,147,483,647`` for whole numbers, ``1e-05`` for the rest."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def validate(config: TrainConfig) -> None:
    """Raise :class:`ConfigError` naming the first bad field and its allowed values."""
    for name, allowed in (("network", NETWORKS), ("activation", ACTIVATIONS),
                          ("optimizer", OPTIMIZERS)):
        value = getattr(config, name)
        if value not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {value!r}",
                              culprit=name)
    for name, (low, high) in BOUNDS.items():
        value = getattr(config, name)
        integer = name in _INTEGERS
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                integer and not float(value).is_integer()):
            kind = "a whole number" if integer else "a number"
            raise ConfigError(f"{name} must be {kind}, not {value!r}", culprit=name)
        if not math.isfinite(value) or not low <= value <= high:
            raise ConfigError(f"{name} = {value:g} is out of range: {name} must be between "
                              f"{bound_text(low)} and {bound_text(high)}", culprit=name)
    if not isinstance(config.target, str):
        raise ConfigError("target must be a formula in x", culprit="target")
    try:  # at the training points and on the plotting grid: refused now, not mid-run
        target = parse_target(config.target)
        target.values(torch.linspace(-1, 1, config.points))
        target.values(torch.linspace(-1, 1, GRID_POINTS))
    except ExpressionError as exc:
        raise ConfigError(str(exc), culprit="target") from None


def config_from(values: dict) -> TrainConfig:
    """A config from a mapping (CLI, session); unknown keys are refused by name."""
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"unknown training setting '{unknown[0]}' "
                          f"(known: {', '.join(sorted(known))})", culprit=unknown[0])
    values = dict(values)
    for name in _INTEGERS:
        if isinstance(values.get(name), float) and values[name].is_integer():
            values[name] = int(values[name])
    return TrainConfig(**values)
