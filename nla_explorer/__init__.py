"""NLA Explorer: see automatic differentiation — autograd graphs, values, gradients, the backward pass."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "explore", "recording"]


def explore(tensor, names=None, title: str = "", model=None, recorder=None):
    """Open the explorer window on ``tensor``'s autograd graph.

    ``names`` maps variable names to tensors; by default the caller's local variables are used.
    ``model``: an ``nn.Module`` (named by the caller's variable that holds it, else "model") or a
    dict name → module; its parameters are named ``net.0.weight`` and nodes made inside a
    :func:`recording` show their module. ``recorder``: the recording that ran the forward (default:
    the latest one, if it made the tensor). Returns at once inside a running Qt application, else
    runs one until the window closes.
    """
    import inspect

    from nla_explorer.app import explore as _explore

    frame = inspect.currentframe()
    caller = frame.f_back if frame is not None else None
    scope = dict(caller.f_locals) if caller is not None else {}
    del frame, caller
    if model is not None:
        from nla_explorer.engine.recording import model_names

        model = model_names(model, scope)
    return _explore(tensor, names=scope if names is None else names, title=title, model=model,
                    recorder=recorder)


def recording(limit: int | None = None):
    """``with nla_explorer.recording(): loss = f(x)`` records every op's value (and the module that
    made it) so that ``explore(loss)`` shows them all; ``limit``: the most elements kept per value."""
    from nla_explorer.engine.recording import recording as _recording

    return _recording() if limit is None else _recording(limit)
