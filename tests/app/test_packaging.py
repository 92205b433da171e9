"""Packaging: the wheel holds every file of the package, and once installed into a clean venv the
``nla-explorer`` command works from outside the source tree."""

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from nla_explorer import __version__

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "nla_explorer"
# torch, PySide6, pyqtgraph ... as installed for the tests: lent to the clean venv, not downloaded
DEPENDENCIES = Path(sysconfig.get_paths()["purelib"])


def run(args, **kwargs) -> subprocess.CompletedProcess:
    out = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=180,
                         **kwargs)
    assert out.returncode == 0, f"{args} failed:\n{out.stdout}\n{out.stderr}"
    return out


def package_files() -> set[str]:
    """The package's source files, nla_explorer/ and resources/ (installed as
    nla_explorer/resources/), as git sees them (tracked or new, not ignored), else on disk."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                              "nla_explorer", "resources"], cwd=ROOT, capture_output=True,
                             text=True, timeout=60)
    except OSError:
        out = None
    if out is not None and out.returncode == 0 and out.stdout.strip():
        files = {line for line in out.stdout.splitlines() if (ROOT / line).is_file()}
    else:
        files = {p.relative_to(ROOT).as_posix() for folder in (PACKAGE, ROOT / "resources")
                 for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    return files


def in_wheel(source: str) -> str:
    """Where a source file goes in the wheel (resources/ is mapped into the package)."""
    return "nla_explorer/" + source if source.startswith("resources/") else source


def offline_build_problem() -> str | None:
    """Why this environment cannot build the wheel without downloading, or None."""
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return "setuptools is not installed (pip install -e '.[test]')"
    if tuple(int(part) for part in version.split(".")[:2]) >= (77, 0):
        return None  # bdist_wheel is built in (70.1), the SPDX license string read (77)
    return f"setuptools {version} is older than 77, which pyproject.toml needs (pip install -e '.[test]')"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Build from a copy of the sources, so no build/ or *.egg-info goes into or comes from ROOT."""
    problem = offline_build_problem()
    if problem:
        pytest.skip(problem)
    src = tmp_path_factory.mktemp("src")
    for name in package_files():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--wheel-dir", out, src])
    wheels = list(out.glob("nla_explorer-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A clean venv with the wheel installed, then the test's dependencies put on its path."""
    home = tmp_path_factory.mktemp("venv") / "env"
    run([sys.executable, "-m", "venv", "--without-pip", home])
    python = home / "bin" / "python"
    # the wheel goes in while the venv sees nothing else: pip finds no other nla-explorer
    run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
         "--no-index", wheel])
    site = Path(run([python, "-I", "-c", "import sysconfig; print(sysconfig.get_paths()"
                     "['purelib'])"]).stdout.strip())
    # a plain path line: the .pth files there (an editable install's finder) are not run
    (site / "zz_test_dependencies.pth").write_text(f"{DEPENDENCIES}\n")
    return home


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("elsewhere")


def environment(**extra) -> dict:
    """No PYTHONPATH or user site: nothing but the venv decides what is imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return dict(env, PYTHONNOUSERSITE="1", QT_QPA_PLATFORM="offscreen", **extra)


def nla(venv: Path, cwd: Path, *args, **extra) -> str:
    return run([venv / "bin" / "nla-explorer", *args], cwd=cwd, env=environment(**extra)).stdout


def test_wheel_holds_every_package_file_and_the_command(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {in_wheel(name) for name in package_files() if not name.endswith(".pyc")}
    assert expected - names == set(), "files left out of the wheel (see package-data)"
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert {"nla_explorer/resources/nla-explorer.svg",
            "nla_explorer/resources/icons/nla-explorer-256.png",
            "nla_explorer/resources/notebooks/nla_and_neural_networks.ipynb",
            "nla_explorer/resources/examples/quadratic.nla"} <= names
    info = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "nla-explorer = nla_explorer.cli:main" in zipfile.ZipFile(wheel).read(info).decode()


def test_installed_package_is_the_wheel_not_the_source_tree(venv, outside):
    code = ("import nla_explorer, nla_explorer.resources as r; print(nla_explorer.__file__);"
            "print(r.icon_path()); print(r.png_icon_path(48))")
    out = run([venv / "bin" / "python", "-I", "-c", code], cwd=outside, env=environment())
    paths = [Path(line).resolve() for line in out.stdout.splitlines()]
    for path in paths:
        assert path.is_file() and path.is_relative_to(venv.resolve()), path
        assert not path.is_relative_to(ROOT), path


def test_version_and_examples(venv, outside):
    assert nla(venv, outside, "--version").strip() == f"nla-explorer {__version__}"
    assert "quadratic" in nla(venv, outside, "examples")


def test_trace_json(venv, outside):
    data = json.loads(nla(venv, outside, "trace", "--example", "quadratic", "--json"))
    assert data["output"]["name"] == "f"
    assert {n["name"] for n in data["nodes"] if n["kind"] == "leaf"} == {"A", "x"}


def test_export_svg_and_png(venv, outside):
    nla(venv, outside, "export", "--example", "quadratic", "-o", "out.svg")
    svg = (outside / "out.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "</svg>" in svg
    nla(venv, outside, "export", "--example", "quadratic", "-o", "out.png")
    png = (outside / "out.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000


def test_desktop_entry_runs_the_installed_command(venv, outside):
    data = outside / "xdg"
    out = nla(venv, outside, "--install-desktop-entry", XDG_DATA_HOME=str(data))
    desktop = data / "applications" / "nla-explorer.desktop"
    assert f"installed {desktop}" in out
    exec_line = next(line for line in desktop.read_text().splitlines()
                     if line.startswith("Exec="))
    assert exec_line == f"Exec={venv / 'bin' / 'nla-explorer'} %f"
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / "nla-explorer.svg").is_file()
