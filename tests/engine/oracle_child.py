"""The child process of :mod:`tests.engine.oracle`: plain CPython + torch, the reference for the engine.

Run as a script (``python -I -c <bootstrap> tests/oracle_child.py``; never imported by the tests).
It must not import ``nla_explorer``: it is the independent side of the differential test.

Protocol: one JSON line in (``{"text": program}``), one JSON line out (the observation, see
:func:`run_program`). The program's own output is swallowed: file descriptors 0 and 1 point at
``/dev/null`` while programs run, requests and replies travel over the saved originals.

``stand_ins/`` (next to this file) is appended to ``sys.path``: a minimal ``IPython`` for the course
notebooks' ``from IPython.display import ...``; appended last, a real IPython wins where installed.
"""

from __future__ import annotations

import json
import os
import sys
from collections import deque

PROGRAM = "<program>"
STAND_INS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stand_ins")


def main() -> None:
    sys.path.append(STAND_INS)
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)  # a program reading stdin gets EOF, not the next request
    os.dup2(devnull, 1)  # print (and C-level writes) go nowhere
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115

    import torch  # after the redirection: nothing torch prints can reach the channel

    global torch_module
    torch_module = torch
    replies.write(json.dumps({"ready": torch.__version__}) + "\n")
    replies.flush()
    for line in requests:
        request = json.loads(line)
        try:
            reply = run_program(request["text"])
        except Exception as exc:  # a bug of the oracle itself, not of the program  # noqa: BLE001
            reply = {"error": {"type": "OracleError", "message": f"{type(exc).__name__}: {exc}",
                               "line": None}, "calls": [], "tensors": {}, "grads": {}}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


torch_module = None  # set by main(); a module global so the helpers below can reach it


def enc(t) -> list:
    """A tensor bit for bit: dtype, shape and the hex of its bytes (any dtype).

    The bytes of ``t.contiguous().reshape(-1).view(torch.uint8)``, but through a copy with fresh
    strides: ``contiguous()`` keeps an expanded one-element tensor (stride 0, e.g. the grad a
    SumBackward hands on) as it is, and ``view(torch.uint8)`` refuses stride 0.
    """
    torch = torch_module
    flat = t.detach().cpu().clone(memory_format=torch.contiguous_format).reshape(-1)
    return [str(t.dtype), list(t.shape), flat.view(torch.uint8).numpy().tobytes().hex()]


def enc_or_none(t):
    return None if t is None else enc(t)


def program_line(frame) -> int | None:
    """Line in the program of the innermost frame of ``<program>`` from ``frame`` outwards."""
    while frame is not None:
        if frame.f_code.co_filename == PROGRAM:
            return frame.f_lineno
        frame = frame.f_back
    return None


def error_line(exc: BaseException) -> int | None:
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == PROGRAM:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def describe(exc: BaseException) -> dict:
    text = str(exc)
    return {"type": type(exc).__name__, "message": text.splitlines()[0] if text else "",
            "line": error_line(exc)}


#: torch's own callers of autograd.grad: jacobian/hessian (the program's calls are theirs).
_TORCH_DERIVATIVES = ("torch.autograd.functional", "torch._functorch")


