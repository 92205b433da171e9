"""The step card in the lecture's own names: ``∂f/∂A = (½xᵀ)ᵀ g``, never a generic letter that
is a name of the program meaning something else.

Every rule of the rule table and every course example is walked step by step and checked three
ways: each input's gradient is written with that input's name (or its expression); no symbol the
card picks (g, L, I, N...) is a program name; and renaming the program's variables renames the
card's text exactly. A letter that does not follow the renaming is a generic letter, not the
program's name: ``∂L/∂A = g · Bᵀ`` at ``½xᵀ @ A`` fails that test, the program's A being the
card's B.
"""

from __future__ import annotations

import ast
import re

import pytest
import torch
import torch.nn.functional as F

from nla_explorer.engine import EXAMPLES, capture, explore_code, trace_backward
from nla_explorer.engine.autograd.custom_functions import CUSTOM_FUNCTIONS
from nla_explorer.engine.autograd.graph import LEAF, AutogradGraph
from nla_explorer.engine.autograd.rule_table import RULES, op_base
from nla_explorer.engine.autograd.step_names import GENERIC, placeholders
from nla_explorer.engine.autograd.step_rules import (
    StepCard, is_own_function, namer_for, rule_for, step_card)
from tests.engine.card_tables import CARD_PROGRAMS, CARD_WORDS, KNOWN

#: Characters of a name in the card's text (the programs here use ASCII and Greek names);
#: sub- and superscripts (xᵀ, gⱼ) end a name.
_NAME_CHAR = r"A-Za-z0-9_\u0370-\u03ff\u1e21"
#: Words the rule templates may use around their placeholders (functions, English).
VOCABULARY = {
    "summed", "over", "broadcast", "rows", "sign", "where", "half", "equal", "else", "min",
    "max", "cos", "sin", "exp", "ln", "reshaped", "back", "to", "transposed", "the", "two",
    "dimensions", "swapped", "diagonal", "of", "or", "placed", "on", "solution", "for", "every",
    "element", "copied", "number", "averaged", "elements", "with", "reduction", "sum", "at",
    "each", "sample", "target", "class", "cross", "entropy", "log_softmax", "before", "it",
    "logits", "softmax", "one", "hot", "samples", "put", "selected", "position", "sliced",
    "positions", "elsewhere", "added", "indexed", "block", "was", "slice", "grad",
    "contributions", "expanded", "maximum", "outer", "product", "det", "σ", "Σ", "Π", "tanh",
    "then", "nll_loss", "batch", "by", "permuted", "converted", "dtype", "mean", "correction",
    "reduced", "unless", "set", "unbiased", "False", "other", *CARD_WORDS,
}

#: The words of the card's notes ("used by": not the names b and y written together).
WORDS = VOCABULARY | {"by", "is", "used", "ops", "op", "same", "input", "inputs", "are", "into",
                      "from", "no", "gradient", "flows", "constant", "constants"}


def tokens(text: str) -> list[str]:
    """The names and words of ``text`` (``x's shape``: ``x``, ``shape``)."""
    return re.findall(f"[{_NAME_CHAR}]+", text.replace("'s ", " "))


def replace_token(text: str, old: str, new: str) -> str:
    return re.sub(f"(?<![{_NAME_CHAR}]){re.escape(old)}(?![{_NAME_CHAR}])",
                  lambda _: new, text)


def renamed(text: str, mapping: dict[str, str]) -> str:
    """``text`` with each program name replaced by its new name; one-letter names written
    together (``Ax``) are renamed letter by letter."""
    def one(m: re.Match) -> str:
        number, token = re.fullmatch(r"([\d.]*)(.*)", m.group()).groups()  # 2x: 2 times x
        if token in mapping:
            return number + mapping[token]
        if len(token) > 1 and all(ch in mapping for ch in token) and token not in WORDS:
            return number + "".join(mapping[ch] for ch in token)
        return number + token
    return re.sub(f"[{_NAME_CHAR}]+", one, text)


