"""Course-style programs the README, the screenshots and the tests share (not block examples)."""

#: Double backward: x.grad = 36 x³ (the derivative of Σ (3x²)²), through nodes of order 2.
DOUBLE_BACKWARD = """import torch
torch.manual_seed(0)
x = torch.randn(3, requires_grad=True)
y = (x ** 3).sum()
g, = torch.autograd.grad(y, x, create_graph=True)
z = (g ** 2).sum()
z.backward()
"""
