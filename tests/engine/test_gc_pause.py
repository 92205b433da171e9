"""A recording that held back full collections leaves none due over its long-lived objects."""

from __future__ import annotations

import gc

import torch

import nla_explorer


def _forward(steps: int) -> torch.Tensor:
    x = torch.randn(3, requires_grad=True)
    y = x
    for _ in range(steps):
        y = (y * 1.01).sin()
    return y.sum()


def test_a_recording_that_held_back_a_full_collection_freezes_what_exists():
    before = gc.get_threshold()
    gc.unfreeze()
    gc.collect()
    try:
        gc.set_threshold(50, 1, 1)  # a full collection due after every second young one
        with nla_explorer.recording():
            y = _forward(200)
            held = gc.get_count()[2]
        assert held > 1  # (the test's premise: full collections were held back)
        assert gc.get_threshold() == (50, 1, 1)
        assert gc.get_freeze_count() > 0
        assert y.grad_fn is not None
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_a_short_recording_freezes_nothing():
    gc.unfreeze()
    gc.collect()
    with nla_explorer.recording():
        y = _forward(3)
    assert gc.get_freeze_count() == 0 and y.grad_fn is not None
