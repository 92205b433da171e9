"""Programs the command-line tests run as Python (plain text: importing this runs nothing)."""

NET = """import torch
from torch import nn
torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(3, 4)
        self.l2 = nn.Linear(4, 1)

    def forward(self, x):
        return self.l2(torch.tanh(self.l1(x)))


net = Net()
opt = torch.optim.SGD(net.parameters(), lr=0.1)
x = torch.randn(5, 3)
y = torch.randn(5, 1)
for step in range(3):
    opt.zero_grad()
    loss = ((net(x) - y) ** 2).mean()
    loss.backward()
    opt.step()
    print(f"step {step}: loss {loss.item():.4f}")
"""
ERROR = """import torch
x = torch.ones(2, requires_grad=True)
y = (x * 2).sum()
print("before")
z = 1 / 0
"""
