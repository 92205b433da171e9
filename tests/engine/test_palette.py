"""The palette as data: entries from the catalogue, categories, code examples, search."""

from nla_explorer.engine.blocks.palette_entries import (
    CATEGORY_ORDER, PARAMETERS, code_example, palette_entries, search,
)
from nla_explorer.engine.ops import CATALOGUE, OpSpec


def test_every_catalogue_op_is_in_the_palette():
    entries = palette_entries()
    ops = {entry.op for entry in entries if entry.category != PARAMETERS}
    assert ops == {key for key, spec in CATALOGUE.items() if not spec.statement}
    assert len({entry.key for entry in entries}) == len(entries)
    for entry in entries:
        assert entry.label and entry.code and entry.glyph and 1 <= len(entry.glyph) <= 3
        assert entry.formula == CATALOGUE[entry.op].formula


def test_categories_in_display_order():
    categories = list(dict.fromkeys(entry.category for entry in palette_entries()))
    known = [c for c in CATEGORY_ORDER if c in categories]
    assert categories[:len(known)] == known
    assert categories[:2] == ["inputs", "parameters"]


def test_parameters_are_constructors_with_requires_grad():
    params = [entry for entry in palette_entries() if entry.category == PARAMETERS]
    assert [entry.op for entry in params] == ["randn", "rand", "zeros", "ones"]
    for entry in params:
        assert entry.preset == (("requires_grad", True),)
        assert entry.kwargs == {"requires_grad": True}
        assert "parameter" in entry.label and "requires_grad=True" in entry.code
        assert CATALOGUE[entry.op].constructor


def test_code_examples_use_the_canonical_form():
    by_key = {entry.key: entry for entry in palette_entries()}
    assert by_key["randn"].code == "torch.randn(3, 3)"
    assert by_key["matmul"].code == "A @ B"
    assert by_key["add"].code == "a + b"
    assert by_key["t"].code == "A.t()" and by_key["T"].code == "A.T"
    assert by_key["linear"].code == "F.linear(x, W, b)"
    assert by_key["inverse_matrix"].code == "InverseMatrix.apply(A)"
    assert by_key["cat"].code == "torch.cat([a, b])"
    assert by_key["index"].code.startswith("x[")


def test_a_new_catalogue_op_needs_no_palette_change(monkeypatch):
    spec = OpSpec("frobenius", "linear algebra", "‖A‖_F", ("torch.linalg.matrix_norm",))
    monkeypatch.setitem(CATALOGUE, "frobenius", spec)
    extra = OpSpec("gelu", "fancy", "x Φ(x)", ("torch.nn.functional.gelu",))
    monkeypatch.setitem(CATALOGUE, "gelu", extra)
    by_key = {entry.key: entry for entry in palette_entries()}
    assert by_key["frobenius"].code == "torch.linalg.matrix_norm(x)"
    assert by_key["gelu"].code == "F.gelu(x)" and by_key["gelu"].glyph == "ge"
    assert list(dict.fromkeys(e.category for e in palette_entries()))[-1] == "fancy"
    assert code_example(spec) == "torch.linalg.matrix_norm(x)"


def test_search_ranks_label_matches_first():
    entries = palette_entries()
    keys = lambda text: [entry.key for entry in search(entries, text)]  # noqa: E731
    assert keys("mat")[0] == "matmul"
    assert keys("MATMUL")[0] == "matmul"
    assert keys("max")[:2] == ["max", "maximum"]
    assert "sigmoid" in keys("sigma")
    assert keys("1 / (1")[0] == "sigmoid"
    assert keys("transpose")[:3] == ["transpose", "t", "T"]
    assert keys("torch.ger") == ["outer"]
    assert set(keys("losses")) == {"mse_loss", "cross_entropy"}
    assert keys("xyzzy") == []
    assert keys("   ") == [entry.key for entry in entries]
