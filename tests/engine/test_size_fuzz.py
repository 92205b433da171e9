"""Fuzzing the size limits: whitelisted programs with adversarial sizes stay within the budget.

Each generated program (offsets, huge dims, ``out=``, dtype views, many medium allocations, long
chains) runs in a child process under an address-space limit like the window's child has; it must
either evaluate (its ``trace --json`` within the JSON cap) or be refused with an ExpressionError
naming one of its lines, and the child's peak RSS must stay under the cap: no MemoryError, no
signal. ~30 examples here; ``NLA_FUZZ_LONG=1`` runs more.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from nla_explorer.engine.code.budget import MAX_PROGRAM_BYTES
from tests.fuzz_support import TALLY, fuzz_settings, write_tally

ROOT = Path(__file__).resolve().parents[2]
#: The child's address space: the window's child has 4 GiB (runner.supervisor.MEMORY_MB).
ADDRESS_SPACE = 4 * 2**30
#: Its peak resident memory: the program budget, plus torch and the snapshots.
PEAK_RSS = MAX_PROGRAM_BYTES + 2**30
#: ``trace --json`` of any program that evaluates stays below this.
JSON_CAP = 64 * 10**6

CHILD = """
import json, resource, sys
from nla_explorer.engine import explore_code
from nla_explorer.engine.errors import EngineError, ExpressionError
from nla_explorer.engine.report import exploration_json
out = {}
try:
    exploration = explore_code(open(sys.argv[1]).read())
    out["outcome"] = "ok"
    out["json_bytes"] = len(json.dumps(exploration_json(exploration)))
except ExpressionError as exc:
    out.update(outcome="refused", message=str(exc), line=exc.line)
except EngineError as exc:
    out.update(outcome="engine error", message=str(exc))
except MemoryError:
    out["outcome"] = "MemoryError"
