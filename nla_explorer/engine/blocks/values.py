"""Parameter values for block edits: what ``set_param`` accepts per kind, checked without allocating."""

from __future__ import annotations

import ast
import math

from nla_explorer.engine.blocks.templates import Param, MAX_DIMS, MAX_MATRIX_TEXT
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.code.calc import calc_names, calc_text, calc_value, read_calc
from nla_explorer.engine.code.evaluation import MAX_ELEMENTS, constructor_numel
from nla_explorer.engine.expression import Block, Calc, DType, Slice, Var
from nla_explorer.engine.ops import CATALOGUE, DTYPES


# -- values: what set_param accepts, per kind (each raises ValueError saying what is wrong) --------
def _show(value: object) -> str:
    return f"{type(value).__name__} {value!r}"[:60]


def _resolve(value: object, numbers: dict) -> object:
    if isinstance(value, Var):
        return numbers.get(value.name, value)
    if isinstance(value, Calc):
        try:
            return calc_value(value, numbers)
        except ValueError:
            return value
    return tuple(_resolve(v, numbers) for v in value) if isinstance(value, tuple) else value


def number_value(value: object, numbers: dict, integer: bool = False) -> int | float | Var | Calc:
    """A number, a named number (``Var`` or its name), arithmetic on named numbers (``Calc`` or
    its text, ``m ** 0.5``) or numeric text, checked finite and sane."""
    if isinstance(value, str):
        text = value.strip()
        if text in numbers:
            return Var(text)
        value = _parse_number(text, numbers)
    if isinstance(value, Var):
        if value.name not in numbers:
            raise ValueError(f"uses '{value.name}', which is not a defined number")
        resolved, shown = numbers[value.name], f"'{value.name}' = {numbers[value.name]}"
    elif isinstance(value, Calc):
        resolved = calc_value(value, numbers)
        shown = f"{calc_text(value)[0]} = {resolved}"
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a number, not {_show(value)}")
    else:
        resolved, shown = value, repr(value)
    if isinstance(resolved, float) and not math.isfinite(resolved):
        raise ValueError(f"must be a finite number, not {shown}")
    if abs(resolved) >= 2**62:
        raise ValueError(f"{shown} is too large")
    if integer and not isinstance(resolved, int):
        raise ValueError(f"must be a whole number, not {shown}")
    return value


def _parse_number(text: str, numbers: dict) -> int | float | Var | Calc:
    if len(text) <= 64:
        for convert in (int, float):
            try:
                return convert(text)
            except ValueError:
                pass
    if numbers and any(name in text for name in numbers):  # m ** 0.5, 2 * n
        return read_calc(text, numbers)
    hint = f" nor one of the named numbers ({', '.join(numbers)})" if numbers else ""
    raise ValueError(f"must be a number, not the text {text[:40]!r}{hint}")


def clean_value(p: Param, value: object, numbers: dict) -> object:
    """``value`` checked for parameter ``p`` and turned into what a block stores."""
    if isinstance(value, str) and value.strip().lower() in ("", "none") and p.kind != "index":
        value = None
    if value is None and p.kind != "index":  # x[None] is an index
        if p.required:
            raise ValueError("needs a value")
        return None
    if isinstance(value, str) and value in p.choices:
        return value
    kind = p.kind
    if kind in ("int", "float", "number"):
        stored = number_value(value, numbers, integer=kind == "int")
        resolved = _resolve(stored, numbers)
        if p.minimum is not None and resolved < p.minimum:
            raise ValueError(f"must be at least {p.minimum}, not {resolved}")
        return float(stored) if kind == "float" and not isinstance(stored, (Var, Calc)) \
            else stored
    if kind == "bool":
        text = value.strip().lower() if isinstance(value, str) else None
        if isinstance(value, bool) or text in ("true", "false"):
            return value if isinstance(value, bool) else text == "true"
        raise ValueError(f"must be true or false, not {_show(value)}")
    if kind == "dtype":
        name = value.name if isinstance(value, DType) else \
            value.strip().removeprefix("torch.") if isinstance(value, str) else None
        if name not in DTYPES:
            raise ValueError(f"must be one of {', '.join(DTYPES)}, not {_show(value)}")
        return DType(name)
    if kind in ("shape", "reshape", "dims"):
        return _sizes(value, numbers, kind)
    if kind == "dim":
        return _dim_value(value)
    if kind == "index":
        return _index_value(value, numbers)
    return _matrix_value(value)


def _dim_value(value: object) -> int:
    dim = number_value(value, {}, integer=True)
    if abs(dim) > 64:
        raise ValueError(f"{dim} is not a dimension")
    return dim


