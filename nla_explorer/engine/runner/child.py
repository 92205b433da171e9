"""The child process: runs the user's code (as Python, or through the safe interpreter) on request.

Started by :class:`nla_explorer.engine.runner.supervisor.Runner` as
``python -I -m nla_explorer.engine.runner.child``; talks in :mod:`wire` frames over its original
stdin/stdout, which are replaced by ``/dev/null`` so that nothing the program prints (not even C
code writing to file descriptor 1) can mix with a reply. Requests are dicts::

    {"op": "run", "mode": "python", "cells": ((label, first_line, source), ...), "call": K | None,
     "seed": S | None, "limit": N, "output_limit": N}
    {"op": "run", "mode": "safe", "text": ..., "call": K | None, "limit": N}
    {"op": "explore", "code": ... | None, "expression": Expression | None, "call": K | None,
     "limit": N, "example": name | None}  # the window's safe evaluations
    {"op": "check", "expression": Expression, "call": K | None, "limit": N}  # finite differences
    {"op": "reset"}  # a fresh namespace
    {"op": "ping"}  # answered {"result": "pong"}: the child is alive

and each gets one reply, ``{"result": RunResult}`` or ``{"failure": "message"}``.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    os.environ.setdefault("MPLBACKEND", "Agg")

    import torch

    from nla_explorer.engine.runner import wire
    from nla_explorer.engine.runner.program import Kernel
    from nla_explorer.engine.runner.safe_run import check_safe, explore_safe, run_safe

    kernel = Kernel()
    wire.write_frame(replies, wire.encode({"ready": torch.__version__, "pid": os.getpid()}))
    while True:
        frame = wire.read_frame(requests)
        if frame is None:
            return
        try:
            request = wire.decode(frame)
            if request.get("op") == "ping":
                reply = {"result": "pong"}
            elif request.get("op") == "reset":
                kernel.reset()
                reply = {"result": None}
            elif request.get("op") == "explore":  # the safe interpreter, for the window
                reply = {"result": explore_safe(
                    request.get("code"), request.get("expression"), request.get("call"),
                    request.get("limit", 10_000), request.get("example"))}
            elif request.get("op") == "check":
                reply = {"result": check_safe(request["expression"], request.get("call"),
                                              request.get("limit", 10_000))}
            elif request.get("mode") == "safe":
                reply = {"result": run_safe(request["text"], request.get("call"),
                                            request.get("limit", 10_000))}
            else:
                reply = {"result": kernel.run(
                    [tuple(c) for c in request["cells"]], limit=request.get("limit", 10_000),
                    call=request.get("call"), seed=request.get("seed"),
                    output_limit=request.get("output_limit", 1_000_000))}
        except Exception as exc:  # noqa: BLE001 - a failure of the runner itself, said in words
            reply = {"failure": f"{type(exc).__name__}: {exc}"}
        try:
            data = wire.encode(reply)
        except MemoryError:
            data = wire.encode({"failure": "the result is too large to send back"})
        wire.write_frame(replies, data)


if __name__ == "__main__":
    main()
