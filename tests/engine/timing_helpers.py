"""Helpers of the timing engine's tests: a changed op for one test, agreement with torch's timer."""

from dataclasses import replace

from nla_explorer.engine.timing.sweep import OPS, measure, torch_reference


def fake_op(monkeypatch, name="matmul", **changes):
    """Replace an op in the catalogue for one test (the catalogue is plain data)."""
    monkeypatch.setitem(OPS, name, replace(OPS[name], **changes))


def agreement(op, size, device, dtype, attempts=3, min_time=0.2):
    """Ratios ours / torch.utils.benchmark, measured back to back; stops at the first close one."""
    ratios = []
    for _ in range(attempts):
        ours = measure(op, size, device, dtype, min_time=min_time)
        assert ours.ok, ours.error
        ratios.append(ours.median_s / torch_reference(op, size, device, dtype, min_time))
        if abs(ratios[-1] - 1) <= 0.1:
            break
    return ratios
