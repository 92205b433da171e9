"""A minimal stand-in for ``IPython.display``: objects print as text; clearing does nothing."""

from __future__ import annotations

__all__ = ["HTML", "Image", "Latex", "Markdown", "Math", "clear_output", "display"]


def display(*objs: object, **kwargs: object) -> None:
    """Print each object's repr, as IPython does for plain text output."""
    for obj in objs:
        print(repr(obj))


def clear_output(wait: bool = False) -> None:
    """Nothing to clear outside a notebook."""


class _Text:
    """A displayable object whose repr is its text (or its url / file name)."""

    def __init__(self, data: object = None, url: str | None = None,
                 filename: str | None = None, **kwargs: object) -> None:
        self.data = data
        self.url = url
        self.filename = filename

    def __repr__(self) -> str:
        for value in (self.data, self.url, self.filename):
            if value is not None:
                return value if isinstance(value, str) else f"<{type(self).__name__}>"
        return f"<{type(self).__name__}>"


class Markdown(_Text):
    """Markdown text."""


class HTML(_Text):
    """HTML text."""


class Latex(_Text):
    """LaTeX text."""


class Math(_Text):
    """A LaTeX formula."""


class Image(_Text):
    """An image: its url or file name (its bytes are not shown)."""
