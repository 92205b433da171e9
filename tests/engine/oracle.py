"""Plain Python is the oracle: program text run by CPython + torch in a child process, observed.

``Oracle().run(text)`` execs ``text`` in fresh globals in one long-lived child
(:mod:`tests.oracle_child`, which never imports ``nla_explorer``) and returns what happened::

    {"error": None | {"type": "RuntimeError", "message": first line of str(exc),
                      "line": line in <program> of the innermost <program> frame, or None},
     "calls": [{"kind": "backward" | "grad",  # torch.autograd.grad, or the two backward()s
                "line": line of the statement making the call,
                "nodes": [type(node).__name__, ...],  # breadth first from the distinct roots
                "steps": [[node_index, [enc(g) or None, ...]], ...],  # pre-hooks, run order
                "results": [enc(r) or None, ...]},  # what grad() returned; [] for backward
               ...],  # completed calls, in call order
     "tensors": {name: enc(value)},  # globals bound to tensors (names without a leading "_")
     "grads": {name: enc(value.grad) or None}}  # those that are leaves requiring grad

with ``enc(t) = [str(t.dtype), list(t.shape), hex of t's bytes]`` (:func:`decode` turns it back
into a tensor). Each program gets ``timeout`` seconds; past that the child is killed and restarted
and the reply is an error of type ``"Timeout"`` (``"OracleCrash"`` if the child died).
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import torch

CHILD = Path(__file__).with_name("oracle_child.py")
#: ``python -I -c BOOTSTRAP CHILD``: isolated mode (no cwd, no PYTHONPATH on sys.path).
BOOTSTRAP = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"
START_TIMEOUT_S = 120.0  # importing torch on a busy machine

DTYPES = {str(dtype): dtype for dtype in (
    torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64,
    torch.complex128, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.bool)}


def decode(encoded: list | None) -> torch.Tensor | None:
    """The tensor an ``enc`` triple describes (bit for bit), or None."""
    if encoded is None:
        return None
    dtype_name, shape, data = encoded
    raw = torch.frombuffer(bytearray.fromhex(data), dtype=torch.uint8) if data else \
        torch.empty(0, dtype=torch.uint8)
    return raw.view(DTYPES[dtype_name]).reshape(shape).clone()


def failure(kind: str, message: str) -> dict:
    return {"error": {"type": kind, "message": message, "line": None}, "calls": [],
            "tensors": {}, "grads": {}}


class Oracle:
    """One child process answering :meth:`run`; a context manager (``close`` on exit)."""

    def __init__(self, timeout: float = 20.0) -> None:
        self.timeout = timeout
        self.torch_version: str | None = None
        self._proc: subprocess.Popen | None = None
        self._start()

    # -- the child ------------------------------------------------------------------------

    def _start(self) -> None:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in _stop
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-c", BOOTSTRAP, str(CHILD)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            cwd=tempfile.gettempdir())
        self._lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, args=(self._proc.stdout, self._lines),
                         daemon=True).start()
        try:
            line = self._lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            line = None
        if line is None:
            tail = self._stderr_tail()
            self._stop()
            raise RuntimeError(f"the oracle's child did not start:\n{tail}")
        self.torch_version = json.loads(line)["ready"]

    @staticmethod
    def _read(stream, lines: queue.Queue) -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)  # end of file: the child died

    def _stderr_tail(self, limit: int = 2000) -> str:
        try:
            self._stderr.seek(0)
            return self._stderr.read().decode("utf-8", "replace")[-limit:]
        except (OSError, ValueError):
            return ""

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        self._stderr.close()

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
        self._stop()

    # -- the API --------------------------------------------------------------------------

    def run(self, text: str) -> dict:
        """Run one program in fresh globals; the reply described in the module docstring."""
        if self._proc is None:
            self._start()
        try:
            self._proc.stdin.write((json.dumps({"text": text}) + "\n").encode("utf-8"))
            self._proc.stdin.flush()
            line = self._lines.get(timeout=self.timeout)
        except queue.Empty:
            self._kill()
            self._start()
            return failure("Timeout", f"no reply within {self.timeout} s")
        except OSError:  # broken pipe: the child is gone
            line = None
        if line is None:
            tail = self._stderr_tail()
            self._kill()
            self._start()
            return failure("OracleCrash", f"the child died: {tail.strip()[-500:]}")
        return json.loads(line)

    def close(self) -> None:
        self._stop()

    def __enter__(self) -> Oracle:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_proc", None) is not None:
            self._kill()


def run_many(texts, timeout: float = 20.0) -> tuple[list[dict], float]:
    """Every text through one oracle: the replies and the seconds they took (for benchmarks)."""
    with Oracle(timeout) as oracle:
        start = time.perf_counter()
        replies = [oracle.run(text) for text in texts]
        return replies, time.perf_counter() - start


if __name__ == "__main__":  # python -m tests.engine.oracle < program.py: the reply, pretty printed
    with Oracle() as _oracle:
        print(json.dumps(_oracle.run(sys.stdin.read()), indent=1))
