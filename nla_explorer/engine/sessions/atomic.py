"""Atomic, checked writes (temp file beside the target, fsync, rename) and size-limited reads."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable

#: Every temporary file this app writes starts so: ``.nla-tmp-<name>-<random>``.
TEMP_PREFIX = ".nla-tmp-"
#: A temporary file this old (seconds) belongs to a writer that was killed: safe to remove.
STALE_TEMP_S = 3600.0
_NAME_BYTES = 120  # of the target's name kept in the temp name (file names end at 255 bytes)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND\xaeB`\x82"
_lock = threading.Lock()


class WriteCheckError(OSError):
    """A file was written but is not whole (a writer that failed silently, e.g. on a full disk)."""


class NotRegularFileError(OSError):
    """An input that is not a regular file (a FIFO, a device, a folder): never read."""


class FileTooBigError(OSError):
    """An input over its size limit; ``size`` is its size when known (else None)."""

    def __init__(self, path: str | os.PathLike, size: int | None, limit: int) -> None:
        text = (f"{size:,} bytes; at most {limit:,} bytes are read" if size is not None
                else f"over {limit:,} bytes: too big to open")
        super().__init__(errno.EFBIG, text, str(path))
        self.size, self.limit = size, limit


def _umask() -> int:
    with _lock:  # os.umask can only be read by setting it
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def match_mode(tmp: str | os.PathLike, path: str | os.PathLike) -> None:
    """Give ``tmp`` the mode ``path`` has (when it exists) or a new file's (0666 minus umask).

    A temp file from ``mkstemp`` is private (0600); the rename would carry that onto the file."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    try:
        os.chmod(tmp, mode)
    except OSError:
        pass  # a file system without modes (FAT): nothing to keep


def temp_name_prefix(path: str | os.PathLike) -> str:
    """The start of the temp files written for ``path``: ``.nla-tmp-<name>-``."""
    name = Path(path).name
    while len(os.fsencode(name)) > _NAME_BYTES:
        name = name[:-1]
    return f"{TEMP_PREFIX}{name}-"


def write_atomically(path: str | os.PathLike, write: Callable[[Path], None],
                     check: Callable[[Path], None] | None = None) -> Path:
    """Have ``write`` fill a temp file beside ``path``, ``check`` it, fsync it, rename it over
    ``path`` and fsync the folder; return ``path``.

    Any failure (an exception from ``write`` or ``check``, OSError, even KeyboardInterrupt)
    removes the temp file and leaves ``path`` as it was. A failed check raises
    :class:`WriteCheckError` (so may a writer that reports failure); it has errno ENOSPC when
    the disk is full."""
    path = Path(path)
    folder = path.parent
    fd, name = tempfile.mkstemp(prefix=temp_name_prefix(path), dir=folder)
    tmp = Path(name)
    try:
        os.close(fd)
        try:
            write(tmp)
            if check is not None:
                check(tmp)
        except WriteCheckError as exc:
            if _disk_full(folder):
                raise WriteCheckError(errno.ENOSPC, f"No space left on device "
                                      f"({exc.strerror})", str(path)) from None
            raise
        match_mode(tmp, path)
        _fsync(tmp, os.O_RDONLY)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError):  # some file systems cannot sync a folder; the file is in
        _fsync(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    return path


def write_bytes_atomically(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, checking that every byte arrived."""
    return write_atomically(path, lambda tmp: tmp.write_bytes(data), check_size(len(data)))


def _fsync(path: Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _disk_full(folder: Path) -> bool:
    try:
        info = os.statvfs(folder)
    except (OSError, AttributeError):
        return False
    return info.f_bavail * info.f_frsize < 64 * 1024


def clean_stale_temps(folder: str | os.PathLike, older_than_s: float = STALE_TEMP_S) -> list[Path]:
    """Remove this app's temp files in ``folder`` last changed over ``older_than_s`` seconds ago
    (left by a writer that was killed); return those removed. Errors are ignored."""
    removed = []
    limit = time.time() - older_than_s
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and info.st_mtime < limit:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


# -- checks of a file written ----------------------------------------------------------------------
def check_size(expected: int) -> Callable[[Path], None]:
    """A check that the file holds exactly ``expected`` bytes."""
    def check(path: Path) -> None:
        size = os.stat(path).st_size
        if size != expected:
            raise WriteCheckError(errno.EIO, f"{size:,} of {expected:,} bytes were written",
                                  str(path))
    return check


def check_svg(path: Path) -> None:
    """The file is a whole SVG document (it parses as XML, its root is ``svg``)."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise WriteCheckError(errno.EIO, f"the SVG written is incomplete ({exc})",
                              str(path)) from None
    if not root.tag.endswith("svg"):
        raise WriteCheckError(errno.EIO, "the file written is not an SVG picture", str(path))


def check_pdf(path: Path) -> None:
    """The file is a whole PDF: it starts with ``%PDF-`` and ends with ``%%EOF``."""
    with open(path, "rb") as fh:
        head = fh.read(5)
        fh.seek(0, os.SEEK_END)
        fh.seek(max(0, fh.tell() - 1024))
        tail = fh.read()
    if head != b"%PDF-" or not tail.rstrip().endswith(b"%%EOF"):
        raise WriteCheckError(errno.EIO, "the PDF written is incomplete (no %%EOF at its end)",
                              str(path))


def check_png(path: Path) -> None:
    """The file is a whole PNG: its signature first, the IEND chunk last."""
    with open(path, "rb") as fh:
        head = fh.read(len(_PNG_SIGNATURE))
        fh.seek(0, os.SEEK_END)
        fh.seek(max(0, fh.tell() - len(_PNG_END)))
        tail = fh.read()
    if head != _PNG_SIGNATURE or tail != _PNG_END:
        raise WriteCheckError(errno.EIO, "the PNG written is incomplete", str(path))


# -- reading inputs --------------------------------------------------------------------------------
def read_limited(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path`` if it holds at most ``max_bytes``.

    A FIFO, device or folder is :class:`NotRegularFileError` before anything is read (opened
    non-blocking and checked again, in case the path changed); a file over the limit is
    :class:`FileTooBigError`, by its size or (a size that lies, as in /proc) by reading at most
    ``max_bytes + 1`` bytes. Other failures are the OSError of the system."""
    _check_input(path, os.stat(path), max_bytes)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
        | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        _check_input(path, os.fstat(fd), max_bytes)
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > max_bytes:
        raise FileTooBigError(path, None, max_bytes)
    return b"".join(chunks)


def _check_input(path: str | os.PathLike, status: os.stat_result, max_bytes: int) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise NotRegularFileError(errno.EINVAL, "not a regular file", str(path))
    if status.st_size > max_bytes:
        raise FileTooBigError(path, status.st_size, max_bytes)
