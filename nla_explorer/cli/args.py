"""Argument checks for the ``nla-explorer`` command: one-line errors, numbers, files, a display."""

from __future__ import annotations

import argparse
import difflib
import math
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Callable, NoReturn

PROG = "nla-explorer"
HEADLESS = ("examples", "trace", "export", "train", "timing")
#: The largest code, notebook or session file read (the engine's readers have the same limit).
MAX_INPUT_BYTES = 5_000_000
_FILE_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))


def fail(message: str) -> NoReturn:
    """Print ``nla-explorer: error: message`` as one line on stderr and exit with status 2."""
    print(f"{PROG}: error: {' '.join(str(message).split())}", file=sys.stderr)
    raise SystemExit(2)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose every error is one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix(PROG).strip()
        where = f"{command}: " if command else ""
        fail(f"{where}{message} (see: {self.prog} --help)")


def number_type(low: float, high: float, *, whole: bool = False, above: bool = False,
                unit: str = "") -> Callable[[str], float | int]:
    """An argparse ``type``: a finite number in [low, high] (``above``: low itself excluded)."""
    kind = "a whole number" if whole else "a number"
    low_text, high_text = (f"{int(v):,}" if whole else f"{v:g}" for v in (low, high))
    bounds = f"{'over' if above else 'from'} {low_text} {'up ' if above else ''}to {high_text}"
    wanted = f"{kind} {bounds}{' ' + unit if unit else ''}"

    def convert(text: str) -> float | int:
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {kind}; give {wanted}") from None
        if not math.isfinite(value) or value < low or (above and value == low) or value > high:
            raise argparse.ArgumentTypeError(f"{text} is out of range: give {wanted}")
        return value

    convert.__name__ = "whole number" if whole else "number"
    return convert


def positive_int(high: int = 1_000_000_000, unit: str = "") -> Callable[[str], int]:
    """An argparse ``type``: a whole number from 1 to ``high``."""
    return number_type(1, high, whole=True, unit=unit)


def _kind(mode: int) -> str | None:
    return next((name for test, name in _FILE_KINDS if test(mode)), None)


def input_problem(path: str, max_bytes: int = MAX_INPUT_BYTES) -> str | None:
    """Why ``path`` cannot be read as a code or session file (checked without opening it)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError) as exc:
        return f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}"
    if not stat.S_ISREG(info.st_mode):
        return f"cannot read {path}: it is {_kind(info.st_mode) or 'not a regular file'}"
    if info.st_size > max_bytes:
        return f"cannot read {path}: it has {info.st_size:,} bytes, over the limit of {max_bytes:,}"
    return None


def output_problem(path: str) -> str | None:
    """Why a file cannot be written at ``path``: an existing non-file, a missing or unwritable
    folder (tried by making and removing a temporary file there: a full disk, no free inodes, a
    read-only file system all show)."""
    target = Path(path)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except (OSError, ValueError) as exc:
        return f"cannot write {path}: {getattr(exc, 'strerror', None) or exc}"
    if info is not None and not stat.S_ISREG(info.st_mode):
        return f"cannot write {path}: it is {_kind(info.st_mode) or 'not a regular file'}"
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        return f"cannot write {path}: the folder {folder} does not exist"
    try:
        fd, probe = tempfile.mkstemp(prefix=".nla-explorer-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror or exc}"
    return None


def check_files(args: argparse.Namespace) -> str | None:
    """Why the first file argument that cannot be used cannot (no file is opened), or None."""
    for name, check in (("code", input_problem), ("session", input_problem),
                        ("out", output_problem), ("csv", output_problem)):
        path = getattr(args, name, None)
        problem = check(path) if path else None
        if problem:
            return problem
    return None


def check_gui_file(path: str | None) -> str | None:
    """Why the window's file argument cannot be opened (a mistyped command is named), or None."""
    if not path:
        return None
    if not Path(path).suffix and not os.path.lexists(path):
        near = difflib.get_close_matches(path, HEADLESS, n=1)
        hint = f"did you mean {near[0]}? " if near else ""
        return (f"unknown command {path!r} ({hint}commands: {', '.join(HEADLESS)}; or give a "
                ".nla, .py or .ipynb file to open)")
    return input_problem(path)


def example_problem(name: str | None) -> str | None:
    """Why ``name`` is not a course example (the message lists them), or None."""
    if not name:
        return None
    from nla_explorer.engine.errors import EngineError
    from nla_explorer.engine.examples import get_example

    try:
        get_example(name)
    except EngineError as exc:
        return str(exc)
    return None


def display_problem(environ=None, platform: str | None = None) -> str | None:
    """Why Qt could not open a window here (Linux and other X11/Wayland systems), or None."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "cygwin", "darwin")):
        return None
    x11, wayland = bool(environ.get("DISPLAY")), bool(environ.get("WAYLAND_DISPLAY"))
    runtime = environ.get("XDG_RUNTIME_DIR")
    wayland = wayland or bool(runtime and os.path.exists(os.path.join(runtime, "wayland-0"))
                              and environ.get("XDG_SESSION_TYPE") == "wayland")
    wanted = environ.get("QT_QPA_PLATFORM", "").strip()
    names = [n.split(":")[0].strip().lower() for n in wanted.split(";") if n.strip()]
    if not names:
        return None if x11 or wayland else "DISPLAY and WAYLAND_DISPLAY are not set"
    for name in names:  # Qt tries them in order; the others need no window system
        if (x11 if name == "xcb" else wayland if name.startswith("wayland") else True):
            return None
    return f"QT_QPA_PLATFORM={wanted} needs a display, and DISPLAY and WAYLAND_DISPLAY are not set"


def no_display_message() -> str | None:
    """The one line to print instead of starting the window without a display, or None."""
    problem = display_problem()
    if problem is None:
        return None
    return (f"{PROG}: no display: {problem} (set DISPLAY, or use the headless subcommands: "
            "export, trace, train, timing)")
