"""The randomness convention (prunegraph._rng) against numpy's and torch's own seeding."""

import copy

import numpy as np
import pytest
import torch

from prunegraph._rng import _key, as_generator, child, seed_int, torch_generator
from prunegraph.errors import InputError


def test_as_generator_passes_a_generator_through_and_seeds_ints_like_numpy():
    g = np.random.default_rng(5)
    assert as_generator(g) is g
    assert np.array_equal(as_generator(5).random(4), np.random.default_rng(5).random(4))
    assert isinstance(as_generator(None), np.random.Generator)
    assert as_generator(np.int64(5)).random() == np.random.default_rng(5).random()


@pytest.mark.parametrize("bad", [1.5, -1, True, "0", np.random.RandomState(0)])
def test_bad_rng_is_one_input_error(bad):
    with pytest.raises(InputError, match="rng"):
        as_generator(bad)
    with pytest.raises(InputError, match="rng"):
        child(bad, "x")


def test_child_with_int_keys_is_numpys_spawn():
    kids = np.random.SeedSequence(11).spawn(4)
    for i, s in enumerate(kids):
        assert np.array_equal(child(11, i).random(5), np.random.default_rng(s).random(5))
    # nested spawn: spawn_key (2, 1)
    grand = kids[2].spawn(2)[1]
    assert np.array_equal(child(11, 2, 1).random(5), np.random.default_rng(grand).random(5))
    assert np.array_equal(child(11).random(5), np.random.default_rng(11).random(5))


def test_child_string_keys_are_stable_crc32_and_distinct():
    import zlib
    ref = np.random.default_rng(np.random.SeedSequence(3, spawn_key=(zlib.crc32(b"fc1.weight"),)))
    assert np.array_equal(child(3, "fc1.weight").random(5), ref.random(5))
    names = [f"layer{i}" for i in range(50)]
    draws = {float(child(3, n).random()) for n in names}
    assert len(draws) == len(names)
    # children do not depend on order: fc2's stream is the same whether fc1 was drawn first or not
    a = child(3, "fc2").random(3)
    child(3, "fc1").random(100)
    assert np.array_equal(a, child(3, "fc2").random(3))


def test_child_streams_are_statistically_independent():
    # correlation of two sibling streams of 20000 uniforms: |r| < 4/sqrt(n) (a 4-sigma band)
    n = 20000
    x, y = child(0, "a").random(n), child(0, "b").random(n)
    assert abs(np.corrcoef(x, y)[0, 1]) < 4 / np.sqrt(n)


def test_child_of_a_generator_consumes_one_draw_and_follows_its_state():
    g1, g2 = np.random.default_rng(9), np.random.default_rng(9)
    entropy = int(g2.integers(2**63))
    c = child(g1, "x")
    ref = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(_key("x"),)))
    assert np.array_equal(c.random(4), ref.random(4))
    assert g1.random() == g2.random()          # both parents advanced by exactly one draw
    assert not np.array_equal(child(g1, "x").random(4), child(g1, "x").random(4))


def test_seed_int_and_torch_generator_match_the_existing_helpers():
    # continual.growth._torch_generator and continual.config.torch_seed draw integers(2**62)
    assert seed_int(4) == int(np.random.default_rng(4).integers(2**62))
    assert 0 <= seed_int(None) < 2**62
    t = torch.randperm(10, generator=torch_generator(4))
    ref = torch.randperm(10, generator=torch.Generator().manual_seed(int(np.random.default_rng(4).integers(2**62))))
    assert torch.equal(t, ref)
    before = torch.random.get_rng_state()
    torch.rand(3, generator=torch_generator(1))
    assert torch.equal(before, torch.random.get_rng_state())   # global torch seed untouched


def test_analyze_and_get_model_accept_a_generator():
    import prunegraph
    from prunegraph.analysis import analyze
    from prunegraph.models.zoo import get_model

    m = get_model("lenet300", input_shape=(1, 8, 8), rng=np.random.default_rng(1))
    ref = get_model("lenet300", input_shape=(1, 8, 8), rng=seed_int(1))
    assert torch.equal(m.fc1.weight, ref.fc1.weight)
    lin = torch.nn.Linear(40, 30)
    with torch.no_grad():
        lin.weight.mul_(torch.rand(lin.weight.shape, generator=torch_generator(0)) < 0.3)
    net = prunegraph.load(torch.nn.Sequential(lin))
    kw = dict(degree_kinds=["in"], alternatives=["exponential"])
    a = analyze(net, rng=np.random.default_rng(2), **kw)
    b = analyze(net, rng=seed_int(2), **kw)
    assert a.settings["seed"] == seed_int(2) and isinstance(a.settings["seed"], int)
    assert a.to_dict() == b.to_dict()
    assert analyze(net, rng=7, **kw).settings["seed"] == 7      # an int is the seed itself


def test_as_seed_keeps_ints_and_draws_one_seed_from_a_generator():
    from prunegraph._rng import as_seed
    assert as_seed(12) == 12 and as_seed(np.int32(12)) == 12
    assert as_seed(np.random.default_rng(12)) == seed_int(12)
    with pytest.raises(InputError):
        as_seed(-3)


def test_old_seed_helpers_warn_and_equal_rng():
    # the helpers that moved onto prunegraph._rng keep their numbers (issue 11)
    from prunegraph._rng import as_seed
    from prunegraph.continual.config import torch_seed
    from prunegraph.training.train import seed_from

    for rng in (0, 7, np.int64(3)):
        with pytest.warns(DeprecationWarning, match="as_seed"):
            assert seed_from(rng) == as_seed(rng)
    # the formulas the old helpers used, restated literally
    for rng in (0, 7, np.random.default_rng(5)):
        state = copy.deepcopy(rng)
        old = int(rng) if isinstance(rng, int) else int(np.random.default_rng(state).integers(2**62))
        assert as_seed(rng) == old
        old_gen = torch.Generator().manual_seed(int(np.random.default_rng(copy.deepcopy(state)).integers(2**62)))
        assert torch.equal(torch.rand(4, generator=torch_generator(copy.deepcopy(state))),
                           torch.rand(4, generator=old_gen))
    with pytest.warns(DeprecationWarning, match="seed_int"):
        assert torch_seed(np.random.default_rng(5)) == seed_int(np.random.default_rng(5)) == \
            int(np.random.default_rng(5).integers(2**62))


def test_spawn_seeds_is_the_old_bootstrap_seeding():
    from prunegraph._rng import spawn_seeds

    old = np.random.SeedSequence(int(np.random.default_rng(11).integers(2**63))).spawn(5)
    new = spawn_seeds(np.random.default_rng(11), 5)
    for a, b in zip(old, new):
        assert np.array_equal(np.random.default_rng(a).random(3), np.random.default_rng(b).random(3))
    assert np.array_equal(np.random.default_rng(spawn_seeds(4, 3)[1]).random(3), child(4, 1).random(3))
