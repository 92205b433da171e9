"""Cells of the Code dock's text (``# %%`` markers) and the program files read into it."""

from __future__ import annotations

import ast
import json
import os
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nla_explorer.engine.errors import EngineError, ExpressionError
from nla_explorer.engine.runner import cells as cells_module
from nla_explorer.engine.runner.cells import (
    MAGIC_NOTE, Cell, cell_at, join_cells, python_cell, read_program, split_cells)

NOTEBOOKS = Path(__file__).resolve().parents[2] / "resources" / "notebooks"

TEXT = """import torch
x = torch.ones(2)

# %% In[7]
y = x * 2

# %% Training
z = y.sum()
# %%
"""


def test_a_text_without_markers_is_one_cell_from_line_1():
    (cell,) = split_cells("a = 1\nb = 2\n\n")
    assert cell == Cell(index=0, first_line=1, source="a = 1\nb = 2", label="In[1]")
    assert not cell.is_empty
    assert split_cells("") == (Cell(index=0, first_line=1, source="", label="In[1]"),)
    assert split_cells("\n \n")[0].is_empty and cell_at("", 1).index == 0


def test_cells_their_first_lines_sources_and_labels():
    cells = split_cells(TEXT)
    assert [c.index for c in cells] == [0, 1, 2, 3]
    assert [c.first_line for c in cells] == [1, 5, 8, 10]
    assert [c.label for c in cells] == ["In[1]", "In[7]", "In[3]", "In[4]"]
    assert [c.source for c in cells] == ["import torch\nx = torch.ones(2)", "y = x * 2",
                                         "z = y.sum()", ""]
    assert [c.is_empty for c in cells] == [False, False, False, True]


def test_a_blank_preamble_is_no_cell():
    cells = split_cells("\n  \n# %% In[2]\na = 1\n")
    assert [(c.index, c.first_line, c.label, c.source) for c in cells] == [(0, 4, "In[2]", "a = 1")]


def test_labels_from_markers_in_other_spellings():
    text = ("#%% In [12]:\na = 1\n# %%   In[ 3 ]\nb = 2\n# %% In[]\nc = 3\n"
            "# %% [markdown]\n# # Title\n")
    cells = split_cells(text)
    assert [c.label for c in cells] == ["In[12]", "In[3]", "In[3]", "In[4]"]
    assert cells[3].is_empty
    assert split_cells("    # %% indented\n")[0].source == "    # %% indented"  # no marker


def test_comments_and_blank_lines_only_make_an_empty_cell():
    cells = split_cells("# %%\n# just a note\n\n   # another\n# %%\n'''a docstring'''\n")
    assert [c.is_empty for c in cells] == [True, False]


def test_windows_and_old_mac_line_ends():
    cells = split_cells("a = 1\r\n# %% In[2]\r\nb = 2\rc = 3\r\n")
    assert [(c.first_line, c.source) for c in cells] == [(1, "a = 1"), (3, "b = 2\nc = 3")]


def test_cell_at():
    assert cell_at(TEXT, 1).index == 0
    assert cell_at(TEXT, 3).index == 0  # the blank line before the next marker
    assert cell_at(TEXT, 4).index == 1  # a marker line opens its cell
    assert cell_at(TEXT, 5).index == 1
    assert cell_at(TEXT, 7).index == 2
    assert cell_at(TEXT, 9).index == 3
    assert cell_at(TEXT, 10).index == 3  # the empty last line after the final newline
    assert cell_at(TEXT, 0) is None and cell_at(TEXT, 11) is None
    assert cell_at("\n\n# %%\na\n", 1) is None  # blank lines before the first marker
    assert cell_at("\n\n# %%\na\n", 3).first_line == 4


def test_cell_at_agrees_with_split_cells_on_every_line():
    for number in range(1, TEXT.count("\n") + 2):
        cell = cell_at(TEXT, number)
        assert cell is not None and cell in split_cells(TEXT)
        assert cell.first_line - 1 <= number  # at or after its marker line


def test_join_cells():
    assert join_cells(["a = 1", "b = 2\n\n"]) == "# %% In[1]\na = 1\n\n# %% In[2]\nb = 2\n"
    assert join_cells(["a = 1"], ["In[5]"]) == "# %% In[5]\na = 1\n"
    assert join_cells([]) == ""  # whose split_cells is one empty cell, as for any markerless text
    with pytest.raises(ValueError):
        join_cells(["a"], ["In[1]", "In[2]"])
    with pytest.raises(ValueError):
        join_cells(["a = 1\n# %% sneaky\nb = 2"])


