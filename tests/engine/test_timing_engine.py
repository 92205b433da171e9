"""The timing engine (no Qt): agreement with torch.utils.benchmark, sweeps, refusals, CSV, CLI."""

import argparse
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from itertools import product
from pathlib import Path

import pytest
import torch

from nla_explorer.cli.timing import add_timing_parser, run_timing
from nla_explorer.engine.errors import EngineError
from nla_explorer.engine.timing.sweep import (
    OPS, SweepPlan, TimingCSVError, TimingCancelled, TimingInputError, TimingResult,
    UnknownNameError, available_devices, crossover, measure, parse_sizes, power_of_two_sizes,
    results_from_csv, results_to_csv, speedup, sweep,
)
from nla_explorer.engine.timing.devices import known_peaks
from tests.engine.timing_helpers import agreement, fake_op

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def one_thread():
    """One torch thread: on a small shared CI box, two OpenMP threads stall each other at
    barriers for whole scheduler slices (~16 ms), which swamps any comparison of timers."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_cpu_matmul_agrees_with_torch_benchmark(one_thread):
    ratios = agreement("matmul", 256, "cpu", "float32")
    assert any(abs(r - 1) <= 0.2 for r in ratios), ratios


def test_sweep_yields_one_result_per_case():
    plan = SweepPlan(ops=["matmul", "add"], sizes=[16, 8], devices=["cpu", "cuda"],
                     dtypes=["float32", "float64"], min_time=0.01)
    results = list(sweep(plan))
    assert plan.sizes == (8, 16) and plan.count == 16 == len(results)
    assert {(r.op, r.device, r.dtype, r.size) for r in results} == set(
        product(["matmul", "add"], ["cpu", "cuda"], ["float32", "float64"], [8, 16]))
    for r in results:
        if r.device == "cpu" or torch.cuda.is_available():
            assert r.ok, r
            assert r.median_s > 0 and r.repeats >= 3 and r.iqr_s >= 0
            assert r.gflops == pytest.approx(OPS[r.op].flops(r.size) / r.median_s / 1e9)
        else:
            assert r.status == "skipped" and "no CUDA GPU" in r.error


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_op_runs_on_the_cpu(dtype):
    for name in OPS:
        r = measure(name, 8, "cpu", dtype, min_time=0.005, naive=True, transfer=True)
        assert r.ok, (name, r.error)
        assert r.naive_s > 0 and r.transfer_s == 0.0  # nothing to copy on the CPU
        assert r.device_label and r.gbps > 0


def test_every_op_computes_the_right_thing():
    a, b = torch.randn(5, 5, dtype=torch.float64), torch.randn(5, 5, dtype=torch.float64)
    assert torch.equal(OPS["matmul"].call(a, b), a @ b)
    inputs = OPS["solve"].setup(6, torch.device("cpu"), torch.float64)
    assert torch.allclose(inputs[0] @ OPS["solve"].call(*inputs), inputs[1])
    inputs = OPS["inverse"].setup(6, torch.device("cpu"), torch.float64)
    assert torch.allclose(inputs[0] @ OPS["inverse"].call(*inputs), torch.eye(6,
                                                                               dtype=torch.float64))
    inputs = OPS["mlp"].setup(4, torch.device("cpu"), torch.float64)
    grads = OPS["mlp"].call(*inputs)
    assert [g.shape for g in grads] == [p.shape for p in inputs[1:]]


def test_unsupported_dtype_is_a_skipped_result_with_a_reason():
    r = measure("solve", 64, "cpu", "bfloat16")
    assert r.status == "skipped" and not r.ok and r.median_s is None
    assert "bfloat16" in r.error and "solve" in r.error


def test_too_big_is_refused_before_allocating(monkeypatch):
    def no_allocation(*args):
        raise AssertionError("allocated")
    fake_op(monkeypatch, setup=no_allocation)
    r = measure("matmul", 10 ** 6, "cpu", "float32")
    assert r.status == "skipped" and "too big" in r.error and "12 TB" in r.error


def test_out_of_memory_is_reported_and_the_sweep_goes_on(monkeypatch):
    real = OPS["matmul"].setup

    def setup(n, device, dtype):
        if n > 16:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return real(n, device, dtype)
    fake_op(monkeypatch, setup=setup)
    results = list(sweep(SweepPlan(ops=["matmul"], sizes=[16, 32], min_time=0.01)))
    assert [r.status for r in results] == ["ok", "failed"]
    assert "out of memory" in results[1].error and "n=32" in results[1].error
    fake_op(monkeypatch, setup=real, call=lambda a, b: (_ for _ in ()).throw(
        RuntimeError("boom happened\nsecond line")))
    r = measure("matmul", 8, min_time=0.01)
    assert r.status == "failed" and r.error == "RuntimeError: boom happened"


@pytest.mark.parametrize("call,valid", [
    (lambda: measure("matmull", 16), "matmul, mv, add, relu, sum, solve, inverse, mlp"),
    (lambda: measure("matmul", 16, dtype="f32"), "float32, float64, bfloat16, float16"),
    (lambda: measure("matmul", 16, device="gpu"), "cpu, cuda, cuda:<index>, mps"),
    (lambda: SweepPlan(ops=["mv", "nope"], sizes=[16]), "valid ops: matmul"),
])
def test_unknown_names_list_the_valid_ones(call, valid):
    with pytest.raises(UnknownNameError) as info:
        call()
    assert valid in str(info.value)
    assert isinstance(info.value, EngineError)


def test_bad_numbers_name_the_culprit():
    with pytest.raises(TimingInputError, match="size 0 is not a positive"):
        SweepPlan(ops=["matmul"], sizes=[16, 0])
    with pytest.raises(TimingInputError, match="min_time"):
        measure("matmul", 16, min_time=-1)
    with pytest.raises(TimingInputError, match="no ops"):
        SweepPlan(ops=[], sizes=[16])
    with pytest.raises(TimingInputError, match="'16,x'"):
        parse_sizes("16,x")
    assert parse_sizes("16..100") == [16, 32, 64] == power_of_two_sizes(16, 100)
    assert parse_sizes("4096, 256,1024,256") == [256, 1024, 4096]


def synthetic(cpu_rate=1e12, gpu_rate=50e12, sizes=(16, 32, 64, 128, 256, 512, 1024)):
    rows = []
    for n in sizes:
        rows.append(TimingResult("matmul", n, "cpu", "float32", median_s=2e-6 + 2 * n ** 3 /
                                 cpu_rate))
        rows.append(TimingResult("matmul", n, "cuda", "float32", median_s=8e-6 + 2 * n ** 3 /
                                 gpu_rate))
    return rows


def test_crossover_and_speedup_on_synthetic_results():
    rows = synthetic()
    assert crossover(rows, "matmul", "float32") == 256
    assert crossover(rows, "matmul", "float32", "cuda") == 256
    curve = dict(speedup(rows, "matmul", "float32", "cuda"))
    assert curve[16] < 1 < curve[256] < curve[1024]
    # a lucky GPU win at a small size is not a crossover: it must win from there on
    rows.append(TimingResult("matmul", 16, "cuda", "float32", median_s=1e-7))
    assert crossover(rows, "matmul", "float32") == 256
    assert crossover(synthetic(gpu_rate=1e9), "matmul", "float32") is None
    assert crossover([r for r in rows if r.device == "cpu"], "matmul", "float32") is None
    assert crossover(rows, "matmul", "float64") is None


def test_csv_round_trip_and_tab_separated():
    rows = synthetic(sizes=(16, 32)) + [
        TimingResult("solve", 64, "cpu", "bfloat16", status="skipped",
                     error='solve has no "bfloat16" kernels, see docs', source="box"),
        TimingResult("matmul", 8, "cuda:1", "float16", median_s=1.5e-5, naive_s=2e-6,
                     transfer_s=3e-4, repeats=100, note="a note", device_label="NVIDIA H100")]
    assert results_from_csv(results_to_csv(rows)) == rows
    assert results_from_csv(results_to_csv(rows, delimiter="\t")) == rows
    loaded = results_from_csv("op,size,device,dtype,median_s\nmatmul,16,cuda,float32,1e-5\n",
                              source="h100.csv")
    assert loaded == [TimingResult("matmul", 16, "cuda", "float32", median_s=1e-5,
                                   source="h100.csv")]


@pytest.mark.parametrize("text,message", [
    ("", "empty"),
    ("op,size,device,dtype\nmatmul,16,cpu,float32\n", "line 1: the header lacks median_s"),
    ("op,size,device,dtype,median_s\nmatmul,16,cpu,float32,0.1\nmatmul,abc,cpu,float32,0.2\n",
     "line 3: size 'abc' is not a whole number"),
    ("op,size,device,dtype,median_s\n\nmatmul,16,cpu,float32,fast\n",
     "line 3: median_s 'fast' is not a number"),
    ("op,size,device,dtype,median_s\nmatmul,16,cpu,float32,0.1,7\n", "line 2: 6 fields"),
    ("op,size,device,dtype,median_s,status\nmatmul,16,cpu,float32,0.1,great\n",
     "line 2: status 'great'"),
    ("op,size,device,dtype,median_s\nmatmul,-4,cpu,float32,0.1\n", "line 2: size '-4'"),
    ("op,size,device,dtype,median_s\n", "no results"),
])
def test_malformed_csv_names_the_line(text, message):
    with pytest.raises(TimingCSVError) as info:
        results_from_csv(text)
    assert message in str(info.value)


def test_cancel_stops_a_sweep_between_cases():
    seen = []
    results = sweep(SweepPlan(ops=["matmul", "mv"], sizes=[8, 16, 32], min_time=0.01),
                    cancel=lambda: len(seen) >= 2)
    for r in results:
        seen.append(r)
    assert len(seen) == 2


@pytest.fixture
def stuck_call(monkeypatch):
    """matmul replaced by a call that takes 0.3 s: (started, returned) events."""
    started, returned, release = threading.Event(), threading.Event(), threading.Event()

    def stuck(a, b):  # one call that cannot be interrupted
        started.set()
        release.wait(0.3)
        returned.set()

    fake_op(monkeypatch, call=stuck)
    yield started, returned
    release.set()


def test_cancel_stops_measure_after_the_running_call(stuck_call):
    """The cancel is answered when the running call returns: blocks run on the caller's thread
    (a helper thread crashed the window's process now and then); the per-call limit keeps a
    call short."""
    started, returned = stuck_call
    with pytest.raises(TimingCancelled):
        measure("matmul", 8, min_time=10, cancel=started.is_set)
    assert started.is_set() and returned.is_set()


def test_cancel_stops_a_sweep_after_the_running_call(stuck_call):
    started, returned = stuck_call
    results = list(sweep(SweepPlan(ops=["matmul"], sizes=[8], min_time=10),
                         cancel=started.is_set))
    assert results == [] and started.is_set() and returned.is_set()


def test_slow_sizes_are_skipped_by_prediction(monkeypatch):
    # a 10 ms call under a 60 ms limit: room for a sleep overshooting on a busy machine (a 20 ms
    # call once took over 50 ms there)
    fake_op(monkeypatch, call=lambda a, b: time.sleep(0.01))
    results = list(sweep(SweepPlan(ops=["matmul"], sizes=[8, 16], min_time=0.01,
                                   max_call_s=0.06)))
    assert results[0].ok and results[0].repeats >= 3
    # 16 does 8× the flops of 8: about 0.08 s per call, over the 0.06 s limit
    assert results[1].status == "skipped" and "too slow" in results[1].error


def test_devices_and_known_peaks():
    devices = available_devices()
    assert devices[0].name == "cpu" and devices[0].label and not devices[0].is_gpu
    assert [d.kind == "cuda" for d in devices].count(True) == torch.cuda.device_count()
    peaks, gbps = known_peaks("NVIDIA H100 80GB HBM3")
    assert peaks["float32"] == 67e3 and peaks["bfloat16"] == 989e3 and gbps == 3350
    assert known_peaks("NVIDIA H100 PCIe")[0]["float32"] == 51e3
    assert known_peaks("NVIDIA H200")[1] == 4800
    assert known_peaks("NVIDIA L40S") == ({}, None) and known_peaks("AMD EPYC") == ({}, None)


def timing_args(*argv):
    parser = argparse.ArgumentParser(prog="nla-explorer")
    add_timing_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["timing", *argv])


def test_cli_json(capsys, tmp_path):
    csv_path = tmp_path / "out.csv"
    code = run_timing(timing_args("--ops", "matmul,mv", "--sizes", "16,32", "--devices",
                                  "cpu,cuda", "--min-time", "0.01", "--naive",
                                  "--compare-torch", "--csv", str(csv_path), "--json"))
    out = capsys.readouterr()
    assert code == 0
    data = json.loads(out.out)
    assert data["plan"]["ops"] == ["matmul", "mv"] and data["devices"][0]["name"] == "cpu"
    assert len(data["results"]) == 8
    for row in data["results"]:
        if row["device"] == "cpu":
            assert row["status"] == "ok" and row["naive_s"] > 0
            assert row["ratio_vs_torch"] == pytest.approx(row["median_s"] /
                                                          row["torch_median_s"])
    if not torch.cuda.is_available():
        assert "cuda: no CUDA GPU found" in out.err and "reported as skipped" in out.err
    assert len(results_from_csv(csv_path.read_text())) == 8


def test_cli_text_and_list(capsys):
    assert run_timing(timing_args("--sizes", "8", "--devices", "cpu", "--min-time",
                                  "0.01")) == 0
    assert "matmul   float32   cpu     n=8" in capsys.readouterr().out
    assert run_timing(timing_args("--list")) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in OPS) and "bfloat16" in listing


@pytest.mark.parametrize("argv,message", [
    (("--ops", "matmul,gemm"), "unknown op 'gemm'; valid ops: matmul, mv"),
    (("--dtypes", "half"), "unknown dtype 'half'; valid dtypes: float32"),
    (("--devices", "tpu"), "unknown device 'tpu'; valid devices: cpu, cuda"),
    (("--sizes", "big"), "sizes 'big'"),
    (("--min-time", "0"), "min_time"),
])
def test_cli_unknown_names_exit_2_listing_valid_ones(capsys, argv, message):
    assert run_timing(timing_args(*argv)) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_timing_engine_and_cli_run_without_qt():
    script = textwrap.dedent("""
        import sys
        for mod in ("PySide6", "pyqtgraph", "shiboken6"):
            sys.modules[mod] = None
        import argparse
        from nla_explorer.cli.timing import add_timing_parser, run_timing
        p = argparse.ArgumentParser()
        add_timing_parser(p.add_subparsers(dest="command"))
        sys.exit(run_timing(p.parse_args(["timing", "--sizes", "8", "--min-time", "0.01",
                                          "--json"])))
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["results"][0]["status"] == "ok"
