"""NLA Explorer: see automatic differentiation — autograd graphs, values, gradients, the backward pass."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "explore"]


def explore(tensor, names=None):
    """Open the explorer window on ``tensor``'s autograd graph (blocks until the window closes)."""
    from nla_explorer.app import explore as _explore

    return _explore(tensor, names=names)
