"""Bad slide arguments of ``nla-explorer export``: one line on stderr, exit 2, nothing written, and
all before Qt (these tests run with Qt unimportable)."""

from __future__ import annotations

import pytest

from tests.engine.test_cli_errors import one_line_error, run_in_process

SLIDE = ("export", "--example", "quadratic", "--layout", "builtin")


@pytest.mark.parametrize("args,message", [
    (("--slide", "--step", "99", "-o", "s.png"), "--step must be between 1 and 9"),
    (("--slide", "--step", "0", "-o", "s.svg"), "--step must be between 1 and 9"),
    (("--slide", "--step", "two", "-o", "s.png"), "invalid int value: 'two'"),
    (("--slide", "-o", "s.gif"), "cannot export to 's.gif': the extension must be one of"),
    (("--all-steps", "-o", "steps.jpeg"), "the extension must be one of .png, .svg, .pdf, .dot"),
    (("--slide", "-o", "s.dot"), "--slide: a slide is a picture, not a graph file"),
    (("--all-steps", "-o", "s.dot"), "--all-steps: a slide is a picture"),
    (("--all-steps", "--step", "2", "-o", "s.pdf"), "--all-steps and --step do not go together"),
    (("--title", "Lecture 3", "-o", "s.png"), "--title goes with --slide or --all-steps"),
])
def test_bad_slide_arguments_are_one_line(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_in_process(capsys, SLIDE + args)
    one_line_error(code, out, err)
    assert message in err
    assert list(tmp_path.iterdir()) == []
