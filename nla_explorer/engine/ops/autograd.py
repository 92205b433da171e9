"""Autograd calls, derivatives of functions and in-place updates: code only, run as Python would."""

from __future__ import annotations

from nla_explorer.engine.ops.record import NodeRule, Op, Port

OPS = (
    Op("backward", "autograd", "run the backward pass", (".backward", "torch.autograd.backward"),
       statement=True, autograd_call=True, any_result=True, output=False),
    Op("grad", "autograd", "gradients of outputs w.r.t. inputs", ("torch.autograd.grad",),
       statement=True, autograd_call=True, any_result=True, output=False),
    Op("grad_of", "autograd", "the .grad a backward pass left", ("attr:grad",), statement=True,
       any_result=True),
    Op("set_grad", "autograd", "x.grad = None", ("attr=:grad",), statement=True,
       any_result=True, output=False),
    Op("zero_", "autograd", "set to zero in place", (".zero_",), statement=True, any_result=True),
    # with torch.no_grad(): its body between two blocks, one setting the mode, one putting the
    # mode before it back
    Op("grad_mode", "autograd", "run a with block's body without (or with) grad",
       ("with:torch.no_grad", "with:torch.enable_grad", "with:torch.set_grad_enabled", "with:end"),
       statement=True, any_result=True, output=False),
    Op("retain_grad", "autograd", "keep a non-leaf's .grad after backward", (".retain_grad",),
       statement=True, any_result=True, output=False),
    # what print(…) or a plot reads, where torch may refuse it (a vector's item, a tensor that
    # requires grad as an array): run on the line, nothing kept; shows:raise is a plain part of a
    # line Python raises on (print(1 / 0)): its exception, raised there
    Op("shows", "autograd", "what a printed or plotted line reads", ("shows:item", "shows:numpy",
       "shows:array", "shows:grad", "shows:index", "shows:value", "shows:float", "shows:int",
       "shows:len", "shows:bool", "shows:format", "shows:concat", "shows:raise"), statement=True,
       any_result=True, output=False),
    # derivatives of a whole function (a lambda or a small def): a named result, not a graph
    Op("jacobian", "autograd", "the Jacobian ∂f/∂x of a function at x",
       ("torch.autograd.functional.jacobian", "torch.func.jacrev", "torch.func.jacfwd"),
       arity=2, statement=True, any_result=True),
    Op("hessian", "autograd", "the Hessian ∂²f/∂x² of a scalar function at x",
       ("torch.autograd.functional.hessian", "torch.func.hessian"), arity=2, statement=True,
       any_result=True),
    # augmented assignments: Python calls __iadd__ etc., which torch runs in place; and the
    # methods themselves (x.mul_(2), x.add_(g, alpha=-lr))
    Op("iadd", "in-place", "a += b", ("+=", ".add_"), arity=2, statement=True),
    Op("isub", "in-place", "a −= b", ("-=", ".sub_"), arity=2, statement=True),
    Op("imul", "in-place", "a *= b", ("*=", ".mul_"), arity=2, statement=True),
    Op("idiv", "in-place", "a /= b", ("/=", ".div_"), arity=2, statement=True),
    # a mask updated in place (m &= x < 1: m.__iand__, torch's bitwise_and_)
    Op("iand", "in-place", "m &= m₂", ("&=",), arity=2, statement=True),
    Op("ior", "in-place", "m |= m₂", ("|=",), arity=2, statement=True),
    Op("ixor", "in-place", "m ^= m₂", ("^=",), arity=2, statement=True),
    # y[i] = v: torch copies v into the entries (CopySlices where y is in a graph)
    Op("set_item", "in-place", "a[i] = b", ("[]=",), arity=2, statement=True,
       ports=(Port("y", 0), Port("v", 2, number=True)),
       nodes=(NodeRule("CopySlices", ("y", "v"), (
           (0, "∂{L}/∂{y} = {g}, with 0 at the entries that were set"),
           (1, "∂{L}/∂{v} = {g} at the entries that were set (summed where {v} was broadcast)")),
           forward="y with some entries set to v", forward_symbols=("y", "v")),)),
)