_LINE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
                max_size=12).filter(lambda line: not cells_module.MARKER.match(line))
_SOURCE = st.lists(_LINE, max_size=6).map("\n".join)


def _without_trailing_blank_lines(source: str) -> str:
    lines = source.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


@settings(max_examples=200, deadline=None)
@given(st.lists(_SOURCE, min_size=1, max_size=6), st.booleans())
def test_split_gives_back_what_join_was_given(sources, numbered):
    labels = [f"In[{3 * k + 2}]" for k in range(len(sources))] if numbered else None
    cells = split_cells(join_cells(sources, labels))
    assert [c.source for c in cells] == [_without_trailing_blank_lines(s) for s in sources]
    assert [c.index for c in cells] == list(range(len(sources)))
    assert [c.label for c in cells] == (labels or [f"In[{k + 1}]" for k in range(len(sources))])
    text_lines = join_cells(sources, labels).split("\n")
    for cell in cells:
        assert text_lines[cell.first_line - 2].startswith("# %% In[")
        for offset, line in enumerate(cell.source.split("\n") if cell.source else []):
            assert text_lines[cell.first_line - 1 + offset] == line


def test_first_line_maps_a_cells_errors_to_the_whole_text():
    text = "a = 1\n\n# %% In[1]\nb = 2\n\n# %% In[2]\n\nc = 3\nd = (\n"
    cell = split_cells(text)[2]
    with pytest.raises(SyntaxError) as caught:
        compile(cell.source, "<cell>", "exec")
    whole_text_line = caught.value.lineno + cell.first_line - 1
    assert text.split("\n")[whole_text_line - 1] == "d = ("


def test_first_line_offsets_a_cells_code_to_its_lines_in_the_text():
    text = "x = 1\n# %% In[1]\n\ny = 2\nraise ValueError(y)\n# %% In[2]\nz = 3\n"
    cell = cell_at(text, 5)
    tree = ast.parse(cell.source)
    ast.increment_lineno(tree, cell.first_line - 1)
    try:
        exec(compile(tree, "<text>", "exec"), {})
    except ValueError as exc:
        line = exc.__traceback__.tb_next.tb_lineno
    assert text.split("\n")[line - 1] == "raise ValueError(y)"


# -- notebooks and files -------------------------------------------------------------------


@pytest.mark.parametrize("name, count", [("basics_of_neural_networks", 17),
                                         ("nla_and_neural_networks", 3),
                                         ("nla_and_neural_networks_ru", 3),
                                         ("tensors_gradients_least_squares", 11)])
def test_read_program_on_the_course_notebooks(name, count):
    path = NOTEBOOKS / f"{name}.ipynb"
    cells = split_cells(read_program(path))
    assert len(cells) == count
    assert [c.label for c in cells] == [f"In[{k}]" for k in range(1, count + 1)]
    notebook = json.loads(path.read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    assert [c.source for c in cells] == [_without_trailing_blank_lines(s) for s in sources]
    for cell in cells:
        compile(cell.source, cell.label, "exec")


def test_the_basics_notebook_cells_start_where_the_text_says():
    text = read_program(NOTEBOOKS / "basics_of_neural_networks.ipynb")
    lines = text.split("\n")
    for cell in split_cells(text):
        assert lines[cell.first_line - 2] == f"# %% {cell.label}"
        assert lines[cell.first_line - 1] == cell.source.split("\n")[0]


def _notebook(tmp_path: Path, cells: list[dict], **metadata) -> Path:
    path = tmp_path / "made.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4,
                                "nbformat_minor": 5}), encoding="utf-8")
    return path


