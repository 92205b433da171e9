"""The window on the course's first example at projector size and on a full-HD screen."""

from __future__ import annotations

import pytest

from tests.app.approved import assert_looks_approved, settled


@pytest.mark.parametrize("width, height", [(1280, 720), (1920, 1080)])
def test_the_quadratic_example_at_screen_size(window, qtbot, width, height):
    window.load_example("quadratic")
    window.resize(width, height)
    qtbot.waitUntil(lambda: not window.graph_pane.busy(), timeout=5000)
    qtbot.wait(100)
    assert (window.width(), window.height()) == (width, height)  # the window fits the screen
    assert_looks_approved(settled(window), f"window_quadratic_{width}x{height}")