def rename_map(names) -> dict[str, str]:
    """A fresh name of the same length for each program name (lengths decide how labels are
    written: ``Ax`` but ``x_vals W``)."""
    greek = iter("αβγδζηθκλμνξπρτυφχψωΓΔΘΛΞΠΦΨΩ")
    out = {}
    for name in sorted(names):
        out[name] = next(greek) if len(name) == 1 else name.upper()
    return out


def card_text(card: StepCard) -> str:
    parts = [card.title, card.gradient_of, *card.rule, *card.numbers, card.note, *card.targets,
             *(label for label, _ in card.outgoing), *(label for label, _ in card.contributions)]
    return "\n".join(parts)


def normalised(text: str, graph: AutogradGraph, names) -> str:
    """The card's text with the symbols it picked (g or ḡ...) written as what they stand for."""
    for i, chosen in enumerate(namer_for(graph, names).generic.values()):
        text = replace_token(text, chosen, f"⟨{i}⟩")  # no letter: renaming leaves it
    return text


def cards(graph: AutogradGraph, trace, names=()) -> list[StepCard]:
    return [step_card(graph, trace, i, names) for i in range(len(trace.steps))]


def assert_cards_use_the_programs_names(graph, trace, names) -> list[StepCard]:
    """No symbol of a card is a program name; every input's gradient is named by its input."""
    taken = set(names) | {n.name for n in graph.nodes if n.name}
    generic = namer_for(graph, names).generic
    out = cards(graph, trace, names)
    for card in out:
        text = card_text(card)
        node = graph.node(card.node_id)
        used = {token for token in tokens(text) if token in generic.values()}
        assert not used & taken, f"{card.title}: symbols {used & taken} are program names"
        assert card.grad_symbol not in taken, card.title
        for token in tokens(text):
            letter = len(token) == 1 and token.isalpha()
            assert not letter or token in taken | used | {"σ", "Σ", "Π"}, \
                f"{card.title}: the letter {token!r} is neither a program name nor a symbol " \
                f"the card chose:\n{text}"
        if node.kind == LEAF:
            continue
        sources = {e.slot: graph.node(e.source) for e in graph.inputs_of(node.id)}
        rule = RULES.get(op_base(node.op))
        step = trace.step_of(node.id)
        for slot, (label, grad) in enumerate(card.outgoing):
            if slot in sources and sources[slot].name:
                assert label == sources[slot].name, f"{card.title}: input {slot} is " \
                                                    f"{sources[slot].name}, the card says {label}"
            if grad is None or not (rule or is_own_function(node.op)):
                continue
            target = card.targets[slot]
            assert target == f"∂{card.loss}/∂{label}" or target == f"∂{card.loss}/∂({label})"
            assert any(line.startswith(target) and line[len(target)] in " ,ᵢ"
                       for line in card.rule), f"{card.title}: no rule line for {target}"
            assert any(f"→ {target} " in line for line in card.numbers), card.numbers
            assert grad is step.grad_inputs[slot]
    return out


def assert_renaming_renames_the_card(before, after, mapping: dict[str, str]) -> None:
    """``before`` and ``after``: (graph, trace, names) of one program, names renamed by
    ``mapping``; every card's text must be the same but for the names."""
    (g1, t1, n1), (g2, t2, n2) = before, after
    assert [g1.node(s.node_id).op for s in t1.steps] == [g2.node(s.node_id).op for s in t2.steps]
    for c1, c2 in zip(cards(g1, t1, n1), cards(g2, t2, n2)):
        expected = renamed(normalised(card_text(c1), g1, n1), mapping)
        assert normalised(card_text(c2), g2, n2) == expected, \
            f"renaming {mapping} did not rename the card of {c1.title}"


