"""Save and open ``.nla`` sessions from the window, autosave to a per-window recovery file, restore.

Each window autosaves (atomically) to its own ``recovery-<pid>-<id>.nla`` while it has unsaved
edits, and holds a lock on the sidecar ``.nla.lock`` while it lives; a clean exit removes both.
A recovery file whose lock can be taken is an orphan: its window is gone without closing
cleanly. At start-up every orphan is offered; a window only ever deletes its own files and the
orphans it was offered (declined, or restored and saved again as its own).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QStandardPaths, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from nla_explorer.document import Document
from nla_explorer.preferences import load_preferences
from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.sessions.atomic import clean_stale_temps
from nla_explorer.engine.sessions.nla_file import load_session, save_session

try:
    import fcntl
except ImportError:  # no flock (Windows): every recovery file found counts as an orphan
    fcntl = None

SESSION_FILTER = "NLA Explorer session (*.nla)"


def default_recovery_path() -> Path:
    """Where recovery files go: the app's data folder; the name's stem prefixes each file."""
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.AppDataLocation))
    return folder / "recovery.nla"


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _try_lock(path: Path) -> int | None:
    """An fd holding the exclusive flock of ``path`` (created if missing), or None if another
    open file holds it (a live window) or ``path`` changed under us."""
    if fcntl is None:
        return -1
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held, now = os.fstat(fd), os.stat(path)  # removed and made again meanwhile: not ours
        if (held.st_dev, held.st_ino) != (now.st_dev, now.st_ino):
            raise OSError("the lock file changed")
    except OSError:
        os.close(fd)
        return None
    return fd


def _unlock(fd: int | None) -> None:
    if fd is not None and fd >= 0:
        with contextlib.suppress(OSError):
            os.close(fd)


class RecoveryFiles:
    """One window's recovery file, its lock, and the orphans of windows that are gone."""

    def __init__(self, folder: Path, prefix: str = "recovery") -> None:
        self.folder, self.prefix = Path(folder), prefix
        self.path = self.folder / f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:12]}.nla"
        self._fd: int | None = None  # the lock of our own file
        self.held: dict[Path, int] = {}  # orphans this window has locked (offered or restored)
        self.adopted: list[Path] = []  # restored orphans: deleted once our own file holds them

    def claim(self) -> bool:
        """Take (or check we still hold) the lock of our own file; False if impossible."""
        lock = _lock_path(self.path)
        if self._fd is not None:
            if self._fd < 0:
                return True
            with contextlib.suppress(OSError):
                held, now = os.fstat(self._fd), os.stat(lock)
                if (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino):
                    return True
            _unlock(self._fd)
            self._fd = None
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            self._fd = _try_lock(lock)
            if self._fd is not None:
                return True
            time.sleep(0.01)
        return False

    def orphans(self) -> list[Path]:
        """Recovery files whose window is gone, newest first; this window locks them so that no
        other window offers them at the same time."""
        found = []
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            entries = []
        for entry in entries:
            name, path = entry.name, Path(entry.path)
            if not (name == f"{self.prefix}.nla"
                    or (name.startswith(f"{self.prefix}-") and name.endswith(".nla"))):
                continue
            if path == self.path or not entry.is_file(follow_symlinks=False):
                continue
            if path not in self.held:
                fd = _try_lock(_lock_path(path))
                if fd is None:
                    continue  # its window is alive (or another start is offering it)
                if not path.exists():  # deleted before we locked: not an orphan any more
                    self._remove_lock(path, fd)
                    continue
                self.held[path] = fd
            found.append(path)
        return sorted(found, key=_mtime, reverse=True)

    def release_orphan(self, path: Path) -> None:
        """Leave an orphan for another window (or the next start) to offer."""
        _unlock(self.held.pop(path, None))

    def delete_orphan(self, path: Path) -> None:
        """Delete an orphan this window holds (declined, or restored and saved again)."""
        if path in self.held:
            path.unlink(missing_ok=True)
            self._remove_lock(path, self.held.pop(path))
        if path in self.adopted:
            self.adopted.remove(path)

    def saved(self) -> None:
        """Our own file now holds the work: the restored orphans are no longer needed."""
        for path in list(self.adopted):
            self.delete_orphan(path)

    def discard(self) -> None:
        """Delete our own file and lock, and the orphans restored here; never anyone else's."""
        self.path.unlink(missing_ok=True)
        if self._fd is not None:
            self._remove_lock(self.path, self._fd)
            self._fd = None
        self.saved()

    def release(self) -> None:
        """Let go of every lock (what the end of the process does): files with work stay."""
        if self._fd is not None and not self.path.exists():
            self._remove_lock(self.path, self._fd)
        else:
            _unlock(self._fd)
        self._fd = None
        for path in list(self.held):
            self.release_orphan(path)

    def clean(self) -> None:
        """Remove temp files of killed writers and lock files that guard nothing."""
        clean_stale_temps(self.folder)
        with contextlib.suppress(OSError):
            for lock in self.folder.glob("*.nla.lock"):
                if lock.name.startswith(self.prefix) and not lock.with_suffix("").exists():
                    fd = _try_lock(lock)
                    if fd is not None and not lock.with_suffix("").exists():
                        self._remove_lock(lock.with_suffix(""), fd)
                    else:
                        _unlock(fd)

    @staticmethod
    def _remove_lock(path: Path, fd: int) -> None:
        with contextlib.suppress(OSError):  # removed while held: no one else takes the old one
            _lock_path(path).unlink()
        _unlock(fd)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