def _code(source) -> dict:
    return {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": source}


def test_magics_become_comments_and_markdown_is_left_out(tmp_path):
    path = _notebook(tmp_path, [
        {"cell_type": "markdown", "metadata": {}, "source": "# Title\ntext"},
        _code(["%matplotlib inline\n", "import torch\n", "!pip install numpy\n"]),
        _code(""),
        _code("# %% inside\nx = 1\n"),
    ], kernelspec={"language": "python", "name": "python3", "display_name": "Python 3"})
    cells = split_cells(read_program(path))
    assert [c.label for c in cells] == ["In[1]", "In[2]", "In[3]"]
    assert cells[0].source.split("\n") == [f"# %matplotlib inline  {MAGIC_NOTE}",
                                           "import torch", f"# !pip install numpy  {MAGIC_NOTE}"]
    assert cells[1].is_empty
    assert cells[2].source == "## %% inside\nx = 1"


def test_python_cell_keeps_line_numbers_and_valid_python():
    assert python_cell("a = (1\n     % 2)") == "a = (1\n     % 2)"  # % continues an expression
    out = python_cell("for i in range(2):\n    %time f(i)\nb = 1")
    assert out.split("\n")[1] == f"    pass  # %time f(i)  {MAGIC_NOTE}"
    ast.parse(out)
    timed = python_cell("%%time\nx = 1")
    assert timed.split("\n")[1] == "x = 1" and not cells_module.MARKER.match(timed)
    bash = python_cell("%%bash\nls -l\n  echo hi")
    assert len(bash.split("\n")) == 3
    ast.parse(bash)
    assert len(split_cells(join_cells([bash]))) == 1


def test_read_program_on_a_python_file(tmp_path):
    path = tmp_path / "prog.py"
    text = "import torch\n# %% In[2]\nx = torch.ones(3)\n"
    path.write_bytes(("\ufeff" + text).encode("utf-8"))
    assert read_program(path) == text
    assert read_program(str(path)) == text


def _raises(path, *words) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        read_program(path)
    assert isinstance(caught.value, EngineError)
    for word in words:
        assert word in str(caught.value)
    return caught.value


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", ["pipe.py", "pipe.ipynb"])
def test_a_fifo_is_refused_at_once(tmp_path, name):
    path = tmp_path / name
    os.mkfifo(path)
    start = time.monotonic()
    _raises(path, name, "not a regular file")
    assert time.monotonic() - start < 5


@pytest.mark.timeout(20)
@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_device_is_refused(tmp_path):
    link = tmp_path / "zero.py"
    link.symlink_to("/dev/zero")
    _raises(link, "zero.py", "not a regular file")


def test_a_fifo_swapped_in_after_the_stat_does_not_block(tmp_path, monkeypatch):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    path = tmp_path / "swapped.py"
    path.write_text("x = 1\n", encoding="utf-8")
    real_stat = os.stat

    def stat_then_swap(target, *args, **kwargs):
        status = real_stat(target, *args, **kwargs)
        path.unlink()
        os.mkfifo(path)
        return status

    monkeypatch.setattr(cells_module.os, "stat", stat_then_swap)
    done = threading.Event()
    threading.Thread(target=lambda: (_raises(path, "not a regular file"), done.set()),
                     daemon=True).start()
    assert done.wait(10)


def test_a_too_big_file_is_refused(tmp_path):
    path = tmp_path / "big.py"
    with open(path, "wb") as fh:
        fh.truncate(cells_module.MAX_BYTES + 1)
    _raises(path, "big.py", "bytes")


def test_missing_unsupported_and_undecodable_files(tmp_path):
    _raises(tmp_path / "absent.py", "absent.py")
    (tmp_path / "notes.md").write_text("hi", encoding="utf-8")
    _raises(tmp_path / "notes.md", "notes.md", ".md")
    (tmp_path / "cell.txt").write_text("x = 1\n", encoding="utf-8")
    assert read_program(tmp_path / "cell.txt") == "x = 1\n"  # course code saved as text
    _raises(tmp_path, tmp_path.name)  # a folder: not a .py/.ipynb suffix
    folder = tmp_path / "folder.py"
    folder.mkdir()
    _raises(folder, "not a regular file")
    (tmp_path / "latin.py").write_bytes(b"x = '\xe9'\n")
    _raises(tmp_path / "latin.py", "latin.py", "UTF-8")


@pytest.mark.parametrize("content", [
    "", "{", "[]", "null", '{"nbformat": 4}', '{"nbformat": 9, "cells": []}',
    '{"nbformat": 4, "nbformat_minor": 5, "cells": 3, "metadata": {}}',
    '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", '
    '"source": 5}]}',
    '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [' + "[" * 5000 + "]" * 5000
    + "]}",
])
def test_a_broken_notebook_is_a_clear_error(tmp_path, content):
    path = tmp_path / "broken.ipynb"
    path.write_text(content, encoding="utf-8")
    error = _raises(path, "broken.ipynb", "notebook")
    assert "Traceback" not in str(error)


def test_a_notebook_of_another_language_is_refused(tmp_path):
    path = _notebook(tmp_path, [_code("x <- 1")], kernelspec={"language": "R", "name": "ir"})
    _raises(path, "made.ipynb", "R notebook")
