"""The ``nla-explorer`` command: the window by default, headless subcommands that import no Qt.

This module parses and dispatches; each subcommand lives beside it: ``args`` (argument types and
checks shared by all), ``source`` (--example / --code / --session into an expression), ``run``
(--run: the program as Python in the supervised child), ``export`` (images, Qt offscreen only
there), ``train`` and ``timing`` (the engine's loops, printed or as JSON).
"""

from __future__ import annotations

import argparse
import json
import sys

from nla_explorer import __version__
from nla_explorer.cli.args import (
    HEADLESS, Parser, check_files, check_gui_file, example_problem, no_display_message,
    output_problem,
)
from nla_explorer.cli.run import (
    RunStopped, add_run_arguments, program_name, run_argument_error, run_program, wants_run,
)
from nla_explorer.cli.source import call_index, load_expression, source_arguments


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in HEADLESS:
        return _headless(argv)
    return _gui(argv)


def _gui_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="nla-explorer",
        description="See automatic differentiation: autograd graphs, values, gradients and the "
                    "backward pass. Headless commands: " + ", ".join(HEADLESS) +
                    " (nla-explorer COMMAND --help).")
    p.add_argument("--version", action="version", version=f"nla-explorer {__version__}")
    p.add_argument("file", nargs="?", help="a .nla session or a .py file of course code to open")
    p.add_argument("--example", metavar="NAME", help="open a course example (see: examples)")
    desktop = p.add_mutually_exclusive_group()
    desktop.add_argument("--install-desktop-entry", action="store_true",
                         help="add NLA Explorer to this user's application menu and exit")
    desktop.add_argument("--uninstall-desktop-entry", action="store_true",
                         help="remove what --install-desktop-entry added and exit")
    return p


def _gui(argv: list[str]) -> int:
    args = _gui_parser().parse_args(argv)
    if args.install_desktop_entry or args.uninstall_desktop_entry:
        return _desktop_entry(install=args.install_desktop_entry)
    problem = check_gui_file(args.file) or example_problem(args.example)
    if problem:
        print(f"nla-explorer: error: {problem}", file=sys.stderr)
        return 2
    message = no_display_message()
    if message:  # Qt would abort the process (SIGABRT) without a display
        print(message, file=sys.stderr)
        return 2
    from nla_explorer.app import run_app  # Qt only from here on

    return run_app(file=args.file, example=args.example)


