"""Which ``nn.Module`` invocations made each autograd Node: global module forward hooks.

A pre-hook numbers the module's call and notes where its Nodes begin
(:meth:`ForwardRecorder.sequence_mark`); the post-hook walks back from the module's output and tags
every Node from that mark on that no inner module tagged first, with the chain of invocations open
at that moment (the enclosing calls, then this one). Used by Run as Python (:mod:`runner.watch`)
and ``nla_explorer.recording()``. :class:`ModuleLookup` turns the tags into module paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch
from torch.nn.modules import module as nn_module

from nla_explorer.engine.autograd.graph import ModuleInfo
from nla_explorer.engine.autograd.recorder import ForwardRecorder

#: A chain of invocations, outermost first: ``(module, call number)`` pairs.
Chain = tuple[tuple[torch.nn.Module, int], ...]


class ModuleTags:
    """Tags Nodes with their module invocations while installed; ``module_of(grad_fn)`` and
    ``scope_of(grad_fn)`` read a tag."""

    def __init__(self, recorder: ForwardRecorder) -> None:
        self.recorder = recorder
        self._tags: dict[object, Chain] = {}  # grad_fn → the chain open when it was tagged
        self._calls: dict[torch.nn.Module, int] = {}  # forward calls so far, per module
        self._stack: list[tuple[torch.nn.Module, int, Chain]] = []  # (module, mark, chain)
        self._handles: list = []

    def install(self) -> None:
        """Register the global forward pre- and post-hooks (every module called from now on)."""
        pre = nn_module.register_module_forward_pre_hook(self._module_enter)
        # always_call: a forward that raises closes its frame too (its output is then None)
        post = nn_module.register_module_forward_hook(self._module_exit, always_call=True)
        self._handles = [pre, post]

    def uninstall(self) -> None:
        """Remove the hooks; the tags made so far stay readable."""
        for handle in reversed(self._handles):
            handle.remove()
        self._handles = []
        self._stack = []

    @property
    def installed(self) -> bool:
        return bool(self._handles)

    def module_of(self, fn: object) -> torch.nn.Module | None:
        """The innermost module whose forward made Node ``fn``, or None."""
        chain = self._tags.get(fn)
        return chain[-1][0] if chain else None

    def scope_of(self, fn: object) -> Chain:
        """The module invocations that made Node ``fn``, outermost first (``()`` if none).

        All Nodes of one invocation share one tuple object."""
        return self._tags.get(fn, ())

    def calls_of(self, module: torch.nn.Module) -> int:
        """How many times ``module``'s forward was called while installed."""
        return self._calls.get(module, 0)

    def forget(self, fns: Iterable[object]) -> None:
        """Drop the tags of these Nodes (they would keep a finished graph alive)."""
        for fn in fns:
            self._tags.pop(fn, None)

    def __len__(self) -> int:
        return len(self._tags)

    # -- the hooks -------------------------------------------------------------------------------
    def _module_enter(self, module, args) -> None:
        call = self._calls.get(module, 0) + 1
        self._calls[module] = call
        outer = self._stack[-1][2] if self._stack else ()
        self._stack.append((module, self.recorder.sequence_mark(), outer + ((module, call),)))

    def _module_exit(self, module, args, output) -> None:
        # a frame a BaseException skipped (KeyboardInterrupt) is still open: drop it too
        while self._stack and self._stack[-1][0] is not module:
            self._stack.pop()
        if not self._stack:
            return
        _, start, chain = self._stack.pop()
        if not torch.is_grad_enabled():
            return
        # Reading tensors' grad_fn here is the engine's, not the program's: with the recorder's
        # function mode on, each read would be one more recorded torch call.
        with _NO_TORCH_FUNCTION():
            queue = [fn for fn in map(_grad_fn, tensors_in(output)) if fn is not None]
        seen: set[int] = set()
        tags = self._tags
        while queue:
            fn = queue.pop()
            key = id(fn)
            if key in seen or type(fn) is _ACCUMULATE_GRAD or fn._sequence_nr() < start:
                continue
            seen.add(key)
            tags.setdefault(fn, chain)  # an inner module tagged it first
            queue.extend(child for child, _ in fn.next_functions if child is not None)


_NO_TORCH_FUNCTION = torch._C.DisableTorchFunction
_grad_fn = torch.Tensor.grad_fn.__get__
_ACCUMULATE_GRAD = torch._C._functions.AccumulateGrad  # a leaf's Node: never tagged


def tensors_in(output: object, depth: int = 0) -> list[torch.Tensor]:
    """The tensors a forward returned: alone, or inside tuples, lists and dicts, nested
    (``nn.LSTM`` returns ``(out, (h, c))``, many models a dict of outputs)."""
    if isinstance(output, torch.Tensor):
        return [output]
    if depth > 8:
        return []
    if isinstance(output, Mapping):
        output = list(output.values())
    if isinstance(output, (tuple, list)):
        return [t for item in output for t in tensors_in(item, depth + 1)]
    return []


class ModuleLookup:
    """The tags of a :class:`ModuleTags` read through module paths (``net.l1``): what capture
    gives each node. Modules without a path (not under the named models) are left out."""

    def __init__(self, tags: ModuleTags, models: Mapping[str, torch.nn.Module]) -> None:
        self.tags = tags
        self._chain_of = tags._tags.get  # (tags.scope_of, without a call: once per Node)
        self.paths = module_paths(models)
        self.modules = module_infos(models)
        #: id(chain) → (chain, (innermost path, scope)): one chain per invocation, read once
        self._read: dict[int, tuple[Chain, tuple[str | None, tuple[tuple[str, int], ...]]]] = {}

    def module_of(self, fn: object) -> str | None:
        """The path of the innermost module that made ``fn``."""
        return self.path_and_scope(fn)[0]

    def scope_of(self, fn: object) -> tuple[tuple[str, int], ...]:
        """``fn``'s invocations by path and call number, outermost first."""
        return self.path_and_scope(fn)[1]

    def path_and_scope(self, fn: object) -> tuple[str | None, tuple[tuple[str, int], ...]]:
        """:meth:`module_of` and :meth:`scope_of` at once."""
        chain = self._chain_of(fn)
        if not chain:
            return _NOWHERE
        hit = self._read.get(id(chain))
        if hit is not None and hit[0] is chain:
            return hit[1]
        paths = self.paths
        read = (paths.get(id(chain[-1][0])),
                tuple((paths[id(m)], call) for m, call in chain if id(m) in paths))
        self._read[id(chain)] = (chain, read)  # (keeps the chain alive: its id stays unique)
        return read


_NOWHERE: tuple[None, tuple] = (None, ())


def module_paths(models: Mapping[str, torch.nn.Module]) -> dict[int, str]:
    """``id(module)`` → its path, for the models and every module under them."""
    paths: dict[int, str] = {}
    for name, model in models.items():
        for path, sub in model.named_modules(prefix=name):
            paths.setdefault(id(sub), path)
    return paths


def module_infos(models: Mapping[str, torch.nn.Module]) -> tuple[ModuleInfo, ...]:
    """Every module under the models: path, class name and parameter count (with submodules')."""
    return tuple(ModuleInfo(path, type(sub).__name__, sum(p.numel() for p in sub.parameters()))
                 for name, model in models.items()
                 for path, sub in model.named_modules(prefix=name))
