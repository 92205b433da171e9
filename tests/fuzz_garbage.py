"""Hypothesis strategies for garbage: text the code form must refuse with a message (or may accept).

Token soup, mutated valid programs, every whitelisted spelling called with wrong arguments, deep
nesting, huge literals, unicode names, attacks (each carrying the canary :data:`MARKER`), any
characters at all (NUL bytes, lone surrogates from invalid UTF-8, CRLF, a BOM, very long lines).
"""

from __future__ import annotations

import keyword

from hypothesis import strategies as st

from nla_explorer.engine.ops import FORMS
from tests.canaries import MARKER
from tests.fuzz_programs import programs

ATTACKS = (
    f"__import__('{MARKER}')",
    f"__import__('os').system('touch {MARKER}')",
    f"open('{MARKER}.txt', 'w').write('x')",
    f"exec('{MARKER} = 1')",
    f"eval('{MARKER}')",
    f"getattr(torch, '{MARKER}')",
    f"import os\nos.system('touch {MARKER}')",
    f"import subprocess\nsubprocess.Popen(['{MARKER}'])",
    f"from os import system\nsystem('{MARKER}')",
    f"import socket\nsocket.create_connection(('{MARKER}.invalid', 80))",
    "x = torch.randn(3)\ny = x.__class__.__base__.__subclasses__()",
    f"print(().__class__.__bases__[0].__subclasses__())\n'{MARKER}'",
    f"torch.load('{MARKER}.pt')",
    f"torch.save(torch.randn(2), '{MARKER}.pt')",
    f"torch.hub.load('{MARKER}', 'model')",
    f"x = torch.from_file('{MARKER}', size=3)",
    f"x = torch.randn(3)\nx.numpy().tofile('{MARKER}')",
    f"(lambda: __import__('{MARKER}'))()",
    f"[__import__('{MARKER}') for _ in (1,)]",
    f"(y := __import__('{MARKER}'))",
    f"f'{{__import__(\"{MARKER}\")}}'",
    f"def f():\n    __import__('{MARKER}')\nf()",
    f"class A:\n    __init__ = lambda self: __import__('{MARKER}')\nA()",
    f"import numpy as np\nnp.save('{MARKER}', 1)",
    f"import matplotlib.pyplot as plt\nplt.savefig('{MARKER}.png')",
    f"print(open('{MARKER}'))",
    f"display(exec('{MARKER}'))",
    f"x = torch.randn(3)\ny = x.sum(dim=__import__('{MARKER}'))",
    f"x = torch.randn(3)\ny = torch.add(x, x, out=open('{MARKER}', 'w'))",
    f"torch.manual_seed(__import__('{MARKER}'))",
    f"globals()['{MARKER}'] = 1",
    f"vars(torch)['{MARKER}']",
    f"breakpoint()\n'{MARKER}'",
    f"import torch.utils.cpp_extension as c\nc.load('{MARKER}', [])",
    f"InverseMatrix.forward.__globals__['{MARKER}']",
    f"F.relu.__code__\n'{MARKER}'",
    f"torch.ops.load_library('{MARKER}.so')",
    f"torch.classes.load_library('{MARKER}.so')",
    f"torch._C._{MARKER}()",
    f"x = torch.tensor('{MARKER}')",
    f"async def f():\n    await __import__('{MARKER}')",
    f"with open('{MARKER}') as f:\n    pass",
    f"try:\n    pass\nfinally:\n    __import__('{MARKER}')",
    f"import builtins\nbuiltins.__import__('{MARKER}')",
    f"import importlib\nimportlib.import_module('{MARKER}')",
)

_TOKENS = (
    [*keyword.kwlist, "(", ")", "[", "]", "{", "}", ":", ",", ".", "=", "+", "-", "*", "/", "**",
     "@", "//", "%", "<", ">", "==", "!=", "~", "^", "&", "|", ":=", "->", "...", ";", "\\",
     "'", '"', "#", "\n", "\n    ", "0", "1", "3", "-1", "0.5", "1e308", "10**9", "True", "None",
     "x", "y", "A", "n", "torch", "F", "nn", "np", "InverseMatrix", "requires_grad=True",
     "dtype=torch.float64", "dim=0", ".sum()", ".backward()", ".T", "print", "display",
     "torch.randn(3)", "torch.randn(2, 2, requires_grad=True)", "x = torch.randn(3)\n",
     "__class__", "__import__", "open", "exec", "getattr", "lambda", "f'{x}'", "'\\x00'",
     "α", "𝔘𝔫𝔦", "ﬁ", "名前", "x\u200b", "\u00a0", "\t"]
    + sorted(f[:-1] if f.startswith(".") else f for f in FORMS if not f.startswith("attr:"))
    + ["." + f[5:] for f in FORMS if f.startswith("attr:")]
    + [f"'{MARKER}'", f"__import__('{MARKER}')"]
)


