"""Inside a Python run: what the program prints, kept up to a limit."""

from __future__ import annotations

import io


class CappedWriter(io.TextIOBase):
    """A text stream that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self._parts: list[str] = []
        self._kept = 0
        self._dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        room = self.limit - self._kept
        if room > 0:
            self._parts.append(text[:room])
            self._kept += min(room, len(text))
        self._dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def take(self) -> str:
        """What was written since the last call (with a note of what did not fit)."""
        text = "".join(self._parts)
        if self._dropped:
            text += f"\n… {self._dropped:,} more characters of output not kept\n"
        self._parts, self._dropped = [], 0
        self.limit = max(0, self.limit - self._kept)
        self._kept = 0
        return text
