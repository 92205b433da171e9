"""``trace --json`` and ``--call N``: every backward call of the code, the one shown, final grads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
CODE = """import torch
torch.manual_seed(0)
x = torch.randn(3, requires_grad=True)
f = (x * x).sum()
f.backward(retain_graph=True)
g = (3 * x).sum()
g.backward()
"""


def trace(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    code = tmp_path / "cell.py"
    code.write_text(CODE, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "nla_explorer", "trace", "--code", str(code),
                           "--json", *args], capture_output=True, text=True, env=env, timeout=120)


def test_trace_json_lists_every_call_and_the_grads_after_the_program(tmp_path):
    out = trace(tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [(c["index"], c["label"], c["line"]) for c in data["calls"]] == [
        (1, "f.backward(retain_graph=True)", 5), (2, "g.backward()", 7)]
    assert data["shown_call"] == 2 and data["output"]["name"] == "g"
    torch.manual_seed(0)
    x = torch.randn(3)
    assert data["final_grads"]["x"] == (2 * x + 3).tolist()  # accumulated, as torch has it
    assert data["unseeded"] is False


def test_call_option_shows_another_call_and_refuses_a_missing_one(tmp_path):
    data = json.loads(trace(tmp_path, "--call", "1").stdout)
    assert data["shown_call"] == 1 and data["output"]["name"] == "f"
    assert {n["op"] for n in data["nodes"]} == {"SumBackward0", "MulBackward0", "AccumulateGrad"}
    missing = trace(tmp_path, "--call", "3")
    assert missing.returncode == 2 and "no backward call 3" in missing.stderr