# -- every rule -----------------------------------------------------------------------------------
#: Code making each rule's node, in leaves named like the rules' own symbols but meaning other
#: tensors: b (positive vector), a (vector), g (vector), B (invertible matrix).
RULE_CODES = {
    "Add": "b + a", "Sub": "b - a", "Mul": "b * a", "Div": "b / a", "Pow": "b ** 3",
    "Pow1": "b ** a", "Pow2": "2 ** b", "Neg": "-b", "Mm": "B @ B", "Mv": "B @ g",
    "Dot": "g @ b", "T": "B.t()", "Permute": "B.T", "Transpose": "B.transpose(0, 1)",
    "LinalgInvEx": "torch.linalg.inv(B)", "LinalgDet": "torch.det(B)",
    "LinalgSolveEx": "torch.linalg.solve(B, g)", "Trace": "B.trace()",
    "LinalgVectorNorm": "torch.linalg.norm(g)", "InverseMatrix": "InverseMatrix.apply(B)",
    "View": "B.view(-1)", "Select": "B[0]", "Slice": "B[1:]", "Index": "B[[0, 2]]",
    "Cat": "torch.cat([g, b])", "Stack": "torch.stack([g, b])", "Unsqueeze": "g.unsqueeze(0)",
    "Squeeze": "B[:1].squeeze(0)", "Sum": "B.sum()", "Mean": "B.mean()", "Prod": "B.prod()", "Abs": "B.abs()",
    "Sqrt": "b.sqrt()", "Exp": "B.exp()", "Log": "b.log()", "Sin": "B.sin()", "Cos": "B.cos()",
    "Maximum": "torch.maximum(b, a)", "Clamp": "B.clamp(0, 1)", "ClampMin": "B.clamp_min(0)",
    "ClampMax": "B.clamp_max(0)", "Relu": "B.relu()", "Sigmoid": "B.sigmoid()",
    "Tanh": "B.tanh()", "Softmax": "B.softmax(0)", "LogSoftmax": "B.log_softmax(0)",
    "Addmm": "F.linear(B, B, g)", "MseLoss": "F.mse_loss(b, a)", **CARD_PROGRAMS,
    "NllLoss": "F.cross_entropy(B, torch.tensor([0, 1, 2]))", "Clone": "B.clone()",
    "Expand": "g.expand(2, 3)", "Max": "B.max()", "Var": "B.var(1)", "Std": "B.std()",
    "UnsafeView": "torch.matmul(torch.ones(2, 3, 3, dtype=torch.float64), B)",
    "AccumulateGrad": "b * 1.0", "Bmm": "torch.bmm(B[None], B[None])", "ToCopy": "g.float()",
}
#: Rules of nodes this torch no longer makes: a relative's node, its op renamed, gets the card.
STAND_INS = {"Inv": "LinalgInvEx", "Matmul": "Mm", "Norm": "LinalgVectorNorm",
             "Reshape": "View", "ReshapeAlias": "View", "Diag": "Sin"}


def _leaves() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return {"b": torch.rand(3, dtype=torch.float64) + 0.5,
            "a": torch.rand(3, dtype=torch.float64),
            "g": torch.randn(3, dtype=torch.float64),
            "B": torch.randn(3, 3, dtype=torch.float64) + 3 * torch.eye(3, dtype=torch.float64)}


