"""The window's side of the child process: start it, send runs, enforce limits, survive its death.

``Runner`` keeps one child warm between runs (its namespace is the notebook's: In[20] after In[18]
works) and answers each run with a :class:`RunResult`, or raises :class:`RunFailure` when the child
ran out of time, was cancelled, crashed or exited; the next run then starts a fresh child. The
child has an address-space limit (``RLIMIT_AS``), no core dumps, and its own process group, so
Cancel ends whatever the program started too. Thread-safe where it must be: :meth:`Runner.cancel`
may be called from any thread while :meth:`Runner.run` waits.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from nla_explorer.engine.runner import wire
from nla_explorer.engine.runner.result import RunResult
from nla_explorer.engine.tensors import FULL_VALUE_LIMIT

#: Where ``nla_explorer`` lives: the child imports it from there (installed or not).
_ROOT = str(Path(__file__).resolve().parents[3])
_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
         "from nla_explorer.engine.runner.child import main; main()")
START_TIMEOUT_S = 120.0  # importing torch on a busy machine
MEMORY_MB = 4096
TIME_LIMIT_S = 60.0
PING_TIMEOUT_S = 5.0


class RunFailure(Exception):
    """The run produced no result: ``kind`` is "timeout", "cancelled", "crashed", "exited",
    "start" or "runner"; the message says what happened in words for the window."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class Runner:
    """One supervised child; ``run_cells``/``run_safe`` send it work."""

    def __init__(self, memory_mb: int = MEMORY_MB, cwd: str | None = None,
                 python: str | None = None) -> None:
        self.memory_mb = memory_mb
        self.cwd = cwd
        self.python = python or sys.executable
        self.pid: int | None = None
        self.start_seconds: float | None = None
        self._proc: subprocess.Popen | None = None
        self._frames: queue.Queue = queue.Queue()
        self._stderr = None
        self._cancelled = threading.Event()
        self._lock = threading.Lock()

    # -- the child -------------------------------------------------------------------------------
    @property
    def warm(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the child if none runs (the first run does it anyway)."""
        if self.warm:
            return
        self._discard()
        began = time.perf_counter()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in _discard
        limit = self.memory_mb << 20

        def limits() -> None:  # in the child, before it runs anything
            import resource
            os.nice(5)  # the window comes first: it keeps painting while a program computes
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if limit > 0:
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
        try:
            proc = subprocess.Popen(
                [self.python, "-c", _BOOT, _ROOT], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=self._stderr, cwd=self.cwd or os.getcwd(),
                env=env, preexec_fn=limits, start_new_session=True)  # noqa: PLW1509
        except OSError as exc:
            raise RunFailure("start", f"could not start Python ({exc.strerror or exc})") from None
        frames: queue.Queue = queue.Queue()
        threading.Thread(target=_read, args=(proc.stdout, frames), daemon=True).start()
        self._proc, self._frames = proc, frames
        hello = self._reply(START_TIMEOUT_S)
        if not isinstance(hello, dict) or "ready" not in hello:
            raise self._gone("start")
        self.pid = hello.get("pid")
        self.start_seconds = time.perf_counter() - began

    def cancel(self) -> None:
        """End the running program now (its whole process group); the next run starts afresh."""
        self._cancelled.set()
        self._kill()

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            try:
                self._proc.stdin.close()
                self._proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                self._kill()
        self._discard()

    def reset(self) -> None:
        """Forget the namespace: the next run starts in a fresh child."""
        self._kill()
        self._discard()

    def set_memory_mb(self, memory_mb: int, now: bool = True) -> None:
        """A new memory limit: the warm child is replaced ``now`` (its namespace starts over),
        else the limit holds from the next child on (a run in progress keeps its own)."""
        if memory_mb != self.memory_mb:
            self.memory_mb = memory_mb
            if now:
                self.reset()

    # -- runs ------------------------------------------------------------------------------------
    def run_cells(self, cells, timeout: float = TIME_LIMIT_S, call: int | None = None,
                  seed: int | None = None, limit: int = FULL_VALUE_LIMIT,
                  output_limit: int = 1_000_000) -> RunResult:
        """Run ``(label, first_line, source)`` cells as Python in the warm namespace."""
        return self._run({"op": "run", "mode": "python", "cells": [tuple(c) for c in cells],
                          "call": call, "seed": seed, "limit": limit,
                          "output_limit": output_limit}, timeout)

    def run_safe(self, text: str, timeout: float = TIME_LIMIT_S, call: int | None = None,
                 limit: int = FULL_VALUE_LIMIT) -> RunResult:
        """Read ``text`` through the whitelist interpreter in the child (nothing runs as Python)."""
        return self._run({"op": "run", "mode": "safe", "text": text, "call": call,
                          "limit": limit}, timeout)

    def explore(self, code: str | None = None, expression=None, call: int | None = None,
                limit: int = FULL_VALUE_LIMIT, example: str | None = None,
                timeout: float = TIME_LIMIT_S) -> RunResult:
        """The safe interpreter on ``code`` or an expression, in the child (the window's edits)."""
        return self._run({"op": "explore", "code": code, "expression": expression, "call": call,
                          "limit": limit, "example": example}, timeout)

    def check(self, expression, call: int | None = None, limit: int = FULL_VALUE_LIMIT,
              timeout: float = TIME_LIMIT_S) -> tuple:
        """Finite-difference checks of the expression's leaves, in the child."""
        return self._run({"op": "check", "expression": expression, "call": call,
                          "limit": limit}, timeout, tuple)

    def _run(self, request: dict, timeout: float, kind: type = RunResult):
        with self._lock:
            self._cancelled.clear()
            if self.warm and not self._answers_ping():  # killed meanwhile: start afresh
                self._kill()
                self._discard()
            self.start()
            try:
                self._proc.stdin.write(wire.encode(request))
                self._proc.stdin.flush()
            except OSError:
                raise self._gone("crashed") from None
            reply = self._reply(timeout)
            if isinstance(reply, RunFailure):
                self.reset()
                raise reply
            if not isinstance(reply, dict):
                raise self._gone("timeout" if reply is _TIMEOUT else "crashed", timeout)
            if "failure" in reply:
                raise RunFailure("runner", f"the runner failed: {reply['failure']}")
            result = reply.get("result")
            if not isinstance(result, kind):
                raise RunFailure("runner", "the runner sent something that is not a result")
            return result

    def _answers_ping(self) -> bool:
        """Whether the warm child still answers (it may have died since its last answer): no
        user code travels until it does."""
        try:
            self._proc.stdin.write(wire.encode({"op": "ping"}))
            self._proc.stdin.flush()
        except OSError:
            return False
        reply = self._reply(PING_TIMEOUT_S)
        return isinstance(reply, dict) and reply.get("result") == "pong"

    def _reply(self, timeout: float):
        deadline = time.monotonic() + timeout
        while True:
            try:
                frame = self._frames.get(timeout=max(0.0, min(0.2, deadline - time.monotonic())))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    return _TIMEOUT
                continue
            if frame is None:
                return None
            try:
                return wire.decode(frame)
            except wire.WireError as exc:
                return RunFailure("runner", str(exc))

    # -- death -----------------------------------------------------------------------------------
    def _gone(self, kind: str, timeout: float | None = None) -> RunFailure:
        """The child is gone or must go: say why, and clean up so the next run starts afresh."""
        if kind == "timeout" and not self._cancelled.is_set():
            self._kill()
            failure = RunFailure("timeout", f"stopped after {timeout:g} s (the time limit, in "
                                            "Preferences)")
        elif self._cancelled.is_set():
            failure = RunFailure("cancelled", "cancelled: the Python process was stopped")
        else:
            failure = self._death(kind)
        self._discard()
        return failure

    def _death(self, kind: str) -> RunFailure:
        proc = self._proc
        code = None
        if proc is not None:
            try:
                code = proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._kill()
                code = proc.wait()
        tail = self._stderr_tail()
        if code is not None and code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else \
                f"signal {-code}"
            why = (" (killed: out of memory?)" if name == "SIGKILL" else "")
            return RunFailure("crashed", f"the Python process crashed with {name}{why}"
                                         + (f": {tail}" if tail else ""))
        if kind == "start":
            return RunFailure("start", "Python did not start" + (f": {tail}" if tail else ""))
        return RunFailure("exited", f"the Python process exited (code {code}) before it "
                                    "answered" + (f": {tail}" if tail else ""))

    def _stderr_tail(self, size: int = 600) -> str:
        try:
            self._stderr.seek(0)
            text = self._stderr.read().decode("utf-8", "replace").strip()
        except (OSError, ValueError, AttributeError):
            return ""
        return text[-size:].splitlines()[-1] if text else ""

    def _kill(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                proc.kill()

    def _discard(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            for stream in (proc.stdin, proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self.pid = None

    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_TIMEOUT = object()


def _read(stream, frames: queue.Queue) -> None:
    while True:
        try:
            frame = wire.read_frame(stream)
        except (OSError, ValueError):
            frame = None
        frames.put(frame)
        if frame is None:
            return
