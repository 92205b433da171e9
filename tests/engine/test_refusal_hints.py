"""Refusals of the safe interpreter say what to do instead: Run as Python, or the Training tab."""

from __future__ import annotations

import pytest

from nla_explorer.engine import explore_code
from nla_explorer.engine.errors import ExpressionError
from tests.engine.course_cells import course_cells

SEEDED = "import torch\ntorch.manual_seed(0)\n"
#: Failures that are no refusal of a construct: the cell explains itself (an import-only cell, a
#: tensor without requires_grad) or uses a name that an import in an earlier cell gave it.
#: Not refusals: Python says the same of these cells alone (np and plt come from earlier cells).
NOT_REFUSALS = ("the code builds no tensor", "does not require grad", "name 'np' is not defined",
                "name 'plt' is not defined")
HINTS = ("Run cell (Shift+Enter)", "Training tab")


def refused_cells() -> list[tuple[str, ExpressionError]]:
    """``(label, error)`` for each notebook cell the interpreter refuses, run as a notebook runs it
    (after the accepted cells before it; a cell refused so is tried alone, as the course test does)."""
    refused, prefix = [], {}
    for label, code in course_cells():
        notebook = label.split("#")[0]
        errors = []
        for text, keep in ((prefix.get(notebook, "") + code + "\n", True), (code + "\n", False)):
            try:
                explore_code(SEEDED + text)
            except ExpressionError as exc:
                errors.append(exc)
                continue
            if keep:
                prefix[notebook] = text
            errors = []
            break
        if errors:
            refused.append((label, errors[-1]))
    return refused


def test_every_refused_course_cell_says_what_to_do_instead():
    refused = refused_cells()
    hinted = [(label, exc) for label, exc in refused
              if not any(reason in exc.reason for reason in NOT_REFUSALS)]
    assert len(hinted) >= 8, refused  # class, def, lambda, for, import time, MSELoss, Net()...
    for label, exc in hinted:
        assert any(hint in str(exc) for hint in HINTS), (label, str(exc))
    messages = {label: str(exc) for label, exc in hinted}
    assert "Training tab" in messages["basics_of_neural_networks#12"]  # class Net(nn.Module)
    assert "Training tab" in messages["basics_of_neural_networks#17"]  # torch.nn.MSELoss
    assert "autograd.Function" in messages["tensors_gradients_least_squares#11"]


X = "x = torch.randn(3, requires_grad=True)\n"
CASES = [
    ("class Net(nn.Module):\n    def __init__(self):\n        super().__init__()",
     "'__init__' is not allowed", ("classes need Run as Python", "Training tab")),
    ("class Net:\n    pass", "a class definition is not supported", ("classes need Run",)),
    ("from torch.autograd import Function\nclass Inv(Function):\n    pass",
     "a class definition is not supported", ("autograd.Function needs Run as Python",)),
    ("def f(x):\n    while x:\n        pass\n    return x",
     "a function definition (def) may hold only assignments", ("Run cell",)),
    ("f = lambda x: x\ny = f(torch.ones(2), 3)", "f() is called here with 2 argument(s)",
     ("Run cell",)),
    (X + "for i in range(3):\n    x = x * 2", "a for loop is not supported", ("Run cell",)),
    (X + "while False:\n    pass", "a while loop is not supported", ("Run cell",)),
    (X + "with torch.autocast('cpu'):\n    y = x * 2",
     "a with block is supported for torch.no_grad()", ("Run cell",)),
    ("import time", "import time is not allowed (only torch", ("Run cell",)),
    ("net = torch.nn.Linear(2, 3)", "'torch.nn.Linear' is not in the whitelist",
     ("Run cell", "Training tab")),
    ("criterion = nn.MSELoss()", "'torch.nn.MSELoss' is not in the whitelist",
     ("Run cell", "Training tab")),
    ("opt = torch.optim.SGD([], lr=0.1)", "'torch.optim.SGD' is not in the whitelist",
     ("Run cell", "Training tab")),
    (X + "y = x.contiguous()", "the tensor method '.contiguous()' is not in the whitelist",
     ("Run cell",)),
    (X + "y = x[[0, 2, 2]]", "a list as an index is not supported here; a tensor is",
     ("Run cell",)),  # it said "not a tuple": the user wrote a list
    (X + "y = x * 2\nh = y.register_hook(x)",
     "the tensor method '.register_hook()' is not in the whitelist", ("Run cell",)),
    (X + "y = torch.autograd.Function.apply(x)", "'torch.autograd.Function.apply' is not in",
     ("autograd.Function",)),
    (X + "y = Net()(x)", "name 'Net' is not defined", ("Run cell",)),
    # Python defines len: "not defined" would be wrong
    (X + "m = len(x)", "the built-in len(…) is not supported by the safe reader", ("Run cell",)),
    (X + "m = x.shape", "the tensor attribute '.shape' is not supported", ("Run cell",)),
    (X + "y = torch.foo(x)", "'torch.foo' is not in the whitelist of torch functions",
     ("Run cell",)),
    # constructs of expressions (they said only "… is not supported here")
    (X + "y = torch.stack([x[i] * j for i in range(3) for j in range(2)])",
     "a list comprehension with more than one 'for' is not supported here", ("Run cell",)),
    (X + "y = torch.stack([x[i] for i in range(10 ** 9)])",
     "a list comprehension over range(10 ** 9) runs 1,000,000,000 times", ("Run cell",)),
    (X + "y = x * 2\ny.register_hook(lambda g: g * 3)", "a lambda (outside jacobian and hessian)",
     ("Run cell",)),
    (X + "d = {'x': x}", "a dict is not supported here", ("Run cell",)),
    (X + "y = torch.stack(*[x, x])", "'*' argument unpacking is not supported", ("Run cell",)),
    (X + "y = torch.sum(x, **{'dim': 0})", "'**' keyword unpacking is not supported",
     ("Run cell",)),
    # jacobian(f, x) needs no requires_grad (it differentiates copies): not the user's mistake
    ("from torch.autograd.functional import jacobian, hessian\nx = torch.randn(3)\n"
     "J = jacobian(lambda x: x ** 2, x)\nH = hessian(lambda x: (x ** 3).sum(), x)",
     "nothing in the code requires grad, so there is no graph of it to draw; J and H come from",
     ("Run cell", "Results")),
]


@pytest.mark.parametrize("code,start,hints", CASES)
def test_a_refusal_keeps_its_start_and_gains_a_hint(code, start, hints):
    with pytest.raises(ExpressionError) as info:
        explore_code(code)
    assert info.value.reason.startswith(start), info.value.reason
    for hint in hints:
        assert hint in info.value.reason, info.value.reason


@pytest.mark.parametrize("code", ["x = __import__('os')", "y = torch.__dict__",
                                  "f = open('/etc/passwd')", "x = torch.load('w.pt')",
                                  X + "y = x.__class__", "y = z * 2"])
def test_security_refusals_and_plain_mistakes_suggest_no_run(code):
    with pytest.raises(ExpressionError) as info:
        explore_code(code)
    assert "Run cell" not in str(info.value) and "Training tab" not in str(info.value)