class SessionFiles(QObject):
    """The window's File ▸ Save / Save As / Open for sessions, and crash recovery."""

    message = Signal(str)  # for the status bar
    failed = Signal(str)  # a save or open that did not happen, and why
    path_changed = Signal(object)  # Path or None

    def __init__(self, parent: QWidget, document: Document, settings: QSettings,
                 recovery_path: Path | None = None) -> None:
        super().__init__(parent)
        self.widget, self.document, self.settings = parent, document, settings
        self.path: Path | None = None
        where = Path(recovery_path or default_recovery_path())
        self.recovery = RecoveryFiles(where.parent, where.stem)
        self.recovery.clean()
        self.recovery.claim()
        self.destroyed.connect(self.recovery.release)  # the window is gone: so are its locks
        for key in ("last/folder", "last/export_folder"):  # temps of writes that were killed
            folder = settings.value(key)
            if isinstance(folder, str) and folder:
                clean_stale_temps(folder)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.autosave)
        self.set_autosave_interval(load_preferences(settings).autosave_s)

    @property
    def recovery_path(self) -> Path:
        """This window's own recovery file."""
        return self.recovery.path

    def set_autosave_interval(self, seconds: int) -> None:
        self.timer.start(max(1, int(seconds)) * 1000)

    # -- save and open ---------------------------------------------------------------------------
    def save(self) -> bool:
        return self.save_to(self.path) if self.path is not None else self.save_as()

    def save_as(self) -> bool:
        start = str(self.path or Path(str(self.settings.value("last/folder", str(Path.home()))))
                    / f"{self.document.title or 'session'}.nla")
        path, _ = QFileDialog.getSaveFileName(self.widget, "Save session", start, SESSION_FILTER)
        if not path:
            return False
        if not path.endswith(".nla"):
            path += ".nla"
        return self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        expression = self.document.expression
        if expression is None:
            self._warn("Nothing to save: this graph was captured from a script, not built here.")
            return False
        try:
            save_session(path, expression, self.document.positions)
        except OSError as exc:
            self._warn(f"Cannot save {path}: {exc.strerror or exc}")
            return False
        self.path = Path(path)
        self.document.undo_stack.setClean()
        self.path_changed.emit(self.path)
        self.message.emit(f"Saved {path}")
        return True

    def open(self, path: str | Path) -> bool:
        """Open a session (data only: read through the whitelist; nothing in it is executed)."""
        try:
            expression, layout = load_session(path)
        except EngineError as exc:
            self._warn(str(exc))
            return False
        if not self.document.set_expression(expression, Path(path).stem, layout):
            return False
        self.path = Path(path)
        self.document.undo_stack.setClean()
        self.path_changed.emit(self.path)
        return True

    # -- recovery --------------------------------------------------------------------------------
    def autosave(self) -> bool:
        """Write this window's recovery file if there are unsaved edits."""
        expression = self.document.expression
        if expression is None or self.document.undo_stack.isClean():
            return False
        if not self.recovery.claim():
            self.message.emit("Autosave failed: the recovery file could not be locked")
            return False
        try:
            save_session(self.recovery.path, expression, self.document.positions)
        except OSError as exc:
            self.message.emit(f"Autosave failed: {exc.strerror or exc}")
            return False
        self.recovery.saved()
        return True

    def discard_recovery(self) -> None:
        """Delete this window's recovery file (and orphans restored here), nobody else's."""
        self.recovery.discard()

    def has_recovery(self) -> bool:
        """Whether a window that is gone left unsaved work."""
        return bool(self.recovery.orphans())

    def restore_recovery(self, path: Path | None = None) -> bool:
        """Open an orphaned recovery file (default: the newest) as unsaved work; it is deleted
        once this window's own recovery file holds the work, or at a clean exit."""
        orphans = self.recovery.orphans()
        path = path if path is not None else (orphans[0] if orphans else None)
        if path is None or path not in self.recovery.held:
            return False
        try:
            expression, layout = load_session(path)
        except EngineError as exc:
            self._warn(f"The recovered session could not be read: {exc}")
            return False
        ok = self.document.set_expression(expression, "recovered session", layout)
        if ok:
            self.recovery.adopted.append(path)
            self.message.emit("Restored the work of a window that did not close cleanly")
        return ok

    def offer_recovery(self) -> bool:
        """At start-up: offer each orphaned recovery file, newest first, until one is restored.

        "No" deletes that file; orphans not asked about stay for the next start."""
        orphans = self.recovery.orphans()
        for k, path in enumerate(orphans):
            when = time.strftime("%d %b %H:%M", time.localtime(_mtime(path)))
            count = f" ({k + 1} of {len(orphans)})" if len(orphans) > 1 else ""
            answer = QMessageBox.question(
                self.widget, "Restore unsaved work?",
                f"NLA Explorer did not close cleanly: a window had unsaved work (autosaved "
                f"{when}){count}. Restore the unsaved expression?",
                QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
            if answer != QMessageBox.Yes:
                self.recovery.delete_orphan(path)
            elif self.restore_recovery(path):
                for rest in orphans[k + 1:]:
                    self.recovery.release_orphan(rest)
                if len(orphans) > k + 1:
                    self.message.emit(f"{len(orphans) - k - 1} more unsaved session(s) will be "
                                      "offered when NLA Explorer starts again")
                return True
            else:
                self.recovery.release_orphan(path)  # unreadable now: kept, not deleted
        return False

    def _warn(self, text: str) -> None:
        self.failed.emit(text)  # the window shows it as a non-modal notification
