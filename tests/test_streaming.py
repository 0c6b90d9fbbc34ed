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
    """Count 8 raw rows per block, so every layer above spans several blocks."""
    monkeypatch.setattr(matrices, "COUNT_BYTES", 1)


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


def test_strength_kinds_still_build_the_layer(tmp_path):
    plan = stream_layers(_checkpoint("mlp", tmp_path))
    res = analyze(plan, degree_kinds=["in", "strength"], null=True, alternatives=[])
    assert {r.degree_kind for r in res.results} == {"in", "strength"}
    ref = analyze(load(tmp_path / "m.safetensors"), degree_kinds=["in", "strength"], null=True, alternatives=[])
    assert json.dumps(res.to_dict(), sort_keys=True) == json.dumps(ref.to_dict(), sort_keys=True)


@pytest.mark.parametrize("case", ["conv", "mlp"])
def test_raw_nonzero_counts_the_folded_entries(case, tmp_path, small_blocks):
    plan = stream_layers(_checkpoint(case, tmp_path))
    for c, lg in zip(plan.iter_degrees(), plan):
        assert c.raw_nonzero == int(lg.multiplicity.sum()) and (c.param, c.binary) == (lg.param, lg.binary)
