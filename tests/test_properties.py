"""Property tests: random state_dicts and random degree sequences never fail with anything but
the documented errors (InputError / UsageError), and what succeeds obeys the graph identities."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prunegraph.errors import InputError, UsageError
from prunegraph.loading import load, stream_layers

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.bool]
NAMES = ["fc1.weight", "fc2.weight", "conv.weight", "emb.weight", "weight", "fc1.bias",
         "lstm.weight_ih_l0", "lstm.weight_hh_l0", "fc1.weight_orig", "fc1.weight_mask",
         "fc2.weight_mask", "fc1.weight_owner", "odd"]


@st.composite
def tensors(draw):
    ndim = draw(st.integers(0, 4))
    shape = tuple(draw(st.lists(st.integers(0, 6), min_size=ndim, max_size=ndim)))
    dtype = draw(st.sampled_from(DTYPES))
    n = int(np.prod(shape)) if shape else 1
    kind = draw(st.sampled_from(["sparse", "dense", "zeros", "binary", "special"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    vals = rng.normal(size=n)
    if kind == "sparse":
        vals *= rng.random(n) < 0.4
    elif kind == "zeros":
        vals[:] = 0
    elif kind == "binary":
        vals = (rng.random(n) < 0.5).astype(float)
    elif kind == "special" and n:
        vals[rng.integers(n)] = draw(st.sampled_from([np.nan, np.inf, -np.inf, 1e38, -1.0]))
    t = torch.tensor(vals, dtype=torch.float64).reshape(shape)
    if dtype == torch.int64:
        return torch.nan_to_num(t, nan=0.0, posinf=5, neginf=-5).round().long()
    return t.to(dtype)


state_dicts = st.dictionaries(st.sampled_from(NAMES), tensors(), max_size=5)


def _check_graph(net):
    total_edges = 0
    for lg in net.layers:
        assert lg.in_degree.sum() == lg.out_degree.sum() == lg.n_edges
        assert (lg.in_degree >= 0).all() and (lg.in_degree <= lg.in_units).all()
        assert (lg.out_degree <= lg.out_units).all()
        assert np.isfinite(lg.in_strength).all()
        assert np.all((lg.in_strength > 0) == (lg.in_degree > 0)) or lg.weight.dtype != torch.float32
        total_edges += lg.n_edges
    tot = net.degrees("total")
    assert tot.values.sum() == 2 * total_edges
    assert len(tot.values) == net.n_units


@SETTINGS
@given(state_dicts)
def test_random_state_dict_loads_or_raises_documented_error(sd):
    try:
        net = load(sd)
    except (InputError, UsageError) as exc:
        msg = str(exc)
        assert msg and "\n" not in msg
        with pytest.raises((InputError, UsageError)):
            plan = stream_layers(sd)
            layers = list(plan)
            if sum(lg.n_edges for lg in layers) == 0:
                raise InputError("empty") from None  # load refuses empty models; streaming just yields them
        return
    _check_graph(net)
    plan = stream_layers(sd)
    assert plan.spaces == net.spaces
    for a, b in zip(plan, net.layers, strict=True):
        assert a.name == b.name
        assert torch.equal(a.multiplicity, b.multiplicity)
        assert torch.allclose(a.weight, b.weight)


@SETTINGS
@given(state_dicts, st.sampled_from(["safetensors", "pt"]))
def test_random_checkpoint_file_loads_or_raises_documented_error(tmp_path_factory, sd, fmt):
    from safetensors.torch import save_file

    path = tmp_path_factory.mktemp("prop") / f"m.{fmt}"
    sd = {k: v.contiguous() for k, v in sd.items()}
    if fmt == "safetensors":
        save_file(sd, str(path))
    else:
        torch.save(sd, path)
    try:
        net = load(path)
    except (InputError, UsageError) as exc:
        assert "\n" not in str(exc)
        return
    _check_graph(net)


degree_lists = st.lists(st.integers(0, 500), min_size=0, max_size=300)


@SETTINGS
@given(degree_lists, st.booleans())
def test_fit_random_degree_sequences_only_documented_errors(values, discrete):
    from prunegraph.fit import fit_power_law

    x = np.asarray(values, dtype=float)
    if not discrete:
        x = x * 0.37
    try:
        fit = fit_power_law(x, discrete=discrete, rng=0)
    except (InputError, UsageError) as exc:
        assert "\n" not in str(exc)
        return
    assert np.isfinite(fit.alpha) and fit.alpha > 1
    assert 0 < fit.n_tail <= np.count_nonzero(x > 0)
    assert 0 <= fit.ks_distance <= 1


@SETTINGS
@given(degree_lists)
def test_analysis_side_never_crashes(values):
    from prunegraph import fit as fitmod
    from prunegraph.analysis import _side
    from prunegraph.degrees import DegreeSequence
    from prunegraph.fit import ALTERNATIVES

    v = np.asarray(values, dtype=np.int64)
    seq = DegreeSequence(v, np.full(len(v), "l").astype(str), np.arange(len(v)), "in")
    n = int(v.max()) if len(v) else 1
    side = _side(fitmod, seq, discrete=True, bootstrap=0, alternatives=list(ALTERNATIVES),
                 binom_n=max(n, 1), truncated=False, seed=0, n_jobs=1)
    assert side.n_units == len(v) and side.n_dead == int((v == 0).sum())
    assert side.verdict
    alive = v[v > 0]
    if alive.size >= 10 and np.all(alive == alive[0]):
        assert side.verdict_text.startswith("degenerate: all degrees equal")


# ----------------------------------------------------------------------------- streaming
def _sp(g, *shape, density=0.3):
    return torch.randn(*shape, generator=g) * (torch.rand(*shape, generator=g) < density)


def _stream_cases():
    g = torch.Generator().manual_seed(3)
    owner = torch.randint(-1, 3, (10, 6), generator=g)
    return {
        "mlp": {"fc1.weight": _sp(g, 20, 12), "fc1.bias": torch.zeros(20), "fc2.weight": _sp(g, 7, 20)},
        "conv_grouped_fold": {"c1.weight": _sp(g, 8, 3, 3, 3), "c2.weight": _sp(g, 8, 2, 3, 3),
                              "fc.weight": _sp(g, 5, 8 * 16)},
        "embedding": {"emb.weight": _sp(g, 30, 6), "fc.weight": _sp(g, 4, 6)},
        "lstm": {"lstm.weight_ih_l0": _sp(g, 16, 5), "lstm.weight_hh_l0": _sp(g, 16, 4), "fc.weight": _sp(g, 3, 4)},
        "torch_prune": {"fc1.weight_orig": torch.randn(10, 6, generator=g),
                        "fc1.weight_mask": (torch.rand(10, 6, generator=g) < 0.4).float(),
                        "fc2.weight": _sp(g, 3, 10)},
        "owners": {"fc1.weight": torch.randn(10, 6, generator=g), "fc1.weight_owner": owner,
                   "fc2.weight": _sp(g, 3, 10), "fc2.weight_owner": torch.zeros(3, 10, dtype=torch.long)},
        "half": {"fc1.weight": _sp(g, 12, 9).half(), "fc2.weight": _sp(g, 4, 12).bfloat16()},
    }


@pytest.mark.parametrize("case", sorted(_stream_cases()))
@pytest.mark.parametrize("as_file", [True, False])
def test_streamed_layers_equal_loaded_layers(case, as_file, tmp_path, monkeypatch):
    """Block-by-block building (tiny blocks: many per layer) gives exactly load()'s graph."""
    from safetensors.torch import save_file

    import prunegraph.graph.matrices as G

    monkeypatch.setattr(G, "CHUNK_BYTES", 40)
    sd = _stream_cases()[case]
    src = sd
    if as_file:
        src = tmp_path / f"{case}.safetensors"
        save_file(sd, str(src))
    task = 1 if case == "owners" else None
    net = load(src, task=task)
    plan = stream_layers(src, task=task)
    assert plan.spaces == net.spaces and plan.notes == net.notes and plan.source == net.source
    layers = list(plan)
    assert [lg.name for lg in layers] == [lg.name for lg in net.layers]
    for a, b in zip(layers, net.layers):
        assert torch.equal(a.weight, b.weight), a.name
        assert torch.equal(a.multiplicity, b.multiplicity), a.name
        assert (a.in_space, a.out_space, a.in_offset, a.out_offset, a.binary, a.layer_type) == \
               (b.in_space, b.out_space, b.in_offset, b.out_offset, b.binary, b.layer_type)
    assert np.array_equal(plan.to_network().degrees("total").values, net.degrees("total").values)


