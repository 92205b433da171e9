"""The course notebooks, blanks filled (course_solutions.py), run in plain Python by the oracle.

Each program is its cells joined by a newline, run by a fresh oracle child (as a fresh run in the
app: nothing imported by an earlier program), which must report no error and the backward calls
the notebook makes.
"""

from __future__ import annotations

import ast
import math
import re
from collections import Counter

import pytest
import torch

from tests.engine.course_cells import course_cells
from tests.engine.course_solutions import (
    ADDED, NEEDS_STAND_INS, NOTEBOOKS, course_programs, notebook_cells)
from tests.engine.oracle import Oracle, decode

#: notebook stem -> the calls the oracle observes, by kind
EXPECTED_CALLS = {
    "basics_of_neural_networks": {"backward": 1 + 100},  # scalar.backward(), 100 Adam epochs
    "nla_and_neural_networks": {"backward": 1},
    "nla_and_neural_networks_ru": {"backward": 1},
    # backward: 50 SGD steps (exercise 2) + InverseMatrix's use;
    # grad: grad(y, [x]), exercise 4's grad(y, [A, b]), the check of InverseMatrix's gradient
    "tensors_gradients_least_squares": {"backward": 50 + 1, "grad": 3},
}


def _run(stem: str) -> dict:
    with Oracle(timeout=120) as oracle:
        return oracle.run("\n".join(course_programs()[stem]))


def test_every_notebook_has_a_program():
    assert sorted(course_programs()) == sorted(EXPECTED_CALLS)
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED_CALLS)


@pytest.mark.parametrize("stem", sorted(EXPECTED_CALLS))
def test_the_program_runs_in_plain_python(stem):
    """basics_of_neural_networks trains 100 epochs: a few seconds."""
    reply = _run(stem)
    assert reply["error"] is None, reply["error"]
    assert Counter(call["kind"] for call in reply["calls"]) == EXPECTED_CALLS[stem]


def test_the_exercises_solutions_are_right():
    reply = _run("tensors_gradients_least_squares")
    assert reply["error"] is None, reply["error"]
    tensors = {name: decode(value) for name, value in reply["tensors"].items()}
    assert all(math.isfinite(v) for v in tensors["grad_A"].flatten().tolist())
    residual = (tensors["A"] @ tensors["B"] - torch.eye(3, dtype=torch.float64)).abs().max()
    assert residual < 1e-10  # the last A and its inverse, B = InverseMatrix.apply(A)
    assert reply["grads"]["A"] is not None
    assert (decode(reply["grads"]["A"]) - tensors["expected"]).abs().max() < 1e-10


def test_the_programs_keep_the_notebooks_cells_and_fill_only_the_blanks():
    for stem, cells in course_programs().items():
        original = notebook_cells(NOTEBOOKS / f"{stem}.ipynb")
        added = ADDED.get(stem, {})
        assert len(cells) == len(original) + len(added)
        kept = [c for c in cells if c not in added.values()]
        assert len(kept) == len(original)
        for before, after in zip(original, kept):
            assert after == before or "# your code goes here" in before or "pass" in before
            assert "# your code goes here" not in after
        for cell in cells:
            ast.parse(cell)
            assert not re.search(r"manual_seed", cell)  # the runner seeds


def test_the_course_cells_are_in_the_programs():
    programs = {stem: set(cells) for stem, cells in course_programs().items()}
    for label, code in course_cells():
        stem = label.split("#")[0]
        if "# your code goes here" not in code and not code.rstrip().endswith("pass"):
            assert any(code == cell.strip() for cell in programs[stem]), label


def test_the_programs_import_what_needs_stand_ins():
    text = "\n".join(cell for cells in course_programs().values() for cell in cells)
    for module in NEEDS_STAND_INS:
        assert re.search(rf"^\s*(import|from) {module}\b", text, re.MULTILINE), module