def rule_program(code: str, named_inputs: bool, mapping: dict[str, str] | None = None,
                 node: str | None = None):
    """``x = code`` and the loss ``A = (x * y).sum()`` (y a constant): (graph, trace, names).

    Without ``named_inputs`` each leaf enters as ``2 * leaf``, an unnamed intermediate.
    ``mapping`` renames every variable; ``node`` renames the ops of one node kind to it.
    """
    mapping = mapping or {}
    leaves = {k: t.requires_grad_() for k, t in _leaves().items()}
    if not named_inputs:
        code = re.sub(r"(?<![.\w])([abgB])(?![\w])", r"(2 * \1)", code)
    scope = {"torch": torch, "F": F, "InverseMatrix": CUSTOM_FUNCTIONS["InverseMatrix"],
             **leaves}
    x = eval(code, scope)  # noqa: S307 - the test's own code
    y = torch.linspace(-1, 2, x.numel(), dtype=torch.float64).reshape(x.shape)
    loss = (x * y).sum()
    names = {mapping.get(k, k): v for k, v in {**leaves, "x": x, "y": y, "A": loss}.items()}
    graph, trace = capture(loss, names=names), trace_backward(loss)
    if node is not None:
        graph = _renamed_ops(graph, node)
    return graph, trace, tuple(names)


def _renamed_ops(graph: AutogradGraph, base: str) -> AutogradGraph:
    from dataclasses import replace
    target = STAND_INS[base]
    nodes = tuple(replace(n, op=n.op.replace(target + "Backward", base + "Backward", 1))
                  if op_base(n.op) == target else n for n in graph.nodes)
    return AutogradGraph(nodes, graph.edges, graph.output_id)


RULE_CASES = [(base, RULE_CODES[base], None) for base in RULE_CODES] + \
    [(base, RULE_CODES[target], base) for base, target in STAND_INS.items()]


def test_every_rule_has_a_program():
    assert set(RULE_CODES) | set(STAND_INS) == set(RULES)