def token_soup():
    return st.lists(st.sampled_from(_TOKENS), max_size=60).map(" ".join)


@st.composite
def mutated_programs(draw) -> str:
    """A valid program with a few random edits: near-valid text, the parser's hardest case."""
    text = draw(programs()).text
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "duplicate", "replace"]))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(_TOKENS)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)):]
        elif kind == "duplicate":
            end = min(len(text), at + draw(st.integers(1, 40)))
            text = text[:end] + text[at:end] + text[end:]
        else:
            text = text[:at] + draw(st.sampled_from(_TOKENS)) + text[at + 1:]
    return text


_NESTINGS = (
    lambda d: "x = " + "(" * d + "1" + ")" * d,
    lambda d: "x = " + "-(" * d + "1" + ")" * d,
    lambda d: "x = torch.randn(2, requires_grad=True)\ny = " + "-" * d + "x\nz = y.sum()",
    lambda d: "x = torch.randn(2, requires_grad=True)\ny = " + "-(" * d + "x" + ")" * d,
    lambda d: "x = torch.tensor(" + "[" * d + "1.0" + "]" * d + ", requires_grad=True)",
    lambda d: "x = torch.randn(2, requires_grad=True)\ny = " + "torch.exp(" * d + "x" + ")" * d,
    lambda d: "x = torch.randn(2, 2, requires_grad=True)\ny = x" + ".T" * d + "\nz = y.sum()",
    lambda d: "x = torch.randn(2, requires_grad=True)\ny = " + " + ".join(["x"] * d),
    lambda d: "x = torch.randn(2, requires_grad=True)\ny = x" + "[None]" * d,
    lambda d: "x = torch.randn(2, requires_grad=True)\n" + "x = x * 1.0\n" * d + "y = x.sum()",
    lambda d: "y = torch" + ".a" * d,
    lambda d: "x = " + "[" * d + "]" * d,
    lambda d: "n = 1" + " + 1" * d,
    lambda d: "x = torch.randn(2, requires_grad=True)\ny = x" + ".exp()" * d + "\nz = y.sum()",
    lambda d: "if 1:\n" + "".join(" " * (i + 1) + "if 1:\n" for i in range(d)) + " " * (d + 1)
              + "pass",
)


def deep_nesting():
    return st.builds(lambda f, d: f(d), st.sampled_from(_NESTINGS),
                     st.one_of(st.integers(1, 120), st.integers(120, 3000)))


HUGE = (
    "x = 10**10**10", "x = 1e308 * 10", "x = torch.randn(10**9, 10**9)", "n = 2**62 * 4",
    "x = torch.randn(10**9)", "x = torch.zeros(size=(10**9, 10**9))", "x = " + "9" * 5000,
    "x = torch.randn(" + "9" * 400 + ")", "x = torch.eye(10**6)", "x = torch.arange(1e300)",
    "x = torch.linspace(0, 1, 10**12)", "x = torch.full((10**5, 10**5), 1.0)",
    "x = torch.arange(end=10**12)", "x = torch.ones(size=(50000, 50000))",
    "x = torch.randn(100000)\ny = torch.outer(x, x)", "x = 2.0 ** 1024", "x = -(10**30)",
    "torch.manual_seed(2**64)\nx = torch.randn(2)", "x = torch.randn(3)[10**18]",
    "x = torch.randn(4, 4)\ny = x.reshape(10**9, 10**9)", "x = 1e-400", "x = 0.0 ** -1",
    "x = torch.tensor([" + ", ".join(["1.0"] * 20000) + "])",
)


def unicode_programs():
    ident = st.text(st.characters(categories=("Lu", "Ll", "Lo", "Nd", "Mn", "Pc")), min_size=1,
                    max_size=8)
    return st.builds(lambda a, b: f"{a} = torch.randn(2, requires_grad=True)\n{b} = {a}.sum()",
                     ident, ident)


