"""Limits that hold in the timing engine: a size too slow for the per-call limit is skipped
before anything of its size is made (also the first and only size of a sweep), and a case whose
repeats run past the limit stops early and says so."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import pytest
import torch

from nla_explorer.cli.timing import add_timing_parser, run_timing
from nla_explorer.engine.timing.clock import BlockClock, Rate, calibrate
from nla_explorer.engine.timing.sweep import (
    MIN_BLOCKS, OPS, SweepPlan, TimingInputError, measure, sweep,
)


def fake_op(monkeypatch, name="matmul", **changes):
    monkeypatch.setitem(OPS, name, replace(OPS[name], **changes))


@pytest.fixture
def made_sizes(monkeypatch):
    """The sizes whose inputs matmul's setup was asked to make."""
    sizes, real = [], OPS["matmul"].setup

    def setup(n, device, dtype):
        sizes.append(n)
        return real(n, device, dtype)
    fake_op(monkeypatch, setup=setup)
    return sizes


def timing(capsys, *argv):
    parser = argparse.ArgumentParser(prog="nla-explorer")
    add_timing_parser(parser.add_subparsers(dest="command"))
    began = time.monotonic()
    code = run_timing(parser.parse_args(["timing", *argv, "--devices", "cpu", "--json"]))
    elapsed = time.monotonic() - began
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)["results"], elapsed


@pytest.mark.parametrize("argv", [("--sizes", "32768"), ("--sizes", "20000", "--max-call-time",
                                                          "2")])
def test_a_single_huge_size_is_skipped_within_seconds(capsys, made_sizes, argv):
    results, elapsed = timing(capsys, *argv)
    assert [r["status"] for r in results] == ["skipped"]
    assert "too slow" in results[0]["error"] or "too big" in results[0]["error"]
    assert elapsed < 15
    assert all(n <= 4096 for n in made_sizes), made_sizes  # only small calibration inputs


def test_measure_alone_estimates_before_making_the_inputs(made_sizes):
    began = time.monotonic()
    r = measure("matmul", 30000, "cpu", "float32", max_call_s=1.0)
    assert r.status == "skipped" and r.error.startswith("too slow: one call would take about")
    assert "over the limit of 1 s per call" in r.error
    assert time.monotonic() - began < 10 and max(made_sizes) <= 4096


def test_the_estimate_counts_making_the_inputs(monkeypatch):
    """A cheap call with slow inputs (2 µs per element): refused for the inputs' sake."""
    def slow_setup(n, device, dtype):
        time.sleep(n * n * 2e-6)
        return (torch.zeros(1, dtype=dtype),)
    fake_op(monkeypatch, "relu", setup=slow_setup)
    began = time.monotonic()
    r = measure("relu", 4096, "cpu", "float32", max_call_s=1.0)
    assert r.status == "skipped" and "making its inputs would take about" in r.error, r
    assert time.monotonic() - began < 5


def test_one_calibration_serves_the_later_sizes_of_a_sweep(made_sizes):
    results = list(sweep(SweepPlan(ops=["matmul"], sizes=[30000, 40000, 50000],
                                   max_call_s=1.0)))
    assert [r.status for r in results] == ["skipped"] * 3
    assert made_sizes.count(128) == 1  # the calibration ran once, for 30000


def test_repeats_past_the_limit_stop_early_with_what_was_measured(monkeypatch):
    fake_op(monkeypatch, call=lambda a, b: time.sleep(0.25))
    began = time.monotonic()
    r = measure("matmul", 8, min_time=0.01, max_call_s=0.3)
    elapsed = time.monotonic() - began
    assert r.ok and 1 <= r.repeats < MIN_BLOCKS
    assert r.median_s == pytest.approx(0.25, abs=0.1)
    assert "stopped after" in r.note and "limit of 0.3 s" in r.note
    assert elapsed < 0.25 * (3 + MIN_BLOCKS)  # warm-up, second warm-up, fewer than 3 repeats


def test_without_a_limit_the_repeats_are_as_before(monkeypatch):
    fake_op(monkeypatch, call=lambda a, b: time.sleep(0.05))
    r = measure("matmul", 8, min_time=0.01)
    assert r.ok and r.repeats == MIN_BLOCKS and r.note == ""


def test_min_time_above_the_limit_is_honoured(monkeypatch):
    fake_op(monkeypatch, call=lambda a, b: time.sleep(0.02))
    r = measure("matmul", 8, min_time=0.3, max_call_s=0.05)
    assert r.ok and r.repeats * 0.02 >= 0.25 and r.note == ""


def test_a_first_call_over_the_limit_is_not_repeated(monkeypatch):
    calls = []
    fake_op(monkeypatch, call=lambda a, b: calls.append(time.sleep(0.3)))
    r = measure("matmul", 8, min_time=0.01, max_call_s=0.1)
    assert r.ok and len(calls) == 1 and "one cold run" in r.note


def test_calibration_is_cheap_and_stays_small():
    clock = BlockClock(torch.device("cpu"))
    began = time.monotonic()
    rate = calibrate(OPS["matmul"], 20000, torch.float32, clock, step_s=0.5)
    assert time.monotonic() - began < 5
    assert isinstance(rate, Rate) and rate.work_per_s > 0 and rate.setup_bytes_per_s > 0
    assert 128 <= rate.size <= 4096


def test_sizes_and_devices_beyond_reason_are_input_errors():
    with pytest.raises(TimingInputError, match="over the largest"):
        SweepPlan(ops=["matmul"], sizes=[10 ** 9])
    with pytest.raises(Exception, match="index is over"):
        SweepPlan(ops=["matmul"], sizes=[8], devices=["cuda:300"])
