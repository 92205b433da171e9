"""Write resources/notebooks/*.ipynb (the course notebooks, from ../shared/seeds) and
resources/examples/*.nla (the course examples as sessions): python docs/make_resources.py

The seeds are notebooks exported as text: a code cell starts at ``In [..]:``; its code is the
blank-line separated chunks that follow while they read as Python; printed output (``tensor(...)``,
numbers, reprs) follows, then the notebook's markdown up to the next cell. The notebooks are plain
nbformat 4 JSON (no outputs: run them to see them).
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
RESOURCES = ROOT / "resources"
_CELL = re.compile(r"^In \[[^\]]*\]:\s*$")
_OUTPUT = re.compile(r"^(tensor\(|torch\.Size|-?\d|\[|\(|<|True|False|None$|array\()")
#: seed file → notebook name
NAMES = {"000": "nla_and_neural_networks", "001": "nla_and_neural_networks_ru",
         "002": "tensors_gradients_least_squares", "003": "basics_of_neural_networks"}


def _chunks(lines: list[str]) -> list[list[str]]:
    chunks, chunk = [], []
    for line in lines + [""]:
        if line.strip():
            chunk.append(line)
        elif chunk:
            chunks.append(chunk)
            chunk = []
    return chunks


def _comments(chunk: list[str]) -> bool:
    return all(line.lstrip().startswith("#") for line in chunk)


def split_cell(lines: list[str]) -> tuple[str, list[str]]:
    """A cell's code, and the markdown that follows its printed output."""
    chunks = _chunks(lines)
    code: list[list[str]] = []
    for chunk in chunks:
        if _OUTPUT.match(chunk[0]):
            break
        try:
            ast.parse("\n\n".join("\n".join(c) for c in code + [chunk]))
        except SyntaxError:
            break
        code.append(chunk)
    rest = chunks[len(code):]
    while len(code) > 1 and _comments(code[-1]):  # a "# Heading" after the code is markdown
        rest.insert(0, code.pop())
    while rest and _OUTPUT.match(rest[0][0]):
        rest.pop(0)  # printed output: the notebook shows it when run
    return "\n\n".join("\n".join(c) for c in code), ["\n".join(c) for c in rest]


def notebook_from_text(text: str) -> dict:
    """An nbformat-4 notebook of the exported text's markdown and code cells."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if _CELL.match(line)] + [len(lines)]
    cells = []
    if starts[0] > 0:
        cells.append(_markdown(["\n".join(c) for c in _chunks(lines[:starts[0]])]))
    for start, end in zip(starts, starts[1:]):
        code, markdown = split_cell(lines[start + 1:end])
        cells.append({"cell_type": "code", "execution_count": None, "metadata": {},
                      "outputs": [], "source": _source(code)})
        if markdown:
            cells.append(_markdown(markdown))
    return {"cells": [c for c in cells if c["source"] or c["cell_type"] == "code"],
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                        "name": "python3"},
                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def _markdown(paragraphs: list[str]) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": _source("\n\n".join(paragraphs))}


def _source(text: str) -> list[str]:
    lines = text.split("\n") if text else []
    return [line + "\n" for line in lines[:-1]] + lines[-1:]


def notebook_json(notebook: dict) -> str:
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def write_notebooks(seeds: Path = SEEDS, out: Path = RESOURCES / "notebooks") -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(seeds.glob("*.txt")):
        target = out / f"{NAMES.get(path.name[:3], path.stem)}.ipynb"
        target.write_text(notebook_json(notebook_from_text(path.read_text(encoding="utf-8"))),
                          encoding="utf-8")
        written.append(target)
    return written


def write_examples(out: Path = RESOURCES / "examples") -> list[Path]:
    sys.path.insert(0, str(ROOT))
    from nla_explorer.engine.examples import EXAMPLES
    from nla_explorer.engine.sessions.nla_file import save_session

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, example in EXAMPLES.items():
        target = out / f"{name}.nla"
        save_session(target, example.expression())
        written.append(target)
    return written


def main() -> int:
    if not SEEDS.is_dir():
        print(f"no seeds at {SEEDS}", file=sys.stderr)
        return 2
    for path in write_notebooks() + write_examples():
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