out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(out))
"""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_in_child(text: str, folder: Path) -> dict:
    """Explore ``text`` in a child under :data:`ADDRESS_SPACE`: what it reported."""
    path = folder / "program.py"
    path.write_text(text)
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="2")
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                          text=True, cwd=folder, env=env, timeout=240, preexec_fn=_limit_memory)
    assert done.returncode == 0, f"the child died (status {done.returncode}): {done.stderr[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_within_budget(text: str, report: dict) -> None:
    """Evaluated, or refused naming a line of ``text``; never past the memory caps."""
    assert report["outcome"] in ("ok", "refused"), report
    assert report["peak_rss"] < PEAK_RSS, report
    if report["outcome"] == "ok":
        assert report["json_bytes"] < JSON_CAP, report
    else:
        line = report["line"]
        assert line is not None and 1 <= line <= len(text.splitlines()), report
        assert report["message"].startswith(f"line {line}: "), report


# -- programs ------------------------------------------------------------------------------------
DIMS = st.sampled_from([0, 1, 3, 100, 1000, 3000, 7000, 20000, 100_000])
COUNTS = st.sampled_from([5, 10_000, 10**6, 5 * 10**7, 10**9, 10**12])
OFFSETS = st.sampled_from([0, 3, -5, 1000, 20000, 70000, -30000])
DTYPES = st.sampled_from(["torch.bool", "torch.float16", "torch.int32", "torch.float64"])


class _Program:
    def __init__(self, draw) -> None:
        self.draw = draw
        self.lines = ["import torch", "torch.manual_seed(0)"]
        self.names: list[str] = []

    def new(self, expression: str) -> str:
        name = f"t{len(self.names)}"
        self.lines.append(f"{name} = {expression}")
        self.names.append(name)
        return name

    def some(self) -> str:
        return self.draw(st.sampled_from(self.names))

    def step(self) -> None:
        draw = self.draw
        kind = draw(st.sampled_from(["leaf", "constructor", "medium", "diag", "out", "view",
                                     "outer", "join", "chain", "loss", "backward"]))
        if kind == "leaf":
            dims = ", ".join(str(draw(DIMS)) for _ in range(draw(st.integers(1, 2))))
            dtype = draw(st.sampled_from(["", ", dtype=torch.float64"]))
            self.new(f"torch.randn({dims}{dtype}, requires_grad=True)")
        elif kind == "constructor":
            n, d = draw(COUNTS), draw(DIMS)
            self.new(draw(st.sampled_from([
                f"torch.zeros({d}, {d})", f"torch.ones(size=({d}, {d}))", f"torch.eye({d})",
                f"torch.full(({d}, {d}), 1.5)", f"torch.arange(end={n})",
                f"torch.arange(0, {n}, 0.5)", f"torch.linspace(0, 1, {n})",
                f"torch.rand({d}, {d}, dtype=torch.float64)"])))
        elif kind == "medium":
            d = draw(st.sampled_from([1000, 3000, 5000, 7000]))
            for _ in range(draw(st.integers(1, 16))):
                self.new(f"torch.randn({d}, {d})")
        elif kind == "diag":
            v, k = self.some(), draw(OFFSETS)
            self.new(draw(st.sampled_from([f"torch.diag({v}.reshape(-1), {k})",
                                           f"{v}.reshape(-1).diag(diagonal={k})"])))
        elif kind == "out":
            v, n, d = self.some(), draw(COUNTS), draw(DIMS)
            self.new(draw(st.sampled_from([
                f"torch.arange(end={n}, out={v})", f"torch.zeros({d}, {d}, out={v})",
                f"torch.randn({d}, out={v})", f"torch.matmul({v}, {v}, out={v})"])))
        elif kind == "view":
            self.new(f"{self.some()}.view({draw(DTYPES)})")
        elif kind == "outer":
            a, b = self.some(), self.some()
            self.new(draw(st.sampled_from([
                f"torch.outer({a}.reshape(-1), {b}.reshape(-1))",
                f"{a}.reshape(-1)[:, None] * {b}.reshape(-1)[None, :]",
                f"{a}.reshape(-1, 1) @ {b}.reshape(1, -1)"])))
        elif kind == "join":
            v, k = self.some(), draw(st.integers(2, 40))
            self.new(f"torch.{draw(st.sampled_from(['cat', 'stack']))}([{', '.join([v] * k)}])")
        elif kind == "chain":
            v = self.some()
            self.lines += [f"{v} = {v}.{draw(st.sampled_from(['sin', 'exp', 'tanh']))}()"] * \
                draw(st.integers(1, 400))
        elif kind == "loss":
            v, rows = self.some(), draw(st.sampled_from([10, 1000, 3000]))
            t = self.new(f"torch.zeros({rows}, dtype=torch.int64)")
            for _ in range(draw(st.integers(1, 20))):
                self.new(f"torch.nn.functional.cross_entropy({v}.reshape({rows}, -1), {t})")
        else:
            f = self.new(f"{self.some()}.sum()")
            self.lines.append(f"{f}.backward()")


@st.composite
def adversarial_programs(draw) -> str:
    program = _Program(draw)
    program.new(f"torch.randn({draw(DIMS)}, requires_grad=True)")
    for _ in range(draw(st.integers(1, 5))):
        program.step()
    program.new(f"{program.some()}.sum()")
    return "\n".join(program.lines) + "\n"


PEAKS: list[tuple[int, str]] = []  # (peak RSS, outcome) of every child, printed at the end


@pytest.fixture(scope="module", autouse=True)
def _tally():
    yield
    if PEAKS:
        top, ran = max(PEAKS), sum(what == "evaluated" for _, what in PEAKS)
        print(f"\nsize fuzz: {len(PEAKS)} children ({ran} evaluated, the others refused), peak "
              f"RSS at most {top[0] / 2**20:.0f} MiB ({top[1]})")
    write_tally()


@pytest.mark.timeout(1800)
@fuzz_settings(short=30, long=500)
@example("import torch\nx = torch.randn(100, requires_grad=True)\ny = torch.diag(x, 20000)\n")
@example("import torch\nx = torch.zeros(3)\ny = torch.arange(end=1e9, out=x)\n")
@example("import torch\nx = torch.randn(6000, 8000, dtype=torch.float64, requires_grad=True)\n"
         "y = x.view(torch.bool)\n")
@example("import torch\n" + "".join(f"x{i} = torch.randn(7000, 7000)\n" for i in range(40)))
@example("import torch\na = torch.randn(100, 100, requires_grad=True)\n" + "a = a.sin()\n" * 500)
@given(adversarial_programs())
def test_adversarial_sizes_stay_within_the_budget(tmp_path_factory, text):
    TALLY["size programs"] += 1
    report = run_in_child(text, tmp_path_factory.mktemp("sizes"))
    TALLY[f"size programs {report['outcome']}"] += 1
    PEAKS.append((report["peak_rss"], report.get("message", "evaluated")[:80]))
    assert_within_budget(text, report)
