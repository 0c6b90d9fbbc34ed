"""Degree-only streaming (issue 13, deliverable 4): a streamed checkpoint's layers are counted
block by block (``StreamPlan.iter_degrees``) and must give exactly what building each layer's
matrices gives: the same degree sequences, regular-structure verdicts, random-pruning nulls and
fit JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from prunegraph import load
from prunegraph.analysis import analyze
from prunegraph.degrees import CountedLayer, LayerDegrees
from prunegraph.graph import LazyWeight, matrices
from prunegraph.loading import stream_layers
from prunegraph.nulls import _random_degrees, _random_slots, edge_multiset, random_layer_degrees


def _save_st(sd, path):
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in sd.items()}, str(path))
    return path


def _sparse(gen, *shape, keep=0.3, dtype=torch.float32):
    x = torch.randn(*shape, generator=gen)
    return (x * (torch.rand(*shape, generator=gen) < keep)).to(dtype)


def _nm(gen, rows, cols, n=2, m=4):
    """A 2:4 pattern: in every group of m consecutive inputs exactly n survive."""
    w = torch.randn(rows, cols, generator=gen).abs() + 0.1
    keep = torch.zeros(rows, cols // m, m, dtype=torch.bool)
    idx = torch.argsort(torch.rand(rows, cols // m, m, generator=gen), dim=-1)[..., :n]
    keep.scatter_(-1, idx, True)
    return w * keep.reshape(rows, cols)


def _case(name, gen, tmp_path, dtype):
    if name == "mlp":
        return {"fc1.weight": _sparse(gen, 37, 20, dtype=dtype),
                "fc2.weight": _sparse(gen, 13, 37, dtype=dtype)}
    if name == "conv":  # plain, grouped (16 -> 16, groups=2), transposed (the name tells)
        return {"c1.weight": _sparse(gen, 16, 3, 3, 3, dtype=dtype),
                "c2.weight": _sparse(gen, 16, 8, 3, 3, dtype=dtype),
                "deconv.weight": _sparse(gen, 16, 8, 2, 2, keep=0.2, dtype=dtype)}
    if name == "gpt2":  # embeddings and Conv1D ([in, out]) are read transposed
        return {"wte.weight": _sparse(gen, 29, 12, dtype=dtype),
                "h.0.mlp.c_fc.weight": _sparse(gen, 12, 40, dtype=dtype),
                "h.0.mlp.c_proj.weight": _nm(gen, 12, 40).t().to(dtype),
                "lm_head.weight": _sparse(gen, 29, 12, dtype=dtype)}
    if name == "regular":  # N:M 2:4, near-dense, and a 2:4 mask under prune's _orig/_mask
        dense = torch.randn(24, 32, generator=gen)
        dense[0, :3] = 0.0
        return {"a.weight": _nm(gen, 24, 32).to(dtype), "b.weight": dense.to(dtype),
                "c.weight_orig": torch.randn(16, 24, generator=gen).to(dtype),
                "c.weight_mask": (_nm(gen, 16, 24) != 0).to(dtype)}
    if name == "llama":  # a Llama-shaped sharded HF folder (GQA: o_proj folds heads) in 2 shards
        cfg = {"model_type": "llama", "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 2,
               "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 30}
        (tmp_path / "config.json").write_text(json.dumps(cfg))
        shards = [{"model.embed_tokens.weight": _sparse(gen, 30, 16, dtype=dtype)},
                  {"lm_head.weight": _sparse(gen, 30, 16, dtype=dtype)}]
        for b in range(2):
            p = f"model.layers.{b}."
            shards[b].update({p + "self_attn.q_proj.weight": _sparse(gen, 16, 16, dtype=dtype),
                              p + "self_attn.k_proj.weight": _sparse(gen, 8, 16, dtype=dtype),
                              p + "self_attn.v_proj.weight": _sparse(gen, 8, 16, dtype=dtype),
                              p + "self_attn.o_proj.weight": _sparse(gen, 16, 16, dtype=dtype),
                              p + "mlp.gate_proj.weight": _sparse(gen, 24, 16, dtype=dtype),
                              p + "mlp.up_proj.weight": _sparse(gen, 24, 16, dtype=dtype),
                              p + "mlp.down_proj.weight": _sparse(gen, 16, 24, dtype=dtype)})
        wmap = {}
        for i, sh in enumerate(shards):
            fname = f"model-{i + 1:05d}-of-00002.safetensors"
            _save_st(sh, tmp_path / fname)
            wmap.update({k: fname for k in sh})
        (tmp_path / "model.safetensors.index.json").write_text(json.dumps({"weight_map": wmap}))
        return None
    raise AssertionError(name)


def _checkpoint(name, tmp_path, dtype=torch.bfloat16, seed=0):
    gen = torch.Generator().manual_seed(seed)
    sd = _case(name, gen, tmp_path, dtype)
    return tmp_path if sd is None else _save_st(sd, tmp_path / "m.safetensors")


CASES = ["mlp", "conv", "gpt2", "regular", "llama"]


@pytest.fixture
def small_blocks(monkeypatch):
    """Count 8 raw rows (sum strengths of 1 row) per block, so every layer above spans several blocks."""
    monkeypatch.setattr(matrices, "COUNT_BYTES", 1)
    monkeypatch.setattr(matrices, "STRENGTH_BYTES", 1)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("case", CASES)
def test_counted_degrees_equal_the_built_layers(case, dtype, tmp_path, small_blocks):
    path = _checkpoint(case, tmp_path, dtype)
    plan = stream_layers(path)
    counted = list(plan.iter_degrees())
    assert [c.name for c in counted] == plan.layer_names
    for c, lg in zip(counted, plan):
        assert isinstance(c, CountedLayer)
        assert (c.layer_type, c.in_space, c.out_space, c.in_offset, c.out_offset, c.wiring) == \
               (lg.layer_type, lg.in_space, lg.out_space, lg.in_offset, lg.out_offset, lg.wiring)
        assert np.array_equal(c.in_degree, lg.in_degree) and np.array_equal(c.out_degree, lg.out_degree)
        assert c.in_degree.dtype == np.int64 and c.n_edges == lg.n_edges
        assert c.regular_structure() == lg.regular_structure()


def test_regular_verdicts_are_found_by_counting(tmp_path, small_blocks):
    counted = {c.name: c for c in stream_layers(_checkpoint("regular", tmp_path)).iter_degrees()}
    assert counted["a"].regular_structure() == "N:M semi-structured (2:4)"
    assert counted["b"].regular_structure() == "near-dense (density 0.996)"
    assert counted["c"].regular_structure() == "N:M semi-structured (2:4)"   # mask applied per block
    (tmp_path / "g").mkdir()
    gpt = {c.name: c for c in stream_layers(_checkpoint("gpt2", tmp_path / "g")).iter_degrees()}
    # Conv1D stores [in, out]: the 2:4 groups run along the stored rows
    assert gpt["h.0.mlp.c_proj"].regular_structure() == "N:M semi-structured (2:4)"


def test_counting_reads_one_block_at_a_time():
    """Hand-checked degrees of a 20 x 6 matrix read 8 rows at a time, never the whole tensor."""
    w = torch.zeros(20, 6)
    w[0, :] = 1.0                 # row 0: degree 6
    w[:, 2] = 2.0                 # column 2: in every row
    w[19, 5] = -3.0
    asked = []

    def read(r0, r1):
        asked.append(r1 - r0)
        return w[r0:r1].to(torch.bfloat16)

    lw = LazyWeight("fc.weight", (20, 6), torch.bfloat16, read)
    c = matrices._lazy_counts(lw, "linear", block_bytes=1)
    assert max(asked) == 8 and sum(asked) == 20
    assert c.in_degree.tolist() == [6] + [1] * 18 + [2]
    assert c.out_degree.tolist() == [1, 1, 20, 1, 1, 2] and c.n_edges == 26
    assert c.diagonal is False            # not square: no diagonal asked for


@pytest.mark.parametrize("kind,groups", [("linear", 1), ("conv", 2), ("conv_transpose", 2), ("embedding", 1)])
def test_diagonal_of_square_layouts(kind, groups):
    gen = torch.Generator().manual_seed(3)
    shape = (16, 8, 3) if kind in ("conv", "conv_transpose") else (16, 16)
    w = _sparse(gen, *shape, keep=0.1)
    for with_diag in (False, True):
        built = matrices._lazy_matrices(LazyWeight("x", shape, w.dtype, lambda a, b: w[a:b]), kind, groups=groups)[1]
        d = torch.diagonal(built).clone()
        if with_diag != bool(d.ne(0).any()):  # make the diagonal (un)occupied through the raw weight
            for k in range(16):
                if kind == "linear" or kind == "embedding":
                    w[k, k] = 1.0 if with_diag and k == 5 else 0.0
                else:
                    w[k, k % 8] = torch.tensor([1.0, 0.0, 0.0]) if with_diag and k == 5 else 0.0
            built = matrices._lazy_matrices(LazyWeight("x", shape, w.dtype, lambda a, b: w[a:b]), kind,
                                            groups=groups)[1]
        c = matrices._lazy_counts(LazyWeight("x", shape, w.dtype, lambda a, b: w[a:b]), kind, groups=groups,
                                  block_bytes=1)
        assert c.diagonal == bool(torch.diagonal(built).ne(0).any()) == with_diag


@pytest.mark.parametrize("n_out,n_in,m,loops", [(7, 9, 20, True), (12, 12, 50, False), (5, 5, 0, True),
                                                (40, 300, 6000, True), (30, 30, 870, False)])
def test_null_degrees_equal_the_drawn_slots(n_out, n_in, m, loops):
    k_in, k_out = _random_degrees(n_out, n_in, m, np.random.default_rng(11), loops=loops)
    slots = _random_slots(n_out, n_in, m, np.random.default_rng(11), loops=loops)
    assert np.array_equal(k_in, np.bincount(slots // n_in, minlength=n_out))
    assert np.array_equal(k_out, np.bincount(slots % n_in, minlength=n_in))
    assert k_in.sum() == m and (loops or n_out != n_in or not np.any(slots // n_in == slots % n_in))


@pytest.mark.parametrize("case", ["mlp", "llama"])
def test_counted_null_equals_the_weighted_null(case, tmp_path):
    plan = stream_layers(_checkpoint(case, tmp_path))
    for c, lg in zip(plan.iter_degrees(), plan):
        ms = edge_multiset(c)
        assert ms.weights is None and ms.n_edges == lg.n_edges
        a, b = random_layer_degrees(c, rng=5), random_layer_degrees(lg, rng=5)
        assert isinstance(a, LayerDegrees)
        assert np.array_equal(a.in_degree, b.in_degree) and np.array_equal(a.out_degree, b.out_degree)


@pytest.mark.parametrize("case", ["llama", "conv", "regular"])
def test_fit_json_identical_to_the_built_path(case, tmp_path, small_blocks):
    """Streamed + counted (degree kinds) gives the JSON that the fully loaded network gives."""
    path = _checkpoint(case, tmp_path)
    opts = dict(degree_kinds=["in", "out", "total"], scope="both", bootstrap=3, alternatives=["exponential"], rng=4)
    streamed = analyze(stream_layers(path), **opts).to_dict()
    loaded = analyze(load(path), **opts).to_dict()
    assert json.dumps(streamed, sort_keys=True) == json.dumps(loaded, sort_keys=True)
    assert any(r["observed"]["fit"] for r in streamed["results"]) or case != "llama"


def test_strength_kinds_stream_without_building(tmp_path, monkeypatch):
    """Strength kinds are summed block by block too: no layer is ever built, and the fit JSON
    equals the built path's (bf16 weights: the float32 sums of the built path are exact here)."""
    from prunegraph.graph import stream as stream_mod

    path = _checkpoint("mlp", tmp_path)
    ref = analyze(load(path), degree_kinds=["in", "strength"], null=True, alternatives=[])

    def no_build(self):
        raise AssertionError(f"layer {self.name} was built")

    monkeypatch.setattr(stream_mod._LayerSpec, "build", no_build)
    res = analyze(stream_layers(path), degree_kinds=["in", "strength"], null=True, alternatives=[])
    assert {r.degree_kind for r in res.results} == {"in", "strength"}
    assert json.dumps(res.to_dict(), sort_keys=True) == json.dumps(ref.to_dict(), sort_keys=True)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("case", CASES)
