"""benchmarks/gpu_check.py, the GPU run prepared for a machine with one: its comparisons and its
reference CSV work here (the CPU against itself), so that the run on the device only measures."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import gpu_check  # noqa: E402

from nla_explorer.engine.tensors import snapshot  # noqa: E402
from nla_explorer.engine.timing.results import TimingResult, results_from_csv, results_to_csv  # noqa: E402,E501


def test_every_course_example_traces_the_same_on_the_same_device():
    modes = torch.overrides._get_current_function_mode_stack()
    report = gpu_check.trace_parity("cpu")
    assert report and set(report.values()) == {"ok"}, report
    assert torch.overrides._get_current_function_mode_stack() == modes  # none left behind


def test_a_difference_beyond_the_tolerance_is_caught():
    a = snapshot(torch.tensor([1.0, 2.0, 3.0]))
    assert gpu_check._close(snapshot(torch.tensor([1.0, 2.0, 3.0 + 1e-6])), a)
    assert not gpu_check._close(snapshot(torch.tensor([1.0, 2.0, 3.01])), a)
    assert not gpu_check._close(snapshot(torch.tensor([[1.0, 2.0, 3.0]])), a)  # shape
    assert not gpu_check._close(None, a) and gpu_check._close(None, None)


def test_training_on_the_same_device_gives_the_same_losses():
    report = gpu_check.train_parity("cpu", epochs=20)
    assert report["status"] == "ok" and report["worst_relative_difference"] == 0.0


def test_the_reference_csv_says_where_it_was_measured_and_reads_back():
    from nla_explorer.engine.timing.reference import as_reference, header_facts
    results = [TimingResult("matmul", 256, "cuda", "float32", median_s=1e-5, gflops=3355.4)]
    env = {**gpu_check.environment("cpu"), "device_name": "NVIDIA H200"}
    text = as_reference(results_to_csv(results), env)
    assert text.startswith(f"# date: {env['date']}\n")
    assert header_facts(text)["torch"] == torch.__version__
    back = results_from_csv(text)
    assert [(r.op, r.size, r.device, r.median_s, r.source) for r in back] == [
        ("matmul", 256, "cuda", 1e-5, "NVIDIA H200 (reference run, not this machine)")]
    assert np.isclose(back[0].gflops, 3355.4)


def test_the_sweep_writes_its_json_and_the_headed_reference_csv(tmp_path):
    tiny = ["--ops", "matmul", "--sizes", "16", "--dtypes", "float32", "--min-time", "0.01"]
    report = gpu_check.timing_sweep(tmp_path, "cpu", quick=False, limit_s=120, sweep=tiny)
    assert report["ok"], report
    csv = (tmp_path / "reference.csv").read_text()
    assert csv.startswith("# date: ") and "# device: cpu" in csv
    (result,) = results_from_csv(csv)
    assert (result.op, result.size, result.device, result.status) == ("matmul", 16, "cpu", "ok")
    assert result.source == "cpu (reference run, not this machine)"
    import json
    assert json.loads((tmp_path / "timing.json").read_text())["results"][0]["op"] == "matmul"


@pytest.mark.gpu
def test_on_the_gpu_every_course_example_traces_and_the_net_trains_as_on_the_cpu():
    report = gpu_check.trace_parity("cuda")
    assert set(report.values()) == {"ok"}, report
    assert gpu_check.train_parity("cuda")["status"] == "ok"
