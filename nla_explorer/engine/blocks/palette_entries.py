"""The block palette as plain data: an entry per catalogue op, from its record; presets, search."""

from __future__ import annotations

from dataclasses import dataclass

from nla_explorer.engine.ops import CATALOGUE, Op

#: Display order of the categories; any other category follows in catalogue order.
CATEGORY_ORDER = (
    "inputs", "parameters", "arithmetic", "linear algebra", "shape", "reductions", "elementwise",
    "comparisons", "activations", "losses", "pooling",
)
PARAMETERS = "parameters"
#: The constructors offered again as trainable leaves (their records' ``parameter_entry``).
PARAMETER_CONSTRUCTORS = tuple(key for key, op in CATALOGUE.items() if op.parameter_entry)
PARAMETER_PRESET = (("requires_grad", True),)

_F = "torch.nn.functional."
_OPERATOR_FORMS = {"+", "-", "*", "/", "**", "@", ">", "<", ">=", "<=", "==", "!=", "&", "|"}


@dataclass(frozen=True)
class PaletteEntry:
    """One block of the palette: its op, how it is shown and the keyword arguments it starts with.

    ``key`` is unique (it is what a drag carries); ``op`` is the catalogue key of the block.
    """

    key: str
    op: str
    category: str
    label: str
    formula: str
    code: str
    preset: tuple[tuple[str, object], ...] = ()
    glyph: str = ""
    keywords: str = ""

    @property
    def kwargs(self) -> dict[str, object]:
        return dict(self.preset)


def code_example(spec: Op, preset: tuple[tuple[str, object], ...] = ()) -> str:
    """A short, runnable-looking example of the op's canonical form (``forms[0]``)."""
    code = spec.code or _generic_code(spec)
    if preset and code.endswith(")"):
        extra = ", ".join(f"{name}={value!r}" for name, value in preset)
        code = code[:-1] + (", " if not code.endswith("()") else "") + extra + ")"
    return code


def _generic_code(spec: Op) -> str:
    form = spec.forms[0] if spec.forms else spec.key
    if spec.arity < 0:
        names: tuple[str, ...] = ("[a, b]",)
    elif spec.arity == 0:
        names = ()
    else:
        default = ("x",) if spec.arity == 1 else tuple("abcdefgh"[:spec.arity])
        names = spec.arg_names or default
    receiver = names[0] if names else "x"
    extra = spec.code_args
    if form in _OPERATOR_FORMS and len(names) == 2:
        return f"{names[0]} {form} {names[1]}"
    if form == "u-":
        return f"-{receiver}"
    if form == "[]":
        return f"{receiver}[0]"
    if form.startswith("attr:"):
        return f"{receiver}.{form[5:]}"
    if form.startswith("."):
        rest = ", ".join([*names[1:], extra] if extra else names[1:])
        return f"{receiver}{form}({rest})"
    if form.startswith("custom:"):
        form = form[len("custom:"):]
    elif form.startswith(_F):
        form = "F." + form[len(_F):]
    args = ", ".join([*names, extra] if extra else names)
    return f"{form}({args})"


def _entry(spec: Op, key: str, category: str, label: str,
           preset: tuple[tuple[str, object], ...] = ()) -> PaletteEntry:
    forms = " ".join(form.replace("torch.nn.functional.", "F.") for form in spec.forms)
    keywords = " ".join(part for part in (spec.keywords, forms) if part)
    return PaletteEntry(key=key, op=spec.key, category=category, label=label, formula=spec.formula,
                        code=code_example(spec, preset), preset=preset,
                        glyph=spec.glyph or spec.key[:2], keywords=keywords)


def palette_entries() -> tuple[PaletteEntry, ...]:
    """Every catalogue op once, plus a "parameters" category, grouped in display order."""
    by_category: dict[str, list[PaletteEntry]] = {}
    for spec in CATALOGUE.values():
        if spec.statement:
            continue  # code-only: backward calls and in-place updates are not blocks to drag
        by_category.setdefault(spec.category, []).append(
            _entry(spec, spec.key, spec.category, spec.label))
    taken = set(CATALOGUE)
    parameters = []
    for spec in CATALOGUE.values():
        if spec.parameter_entry:
            key = f"{spec.key}_parameter"
            while key in taken:
                key += "_"
            taken.add(key)
            parameters.append(_entry(spec, key, PARAMETERS, f"{spec.key} parameter",
                                     PARAMETER_PRESET))
    by_category[PARAMETERS] = parameters
    order = [c for c in CATEGORY_ORDER if c in by_category]
    order += [c for c in by_category if c not in order]
    return tuple(entry for category in order for entry in by_category[category])


def category_order(entries: tuple[PaletteEntry, ...] | list[PaletteEntry]) -> list[str]:
    """The categories of ``entries`` in order of first appearance."""
    return list(dict.fromkeys(entry.category for entry in entries))


def _rank(entry: PaletteEntry, query: str, words: list[str]) -> int | None:
    label, key = entry.label.casefold(), entry.key.casefold()
    formula, code = entry.formula.casefold(), entry.code.casefold()
    keywords, category = entry.keywords.casefold(), entry.category.casefold()
    if query in (label, key):
        return 0
    if label.startswith(query) or key.startswith(query):
        return 1
    if any(word.startswith(query) for word in label.replace("_", " ").split()):
        return 2
    if query in label or query in key:
        return 3
    if any(word.startswith(query) for word in keywords.split()):
        return 4
    if query in formula or query in code or query in keywords:
        return 5
    if query in category:
        return 6
    haystack = " ".join((label, key, formula, code, keywords, category))
    if len(words) > 1 and all(word in haystack for word in words):
        return 7
    return None


def search(entries, text: str) -> list[PaletteEntry]:
    """Entries matching ``text`` (key, label, formula, category, code; any case), best first.

    An exact label comes first, then label prefixes, then words of the label, then everything
    else; ties keep palette order. Blank text gives every entry in palette order.
    """
    query = " ".join(text.split()).casefold()
    if not query:
        return list(entries)
    words = query.split()
    ranked = []
    for index, entry in enumerate(entries):
        rank = _rank(entry, query, words)
        if rank is not None:
            ranked.append((rank, index, entry))
    ranked.sort(key=lambda item: item[:2])
    return [entry for _, _, entry in ranked]
