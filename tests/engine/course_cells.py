"""The code cells of the course notebooks, as shipped in ``resources/notebooks/*.ipynb``.

The notebooks are made from ``../shared/seeds`` by ``docs/make_resources.py``
(``test_resources.py`` checks they are up to date where the seeds are at hand).
"""

from __future__ import annotations

import json
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "resources" / "notebooks"


def course_cells() -> list[tuple[str, str]]:
    """``(label, code)`` for every code cell with code in it, label ``notebook#k`` (k from 1)."""
    cells = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        code_cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        for k, cell in enumerate(code_cells, 1):
            code = "".join(cell["source"]).strip()
            lines = [line for line in code.splitlines() if line.strip()]
            if lines and not all(line.lstrip().startswith("#") for line in lines):
                cells.append((f"{path.stem}#{k}", code))
    return cells