def _desktop_entry(install: bool) -> int:
    """Write or remove the freedesktop entry under $XDG_DATA_HOME; no Qt needed."""
    from nla_explorer import desktop_entry as de

    try:
        paths = de.install_desktop_entry() if install else de.uninstall_desktop_entry()
    except de.DesktopEntryError as exc:
        print(f"nla-explorer: error: {exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(f"{'installed' if install else 'removed'} {path}")
    if install:
        print("NLA Explorer is in the application menu; it runs: " + " ".join(de.launch_command()))
    elif not paths:
        print(f"nothing to remove: no NLA Explorer desktop entry under {de.default_data_home()}")
    return 0


def _headless(argv: list[str]) -> int:
    p = Parser(prog="nla-explorer")
    sub = p.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("examples", help="list the course examples")
    ex.add_argument("--json", action="store_true", help="machine-readable output")
    tr = sub.add_parser("trace", help="capture the autograd graph and trace one backward pass")
    source_arguments(tr)
    tr.add_argument("--json", action="store_true", help="print the graph and trace as JSON")
    add_run_arguments(tr)
    from nla_explorer.cli.export import add_export_parser, run_export
    from nla_explorer.cli.timing import add_timing_parser, run_timing
    from nla_explorer.cli.train import add_train_parser, run_train

    add_export_parser(sub)
    add_train_parser(sub)
    add_timing_parser(sub)
    args = p.parse_args(argv)
    from nla_explorer.engine.errors import EngineError

    running = wants_run(args)  # trace or export --run: the program file is the reader's to check
    if running:
        out = getattr(args, "out", None)
        problem = run_argument_error(args) or (output_problem(out) if out else None)
    else:
        problem = check_files(args)
    if problem:
        print(f"nla-explorer: error: {problem}", file=sys.stderr)
        return 2
    try:
        if args.command == "examples":
            return _examples(args)
        if args.command == "export":
            return run_export(args)
        if args.command == "train":
            return run_train(args)
        if args.command == "timing":
            return run_timing(args)
        if running:  # trace --run
            return _trace_run(args)
        return _trace(args)
    except EngineError as exc:  # the window's "press Run cell (Shift+Enter)" is --run here
        message = str(exc).replace("press Run cell (Shift+Enter)", "add --run")
        print(f"nla-explorer: error: {message}", file=sys.stderr)
        return 2
    except MemoryError:
        print("nla-explorer: error: out of memory", file=sys.stderr)
        return 2
    except OSError as exc:  # a file that went away or a disk that filled up after the checks
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"nla-explorer: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2


def _examples(args) -> int:
    from nla_explorer.engine.examples import EXAMPLES

    if args.json:
        print(json.dumps([{"name": e.name, "title": e.title, "source": e.source,
                           "description": e.description, "code": e.code}
                          for e in EXAMPLES.values()], indent=1, ensure_ascii=False))
        return 0
    width = max(len(n) for n in EXAMPLES)
    for e in EXAMPLES.values():
        print(f"{e.name:<{width}}  {e.title}  — {e.source}")
    return 0


def _trace(args) -> int:
    from nla_explorer.engine.pipeline import explore_expression
    from nla_explorer.engine.report import exploration_json

    exploration = explore_expression(load_expression(args), call=call_index(args))
    if args.json:
        data = exploration_json(exploration)
        json.dump(data, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    _print_trace(exploration)
    return 0


def _trace_run(args) -> int:
    """Run the file as Python in a supervised child (no Qt here either) and show its calls."""
    from nla_explorer.engine.report import run_json

    try:
        result = run_program(args)
    except RunStopped as exc:
        return exc.report()
    if args.json:
        json.dump(run_json(result), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _print_run(result)
    if result.error is not None:
        sys.stdout.flush()
        print(f"nla-explorer: error: {program_name(args)}: {result.error}", file=sys.stderr)
        return 1
    return 0


def _print_run(result) -> None:
    printed = "".join(cell.text for cell in result.outputs)
    if printed:
        print(printed, end="" if printed.endswith("\n") else "\n")
        print()
    numbers = result.call_numbers or tuple(range(1, len(result.calls) + 1))
    if result.calls:
        print(f"backward calls ({len(result.calls)} kept of {result.total_calls}; "
              "* = shown):")
    for k, (number, call) in enumerate(zip(numbers, result.calls)):
        line = f"  line {call.line}" if call.line else ""
        print(f"{'*' if k == result.call_index else ' '} {number:>5}  {call.label}{line}")
    if result.calls:
        print()
    if result.graph is None:
        for note in result.notes:
            print(f"note: {note}")
        print("no autograd graph: the program made no tensor that requires grad")
        return
    _print_trace(result)


def _print_trace(exploration) -> None:
    graph, trace = exploration.graph, exploration.trace
    out = graph.output
    for note in exploration.notes:
        print(f"note: {note}")
    print(f"output {exploration.output_name or out.id}: {_short(out.value)}")
    print(f"{len(graph)} nodes, {len(graph.edges)} edges, {len(trace)} backward steps\n")
    print(f"{'step':>4}  {'node':<5} {'op':<26} {'name':<8} {'shape':<10} grad in")
    for step in trace.steps:
        node = graph.node(step.node_id)
        shape = "×".join(map(str, node.shape)) if node.shape else "scalar"
        grad = step.incoming  # of the output that got one (logdet's slogdet: the second)
        print(f"{step.index:>4}  {node.id:<5} {node.op:<26} {node.name or '':<8} {shape:<10} "
              f"{_short(grad)}")


def _short(data) -> str:
    if data is None:
        return "—"
    if data.values is None:
        return f"{data.shape} norm {data.summary['norm']:.4g}"
    flat = data.values.reshape(-1)
    text = ", ".join(f"{v:.4g}" for v in flat[:4])
    return f"[{text}{', …' if flat.size > 4 else ''}]" if data.shape else text
