"""A snapshot is torch's tensor, copied: the same values, shape and dtype, read-only, and never
changed by what the program does to the tensor afterwards (the fast path for small CPU float
tensors included: it detaches only a tensor that requires grad, and reads the shape from the
copy)."""

import numpy as np
import pytest
import torch

from nla_explorer.engine.tensors import FULL_VALUE_LIMIT, snapshot


def _cases():
    torch.manual_seed(0)
    leaf = torch.randn(3, 4, requires_grad=True)
    return {
        "float32": torch.randn(2, 5),
        "float64": torch.randn(4, dtype=torch.float64),
        "a leaf that requires grad": leaf,
        "an op's output": leaf * 2,
        "transposed": torch.randn(3, 2).t(),
        "expanded": torch.randn(1, 4).expand(3, 4),
        "a scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
        "int64": torch.arange(6).reshape(2, 3),
        "bfloat16": torch.randn(3, dtype=torch.bfloat16),
    }


@pytest.mark.parametrize("name", list(_cases()))
def test_a_snapshot_is_the_tensor_copied(name):
    tensor = _cases()[name]
    data = snapshot(tensor)
    expected = (tensor.detach().float() if tensor.dtype == torch.bfloat16
                else tensor.detach()).numpy().copy()
    assert data.shape == tuple(tensor.shape)
    assert all(type(n) is int for n in data.shape)
    assert data.dtype == str(tensor.dtype).removeprefix("torch.")
    assert data.device == "cpu" and data.summary is None
    np.testing.assert_array_equal(data.values, expected)
    assert data.values.shape == tuple(tensor.shape)
    assert not data.values.flags.writeable
    with torch.no_grad():  # the program changes the tensor afterwards: the snapshot does not
        if tensor.numel() and tensor.is_contiguous():
            tensor.add_(1)
            np.testing.assert_array_equal(data.values, expected)


def test_a_tensor_over_the_limit_keeps_its_summary():
    tensor = torch.arange(FULL_VALUE_LIMIT + 1, dtype=torch.float32)
    data = snapshot(tensor)
    assert data.values is None and data.shape == (FULL_VALUE_LIMIT + 1,)
    assert data.summary["max"] == float(FULL_VALUE_LIMIT)
