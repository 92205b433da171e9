"""Where a headless command's graph comes from: --example, --code or --session, --output, --call."""

from __future__ import annotations

import argparse


def source_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the source options (one of --example, --code, --session) and --output, --call."""
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--example", metavar="NAME")
    src.add_argument("--code", metavar="FILE", help="a .py file of course-style PyTorch code")
    src.add_argument("--session", metavar="FILE", help="a .nla session file")
    parser.add_argument("--output", metavar="NAME", help="the variable to differentiate")
    parser.add_argument("--call", metavar="N", type=int,
                        help="the backward call of the code to show (1 = first; default: last)")


def load_expression(args: argparse.Namespace):
    """The expression the source options name (an EngineError says what is wrong with them)."""
    from nla_explorer.engine.code.parser import parse_code
    from nla_explorer.engine.errors import ExpressionError
    from nla_explorer.engine.examples import get_example
    from nla_explorer.engine.runner.cells import read_program
    from nla_explorer.engine.sessions.nla_file import load_session

    if args.code:  # the reader refuses what is not a regular file or is too big, never blocking
        return parse_code(read_program(args.code), output=args.output)
    if args.example:
        expr = get_example(args.example).expression()
    else:
        expr = load_session(args.session)[0]
    if args.output:
        named = expr.named()
        if args.output not in named:
            raise ExpressionError(f"the output '{args.output}' is not a variable of the "
                                  "expression", culprit=args.output)
        expr = expr.with_output(named[args.output])
    return expr


def call_index(args: argparse.Namespace) -> int | None:
    """--call N as an index (N - 1), or None for the last call."""
    return None if args.call is None else args.call - 1
