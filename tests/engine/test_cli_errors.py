"""Every bad argument of every subcommand: exit status 2, one line on stderr, no traceback, and
quickly (a FIFO or /dev/zero is never read); a mistyped command and a missing display likewise."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nla_explorer.cli import main


def torch_cuda_count() -> int:
    import torch
    return torch.cuda.device_count() if torch.cuda.is_available() else 0

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "nla-explorer: error:"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Paths the cases name: a FIFO, a link to /dev/zero, a folder, a big file, a good file."""
    root = tmp_path_factory.mktemp("cli_errors")
    os.mkfifo(root / "fifo.py")
    os.mkfifo(root / "fifo.nla")
    os.mkfifo(root / "fifo.csv")
    os.mkfifo(root / "fifo.png")
    for name in ("zero.py", "zero.nla", "zero.ipynb"):
        (root / name).symlink_to("/dev/zero")
    (root / "folder.py").mkdir()
    (root / "big.py").write_bytes(b"#" * 6_000_000)
    (root / "ok.py").write_text("x = torch.randn(3, requires_grad=True)\ny = (x * x).sum()\n")
    return root


def expand(args, root: Path) -> list[str]:
    return [a.replace("{tmp}", str(root)) for a in args]


def one_line_error(code, out: str, err: str) -> None:
    assert code == 2, (code, err)
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(PREFIX), err


def run_in_process(capsys, argv) -> tuple[object, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's errors exit, as in a shell
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


BAD_NUMBERS = ("nan", "inf", "-inf", "-1", "0", "1e300", "99999999999999999999999", "abc")
TRACE = ("trace", "--example", "quadratic")
EXPORT = ("export", "--example", "quadratic", "-o", "{tmp}/out.png")
RUN = ("trace", "--run", "--code", "{tmp}/ok.py")
CASES = [
    # trace
    *[(*TRACE, "--call", v) for v in ("0", "-1", "99999999999999999999999", "nan", "1e3")],
    (*TRACE, "--output", "nope"),
    ("trace", "--example", "nope"),
    ("trace",),
    ("trace", "--code", "{tmp}/missing.py"),
    ("trace", "--code", "{tmp}/zero.py"),
    ("trace", "--code", "{tmp}/zero.ipynb"),
    ("trace", "--code", "{tmp}/folder.py"),
    ("trace", "--code", "{tmp}/big.py"),
    ("trace", "--session", "{tmp}/zero.nla"),
    ("trace", "--session", "{tmp}/folder.py"),
    ("trace", "--session", "{tmp}/missing.nla"),
    *[(*RUN, "--timeout", v) for v in BAD_NUMBERS],
    *[(*RUN, "--memory-mb", v) for v in ("0", "-1", "99999999999999999999999", "nan", "1.5")],
    (*RUN, "--call", "0"),
    ("trace", "--run", "--code", "{tmp}/zero.py"),
    ("trace", "--run", "--code", "{tmp}/folder.py"),
    # export
    *[(*EXPORT, "--font-size", v) for v in BAD_NUMBERS],
    *[(*EXPORT, "--scale", v) for v in BAD_NUMBERS],
    *[(*EXPORT, "--step", v) for v in ("0", "-1", "99999999999999999999999", "nan")],
    (*EXPORT, "--layout", "spiral"),
    ("export", "--example", "quadratic", "-o", "/sys/x.png"),
    ("export", "--example", "quadratic", "-o", "/proc/x.png"),
    ("export", "--example", "quadratic", "-o", "{tmp}/missing/x.png"),
    ("export", "--example", "quadratic", "-o", "{tmp}/folder.py"),
    ("export", "--example", "quadratic", "-o", "{tmp}/fifo.png"),
    ("export", "--example", "quadratic", "-o", "{tmp}/x.jpeg"),
    ("export", "--example", "quadratic"),
    ("export", "--code", "{tmp}/zero.py", "-o", "{tmp}/out.png"),
    # train
    *[("train", "--lr", v) for v in BAD_NUMBERS],
    *[("train", "--noise", v) for v in ("nan", "inf", "-1", "1e300", "abc")],
    *[("train", option, v) for option in ("--hidden", "--epochs", "--points", "--every")
      for v in ("0", "-1", "99999999999999999999999", "nan", "2.5")],
    *[("train", "--seed", v) for v in ("-1", "99999999999999999999999", "x")],
    ("train", "--activation", "swish"),
    ("train", "--target", "x ** ** 2"),
    ("train", "--device", "gpu"),
    ("train", "--device", ""),
    ("train", "--device", "cuda:99999999999999999999"),
    ("timing", "--devices", "cuda:99999999999999999999", "--sizes", "16"),
    *([("train", "--device", "cuda:7")] if torch_cuda_count() < 8 else []),
    # timing
    *[("timing", "--min-time", v) for v in BAD_NUMBERS],
    *[("timing", "--max-call-time", v) for v in BAD_NUMBERS],
    *[("timing", "--sizes", v) for v in ("0", "-1", "99999999999999999999999", "nan", "1e4",
                                         "16..1e9", "64..16", "")],
    ("timing", "--devices", "cuda:99999"),
    ("timing", "--devices", "cuda:99999999999999999999"),
    ("timing", "--devices", "tpu"),
    ("timing", "--csv", "/sys/x.csv", "--sizes", "8"),
    ("timing", "--csv", "{tmp}/missing/x.csv", "--sizes", "8"),
    ("timing", "--csv", "{tmp}/folder.py", "--sizes", "8"),
    ("timing", "--csv", "{tmp}/fifo.csv", "--sizes", "8"),
    # examples and the window's arguments (all refused before Qt is imported)
    ("examples", "--bogus"),
    ("tarce", "--example", "quadratic"),
    ("trcae",),
    ("--bogus",),
    ("--example", "nope"),
    ("{tmp}/missing.nla",),
    ("{tmp}/zero.nla",),
    ("{tmp}/fifo.nla",),
    ("{tmp}/folder.py",),
    ("--install-desktop-entry", "--uninstall-desktop-entry"),
]


@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a)[:60])
def test_a_bad_argument_is_one_line_and_exit_2(files, capsys, args):
    began = time.monotonic()
    code, out, err = run_in_process(capsys, expand(args, files))
    one_line_error(code, out, err)
    assert out == ""
    assert time.monotonic() - began < 20


