"""The course notebooks as complete programs: their code cells, the exercises' blanks filled in.

``course_programs()`` maps each notebook of ``resources/notebooks`` (by stem) to its code cells in
order, read with ``json``; only ``tensors_gradients_least_squares`` has blanks. There each
``# your code goes here`` and ``pass`` body is replaced by a reference solution of the exercise
the seed text (``../shared/seeds/002_*.txt``) sets, and two cells are added: exercise 2 (least
squares by SGD, with its loss plot), which has no code cell in the notebook, after the cell
``p, n = 3, 4``; and a use of ``InverseMatrix`` after its class. The class's ``backward``, lost
from the notebook's cell (the seed's blank line inside its docstring ended the cell), is put back.
Every other cell is the notebook's, unchanged. No program seeds torch: the runner does.

The programs import two modules beyond torch and numpy, named in :data:`NEEDS_STAND_INS`:
``matplotlib`` (plots) and ``IPython`` (``display``, ``Markdown``, ``clear_output``). Whatever runs
them in plain Python needs those modules or stand-ins for them: the oracle's child appends
``tests/engine/stand_ins`` (a minimal ``IPython``) to ``sys.path``; matplotlib must be installed.
"""

from __future__ import annotations

import json
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "resources" / "notebooks"
#: Modules the programs import that plain Python may lack: the runner provides them or stand-ins.
NEEDS_STAND_INS = ("matplotlib", "IPython")

BLANK = "# your code goes here"

EXERCISE_1 = '''\
# the gradient of y = ||x||_2 is x / ||x||_2
manual_grad_y_x = x / torch.norm(x)
print("by hand: {}".format(manual_grad_y_x))
print("same as grad_y_x: {}".format(torch.allclose(manual_grad_y_x, grad_y_x)))'''

EXERCISE_2 = '''\
# Exercise 2: least squares by SGD from a random initialization, and the loss along the way
x = torch.randn(n, requires_grad=True)
lr = 0.9 / torch.linalg.matrix_norm(A, ord=2).item() ** 2  # under 1 / ||A||_2^2: it converges
optimizer = optim.SGD([x], lr=lr)
losses = []
for step in range(50):
    optimizer.zero_grad()
    loss = torch.sum((A @ x - y) ** 2)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

x_tilde = x.detach()
print("x~ = {}, ||Ax~ - y||^2 = {:.3e}".format(x_tilde, losses[-1]))
print("A x~ = {} for y = {}".format(A @ x_tilde, y))
plt.plot(losses)
plt.xlabel("SGD step")
plt.ylabel(r"$\\| Ax - y \\|_2^2$")'''

FULLY_CONNECTED = ("    # your code goes here\n    pass", "    return F.relu(A @ x + b)")

EXERCISE_4 = '''\
b.requires_grad_()  # made without it: grad differentiates only tensors that record their graph
y = torch.norm(f(x, A, b))
grad_A, grad_b = grad(y, [A, b])
print("gradient with respect to A: {}".format(grad_A))
print("gradient with respect to b: {}".format(grad_b))
# Pytorch recorded how y was computed (A @ x, + b, relu, norm): the chain rule through the
# gradients of these known functions gives the gradient of y. By hand:
z = A @ x + b
manual_grad_b = (z > 0) * f(x, A, b) / y
print("same as by hand: {} {}".format(torch.allclose(grad_b, manual_grad_b),
                                      torch.allclose(grad_A, torch.outer(manual_grad_b, x))))'''

INVERSE_FORWARD = ('''\
        """Compute the inverse of matrix A"""
        pass''', '''\
        """Compute the inverse of matrix A"""
        B = torch.linalg.inv(A)
        ctx.save_for_backward(B)
        return B

    @staticmethod
    def backward(ctx, grad_output):
        """Compute the gradient of the loss with respect to A.

        grad_ouput contains the gradient of the loss with respect to A^-1
        """
        B, = ctx.saved_tensors
        return -B.mT @ grad_output @ B.mT''')

INVERSE_USE = '''\
A = torch.randn(3, 3, dtype=torch.float64, requires_grad=True)
B = InverseMatrix.apply(A)
B.sum().backward()
expected, = grad(torch.linalg.inv(A).sum(), [A])
print("same gradient as torch.linalg.inv: {}".format(torch.allclose(A.grad, expected)))'''

#: notebook stem -> {k (1-based code cell): [(blank, filled), ...]}
FILLS: dict[str, dict[int, list[tuple[str, str]]]] = {
    "tensors_gradients_least_squares": {
        6: [(BLANK, EXERCISE_1)],
        8: [FULLY_CONNECTED],
        10: [(BLANK, EXERCISE_4)],
        11: [INVERSE_FORWARD],
    },
}
#: notebook stem -> {k: cell added after the notebook's code cell k}
ADDED: dict[str, dict[int, str]] = {
    "tensors_gradients_least_squares": {7: EXERCISE_2, 11: INVERSE_USE},
}


def notebook_cells(path: Path) -> list[str]:
    """The sources of a notebook's code cells, in order."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]


def course_programs() -> dict[str, list[str]]:
    """Notebook stem -> its code cells (blanks filled, solution cells added), in order."""
    programs = {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        fills, added = FILLS.get(path.stem, {}), ADDED.get(path.stem, {})
        cells = []
        for k, source in enumerate(notebook_cells(path), 1):
            for blank, filled in fills.get(k, []):
                if source.count(blank) != 1:
                    raise ValueError(f"{path.name} cell {k}: expected the blank {blank!r} once")
                source = source.replace(blank, filled)
            cells.append(source)
            if k in added:
                cells.append(added[k])
        programs[path.stem] = cells
    return programs
