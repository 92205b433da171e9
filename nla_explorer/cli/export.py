"""``nla-explorer export``: the graph picture (PNG, SVG, PDF, DOT), at a step, or as slides.

``--slide`` writes one 16:9 slide (the graph at ``--step K`` beside that step's card, under a
title); ``--all-steps`` every step, as one PDF of a page per step or numbered PNG/SVG slides.
Arguments are checked before any work or Qt (one line, exit 2); Qt then draws offscreen.
``--run`` takes the graph from the program run as Python in the supervised child, like
``trace --run`` (a program that fails: one line, exit 1, nothing written).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from nla_explorer.cli.args import no_display_message, number_type
from nla_explorer.cli.run import RunStopped, add_run_arguments, program_name, run_program
from nla_explorer.cli.source import call_index, load_expression, source_arguments

EXPORT_FORMATS = (".png", ".svg", ".pdf", ".dot")  # graph_view.export.FORMATS, without Qt
SLIDE_FORMATS = (".png", ".svg", ".pdf")  # graph_view.slide.SLIDE_FORMATS, without Qt


def add_export_parser(subparsers) -> None:
    """Add the ``export`` subcommand to an ``argparse`` subparsers object."""
    exp = subparsers.add_parser("export", help="export the graph picture (PNG, SVG, PDF or DOT) "
                                               "or slides of its steps")
    source_arguments(exp)
    add_run_arguments(exp)
    exp.add_argument("-o", "--out", required=True, metavar="FILE",
                     help="the picture: .png, .svg, .pdf or .dot (slides: .png, .svg or .pdf)")
    exp.add_argument("--scale", type=number_type(0.05, 20), default=2.0,
                     help="PNG pixels per layout pixel, 0.05 to 20 (default 2; a slide is "
                          "1280×720 times this)")
    exp.add_argument("--layout", choices=("auto", "builtin", "dot"), default="auto")
    exp.add_argument("--font-size", type=number_type(4, 72, unit="points"), default=11.0,
                     help="4 to 72 points (default 11)")
    exp.add_argument("--transparent", action="store_true", help="PNG/SVG without a background")
    exp.add_argument("--no-constants", action="store_true", help="hide saved constants")
    exp.add_argument("--collapse", action="store_true", help="collapse chains of ops")
    exp.add_argument("--step", type=int, metavar="K",
                     help="the graph as it looks at backward step K (1 = the first step)")
    exp.add_argument("--forward", action="store_true",
                     help="with --step, --slide or --all-steps: the forward pass (values) instead")
    exp.add_argument("--slide", action="store_true",
                     help="a 16:9 slide: the graph at --step K (default 1) beside that step's "
                          "card (formula, gradients, numbers), under a title")
    exp.add_argument("--all-steps", action="store_true",
                     help="a slide per step: one PDF of a page each (-o steps.pdf), or "
                          "steps_001.png … for -o steps.png")
    exp.add_argument("--title", metavar="TEXT",
                     help="the slides' title (default: the example's or the file's name)")


def _argument_problem(args: argparse.Namespace) -> str | None:
    suffix = Path(args.out).suffix.lower()
    if suffix not in EXPORT_FORMATS:
        return (f"cannot export to '{Path(args.out).name}': the extension must be one of "
                f"{', '.join(EXPORT_FORMATS)}")
    slides = "--all-steps" if args.all_steps else "--slide" if args.slide else None
    if slides and suffix not in SLIDE_FORMATS:
        return (f"{slides}: a slide is a picture, not a graph file: give -o FILE.png, .svg "
                "or .pdf")
    if args.all_steps and args.step is not None:
        return "--all-steps and --step do not go together (--step picks one step)"
    if args.title is not None and not (args.slide or args.all_steps):
        return "--title goes with --slide or --all-steps"
    return None


def run_export(args: argparse.Namespace) -> int:
    """Render offscreen (no display needed) through the same picture code as the window."""
    from nla_explorer.engine.pipeline import explore_expression

    problem = _argument_problem(args)  # before Qt and the work
    if problem:
        return _fail(problem)
    if args.run:  # the kept backward call of the program, run as Python (before Qt, too)
        try:
            exploration = run_program(args)
        except RunStopped as exc:
            return exc.report()
        if exploration.error is not None:  # nothing is written from a program that failed
            return _fail(f"{program_name(args)}: {exploration.error}", status=1)
        if exploration.graph is None:
            return _fail(f"{program_name(args)}: no autograd graph: the program made no tensor "
                         "that requires grad")
    else:
        exploration = explore_expression(load_expression(args), call=call_index(args))
    graph, trace = exploration.graph, exploration.trace
    mode = "forward" if args.forward else "backward"
    total = len(trace.steps) if trace is not None else 0
    wants_step = args.step is not None or args.slide or args.all_steps
    if wants_step and total == 0:
        return _fail(f"the graph has no {mode} steps to show")
    if args.step is not None and not 1 <= args.step <= total:
        return _fail(f"--step must be between 1 and {total}")
    if no_display_message():  # no window system here: Qt draws offscreen (it would abort)
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from nla_explorer.app import application
    from nla_explorer.drawing.style import ViewStyle
    from nla_explorer.graph_view.export import ExportError
    from nla_explorer.graph_view.layout.model import LayoutError
    from nla_explorer.graph_view.picture import PictureOptions, build_picture

    application()
    options = PictureOptions(args.layout, not args.no_constants, args.collapse,
                             ViewStyle.light().with_font(args.font_size))
    try:
        picture = build_picture(graph, trace, options)
        if args.slide or args.all_steps:
            written, what = _slides(args, exploration, picture, mode)
        else:
            written, what = [_picture(args, exploration, picture, mode)], ""
    except (ExportError, LayoutError) as exc:
        return _fail(str(exc))
    except OSError as exc:  # e.g. no room for the temporary file next to the picture
        return _fail(f"cannot write {args.out}: {exc.strerror or exc}")
    where = f"{written[0]}" if len(written) == 1 else f"{written[0]} … {written[-1]}"
    print(f"{where} ({what}{len(picture.display)} boxes, layout: {picture.layout.engine})")
    return 0


def _picture(args, exploration, picture, mode: str) -> Path:
    from nla_explorer.engine.autograd.stepper import forward_order, forward_view, step_view
    from nla_explorer.graph_view.export import export_graph

    graph, trace = exploration.graph, exploration.trace
    step = None
    if args.step is not None:
        step = forward_view(graph, forward_order(graph, trace), args.step - 1) \
            if mode == "forward" else step_view(graph, trace, args.step - 1)
    return export_graph(args.out, picture.display, picture.layout, picture.style,
                        scale=args.scale, transparent=args.transparent, step=step,
                        frames=picture.frames_with_titles())


def _slides(args, exploration, picture, mode: str) -> tuple[list[Path], str]:
    from nla_explorer.graph_view.export import ExportError
    from nla_explorer.graph_view.scene import GraphScene
    from nla_explorer.graph_view.slide import StepSlides, export_slide, export_step_slides
    from nla_explorer.graph_view.step_overlay import StepOverlay

    scene = GraphScene(view_style=picture.style)
    overlay = StepOverlay(scene)
    scene.show_graph(picture.display, picture.layout, picture.style,
                     picture.frames_with_titles(), picture.sizes)
    slides = StepSlides(exploration.graph, exploration.trace, mode, _title(args))
    if args.all_steps:
        written = export_step_slides(args.out, scene, overlay, slides, args.scale,
                                     args.transparent)
        pages = f"{len(slides)} pages, " if Path(args.out).suffix.lower() == ".pdf" else ""
        return written, f"{len(slides)} {mode} steps, {pages}"
    k = args.step or 1
    if k > len(slides):  # the forward pass has its own count
        raise ExportError(f"--step must be between 1 and {len(slides)}")
    path = export_slide(args.out, scene, overlay, slides[k - 1], args.scale, args.transparent)
    return [path], f"slide of {mode} step {k} of {len(slides)}, "


def _title(args) -> str:
    if args.title is not None:
        return args.title
    return args.example or Path(args.code or args.session).stem


def _fail(message: str, status: int = 2) -> int:
    print(f"nla-explorer: error: {message}", file=sys.stderr)
    return status
