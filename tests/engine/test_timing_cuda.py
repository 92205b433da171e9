"""The timing engine on a CUDA device (skipped without one, by the ``gpu`` marker's conftest):
synchronised against naive times, torch.utils.benchmark, half precision, out of memory, cancel."""

import time

import pytest
import torch

from nla_explorer.engine.timing.sweep import TimingCancelled, available_devices, measure
from tests.engine.timing_helpers import agreement, fake_op


@pytest.mark.gpu
def test_cuda_synchronised_time_far_exceeds_the_naive_one():
    r = measure("matmul", 4096, "cuda", "float32", naive=True, transfer=True)
    assert r.ok, r.error
    # 2·4096³ flops take milliseconds; launching the kernel takes microseconds
    assert r.median_s > 1e-3 and r.median_s > 10 * r.naive_s, r
    assert r.transfer_s > 0
    peak = dict(available_devices()[1].peaks).get("float32")
    if peak:
        assert r.gflops < 1.1 * peak


@pytest.mark.gpu
@pytest.mark.parametrize("size,dtype", [(1024, "float32"), (4096, "float32"),
                                        (4096, "bfloat16")])
def test_cuda_agrees_with_torch_benchmark(size, dtype):
    ratios = agreement("matmul", size, "cuda", dtype)
    assert any(abs(r - 1) <= 0.1 for r in ratios), ratios


@pytest.mark.gpu
def test_cuda_half_precision_is_supported_and_faster():
    f32 = measure("matmul", 4096, "cuda", "float32")
    for dtype in ("bfloat16", "float16"):
        r = measure("matmul", 4096, "cuda", dtype)
        assert r.ok, r.error
        assert r.gflops > f32.gflops
    assert measure("solve", 256, "cuda", "bfloat16").status == "skipped"


@pytest.mark.gpu
def test_cuda_out_of_memory_is_caught_and_freed(monkeypatch):
    too_big = measure("matmul", 10 ** 6, "cuda", "float32")
    assert too_big.status == "skipped" and "too big" in too_big.error
    before = torch.cuda.memory_allocated()
    fake_op(monkeypatch, memory=lambda n, s: 0.0)  # defeat the estimate: really allocate
    r = measure("matmul", 300_000, "cuda", "float32")
    assert r.status == "failed" and "out of memory" in r.error
    assert torch.cuda.memory_allocated() == before
    assert measure("matmul", 256, "cuda", "float32", min_time=0.05).ok


@pytest.mark.gpu
def test_cuda_cancel_while_a_kernel_runs():
    """The cancel is answered without waiting for the kernel in flight (how soon:
    benchmarks/bench_timing.py, cancel_latency_s)."""
    stream, start = torch.cuda.current_stream(), time.perf_counter()

    def cancel():  # after the warm-up, and only while a kernel runs
        return time.perf_counter() - start > 0.5 and not stream.query()

    with pytest.raises(TimingCancelled):
        measure("matmul", 16384, "cuda", "float64", min_time=30, cancel=cancel)
    assert not stream.query()  # the kernel it was waiting for still runs
    torch.cuda.synchronize()
