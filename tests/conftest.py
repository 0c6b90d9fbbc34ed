"""Shared fixtures: tiny networks with hand-checked weights and a seeded random pruner."""

from __future__ import annotations

import pytest
import torch
from torch import nn

torch.set_num_threads(1)


class MLP342(nn.Module):
    """3-4-2 MLP with hand-written weights (zeros are pruned edges).

    fc1 (4x3): unit 3 of the hidden layer is dead (row of zeros); input 2 feeds only hidden 0.
    fc2 (2x4): output 1 reads only hidden 1.
    """

    input_shape = (3,)

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.fc2 = nn.Linear(4, 2)
        with torch.no_grad():
            self.fc1.weight.copy_(torch.tensor([[1.0, -2.0, 0.5],
                                                [0.0, 3.0, 0.0],
                                                [-1.0, 0.0, 0.0],
                                                [0.0, 0.0, 0.0]]))
            self.fc2.weight.copy_(torch.tensor([[2.0, 0.0, -1.0, 0.0],
                                                [0.0, 4.0, 0.0, 0.0]]))

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


@pytest.fixture
def mlp342() -> MLP342:
    return MLP342()


def _random_prune(model: nn.Module, density: float = 0.3, seed: int = 0) -> nn.Module:
    """Zero each weight (ndim >= 2) independently with probability 1 - density, in place."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _name, p in model.named_parameters():
            if p.ndim >= 2:
                keep = torch.rand(p.shape, generator=g) < density
                p.mul_(keep)
    return model


@pytest.fixture
def random_prune():
    """``random_prune(model, density=0.3, seed=0)``: seeded in-place random pruning."""
    return _random_prune
