"""Canaries for the security and fuzz tests: record anything that reaches outside the whitelist.

Two nets: a ``sys.audit`` hook (sees process, socket, import, exec and open events even when they
come from C code) and monkeypatched ``os.system``, ``os.popen``, ``subprocess.Popen``,
``socket.socket.connect``, ``builtins.open``, ``builtins.eval``/``exec``/``__import__``. Payloads in
the tests carry :data:`MARKER`; an open/import/exec whose arguments mention it, or any process or
network event at all, is recorded as a breach. Audit hooks cannot be removed, so the hook is
installed once and stays inert unless a :class:`Canary` is armed.
"""

from __future__ import annotations

import builtins
import os
import socket
import subprocess
import sys

MARKER = "nla_canary"

#: Audit events that must never fire while the engine reads code or a session.
_ALWAYS = ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
           "subprocess.Popen", "socket.connect", "socket.__new__", "socket.getaddrinfo",
           "socket.gethostbyname", "urllib.Request", "webbrowser.open", "builtins.input",
           "pty.spawn", "shutil.rmtree")
#: Audit events that are a breach only when an argument carries the marker. ("compile" is not
#: one: ``ast.parse`` compiles the text to a tree, which is how the whitelist reads it.)
_MARKED = ("open", "import", "exec", "os.remove", "os.rename", "os.mkdir",
           "pickle.find_class", "marshal.loads", "ctypes.dlopen")  # torch may load libraries late

_armed: list["Canary"] = []
_hooked = False


def _mentions_marker(value: object, depth: int = 0) -> bool:
    if depth > 4:
        return False
    if isinstance(value, (str, bytes)):
        return (MARKER.encode() if isinstance(value, bytes) else MARKER) in value
    if isinstance(value, os.PathLike):
        return _mentions_marker(os.fspath(value), depth + 1)
    if isinstance(value, (tuple, list)):
        return any(_mentions_marker(v, depth + 1) for v in value)
    code = getattr(value, "co_consts", None)
    if code is not None:
        names = tuple(getattr(value, "co_names", ())) + (getattr(value, "co_filename", ""),)
        return any(_mentions_marker(v, depth + 1) for v in (*code, *names))
    return False


def _audit(event: str, args: tuple) -> None:
    if not _armed:
        return
    if event in _ALWAYS or (event in _MARKED and _mentions_marker(args)):
        for canary in _armed:
            canary.record(event, args)


def _install_hook() -> None:
    global _hooked
    if not _hooked:
        sys.addaudithook(_audit)
        _hooked = True


class Canary:
    """Context manager: arm the nets; ``breaches`` lists what fired (event, short args)."""

    def __init__(self) -> None:
        self.breaches: list[tuple[str, str]] = []
        self._saved: list[tuple[object, str, object]] = []

    def record(self, event: str, args: object) -> None:
        self.breaches.append((event, repr(args)[:200]))

    def _patch(self, owner: object, name: str, marked_only: bool) -> None:
        original = getattr(owner, name)
        canary = self

        def trap(*args, **kwargs):
            if not marked_only or _mentions_marker(args) or _mentions_marker(
                    tuple(kwargs.values())):
                canary.record(f"{getattr(owner, '__name__', owner)}.{name}", args)
                raise PermissionError(f"canary: {name} was called")
            return original(*args, **kwargs)

        self._saved.append((owner, name, original))
        setattr(owner, name, trap)

    def __enter__(self) -> "Canary":
        _install_hook()
        for owner, name in ((os, "system"), (os, "popen"), (subprocess, "Popen"),
                            (socket.socket, "connect")):
            self._patch(owner, name, marked_only=False)
        for name in ("open", "eval", "exec", "__import__"):
            self._patch(builtins, name, marked_only=True)
        _armed.append(self)
        return self

    def __exit__(self, *exc) -> None:
        _armed.remove(self)
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved.clear()

    def check(self) -> None:
        """Fail the test naming every breach."""
        if self.breaches:
            raise AssertionError(f"code outside the whitelist ran: {self.breaches[:5]}")
