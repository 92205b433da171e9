"""Seeding unseeded code: ``torch.manual_seed(0)`` after its imports, as an edit of the text."""

from __future__ import annotations

SEED_LINE = "torch.manual_seed(0)"


def with_seed(text: str) -> str:
    """``text`` with ``torch.manual_seed(0)`` after its leading imports (at the top without any)."""
    lines = text.splitlines()
    after, open_parens = 0, 0
    for i, line in enumerate(lines):
        stripped = line.strip()
        if open_parens:  # inside ``from m import (a,\n b)``
            open_parens += stripped.count("(") - stripped.count(")")
            after = i + 1
        elif stripped.startswith(("import ", "from ")):
            open_parens = stripped.count("(") - stripped.count(")")
            after = i + 1
        elif stripped and not stripped.startswith("#"):
            break
    lines.insert(after, SEED_LINE)
    return "\n".join(lines) + ("\n" if text.endswith("\n") or not text else "")
