"""Shared plumbing of the fuzz tests: short/long settings, a per-example time bound, tallies,
the course examples saved as session files.

Short runs (``make test``) are derandomized and bounded; ``NLA_FUZZ_LONG=1`` runs thousands of
random examples per test. With ``NLA_FUZZ_REPORT=FILE`` the tallies (programs, garbage texts,
session mutations tried) are added into that JSON file when each fuzz module finishes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings

from nla_explorer.engine import EXAMPLES
from nla_explorer.engine.sessions.nla_file import save_session

LONG = os.environ.get("NLA_FUZZ_LONG", "") not in ("", "0")
#: Seconds one example may take before it counts as a hang (generous: the CI box is shared).
EXAMPLE_LIMIT_S = 20.0 if LONG else 10.0

TALLY: Counter = Counter()


def fuzz_settings(short: int, long: int = 5000) -> settings:
    """Hypothesis settings: ``short`` derandomized examples, or ``long`` random ones."""
    return settings(
        max_examples=long if LONG else short, derandomize=not LONG, database=None,
        deadline=None, print_blob=LONG,
        # no "explain" phase: its line tracing makes big inputs look like hangs
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                               HealthCheck.filter_too_much, HealthCheck.large_base_example])


class Hang(BaseException):
    """An example ran past :data:`EXAMPLE_LIMIT_S` (a BaseException: no ``except Exception`` eats it)."""


@contextlib.contextmanager
def time_limit(seconds: float = EXAMPLE_LIMIT_S):
    """Raise :class:`Hang` in the block after ``seconds``; restores an outer alarm (pytest-timeout)."""
    def on_alarm(signum, frame):
        raise Hang(f"an example ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer > 0:
            signal.setitimer(signal.ITIMER_REAL, max(0.001, outer - (time.monotonic() - start)))


def write_tally() -> None:
    """Add :data:`TALLY` into ``$NLA_FUZZ_REPORT`` (if set) and reset it."""
    target = os.environ.get("NLA_FUZZ_REPORT")
    if target and TALLY:
        path = Path(target)
        old = json.loads(path.read_text()) if path.is_file() else {}
        for key, count in TALLY.items():
            old[key] = old.get(key, 0) + count
        path.write_text(json.dumps(old, indent=1, sort_keys=True))
    TALLY.clear()


class Saved(dict):
    """Example name → bytes of its ``.nla`` file (a short repr in hypothesis' failure reports)."""

    def __repr__(self) -> str:
        return f"<{len(self)} saved sessions>"


def saved_examples(folder: Path) -> Saved:
    """Every course example saved by the engine into ``folder``: name → bytes of its ``.nla``."""
    out = Saved()
    for name, example in EXAMPLES.items():
        expression = example.expression()
        path = folder / f"{name}.nla"
        layout = {b.id: (10.0 * i, -20.5) for i, b in enumerate(expression.blocks)}
        save_session(path, expression, layout)
        out[name] = path.read_bytes()
    return out
