"""Custom ``torch.autograd.Function``s of the course, with hand-written backwards."""

from __future__ import annotations

import torch
from torch.autograd import Function


class InverseMatrix(Function):
    """The course's exercise: B = A⁻¹ with the hand-written backward ∂L/∂A = −A⁻ᵀ (∂L/∂B) A⁻ᵀ."""

    @staticmethod
    def forward(ctx, A: torch.Tensor) -> torch.Tensor:
        B = torch.linalg.inv(A)
        ctx.save_for_backward(B)
        return B

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        (B,) = ctx.saved_tensors
        return -B.mT @ grad_output @ B.mT


CUSTOM_FUNCTIONS = {"InverseMatrix": InverseMatrix}
