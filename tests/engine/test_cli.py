"""The headless CLI: examples, trace --json, errors in one line, unsafe code refused, no dynamo.
(That the engine and the CLI import no Qt: test_layers.py.)"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "nla_explorer", *args], capture_output=True,
                          text=True, cwd=cwd or ROOT, env=env, timeout=120)


def test_examples_lists_every_course_example():
    out = run_cli("examples")
    assert out.returncode == 0
    for name in ("quadratic", "quadratic_squared", "norm", "relu_layer", "least_squares",
                 "inverse_matrix", "polyfit_net"):
        assert name in out.stdout


def test_trace_json_schema_and_gradients():
    out = run_cli("trace", "--example", "quadratic", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["output"]["name"] == "f" and data["output"]["shape"] == []
    nodes = {n["id"]: n for n in data["nodes"]}
    assert {n["kind"] for n in nodes.values()} == {"op", "leaf"}
    for n in nodes.values():
        assert set(n) >= {"id", "kind", "op", "name", "shape", "value", "grad"}
    leaves = {n["name"]: n for n in nodes.values() if n["kind"] == "leaf"}
    assert set(leaves) == {"A", "x"} and leaves["x"]["op"] == "AccumulateGrad"
    # the leaf gradients are torch's, recomputed here from the values in the JSON
    A = torch.tensor(leaves["A"]["value"], requires_grad=True)
    x = torch.tensor(leaves["x"]["value"], requires_grad=True)
    dot_b = next(n for n in nodes.values() if any(s.get("label") == "b" for s in n["saved"]))
    b = torch.tensor(next(s for s in dot_b["saved"] if s.get("label") == "b")["tensor"]["value"])
    f = 0.5 * x @ A @ x - b @ x
    gA, gx = torch.autograd.grad(f, [A, x])
    np.testing.assert_allclose(leaves["A"]["grad"], gA.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(leaves["x"]["grad"], gx.numpy(), rtol=1e-5, atol=1e-6)
    assert data["output"]["value"] == pytest.approx(f.item(), rel=1e-5)
    # edges point in data-flow direction; steps cover every node once, consumers first
    assert all(e["source"] in nodes and e["target"] in nodes for e in data["edges"])
    order = [s["node"] for s in data["steps"]]
    assert sorted(order) == sorted(nodes) and order[0] == data["output"]["id"]
    pos = {nid: i for i, nid in enumerate(order)}
    assert all(pos[e["target"]] < pos[e["source"]] for e in data["edges"])


def test_trace_code_file_with_output_and_session(tmp_path):
    code = tmp_path / "cell.py"
    code.write_text("x = torch.randn(3, requires_grad=True)\ny = x.exp()\nz = (y * y).sum()\n")
    out = run_cli("trace", "--code", str(code), "--output", "y", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["output"]["name"] == "y"
    from nla_explorer.engine import parse_code
    from nla_explorer.engine.sessions.nla_file import save_session
    save_session(tmp_path / "s.nla", parse_code(code.read_text()))
    out = run_cli("trace", "--session", str(tmp_path / "s.nla"), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["output"]["name"] == "z"


@pytest.mark.parametrize("args,message", [
    (("trace", "--example", "nope"), "unknown example 'nope'"),
    (("trace", "--code", "/nonexistent/cell.py"), "cannot read"),
    (("trace", "--session", "/nonexistent/s.nla"), "cannot read"),
])
def test_cli_errors_are_one_line_without_traceback(args, message):
    out = run_cli(*args)
    assert out.returncode != 0
    assert message in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_cli_refuses_unsafe_code_file(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nos.system('touch pwned')\n")
    out = run_cli("trace", "--code", str(bad), cwd=tmp_path)
    assert out.returncode == 2 and "import os is not allowed" in out.stderr
    assert not (tmp_path / "pwned").exists()


def test_recording_does_not_import_torch_dynamo():
    """torch wraps dispatch modes to disable dynamo, importing it (~1 s) on first use; our
    recorder opts out (start-up and every CLI call pay for it otherwise)."""
    code = ("import sys\nfrom nla_explorer.engine import EXAMPLES, explore_code\n"
            "explore_code(EXAMPLES['quadratic'].code)\n"
            "print('torch._dynamo' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
