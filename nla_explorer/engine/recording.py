"""``recording()``: watch a forward pass in the user's own code, so ``explore`` shows every value.

Without it ``explore(loss)`` only knows what autograd kept: an op that saved no result (``mv`` and
``pow`` in ``torch.tanh(W @ x).pow(2).sum()``) has no value to show. Inside ``with recording():`` a
:class:`ForwardRecorder` snapshots every op's output and :class:`ModuleTags` notes which
``nn.Module`` made each Node. The most recent recording is remembered, so ``explore(loss)`` picks it
up when ``loss`` was made inside it. :func:`capture_tensor` is what ``explore`` shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch

from nla_explorer.engine.autograd.capture import capture
from nla_explorer.engine.autograd.saved_later import capture_first
from nla_explorer.engine.autograd.gc_pause import (
    keep_out_of_collections, no_full_collections, paused_gc,
)
from nla_explorer.engine.autograd.graph import OP, AutogradGraph
from nla_explorer.engine.autograd.module_tags import ModuleLookup, ModuleTags, module_infos
from nla_explorer.engine.autograd.recorder import ForwardRecorder
from nla_explorer.engine.autograd.trace import BackwardTrace, trace_backward
from nla_explorer.engine.autograd.walk import iter_nodes, output_node
from nla_explorer.engine.tensors import FULL_VALUE_LIMIT

MISSING_VALUES = ("values of ops that saved no result show ?; wrap the forward in "
                  "`with nla_explorer.recording():` to see them all")
MISSING_MODULES = ("the nodes show the modules that made them when the forward runs inside "
                   "`with nla_explorer.recording():`")

_latest: "Recording | None" = None  # the recording entered or left most recently


class Recording:
    """One ``with recording():``: every op's forward value, and the module that made each Node.

    Held strongly while it is the latest (``with recording():`` without ``as`` keeps no other
    reference), so its graph stays alive until the next recording starts.
    """

    def __init__(self, limit: int = FULL_VALUE_LIMIT) -> None:
        self.recorder = ForwardRecorder(limit)
        self.tags = ModuleTags(self.recorder)
        self.active = False
        self._collections = None  # no_full_collections() while it records

    def __enter__(self) -> "Recording":
        if self.active:
            raise RuntimeError("this recording is already running; start another with "
                               "nla_explorer.recording()")
        self.recorder.__enter__()
        try:
            self.tags.install()
        except BaseException:
            self.recorder.__exit__(None, None, None)
            raise
        self._collections = no_full_collections()
        self._collections.__enter__()
        self.active = True
        _remember(self)
        return self

    def __exit__(self, *exc) -> None:
        self.active = False
        try:
            self.tags.uninstall()
        finally:
            if self._collections is not None:
                self._collections.__exit__(None, None, None)
                self._collections = None
            self.recorder.__exit__(*exc)
            _remember(self)

    def covers(self, tensor: torch.Tensor) -> bool:
        """Whether any Node of ``tensor``'s graph was made inside this recording."""
        root = output_node(tensor) if isinstance(tensor, torch.Tensor) else None
        if root is None:
            return False
        self.recorder.resolve_pending()
        value_of, module_of = self.recorder.value_of, self.tags.module_of
        return any(value_of(fn) is not None or module_of(fn) is not None
                   for fn in iter_nodes(root))  # (most often the output itself answers)

    def module_of(self, fn: object) -> torch.nn.Module | None:
        """The innermost module whose forward made Node ``fn`` inside this recording."""
        return self.tags.module_of(fn)


def recording(limit: int = FULL_VALUE_LIMIT) -> Recording:
    """A context manager: ``with recording(): loss = f(x)``, then ``explore(loss)`` shows every
    value. ``limit``: tensors up to this many elements keep all their values."""
    return Recording(limit)


def latest_recording() -> Recording | None:
    """The recording entered or left most recently (None before the first)."""
    return _latest


def _remember(rec: Recording) -> None:
    global _latest
    _latest = rec