def raw_text():
    """Any characters at all (surrogates included), and invalid UTF-8 decoded with surrogates."""
    return st.one_of(
        st.text(st.characters(exclude_categories=()), max_size=200),
        st.binary(max_size=200).map(lambda b: b.decode("utf-8", "surrogateescape")),
    )


@st.composite
def decorated(draw, base) -> str:
    """``base`` with NUL bytes, CRLF, a BOM, tabs or a very long line mixed in."""
    text = draw(base)
    kind = draw(st.sampled_from(["nul", "crlf", "cr", "bom", "tab", "long", "surrogate"]))
    at = draw(st.integers(0, len(text)))
    extra = {"nul": "\x00", "cr": "\r", "bom": "\ufeff", "tab": "\t", "surrogate": "\udcff",
             "long": "x = torch.randn(2)" + " " * 50_000 + "\n", "crlf": ""}[kind]
    if kind == "crlf":
        return text.replace("\n", "\r\n")
    return text[:at] + extra + text[at:]


_SETUP = ("s = torch.randn((), requires_grad=True)\nv = torch.randn(3, requires_grad=True)\n"
          "m = torch.randn(2, 3, requires_grad=True)\nq = torch.randn(2, 2, 2)\n"
          "i = torch.tensor([0, 1])\nn = 2\n")
_ARGS = ("s", "v", "m", "q", "i", "n", "-1", "0", "1", "2", "3", "10**6", "2**62", "0.5", "-0.0",
         "1e-300", "1e300", "'fro'", "'nuc'", "'cuda'", "'meta'", "'mean'", "''", "'a'", "None",
         "True", "...", "(2, 3)", "(3,)", "()", "[v, v]", "(m, m)", "[]", "torch.float64",
         "torch.int64", "torch.bool", "torch.half", "torch.bfloat16", "torch.strided", "torch",
         "F", "v.T", "m[0]", "m[:, None]", "-v", "v * 2")
_KEYWORDS = ("dim", "keepdim", "out", "device", "dtype", "requires_grad", "p", "size", "generator",
             "layout", "memory_format", "min", "max", "inplace", "reduction", "weight",
             "ignore_index", "label_smoothing", "ord", "kernel_size", "stride", "padding",
             "dilation", "ceil_mode", "return_indices", "start", "end", "steps", "step", "n", "m",
             "fill_value", "other", "alpha", "rounding_mode", "input", "exponent", "eps", "bias",
             "dim0", "dim1", "diagonal", "pin_memory", "names", "seed")


@st.composite
def random_calls(draw) -> str:
    """Every whitelisted spelling called with arguments of the wrong number, type and size."""
    lines = [_SETUP]
    for _ in range(draw(st.integers(1, 3))):
        form = draw(st.sampled_from(sorted(FORMS)))
        args = draw(st.lists(st.sampled_from(_ARGS), max_size=4))
        kwargs = draw(st.lists(st.tuples(st.sampled_from(_KEYWORDS), st.sampled_from(_ARGS)),
                               max_size=3, unique_by=lambda kv: kv[0]))
        call = ", ".join([*args, *(f"{k}={v}" for k, v in kwargs)])
        base = draw(st.sampled_from(["s", "v", "m", "q", "i"]))
        if form in ("+", "-", "*", "/", "**", "@"):
            text = f"{base} {form} {args[0] if args else base}"
        elif form == "u-":
            text = f"-{base}"
        elif form == "[]":
            text = f"{base}[{call or '0'}]"
        elif form.startswith("attr:"):
            text = f"{base}.{form[5:]}"
        elif form.startswith("."):
            text = f"{base}{form}({call})"
        else:
            text = f"{form.removeprefix('custom:')}({call})"
        lines.append(f"r = {text}")
    lines.append(draw(st.sampled_from(["out = r.sum()", "out = r", "r.backward()", ""])))
    return "\n".join(lines)


def garbage():
    """Text that is mostly not a valid program (some of it is, by chance)."""
    return st.one_of(
        token_soup(), mutated_programs(), random_calls(), random_calls(), deep_nesting(),
        st.sampled_from(HUGE),
        unicode_programs(), st.sampled_from(ATTACKS), raw_text(),
        decorated(st.one_of(st.sampled_from(ATTACKS), programs().map(lambda p: p.text))),
    )
