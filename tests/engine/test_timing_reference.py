"""Reference runs: sweeps measured on a GPU machine, shipped for machines without one. A file
is one when its header says on what device it was measured; its rows say so as their source,
so speed-up and crossover come from its own CPU and GPU rows."""

from pathlib import Path

from nla_explorer.engine.timing.reference import (
    ReferenceRun, as_reference, header_facts, reference_runs, reference_source,
)
from nla_explorer.engine.timing.results import (
    TimingResult, crossover, load_results_csv, results_to_csv, speedup,
)

FACTS = {"date": "2026-12-04", "torch": "2.13.0+cu130", "cuda": "13.0",
         "device_name": "NVIDIA H200"}


def _sweep() -> str:
    rows = []
    for n in (64, 256, 1024, 4096):  # CPU: 1 TFLOP/s + 2 µs; GPU: 50 TFLOP/s + 10 µs
        for device, rate, overhead in (("cpu", 1e12, 2e-6), ("cuda", 50e12, 1e-5)):
            rows.append(TimingResult("matmul", n, device, "float32",
                                     median_s=overhead + 2 * n ** 3 / rate))
    return results_to_csv(rows)


def test_a_reference_run_says_where_it_was_measured_and_reads_back(tmp_path):
    path = tmp_path / "h200.csv"
    path.write_text(as_reference(_sweep(), FACTS))
    (run,) = reference_runs(tmp_path)
    assert run == ReferenceRun(path, FACTS)
    assert run.summary == "NVIDIA H200 · torch 2.13.0+cu130 · CUDA 13.0 · 2026-12-04"
    results = load_results_csv(path)
    assert {r.source for r in results} == {"NVIDIA H200 (reference run, not this machine)"}
    assert reference_source(FACTS) == results[0].source
    assert [round(s, 1) for _, s in speedup(results, "matmul", "float32", "cuda")] == [
        0.3, 3.3, 40.6, 49.8]
    assert crossover(results, "matmul", "float32", "cuda") == 256


def test_only_files_that_say_their_device_are_reference_runs(tmp_path):
    (tmp_path / "plain.csv").write_text(_sweep())  # a sweep, but from where?
    (tmp_path / "notes.txt").write_text("# device_name: NVIDIA H200\n")
    (tmp_path / "b.csv").write_text(as_reference(_sweep(), {**FACTS, "date": "2026-12-05"}))
    (tmp_path / "a.csv").write_text(as_reference(_sweep(), FACTS))
    assert [r.path.name for r in reference_runs(tmp_path)] == ["a.csv", "b.csv"]
    assert reference_runs(tmp_path / "missing") == []
    assert header_facts("\ufeff# a: 1\n#b : two: three\nop,size\n# c: 3\n") == {
        "a": "1", "b": "two: three"}
    assert ReferenceRun(Path("x.csv"), {}).summary == "a GPU"
