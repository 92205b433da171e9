"""``trace --run``: a .py or .ipynb run as Python in the supervised child, all its calls in JSON."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from nla_explorer.cli import main
from tests.engine.qt_blocker import loaded_qt_packages
from tests.engine.run_programs import ERROR, NET

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "resources" / "notebooks" / "nla_and_neural_networks.ipynb"


def program(tmp_path: Path, text: str, name: str = "prog.py") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def trace(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["trace", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_training_loop_gives_every_call_with_its_graph_and_module_paths(tmp_path, capsys):
    code, out, err = trace(capsys, "--run", "--code", program(tmp_path, NET), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["total_calls"] == 3 and data["shown_call"] == 3 and data["error"] is None
    assert [(c["index"], c["kind"], c["label"], c["line"]) for c in data["calls"]] == [
        (k, "backward", "loss.backward()", 23) for k in (1, 2, 3)]
    for call in data["calls"]:
        assert len(call["nodes"]) == 12 and len(call["steps"]) == 12 and call["edges"]
    assert data["output"]["name"] == "loss" and data["output"]["value"] == data["calls"][2]["value"]
    modules = {n["module"] for n in data["nodes"]}
    assert {"net.l1", "net.l2"} <= modules and None in modules
    assert {"id", "kind", "op", "name", "shape", "value", "grad", "module"} <= set(data["nodes"][0])
    assert {(m["path"], m["kind"], m["parameters"]) for m in data["modules"]} == {
        ("net", "Net", 21), ("net.l1", "Linear", 16), ("net.l2", "Linear", 5)}
    assert data["printed"].splitlines()[0].startswith("step 0: loss ")
    assert set(data["final_grads"]) == {"net.l1.weight", "net.l1.bias", "net.l2.weight",
                                        "net.l2.bias"}
    assert loaded_qt_packages() == []


def test_call_option_shows_the_first_call(tmp_path, capsys):
    code, out, err = trace(capsys, "--run", "--code", program(tmp_path, NET), "--json",
                           "--call", "1")
    assert code == 0, err
    data = json.loads(out)
    assert data["shown_call"] == 1 and data["output"]["value"] == data["calls"][0]["value"]
    assert data["calls"][0]["value"] > data["calls"][2]["value"]  # SGD lowered the loss
    missing = trace(capsys, "--run", "--code", program(tmp_path, NET), "--call", "4")
    assert missing[0] == 2 and "--call 4: the program made 3 backward calls" in missing[2]


def test_text_form_prints_the_output_the_calls_and_the_shown_graph(tmp_path, capsys):
    code, out, err = trace(capsys, "--run", "--code", program(tmp_path, NET))
    assert code == 0, err
    assert out.startswith("step 0: loss ")
    assert "backward calls (3 kept of 3" in out and "*     3  loss.backward()  line 23" in out
    assert "12 nodes, 11 edges, 12 backward steps" in out and "MeanBackward0" in out


def test_a_notebook_runs(capsys):
    code, out, err = trace(capsys, "--run", "--code", str(NOTEBOOK), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["error"] is None and data["calls"] and data["nodes"]
    assert data["output"]["name"] == data["calls"][-1]["output"]
    assert data["printed"]


def test_a_program_error_is_one_line_and_exit_1(tmp_path, capsys):
    path = program(tmp_path, ERROR)
    code, out, err = trace(capsys, "--run", "--code", path, "--json")
    assert code == 1
    assert err.strip() == "nla-explorer: error: prog.py: In[1], line 5: ZeroDivisionError: " \
                          "division by zero"
    data = json.loads(out)
    assert data["error"] == {"type": "ZeroDivisionError", "message": "division by zero",
                             "line": 5, "cell": "In[1]"}
    assert data["printed"] == "before\n"
    code, out, err = trace(capsys, "--run", "--code", path)
    assert code == 1 and out.startswith("before\n") and len(err.strip().splitlines()) == 1


def test_time_limit_ends_an_endless_loop(tmp_path, capsys):
    began = time.monotonic()
    code, out, err = trace(capsys, "--run", "--code",
                           program(tmp_path, "while True:\n    pass\n"), "--timeout", "2")
    assert code == 1 and out == ""
    assert "time limit" in err and len(err.strip().splitlines()) == 1
    assert time.monotonic() - began < 30  # the child's start (torch) plus the 2 s


def test_without_run_a_class_is_refused_as_today(tmp_path, capsys):
    code, out, err = trace(capsys, "--code", program(tmp_path, NET), "--json")
    assert code == 2 and out == ""
    assert "is not allowed" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("args,message", [
    (("--run", "--example", "quadratic"), "--run runs a program file"),
    (("--timeout", "3", "--code", "x.py"), "go with --run"),
    (("--run", "--code", "x.py", "--call", "0"), "--call must be 1 or more"),
    (("--run", "--code", "x.py", "--timeout", "0"), "--timeout must be a positive"),
    (("--run", "--code", "x.py", "--memory-mb", "0"), "--memory-mb must be a positive"),
    (("--run", "--code", "x.py", "--output", "y"), "--output does not go with --run"),
    (("--run", "--code", "/nonexistent/x.py"), "cannot read"),
    (("--run", "--code", "notes.md"), "runs Python files"),
])
def test_bad_arguments_are_one_line_and_exit_2(capsys, args, message):
    code, out, err = trace(capsys, *args)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


LOOP = """import torch
torch.manual_seed(0)
w = torch.randn(3, requires_grad=True)
for step in range(100):
    loss = (w * w).sum()
    loss.backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
        w.grad.zero_()