def test_streamed_strengths_equal_the_built_layers(case, dtype, tmp_path, small_blocks):
    """Strengths summed in float64 block by block equal the float64 sums of the built unit matrix
    (the built path's float32 sums agree to float32 rounding); the edges kept for the weighted
    null are the built layer's multiset in the same order, so the seeded null is the same."""
    plan = stream_layers(_checkpoint(case, tmp_path, dtype))
    for c, lg in zip(plan.iter_degrees(strengths=True, edges=True), plan):
        exact_in, exact_out = lg.weight.double().sum(1).numpy(), lg.weight.double().sum(0).numpy()
        np.testing.assert_allclose(c.in_strength, exact_in, rtol=1e-12, atol=0)
        np.testing.assert_allclose(c.out_strength, exact_out, rtol=1e-12, atol=0)
        np.testing.assert_allclose(c.in_strength, lg.in_strength, rtol=1e-5)
        np.testing.assert_allclose(c.out_strength, lg.out_strength, rtol=1e-5)
        assert c.in_strength.dtype == np.float64 and np.array_equal(c.in_degree, lg.in_degree)
        a, b = edge_multiset(c), edge_multiset(lg)
        assert torch.equal(a.weights, b.weights) and torch.equal(a.multiplicity, b.multiplicity)
        assert a.loops == b.loops
        x, y = random_layer_degrees(c, rng=3), random_layer_degrees(lg, rng=3)
        assert np.array_equal(x.in_strength, y.in_strength) and np.array_equal(x.out_degree, y.out_degree)
    # without edges nothing per edge is kept
    assert all(c.edge_weights is None and c.in_strength is not None for c in plan.iter_degrees(strengths=True))