class Observer:
    """Wraps the three backward entry points for one program; records each completed call."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.depth = 0  # reentrancy: Tensor.backward -> torch.autograd.backward records once
        self.originals = None

    def install(self) -> None:
        torch = torch_module
        tensor_backward = torch.Tensor.backward
        autograd_backward = torch.autograd.backward
        autograd_grad = torch.autograd.grad
        self.originals = (tensor_backward, autograd_backward, autograd_grad)
        observer = self

        def backward(self, *args, **kwargs):
            return observer.observe("backward", self,
                                    lambda: tensor_backward(self, *args, **kwargs))

        def functional_backward(*args, **kwargs):
            tensors = args[0] if args else kwargs.get("tensors")
            return observer.observe("backward", tensors,
                                    lambda: autograd_backward(*args, **kwargs))

        def grad(*args, **kwargs):
            outputs = args[0] if args else kwargs.get("outputs")
            return observer.observe("grad", outputs, lambda: autograd_grad(*args, **kwargs))

        for wrapper, original in ((backward, tensor_backward),
                                  (functional_backward, autograd_backward),
                                  (grad, autograd_grad)):
            wrapper.__name__, wrapper.__qualname__ = original.__name__, original.__qualname__
            wrapper.__doc__ = original.__doc__
        torch.Tensor.backward = backward
        torch.autograd.backward = functional_backward
        torch.autograd.grad = grad

    def uninstall(self) -> None:
        torch = torch_module
        torch.Tensor.backward, torch.autograd.backward, torch.autograd.grad = self.originals

    def observe(self, kind: str, outputs, call):
        caller = sys._getframe(2).f_globals.get("__name__", "")  # noqa: SLF001 - who called
        if self.depth or caller.startswith(_TORCH_DERIVATIVES):  # jacobian's grads are torch's
            return call()
        self.depth += 1
        try:
            line = program_line(sys._getframe(1))  # noqa: SLF001 - from the wrapper out
            nodes = graph_nodes(outputs)
            steps: list = []
            handles = []
            try:
                for index, node in enumerate(nodes):
                    handles.append(node.register_prehook(_recorder(steps, index)))
                result = call()
            finally:
                for handle in handles:
                    handle.remove()
            self.calls.append({
                "kind": kind, "line": line, "nodes": [type(node).__name__ for node in nodes],
                "steps": steps,
                "results": [enc_or_none(r) for r in result] if kind == "grad" else [],
            })
            return result
        finally:
            self.depth -= 1


def _recorder(steps: list, index: int):
    def hook(grad_outputs):
        steps.append([index, [enc_or_none(g) for g in grad_outputs]])
    return hook


def graph_nodes(outputs) -> list:
    """The autograd nodes reachable from ``outputs``, breadth first from the distinct roots.

    A root is each output's ``grad_fn``; an output that is a leaf requiring grad has none, and
    its gradient edge (its AccumulateGrad node) is the root instead, as in torch's engine.
    """
    torch = torch_module
    if isinstance(outputs, torch.Tensor):
        outputs = [outputs]
    elif not isinstance(outputs, (list, tuple)):
        return []  # not read here (a generator would be used up): torch deals with it
    roots = []
    for t in outputs:
        if not isinstance(t, torch.Tensor):
            continue
        node = t.grad_fn
        if node is None and t.requires_grad:
            node = torch.autograd.graph.get_gradient_edge(t).node
        if node is not None:
            roots.append(node)
    nodes: list = []
    seen: set[int] = set()
    queue: deque = deque()
    for node in roots:
        if id(node) not in seen:
            seen.add(id(node))
            nodes.append(node)
            queue.append(node)
    while queue:
        for child, _ in queue.popleft().next_functions:
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                nodes.append(child)
                queue.append(child)
    return nodes


def run_program(text: str) -> dict:
    """Run ``text`` in fresh globals; its error, observed backward calls, tensors and grads."""
    torch = torch_module
    torch.manual_seed(0)  # a program without its own seed still draws the same numbers
    torch.set_grad_enabled(True)
    namespace: dict = {"__name__": "__program__"}
    observer = Observer()
    error = None
    try:
        code = compile(text, PROGRAM, "exec")
    except SyntaxError as exc:
        error = describe(exc)
    else:
        observer.install()
        try:
            exec(code, namespace)  # noqa: S102 - the program under test
        except (KeyboardInterrupt, GeneratorExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - SystemExit too: it is the program's error
            error = describe(exc)
        finally:
            observer.uninstall()
            sys.stdout.flush()
    tensors, grads = {}, {}
    for name, value in list(namespace.items()):
        if name.startswith("_") or not isinstance(value, torch.Tensor):
            continue
        tensors[name] = enc(value)
        if value.is_leaf and value.requires_grad:
            grads[name] = enc_or_none(value.grad)
    return {"error": error, "calls": observer.calls, "tensors": tensors, "grads": grads}


if __name__ == "__main__":
    main()
