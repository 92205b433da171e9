"""Notebook cells in one text (jupytext "percent" style ``# %% In[3]`` markers); program files."""

from __future__ import annotations

import ast
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.sessions.atomic import FileTooBigError, NotRegularFileError, read_limited

#: A line opening a cell: ``# %%`` (or ``#%%``, as some editors write it) at the start of the line.
MARKER = re.compile(r"#\s?%%")
_LABEL = re.compile(r"#\s?%%\s*In\s*\[\s*(\d+)\s*\]")
#: Line breaks as the Python compiler counts them (not ``str.splitlines``: form feeds, ``\x1c``...)
_NEWLINE = re.compile(r"\r\n|\r|\n")
#: The largest program file read, in bytes.
MAX_BYTES = 5_000_000
#: Suffixes :func:`read_program` reads.
SUFFIXES = (".py", ".txt", ".ipynb")  # .txt: course code pasted into a text file
MAGIC_NOTE = "(IPython magic, skipped)"
#: Cell magics whose body is Python: only their first line is skipped.
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "python", "python3"})


@dataclass(frozen=True)
class Cell:
    """One cell: its code, and where it starts in the whole text."""

    index: int  # 0-based, in the text
    first_line: int  # 1-based line in the whole text of the cell's first code line
    source: str  # the code without the marker line nor trailing blank lines
    label: str  # "In[k]"

    @property
    def is_empty(self) -> bool:
        """True when the cell holds only blank lines and comments."""
        return all(not line.strip() or line.lstrip().startswith("#")
                   for line in _lines(self.source))


def _lines(text: str) -> list[str]:
    return _NEWLINE.split(text)


