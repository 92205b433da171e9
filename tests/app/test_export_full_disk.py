"""Exports on a full disk (a tiny tmpfs, and injected ENOSPC) or killed mid-write lose no file."""

import errno
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nla_explorer.engine import explore_code, get_example
from nla_explorer.engine.sessions.atomic import TEMP_PREFIX
from nla_explorer.graph_view import export as export_module
from nla_explorer.graph_view.export import ExportError, export_graph
from nla_explorer.graph_view.picture import PictureOptions, build_picture
from tests.engine.test_atomic_writes import fill, temps, tiny_disk

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ("png", "svg", "pdf", "dot")


@pytest.fixture(scope="module")
def pictures(qapp):
    built = {}
    for name in ("quadratic", "polyfit_net"):
        exp = explore_code(get_example(name).code)
        built[name] = build_picture(exp.graph, exp.trace, PictureOptions(engine="builtin"))
    return built


def export(pic, path, **kwargs):
    return export_graph(path, pic.display, pic.layout, pic.style, **kwargs)


@pytest.mark.parametrize("suffix", FORMATS)
def test_a_full_disk_keeps_the_good_file_and_says_so(pictures, tmp_path, suffix):
    """Regression: SVG and PDF replaced a good file with a truncated one and reported success."""
    with tiny_disk(tmp_path, "256k") as disk:
        path = export(pictures["quadratic"], disk / f"g.{suffix}", scale=1.0)
        good = path.read_bytes()
        fill(disk, leave=0 if suffix == "dot" else 8192)  # the start of a picture fits, not all
        with pytest.raises(ExportError, match="cannot write"):
            export(pictures["polyfit_net"], path, scale=1.0)
        assert path.read_bytes() == good and temps(disk) == []
        assert sorted(p.name for p in disk.iterdir()) == ["filler", path.name]


def enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("suffix", FORMATS)
def test_injected_enospc_keeps_the_good_file(pictures, tmp_path, monkeypatch, suffix):
    path = export(pictures["quadratic"], tmp_path / f"g.{suffix}")
    good = path.read_bytes()
    monkeypatch.setattr(os, "fsync", enospc)
    with pytest.raises(ExportError, match="No space left"):
        export(pictures["polyfit_net"], path)
    assert path.read_bytes() == good and list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
def test_a_writer_that_cuts_the_file_silently_is_caught(pictures, tmp_path, monkeypatch, suffix):
    """What Qt's SVG and PDF writers do on a full disk: a short file and no error."""
    path = export(pictures["quadratic"], tmp_path / f"g.{suffix}")
    good = path.read_bytes()
    writer = getattr(export_module, f"_{suffix}")

    def cut(tmp, *args):
        writer(tmp, *args)
        os.truncate(tmp, os.path.getsize(tmp) // 2)

    monkeypatch.setitem(export_module.__dict__, f"_{suffix}", cut)
    with pytest.raises(ExportError, match="incomplete"):
        export(pictures["polyfit_net"], path)
    assert path.read_bytes() == good and list(tmp_path.iterdir()) == [path]


def test_a_dot_write_cut_by_a_full_disk_keeps_the_good_file(pictures, tmp_path, monkeypatch):
    path = export(pictures["quadratic"], tmp_path / "g.dot")
    good = path.read_bytes()

    def half(self, data):
        with open(self, "wb") as fh:
            fh.write(data[: len(data) // 2])
        enospc()

    monkeypatch.setattr(Path, "write_bytes", half)
    with pytest.raises(ExportError, match="No space left"):
        export(pictures["polyfit_net"], path)
    assert path.read_bytes() == good and list(tmp_path.iterdir()) == [path]


# -- kill -9 in the middle of a PNG export ---------------------------------------------------------
KILLED = textwrap.dedent('''
    import sys, time
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from nla_explorer.engine import explore_code, get_example
    from nla_explorer.graph_view import export as export_module
    from nla_explorer.graph_view.picture import PictureOptions, build_picture

    def stuck(tmp, *args):
        with open(tmp, "wb") as fh:
            fh.write(b"\\x89PNG half a picture")
        print("WRITING", flush=True)
        time.sleep(120)

    export_module._png = stuck
    exp = explore_code(get_example("quadratic").code)
    pic = build_picture(exp.graph, exp.trace, PictureOptions(engine="builtin"))
    export_module.export_graph(sys.argv[1], pic.display, pic.layout, pic.style)
''')


def test_kill_9_during_a_png_export_leaves_a_temp_that_is_cleaned_later(
        pictures, tmp_path, settings, qtbot):
    folder = tmp_path / "pictures"
    folder.mkdir()
    target = export(pictures["quadratic"], folder / "g.png")
    good = target.read_bytes()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    child = subprocess.Popen([sys.executable, "-c", KILLED, str(target)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert child.stdout.readline().strip() == "WRITING"
    finally:
        child.kill()  # SIGKILL: no clean-up in the child
        child.wait(10)
    left = [p for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX)]
    assert len(left) == 1 and left[0].name.startswith(f"{TEMP_PREFIX}g.png-")
    assert target.read_bytes() == good  # the picture that was there is whole
    export(pictures["quadratic"], folder / "other.png")  # a recent temp may be a live export
    assert left[0].exists()
    past = time.time() - 7200
    os.utime(left[0], (past, past))
    export(pictures["quadratic"], folder / "other.png")  # the next export there cleans it
    assert not left[0].exists()
    stale = folder / f"{TEMP_PREFIX}g.svg-abcdefgh"  # and so does the next start of the app
    stale.write_bytes(b"<svg")
    os.utime(stale, (past, past))
    settings.setValue("last/export_folder", str(folder))
    from nla_explorer.main_window import MainWindow
    window = MainWindow(settings, tmp_path / "recovery.nla")
    qtbot.addWidget(window)
    assert not stale.exists()
    assert sorted(p.name for p in folder.iterdir()) == ["g.png", "other.png"]
