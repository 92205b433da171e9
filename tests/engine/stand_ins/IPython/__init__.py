"""A minimal stand-in for IPython (not installed): what the course notebooks import from it.

Only on the oracle child's ``sys.path`` (appended last, so a real IPython wins where installed).
"""

from __future__ import annotations

from IPython import display

__all__ = ["display", "get_ipython"]

#: Libraries probe it (matplotlib reads ``version_info`` when it finds IPython imported): a
#: recent version, so that they take the modern path, which needs nothing more from IPython.
version_info = (8, 24, 0, "")
__version__ = "8.24.0"


def get_ipython() -> None:
    """No IPython shell: plain Python, as in the real IPython outside a kernel."""
    return None
