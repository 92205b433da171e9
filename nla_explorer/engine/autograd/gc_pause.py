"""Pause Python's cyclic garbage collector during bulk work on big autograd graphs.

A live graph holds hundreds of thousands of tracked objects; a full collection triggered by the
many small allocations of a capture or trace sweeps them all and frees nothing (measured: half of
the time of a 15,000-node trace). Reference counting still frees everything as usual.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: The third threshold while :func:`no_full_collections` holds: no full collection is ever due.
_NEVER = 1 << 30


@contextmanager
def no_full_collections() -> Iterator[None]:
    """The collector keeps collecting young objects, but not the whole heap, while inside.

    For the user's own code under ``recording()``: every op adds snapshots and Nodes that live on,
    so each full collection sweeps a growing heap and frees nothing (a fifth of an unrolled
    LSTM's recorded forward); short-lived cycles of the program are still freed as usual.

    A full collection held back (more young collections than the threshold allows between full
    ones) would run at the next young collection, over everything: the recording's values and
    Nodes, and the graph captured from them next (80 ms of a 15,000-node capture). What exists
    then is long-lived, so it is frozen out of the collector instead, as a big capture is."""
    old = gc.get_threshold()
    ours = (old[0], old[1], _NEVER)
    gc.set_threshold(*ours)
    try:
        yield
    finally:
        if gc.get_threshold() == ours:  # (unless the program set its own meanwhile)
            gc.set_threshold(*old)
            if gc.get_count()[2] > old[2]:
                gc.freeze()


#: A graph (or picture) of this many nodes (boxes) or more lives as long as it is shown: once
#: built it is frozen out of the collector, else the next collection walks every new object
#: again (0.1-0.4 s at 75,000 nodes) and a full one sweeps them all for nothing.
LONG_LIVED_OVER = 10_000


def keep_out_of_collections(size: int) -> None:
    """Freeze what exists now when ``size`` (nodes, boxes) reaches :data:`LONG_LIVED_OVER`
    (reference counting still frees what is dropped later)."""
    if size >= LONG_LIVED_OVER:
        gc.freeze()
