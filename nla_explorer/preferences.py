"""The user's preferences: what they are, their bounds, and how they are stored in QSettings.

A settings file written by hand (or corrupted) can hold anything: every value is checked on
load, and one that is missing, of the wrong type or out of range falls back to its default.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from PySide6.QtCore import QSettings

from nla_explorer.engine.autograd.jacobian_card import JACOBIAN_LIMIT
from nla_explorer.engine.autograd.local_jacobian import MAX_ENTRIES

THEMES = ("system", "light", "dark")
ENGINES = ("auto", "builtin", "dot")

#: (settings key, lowest, highest) of the numeric preferences.
BOUNDS = {
    "font_size": ("view/font_size", 6, 40),
    "precision": ("view/precision", 2, 12),
    "value_limit": ("engine/full_value_limit", 100, 1_000_000),
    "autosave_s": ("session/autosave_s", 5, 3600),
    "run_memory_mb": ("python/memory_mb", 256, 262_144),
    "run_time_limit_s": ("python/time_limit_s", 1, 3600),
    "python_runs_allowed": ("python/runs_allowed", 0, 1),
    "jacobian_limit": ("view/jacobian_limit", 0, MAX_ENTRIES),
}
KEYS = {"theme": "view/theme", "layout_engine": "view/layout_engine",
        **{name: key for name, (key, _, _) in BOUNDS.items()}}


@dataclass(frozen=True)
class Preferences:
    """Font size (points), theme, default layout engine, significant digits of values, the tensor
    size up to which full values are kept, the autosave interval (seconds), and for Run as Python
    the child's memory (MB) and time (s) limits, whether the user agreed to runs (1) once, and
    the most entries of a local Jacobian the step card draws (0: none)."""

    font_size: int = 11
    theme: str = "system"
    layout_engine: str = "auto"
    precision: int = 4
    value_limit: int = 10_000
    autosave_s: int = 30
    run_memory_mb: int = 4096
    run_time_limit_s: int = 60
    python_runs_allowed: int = 0
    jacobian_limit: int = JACOBIAN_LIMIT

    def checked(self) -> "Preferences":
        """The same preferences with every value brought into its allowed set or range."""
        changes: dict[str, object] = {}
        default = Preferences()
        for name, (_, low, high) in BOUNDS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                changes[name] = getattr(default, name)
            else:
                changes[name] = max(low, min(value, high))
        if self.theme not in THEMES:
            changes["theme"] = default.theme
        if self.layout_engine not in ENGINES:
            changes["layout_engine"] = default.layout_engine
        return replace(self, **changes)


def load_preferences(settings: QSettings) -> Preferences:
    """Read the stored preferences; anything unreadable becomes its default."""
    default = Preferences()
    values: dict[str, object] = {}
    for f in fields(Preferences):
        raw = settings.value(KEYS[f.name], getattr(default, f.name))
        if isinstance(getattr(default, f.name), int):
            try:
                raw = int(str(raw).strip())
            except (TypeError, ValueError):
                raw = getattr(default, f.name)
        else:
            raw = str(raw)
        values[f.name] = raw
    return Preferences(**values).checked()


def save_preferences(settings: QSettings, preferences: Preferences) -> None:
    for name, value in asdict(preferences.checked()).items():
        settings.setValue(KEYS[name], value)
