"""What a run of the user's code sends back: plain frozen data, shown by the window and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, replace

from nla_explorer.engine.autograd.backward_calls import BackwardCall
from nla_explorer.engine.autograd.gradcheck import LeafCheck
from nla_explorer.engine.autograd.graph import AutogradGraph, ModuleInfo
from nla_explorer.engine.autograd.trace import BackwardTrace
from nla_explorer.engine.code.functions import Function
from nla_explorer.engine.derivatives import Derivative
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.expression import Expression
from nla_explorer.engine.runner.wire import register
from nla_explorer.engine.tensors import TensorData

PYTHON = "python"  # real CPython runs the code
SAFE = "safe"  # the whitelist interpreter reads it


@dataclass(frozen=True)
class RunError:
    """The exception that ended a run: ``line`` in the Code dock's text, ``cell`` its label."""

    type: str
    message: str
    line: int | None = None
    cell: str | None = None
    traceback: str = ""
    culprit: str | None = None  # the variable the error is about (the safe interpreter knows)

    def __str__(self) -> str:
        where = f"{self.cell}, line {self.line}: " if self.cell and self.line else (
            f"line {self.line}: " if self.line else "")
        return f"{where}{self.type}: {self.message}" if self.type else f"{where}{self.message}"


@dataclass(frozen=True)
class CellOutput:
    """What one cell printed and drew (PNG figures), and its error if it raised."""

    label: str
    text: str = ""
    figures: tuple[bytes, ...] = ()
    error: RunError | None = None


@dataclass(frozen=True, eq=False)
class Comparison:
    """A tensor the program compared with a leaf's ``.grad`` (``allclose``, a difference, print)."""

    leaf: str
    label: str
    value: TensorData
    how: str = ""


@dataclass(frozen=True, eq=False)
class RunResult:
    """A run of code: its backward calls (each with its graph and steps), the one shown, what the
    cells printed and drew, the program's tensors and modules, and what went wrong.

    Reads like the safe interpreter's ``Exploration`` for the views: ``graph``/``trace`` are those of
    ``calls[call_index]`` or, without any call, of the ``backward()`` the last tensor would get
    (``None`` when there is nothing to draw). ``call_numbers`` are the kept calls' numbers in the
    program (a long training loop keeps some), ``total_calls`` how many it made.
    """

    mode: str
    graph: AutogradGraph | None = None
    trace: BackwardTrace | None = None
    calls: tuple[BackwardCall, ...] = ()
    call_index: int | None = None
    call_numbers: tuple[int, ...] = ()
    total_calls: int = 0
    remarks: tuple[str, ...] = ()
    outputs: tuple[CellOutput, ...] = ()
    error: RunError | None = None
    final_grads: dict[str, TensorData | None] | None = None
    tensors: dict[str, TensorData] | None = None
    modules: tuple[ModuleInfo, ...] = ()
    comparisons: tuple[Comparison, ...] = ()
    checks: dict[int, tuple[LeafCheck, ...]] | None = None  # finite differences, by call index
    output_name: str | None = None
    unseeded: bool = False
    seconds: float = 0.0
    #: the safe interpreter's expression (``None``: the code ran as Python, it has no blocks)
    expression: Expression | None = None
    shapes: dict[str, tuple[int, ...]] | None = None  # by block id (safe mode)
    block_errors: dict[str, str] | None = None  # by block id, when the blocks do not evaluate
    #: named Jacobians and Hessians of whole functions (``H = hessian(f, x)``), in program order
    derivatives: tuple[Derivative, ...] = ()

    @property
    def call(self) -> BackwardCall | None:
        return None if self.call_index is None else self.calls[self.call_index]

    @property
    def call_note(self) -> str | None:
        """Which call is shown, when there are several: "backward call 2 of 3: g.backward()"."""
        if self.call is None or len(self.calls) < 2:
            return None
        line = f" (line {self.call.line})" if self.call.line else ""
        number = self.call_numbers[self.call_index] if self.call_numbers else self.call_index + 1
        total = self.total_calls or len(self.calls)
        return f"backward call {number} of {total}: {self.call.label}{line}"

    @property
    def notes(self) -> tuple[str, ...]:
        return self.remarks + ((self.call_note,) if self.call_note else ())

    def with_call(self, index: int) -> "RunResult":
        """The same run, showing kept call ``index``."""
        if not 0 <= index < len(self.calls):
            raise ExpressionError(f"there is no backward call {index + 1}: the run kept "
                                  f"{len(self.calls)}")
        call = self.calls[index]
        return replace(self, graph=call.graph, trace=call.trace, call_index=index,
                       output_name=call.output_name)

    def checks_of_call(self) -> tuple[LeafCheck, ...]:
        """Finite-difference checks of the shown call's own backward functions."""
        if self.checks is None or self.call_index is None:
            return ()
        return self.checks.get(self.call_index, ())


register(RunError, CellOutput, ModuleInfo, Comparison, RunResult, LeafCheck, Derivative, Function)
