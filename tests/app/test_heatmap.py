"""Heatmap colours of the step cards and edge labels: diverging, centred at zero, pooled."""

import numpy as np

from nla_explorer.drawing.heatmap import diverging_rgb, grid_of, pooled


def test_heatmap_colours_are_diverging_and_centred_at_zero():
    rgb = diverging_rgb(np.array([[-2.0, 0.0, 2.0, np.nan]]))
    blue, white, red, nan = rgb[0]
    assert blue[2] > blue[0] and red[0] > red[2]  # negative blue, positive red
    assert white.min() > 220  # zero is near white
    assert tuple(nan) == (128, 128, 128)
    assert grid_of(np.arange(6.0)).shape == (1, 6)
    assert grid_of(np.zeros((2, 3, 4))).shape == (6, 4)
    big = pooled(np.ones((1000, 70)))
    assert big.shape[0] <= 32 and big.shape[1] <= 32 and np.allclose(big, 1.0)
