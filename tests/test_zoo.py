"""Model zoo: shapes, fx-traceability, architecture facts, seeding, errors."""

from __future__ import annotations

import pytest
import torch
import torch.fx

from prunegraph.errors import UsageError
from prunegraph.models.zoo import get_model, list_models

SHAPES = [(1, 28, 28), (1, 8, 8)]


@pytest.mark.parametrize("shape", SHAPES, ids=["28x28", "8x8"])
@pytest.mark.parametrize("name", list_models())
def test_forward_and_fx_trace(name, shape):
    model = get_model(name, num_classes=7, input_shape=shape, rng=0).eval()
    assert model.input_shape == shape
    assert model.zoo_name == name and model.num_classes == 7
    x = torch.randn(3, *shape, generator=torch.Generator().manual_seed(1))
    out = model(x)
    assert out.shape == (3, 7)
    traced = torch.fx.symbolic_trace(model)
    torch.testing.assert_close(traced(x), out)


def test_list_models():
    assert list_models() == sorted(["lenet300", "lenet5", "vgg_small", "resnet_small", "lstm"])


def test_lenet300_architecture():
    m = get_model("lenet300")
    # 784*300+300 + 300*100+100 + 100*10+10, the LeNet-300-100 of Han et al. (266k weights)
    assert sum(p.numel() for p in m.parameters()) == 266_610
    assert [tuple(lin.weight.shape) for lin in (m.fc1, m.fc2, m.fc3)] == [(300, 784), (100, 300), (10, 100)]


def test_lenet5_architecture():
    m = get_model("lenet5")
    assert m.conv1.padding == (2, 2) and m.conv1.kernel_size == (5, 5) and m.conv1.out_channels == 6
    assert m.conv2.out_channels == 16 and m.conv2.padding == (0, 0)
    assert m.fc1.in_features == 16 * 5 * 5  # the classic 400 -> 120 -> 84 -> 10
    assert (m.fc2.in_features, m.fc2.out_features, m.fc3.in_features) == (120, 84, 84)
    small = get_model("lenet5", input_shape=(1, 8, 8))
    assert small.fc1.in_features == 16 * 2 * 2


def test_resnet_has_skip_connections_and_projection():
    m = get_model("resnet_small", input_shape=(1, 8, 8))
    graph = torch.fx.symbolic_trace(m).graph
    adds = [n for n in graph.nodes if n.op == "call_function" and "add" in str(n.target)]
    assert len(adds) == 2  # one residual addition per block
    proj = m.layer2.shortcut[0]
    assert isinstance(proj, torch.nn.Conv2d) and proj.kernel_size == (1, 1) and proj.stride == (2, 2)
    assert isinstance(m.layer1.shortcut, torch.nn.Identity)


def test_resnet_identity_skip_is_real():
    # with the residual branch silenced (bn2 scale 0, shift 0) block 1 must return relu(input)
    block = get_model("resnet_small", input_shape=(1, 8, 8), rng=0).layer1.eval()
    with torch.no_grad():
        block.bn2.weight.zero_()
        block.bn2.bias.zero_()
    x = torch.randn(2, 16, 8, 8)
    torch.testing.assert_close(block(x), torch.relu(x))


def test_lstm_reads_rows():
    m = get_model("lstm", input_shape=(1, 28, 28))
    assert m.lstm.input_size == 28 and m.lstm.batch_first
    # the prediction depends on the last row: changing only it changes the output
    x = torch.zeros(1, 1, 28, 28)
    x2 = x.clone()
    x2[0, 0, -1] = 1.0
    assert not torch.allclose(m(x), m(x2))


def test_rng_is_reproducible_and_leaves_global_state():
    state = torch.get_rng_state()
    a = get_model("lenet5", rng=3)
    b = get_model("lenet5", rng=3)
    c = get_model("lenet5", rng=4)
    assert torch.equal(state, torch.get_rng_state())
    assert torch.equal(a.conv1.weight, b.conv1.weight)
    assert not torch.equal(a.conv1.weight, c.conv1.weight)


@pytest.mark.parametrize("kwargs, match", [
    (dict(name="alexnet"), "unknown model"),
    (dict(name="lenet5", input_shape=(28, 28)), "input_shape"),
    (dict(name="lenet5", input_shape=(1, 2, 2)), "too small"),
    (dict(name="lenet300", input_shape=(1, 0, 3)), "positive"),
    (dict(name="lenet300", num_classes=0), "num_classes"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(UsageError, match=match):
        get_model(**kwargs)
