"""Security in the Qt layer: exports and autosave write atomically at the chosen path only."""

import os

import pytest

from nla_explorer.engine import EXAMPLES, explore_code
from nla_explorer.graph_view.export import ExportError, export_graph
from nla_explorer.graph_view.picture import PictureOptions, build_picture


def fail(*args, **kwargs):
    raise OSError(28, "No space left on device")


@pytest.fixture(scope="module")
def picture(qapp):
    exp = explore_code(EXAMPLES["quadratic"].code)
    return build_picture(exp.graph, exp.trace, PictureOptions(engine="builtin"))


@pytest.mark.parametrize("suffix", [".dot", ".svg", ".png"])
def test_export_that_fails_keeps_the_old_file(picture, suffix, tmp_path, monkeypatch):
    path = tmp_path / f"graph{suffix}"
    path.write_bytes(b"old picture")
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(ExportError, match="No space left"):
        export_graph(path, picture.display, picture.layout, picture.style)
    assert path.read_bytes() == b"old picture" and list(tmp_path.iterdir()) == [path]


def test_export_writes_exactly_the_chosen_path(picture, tmp_path):
    outside, here = tmp_path / "outside", tmp_path / "here"
    outside.mkdir()
    (here / "sub").mkdir(parents=True)
    target = outside / "target.svg"
    target.write_text("keep me")
    (here / "link.svg").symlink_to(target)
    export_graph(here / "link.svg", picture.display, picture.layout, picture.style)
    export_graph(here / "sub" / ".." / "g.dot", picture.display, picture.layout, picture.style)
    assert target.read_text() == "keep me" and list(outside.iterdir()) == [target]
    assert sorted(p.name for p in here.iterdir()) == ["g.dot", "link.svg", "sub"]
    assert not (here / "link.svg").is_symlink() and "<svg" in (here / "link.svg").read_text()
    assert list((here / "sub").iterdir()) == []


def test_autosave_that_fails_keeps_the_old_recovery_file(window, monkeypatch, tmp_path):
    window.load_example("quadratic")
    window.code_panel.set_text(window.code_panel.text() + "g = f * f\n")
    window.code_panel.request_capture()
    recovery = window.sessions.recovery_path  # this window's own file (one per window)
    assert window.sessions.autosave()
    before = recovery.read_bytes()
    window.code_panel.set_text(window.code_panel.text() + "h = g * g\n")
    window.code_panel.request_capture()
    messages = []
    window.sessions.message.connect(messages.append)
    monkeypatch.setattr(os, "replace", fail)
    assert not window.sessions.autosave()
    assert recovery.read_bytes() == before
    assert not [p for p in recovery.parent.iterdir() if p.name.startswith(".nla-tmp-")]
    assert messages and "Autosave failed" in messages[-1]
