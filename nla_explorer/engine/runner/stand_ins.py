"""Inside a Python run: what a notebook's kernel provides and a plain process lacks.

``IPython.display`` (``display``, ``Markdown``, ``clear_output``...) is given a harmless stand-in
when IPython is not installed; matplotlib draws with the Agg backend into figures that are sent
back as PNG images (or, without matplotlib, its import fails as in plain Python).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import io
import sys
import types
import warnings

MAX_FIGURES = 12  # per cell


class _Shown:
    """``Markdown(text)``, ``HTML(text)``...: displayed as their text."""

    def __init__(self, data=None, *args, **kwargs) -> None:
        self.data = data

    def __repr__(self) -> str:
        return str(self.data)


def _display(*objs, **kwargs) -> None:
    for obj in objs:
        print(repr(obj) if not isinstance(obj, str) else obj)


def _clear_output(wait: bool = False) -> None:
    """Nothing to clear: each cell's output is kept."""


def _no_shell() -> None:
    """No interactive shell: this is a plain process."""


def _display_module() -> types.ModuleType:
    module = types.ModuleType("IPython.display")
    module.display = _display
    module.clear_output = _clear_output
    for name in ("Markdown", "HTML", "Latex", "Math", "Image", "JSON", "Pretty"):
        setattr(module, name, type(name, (_Shown,), {}))
    return module


class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Provides ``IPython`` and ``IPython.display`` when the real package is missing."""

    NAMES = ("IPython", "IPython.display")

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.NAMES:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=fullname == "IPython")

    def create_module(self, spec):
        if spec.name == "IPython.display":
            return _display_module()
        module = types.ModuleType("IPython")
        module.__path__ = []
        module.get_ipython = _no_shell  # matplotlib asks for the shell it runs in
        module.version_info, module.__version__ = (8, 24, 0, ""), "8.24.0"  # its modern path
        return module

    def exec_module(self, module) -> None:
        if module.__name__ == "IPython":
            from IPython import display  # the stand-in above
            module.display = display


def install() -> None:
    """Before the program runs: the stand-ins (last on the path) and a headless matplotlib."""
    if importlib.util.find_spec("IPython") is None:
        sys.meta_path.append(_StandInFinder())
    warnings.filterwarnings("ignore", message=".*non-interactive.*")  # plt.show() under Agg


def take_figures() -> tuple[bytes, ...]:
    """The figures the cell drew, as PNG images (closed afterwards)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return ()
    images = []
    for number in pyplot.get_fignums()[:MAX_FIGURES]:
        buffer = io.BytesIO()
        pyplot.figure(number).savefig(buffer, format="png", dpi=90, bbox_inches="tight")
        images.append(buffer.getvalue())
    pyplot.close("all")
    return tuple(images)
