"""Inside a Python run: cells executed by CPython in one namespace, as a notebook kernel does.

:class:`Kernel` keeps the namespace between requests (In[20] after In[18] works). Each request runs
some cells with the forward recorder and the :class:`Watch` hooks installed, prints and figures
captured per cell, and returns a :class:`RunResult` of plain data.
"""

from __future__ import annotations

import ast
import sys
import time
import traceback
from dataclasses import replace

import torch

from nla_explorer.engine.autograd.capture import capture
from nla_explorer.engine.autograd.recorder import ForwardRecorder
from nla_explorer.engine.autograd.trace import trace_backward
from nla_explorer.engine.code.backward_lines import line_label
from nla_explorer.engine.errors import CaptureError
from nla_explorer.engine.runner import stand_ins
from nla_explorer.engine.runner.calls_kept import CallsKept
from nla_explorer.engine.runner.comparisons import Comparisons
from nla_explorer.engine.runner.derivative_watch import DerivativeWatch
from nla_explorer.engine.runner.output import CappedWriter
from nla_explorer.engine.runner.result import PYTHON, CellOutput, RunError, RunResult
from nla_explorer.engine.runner.watch import PROGRAM, Watch
from nla_explorer.engine.tensors import FULL_VALUE_LIMIT, snapshot

MAX_TENSORS = 200  # named tensors sent back


