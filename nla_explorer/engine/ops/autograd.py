"""Autograd calls and in-place updates: code only, executed exactly as Python would."""

from __future__ import annotations

from nla_explorer.engine.ops.record import Op

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
    # augmented assignments: Python calls __iadd__ etc., which torch runs in place
    Op("iadd", "in-place", "a += b", ("+=",), arity=2, statement=True),
    Op("isub", "in-place", "a −= b", ("-=",), arity=2, statement=True),
    Op("imul", "in-place", "a *= b", ("*=",), arity=2, statement=True),
    Op("idiv", "in-place", "a /= b", ("/=",), arity=2, statement=True),
)
