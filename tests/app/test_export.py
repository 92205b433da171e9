"""Export: every format opens and holds the picture; bad targets are messages, nothing half-written."""

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest
from PySide6.QtGui import QImage

from nla_explorer.engine import explore_code, get_example
from nla_explorer.graph_view.export import ExportError, export_graph
from nla_explorer.graph_view.picture import PictureOptions, build_picture

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def picture(qapp):
    exp = explore_code(get_example("quadratic").code)
    return exp, build_picture(exp.graph, exp.trace, PictureOptions(engine="builtin"))


def test_png_has_the_scaled_size_and_background(picture, tmp_path):
    _, pic = picture
    path = export_graph(tmp_path / "g.png", pic.display, pic.layout, pic.style, scale=2.0)
    image = QImage(str(path))
    assert not image.isNull()
    rect = pic.layout
    assert image.width() >= 2 * rect.width and image.height() >= 2 * rect.height
    assert image.pixelColor(1, 1).name() == "#ffffff"
    clear = export_graph(tmp_path / "t.png", pic.display, pic.layout, pic.style,
                         transparent=True)
    assert QImage(str(clear)).pixelColor(1, 1).alpha() == 0


def test_svg_is_xml_with_every_label_as_text(picture, tmp_path):
    _, pic = picture
    path = export_graph(tmp_path / "g.svg", pic.display, pic.layout, pic.style)
    root = ET.parse(path).getroot()
    texts = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for node in pic.display.nodes:
        assert node.title in texts, node.title


def test_pdf_has_a_page(picture, tmp_path):
    _, pic = picture
    data = export_graph(tmp_path / "g.pdf", pic.display, pic.layout, pic.style).read_bytes()
    assert data.startswith(b"%PDF") and b"/Type /Page" in data


def test_dot_holds_the_same_nodes_and_edges(picture, tmp_path):
    exp, pic = picture
    text = export_graph(tmp_path / "g.dot", pic.display, pic.layout, pic.style).read_text()
    ids = set(re.findall(r"^\s*\"?(\w+)\"? \[", text, flags=re.M))
    assert {n.id for n in exp.graph.nodes} <= ids
    assert len(re.findall(r"->", text)) == len(pic.display.edges)
    if shutil.which("dot"):
        parsed = json.loads(graphviz.Source(text).pipe(format="json", engine="neato"))
        assert len(parsed["objects"]) == len(pic.display.nodes)
        assert len(parsed["edges"]) == len(pic.display.edges)


def test_dot_boxes_have_the_pictures_fills_and_borders_order_two_too(qapp, tmp_path):
    """One table of box colours: the DOT file and the picture read the same one (a higher-order
    box, which the DOT kept in its kind's grey, is in its own colour in both)."""
    from nla_explorer.engine.samples import DOUBLE_BACKWARD
    from nla_explorer.graph_view.kind_styles import box_style

    exp = explore_code(DOUBLE_BACKWARD)
    pic = build_picture(exp.graph, exp.trace, PictureOptions(engine="builtin"))
    text = export_graph(tmp_path / "g.dot", pic.display, pic.layout, pic.style).read_text()
    colours = {m[0]: (m[2], m[1]) for m in re.findall(  # each node: label, border, fill
        r'^\s*"?(\w+)"? \[label=.*?\scolor="(#\w+)" fillcolor="(#\w+)"', text, flags=re.M | re.S)}
    orders = set()
    for node in pic.display.nodes:
        look = box_style(node)
        assert colours[node.id] == (look.fill, look.border), node.id
        orders.add(node.order)
    assert orders >= {1, 2}


@pytest.mark.parametrize("name,message", [
    ("g.jpeg", "extension must be one of"),
    ("missing/dir/g.png", "does not exist"),
])
def test_bad_targets(picture, tmp_path, name, message):
    _, pic = picture
    with pytest.raises(ExportError, match=message):
        export_graph(tmp_path / name, pic.display, pic.layout, pic.style)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_folder(picture, tmp_path):
    _, pic = picture
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(ExportError, match="not writable"):
        export_graph(locked / "g.png", pic.display, pic.layout, pic.style)


def test_failed_write_leaves_nothing(picture, tmp_path, monkeypatch):
    _, pic = picture
    from nla_explorer.graph_view import export as export_module

    def broken(*args):
        raise ExportError("the PNG could not be written")
    monkeypatch.setitem(export_module.__dict__, "_png", broken)
    with pytest.raises(ExportError):
        export_graph(tmp_path / "g.png", pic.display, pic.layout, pic.style)
    assert list(tmp_path.iterdir()) == []


def cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "nla_explorer", "export", *args],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=180)


def test_cli_exports_every_format(tmp_path):
    for suffix in ("png", "svg", "pdf", "dot"):
        out = cli("--example", "polyfit_net", "-o", f"net.{suffix}", "--layout", "builtin",
                  cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert (tmp_path / f"net.{suffix}").stat().st_size > 100
    assert not QImage(str(tmp_path / "net.png")).isNull()


def test_cli_export_errors(tmp_path):
    out = cli("--example", "quadratic", "-o", "g.bmp", cwd=tmp_path)
    assert out.returncode == 2 and "extension must be one of" in out.stderr
    assert "Traceback" not in out.stderr
    out = cli("--example", "quadratic", "-o", "nowhere/g.png", cwd=tmp_path)
    assert out.returncode == 2 and "does not exist" in out.stderr
    assert list(tmp_path.iterdir()) == []


def test_huge_png_is_scaled_to_the_pixel_budget():
    from PySide6.QtCore import QRectF

    from nla_explorer.graph_view.export import PNG_MAX_PIXELS, png_size
    size = png_size(QRectF(0, 0, 1000, 200_000), 2.0)
    assert size.width() * size.height() <= PNG_MAX_PIXELS * 1.01
    assert size.height() / size.width() == pytest.approx(200.0, rel=0.01)
    assert png_size(QRectF(0, 0, 300, 200), 2.0).width() == 600
