"""Time saved by computing the from-scratch reference once per (config, task, budget, seed).

Every continual run trains each task alone from scratch at the same budget (``FWT_scratch``,
``ACC_independent``). The reference does not depend on the strategy, so ``continual compare``
and ``sweep`` reuse it (in memory; across processes with ``--scratch-cache DIR``). This script
runs the same comparison three ways in one process and prints CPU times (one thread; wall
times on a shared machine vary with its load) and their ratios:

* ``per run``: the cache disabled, every run trains its own references (the old cost);
* ``reused``: the default, the first strategy of a seed trains them, the others reuse them;
* ``none``: ``scratch_reference=False``, the floor (no reference at all).

It also checks that ``reused`` gives the same ``ACC_independent`` and ``FWT_scratch`` as
``per run``, bit for bit.

    OMP_NUM_THREADS=1 nice -n 19 python benchmarks/bench_scratch_reference.py \
        --json benchmarks/results/bench_scratch_reference.json
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from prunegraph.continual import ContinualConfig, driver
from prunegraph.continual.compare import run_comparison


class _NoCache(dict):
    """A cache that never holds anything: every run trains its own references."""

    def __setitem__(self, key, value):
        pass


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--benchmark", default="split-digits")
    ap.add_argument("--strategies", nargs="+", default=["uniform", "set", "packnet"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    cfg = ContinualConfig(benchmark=args.benchmark, attachment_bootstrap=0, scratch_reference=True)
    out, cpu, summaries = {}, {}, {}
    for mode in ("per run", "reused", "none"):
        driver._SCRATCH_CACHE = _NoCache() if mode == "per run" else {}
        c = cfg if mode != "none" else replace(cfg, scratch_reference=False)
        t0, c0 = time.perf_counter(), time.process_time()
        res = run_comparison(c, strategies=args.strategies, seeds=args.seeds, device="cpu")
        out[mode], cpu[mode] = time.perf_counter() - t0, time.process_time() - c0
        summaries[mode] = {s: [(r["ACC_independent"], r["FWT_scratch"]) for r in res.runs[s]]
                           for s in args.strategies}
        print(f"{mode:>8}: {cpu[mode]:7.1f} s CPU ({out[mode]:.1f} s wall)", flush=True)
    driver._SCRATCH_CACHE = {}
    same = summaries["per run"] == summaries["reused"]
    ref = cpu["per run"] - cpu["none"]
    print(f"{len(args.strategies)} strategies x {len(args.seeds)} seeds on {args.benchmark} (CPU "
          f"time of this process; wall time varies with the machine's load): reused / per run = "
          f"{cpu['reused'] / cpu['per run']:.3f}; the references cost {ref:.1f} s trained per "
          f"run, {cpu['reused'] - cpu['none']:.1f} s reused ({(cpu['reused'] - cpu['none']) / ref:.2f} "
          f"of it); ACC_independent and FWT_scratch identical: {same}")
    if args.json:
        from prunegraph._io import write_json

        write_json(args.json, {"benchmark": args.benchmark, "strategies": args.strategies,
                               "seeds": args.seeds, "cpu_seconds": cpu, "wall_seconds": out,
                               "identical": same,
                               "values": summaries["reused"],
                               "note": "one process, same machine, run one after another"})
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
