"""Custom ``torch.autograd.Function``s of the course, with hand-written backwards.

Each class is written as the course's notebook writes it (its exercise solved), because its text is
also what the code form writes for its block and what it recognises in pasted code
(:mod:`nla_explorer.engine.code.course_classes`): code that uses the block is plain Python.
"""

from __future__ import annotations

import torch
from torch.autograd import Function


class InverseMatrix(Function):
    """A Function class for computing the inverse matrix, and its gradient."""

    @staticmethod
    def forward(ctx, A):
        """Compute the inverse of matrix A"""
        B = torch.linalg.inv(A)
        ctx.save_for_backward(B)
        return B

    @staticmethod
    def backward(ctx, grad_output):
        """Compute the gradient of the loss with respect to A: -A^-T grad_output A^-T."""
        B, = ctx.saved_tensors
        return -B.mT @ grad_output @ B.mT


CUSTOM_FUNCTIONS = {"InverseMatrix": InverseMatrix}
