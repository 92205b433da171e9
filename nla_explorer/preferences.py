"""The user's preferences: what they are, their bounds, and how they are stored in QSettings.

A settings file written by hand (or corrupted) can hold anything: every value is checked on
load, and one that is missing, of the wrong type or out of range falls back to its default.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from PySide6.QtCore import QSettings

from nla_explorer.engine.autograd.jacobian_card import JACOBIAN_LIMIT
from nla_explorer.engine.autograd.local_jacobian import MAX_ENTRIES
from nla_explorer.graph_view.groups.plan import ALL_DEPTHS, AUTO_DEPTH

THEMES = ("system", "light", "dark")
ENGINES = ("auto", "builtin", "dot")
#: How far module groups open: (the words shown, the depth of ``PictureOptions.group_depth``).
GROUP_DEPTHS = (("Auto", AUTO_DEPTH), ("All closed", 0), ("1 level", 1), ("2 levels", 2),
                ("3 levels", 3), ("All open", ALL_DEPTHS))

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
    "group_depth": ("view/group_depth", AUTO_DEPTH, ALL_DEPTHS),
    "fold_repeats": ("view/fold_repeats", 0, 1),
    "minimap": ("view/minimap", 0, 1),
}
KEYS = {"theme": "view/theme", "layout_engine": "view/layout_engine",
        **{name: key for name, (key, _, _) in BOUNDS.items()}}


@dataclass(frozen=True)
class Preferences:
    """Font size (points), theme, default layout engine, significant digits of values, the tensor
    size up to which full values are kept, the autosave interval (seconds), and for Run as Python
    the child's memory (MB) and time (s) limits, whether the user agreed to runs (1) once, the
    most entries of a local Jacobian the step card draws (0: none), how far module groups open
    (one of GROUP_DEPTHS), whether look-alike neighbours fold into one box (1) and whether the
    graph shows its minimap (1)."""

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
    group_depth: int = AUTO_DEPTH
    fold_repeats: int = 1
    minimap: int = 1

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
        if changes["group_depth"] not in dict(GROUP_DEPTHS).values():  # in range, not a choice
            changes["group_depth"] = default.group_depth
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
