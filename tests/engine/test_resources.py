"""resources/: the course notebooks and example sessions it ships, and every package installed."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from docs.make_resources import SEEDS, write_notebooks
from nla_explorer.engine import EXAMPLES
from nla_explorer.engine.sessions.nla_file import load_session

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seeds (../shared/seeds) are not at hand")
def test_the_notebooks_are_made_from_the_seeds(tmp_path):
    made = write_notebooks(SEEDS, tmp_path)
    assert len(made) == len(list(SEEDS.glob("*.txt"))) == 4
    for path in made:
        shipped = RESOURCES / "notebooks" / path.name
        assert shipped.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), \
            f"{shipped.name} is stale: run python docs/make_resources.py"


@pytest.mark.parametrize("path", sorted((RESOURCES / "notebooks").glob("*.ipynb")),
                         ids=lambda p: p.stem)
def test_each_notebook_is_nbformat_4_with_the_course_code(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4 and notebook["metadata"]["kernelspec"]["language"] == "python"
    kinds = {cell["cell_type"] for cell in notebook["cells"]}
    assert kinds == {"code", "markdown"}
    for cell in notebook["cells"]:
        assert all(isinstance(line, str) for line in cell["source"])
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
            compile("".join(cell["source"]), path.name, "exec")  # every code cell is Python


def test_the_first_notebook_opens_with_the_course_cell():
    notebook = json.loads((RESOURCES / "notebooks" / "nla_and_neural_networks.ipynb").read_text(
        encoding="utf-8"))
    first = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    assert "f = 0.5 * x @ A @ x - b @ x\nf.backward()" in "".join(first["source"])


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_example_ships_as_a_session_that_opens_to_it(name):
    expression, _ = load_session(RESOURCES / "examples" / f"{name}.nla")
    assert expression == EXAMPLES[name].expression()


def test_every_package_folder_is_installed():
    """pyproject lists the packages (resources/ is mapped in): a new folder must be added there."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    listed = set(config["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "nla_explorer").rglob("__init__.py")}
    assert found | {"nla_explorer.resources"} == listed
    assert config["setuptools"]["package-dir"] == {"nla_explorer.resources": "resources"}