def test_stream_nan_found_when_layer_built(tmp_path):
    from safetensors.torch import save_file

    w = torch.ones(6, 4)
    w[5, 3] = float("nan")
    path = tmp_path / "nan.safetensors"
    save_file({"fc1.weight": w, "fc2.weight": torch.ones(2, 6)}, str(path))
    plan = stream_layers(path)  # planning reads only the header
    with pytest.raises(InputError, match="fc1 has 1 NaN/Inf"):
        list(plan)


@pytest.mark.slow
def test_streaming_peak_memory_about_twice_largest_tensor(tmp_path):
    """A ~160 MB checkpoint streamed in a fresh process: peak RSS growth < 2x its largest tensor
    + 128 MiB (the unit-level weight + multiplicity, plus one block); load() needs more."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from safetensors.torch import save_file

    g = torch.Generator().manual_seed(0)
    big = _sp(g, 4096, 4096, density=0.1)           # 64 MiB
    path = tmp_path / "m.safetensors"
    save_file({"fc1.weight": _sp(g, 4096, 2048), "fc2.weight": big, "fc3.weight": _sp(g, 2048, 4096),
               "fc4.weight": _sp(g, 10, 2048)}, str(path))
    del big
    # the peak is VmHWM after resetting the high-water mark at the baseline (clear_refs 5), so
    # transient peaks during imports do not count; ru_maxrss is the fallback where that is refused
    child = ("import json,resource,sys,torch\n"
             "torch.set_num_threads(1)\n"
             "from prunegraph.loading import iter_layers, load\n"
             "def status(key):\n"
             "    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith(key))\n"
             "base = status('VmRSS')\n"
             "try:\n"
             "    open('/proc/self/clear_refs', 'w').write('5')\n"
             "    peak_of = lambda: status('VmHWM')\n"
             "except OSError:\n"
             "    peak_of = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
             "if sys.argv[2] == 'stream':\n"
             "    deg = [(lg.in_degree, lg.out_degree) for lg in iter_layers(sys.argv[1])]\n"
             "else:\n"
             "    net = load(sys.argv[1]); deg = [(lg.in_degree, lg.out_degree) for lg in net.layers]\n"
             "print(json.dumps([base, peak_of()]))\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    growth = {}
    for mode in ("stream", "load"):
        out = subprocess.run([sys.executable, "-c", child, str(path), mode], capture_output=True, text=True,
                             env=env, check=True)
        base, peak = json.loads(out.stdout.strip().splitlines()[-1])
        growth[mode] = (peak - base) * 1024  # bytes
    largest = 4096 * 4096 * 4
    # 2x the largest tensor plus a constant (one 32 MiB block, its mask, allocator slack)
    assert growth["stream"] < 2 * largest + (128 << 20), {k: v / largest for k, v in growth.items()}
    assert growth["stream"] < growth["load"], growth
