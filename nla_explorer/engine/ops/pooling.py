"""Pooling: the maximum over sliding windows."""

from __future__ import annotations

from nla_explorer.engine.ops.parts import F, X
from nla_explorer.engine.ops.record import Op, Param

_WINDOW = (Param("kernel_size", "int", 2, 1, "kernel_size", required=True, minimum=1),
           Param("stride", "int", None, 2, "stride", positional=False, minimum=1))

OPS = (
    Op("max_pool1d", "pooling", "max over windows (1-d)", (F + "max_pool1d",), ports=X,
       params=_WINDOW, glyph="▁▇", code_args="2"),
    Op("max_pool2d", "pooling", "max over windows (2-d)", (F + "max_pool2d",), ports=X,
       params=_WINDOW, glyph="▦", code_args="2"),
)