@pytest.mark.parametrize("args,message", [
    (("tarce", "--example", "quadratic"), "unknown command 'tarce' (did you mean trace?"),
    (("trace", "--code", "{tmp}/fifo.py"), "it is a FIFO"),
    (("trace", "--session", "{tmp}/fifo.nla"), "it is a FIFO"),
    (("trace", "--run", "--code", "{tmp}/fifo.py"), "fifo.py"),
    (("export", "--code", "{tmp}/fifo.py", "-o", "{tmp}/out.png"), "it is a FIFO"),
    (("trace", "--session", "{tmp}/zero.nla"), "character device"),
    (("export", "--example", "quadratic", "-o", "/sys/x.png", "--font-size", "nan"),
     "--font-size"),
    (("export", "--example", "quadratic", "-o", "/sys/x.png"), "cannot write /sys/x.png"),
    (("timing", "--min-time", "nan"), "min_time"),
    (("train", "--lr", "inf"), "lr"),
])
def test_the_command_itself_answers_in_one_line_quickly(files, args, message):
    """A real process with no display: FIFOs are not opened, nothing aborts or hangs."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT)
    began = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "nla_explorer", *expand(args, files)],
                         capture_output=True, text=True, env=env, timeout=60)
    one_line_error(out.returncode, out.stdout, out.stderr)
    assert message in out.stderr
    assert time.monotonic() - began < 30


def test_the_window_without_a_display_says_so(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE")}
    env.update(PYTHONPATH=str(ROOT), HOME=str(tmp_path), XDG_RUNTIME_DIR=str(tmp_path))
    began = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "nla_explorer"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nla-explorer: no display: "), out.stderr
    assert "set DISPLAY, or use the headless subcommands: export, trace, train, timing" in lines[0]
    assert time.monotonic() - began < 15


@pytest.mark.parametrize("environ,platform,needs_display", [
    ({}, "linux", True),
    ({"DISPLAY": ":0"}, "linux", False),
    ({"WAYLAND_DISPLAY": "wayland-1"}, "linux", False),
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
    ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, "linux", False),
    ({"QT_QPA_PLATFORM": "xcb"}, "linux", True),
    ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "w"}, "linux", True),
    ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":1"}, "linux", False),
    ({"QT_QPA_PLATFORM": ""}, "linux", True),
    ({}, "darwin", False),
    ({}, "win32", False),
])
def test_display_detection(environ, platform, needs_display):
    from nla_explorer.cli.args import display_problem

    assert (display_problem(environ, platform) is not None) == needs_display


@pytest.mark.parametrize("args", [("export", "--example", "quadratic", "-o", "{tmp}/g.png"),
                                  ("timing", "--sizes", "8", "--csv", "{tmp}/t.csv")])
def test_a_folder_without_room_is_one_line_before_any_work(files, capsys, monkeypatch, args):
    """No free inodes or space: the probe's temporary file fails, before rendering or timing."""
    import errno
    import tempfile

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(tempfile, "mkstemp", full)
    code, out, err = run_in_process(capsys, expand(args, files))
    one_line_error(code, out, err)
    assert "No space left on device" in err
