"""Benchmark: degrees of a >= 25 M-weight network at 90 % sparsity.

Prints, from one run:

* ``build``: ``prunegraph.load(model)`` (effective weights, fx trace, unit-level matrices);
* ``degrees``: in- and out-degree of every layer plus the whole-network total degree, from a
  freshly built graph's unit-level matrices (the degree path; tensor reductions only);
* ``count_nonzero``: one bare ``torch.count_nonzero`` pass over the same weights;
* ratio degrees / count_nonzero (target <= 2) and (build + degrees) / count_nonzero;
* networkx: building a ``DiGraph`` from the same kind of pruned weights and asking it for its
  degrees, against prunegraph's load + degrees on the same model.  networkx is run on a
  smaller model (about 1.9 M weights, 0.19 M edges; the big one would need several GB and
  minutes), which the output says.

Timings are the minimum over ``--repeat`` runs.  The weights are pruned by a seeded random
mask (the sparsity pattern does not change the cost of these reductions).

Usage::

    python benchmarks/bench_degrees.py            # 28.4 M weights
    python benchmarks/bench_degrees.py --quick    # 0.67 M weights, seconds
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from prunegraph._device import default_device  # noqa: E402
from prunegraph.loading import load  # noqa: E402

FULL = (784, 4096, 4096, 2048, 10)       # 28.4 M weights
NX_FULL = (784, 1024, 1024, 10)          # 1.86 M weights for networkx
QUICK = (784, 512, 512, 10)              # 0.67 M weights
NX_QUICK = (784, 256, 128, 10)           # 0.24 M weights


def make_mlp(widths, *, density: float, seed: int, device) -> nn.Sequential:
    """An MLP with the given widths, each weight kept with probability ``density`` (seeded)."""
    g = torch.Generator().manual_seed(seed)
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        lin = nn.Linear(a, b, bias=False)
        with torch.no_grad():
            lin.weight.copy_(torch.randn(b, a, generator=g) * a ** -0.5)
            lin.weight.mul_(torch.rand(b, a, generator=g) < density)
        layers += [lin, nn.ReLU()]
    return nn.Sequential(*layers[:-1]).to(device)


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def best_of(fn, repeat: int, device):
    best, out = float("inf"), None
    for _ in range(repeat):
        _sync(device)
        t0 = time.perf_counter()
        out = fn()
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    return best, out


def degrees_pass(net):
    """Every layer's in/out degree and the whole-network total, from cold caches."""
    for lg in net.layers:
        lg._cache.clear()
    net._cache.clear()
    for lg in net.layers:
        lg.in_degree, lg.out_degree
    return net.degrees("total")


def networkx_degrees(model):
    import networkx as nx

    g = nx.DiGraph()
    named = [(n, m) for n, m in model.named_children() if isinstance(m, nn.Linear)]
    lins = [m for _, m in named]
    spaces = ["input"] + [n for n, _ in named]
    for k, lin in enumerate(lins):
        w = lin.weight.detach().cpu()
        g.add_nodes_from((spaces[k], i) for i in range(w.shape[1]))
        g.add_nodes_from((spaces[k + 1], j) for j in range(w.shape[0]))
        j, i = torch.nonzero(w, as_tuple=True)
        vals = w[j, i].abs().tolist()
        g.add_edges_from(((spaces[k], a), (spaces[k + 1], b), {"weight": v})
                         for a, b, v in zip(i.tolist(), j.tolist(), vals))
    return dict(g.degree)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    ap.add_argument("--density", type=float, default=0.10, help="kept fraction (default 0.10)")
    ap.add_argument("--repeat", type=int, default=5, help="timing repetitions (min is reported)")
    ap.add_argument("--device", default=None, help="cpu or cuda (default: CUDA when present)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    device = default_device(args.device)
    widths, nx_widths = (QUICK, NX_QUICK) if args.quick else (FULL, NX_FULL)

    model = make_mlp(widths, density=args.density, seed=args.seed, device=device)
    weights = [m.weight.detach() for m in model if isinstance(m, nn.Linear)]
    n_weights = sum(w.numel() for w in weights)
    n_edges = sum(int(torch.count_nonzero(w)) for w in weights)
    print(f"model: MLP {widths}, {n_weights / 1e6:.2f} M weights, {n_edges / 1e6:.2f} M kept "
          f"({n_edges / n_weights:.1%}), device {device}, torch threads {torch.get_num_threads()}")

    t_build, net = best_of(lambda: load(model, device=device), max(1, args.repeat // 2), device)
    t_deg, seq = best_of(lambda: degrees_pass(net), args.repeat, device)
    t_cnz, _ = best_of(lambda: sum(int(torch.count_nonzero(w)) for w in weights), args.repeat, device)
    assert int(seq.values.sum()) == 2 * n_edges  # every edge counted once at each end
    print(f"build (load: trace + unit matrices) : {t_build:8.4f} s")
    print(f"degrees (in/out per layer + total)  : {t_deg:8.4f} s")
    print(f"one torch.count_nonzero pass        : {t_cnz:8.4f} s")
    print(f"ratio degrees / count_nonzero       : {t_deg / t_cnz:8.2f}   (target <= 2)")
    print(f"ratio (build + degrees) / count_nz  : {(t_build + t_deg) / t_cnz:8.2f}")

    small = make_mlp(nx_widths, density=args.density, seed=args.seed + 1, device=device)
    n_small = sum(m.weight.numel() for m in small if isinstance(m, nn.Linear))
    t_nx, ref = best_of(lambda: networkx_degrees(small), 1, device)
    t_ours, ours = best_of(lambda: load(small, device=device).degrees("total"), 3, device)
    small_net = load(small, device=device)
    t_deg_small, _ = best_of(lambda: degrees_pass(small_net), 3, device)
    got = {(s, int(i)): int(v) for s, i, v in zip(ours.layer, ours.index, ours.values)}
    same = got == {(s, int(i)): int(d) for (s, i), d in ref.items()}
    print(f"networkx on a smaller model (MLP {nx_widths}, {n_small / 1e6:.2f} M weights, "
          f"{int(ours.values.sum()) // 2 / 1e6:.2f} M edges; the big one is too slow for networkx):")
    print(f"  networkx DiGraph build + degree   : {t_nx:8.4f} s")
    print(f"  prunegraph load + degrees         : {t_ours:8.4f} s")
    print(f"  prunegraph degrees only (built)   : {t_deg_small:8.4f} s")
    print(f"  speed-up over networkx            : {t_nx / t_ours:8.1f} x   (degrees identical: {same})")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
