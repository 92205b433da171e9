"""The freedesktop entry: a valid .desktop file, icons and the .nla type, installed and removed
(its window class against the running application: tests/app/test_desktop_entry.py)."""

import configparser
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nla_explorer import __version__, cli
from nla_explorer.desktop_entry import (APP_ID, MIME_TYPE, DesktopEntryError, default_data_home,
                                        desktop_entry_text, install_desktop_entry,
                                        launch_command, uninstall_desktop_entry)
from nla_explorer.resources import PNG_SIZES, icon_path

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {"Type": "Application", "Name": "NLA Explorer", "Icon": APP_ID, "Terminal": "false",
            "Categories": "Education;Math;", "MimeType": f"{MIME_TYPE};"}
_STRING_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


def read_entry(path: Path) -> dict[str, str]:
    """The [Desktop Entry] group, parsed as the spec's key=value lines (no interpolation)."""
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",),
                                       comment_prefixes=("#",), strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"))
    assert parser.sections()[0] == "Desktop Entry"
    return dict(parser["Desktop Entry"])


def unescape_string(value: str) -> str:
    """Undo the spec's string escapes (``\\s``, ``\\n``, ``\\\\`` ...)."""
    out, chars = [], iter(value)
    for c in chars:
        out.append(_STRING_ESCAPES.get(next(chars, ""), "?") if c == "\\" else c)
    return "".join(out)


def exec_argv(value: str) -> list[str]:
    """Split an Exec value by the spec's quoting rules ("...", with \\" \\` \\$ \\\\ inside)."""
    args, current, quoted, started, i = [], [], False, False, 0
    value = unescape_string(value)
    while i < len(value):
        c = value[i]
        if quoted and c == "\\" and value[i + 1:i + 2] in ('"', "`", "$", "\\"):
            current.append(value[i + 1])
            i += 1
        elif c == '"':
            quoted, started = not quoted, True
        elif c == " " and not quoted:
            if started:
                args.append("".join(current))
            current, started = [], False
        else:
            current.append(c)
            started = True
        i += 1
    assert not quoted, f"unbalanced quotes in Exec={value}"
    if started:
        args.append("".join(current))
    return [a if a == "%f" else a.replace("%%", "%") for a in args]


