"""Writes that never lose a file (temp beside it, checked, synced, renamed; a full disk included)
and inputs read only when they are regular files under their size limit."""

import contextlib
import errno
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from nla_explorer.desktop_entry import DesktopEntryError, install_desktop_entry
from nla_explorer.engine.errors import ExpressionError
from nla_explorer.engine.examples import EXAMPLES
from nla_explorer.engine.sessions import atomic
from nla_explorer.engine.sessions.atomic import (
    TEMP_PREFIX, FileTooBigError, NotRegularFileError, WriteCheckError, check_pdf, check_png,
    check_size, check_svg, clean_stale_temps, read_limited, write_atomically,
)
from nla_explorer.engine.sessions.nla_file import load_session, save_session
from nla_explorer.engine.timing.results import (
    TimingCSVError, TimingResult, load_results_csv, save_results_csv,
)

ROOT = Path(__file__).resolve().parents[2]
RESULTS = [TimingResult("matmul", n, "cpu", "float32", median_s=1e-3 * n, repeats=5)
           for n in range(1, 400)]


def enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def temps(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.startswith(TEMP_PREFIX)]


@contextlib.contextmanager
def tiny_disk(tmp_path: Path, size: str = "64k"):
    """A tmpfs of ``size`` (root only; skipped where mounting is not allowed)."""
    folder = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                               str(folder)], capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        done = None
    if done is None or done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root?): the injected ENOSPC tests cover it")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=20)


def fill(folder: Path, leave: int = 0) -> None:
    """Fill the disk of ``folder`` until at most ``leave`` bytes are free."""
    with open(folder / "filler", "wb") as fh:
        with contextlib.suppress(OSError):
            while True:
                info = os.statvfs(folder)
                free = info.f_bavail * info.f_frsize - leave
                if free <= 0:
                    break
                fh.write(b"\0" * min(free, 4096))
                fh.flush()


# -- write_atomically ------------------------------------------------------------------------------
def test_a_write_lands_whole_with_ordinary_permissions(tmp_path):
    path = tmp_path / "out.txt"
    seen = []
    write_atomically(path, lambda tmp: (seen.append(tmp), tmp.write_bytes(b"hello")),
                     check_size(5))
    assert path.read_bytes() == b"hello" and list(tmp_path.iterdir()) == [path]
    assert seen[0].parent == tmp_path and seen[0].name.startswith(f"{TEMP_PREFIX}out.txt-")
    assert path.stat().st_mode & 0o777 == 0o666 & ~atomic._umask()


@pytest.mark.parametrize("failure", ["writer", "check", "fsync", "replace", "interrupt"])
def test_every_failure_keeps_the_old_file_and_removes_the_temp(tmp_path, monkeypatch, failure):
    path = tmp_path / "keep.txt"
    path.write_bytes(b"good")

    def write(tmp):
        tmp.write_bytes(b"half")
        if failure == "writer":
            enospc()
        if failure == "interrupt":
            raise KeyboardInterrupt

    if failure == "fsync":
        monkeypatch.setattr(os, "fsync", enospc)
    if failure == "replace":
        monkeypatch.setattr(os, "replace", enospc)
    check = check_size(99) if failure == "check" else None
    with pytest.raises((OSError, KeyboardInterrupt)):
        write_atomically(path, write, check)
    assert path.read_bytes() == b"good" and list(tmp_path.iterdir()) == [path]


def test_a_long_name_still_gets_a_temp_file(tmp_path):
    path = tmp_path / ("é" * 120 + ".txt")  # 244 bytes: the temp name must stay under 255
    write_atomically(path, lambda tmp: tmp.write_bytes(b"x"))
    assert path.read_bytes() == b"x"