class Kernel:
    """One program's namespace and the lines of its text (for labels and errors)."""

    def __init__(self) -> None:
        self.namespace: dict = {"__name__": "__main__"}
        self.lines: dict[int, str] = {}
        self.seeded = False
        self.random_draws = False
        stand_ins.install()

    def reset(self) -> None:
        self.__init__()

    # -- names -----------------------------------------------------------------------------------
    def names_at(self, frame) -> dict[str, object]:
        """The program's tensors by name at ``frame`` (its locals over the globals), and every
        ``nn.Module``'s parameters by path (``net.w.weight``)."""
        names: dict[str, object] = dict(self.namespace)
        if frame is not None and frame.f_locals is not frame.f_globals:
            names.update(frame.f_locals)
        names = {k: v for k, v in names.items() if not k.startswith("_")}
        params = {pname: param for name, value in self.modules().items()
                  for pname, param in value.named_parameters(prefix=name)}
        ids = {id(p) for p in params.values()}  # a path names a parameter better than a loop
        names = {k: v for k, v in names.items() if id(v) not in ids}  # variable does
        names.update(params)
        return names

    def modules(self) -> dict[str, torch.nn.Module]:
        return {k: v for k, v in list(self.namespace.items())
                if isinstance(v, torch.nn.Module) and not k.startswith("_")}

    def line_text(self, line: int | None) -> str:
        return line_label(self.lines.get(line, "") if line else "")

    # -- running ---------------------------------------------------------------------------------
    def run(self, cells: list[tuple[str, int, str]], limit: int = FULL_VALUE_LIMIT,
            call: int | None = None, seed: int | None = None,
            output_limit: int = 1_000_000) -> RunResult:
        """Run ``(label, first_line, source)`` cells in order, stopping at the first error."""
        start = time.perf_counter()
        if seed is not None:
            torch.manual_seed(seed)
            self.seeded = True
        kept = CallsKept()
        comparisons = Comparisons(self)
        recorder = ForwardRecorder(limit, on_call=comparisons.on_call)
        watch = Watch(recorder, kept, limit, self.names_at, self.line_text, self.modules)
        derivatives = DerivativeWatch(recorder, lambda line: self.lines.get(line, ""))
        writer = CappedWriter(output_limit)
        outputs, error, last_cell = [], None, None
        saved_streams = sys.stdout, sys.stderr
        saved_seed = torch.manual_seed
        torch.manual_seed = self._seed_watcher(saved_seed)
        sys.stdout = sys.stderr = writer
        derivatives.install()  # first: it keeps torch's own backward entry points
        watch.install()
        try:
            for label, first_line, source in cells:
                for k, text in enumerate(source.splitlines()):
                    self.lines[first_line + k] = text
                error = self._run_cell(source, first_line, label, recorder, watch)
                comparisons.end_cell()
                outputs.append(CellOutput(label, writer.take(), stand_ins.take_figures(), error))
                last_cell = (source, first_line)
                if error is not None:
                    break
        finally:
            watch.uninstall()
            derivatives.uninstall()
            sys.stdout, sys.stderr = saved_streams
            torch.manual_seed = saved_seed
        result = self._result(kept, recorder, watch, comparisons, tuple(outputs), error, call,
                              last_cell, limit, time.perf_counter() - start)
        return replace(result, derivatives=derivatives.results(self.namespace, limit))

    def _seed_watcher(self, manual_seed):
        def seeded(seed):
            self.seeded = True
            return manual_seed(seed)
        seeded.__doc__ = manual_seed.__doc__
        return seeded

    def _run_cell(self, source: str, first_line: int, label: str, recorder: ForwardRecorder,
                  watch: Watch) -> RunError | None:
        try:
            tree = ast.parse(source, PROGRAM)
            ast.increment_lineno(tree, first_line - 1)
            code = compile(tree, PROGRAM, "exec")
        except SyntaxError as exc:
            line = (exc.lineno or 1) + first_line - 1
            return RunError("SyntaxError", exc.msg, line, label)
        try:
            with recorder:
                exec(code, self.namespace)  # noqa: S102 - the user's own code, Run pressed
        except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
            return _describe(exc, label)
        return None

    # -- the result ------------------------------------------------------------------------------
    def _result(self, kept, recorder, watch, comparisons, outputs, error, call, last_cell,
                limit, seconds) -> RunResult:
        watch.refresh_modules()
        entries = kept.entries()
        calls = tuple(e[1] for e in entries)
        checks = {i: e[2] for i, e in enumerate(entries) if e[2]}
        remarks = tuple(n for n in (kept.note(),) if n)
        if self.random_draws and not self.seeded:
            remarks += ("unseeded: each run draws new numbers (torch.manual_seed(0) at the top "
                        "keeps them)",)
        base = RunResult(PYTHON, calls=calls, call_numbers=tuple(e[0] for e in entries),
                         total_calls=kept.total, outputs=outputs, error=error,
                         final_grads=self._final_grads(limit), tensors=self._tensors(limit),
                         modules=watch.lookup.modules, comparisons=comparisons.found(),
                         checks=checks, unseeded=self.random_draws and not self.seeded,
                         seconds=seconds, remarks=remarks)
        if calls:
            index = len(calls) - 1 if call is None else max(0, min(call, len(calls) - 1))
            return base.with_call(index)
        return self._hypothetical(base, recorder, watch, last_cell, limit)

    def _hypothetical(self, base: RunResult, recorder, watch, last_cell, limit) -> RunResult:
        """No backward call: the pass the last tensor with a graph would get from ``backward()``."""
        name = self._last_graph_name(last_cell)
        if name is None:
            return base
        out = self.namespace[name]
        try:
            graph = capture(out, names=self.names_at(None), recorder=recorder, limit=limit,
                            freed_ok=True, module_of=watch.lookup)
            trace = trace_backward(out, limit=limit)
        except (CaptureError, RuntimeError):
            return base
        seed = f"{name}.backward()" if out.dim() == 0 else \
            f"{name}.backward(torch.ones_like({name}))"
        return replace(base, graph=graph, trace=trace, output_name=name,
                       remarks=base.remarks + (f"the code calls no backward: the steps show "
                                               f"{seed}",))

    def _last_graph_name(self, last_cell) -> str | None:
        if last_cell is None:
            return None
        try:
            tree = ast.parse(last_cell[0])
        except SyntaxError:
            return None
        for statement in reversed(tree.body):
            targets = statement.targets if isinstance(statement, ast.Assign) else (
                [statement.target] if isinstance(statement, (ast.AnnAssign, ast.AugAssign))
                else [])
            for target in targets:
                value = self.namespace.get(target.id) if isinstance(target, ast.Name) else None
                if isinstance(value, torch.Tensor) and value.grad_fn is not None:
                    return target.id
        return None

    def _final_grads(self, limit: int) -> dict:
        named = {**{k: v for k, v in self.namespace.items() if not k.startswith("_")},
                 **self.names_at(None)}  # variables and parameter paths alike
        return {name: None if t.grad is None else snapshot(t.grad, limit)
                for name, t in named.items()
                if isinstance(t, torch.Tensor) and t.is_leaf and t.requires_grad}

    def _tensors(self, limit: int) -> dict:
        out = {}
        for name, value in self.namespace.items():
            if isinstance(value, torch.Tensor) and not name.startswith("_"):
                out[name] = snapshot(value, limit)
                if len(out) >= MAX_TENSORS:
                    break
        return out


def _describe(exc: BaseException, label: str) -> RunError:
    line = None
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == PROGRAM:
            line = tb.tb_lineno
            frames.append(f"line {tb.tb_lineno}, in {tb.tb_frame.f_code.co_name}")
        tb = tb.tb_next
    if isinstance(exc, SystemExit):
        return RunError("SystemExit", f"the program called sys.exit({exc.code!r})", line, label)
    if isinstance(exc, KeyboardInterrupt):
        return RunError("KeyboardInterrupt", "interrupted", line, label)
    message = str(exc).strip()
    if isinstance(exc, MemoryError) or "can't allocate memory" in message:
        return RunError("MemoryError", "out of memory: the run's memory limit (Preferences) is "
                        "reached", line, label, "\n".join(frames))
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return RunError(type(exc).__name__, message.splitlines()[0] if message else "", line, label,
                    "\n".join(frames + [text]))