def model_names(model: object, scope: Mapping[str, object] | None = None) -> dict[str, torch.nn.Module]:
    """``model`` (an ``nn.Module`` or a dict name → module) by name: a module is named by the
    variable of ``scope`` (the caller's locals) that holds it, else ``"model"``."""
    if model is None:
        return {}
    if isinstance(model, torch.nn.Module):
        name = next((k for k, v in (scope or {}).items()
                     if v is model and isinstance(k, str) and not k.startswith("_")), "model")
        return {name: model}
    if isinstance(model, Mapping):
        bad = [k for k, v in model.items() if not isinstance(v, torch.nn.Module)]
        if bad:
            raise TypeError(f"model['{bad[0]}'] is not an nn.Module")
        return {str(k): v for k, v in model.items()}
    raise TypeError(f"model must be an nn.Module or a dict of them, not {type(model).__name__}")


@dataclass(frozen=True, eq=False)
class TensorCapture:
    """What ``explore(tensor)`` shows: the graph, its backward trace, and notes on them."""

    graph: AutogradGraph
    trace: BackwardTrace | None  # None when asked without it (``trace=False``)
    notes: tuple[str, ...] = ()
    recorded: bool = False  # a recording (or recorder) gave the forward values
    #: asked with ``saved=False``: the complete graph, its saved values read now (None: the
    #: graph is complete already)
    complete: Callable[[], AutogradGraph] | None = None


def capture_tensor(tensor: torch.Tensor, names: Mapping[str, object] | None = None,
                   models: Mapping[str, torch.nn.Module] | None = None,
                   recorder: Recording | ForwardRecorder | None = None,
                   limit: int = FULL_VALUE_LIMIT, trace: bool = True,
                   saved: bool = True) -> TensorCapture:
    """Capture ``tensor``'s graph and trace its backward pass, as ``explore`` shows them.

    ``names``: variable name → tensor (modules among them name their parameters too); ``models``:
    name → ``nn.Module``, whose parameters are named ``net.0.weight`` and whose submodules give the
    module paths of Nodes made inside a recording. ``recorder``: a :class:`Recording` or a
    :class:`ForwardRecorder` that ran the forward; by default the latest recording, if it made
    part of ``tensor``'s graph. ``trace=False``: the graph alone (``trace_backward(tensor)``
    gives the trace later: a big graph is shown before its gradients). ``saved=False``: the
    values its Nodes saved for backward are read when ``complete()`` is called (where a
    recording gave every op its value: see :func:`capture_first`). Raises
    :class:`CaptureError` for a tensor without a graph.
    """
    names = dict(names or {})
    models = dict(models or {})
    found = {k: v for k, v in names.items()
             if isinstance(v, torch.nn.Module) and isinstance(k, str) and not k.startswith("_")}
    modules = {**found, **models}
    every = {**_parameters(found), **names, **_parameters(models)}
    if recorder is None and _latest is not None and _latest.covers(tensor):
        recorder = _latest
    lookup = ModuleLookup(recorder.tags, modules) if isinstance(recorder, Recording) else None
    forward = recorder.recorder if isinstance(recorder, Recording) else recorder
    with paused_gc():  # the graph and its trace live on: no collection between the two
        how = dict(names=every, recorder=forward, limit=limit, module_of=lookup,
                   modules=lookup.modules if lookup is not None else module_infos(modules))
        if saved or forward is None:
            graph, complete = capture(tensor, **how), None
        else:
            graph, complete = capture_first(tensor, **how)
        steps = trace_backward(tensor, limit=limit) if trace else None
        keep_out_of_collections(len(graph))
    notes = []
    if complete is None and any(n.kind == OP and n.value is None for n in graph.nodes):
        # (a graph whose saved values come later has every op's recorded value)
        notes.append(MISSING_VALUES)
    elif models and not isinstance(recorder, Recording):
        notes.append(MISSING_MODULES)
    return TensorCapture(graph, steps, tuple(notes), forward is not None, complete)


def _parameters(modules: Mapping[str, torch.nn.Module]) -> dict[str, torch.Tensor]:
    params: dict[str, torch.Tensor] = {}
    for name, module in modules.items():
        for pname, param in module.named_parameters(prefix=name):
            params.setdefault(pname, param)
    return params