def test_stale_temps_are_cleaned_and_nothing_else(tmp_path):
    old, fresh = tmp_path / f"{TEMP_PREFIX}a.png-1234", tmp_path / f"{TEMP_PREFIX}b.png-5678"
    mine, link = tmp_path / ".hidden-of-the-user", tmp_path / f"{TEMP_PREFIX}link"
    for p in (old, fresh, mine):
        p.write_bytes(b"x")
    link.symlink_to(mine)
    past = time.time() - 7200
    for p in (old, mine):
        os.utime(p, (past, past))
    os.utime(link, (past, past), follow_symlinks=False)
    assert clean_stale_temps(tmp_path, 3600) == [old]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fresh.name, mine.name, link.name])
    assert clean_stale_temps(tmp_path / "missing") == []


# -- the checks ------------------------------------------------------------------------------------
def test_checks_accept_whole_files_and_refuse_cut_ones(tmp_path):
    svg, pdf, png = tmp_path / "a.svg", tmp_path / "a.pdf", tmp_path / "a.png"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"><text>x</text></svg>')
    check_svg(svg)
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"><text>x</te')
    with pytest.raises(WriteCheckError, match="incomplete"):
        check_svg(svg)
    pdf.write_bytes(b"%PDF-1.4\n...\n%%EOF\n \r\n")
    check_pdf(pdf)
    pdf.write_bytes(b"%PDF-1.4\n... cut")
    with pytest.raises(WriteCheckError, match="EOF"):
        check_pdf(pdf)
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"data" + b"IEND\xaeB`\x82")
    check_png(png)
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"data")
    with pytest.raises(WriteCheckError):
        check_png(png)
    short = tmp_path / "short"
    short.write_bytes(b"abc")
    check_size(3)(short)
    with pytest.raises(WriteCheckError, match="3 of 4"):
        check_size(4)(short)


def test_a_failed_check_on_a_full_disk_says_so(tmp_path, monkeypatch):
    class Full:
        f_bavail, f_frsize = 0, 4096
    monkeypatch.setattr(os, "statvfs", lambda folder: Full)
    with pytest.raises(WriteCheckError, match="No space left") as info:
        write_atomically(tmp_path / "a.svg", lambda tmp: tmp.write_text("<svg"), check_svg)
    assert info.value.errno == errno.ENOSPC and list(tmp_path.iterdir()) == []


# -- sessions, timing CSV, desktop entry: injected ENOSPC, then a real full disk ------------------
def test_session_save_on_a_full_disk_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "lecture.nla"
    save_session(path, EXAMPLES["norm"].expression())
    before = path.read_bytes()
    monkeypatch.setattr(os, "fsync", enospc)
    with pytest.raises(OSError, match="No space"):
        save_session(path, EXAMPLES["quadratic"].expression())
    assert path.read_bytes() == before and list(tmp_path.iterdir()) == [path]


def test_timing_csv_on_a_full_disk_is_not_truncated(tmp_path, monkeypatch):
    path = tmp_path / "timing.csv"
    save_results_csv(path, RESULTS[:3])
    before = path.read_bytes()
    real_write_bytes = Path.write_bytes

    def half_then_full(self, data):  # what a full disk does mid-write
        real_write_bytes(self, data[:100])
        enospc()

    monkeypatch.setattr(Path, "write_bytes", half_then_full)
    with pytest.raises(OSError, match="No space"):
        save_results_csv(path, RESULTS)
    assert path.read_bytes() == before and list(tmp_path.iterdir()) == [path]
    assert load_results_csv(path) == [replace(r, source="timing.csv") for r in RESULTS[:3]]


def test_desktop_entry_on_a_full_disk_keeps_the_old_files(tmp_path, monkeypatch):
    written = install_desktop_entry(tmp_path, refresh=False)
    before = {p: p.read_bytes() for p in written}
    monkeypatch.setattr(os, "fsync", enospc)
    with pytest.raises(DesktopEntryError, match="No space"):
        install_desktop_entry(tmp_path, refresh=False)
    assert {p: p.read_bytes() for p in written} == before and temps(tmp_path) == []


