"""Autograd graphs of known size for the benchmarks: each builder returns (output, names)."""

from __future__ import annotations

import torch


def quadratic():
    """f = ½ xᵀAx − bᵀx with n = 5 (9 nodes)."""
    g = torch.Generator().manual_seed(0)
    A = torch.randn(5, 5, generator=g, requires_grad=True)
    x = torch.randn(5, generator=g, requires_grad=True)
    b = torch.randn(5, generator=g)
    return 0.5 * x @ A @ x - b @ x, {"A": A, "x": x, "b": b}


class _Block(torch.nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.c1, self.b1 = torch.nn.Conv2d(c, c, 3, padding=1), torch.nn.BatchNorm2d(c)
        self.c2, self.b2 = torch.nn.Conv2d(c, c, 3, padding=1), torch.nn.BatchNorm2d(c)

    def forward(self, x):
        return torch.relu(x + self.b2(self.c2(torch.relu(self.b1(self.c1(x))))))


def resnet():
    """A ResNet-like conv net from plain torch.nn: stem, 22 residual blocks, linear head (~350)."""
    torch.manual_seed(0)
    c = 8
    net = torch.nn.Sequential(torch.nn.Conv2d(3, c, 3, padding=1), torch.nn.BatchNorm2d(c),
                              torch.nn.ReLU(), *[_Block(c) for _ in range(22)],
                              torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                              torch.nn.Linear(c, 10))
    return net(torch.randn(2, 3, 8, 8)).sum(), dict(net.named_parameters())


def transformer(layers: int = 48):
    """A training-mode TransformerEncoder (d_model 32): ~2,700 nodes at 48 layers."""
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True)
    model = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False).train()
    src = torch.randn(2, 8, 32, generator=torch.Generator().manual_seed(1))
    return model(src).sum(), dict(model.named_parameters())


def lstm(steps: int):
    """An LSTMCell (8 → 16) unrolled ``steps`` times: ~15 nodes per step, many long edges."""
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(8, 16)
    seq = torch.randn(steps, 1, 8, generator=torch.Generator().manual_seed(1))
    h, c = torch.zeros(1, 16), torch.zeros(1, 16)
    for t in range(steps):
        h, c = cell(seq[t], (h, c))
    return h.sum(), dict(cell.named_parameters())


WORKLOADS = {
    "quadratic": quadratic,
    "resnet": resnet,
    "transformer48": transformer,
    "lstm100": lambda: lstm(100),
    "lstm1000": lambda: lstm(1_000),
    "lstm5000": lambda: lstm(5_000),
}