def _sizes(value: object, numbers: dict, kind: str) -> object:
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 1000:
            raise ValueError("is too long a text")
        inner = text[1:-1] if text[:1] in "([" and text[-1:] in ")]" else text
        items = [s.strip() for s in inner.split(",")]
        if items[-1] == "":
            items.pop()  # "(3,)" and "()"
        if kind == "dims" and len(items) == 1 and "," not in text:
            value = items[0]
        else:
            value = items
    if kind == "dims":
        return tuple(_dim_value(v) for v in value) if isinstance(value, (list, tuple)) \
            else _dim_value(value)
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if len(items) > MAX_DIMS:
        raise ValueError(f"has {len(items)} dimensions; at most {MAX_DIMS}")
    out, free = [], 0
    for item in items:
        size = number_value(item, numbers, integer=True)
        resolved = _resolve(size, numbers)
        if kind == "reshape" and resolved == -1:
            free += 1
        elif resolved < 1:
            raise ValueError(f"has the size {resolved}; sizes are positive whole numbers"
                             + (" (or one -1)" if kind == "reshape" else ""))
        out.append(size)
    if free > 1:
        raise ValueError("can have only one size -1")
    return tuple(out)


def _index_value(value: object, numbers: dict) -> object:
    if isinstance(value, str):
        if len(value) > 200:
            raise ValueError("is too long a text")
        try:
            body = ast.parse(f"_[{value.strip()}]", mode="eval").body
        except SyntaxError:
            body = None
        if not (isinstance(body, ast.Subscript) and isinstance(body.value, ast.Name)
                and body.value.id == "_"):
            raise ValueError(f"{value[:40]!r} is not an index such as 0, 1:3 or :, None")
        value = _index_node(body.slice)
    return _index_item(value, numbers, top=True)


def _index_node(node: ast.expr) -> object:
    if isinstance(node, ast.Tuple):
        return tuple(_index_node(e) for e in node.elts)
    if isinstance(node, ast.Slice):
        return Slice(*(None if p is None else _index_node(p)
                       for p in (node.lower, node.upper, node.step)))
    if isinstance(node, ast.Constant) and (node.value in (None, ...) or type(node.value) is int):
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant) and type(node.operand.value) is int):
        return -node.operand.value
    if isinstance(node, ast.Name):
        return node.id
    raise ValueError(f"{ast.unparse(node)[:40]!r} cannot be part of an index")


def _index_item(value: object, numbers: dict, top: bool) -> object:
    if value is None or value is Ellipsis:
        return value
    if isinstance(value, slice):
        value = Slice(value.start, value.stop, value.step)
    if isinstance(value, Slice):
        return Slice(*(None if p is None else number_value(p, numbers, integer=True)
                       for p in (value.start, value.stop, value.step)))
    if isinstance(value, (tuple, list)) and top:
        return tuple(_index_item(v, numbers, False) for v in value)
    return number_value(value, numbers, integer=True)


def _matrix_value(value: object) -> object:
    if isinstance(value, str):
        if len(value) > MAX_MATRIX_TEXT:
            raise ValueError(f"is {len(value):,} characters long; at most {MAX_MATRIX_TEXT:,}")
        try:
            value = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise ValueError("must be numbers in nested lists, such as [[1, 2], [3, 4]]") from None
    count = 0

    def tree(v: object, depth: int) -> tuple[object, tuple]:
        nonlocal count
        if depth > 8:
            raise ValueError("is nested too deeply (at most 8 levels)")
        if isinstance(v, (list, tuple)):
            if not v:
                raise ValueError("has an empty list")
            kids = [tree(x, depth + 1) for x in v]
            if len({shape for _, shape in kids}) > 1:
                raise ValueError("is not rectangular: its rows differ in length")
            return tuple(k for k, _ in kids), (len(v), *kids[0][1])
        count += 1
        if count > MAX_ELEMENTS:
            raise ValueError(f"has more than {MAX_ELEMENTS:,} numbers")
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"must hold only numbers, not {_show(v)}")
        return number_value(v, {}), ()
    return tree(value, 0)[0]


def check_size(block: Block, numbers: dict) -> None:
    """Refuse a constructor that would make more than ``MAX_ELEMENTS`` (nothing is allocated)."""
    spec = CATALOGUE.get(block.op)
    if spec is None or not spec.constructor or block.op == "tensor":
        return
    args = _resolve(block.args, numbers)
    try:
        kwargs = {k: _resolve(v, numbers) for k, v in block.kwargs}
        count = constructor_numel(block.op, args, kwargs)
    except (ExpressionError, TypeError, ValueError, OverflowError):
        return  # evaluate explains arguments it cannot size
    if count is not None and count > MAX_ELEMENTS:
        call = f"{spec.forms[0]}({', '.join(repr(a) for a in args)})"
        raise ValueError(f"{call} would hold {count:,} elements; the limit is {MAX_ELEMENTS:,}")


def vars_in(block: Block) -> set[str]:
    """Names of the numbers a block uses."""
    found, stack = set(), [block.args, tuple(v for _, v in block.kwargs)]
    while stack:
        value = stack.pop()
        if isinstance(value, (Var, Calc)):
            found |= calc_names(value)
        elif isinstance(value, tuple):
            stack.extend(value)
        elif isinstance(value, Slice):
            stack.extend((value.start, value.stop, value.step))
    return found


def uses_var(value: object) -> bool:
    return isinstance(value, (Var, Calc)) or (
        isinstance(value, tuple) and any(map(uses_var, value)))
