"""Files shipped inside the package: the app icon (SVG, and PNG renderings of it), the course's
notebooks and examples, and timing sweeps measured on a GPU (reference runs)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
PNG_SIZES = (48, 128, 256)


def icon_path() -> Path:
    return HERE / "nla-explorer.svg"


def png_icon_path(size: int) -> Path:
    """The icon rendered at ``size``×``size`` pixels (one of ``PNG_SIZES``)."""
    if size not in PNG_SIZES:
        raise ValueError(f"no {size} px icon: the sizes are {', '.join(map(str, PNG_SIZES))}")
    return HERE / "icons" / f"nla-explorer-{size}.png"


def reference_runs_folder() -> Path:
    """Timing sweeps measured on a GPU machine, shown where there is none
    (``engine.timing.reference``)."""
    return HERE / "reference_runs"