def test_strengths_read_one_block_at_a_time():
    """Hand-checked strengths of a 20 x 6 matrix read 8 rows at a time, never the whole tensor."""
    w = torch.zeros(20, 6)
    w[0, :] = 1.0                 # row 0: strength 6
    w[:, 2] = -2.0                # column 2: 2 in every row
    w[19, 5] = 3.0
    asked = []

    def read(r0, r1):
        asked.append(r1 - r0)
        return w[r0:r1]

    lw = LazyWeight("fc.weight", (20, 6), torch.float32, read)
    c = matrices._lazy_counts(lw, "linear", block_bytes=1)
    asked.clear()
    st = matrices._lazy_strengths(lw, "linear", c, edges=True, block_bytes=1)
    assert max(asked) == 1 and sum(asked) == 20
    assert st.in_strength.tolist() == [7.0] + [2.0] * 18 + [5.0]
    assert st.out_strength.tolist() == [1.0, 1.0, 40.0, 1.0, 1.0, 4.0]
    assert st.weights.tolist() == [1.0, 1.0, 2.0, 1.0, 1.0, 1.0] + [2.0] * 18 + [2.0, 3.0]
    # stored [in, out] (Conv1D): the same layer read transposed, edges in the unit matrix's row order
    lt = LazyWeight("c_fc.weight", (6, 20), torch.float32, lambda a, b: w.t()[a:b])
    t = matrices._lazy_strengths(lt, "linear_t", matrices._lazy_counts(lt, "linear_t"), edges=True, block_bytes=1)
    assert t.in_strength.tolist() == st.in_strength.tolist() and t.weights.tolist() == st.weights.tolist()