def validate_with_desktop_file_utils(path: Path) -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        return  # Debian's desktop-file-utils is not installed: the Python checks must do
    out = subprocess.run([validator, str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert " error: " not in out.stdout + out.stderr


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def all_files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_install_writes_a_valid_entry_that_starts_the_app(tmp_path):
    written = install_desktop_entry(tmp_path, refresh=False)
    desktop = tmp_path / "applications" / f"{APP_ID}.desktop"
    assert desktop in written and all(p.is_file() for p in written)
    validate_with_desktop_file_utils(desktop)
    entry = read_entry(desktop)
    assert {k: entry.get(k) for k in REQUIRED} == REQUIRED
    assert entry["GenericName"] and entry["Comment"] and entry["StartupWMClass"]
    argv = exec_argv(entry["Exec"])
    assert argv[-1] == "%f" and argv[:-1] == launch_command()
    program = Path(argv[0])
    assert program.is_absolute() and program.is_file() and os.access(program, os.X_OK)
    assert entry["TryExec"] == argv[0]
    # the command really starts nla-explorer (here from the source tree)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(argv[:-1] + ["--version"], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == f"nla-explorer {__version__}", out


def test_icons_and_file_type_are_installed(tmp_path):
    install_desktop_entry(tmp_path, refresh=False)
    hicolor = tmp_path / "icons" / "hicolor"
    svg = hicolor / "scalable" / "apps" / f"{APP_ID}.svg"
    assert svg.read_bytes() == icon_path().read_bytes()
    assert ET.parse(svg).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    for size in PNG_SIZES:
        assert png_size(hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png") == (size, size)
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    mime = ET.parse(tmp_path / "mime" / "packages" / f"{APP_ID}.xml").getroot()
    kind = mime.find("m:mime-type", ns)
    assert kind.get("type") == MIME_TYPE
    assert kind.find("m:glob", ns).get("pattern") == "*.nla"


def test_exec_quotes_awkward_paths(tmp_path):
    command = ["/opt/my apps/$HOME/50%/it's \"here\"\\bin/nla-explorer", "-m", "x;y"]
    desktop = tmp_path / "odd.desktop"
    desktop.write_text(desktop_entry_text(command), encoding="utf-8")
    validate_with_desktop_file_utils(desktop)
    assert exec_argv(read_entry(desktop)["Exec"]) == command + ["%f"]


def test_install_twice_is_idempotent(tmp_path):
    first = install_desktop_entry(tmp_path, refresh=False)
    files = all_files(tmp_path)
    assert install_desktop_entry(tmp_path, refresh=False) == first
    assert all_files(tmp_path) == files
    assert not list(tmp_path.rglob("*.partial"))


def test_uninstall_removes_what_install_wrote_and_nothing_else(tmp_path):
    unrelated = [tmp_path / "applications" / "other.desktop",
                 tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "other.svg",
                 tmp_path / "icons" / "hicolor" / "48x48" / "apps" / "other.png",
                 tmp_path / "mime" / "packages" / "other.xml"]
    for path in unrelated:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(path.name)
    before = all_files(tmp_path)
    written = install_desktop_entry(tmp_path, refresh=False)
    assert set(all_files(tmp_path)) == set(before) | set(written)
    assert sorted(uninstall_desktop_entry(tmp_path, refresh=False)) == sorted(written)
    assert all_files(tmp_path) == before
    assert uninstall_desktop_entry(tmp_path, refresh=False) == []


def _fake_tools(tmp_path, monkeypatch, status: int = 0) -> Path:
    """Stand-ins for the desktop's cache tools that log their arguments."""
    bin_dir, log = tmp_path / "bin", tmp_path / "tools.log"
    bin_dir.mkdir()
    for tool in ("update-desktop-database", "update-mime-database", "gtk-update-icon-cache"):
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{log}"\nexit {status}\n')
        script.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    return log


def test_refresh_runs_the_cache_tools_that_exist(tmp_path, monkeypatch):
    log = _fake_tools(tmp_path, monkeypatch)
    data = tmp_path / "data"
    install_desktop_entry(data)
    calls = log.read_text().splitlines()
    assert f"update-desktop-database -q {data / 'applications'}" in calls
    assert f"update-mime-database {data / 'mime'}" in calls
    assert not any(c.startswith("gtk-update-icon-cache") for c in calls)  # no theme index
    (data / "icons" / "hicolor" / "index.theme").write_text("[Icon Theme]\n")
    uninstall_desktop_entry(data)
    assert f"gtk-update-icon-cache -q -f {data / 'icons' / 'hicolor'}" in log.read_text()


def test_failing_or_missing_tools_are_ignored(tmp_path, monkeypatch):
    _fake_tools(tmp_path, monkeypatch, status=3)
    assert install_desktop_entry(tmp_path / "data")
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert uninstall_desktop_entry(tmp_path / "data")


def test_unwritable_place_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DesktopEntryError, match="cannot write .*file/applications"):
        install_desktop_entry(blocker, refresh=False)


def test_default_place_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_home() == tmp_path / "xdg"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for value in ("", "relative/path"):  # the spec says: ignore these
        monkeypatch.setenv("XDG_DATA_HOME", value)
        assert default_data_home() == tmp_path / "home" / ".local" / "share"


def test_cli_installs_and_uninstalls(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    desktop = tmp_path / "applications" / f"{APP_ID}.desktop"
    assert cli.main(["--install-desktop-entry"]) == 0
    out = capsys.readouterr().out
    assert desktop.is_file() and f"installed {desktop}" in out
    assert cli.main(["--uninstall-desktop-entry"]) == 0
    assert f"removed {desktop}" in capsys.readouterr().out and not desktop.exists()
    assert cli.main(["--uninstall-desktop-entry"]) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_cli_reports_errors_and_rejects_both_flags(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    assert cli.main(["--install-desktop-entry"]) == 2
    assert capsys.readouterr().err.startswith("nla-explorer: error: cannot write")
    with pytest.raises(SystemExit):
        cli.main(["--install-desktop-entry", "--uninstall-desktop-entry"])


def test_cli_desktop_entry_imports_no_qt(tmp_path):
    code = ("import sys; from nla_explorer.cli import main; rc = main(['--install-desktop-entry']);"
            "print(rc, sorted(m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))))")
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_DATA_HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "0 []"
    assert (tmp_path / "applications" / f"{APP_ID}.desktop").is_file()
