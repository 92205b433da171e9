"""Which backward calls a run keeps: all of a few, some of many (first ones, every k-th, the last)."""

from __future__ import annotations

from nla_explorer.engine.autograd.backward_calls import BackwardCall

#: Calls kept in full before thinning; thinning keeps the first ``FIRST`` and every k-th after.
MAX_KEPT = 60
FIRST = 10


class CallsKept:
    """Offered every call in order; keeps at most about ``max_kept`` (and always the last one)."""

    def __init__(self, max_kept: int = MAX_KEPT, first: int = FIRST) -> None:
        self.max_kept, self.first = max(max_kept, first + 2), first
        self.total = 0
        self.stride = 1
        self._kept: list[tuple[int, BackwardCall, tuple]] = []
        self._last: tuple[int, BackwardCall, tuple] | None = None

    def next_number(self) -> int:
        """The number (from 1) of the call about to run."""
        self.total += 1
        return self.total

    def offer(self, number: int, call: BackwardCall, checks: tuple = ()) -> None:
        entry = (number, call, checks)
        if self._keeps(number):
            self._kept.append(entry)
            if len(self._kept) > self.max_kept:
                self.stride *= 2
                self._kept = [e for e in self._kept if self._keeps(e[0])]
        self._last = entry

    def would_keep(self, number: int) -> bool:
        """Whether call ``number`` is kept as things stand (the last one is kept anyway)."""
        return self._keeps(number)

    def _keeps(self, number: int) -> bool:
        return number <= self.first or (number - self.first) % self.stride == 0

    def entries(self) -> list[tuple[int, BackwardCall, tuple]]:
        """``(number, call, checks)`` in call order, the last call included."""
        kept = list(self._kept)
        if self._last is not None and (not kept or kept[-1][0] != self._last[0]):
            kept.append(self._last)
        return kept

    def note(self) -> str | None:
        """Says which calls were kept when not all were."""
        entries = self.entries()
        if len(entries) == self.total:
            return None
        return (f"kept {len(entries)} of {self.total} backward calls: the first {self.first}, "
                f"every {_ordinal(self.stride)} after them and the last")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