def _strip_trailing_blank(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def _label(marker_line: str, index: int) -> str:
    found = _LABEL.match(marker_line)
    return f"In[{int(found.group(1))}]" if found else f"In[{index + 1}]"


def _spans(text: str) -> list[tuple[int, int, str | None]]:
    """``(start, stop, marker)`` per cell: 0-based line range of its code, and its marker line."""
    lines = _lines(text)
    markers = [i for i, line in enumerate(lines) if MARKER.match(line)]
    spans: list[tuple[int, int, str | None]] = []
    head_end = markers[0] if markers else len(lines)
    if not markers or any(line.strip() for line in lines[:head_end]):
        spans.append((0, head_end, None))
    for k, at in enumerate(markers):
        stop = markers[k + 1] if k + 1 < len(markers) else len(lines)
        spans.append((at + 1, stop, lines[at]))
    return spans


def split_cells(text: str) -> tuple[Cell, ...]:
    """The cells of ``text``: a text without markers is one cell starting at line 1.

    Before the first marker, a cell 0 only if the lines there are not all blank.
    """
    lines = _lines(text)
    cells = []
    for index, (start, stop, marker) in enumerate(_spans(text)):
        source = "\n".join(_strip_trailing_blank(lines[start:stop]))
        label = f"In[{index + 1}]" if marker is None else _label(marker, index)
        cells.append(Cell(index=index, first_line=start + 1, source=source, label=label))
    return tuple(cells)


def cell_at(text: str, line: int) -> Cell | None:
    """The cell holding 1-based ``line`` (a marker line belongs to the cell it opens), or None."""
    if not 1 <= line <= len(_lines(text)):
        return None
    spans = _spans(text)
    for cell, (start, stop, marker) in zip(split_cells(text), spans):
        opening = start - 1 if marker is not None else start
        if opening < line <= stop:
            return cell
    return None


def join_cells(sources: list[str], labels: list[str] | None = None) -> str:
    """The percent-format text of ``sources``: ``split_cells`` of it gives them back.

    Labels default to ``In[1]``, ``In[2]``...; a source must hold no marker line of its own.
    """
    if labels is None:
        labels = [f"In[{k}]" for k in range(1, len(sources) + 1)]
    if len(labels) != len(sources):
        raise ValueError(f"{len(labels)} labels for {len(sources)} cells")
    parts = []
    for label, source in zip(labels, sources):
        if _NEWLINE.search(label):
            raise ValueError(f"a cell label is one line, not {label!r}")
        lines = _strip_trailing_blank(_lines(source))
        if any(MARKER.match(line) for line in lines):
            raise ValueError(f"cell {label} holds a '# %%' line of its own")
        parts.append("\n".join([f"# %% {label}".rstrip(), *lines]))
    return "\n\n".join(parts) + "\n" if parts else ""


# -- program files ---------------------------------------------------------------------------


def read_program(path: str | os.PathLike) -> str:
    """The text the Code dock shows for a ``.py`` file (as is) or a notebook (its code cells).

    A notebook's code cells become ``# %% In[k]`` cells (k counts code cells from 1); markdown
    and raw cells are left out, IPython magics and shell lines become comments. Any problem (not
    a regular file, too big, not UTF-8, a malformed notebook) is an :class:`ExpressionError`
    naming the file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ExpressionError(f"{path.name}: NLA Explorer runs Python files (.py, .txt) and "
                              f"Jupyter notebooks (.ipynb), not {suffix or 'files without a suffix'}",
                              culprit=str(path))
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ExpressionError(f"{path.name} is not a UTF-8 text file", culprit=str(path)) from None
    text = text.removeprefix("\ufeff")
    return notebook_program(text, path.name, str(path)) if suffix == ".ipynb" else text


def _read_bytes(path: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_BYTES`, never blocking on a FIFO."""
    culprit = str(path)
    try:
        return read_limited(path, MAX_BYTES)
    except NotRegularFileError:
        raise ExpressionError(f"{path} is not a regular file", culprit=culprit) from None
    except FileTooBigError as exc:
        text = (f"{path.name} is {exc.size:,} bytes; programs are at most {MAX_BYTES:,}"
                if exc.size is not None else
                f"{path.name} is over {MAX_BYTES:,} bytes: too big to open")
        raise ExpressionError(text, culprit=culprit) from None
    except OSError as exc:
        raise ExpressionError(f"cannot read {path}: {exc.strerror or exc}",
                              culprit=culprit) from None


def notebook_program(text: str, name: str = "notebook", culprit: str | None = None) -> str:
    """The percent-format program of a notebook's JSON ``text`` (``name`` for messages)."""
    culprit = culprit or name
    import nbformat  # a few hundred ms: only when a notebook is opened
    from nbformat import reader

    try:
        with warnings.catch_warnings():  # missing cell ids and the like: still readable
            warnings.simplefilter("ignore")
            notebook = nbformat.convert(reader.reads(text), 4)
        cells = notebook.get("cells")
        if not isinstance(cells, list):
            raise ValueError("it has no list of cells")
        sources = [_cell_text(cell) for cell in cells
                   if isinstance(cell, dict) and cell.get("cell_type") == "code"]
        language = _language(notebook)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds for malformed input
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ExpressionError(f"{name} is not a readable Jupyter notebook ({reason})",
                              culprit=culprit) from None
    if language and language.lower() != "python":
        raise ExpressionError(f"{name} is a {language} notebook; NLA Explorer runs Python",
                              culprit=culprit)
    return join_cells([python_cell(source) for source in sources])


def _cell_text(cell: dict) -> str:
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        return "".join(source)
    if isinstance(source, str):
        return source
    raise ValueError("a code cell's source is not text")


def _language(notebook: dict) -> str:
    metadata = notebook.get("metadata")
    if not isinstance(metadata, dict):
        return ""
    for key in ("kernelspec", "language_info"):
        section = metadata.get(key)
        name = section.get("language" if key == "kernelspec" else "name") \
            if isinstance(section, dict) else None
        if isinstance(name, str) and name.strip():
            return name.strip()
    return ""


def python_cell(source: str) -> str:
    """A notebook cell's code as plain Python: magics and shell lines turned into comments.

    Line for line (line numbers stay those of the cell). A cell that parses as Python is kept as
    it is (``% b`` may continue an expression); lines that would read as a cell marker
    (``# %%``) get one more ``#``.
    """
    lines = _strip_trailing_blank(_lines(source))
    code = [i for i, line in enumerate(lines) if line.strip()]
    if code and lines[code[0]].lstrip().startswith("%%"):
        magic = lines[code[0]].strip()[2:].split(maxsplit=1)
        if magic and magic[0] in _PYTHON_CELL_MAGICS:  # %%time: the body is Python
            lines[code[0]] = _skipped(lines[code[0]])
        else:  # %%bash, %%html...: not Python at all
            lines = [f"# {line}" if line.strip() else line for line in lines]
            lines[code[0]] += f"  {MAGIC_NOTE}"
    try:
        ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        lines = [_skipped(line) if line.lstrip().startswith(("%", "!")) else line
                 for line in lines]
    return "\n".join("#" + line if MARKER.match(line) else line for line in lines)


def _skipped(line: str) -> str:
    """A magic line as a comment; indented, a ``pass`` with it (a block must not end up empty)."""
    body = line.lstrip()
    indent = line[:len(line) - len(body)]
    return f"{indent}pass  # {body}  {MAGIC_NOTE}" if indent else f"# {body}  {MAGIC_NOTE}"