@pytest.mark.parametrize("named_inputs", [True, False], ids=["named inputs", "expressions"])
@pytest.mark.parametrize("base, code, stand_in", RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_every_rule_is_written_in_the_programs_names(base, code, stand_in, named_inputs):
    graph, trace, names = rule_program(code, named_inputs, node=stand_in)
    bases = [op_base(graph.node(s.node_id).op) for s in trace.steps]
    assert base in bases, f"{code} made no {base} node: {bases}"
    made = assert_cards_use_the_programs_names(graph, trace, names)
    card = made[bases.index(base)]
    assert card.grad_symbol == "ḡ"  # g is a leaf of the program
    assert card.loss == "A"  # the output is called A here, whatever the rule calls its input
    if base != "AccumulateGrad":
        assert card.rule and all("{" not in line for line in card.rule), card.rule
    mapping = rename_map(names)
    assert_renaming_renames_the_card(
        (graph, trace, names), rule_program(code, named_inputs, mapping, stand_in), mapping)


def test_rule_templates_name_nothing_but_their_symbols():
    """Outside its placeholders a template has words, never a letter standing for a tensor."""
    for base, rule in RULES.items():
        for _, line in rule.lines:
            known = set(rule.symbols) | dict(rule.saved).keys() | set(GENERIC) | KNOWN
            assert set(placeholders(line)) <= known, (base, line)
            bare = re.sub(r"\{[^{}]*\}", " ", line)
            assert set(tokens(bare)) - {"2", "0", "1"} <= VOCABULARY, (base, line)


# -- every course example -------------------------------------------------------------------------
def _renamed_code(code: str, mapping: dict[str, str]) -> str:
    """The program with its names renamed (a class's own names, such as InverseMatrix's, stay)."""
    class Rename(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.Name:
            node.id = mapping.get(node.id, node.id)
            return node

        def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
            return node
    return ast.unparse(Rename().visit(ast.parse(code)))


def _program_names(code: str) -> set[str]:
    """The variables a program assigns (tensors and numbers), outside the classes it defines."""
    tree = ast.parse(code)
    inside = {id(n) for c in ast.walk(tree) if isinstance(c, ast.ClassDef) for n in ast.walk(c)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and
            isinstance(n.ctx, ast.Store) and id(n) not in inside}


def _explored(code: str):
    e = explore_code(code)
    return e.graph, e.trace, tuple(_program_names(code))


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_example_is_written_in_the_programs_names(name):
    code = EXAMPLES[name].code
    explored = _explored(code)
    assert_cards_use_the_programs_names(*explored)
    mapping = rename_map(_program_names(code))
    assert_renaming_renames_the_card(explored, _explored(_renamed_code(code, mapping)), mapping)


def test_the_renaming_check_fails_on_the_old_generic_card():
    """The old card, ``∂L/∂A = g · Bᵀ``, read the same whatever the program called its tensors:
    renaming the program does not rename it, which the check above reports."""
    code = EXAMPLES["quadratic"].code
    graph, trace, names = _explored(code)
    mapping = rename_map(names)
    old = "∂L/∂A = g · Bᵀ\n∂L/∂B = Aᵀ · g"
    assert renamed(old, mapping) != old  # the program's A is renamed, the card's would not be
    mm = next(s.index for s in trace.steps if graph.node(s.node_id).op == "MmBackward0")
    before = step_card(graph, trace, mm, names)
    other = _explored(_renamed_code(code, mapping))
    after = step_card(other[0], other[1], mm, other[2])
    assert after.rule == tuple(renamed(line, mapping) for line in before.rule)
    assert after.rule == (f"∂{mapping['f']}/∂(½{mapping['x']}ᵀ) = g {mapping['A']}ᵀ",
                          f"∂{mapping['f']}/∂{mapping['A']} = (½{mapping['x']}ᵀ)ᵀ g")


# -- the cases the lecturer found -----------------------------------------------------------------
@pytest.fixture(scope="module")
def quadratic():
    graph, trace, names = _explored(EXAMPLES["quadratic"].code)
    return graph, trace, cards(graph, trace, names)


def _card_of(graph, trace, made, op, which=0):
    return [made[s.index] for s in trace.steps if graph.node(s.node_id).op == op][which]


def test_the_quadratic_mm_step_names_a_and_half_x_transposed(quadratic):
    graph, trace, made = quadratic
    card = _card_of(graph, trace, made, "MmBackward0")
    # f = 0.5 * x @ A @ x - b @ x: matmul multiplies the row ½xᵀ by the program's A
    assert card.rule == ("∂f/∂(½xᵀ) = g Aᵀ", "∂f/∂A = (½xᵀ)ᵀ g")
    assert [label for label, _ in card.outgoing] == ["½xᵀ", "A"]
    assert card.targets == ("∂f/∂(½xᵀ)", "∂f/∂A")
    assert card.title == "½xᵀA — MmBackward0" and card.gradient_of == "∂f/∂(½xᵀA)"
    assert card.numbers[1].startswith("g = [[-2.157, -1.393, -0.3611, 1.874, -1.384]], "
                                      "½xᵀ = [[-1.079, ")
    assert card.numbers[1].endswith("→ ∂f/∂A = ‹5×5›")


def test_the_dot_of_b_and_x_names_x_and_b(quadratic):
    graph, trace, made = quadratic
    card = _card_of(graph, trace, made, "DotBackward0", 0)
    assert card.title == "bᵀx — DotBackward0"
    assert card.rule == ("∂f/∂x += g · b",)  # x is used three times: its gradients add up
    assert card.outgoing[0] == ("b", None) and card.outgoing[1][0] == "x"
    assert card.numbers[0].startswith("g = -1, b = [0.7455, ") and "→ ∂f/∂x += [" in \
        card.numbers[0]
    assert card.note == "no gradient flows to b (constant)"
    other = _card_of(graph, trace, made, "DotBackward0", 1)
    assert other.rule == ("∂f/∂(½xᵀA) = g · x", "∂f/∂x += g · ½xᵀA")


def test_the_reshape_sentence_names_the_input_it_reshapes(quadratic):
    graph, trace, made = quadratic
    squeeze = _card_of(graph, trace, made, "SqueezeBackward4")
    assert squeeze.rule == ("∂f/∂(½xᵀA) = g reshaped back to (½xᵀA)'s shape (1×5)",)
    unsqueeze = _card_of(graph, trace, made, "UnsqueezeBackward0")
    assert unsqueeze.rule == ("∂f/∂(½x) = g reshaped back to (½x)'s shape (5)",)
    e = explore_code("import torch\nx = torch.arange(4.0, requires_grad=True)\n"
                     "M = x.view(2, 2)\nloss = (M @ M).sum()\n")
    view = next(c for c in cards(e.graph, e.trace) if c.op == "ViewBackward0")
    assert view.rule == ("∂loss/∂x = g reshaped back to x's shape (4)",)
    assert view.title == "M — ViewBackward0" and view.gradient_of == "∂loss/∂M"
    for card in made:
        assert not any("x's shape" in line for line in card.rule)  # x is never reshaped here


def test_quadratic_squared_calls_the_gradient_g_bar_as_g_is_the_output():
    graph, trace, names = _explored(EXAMPLES["quadratic_squared"].code)
    made = assert_cards_use_the_programs_names(graph, trace, names)
    first = made[0]
    assert first.title == "g — MulBackward0" and first.loss == "g"
    assert first.rule == ("∂g/∂f += ḡ · f   (as input 1)", "∂g/∂f += ḡ · f   (as input 2)")
    assert first.gradient_of == "∂g/∂g" and first.grad_symbol == "ḡ"
    assert first.numbers[0] == "ḡ = 1, f = 9.467 → ∂g/∂f += 9.467"
    for card in made:
        # where g is the program's g (the output: ∂g/∂f, the card of g, what g sends to f)...
        text = card_text(card).replace("∂g", "∂").replace("g — ", "— ").replace("g, input", "")
        assert "g" not in tokens(text), text  # ...and nowhere else: never the gradient
        assert card.grad_symbol == "ḡ"
    f = next(c for c in made if c.title == "f — SubBackward0")
    assert f.rule == ("∂g/∂(½xᵀAx) = ḡ", "∂g/∂(bᵀx) = −ḡ")
    assert f.note.endswith("are summed into ḡ")


def test_symbols_avoid_every_program_name_given():
    """Names the graph does not show (numbers, unused tensors) are avoided when given."""
    e = explore_code(EXAMPLES["inverse_matrix"].code)
    sum_step = next(s.index for s in e.trace.steps if e.graph.node(s.node_id).op == "SumBackward0")
    assert step_card(e.graph, e.trace, sum_step).rule[0].startswith("∂L/∂Bᵢ = g ")
    card = step_card(e.graph, e.trace, sum_step, names=("g", "n"))
    assert card.grad_symbol == "ḡ" and card.rule[0].startswith("∂L/∂Bᵢ = ḡ ")
    assert card.rule[0].endswith("ḡ copied to B's shape (4×4)")


def test_an_unnamed_output_is_l_unless_the_program_has_an_l():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    out = (x * x).sum()
    graph, trace = capture(out, names={"x": x}), trace_backward(out)
    assert step_card(graph, trace, 0).rule == ("∂L/∂(x ⊙ x)ᵢ = g for every element: g copied "
                                               "to (x ⊙ x)'s shape (2)",)
    L = torch.ones(1)
    graph = capture(out, names={"x": x, "L": L})
    card = step_card(graph, trace, 0, names=("L",))
    assert card.loss == "ℒ" and card.rule[0].startswith("∂ℒ/∂(x ⊙ x)ᵢ")


def test_generic_rules_read_as_the_tables_did():
    assert rule_for("MmBackward0") == ("∂L/∂A = g Bᵀ", "∂L/∂B = Aᵀ g")
    assert rule_for("ViewBackward0") == ("∂L/∂x = g reshaped back to x's shape",)
    assert rule_for("StackBackward0") == ("∂L/∂xₖ = g[k], the slice of g at k",)
    assert rule_for("ExpBackward0") == ("∂L/∂x = g · exp(x) = g · y",)
