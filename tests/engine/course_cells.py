"""The code cells of the course notebooks (``../shared/seeds/*.txt``, exported as text).

A cell starts at ``In [..]:``; its code is the blank-line separated chunks that follow while they
read as Python, up to the first chunk that is printed output (``tensor(...)``, numbers, reprs) or
prose (the notebook's markdown).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
_OUTPUT = re.compile(r"^(tensor\(|torch\.Size|-?\d|\[|\(|<|True|False|None$|array\()")


def _code_of(lines: list[str]) -> str:
    chunks, chunk = [], []
    for line in lines + [""]:
        if line.strip():
            chunk.append(line)
        elif chunk:
            chunks.append(chunk)
            chunk = []
    code: list[str] = []
    for chunk in chunks:
        if _OUTPUT.match(chunk[0]):
            break
        try:
            ast.parse("\n".join(code + [""] + chunk))
        except SyntaxError:
            break
        code += ([""] if code else []) + chunk
    return "\n".join(code).strip()


def course_cells() -> list[tuple[str, str]]:
    """``(label, code)`` for every non-empty code cell, label ``file:line``."""
    cells = []
    for path in sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else ():
        lines = path.read_text(encoding="utf-8").splitlines()
        starts = [i for i, line in enumerate(lines) if re.match(r"^In \[[^\]]*\]:\s*$", line)]
        for start, end in zip(starts, starts[1:] + [len(lines)]):
            code = _code_of(lines[start + 1:end])
            if code and not all(l.lstrip().startswith("#") for l in code.splitlines() if l.strip()):
                cells.append((f"{path.name[:3]}:{start + 1}", code))
    return cells
