"""Security: pasted code and session files never execute anything, files are written atomically at
the chosen path only, and the app never touches the network (exports and autosave:
tests/app/test_security.py)."""

import ast
import copy
import json
import os
import socket
from pathlib import Path

import pytest

from nla_explorer import cli
from nla_explorer.engine import EXAMPLES, explore_code, to_code
from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.pipeline import explore_expression
from nla_explorer.engine.sessions.nla_file import expression_to_json, load_session, save_session
from tests.canaries import MARKER, Canary
from tests.fuzz_garbage import ATTACKS

PACKAGE = Path(__file__).resolve().parents[2] / "nla_explorer"


# -- (a) nothing runs ------------------------------------------------------------------------------
@pytest.mark.parametrize("attack", ATTACKS)
def test_pasted_attack_is_refused_and_nothing_runs(attack, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Canary() as canary:
        with pytest.raises(EngineError) as info:
            explore_code(attack)
    canary.check()
    assert str(info.value).strip()
    assert list(tmp_path.iterdir()) == []


def test_the_canary_sees_code_that_does_run(tmp_path, monkeypatch):
    """The net itself works: really running an attack is caught."""
    monkeypatch.chdir(tmp_path)
    with Canary() as canary:
        with pytest.raises(Exception):
            exec(ATTACKS[1])  # noqa: S102 - proves the canary, in the test only
    assert canary.breaches


def string_slots(doc, path=()):
    """(path, is_key) for every string value and every dict key inside ``doc``."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield path + (key,), True
            yield from string_slots(value, path + (key,))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from string_slots(value, path + (index,))
    elif isinstance(doc, str):
        yield path, False


def plant(doc, path, is_key, payload):
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if is_key:
        parent[payload] = parent.pop(path[-1])
    else:
        parent[path[-1]] = payload


def test_code_in_any_string_of_a_session_never_runs(tmp_path, monkeypatch):
    expression = EXAMPLES["relu_layer"].expression()
    doc = expression_to_json(expression, {b.id: (1.0, 2.0) for b in expression.blocks})
    slots = list(string_slots(doc))
    assert len(slots) > 50
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    for i, (path, is_key) in enumerate(slots):
        mutated = copy.deepcopy(doc)
        plant(mutated, path, is_key, ATTACKS[i % len(ATTACKS)])
        file = tmp_path / "evil.nla"
        file.write_text(json.dumps(mutated))
        with Canary() as canary:
            try:
                loaded, _ = load_session(file)
                explore_expression(loaded)
                to_code(loaded)
            except EngineError as exc:
                assert str(exc).strip()
        canary.check()
    assert list(folder.iterdir()) == []


# -- (b) atomic writes at the chosen path ----------------------------------------------------------
def fail(*args, **kwargs):
    raise OSError(28, "No space left on device")


def quadratic():
    return EXAMPLES["quadratic"].expression()


def test_session_save_that_fails_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "lecture.nla"
    save_session(path, EXAMPLES["norm"].expression())
    before = path.read_bytes()
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        save_session(path, quadratic())
    assert path.read_bytes() == before and list(tmp_path.iterdir()) == [path]


def test_session_save_that_fails_mid_write_leaves_nothing(tmp_path, monkeypatch):
    path = tmp_path / "new.nla"
    real_fdopen = os.fdopen

    def broken_fdopen(fd, *args, **kwargs):
        handle = real_fdopen(fd, *args, **kwargs)
        handle.write = fail
        return handle

    monkeypatch.setattr(os, "fdopen", broken_fdopen)
    with pytest.raises(OSError):
        save_session(path, quadratic())
    assert list(tmp_path.iterdir()) == []


def test_session_save_writes_exactly_the_resolved_path(tmp_path):
    (tmp_path / "sub").mkdir()
    save_session(tmp_path / "sub" / ".." / "x.nla", quadratic())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub", "x.nla"]
    assert list((tmp_path / "sub").iterdir()) == []
    assert load_session(tmp_path / "x.nla")[0] == quadratic()


def test_saving_over_a_symlink_replaces_the_link_not_its_target(tmp_path):
    outside, here = tmp_path / "outside", tmp_path / "here"
    outside.mkdir()
    here.mkdir()
    target = outside / "target.nla"
    target.write_text("keep me")
    link = here / "link.nla"
    link.symlink_to(target)
    save_session(link, quadratic())
    assert target.read_text() == "keep me" and list(outside.iterdir()) == [target]
    assert not link.is_symlink() and load_session(link)[0] == quadratic()
    assert list(here.iterdir()) == [link]


# -- (c) no network --------------------------------------------------------------------------------
NETWORK_MODULES = {"socket", "ssl", "urllib", "http", "requests", "httpx", "aiohttp", "ftplib",
                   "smtplib", "poplib", "imaplib", "telnetlib", "xmlrpc", "webbrowser",
                   "asyncio", "PySide6.QtNetwork", "PySide6.QtWebEngineCore",
                   "PySide6.QtWebEngineWidgets"}


def test_no_module_of_the_app_imports_a_network_library():
    found = []
    for file in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                if any(name == m or name.startswith(m + ".") for m in NETWORK_MODULES):
                    found.append(f"{file.relative_to(PACKAGE)}: {name}")
        text = file.read_text(encoding="utf-8")
        for word in ("QNetworkAccessManager", "openUrl", "import_module", "__import__("):
            if word in text:
                found.append(f"{file.relative_to(PACKAGE)}: {word}")
    assert found == []


@pytest.mark.parametrize("argv", [
    ["examples"],
    ["trace", "--example", "quadratic", "--json"],
    ["train", "--epochs", "3", "--json"],
    ["timing", "--sizes", "16", "--json"],
])
def test_headless_commands_open_no_connection(argv, monkeypatch, capsys):
    attempts = []

    def refuse(self, address):
        attempts.append(address)
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    with Canary() as canary:
        assert cli.main(list(argv)) == 0
    assert capsys.readouterr().out.strip()
    assert attempts == [] and canary.breaches == []


def test_marker_is_distinct():
    assert MARKER not in "".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))


def test_saved_files_keep_ordinary_permissions(tmp_path):
    """mkstemp's private 0600 must not reach the user's files through the rename."""
    import os
    import stat
    from nla_explorer.engine.examples import get_example
    from nla_explorer.engine.sessions.nla_file import save_session
    new = tmp_path / "new.nla"
    save_session(new, get_example("quadratic").expression())
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~mask
    shared = tmp_path / "shared.nla"
    shared.write_text("{}")
    os.chmod(shared, 0o664)
    save_session(shared, get_example("quadratic").expression())
    assert stat.S_IMODE(shared.stat().st_mode) == 0o664  # an existing file keeps its mode
