"""Bootstrap refits on a Dask LocalCluster of 1 and 2 workers against one process (issue 13).

Times ``fit_power_law(values, bootstrap=B)`` on a zipf(2.5) sample of ``n`` values: one process
(the peer), then inside ``prunegraph.distributed.scheduler("local", n_workers=k)``; checks the
p-values are identical and prints the speed-up.  The model for N workers: the bootstrap is
``B`` independent refits cut into ``4 N`` chunks, so its time is about ``t1 / N + c * 4 N``
(``c``: the per-task round trip, measured here from the one-worker run) plus the serial fit.

    python benchmarks/bench_distributed.py --n 100000 --bootstrap 400
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--bootstrap", type=int, default=400)
    ap.add_argument("--workers", default="1,2")
    args = ap.parse_args(argv)
    from prunegraph.distributed import scheduler
    from prunegraph.fit import fit_power_law

    values = np.random.default_rng(0).zipf(2.5, args.n)
    t = time.perf_counter()
    ref = fit_power_law(values, bootstrap=args.bootstrap, rng=1)
    t1 = time.perf_counter() - t
    print(f"n={args.n}, bootstrap={args.bootstrap}: one process {t1:.1f} s (p={ref.p_value})")
    for k in (int(x) for x in args.workers.split(",")):
        with scheduler("local", n_workers=k):
            fit_power_law(values[:1000], bootstrap=4, rng=1)  # warm the workers (imports)
            t = time.perf_counter()
            got = fit_power_law(values, bootstrap=args.bootstrap, rng=1)
            tk = time.perf_counter() - t
        same = (got.p_value, got.alpha, got.xmin) == (ref.p_value, ref.alpha, ref.xmin)
        print(f"LocalCluster {k} worker(s): {tk:.1f} s, speed-up {t1 / tk:.2f}x, identical result: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
