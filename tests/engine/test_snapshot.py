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


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_sparse_tensor_is_snapshotted_dense_when_small_and_by_shape_when_huge():
    """A program's sparse tensor (saved by torch.sparse.mm) made capture fail with numpy's
    TypeError; a huge one must not be made dense (10¹⁰ elements)."""
    small = torch.sparse_coo_tensor(torch.tensor([[0, 1], [1, 0]]), torch.tensor([1.0, 2.0]),
                                    (2, 2))
    data = snapshot(small)
    np.testing.assert_array_equal(data.values, small.to_dense().numpy())
    assert data.shape == (2, 2) and data.dtype == "float32"
    huge = torch.sparse_coo_tensor(torch.tensor([[0], [0]]), torch.tensor([1.0]),
                                   (100_000, 100_000))
    data = snapshot(huge)
    assert data.shape == (100_000, 100_000) and data.values is None


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_graph_through_a_sparse_matmul_is_captured_and_traced_as_torch_runs_it():
    from nla_explorer.engine.recording import capture_tensor

    torch.manual_seed(0)
    sparse = torch.sparse_coo_tensor(torch.tensor([[0, 1, 2], [1, 0, 2]]),
                                     torch.tensor([1.0, 2.0, -1.0]), (3, 3))
    x = torch.randn(3, 2, requires_grad=True)
    y = (torch.sparse.mm(sparse, x) ** 2).sum()
    cap = capture_tensor(y)
    assert "SparseAddmmBackward0" in [n.op for n in cap.graph.nodes]
    (expected,) = torch.autograd.grad(y, [x])
    leaf = next(n for n in cap.graph.nodes if n.op == "AccumulateGrad")
    step = next(s for s in cap.trace.steps if s.node_id == leaf.id)
    torch.testing.assert_close(step.grad_output_tensors[0], expected, rtol=0, atol=0)
