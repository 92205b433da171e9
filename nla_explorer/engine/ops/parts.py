"""Pieces the op declarations share: common ports, parameters and shapes of backward rules."""

from __future__ import annotations

from nla_explorer.engine.ops.record import NodeRule, Param, Port

#: The prefix of ``torch.nn.functional`` forms.
F = "torch.nn.functional."


def tensor_ports(*names: str, keywords: tuple = (), number: bool = False) -> tuple[Port, ...]:
    """Ports at positions 0, 1...; keywords default to torch's ``input`` / ``other``."""
    kws = keywords or (("input", "other") if len(names) == 2 else ("input",))
    return tuple(Port(n, i, kws[i] if i < len(kws) else None, number=number)
                 for i, n in enumerate(names))


X, A = tensor_ports("x"), tensor_ports("A")
REQUIRES_GRAD = Param("requires_grad", "bool", keyword="requires_grad", default=False,
                      positional=False)
DTYPE = Param("dtype", "dtype", keyword="dtype", positional=False)
KEEPDIM = Param("keepdim", "bool", index=2, keyword="keepdim", default=False, positional=False)
#: What every constructor takes besides its own arguments.
MAKERS = (REQUIRES_GRAD, DTYPE)


def shape(initial: tuple, kind: str = "shape", index: int = 0, kw: str = "size") -> Param:
    """The required shape of a constructor or a reshape."""
    return Param("shape", kind, initial, index, kw, required=True)


def dim(initial: object = None, index: int = 1, required: bool = False, kind: str = "dim",
        positional: bool = False, default: object = None, name: str = "dim") -> Param:
    """A dimension argument (``kind="dims"``: one or several)."""
    return Param(name, kind, initial, index, name, default, required, positional)


def unary(node: str, line: str, uses: tuple[str, ...] = (),
          saved: tuple[tuple[str, str], ...] = (), extra: str | None = None,
          forward: str | None = None, forward_symbols: tuple[str, ...] | None = None,
          symbol: str = "x") -> NodeRule:
    """The rule of a node with one input ``symbol``: a backward line, and ``extra`` always shown.

    Lines are templates: ``{x}`` is the input, ``{g}`` the gradient arriving, ``{L}`` the output
    differentiated, any other ``{symbol}`` one of ``saved`` (see ``step_names``).
    """
    lines = ((0, line),) + (((None, extra),) if extra else ())
    return NodeRule(node, (symbol,), lines, ((0, uses),), saved, forward, forward_symbols)


def reshaped(node: str) -> NodeRule:
    """The rule of a node that only changes the shape: the gradient goes back reshaped."""
    return unary(node, "∂{L}/∂{x} = {g} reshaped back to {x:shape}")


#: Saved names of a binary op's inputs (``_saved_self``, ``_saved_other``).
SELF_OTHER = (("a", "self"), ("b", "other"))
