"""NLA Explorer: see automatic differentiation — autograd graphs, values, gradients, the backward pass."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "explore"]


def explore(tensor, names=None, title: str = ""):
    """Open the explorer window on ``tensor``'s autograd graph.

    ``names`` maps variable names to tensors; by default the caller's local variables are used.
    Returns at once inside a running Qt application, else runs one until the window closes.
    """
    import inspect

    from nla_explorer.app import explore as _explore

    if names is None:
        frame = inspect.currentframe()
        caller = frame.f_back if frame is not None else None
        names = dict(caller.f_locals) if caller is not None else {}
        del frame, caller
    return _explore(tensor, names=names, title=title)
