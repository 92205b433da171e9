"""Put NLA Explorer in the desktop's application menu: a freedesktop entry, icons, the .nla type."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from nla_explorer.engine.sessions.atomic import clean_stale_temps, write_bytes_atomically
from nla_explorer.resources import PNG_SIZES, icon_path, png_icon_path

APP_ID = "nla-explorer"
MIME_TYPE = "application/x-nla-session"
# Qt names the X11 window class after QApplication.applicationName() (see app.py)
WM_CLASS = "NLA Explorer"
# characters that force quoting of an Exec argument (Desktop Entry spec, "The Exec key")
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")

MIME_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">
  <mime-type type="{MIME_TYPE}">
    <comment>NLA Explorer session</comment>
    <sub-class-of type="application/json"/>
    <icon name="{APP_ID}"/>
    <glob pattern="*.nla"/>
  </mime-type>
</mime-info>
"""


class DesktopEntryError(Exception):
    """A desktop entry file could not be written or removed."""


def default_data_home() -> Path:
    """``$XDG_DATA_HOME`` when it is an absolute path, else ``~/.local/share`` (XDG base dirs)."""
    env = os.environ.get("XDG_DATA_HOME", "")
    return Path(env) if env and os.path.isabs(env) else Path.home() / ".local" / "share"


def launch_command() -> list[str]:
    """The command that starts this installation: its ``nla-explorer`` script, else ``python -m``."""
    folders = [Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))]
    user_scheme = f"{os.name}_user"
    if user_scheme in sysconfig.get_scheme_names():
        folders.append(Path(sysconfig.get_path("scripts", user_scheme)))
    for folder in folders:
        script = folder / APP_ID
        if script.is_file() and os.access(script, os.X_OK):
            return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "nla_explorer"]


def quote_exec_argument(arg: str) -> str:
    """One Exec argument, double-quoted when the spec's reserved characters demand it."""
    arg = arg.replace("%", "%%")
    if not _RESERVED.intersection(arg):
        return arg
    return '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'


def desktop_entry_text(command: list[str]) -> str:
    """The ``.desktop`` file that runs ``command`` with the file to open."""
    exec_line = " ".join(quote_exec_argument(a) for a in command) + " %f"
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Name=NLA Explorer",
        "GenericName=Automatic Differentiation Explorer",
        "Comment=See autograd graphs, gradients and the backward pass step by step",
        # string values escape backslashes once more on top of the Exec quoting
        "Exec=" + exec_line.replace("\\", "\\\\"),
        "TryExec=" + command[0].replace("\\", "\\\\"),
        f"Icon={APP_ID}",
        "Terminal=false",
        "Categories=Education;Math;",
        "Keywords=autograd;gradient;backpropagation;PyTorch;linear algebra;",
        f"MimeType={MIME_TYPE};",
        "StartupNotify=true",
        f"StartupWMClass={WM_CLASS}",
    ]
    return "\n".join(lines) + "\n"


def entry_paths(data_home: Path | None = None) -> list[Path]:
    """Every file that ``install_desktop_entry`` writes under ``data_home``."""
    return list(_contents(_root(data_home), [APP_ID]))


def install_desktop_entry(data_home: Path | None = None, refresh: bool = True) -> list[Path]:
    """Write the entry, the icons and the .nla type under ``data_home``; return the files written.

    ``refresh`` runs the desktop's cache tools when they are installed (failures are ignored)."""
    root = _root(data_home)
    written = []
    for path, data in _contents(root, launch_command()).items():
        try:  # atomically: readers never see half a file, a full disk keeps the old one
            path.parent.mkdir(parents=True, exist_ok=True)
            clean_stale_temps(path.parent)
            write_bytes_atomically(path, data)
        except OSError as exc:
            raise DesktopEntryError(f"cannot write {path}: {exc.strerror or exc}") from None
        written.append(path)
    if refresh:
        _refresh_caches(root)
    return written


def uninstall_desktop_entry(data_home: Path | None = None, refresh: bool = True) -> list[Path]:
    """Remove the files ``install_desktop_entry`` writes (folders stay); return those removed."""
    root = _root(data_home)
    removed = []
    for path in entry_paths(root):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise DesktopEntryError(f"cannot remove {path}: {exc.strerror or exc}") from None
        removed.append(path)
    if refresh:
        _refresh_caches(root)
    return removed


def _root(data_home: Path | None) -> Path:
    return Path(data_home).absolute() if data_home is not None else default_data_home()


def _contents(root: Path, command: list[str]) -> dict[Path, bytes]:
    icons = root / "icons" / "hicolor"
    files = {
        root / "applications" / f"{APP_ID}.desktop": desktop_entry_text(command).encode(),
        icons / "scalable" / "apps" / f"{APP_ID}.svg": icon_path().read_bytes(),
        root / "mime" / "packages" / f"{APP_ID}.xml": MIME_XML.encode(),
    }
    for size in PNG_SIZES:
        files[icons / f"{size}x{size}" / "apps" / f"{APP_ID}.png"] = png_icon_path(size).read_bytes()
    return files


def _refresh_caches(root: Path) -> None:
    """Let menus see the change now; a missing or failing tool only delays that to the next login."""
    hicolor = root / "icons" / "hicolor"
    _run_quietly("update-desktop-database", "-q", root / "applications")
    if (root / "mime" / "packages").is_dir():
        _run_quietly("update-mime-database", root / "mime")
    if (hicolor / "index.theme").is_file():  # a cache without the theme index would go stale
        _run_quietly("gtk-update-icon-cache", "-q", "-f", hicolor)


def _run_quietly(program: str, *args) -> None:
    exe = shutil.which(program)
    if exe is None:
        return
    try:
        subprocess.run([exe, *map(str, args)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        pass