@pytest.mark.parametrize("case", ["conv", "mlp"])
def test_raw_nonzero_counts_the_folded_entries(case, tmp_path, small_blocks):
    plan = stream_layers(_checkpoint(case, tmp_path))
    for c, lg in zip(plan.iter_degrees(), plan):
        assert c.raw_nonzero == int(lg.multiplicity.sum()) and (c.param, c.binary) == (lg.param, lg.binary)


class _Mask(torch.nn.Module):
    """A masking parametrization (as torch.ao.pruning registers before squash_mask)."""

    def __init__(self, mask):
        super().__init__()
        self.register_buffer("mask", mask)

    def forward(self, w):
        return w * self.mask


class _Scale(torch.nn.Module):
    """A parametrization a state_dict cannot apply (its own parameter)."""

    def __init__(self):
        super().__init__()
        self.s = torch.nn.Parameter(torch.tensor(2.0))

    def forward(self, w):
        return w * self.s


def _parametrized_checkpoint(tmp_path, dtype):
    """Linear layers under weight_norm (dim 0 and dim 1), a mask parametrization and the old
    weight_norm (W_g / W_v), saved as safetensors."""
    import warnings

    from torch import nn
    from torch.nn.utils import parametrize

    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(12, 40, bias=False), nn.ReLU(), nn.Linear(40, 16, bias=False), nn.ReLU(),
                      nn.Linear(16, 24, bias=False), nn.ReLU(), nn.Linear(24, 5, bias=False))
    with torch.no_grad():
        for layer in m[::2]:
            layer.weight.mul_(torch.rand_like(layer.weight) > 0.5)
    nn.utils.parametrizations.weight_norm(m[0])          # g [40, 1]: row by row
    nn.utils.parametrizations.weight_norm(m[2], dim=1)   # g [1, 40]: norms over rows, read whole
    parametrize.register_parametrization(m[4], "weight", _Mask((torch.rand(24, 16) > 0.3).float()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        nn.utils.weight_norm(m[6])                       # weight_g / weight_v
    sd = {k: v.detach().to(dtype) for k, v in m.state_dict().items()}
    return _save_st(sd, tmp_path / "m.safetensors")


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_parametrizations_stream_like_the_whole_load(tmp_path, monkeypatch, dtype):
    monkeypatch.setattr(matrices, "COUNT_BYTES", 1)      # several blocks per layer
    monkeypatch.setattr(matrices, "CHUNK_BYTES", 64)
    path = _parametrized_checkpoint(tmp_path, dtype)
    plan, net = stream_layers(path), load(path)
    assert plan.layer_names == [lg.name for lg in net.layers] == ["0", "2", "4", "6"]
    for built, lg in zip(plan, net.layers):
        assert torch.equal(built.weight, lg.weight) and torch.equal(built.multiplicity, lg.multiplicity)
    for c, lg in zip(plan.iter_degrees(strengths=True), net.layers):
        assert np.array_equal(c.in_degree, lg.in_degree) and np.array_equal(c.out_degree, lg.out_degree)
        np.testing.assert_allclose(c.in_strength, lg.weight.double().sum(1).numpy(), rtol=1e-12)
    opts = dict(degree_kinds=["in", "out"], bootstrap=0, alternatives=[], null=False, rng=1)
    assert json.dumps(analyze(plan, **opts).to_dict(), sort_keys=True) == \
        json.dumps(analyze(net, **opts).to_dict(), sort_keys=True)


def test_unknown_parametrization_streams_its_original_with_one_warning(tmp_path):
    from torch import nn
    from torch.nn.utils import parametrize

    lin = nn.Linear(6, 4, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 0, 0, 2, 0, 0]] * 4))
    parametrize.register_parametrization(lin, "weight", _Scale())
    path = _save_st({f"fc.{k}": v.detach() for k, v in lin.state_dict().items()}, tmp_path / "s.safetensors")
    with pytest.warns(UserWarning, match="fc.weight has a parametrization") as rec:
        plan = stream_layers(path)
        lg = next(iter(plan))
    assert len([w for w in rec if "parametrization" in str(w.message)]) == 1
    assert plan.layer_names == ["fc"] and lg.in_degree.tolist() == [2, 2, 2, 2]
    assert lg.weight.tolist() == [[1.0, 0, 0, 2, 0, 0]] * 4   # the stored original, not scaled


