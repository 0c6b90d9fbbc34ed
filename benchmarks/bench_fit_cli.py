"""Benchmark: `prunegraph fit` on a ≥ 25 M-weight model at 90 % sparsity, 1,000 bootstrap reps.

Builds an MLP 784-4096-4096-2048-10 (28.4 M weights), gives its rows and columns Pareto
scale factors before global magnitude pruning to 10 % density (so the degree sequences are
heavy-tailed, with many distinct values, like a trained pruned network rather than a random
one), saves it as safetensors, and times each stage of the `prunegraph fit` pipeline:
load, degrees, fits of the observed and null sequences (bootstrap + LR tests), figures.

Peer measured in the same run: the canonical `powerlaw` package fitting the same observed
degree sequences (α range opened, no bootstrap, no alternatives), i.e. the cheapest part of
the same job. The printed ratio is prunegraph's fit stage *with* 1,000 bootstrap resamples
and all likelihood-ratio tests (observed and null) over powerlaw's plain fits.

Run:  python benchmarks/bench_fit_cli.py [--quick] [--bootstrap N] [--jobs N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def build(widths, density, seed=0):
    g = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        w = torch.randn(fan_out, fan_in, generator=g)
        row = torch.from_numpy(rng.pareto(1.5, fan_out) + 1).float()
        col = torch.from_numpy(rng.pareto(1.5, fan_in) + 1).float()
        layers.append(w * row[:, None] * col[None, :])
    flat = torch.cat([w.abs().flatten() for w in layers])
    k = int(round(density * flat.numel()))
    thresh = torch.topk(flat, k, sorted=False).values.min()
    sd = {}
    for i, w in enumerate(layers):
        sd[f"fc{i + 1}.weight"] = torch.where(w.abs() >= thresh, w, torch.zeros(()))
        sd[f"fc{i + 1}.bias"] = torch.zeros(w.shape[0])
    return sd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small model, 100 resamples")
    ap.add_argument("--bootstrap", type=int, default=None)
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(2)
    widths = [784, 512, 256, 10] if args.quick else [784, 4096, 4096, 2048, 10]
    boots = args.bootstrap if args.bootstrap is not None else (100 if args.quick else 1000)

    from safetensors.torch import save_file

    from prunegraph.analysis import analyze
    from prunegraph.output.plot import write_figures
    from prunegraph.loading import load

    sd = build(widths, 0.10)
    n_weights = sum(v.numel() for k, v in sd.items() if k.endswith("weight"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mlp.safetensors"
        save_file(sd, str(path))
        del sd
        t = {}
        t0 = time.perf_counter()
        net = load(path)
        t["load"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        seqs = [lg.degrees(k) for lg in net.layers for k in ("in", "out")]
        t["degrees"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = analyze(net, kinds=["in", "out"], bootstrap=boots, rng=0, n_jobs=args.jobs)
        t["fits (observed + null, bootstrap + LR)"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_figures([res], Path(tmp) / "figs")
        t["figures"] = time.perf_counter() - t0

        import warnings

        import powerlaw

        t0 = time.perf_counter()
        for s in seqs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                powerlaw.Fit(s.alive, discrete=True, estimate_discrete=False,
                             parameter_ranges={"alpha": [1.0, 100.0]},
                             verbose=False).power_law.alpha
        t_peer = time.perf_counter() - t0

    total = sum(t.values())
    print(f"model: MLP {'-'.join(map(str, widths))}, {n_weights / 1e6:.1f} M weights, "
          f"10 % kept, {len(res.results)} degree sequences, {boots} bootstrap resamples each "
          f"(observed and null), jobs={args.jobs}")
    for k, v in t.items():
        print(f"  {k:<40s} {v:8.2f} s  ({100 * v / total:4.1f} %)")
    print(f"  {'total':<40s} {total:8.2f} s")
    print(f"peer: powerlaw 2.0 plain fits of the same {len(seqs)} observed sequences: {t_peer:.2f} s")
    fit_t = t["fits (observed + null, bootstrap + LR)"]
    print(f"ratio: prunegraph fit stage (with bootstrap, LR tests, null) / powerlaw plain fits = "
          f"{fit_t / t_peer:.2f}x")
    print(res.summary())


if __name__ == "__main__":
    main()
