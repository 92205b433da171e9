"""Every course example and every notebook cell the interpreter accepts: what plain Python does.

The cells of the course notebooks (``resources/notebooks``) are run as a notebook would (each after the accepted cells before
it; a refused cell is tried alone and left out), seeded at the top so both runs draw the same
numbers; the oracle (plain CPython in a child, :mod:`tests.engine.oracle`) and the explorer must agree on
nodes, step order, every gradient and every value bit for bit (:func:`assert_same`).
"""

from __future__ import annotations

import pytest

from nla_explorer.engine import EXAMPLES, explore_code
from nla_explorer.engine.errors import ExpressionError
from tests.engine.app_record import app_record
from tests.engine.course_cells import course_cells
from tests.engine.test_differential import assert_same

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]
SEEDED = "import torch\ntorch.manual_seed(0)\n"


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_example_is_what_plain_python_does(oracle, name):
    """Each example is plain Python, InverseMatrix's too: it defines the course's class."""
    text = EXAMPLES[name].code
    expected = oracle.run(text)
    assert expected["error"] is None and expected["calls"], expected["error"]
    assert_same(expected, app_record(text), text)


def _notebook_only(error: dict | None, text: str = "") -> bool:
    """Plotting and display come from the notebook's kernel (IPython, matplotlib): the interpreter
    accepts and ignores them, so a plot of names that a refused cell defines (``plt.plot(x_vals)``)
    fails only in plain Python. Run as Python runs those cells for real (test_python_runs.py)."""
    names = ("display", "Markdown", "matplotlib", "IPython")
    return error is not None and error["type"] in ("NameError", "ModuleNotFoundError") and (any(
        f"'{name}" in error["message"] for name in names) or "plt." in text)


def accepted_cells() -> list[tuple[str, str]]:
    """``(label, program)`` for each cell the interpreter accepts, with the cells before it."""
    programs, prefix = [], {}
    for label, code in course_cells():
        notebook = label.split("#")[0]
        for text, keep in ((prefix.get(notebook, "") + code + "\n", True), (code + "\n", False)):
            try:
                explore_code(SEEDED + text)
            except ExpressionError:
                continue
            programs.append((label, SEEDED + text))
            if keep:
                prefix[notebook] = text
            break
    return programs


def test_every_accepted_notebook_cell_is_what_plain_python_does(oracle):
    programs = accepted_cells()
    assert len(programs) >= 13  # 4 cells alone; 13 once earlier cells define their names
    assert {"nla_and_neural_networks#1", "basics_of_neural_networks#3"} <= {
        label for label, _ in programs}
    for label, text in programs:
        expected = oracle.run(text)
        if _notebook_only(expected["error"], text):
            continue
        assert expected["error"] is None, (label, expected["error"])
        assert_same(expected, app_record(text), f"cell {label}\n{text}")
