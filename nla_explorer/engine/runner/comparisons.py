"""Inside a Python run: tensors the program compares with a leaf's ``.grad`` (manual vs autograd).

Seen through the forward recorder's calls (``allclose``, ``isclose``, ``equal``, a difference) and
through ``print``: a tensor printed in the same cell as a leaf's gradient, with its shape, is the
program's "manual" gradient of that leaf, as in the course's notebooks.
"""

from __future__ import annotations

import builtins

import torch

from nla_explorer.engine.runner.result import Comparison
from nla_explorer.engine.tensors import snapshot

_COMPARED = {"allclose", "isclose", "equal", "sub", "__sub__", "__rsub__", "dist"}
_RANDOM = {"randn", "rand", "randint", "randperm", "normal", "bernoulli", "multinomial",
           "randn_like", "rand_like", "randint_like", "uniform_", "normal_", "random_",
           "exponential_", "dropout", "rrelu"}


def _storage(t: torch.Tensor) -> tuple | None:
    if t.layout != torch.strided or t.device.type == "meta":
        return None
    return (t.untyped_storage().data_ptr(), tuple(t.shape))


class Comparisons:
    """Collects :class:`Comparison` records while the program runs."""

    def __init__(self, kernel) -> None:
        self.kernel = kernel
        self._found: dict[tuple[str, str], Comparison] = {}
        self._printed: list[torch.Tensor] = []
        original = builtins.print
        watcher = self

        def print_(*args, **kwargs):
            watcher._printed.extend(a for a in args if isinstance(a, torch.Tensor))
            return original(*args, **kwargs)
        print_.__doc__ = original.__doc__
        kernel.namespace["__builtins__"] = {**vars(builtins), "print": print_}

    def on_call(self, func, args, kwargs, out) -> None:
        name = getattr(func, "__name__", "")
        if name in _RANDOM:
            self.kernel.random_draws = True
        elif name in _COMPARED and len(args) >= 2:
            a, b = args[0], args[1]
            if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
                self._pair(a, b, name.strip("_").removeprefix("r"))

    def _pair(self, a: torch.Tensor, b: torch.Tensor, how: str) -> None:
        grads = self._leaf_grads()
        for grad, other in ((a, b), (b, a)):
            leaf = grads.get(_storage(grad))
            if leaf is not None and _storage(other) not in grads and other.shape == grad.shape:
                label = self._name_of(other) or "a tensor of the program"
                self._found.setdefault((leaf, label), Comparison(
                    leaf, label, snapshot(other.detach()), how))

    def end_cell(self) -> None:
        printed, self._printed = self._printed, []
        grads = self._leaf_grads()
        leaves = [(grads[_storage(t)], t) for t in printed if _storage(t) in grads]
        for leaf, grad in leaves:
            for other in printed:
                if _storage(other) not in grads and other.shape == grad.shape:
                    label = self._name_of(other)
                    if label:
                        self._found.setdefault((leaf, label), Comparison(
                            leaf, label, snapshot(other.detach()), "printed beside it"))

    def found(self) -> tuple[Comparison, ...]:
        return tuple(self._found.values())

    def _leaf_grads(self) -> dict[tuple, str]:
        out = {}
        for name, t in self.kernel.names_at(None).items():
            if isinstance(t, torch.Tensor) and t.is_leaf and t.grad is not None:
                key = _storage(t.grad)
                if key is not None:
                    out.setdefault(key, name)
        return out

    def _name_of(self, t: torch.Tensor) -> str | None:
        key = _storage(t)
        for name, value in self.kernel.namespace.items():
            if value is t:
                return name
        for name, value in self.kernel.namespace.items():
            if isinstance(value, torch.Tensor) and not name.startswith("_") and \
                    _storage(value) == key:
                return name
        return None
