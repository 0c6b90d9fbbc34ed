"""Benchmark: CPU time to draw the fit figures (CCDFs, α summary, depth figure) in one process.

Analyses the six shipped reference checkpoints once (``bootstrap=0``; the figures do not read the
bootstrap), builds every :class:`prunegraph.output.plot.FigureJob` of ``prunegraph fit`` for them
plus one depth figure of a synthetic 6-block transformer summary (MiniLM's shape), then renders
all of them with :func:`prunegraph.output.plot.render_job` in this one process, best of
``--repeat`` rounds of CPU time (``time.process_time``).  Prints per figure type the mean CPU ms
per figure and the PNG bytes, and a cProfile split of one round: figure creation, plotting,
drawing (layout included) and PNG encoding.

The peer is the same renderer at another commit: run this script on both and compare (the
numbers in benchmarks/results/bench_figures_issue18.txt are such a pair, measured minutes apart).

Run:  python benchmarks/bench_figures.py [--repeat 3] [--out DIR] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np


def build_jobs(out: Path):
    import prunegraph
    from prunegraph.analysis import analyze
    from prunegraph.checkpoint import reference_checkpoints
    from prunegraph.output.plot import FigureJob, figure_jobs

    jobs = []
    for path in reference_checkpoints():
        res = analyze(prunegraph.load(path), bootstrap=0, rng=0)
        jobs += figure_jobs(res, out)
    # a MiniLM-shaped depth figure (6 blocks, attention 4 and MLP 2 projections, in and out)
    rng = np.random.default_rng(0)
    blocks = []
    for d in range(6):
        for g, k in (("attention", 4), ("mlp", 2)):
            for kind in ("in", "out"):
                al = (2.5 + rng.random(k)).tolist()
                blocks.append(dict(depth=d, group=g, degree_kind=kind, alpha_median=float(np.median(al)),
                                   alphas=al, sigmas=(0.05 + 0.1 * rng.random(k)).tolist(),
                                   verdicts={"rejected": k - 1, "power law": 1}))
    jobs.append(FigureJob(out / "synthetic" / "depth", "depth", "depth",
                          dict(blocks=blocks, title="synthetic: α and verdicts against block depth")))
    return jobs


def render_all(jobs, formats=("png",)):
    from prunegraph.output.plot import render_job

    per = defaultdict(float)
    for j in jobs:
        t0 = time.process_time()
        render_job(j, formats)
        per[j.figure_type] += time.process_time() - t0
    return per


#: cProfile function names (file suffix, function) whose cumulative time makes each phase
PHASES = {
    "figure creation": [("figure.py", "__init__"), ("figure.py", "add_subplot"), ("figure.py", "subplots")],
    "draw (layout + artists)": [("figure.py", "draw")],
    "PNG encode": [("image.py", "imsave"), ("_png", "write_png"), ("Image.py", "save")],
    "savefig total": [("figure.py", "savefig")],
    "plot functions (plot_ccdf / _alpha / _depth)": [("plot.py", "plot_ccdf"), ("plot.py", "plot_alpha_summary"),
                                                     ("plot.py", "plot_depth")],
    "constrained layout": [("_constrained_layout.py", "do_constrained_layout")],
}


def profile_split(jobs):
    prof = cProfile.Profile()
    prof.enable()
    render_all(jobs)
    prof.disable()
    st = pstats.Stats(prof)
    total = st.total_tt
    out = {}
    for phase, keys in PHASES.items():
        t = 0.0
        for (fname, _line, func), (_cc, _nc, _tt, ct, _callers) in st.stats.items():
            if any(suf in fname for suf, f in keys if f == func):
                t += ct
        out[phase] = t
    return total, out, st


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=None, help="folder for the PNGs (default: a temporary one)")
    ap.add_argument("--profile", action="store_true", help="print the 25 costliest functions too")
    a = ap.parse_args()
    out = Path(a.out or tempfile.mkdtemp(prefix="bench_figures_"))
    jobs = build_jobs(out)
    counts = defaultdict(int)
    for j in jobs:
        counts[j.figure_type] += 1
    render_all(jobs[:3])  # warm: imports, font cache
    rounds = [render_all(jobs) for _ in range(a.repeat)]
    best = min(rounds, key=lambda r: sum(r.values()))
    sizes = defaultdict(int)
    for j in jobs:
        sizes[j.figure_type] += Path(f"{j.stem}.png").stat().st_size
    n = len(jobs)
    tot = sum(best.values())
    print(f"{n} figures ({dict(counts)}), best of {a.repeat} rounds in one process: "
          f"{tot:.2f} s CPU, {1e3 * tot / n:.1f} ms per figure; rounds: "
          + ", ".join(f"{sum(r.values()):.2f}" for r in rounds))
    for k in counts:
        print(f"  {k:6s} {counts[k]:3d} figures  {1e3 * best[k] / counts[k]:7.1f} ms CPU each  "
              f"{sizes[k] / counts[k] / 1024:6.1f} KiB PNG each")
    total, split, st = profile_split(jobs)
    print(f"cProfile split of one round ({total:.2f} s under the profiler, cumulative, phases overlap):")
    for phase, t in split.items():
        print(f"  {phase:45s} {t:6.2f} s  {100 * t / total:5.1f} %")
    if a.profile:
        st.sort_stats("cumulative").print_stats(25)
    print(f"PNGs in {out}")


if __name__ == "__main__":
    main()
