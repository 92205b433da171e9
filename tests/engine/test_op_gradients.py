"""Every catalogue op, in every spelling: the traced backward pass must match plain PyTorch.

Each case is a small course-style snippet ``out = <op call>; loss = sin(2 out + 1).sum()``. The same
text is run twice: through ``explore_code`` (parser → evaluator → capture → trace) and, independently,
with plain ``exec`` (each snippet starts with ``torch.manual_seed(0)``, so the
leaves are the same numbers). Leaf values, the output, and every leaf gradient must agree; the captured
graph must be exactly the ``next_functions`` closure of the output, and the trace must run every node
after all of its consumers.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
import torch
import torch.nn.functional as F

from nla_explorer.engine import explore_code
from nla_explorer.engine.ops import CATALOGUE, OPERATORS

D = "dtype=torch.float64"

#: Leaves a snippet may use (only those it names are written into it), in definition order.
LEAVES = {
    "x": f"torch.randn(3, 4, {D}, requires_grad=True)",
    "y": f"torch.randn(3, 4, {D}, requires_grad=True)",
    "p": f"(torch.rand(3, 4, {D}) + 0.5).requires_grad_()",  # positive: sqrt, log, pow base, div
    "B": f"torch.randn(4, 2, {D}, requires_grad=True)",
    "M": f"(torch.randn(3, 3, {D}) + 3 * torch.eye(3, {D})).requires_grad_()",  # well-conditioned
    "u": f"torch.randn(3, {D}, requires_grad=True)",
    "v": f"torch.randn(4, {D}, requires_grad=True)",
    "w": f"torch.randn(4, {D}, requires_grad=True)",
    "b": f"torch.randn(3, {D}, requires_grad=True)",
    "s": f"torch.randn(3, 1, 4, {D}, requires_grad=True)",
    "W": f"torch.randn(2, 4, {D}, requires_grad=True)",
    "c": f"torch.randn(2, {D}, requires_grad=True)",
    "z": f"torch.randn(3, 3, {D}, requires_grad=True)",
    "q": f"torch.randn(1, 2, 6, {D}, requires_grad=True)",
    "r": f"torch.randn(1, 1, 4, 4, {D}, requires_grad=True)",
}

#: op key → call arguments (tensor first); every form of the op is rendered with these.
ARGS = {
    "add": ("x", "y"), "sub": ("x", "y"), "mul": ("x", "y"), "div": ("x", "p"),
    "pow": ("p", "y"), "neg": ("x",),
    "matmul": ("x", "B"), "mm": ("x", "B"), "mv": ("x", "v"), "dot": ("v", "w"),
    "outer": ("u", "v"), "t": ("x",), "T": ("x",), "transpose": ("x", "0", "1"),
    "inverse": ("M",), "inv": ("M",), "det": ("M",), "solve": ("M", "b"), "trace": ("M",),
    "diag": ("M",), "norm": ("x",), "inverse_matrix": ("M",),
    "reshape": ("x", "(4, 3)"), "view": ("x", "2, 6"), "unsqueeze": ("x", "1"),
    "squeeze": ("s",), "clone": ("x",),
    "sum": ("x",), "mean": ("x",), "max": ("x", "dim=1"),
    "abs": ("x",), "sqrt": ("p",), "exp": ("x",), "log": ("p",), "sin": ("x",), "cos": ("x",),
    "maximum": ("x", "y"), "clamp": ("x", "min=-0.5"),
    "relu": ("x",), "sigmoid": ("x",), "tanh": ("x",),
    "softmax": ("x", "dim=1"), "log_softmax": ("x", "dim=1"),
    "linear": ("x", "W", "c"),
    "mse_loss": ("x", "y"), "cross_entropy": ("z", "torch.tensor([0, 2, 1])"),
    "max_pool1d": ("q", "2"), "max_pool2d": ("r", "2"),
    "bmm": ("q", "q.transpose(1, 2)"), "mT": ("x",), "matrix_power": ("M", "3"),
    "vector_norm": ("x",), "permute": ("x", "(1, 0)"), "flatten": ("s",), "expand": ("b", "2, 3"),
    "double": ("x.float()",), "float": ("x",), "var": ("x",), "std": ("x",),
    "logdet": ("M",), "eigvalsh": ("M",), "svdvals": ("x",), "cholesky": ("M @ M.T",),
    "pinv": ("x",), "tril": ("x",), "triu": ("x", "1"), "kron": ("u", "c"), "cumsum": ("x", "1"),
    "prod": ("p",),
}

#: Cases written out by hand: (op key, form, expression for ``out``).
EXTRA = [
    ("index", "[]", "x[0]"),
    ("index", "[]", "b[:, None]"),
    ("index", "[]", "M[1:3, :]"),
    ("index", "[]", "x[..., 1]"),
    ("index", "[]", "x[-1, 1:]"),
    ("cat", "torch.cat", "torch.cat([x, y], dim=0)"),
    ("cat", "torch.cat", "torch.cat([x, 2 * x, p], 1)"),  # x twice: gradients accumulate
    ("stack", "torch.stack", "torch.stack([x, y])"),
    ("stack", "torch.stack", "torch.stack([u, b, u], dim=1)"),
    ("pow", "**", "x ** 2"),
    ("pow", "**", "2 ** x"),
    ("sub", "-", "1 - x"),
    ("div", "/", "1 / p"),
    ("clamp", ".clamp", "x.clamp(min=-0.5, max=0.5)"),
    ("clamp", "torch.clamp", "torch.clamp(x, max=0.2)"),
    ("diag", "torch.diag", "torch.diag(v)"),
    ("diag", ".diag", "u.diag()"),
    ("sum", "torch.sum", "torch.sum(x, dim=0)"),
    ("mean", ".mean", "x.mean(dim=1)"),
    ("prod", ".prod", "p.prod(1, keepdim=True)"),
    ("max", ".amax", "x.amax()"),
    ("norm", "torch.linalg.norm", "torch.linalg.norm(M)"),
    ("solve", "torch.linalg.solve", "torch.linalg.solve(M, x)"),
    ("matmul", "@", "M @ x @ v"),
    ("matmul", "@", "v @ w"),
    ("softmax", "torch.nn.functional.softmax", "F.softmax(z, dim=0)"),
    ("unsqueeze", "torch.unsqueeze", "torch.unsqueeze(v, 0)"),
    ("squeeze", ".squeeze", "s.squeeze(1)"),
    # detach alone makes a constant (no graph): x · x.detach() differentiates one factor only
    ("detach", ".detach", "x * x.detach()"),
    ("detach", "torch.detach", "torch.detach(x) ** 2 + x"),
    ("linear", "torch.nn.functional.linear", "F.linear(x, W)"),
    ("cross_entropy", "torch.nn.functional.cross_entropy",
     "F.cross_entropy(F.linear(torch.relu(x), W, c), torch.tensor([0, 1, 1]))"),
    ("max_pool1d", "torch.nn.functional.max_pool1d", "F.max_pool1d(q, kernel_size=3, stride=1)"),
    ("max_pool2d", "torch.nn.functional.max_pool2d", "F.max_pool2d(r, (2, 1))"),
    ("inverse_matrix", "custom:InverseMatrix.apply", "InverseMatrix.apply(M) @ torch.inverse(M)"),
    ("permute", ".permute", "s.permute(2, 0, 1)"),
    ("flatten", ".flatten", "s.permute(2, 0, 1).flatten(1)"),  # not contiguous: a copy
    ("flatten", "torch.flatten", "torch.flatten(x, start_dim=0, end_dim=1)"),
    ("expand", ".expand", "s.expand(3, 2, 4)"),
    ("mT", "attr:mT", "q.mT"),
    ("matrix_power", "torch.linalg.matrix_power", "torch.linalg.matrix_power(M, -2)"),
    ("matrix_power", ".matrix_power", "M.matrix_power(1)"),
    ("vector_norm", "torch.linalg.vector_norm", "torch.linalg.vector_norm(x, ord=3, dim=1)"),
    ("vector_norm", "torch.linalg.vector_norm", "torch.linalg.vector_norm(x, 1, 0, True)"),
    ("var", ".var", "x.var(1, unbiased=False)"),
    ("var", "torch.var", "torch.var(x, dim=0, correction=2, keepdim=True)"),
    ("std", ".std", "x.std(0, True, True)"),
    ("std", "torch.std", "torch.std(x, 1)"),
    ("eigvalsh", "torch.linalg.eigvalsh", "torch.linalg.eigvalsh(M @ M.T, UPLO='U')"),
    ("pinv", "torch.linalg.pinv", "torch.linalg.pinv(M)"),
    ("tril", ".tril", "x.tril(diagonal=-1)"),
    ("cumsum", "torch.cumsum", "torch.cumsum(x, dim=0)"),
    ("kron", ".kron", "c.kron(W)"),
    # comparisons make bool tensors (no node): the gradient flows through what reads them (a
    # leaf that is only compared gets none: each one here is also added or multiplied)
    ("gt", ">", "x * (x > y) + y"), ("gt", "torch.gt", "x * torch.gt(x, 0.2)"),
    ("gt", ".gt", "y * x.gt(y) + x"), ("lt", "<", "y * (0 < y)"),
    ("lt", "torch.lt", "torch.lt(x, 0) * x"),
    ("lt", ".lt", "x * x.lt(0.5)"), ("ge", ">=", "x * (0 >= x)"),
    ("ge", "torch.ge", "x * torch.ge(x, y) - y"), ("ge", ".ge", "y * y.ge(0)"),
    ("le", "<=", "x * (x <= 0.1)"), ("le", "torch.le", "torch.le(y, x) * x * y"),
    ("le", ".le", "x.le(0) * x"), ("eq", "==", "x * (x == x.amax(dim=1, keepdim=True))"),
    ("eq", "torch.eq", "x * torch.eq(x, x)"), ("eq", ".eq", "x * x.eq(y) + y"),
    ("ne", "!=", "x * (x != y) * y"), ("ne", "torch.ne", "torch.ne(x, 0) * x"),
    ("ne", ".ne", "x * x.ne(x)"), ("logical_not", "u~", "x * ~(x > 0)"),
    ("logical_not", "torch.logical_not", "x * torch.logical_not(x > y) + y"),
    ("logical_not", ".logical_not", "x * (x > 0).logical_not()"),
    ("logical_and", "&", "x * ((x > 0) & (y > 0)) * y"),
    ("logical_and", "torch.logical_and", "x * torch.logical_and(x > 0, y < 0) * y"),
    ("logical_and", ".logical_and", "y * (x > 0).logical_and(y > 0) * x"),
    ("logical_or", "|", "x * ((x > 0) | (y > 0)) * y"),
    ("logical_or", "torch.logical_or", "x * torch.logical_or(x > 0, y < 0) * y"),
    ("logical_or", ".logical_or", "y * (x > 0).logical_or(y > 0) * x"),
    ("where", "torch.where", "torch.where(x > 0, x, y)"),
    ("where", "torch.where", "torch.where(x > 0.5, 0.5 * x, 1.0)"),
    ("where", ".where", "(2 * x).where(x > 0, y)"),
    ("masked_fill", ".masked_fill", "x.masked_fill(x > 0, 0.5)"),
    ("masked_fill", "torch.masked_fill", "torch.masked_fill(x, x < 0, b[0])"),
    ("to", ".to", "x.to(torch.float32)"), ("to", ".to", "x.to(dtype=torch.float64) * 2"),
    # code only, read as Python reads their named tuples (test_selection_ops, test_factorizations)
    ("max_of", ".max", "x.max(dim=1).values"), ("max_of", "torch.max", "torch.max(x) * x"),
    ("min_of", ".min", "x.min(0)[0]"), ("sort", ".sort", "x.sort(dim=1).values"),
    ("topk", "torch.topk", "torch.topk(x, 2).values"),
    ("field", "attr:values", "x.sort(descending=True).values * 2"),
    ("qr", "torch.linalg.qr", "torch.linalg.qr(M).R"),
    ("qr", "torch.linalg.qr", "torch.linalg.qr(x.T).Q"),
    ("eigh", "torch.linalg.eigh", "torch.linalg.eigh(M @ M.T).eigenvalues"),
    ("svd", "torch.linalg.svd", "torch.linalg.svd(x, full_matrices=False).S"),
    ("lstsq", "torch.linalg.lstsq", "torch.linalg.lstsq(x.T, B).solution"),
]

#: Ops whose results torch itself does not repeat bit for bit (two runs in one process differ)
NOT_BITWISE = frozenset({"lstsq"})

#: Constructors are covered as leaves (with ``requires_grad=True`` or ``.requires_grad_()``).
CONSTRUCTOR_SETUP = f"""
torch.manual_seed(7)
k1 = torch.rand(3, {D}, requires_grad=True)
k2 = torch.zeros(3, {D}, requires_grad=True)
k3 = torch.ones(3, {D}, requires_grad=True)
k4 = torch.full((3,), 0.5, {D}, requires_grad=True)
k5 = torch.linspace(0, 1, 3, {D}, requires_grad=True)
k6 = torch.arange(0, 3, {D}, requires_grad=True)
k7 = torch.tensor([1.0, -2.0, 0.5], {D}, requires_grad=True)
k8 = torch.eye(3, {D}, requires_grad=True)
k9 = torch.randn(3, {D})
k9.requires_grad_()
"""
CONSTRUCTOR_OUT = "k8 @ (k1 * k2 + k3 * k4 - k5 / (k6 + 1) + k7 * k9)"


def render(form: str, args: tuple[str, ...]) -> str:
    """The call of ``form`` on ``args`` as course code (``F.`` for torch.nn.functional)."""
    head, rest = args[0], ", ".join(args[1:])
    if form == "u-":
        return f"-{head}"
    if form in OPERATORS:
        return f"{head} {form} {args[1]}"
    if form.startswith("attr:"):
        return f"{head}.{form[5:]}"
    if form.startswith("."):
        return f"{head}{form}({rest})"
    path = form.removeprefix("custom:").replace("torch.nn.functional.", "F.")
    return f"{path}({', '.join(args)})"


def snippet(out_expr: str, setup: str = "") -> str:
    used = [n for n in LEAVES if re.search(rf"\b{n}\b", out_expr)]
    lines = ["torch.manual_seed(0)"]  # unseeded code would draw new numbers at every run
    lines += [setup.strip()] if setup.strip() else []
    lines += [f"{n} = {LEAVES[n]}" for n in used]
    lines += [f"out = {out_expr}", "loss = torch.sin(2 * out + 1).sum()"]
    return "\n".join(lines) + "\n"


def all_cases() -> list:
    cases = [pytest.param(key, form, snippet(render(form, ARGS[key])), id=f"{key}[{form}]")
             for key, spec in CATALOGUE.items() if key in ARGS for form in spec.forms]
    cases += [pytest.param(key, form, snippet(expr), id=f"{key}[{expr}]")
              for key, form, expr in EXTRA]
    cases.append(pytest.param("constructors", "leaves", snippet(CONSTRUCTOR_OUT, CONSTRUCTOR_SETUP),
                              id="constructors-as-leaves"))
    return cases


CASES = all_cases()


class _ReferenceInverse:
    """Stands in for the course's custom Function: autograd's own inverse checks its backward."""

    apply = staticmethod(torch.linalg.inv)


def run_plain(code: str) -> dict:
    """The same snippet in plain PyTorch, with the global generator seeded like the engine's."""
    ns = {"torch": torch, "F": F, "InverseMatrix": _ReferenceInverse}
    with torch.random.fork_rng():
        torch.manual_seed(0)
        exec(code, ns)  # noqa: S102 - test-authored code, the independent reference
    return ns


