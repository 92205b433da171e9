"""Fixtures of the engine tests."""

from __future__ import annotations

import pytest

from tests.engine.oracle import Oracle


@pytest.fixture(scope="module")
def oracle():
    """Plain Python, the reference for every number, order and error: one child per module."""
    with Oracle() as running:
        yield running
