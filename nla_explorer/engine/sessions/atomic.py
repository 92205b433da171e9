"""Atomic writes keep ordinary file permissions: a temp file from ``mkstemp`` is private (0600),
and a rename would carry that onto the user's session or picture."""

from __future__ import annotations

import os
import stat
import threading

_lock = threading.Lock()


def _umask() -> int:
    with _lock:  # os.umask can only be read by setting it
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def match_mode(tmp: str | os.PathLike, path: str | os.PathLike) -> None:
    """Give ``tmp`` the mode ``path`` has (when it exists) or a new file's (0666 minus umask)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    try:
        os.chmod(tmp, mode)
    except OSError:
        pass  # a file system without modes (FAT): nothing to keep
