"""Which ``nn.Module`` made each autograd Node: global module forward hooks around a recorder.

A pre-hook notes where the module's Nodes begin (:meth:`ForwardRecorder.sequence_mark`); the
post-hook walks back from the module's output and tags every Node from that mark on that no inner
module tagged first. Used by Run as Python (:mod:`runner.watch`) and ``nla_explorer.recording()``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import torch
from torch.nn.modules import module as nn_module

from nla_explorer.engine.autograd.recorder import ForwardRecorder
from nla_explorer.engine.autograd.walk import is_leaf_node


class ModuleTags:
    """Tags Nodes with their module while installed; ``module_of(grad_fn)`` reads a tag."""

    def __init__(self, recorder: ForwardRecorder) -> None:
        self.recorder = recorder
        self._tags: dict[object, object] = {}  # grad_fn → module
        self._stack: list[tuple[object, int]] = []
        self._handles: list = []

    def install(self) -> None:
        """Register the global forward pre- and post-hooks (every module called from now on)."""
        pre = nn_module.register_module_forward_pre_hook(self._module_enter)
        post = nn_module.register_module_forward_hook(self._module_exit)
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
        return self._tags.get(fn)

    def forget(self, fns: Iterable[object]) -> None:
        """Drop the tags of these Nodes (they would keep a finished graph alive)."""
        for fn in fns:
            self._tags.pop(fn, None)

    def __len__(self) -> int:
        return len(self._tags)

    # -- the hooks -------------------------------------------------------------------------------
    def _module_enter(self, module, args) -> None:
        self._stack.append((module, self.recorder.sequence_mark()))

    def _module_exit(self, module, args, output) -> None:
        if not self._stack:
            return
        _, start = self._stack.pop()
        if not torch.is_grad_enabled():
            return
        outs = [output] if isinstance(output, torch.Tensor) else [
            o for o in (output if isinstance(output, (tuple, list)) else ())
            if isinstance(o, torch.Tensor)]
        queue = deque(o.grad_fn for o in outs if o.grad_fn is not None)
        seen: set[int] = set()
        while queue:
            fn = queue.popleft()
            if id(fn) in seen or is_leaf_node(fn) or fn._sequence_nr() < start:
                continue
            seen.add(id(fn))
            self._tags.setdefault(fn, module)  # an inner module tagged it first
            queue.extend(child for child, _ in fn.next_functions if child is not None)