@pytest.mark.parametrize("n_out,n_in,m,loops", [(7, 9, 20, True), (12, 12, 50, False), (5, 5, 0, True),
                                                (2100, 4000, 4_300_000, True)])
def test_weighted_null_equals_the_literal_draw(n_out, n_in, m, loops):
    """random_layer_degrees holds only columns and the permutation and sums weights in chunks of
    4M edges; it equals the literal draw: slots, then the permutation of the weights over them."""
    from prunegraph.degrees import LayerInfo
    from prunegraph.nulls import EdgeMultiset

    gen = torch.Generator().manual_seed(0)
    weights = torch.rand(m, generator=gen) + 0.5
    ms = EdgeMultiset(**LayerInfo("fc", "linear", "a", "a" if not loops else "b", 0, 0, n_in, n_out).__dict__,
                      weights=weights, multiplicity=torch.ones(m, dtype=torch.int32), loops=loops)
    got = random_layer_degrees(ms, rng=11)
    g = np.random.default_rng(11)
    slots = _random_slots(n_out, n_in, m, g, loops=loops)
    w = weights[torch.from_numpy(g.permutation(m))].double().numpy()
    rows, cols = slots // n_in, slots % n_in
    assert np.array_equal(got.in_degree, np.bincount(rows, minlength=n_out))
    assert np.array_equal(got.out_degree, np.bincount(cols, minlength=n_in))
    np.testing.assert_allclose(got.in_strength, np.bincount(rows, weights=w, minlength=n_out), rtol=1e-12)
    np.testing.assert_allclose(got.out_strength, np.bincount(cols, weights=w, minlength=n_in), rtol=1e-12)
    assert loops or not np.any(rows == cols)
