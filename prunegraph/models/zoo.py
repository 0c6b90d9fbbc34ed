"""Model zoo: the small networks prunegraph trains, prunes and turns into graphs.

Every model

* stores ``self.input_shape`` (the per-sample shape, e.g. ``(1, 28, 28)``), ``self.num_classes``
  and ``self.zoo_name`` so :func:`prunegraph.load` can rebuild and trace it;
* is traceable by :func:`torch.fx.symbolic_trace` (``torch.flatten(x, 1)``, no data-dependent
  control flow, recurrent outputs taken with ``[0]`` rather than tuple unpacking);
* works on 28x28 Fashion-MNIST and on 8x8 scikit-learn digits (``input_shape=(1, 8, 8)``).

Models (module names are the layer names the graph sees):

``lenet300``
    LeNet-300-100 (LeCun et al. 1998; the pruning benchmark of Han et al. 2015): flatten,
    ``fc1`` (300), ``fc2`` (100), ``fc3`` (classes), ReLU between.
``lenet5``
    LeNet-5: ``conv1`` 6@5x5 (padding 2 for inputs smaller than 32), max-pool 2, ``conv2``
    16@5x5 (padding 2 when its input is smaller than 10, e.g. digits), max-pool 2, flatten,
    ``fc1`` 120, ``fc2`` 84, ``fc3`` classes.
``vgg_small``
    Three conv3x3-BN-ReLU blocks (32, 64, 128 channels) each followed by a 2x2 max-pool while
    the feature map is at least 2 pixels wide, global average pool, ``classifier`` Linear.
``resnet_small``
    A small ResNet (He et al. 2016): stem conv 16, one identity BasicBlock (16→16) and one
    down-sampling BasicBlock (16→32, stride 2) with a 1x1 convolution + BN projection
    shortcut, global average pool, ``fc``.
``lstm``
    An LSTM classifier reading an image row by row (sequence length H, input size C·W),
    hidden size 128, ``fc`` on the last hidden state.

Examples
--------
>>> import torch
>>> from prunegraph.models.zoo import get_model, list_models
>>> list_models()
['lenet300', 'lenet5', 'lstm', 'resnet_small', 'vgg_small']
>>> m = get_model("lenet5", input_shape=(1, 8, 8))
>>> m(torch.zeros(2, 1, 8, 8)).shape
torch.Size([2, 10])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from .._rng import as_seed
from ..errors import UsageError

__all__ = ["get_model", "list_models", "ZooModel", "LeNet300", "LeNet5", "VGGSmall", "ResNetSmall",
           "LSTMClassifier"]


def _check_image_shape(name: str, input_shape: tuple[int, ...]) -> tuple[int, int, int]:
    if len(input_shape) != 3:
        raise UsageError(f"model {name!r}: input_shape must be (channels, height, width), "
                         f"got {input_shape}; e.g. input_shape=(1, 28, 28)")
    c, h, w = input_shape
    return c, h, w


class ZooModel(nn.Module):
    """Base of the zoo's models: the attributes a checkpoint records to rebuild and trace one
    (:func:`prunegraph.checkpoint.save_checkpoint`), typed (``nn.Module`` types any other
    attribute as a tensor or a module)."""

    zoo_name: str
    input_shape: tuple[int, ...]
    num_classes: int


class LeNet300(ZooModel):
    """LeNet-300-100: ``x -> flatten -> fc1(300) -> ReLU -> fc2(100) -> ReLU -> fc3``."""

    def __init__(self, *, num_classes: int = 10, input_shape: Sequence[int] = (1, 28, 28)):
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        self.num_classes = int(num_classes)
        self.zoo_name = "lenet300"
        n_in = math.prod(self.input_shape)
        self.fc1 = nn.Linear(n_in, 300)
        self.fc2 = nn.Linear(300, 100)
        self.fc3 = nn.Linear(100, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(x, 1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


class LeNet5(ZooModel):
    """LeNet-5 with max-pooling and ReLU; padding adapted so 28x28 and 8x8 inputs both work."""

    def __init__(self, *, num_classes: int = 10, input_shape: Sequence[int] = (1, 28, 28)):
        super().__init__()
        c, h, w = _check_image_shape("lenet5", tuple(int(s) for s in input_shape))
        self.input_shape = (c, h, w)
        self.num_classes = int(num_classes)
        self.zoo_name = "lenet5"
        pad1 = 2 if min(h, w) < 32 else 0
        h1, w1 = (h + 2 * pad1 - 4) // 2, (w + 2 * pad1 - 4) // 2
        pad2 = 2 if min(h1, w1) < 10 else 0
        h2, w2 = (h1 + 2 * pad2 - 4) // 2, (w1 + 2 * pad2 - 4) // 2
        if h2 < 1 or w2 < 1:
            raise UsageError(f"model 'lenet5': input_shape {self.input_shape} is too small; "
                             "use at least 4x4 images")
        self.conv1 = nn.Conv2d(c, 6, 5, padding=pad1)
        self.conv2 = nn.Conv2d(6, 16, 5, padding=pad2)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(16 * h2 * w2, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


class VGGSmall(ZooModel):
    """Conv3x3-BN-ReLU blocks (32, 64, 128) with max-pools, global average pool, Linear."""

    def __init__(self, *, num_classes: int = 10, input_shape: Sequence[int] = (1, 28, 28),
                 channels: Sequence[int] = (32, 64, 128)):
        super().__init__()
        c, h, w = _check_image_shape("vgg_small", tuple(int(s) for s in input_shape))
        self.input_shape = (c, h, w)
        self.num_classes = int(num_classes)
        self.zoo_name = "vgg_small"
        layers: list[nn.Module] = []
        size = min(h, w)
        prev = c
        for ch in channels:
            layers += [nn.Conv2d(prev, ch, 3, padding=1, bias=False), nn.BatchNorm2d(ch),
                       nn.ReLU(inplace=False)]
            if size >= 2:
                layers.append(nn.MaxPool2d(2))
                size //= 2
            prev = ch
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.features(x))
        x = torch.flatten(x, 1)
        return self.classifier(x)


class BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 conv-BN, identity or 1x1-conv-BN projection shortcut."""

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        if stride != 1 or in_ch != out_ch:
            self.shortcut: nn.Module = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out_ch))
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class ResNetSmall(ZooModel):
    """Stem conv(16) → BasicBlock(16→16) → BasicBlock(16→32, stride 2, projection) → GAP → fc."""

    def __init__(self, *, num_classes: int = 10, input_shape: Sequence[int] = (1, 28, 28)):
        super().__init__()
        c, h, w = _check_image_shape("resnet_small", tuple(int(s) for s in input_shape))
        self.input_shape = (c, h, w)
        self.num_classes = int(num_classes)
        self.zoo_name = "resnet_small"
        self.conv1 = nn.Conv2d(c, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = BasicBlock(16, 16, stride=1)
        self.layer2 = BasicBlock(16, 32, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        x = torch.flatten(self.pool(x), 1)
        return self.fc(x)


class LSTMClassifier(ZooModel):
    """Read the image rows as a sequence (length H, features C·W); classify the last state."""

    def __init__(self, *, num_classes: int = 10, input_shape: Sequence[int] = (1, 28, 28),
                 hidden_size: int = 128):
        super().__init__()
        c, h, w = _check_image_shape("lstm", tuple(int(s) for s in input_shape))
        self.input_shape = (c, h, w)
        self.num_classes = int(num_classes)
        self.zoo_name = "lstm"
        self.lstm = nn.LSTM(c * w, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # [N, C, H, W] -> [N, H, C, W] -> [N, H, C*W]
        seq = torch.flatten(x.permute(0, 2, 1, 3), 2)
        out = self.lstm(seq)[0]
        return self.fc(out[:, -1])


_MODELS: dict[str, Callable[..., ZooModel]] = {
    "lenet300": LeNet300,
    "lenet5": LeNet5,
    "vgg_small": VGGSmall,
    "resnet_small": ResNetSmall,
    "lstm": LSTMClassifier,
}


def list_models() -> list[str]:
    """Names accepted by :func:`get_model`, sorted.

    Examples
    --------
    >>> "lenet300" in list_models()
    True
    """
    return sorted(_MODELS)


def get_model(name: str, *, num_classes: int = 10, input_shape: Sequence[int] = (1, 28, 28),
              rng: np.random.Generator | int | None = None) -> ZooModel:
    """Build a zoo model by name.

    Parameters
    ----------
    name : str
        One of :func:`list_models`.
    num_classes : int
        Output units of the last layer.
    input_shape : sequence of int
        Per-sample input shape ``(C, H, W)``; stored as ``model.input_shape``.
    rng : Generator, int or None
        Seed for the weight initialisation (done under a forked torch RNG so the global state is
        untouched; a Generator gives one seed, :func:`prunegraph._rng.as_seed`); ``None`` uses
        torch's global RNG.

    Returns
    -------
    ZooModel
        A ``torch.nn.Module`` in training mode, on the CPU.

    Examples
    --------
    >>> import torch
    >>> m = get_model("lenet300", input_shape=(1, 8, 8), rng=0)
    >>> m.fc1.weight.shape
    torch.Size([300, 64])
    >>> bool(torch.equal(m.fc1.weight, get_model("lenet300", input_shape=(1, 8, 8), rng=0).fc1.weight))
    True
    """
    if name not in _MODELS:
        raise UsageError(f"unknown model {name!r}; choose one of {', '.join(list_models())}")
    if int(num_classes) < 1:
        raise UsageError(f"num_classes must be >= 1, got {num_classes}")
    try:
        shape = tuple(int(s) for s in input_shape)
    except (TypeError, ValueError):
        raise UsageError(f"input_shape must be a sequence of ints such as (1, 28, 28), "
                         f"got {input_shape!r}") from None
    if not shape or any(s < 1 for s in shape):
        raise UsageError(f"input_shape must hold positive sizes such as (1, 28, 28), got {shape}")
    if rng is None:
        return _MODELS[name](num_classes=int(num_classes), input_shape=shape)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(as_seed(rng))
        return _MODELS[name](num_classes=int(num_classes), input_shape=shape)
