"""Files shipped inside the package: the app icon."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def icon_path() -> Path:
    return HERE / "nla-explorer.svg"