def walk_closure(root) -> list:
    """Every Node reachable from ``root`` through ``next_functions`` (iterative, each once)."""
    seen, stack = {root}, [root]
    while stack:
        fn = stack.pop()
        for child, _ in fn.next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                stack.append(child)
    return list(seen)


@pytest.mark.parametrize(("key", "form", "code"), CASES)
def test_op_gradients_match_torch(key, form, code):
    exp = explore_code(code)
    names = exp.evaluation.names()
    assert exp.output_name == "loss", code
    assert exp.output.shape == ()
    if key != "constructors":  # the spelling under test really is the one the parser saw
        assert (key, form) in {(b.op, b.form) for b in exp.expression.blocks}, code

    # forward: the engine's tensors are the plain-PyTorch tensors, number for number (lstsq:
    # to rounding, as torch's LAPACK least squares does not repeat its own last bits)
    ns = run_plain(code)
    exact = {} if key in NOT_BITWISE else {"rtol": 0, "atol": 0}
    for name, tensor in names.items():
        torch.testing.assert_close(tensor.detach(), ns[name].detach(), **exact)

    # backward: every leaf's traced gradient equals torch.autograd.grad, on both runs
    leaves = [n for n, t in names.items() if t.is_leaf and t.requires_grad]
    assert leaves, code
    ref = torch.autograd.grad(ns["loss"], [ns[n] for n in leaves])
    own = torch.autograd.grad(exp.output, [names[n] for n in leaves], retain_graph=True)
    for name, expected, again in zip(leaves, ref, own):
        node = exp.graph.find(name)
        assert node is not None and node.kind == "leaf", f"leaf {name} not in the graph\n{code}"
        traced = torch.from_numpy(exp.trace.leaf_grads[node.id].values.copy())
        torch.testing.assert_close(traced, expected.detach(), msg=lambda m: f"{name}: {m}\n{code}")
        torch.testing.assert_close(again, expected)
    assert {n.name for n in exp.graph.leaves} == set(leaves)
    assert all(names[n].grad is None for n in leaves), "tracing must not leave .grad behind"

    # graph: exactly the next_functions closure of the output's grad_fn
    fns = walk_closure(exp.output.grad_fn)
    assert len(exp.graph) == len(fns)
    assert Counter(n.op for n in exp.graph) == Counter(type(fn).__name__ for fn in fns)
    assert len(exp.graph.edges) == sum(c is not None for fn in fns for c, _ in fn.next_functions)
    assert exp.graph.output.op == type(exp.output.grad_fn).__name__

    # trace: each node runs exactly once, after every node that consumes its output
    order = [s.node_id for s in exp.trace.steps]
    assert sorted(order) == sorted(n.id for n in exp.graph), "every node runs exactly once"
    position = {node_id: i for i, node_id in enumerate(order)}
    for edge in exp.graph.edges:
        assert position[edge.source] > position[edge.target], (edge, code)
    assert order[0] == exp.graph.output_id


def test_every_op_and_form_is_covered():
    """Adding an op (or a spelling) to the catalogue without a gradient case here fails."""
    covered = {(c.values[0], c.values[1]) for c in CASES}
    skipped = {"manual_seed", "requires_grad_"}  # code-only statements: tests/test_torch_semantics
    wanted = {(key, form) for key, spec in CATALOGUE.items()
              if not spec.constructor and not spec.statement and key not in skipped
              for form in spec.forms}
    assert not wanted - covered, f"ops/forms without a gradient test: {sorted(wanted - covered)}"
    assert {k for k, _ in covered} - {"constructors"} <= set(CATALOGUE)


def test_constructor_case_uses_every_constructor():
    code = snippet(CONSTRUCTOR_OUT, CONSTRUCTOR_SETUP)
    blocks = explore_code(code).expression.blocks
    used = {b.op for b in blocks}
    constructors = {k for k, spec in CATALOGUE.items() if spec.constructor}
    assert constructors | {"manual_seed"} <= used