def test_a_real_full_disk_loses_no_file(tmp_path):
    with tiny_disk(tmp_path) as disk:
        session, csv = disk / "lecture.nla", disk / "timing.csv"
        save_session(session, EXAMPLES["quadratic"].expression())
        save_results_csv(csv, RESULTS[:2])
        kept = {p: p.read_bytes() for p in (session, csv)}
        fill(disk, leave=4096)  # room for the start of each file, not for all of it
        big_layout = {f"b{k}": (float(k), float(k)) for k in range(2000)}
        with pytest.raises(OSError):
            save_session(session, EXAMPLES["polyfit_net"].expression(), big_layout)
        with pytest.raises(OSError):
            save_results_csv(csv, RESULTS)
        assert {p: p.read_bytes() for p in (session, csv)} == kept and temps(disk) == []
        with pytest.raises(DesktopEntryError):
            install_desktop_entry(disk / "data", refresh=False)
        assert temps(disk) == []


# -- inputs: regular files under a limit, checked before reading ----------------------------------
def reads_at_once(call, *args):
    """The exception ``call(*args)`` raises, within 10 s (a FIFO must not block)."""
    box = []

    def run():
        try:
            call(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box.append(exc)
        else:
            box.append(None)

    threading.Thread(target=run, daemon=True).start()
    deadline = time.monotonic() + 10
    while not box and time.monotonic() < deadline:
        time.sleep(0.01)
    assert box, f"{call.__name__} blocked"
    return box[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.nla"
    os.mkfifo(fifo)
    assert isinstance(reads_at_once(read_limited, fifo, 100), NotRegularFileError)
    error = reads_at_once(load_session, fifo)
    assert isinstance(error, ExpressionError) and "not a regular file" in str(error)
    csv = tmp_path / "pipe.csv"
    os.mkfifo(csv)
    error = reads_at_once(load_results_csv, csv)
    assert isinstance(error, TimingCSVError) and "not a regular file" in str(error)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_session_linked_to_dev_zero_is_refused(tmp_path):
    link = tmp_path / "zero.nla"
    link.symlink_to("/dev/zero")
    error = reads_at_once(load_session, link)
    assert isinstance(error, ExpressionError) and "not a regular file" in str(error)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("option", ["--session", "--code"])
def test_the_cli_refuses_dev_stdin_fed_by_dev_zero_and_fifos(tmp_path, option):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for source in ("/dev/stdin", str(fifo)):
        with open("/dev/zero", "rb") as zero:
            out = subprocess.run([sys.executable, "-m", "nla_explorer", "trace", option, source],
                                 stdin=zero, capture_output=True, text=True, timeout=60,
                                 env=env, cwd=tmp_path)
        assert out.returncode == 2 and f"cannot read {source}" in out.stderr, out.stderr
        assert any(kind in out.stderr for kind in ("not a regular file", "FIFO", "device"))


def test_too_big_is_refused_before_reading(tmp_path, monkeypatch):
    big = tmp_path / "big.nla"
    with open(big, "wb") as fh:
        fh.truncate(6_000_000)
    monkeypatch.setattr(os, "read", lambda *a: pytest.fail("read a file known to be too big"))
    with pytest.raises(FileTooBigError) as info:
        read_limited(big, 5_000_000)
    assert info.value.size == 6_000_000


def test_a_file_whose_size_lies_is_read_to_the_limit_plus_one(monkeypatch):
    if not os.path.exists("/proc/self/status"):
        pytest.skip("no /proc")
    assert os.stat("/proc/self/status").st_size == 0  # a size that lies, as /dev/zero's does
    real_read, total = os.read, []

    def counting(fd, n):
        data = real_read(fd, n)
        total.append(len(data))
        return data

    monkeypatch.setattr(os, "read", counting)
    with pytest.raises(FileTooBigError) as info:
        read_limited("/proc/self/status", 10)
    assert info.value.size is None and sum(total) <= 11
    assert b"Name:" in read_limited("/proc/self/status", 100_000)
