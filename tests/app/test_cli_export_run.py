"""``export --run``: a program with an ``nn.Module`` run as Python, its kept call's picture exported
(grouped by module), checked against the same training loop in plain torch."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch
from PySide6.QtGui import QImage
from torch import nn

from tests.engine.run_programs import ERROR, NET

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "nla_explorer", "export", "--layout", "builtin",
                           *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


@pytest.fixture
def net_py(tmp_path) -> str:
    (tmp_path / "net.py").write_text(NET, encoding="utf-8")
    return "net.py"


def plain_torch_calls() -> list[dict]:
    """NET's three backward calls in plain torch (the same seed, layers and order)."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    x, y = torch.randn(5, 3), torch.randn(5, 1)
    calls = []
    for _ in range(3):
        opt.zero_grad()
        diff = net(x) - y
        diff.retain_grad()
        loss = (diff ** 2).mean()
        loss.backward()
        nodes, todo = set(), [loss.grad_fn]
        while todo:
            fn = todo.pop()
            if fn is not None and fn not in nodes:
                nodes.add(fn)
                todo.extend(f for f, _ in fn.next_functions)
        calls.append({"loss": loss.item(), "diff_grad": diff.grad.reshape(-1).tolist(),
                      "bias": net[0].bias.tolist(), "bias_grad": net[0].bias.grad.tolist(),
                      "nodes": len(nodes)})
        opt.step()
    return calls


def cluster(dot: str, name: str) -> str:
    """The text of DOT subgraph ``name``, its nested clusters included."""
    start = dot.index(f'subgraph "{name}" {{')
    depth, at = 0, dot.index("{", start)
    for at in range(at, len(dot)):
        depth += {"{": 1, "}": -1}.get(dot[at], 0)
        if depth == 0:
            break
    return dot[start:at + 1]


def vector(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.3g}" for v in values) + "]"


def test_png_of_the_last_call(tmp_path, net_py):
    out = cli("--run", "--code", net_py, "-o", "net.png", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    # 12 autograd nodes, the saved input x and the target y (read by the sub, not saved)
    nodes = plain_torch_calls()[-1]["nodes"]
    assert out.stdout.strip() == f"net.png ({nodes + 2} boxes, layout: builtin)"
    image = QImage(str(tmp_path / "net.png"))
    assert not image.isNull() and image.width() > 200 and image.height() > image.width()


def test_dot_is_grouped_by_module_and_shows_the_chosen_call(tmp_path, net_py):
    calls = plain_torch_calls()
    for call, extra in ((3, ()), (1, ("--call", "1"))):
        out = cli("--run", "--code", net_py, "-o", f"net{call}.dot", *extra, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        dot = (tmp_path / f"net{call}.dot").read_text(encoding="utf-8")
        net = cluster(dot, f"cluster_net@{call}")  # the module's call number in the program
        header = "net · Net" if call == 1 else f"net (call {call}) · Net"
        assert f'label="{header} · 21 params"' in net
        l1, l2 = cluster(net, f"cluster_net.l1@{call}"), cluster(net, f"cluster_net.l2@{call}")
        assert 'label="net.l1.weight' in l1 and 'label="net.l1.bias' in l1
        assert 'label="net.l2.weight' in l2 and "net.l1" not in l2
        assert 'label="tanh' in net and 'label="tanh' not in l1 + l2
        assert 'label="loss = mean' not in net  # the loss is computed outside the module
        want = calls[call - 1]
        assert f'label="loss = mean\nscalar\n{want["loss"]:.3g}\n' in dot
        assert f'{vector(want["bias"])}\n∇ {vector(want["bias_grad"])}"' in l1
    assert calls[0]["loss"] != calls[2]["loss"]  # so the two files differ where it matters


def test_slide_and_all_steps(tmp_path, net_py):
    want = plain_torch_calls()[-1]
    out = cli("--run", "--code", net_py, "-o", "s3.svg", "--slide", "--step", "3", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"slide of backward step 3 of {want['nodes']}" in out.stdout
    texts = [t.text or "" for t in ET.parse(tmp_path / "s3.svg").getroot().iter()
             if t.tag.endswith("text")]
    assert texts[0] == f"net — backward step 3 of {want['nodes']}" and "SubBackward0" in texts
    g = want["diff_grad"]  # what flows into pred - y: 2 (pred - y) / 5
    assert f"g = [[{g[0]:.4g}], [{g[1]:.4g}]" in " ".join(texts)
    assert "▾ l1 (call 3) · Linear · 16 params" in texts
    out = cli("--run", "--code", net_py, "-o", "steps.pdf", "--all-steps", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    pdf = (tmp_path / "steps.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) == want["nodes"]


def test_failures_write_nothing(tmp_path, net_py):
    (tmp_path / "prog.py").write_text(ERROR, encoding="utf-8")
    out = cli("--run", "--code", "prog.py", "-o", "e.png", cwd=tmp_path)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.strip() == ("nla-explorer: error: prog.py: In[1], line 5: "
                                  "ZeroDivisionError: division by zero")
    out = cli("--run", "--code", net_py, "-o", "c.png", "--call", "4", cwd=tmp_path)
    assert out.returncode == 2 and out.stderr.strip() == (
        "nla-explorer: error: --call 4: the program made 3 backward calls and the run kept 1, 2, 3")
    out = cli("--code", net_py, "-o", "n.png", cwd=tmp_path)  # the safe reader refuses a class
    assert out.returncode == 2 and "classes need Run as Python: add --run" in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.py", "prog.py"]
