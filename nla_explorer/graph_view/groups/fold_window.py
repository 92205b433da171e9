"""An open fold of many calls shows the calls at its two ends, and a gap box for the rest.

A column of 5,000 look-alike LSTM calls is unreadable and costs as much to redraw as its length:
open, ``cell ×5000`` shows calls 1–3, a box "⋯ 4,994 more calls", and calls 4998–5000. A call
that is open, or that a search or a step needs, is shown where it falls (splitting the gap);
double-clicking a gap shows every call (the marker :func:`every_call` joins the open groups).
Qt-free.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from nla_explorer.graph_view.groups.tree import GroupTree

#: An open fold of more calls than this shows only its ends (and what is opened between).
WINDOW_FOLDS_OVER = 24
#: Calls shown at each end of a windowed fold.
ENDS = 3
_GAP = "gap:"
_EVERY = "every:"


def every_call(fold: str) -> str:
    """The marker, among the open groups, that shows every call of ``fold``."""
    return _EVERY + fold


def every_call_of(marker: str) -> str | None:
    """The fold whose calls ``marker`` shows all of (None: not such a marker)."""
    return marker[len(_EVERY):] if marker.startswith(_EVERY) else None


def gap_fold(gap: str) -> str | None:
    """The fold a gap box belongs to (None: ``gap`` is not a gap box's id)."""
    if not gap.startswith(_GAP):
        return None
    return gap[len(_GAP):].rsplit("#", 1)[0]


def windowed(fold: str, calls: list[str], shown: Collection[str]) -> list[str | tuple[str, list[str]]]:
    """``calls`` (in order) as shown in the open ``fold``: call ids, and ``(gap id, the calls it
    hides)`` for each run of calls hidden between the ends and the calls in ``shown``."""
    if len(calls) <= WINDOW_FOLDS_OVER or every_call(fold) in shown:
        return list(calls)
    out: list[str | tuple[str, list[str]]] = []
    run: list[str] = []
    last = len(calls) - ENDS
    for i, call in enumerate(calls):
        if i < ENDS or i >= last or call in shown:
            if run:
                out.append((f"{_GAP}{fold}#{run[0]}", run))
                run = []
            out.append(call)
        else:
            run.append(call)
    return out


def fully_open(tree: GroupTree, groups: Iterable[str]) -> frozenset[str]:
    """``groups`` open with every call of the (windowed) folds among them shown ("open
    everything")."""
    groups = set(groups)
    return frozenset(groups | {every_call(g) for g in groups if tree.groups[g].fold
                               and len(tree.groups[g].groups) > WINDOW_FOLDS_OVER})
