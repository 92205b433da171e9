"""Honest CPU/GPU timings of linear algebra: devices, clock, operations, sweeps, results."""