"""


def test_call_counts_the_programs_calls_even_when_some_were_not_kept(tmp_path, capsys):
    path = program(tmp_path, LOOP)
    code, out, _ = trace(capsys, "--run", "--code", path, "--json", "--call", "100")
    data = json.loads(out)
    assert code == 0 and data["total_calls"] == 100 and data["shown_call"] == 100
    kept = [c["index"] for c in data["calls"]]
    assert kept[:10] == list(range(1, 11)) and kept[-1] == 100
    dropped = next(n for n in range(11, 100) if n not in kept)
    code, _, err = trace(capsys, "--run", "--code", path, "--call", str(dropped))
    assert code == 2 and "the run kept 1, 2, 3" in err


def test_without_run_a_refusal_says_add_run(tmp_path, capsys):
    code, _, err = trace(capsys, "--code", program(tmp_path, NET))
    assert code == 2 and "add --run" in err and "Shift+Enter" not in err


def export(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["export", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("args,message", [
    (("--timeout", "5", "--code", "net.py", "-o", "net.png"),
     "--timeout and --memory-mb go with --run"),
    (("--memory-mb", "100", "--code", "net.py", "-o", "net.png"), "go with --run"),
    (("--run", "--example", "quadratic", "-o", "net.png"), "--run runs a program file"),
    (("--run", "--code", "x.py", "-o", "net.png", "--call", "0"), "--call must be 1 or more"),
    (("--run", "--code", "x.py", "-o", "net.png", "--timeout", "nan"), "--timeout must be"),
    (("--run", "--code", "x.py", "-o", "net.png", "--memory-mb", "-1"), "--memory-mb must be"),
    (("--run", "--code", "x.py", "-o", "net.png", "--output", "y"), "--output does not go"),
    (("--run", "--code", "x.py", "-o", "/nonexistent/net.png"), "does not exist"),
    (("--run", "--code", "x.py", "-o", "net.bmp"), "the extension must be one of"),
    (("--run", "--code", "x.py", "-o", "net.dot", "--slide"), "a slide is a picture"),
    (("--run", "--code", "/nonexistent/x.py", "-o", "net.png"), "cannot read"),
    (("--run", "--code", "notes.md", "-o", "net.png"), "runs Python files"),
])
def test_export_run_bad_arguments_are_one_line_and_exit_2_before_any_run(
        tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = export(capsys, *args)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == [] and loaded_qt_packages() == []


def test_export_without_run_refuses_a_class_and_says_add_run(tmp_path, capsys):
    code, out, err = export(capsys, "--code", program(tmp_path, NET), "-o",
                            str(tmp_path / "net.png"))
    assert code == 2 and out == ""
    assert "classes need Run as Python: add --run" in err and "Shift+Enter" not in err
    assert not (tmp_path / "net.png").exists() and loaded_qt_packages() == []


def test_export_run_time_limit_is_exit_1_before_any_qt(tmp_path, capsys):
    code, out, err = export(capsys, "--run", "--code", program(tmp_path, "while True:\n    pass\n"),
                            "--timeout", "2", "-o", str(tmp_path / "loop.png"))
    assert code == 1 and out == ""
    assert err.strip() == "nla-explorer: error: prog.py: the program ran past the time limit " \
                          "of 2 s (--timeout)"
    assert not (tmp_path / "loop.png").exists() and loaded_qt_packages() == []
