"""``--run`` for ``trace`` and ``export``: the file run as Python in the supervised child (no Qt).

Both commands take the same options (:func:`add_run_arguments`), the same checks
(:func:`run_argument_error`) and the same run (:func:`run_program`: the cells, the
:class:`~nla_explorer.engine.runner.supervisor.Runner`, ``--call K``, the failure messages).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nla_explorer.engine.runner.result import RunResult

RUN_TIMEOUT_S = 60.0
MAX_TIMEOUT_S = 86400.0  # --run: a day
MAX_MEMORY_MB = 1 << 20  # --run: a terabyte


class RunStopped(Exception):
    """The run ends the command: ``message`` for stderr, ``status`` the exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status

    def report(self) -> int:
        """Print the one-line error and give the exit status."""
        print(f"nla-explorer: error: {self}", file=sys.stderr)
        return self.status


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --run, --timeout and --memory-mb to a subcommand's parser."""
    parser.add_argument("--run", action="store_true",
                        help="run --code FILE (.py or .ipynb) as Python in a supervised child "
                             "process, every backward call recorded (without it: the safe "
                             "reader)")
    parser.add_argument("--timeout", type=float, metavar="SECONDS",
                        help=f"with --run: the time limit (default {RUN_TIMEOUT_S:g})")
    parser.add_argument("--memory-mb", type=int, metavar="N",
                        help="with --run: the child's memory limit in MB (default: the runner's)")


def wants_run(args: argparse.Namespace) -> bool:
    """Whether the command line asks for a run (any of --run, --timeout, --memory-mb)."""
    return bool(getattr(args, "run", False)) or getattr(args, "timeout", None) is not None \
        or getattr(args, "memory_mb", None) is not None


def run_argument_error(args: argparse.Namespace) -> str | None:
    """Why the --run options do not go together (checked before any file is read), or None."""
    if not args.run:
        return "--timeout and --memory-mb go with --run"
    if not args.code:
        return "--run runs a program file: give --code FILE.py or --code FILE.ipynb"
    if args.output:
        return "--output does not go with --run (the program's backward calls are shown)"
    if args.call is not None and args.call < 1:
        return "--call must be 1 or more"
    if args.timeout is not None and not 0 < args.timeout <= MAX_TIMEOUT_S:  # NaN, inf too
        return f"--timeout must be a positive number of seconds, at most {MAX_TIMEOUT_S:g}"
    if args.memory_mb is not None and not 1 <= args.memory_mb <= MAX_MEMORY_MB:
        return f"--memory-mb must be a positive number of megabytes, at most {MAX_MEMORY_MB}"
    return None


def run_program(args: argparse.Namespace) -> RunResult:
    """Run ``args.code`` in the supervised child and give its ``RunResult``, showing call
    ``--call K`` (the program's K-th backward call; default the last). A run that gave no result
    (time-out, crash, out of memory) raises :class:`RunStopped` with status 1, a --call the run
    did not keep status 2; a program error stays in ``result.error`` for the caller."""
    from nla_explorer.engine.runner.cells import read_program, split_cells
    from nla_explorer.engine.runner.supervisor import MEMORY_MB, Runner, RunFailure

    cells = [(c.label, c.first_line, c.source) for c in split_cells(read_program(args.code))]
    timeout = RUN_TIMEOUT_S if args.timeout is None else args.timeout
    try:
        with Runner(memory_mb=args.memory_mb or MEMORY_MB) as runner:
            result = runner.run_cells(cells, timeout=timeout)
    except RunFailure as exc:
        reason = f"the program ran past the time limit of {timeout:g} s (--timeout)" \
            if exc.kind == "timeout" else str(exc)
        raise RunStopped(f"{program_name(args)}: {reason}", 1) from None
    # a program that stopped early may not have reached call K: its error says why
    if args.call is not None and (result.error is None or args.call in result.call_numbers):
        if args.call not in result.call_numbers:
            kept = ", ".join(map(str, result.call_numbers[:12])) + (
                ", …" if len(result.call_numbers) > 12 else "")
            raise RunStopped(f"--call {args.call}: the program made {result.total_calls} "
                             f"backward calls and the run kept {kept or 'none'}", 2)
        result = result.with_call(result.call_numbers.index(args.call))
    return result


def program_name(args: argparse.Namespace) -> str:
    """The program file's name, as the run's messages start."""
    return Path(args.code).name
