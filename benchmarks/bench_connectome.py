"""Benchmark: loading a fly-sized connectome (1e5 neurons, 1e7 synapse rows) from a CSV edge list.

A synthetic connectome is written as ``pre_root_id,post_root_id,syn_count`` rows with
FlyWire-like int64 ids and heavy-tailed in- and out-degrees (Pareto weights; duplicate pairs
occur and are summed).  Each contender runs in its own subprocess, so its peak resident memory
(``ru_maxrss``) is its own:

* ``prunegraph``: ``prunegraph.connectome.read_edge_list`` (CSV streamed in chunks of 1e6 rows,
  ids relabelled, duplicates summed into a CSR) + in/out degrees and strengths;
* ``pandas+scipy`` (peer): ``pandas.read_csv`` of the whole file, ids relabelled by
  ``pandas.factorize`` (several times faster than ``numpy.unique`` on numpy 2.4),
  ``scipy.sparse.coo_array(...).tocsr()`` + the same degrees;
* ``networkx`` (peer, at sizes up to ``--nx-max`` rows only: a DiGraph of 1e7 edges needs
  tens of GB): ``pandas.read_csv`` + ``networkx.from_pandas_edgelist`` + degrees;
* ``prunegraph fit`` (extra): the loaded graph through ``prunegraph.analysis.analyze``
  (in- and out-degree fits, the directed G(n, m) null), to show the pipeline scales.

Prints seconds (imports timed apart) and peak RSS (total, and its growth over the RSS right
after the imports) per contender, and the ratios prunegraph / peer.

Usage::

    nice -n 10 python benchmarks/bench_connectome.py                 # 1e5 neurons, 1e7 rows
    python benchmarks/bench_connectome.py --quick                    # 1e4 neurons, 1e5 rows
    python benchmarks/bench_connectome.py --edges 1000000 --nodes 100000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def write_synthetic(path: Path, *, nodes: int, edges: int, seed: int = 0) -> None:
    """``edges`` rows between ``nodes`` neurons, heavy-tailed on both ends, written in blocks."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    ids = 720575940000000000 + rng.permutation(nodes * 10)[:nodes].astype(np.int64)
    w_out = rng.pareto(1.5, nodes) + 1.0
    w_in = rng.pareto(1.5, nodes) + 1.0
    p_out, p_in = w_out / w_out.sum(), w_in / w_in.sum()
    block = 1_000_000
    with open(path, "w") as fh:
        fh.write("pre_root_id,post_root_id,syn_count\n")
        for start in range(0, edges, block):
            k = min(block, edges - start)
            pre = ids[rng.choice(nodes, size=k, p=p_out)]
            post = ids[rng.choice(nodes, size=k, p=p_in)]
            syn = rng.geometric(0.3, size=k)
            pd.DataFrame({"a": pre, "b": post, "c": syn}).to_csv(fh, header=False, index=False)


#: per contender: (imports, timed work); imports are timed apart (torch alone is ~200 MiB)
CHILD = {
    "prunegraph": ("from prunegraph.connectome import read_edge_list\nimport pandas, scipy.sparse", """
lg = read_edge_list(PATH, pre="pre_root_id", post="post_root_id", weight="syn_count").layers[0]
res = (lg.in_units, lg.n_edges, int(lg.in_degree.max()), int(lg.out_degree.max()),
       float(lg.in_strength.sum()), float(lg.out_strength.sum()))
"""),
    "pandas+scipy": ("import numpy as np, pandas as pd, scipy.sparse as sp", """
df = pd.read_csv(PATH)
a, b, w = (df[c].to_numpy() for c in ("pre_root_id", "post_root_id", "syn_count"))
del df
inv, uniq = pd.factorize(np.concatenate([a, b]), sort=True)  # hash relabelling (np.unique is slower)
n = uniq.size
m = sp.coo_array((w.astype(np.float32), (inv[a.size:], inv[:a.size])), shape=(n, n)).tocsr()
m.sum_duplicates()
kin = np.diff(m.indptr); kout = np.bincount(m.indices, minlength=n)
res = (n, int(m.nnz), int(kin.max()), int(kout.max()), float(m.sum(1).sum()), float(m.sum(0).sum()))
"""),
    "networkx": ("import pandas as pd, networkx as nx", """
df = pd.read_csv(PATH)
df = df.groupby(["pre_root_id", "post_root_id"], as_index=False)["syn_count"].sum()
g = nx.from_pandas_edgelist(df, "pre_root_id", "post_root_id", "syn_count", create_using=nx.DiGraph)
del df
kin = dict(g.in_degree()); kout = dict(g.out_degree())
res = (g.number_of_nodes(), g.number_of_edges(), max(kin.values()), max(kout.values()),
       float(sum(d for _, d in g.in_degree(weight="syn_count"))), 0.0)
"""),
    "prunegraph fit": ("from prunegraph.connectome import read_edge_list\nfrom prunegraph.analysis import analyze\n"
                       "import prunegraph.fit, prunegraph.nulls", """
net = read_edge_list(PATH, pre="pre_root_id", post="post_root_id", weight="syn_count")
r = analyze(net, degree_kinds=["in", "out"], scope="layer", bootstrap=0,
            alternatives=["lognormal", "exponential"])
res = [(x.degree_kind, round(x.observed.fit.alpha, 3) if x.observed.fit else None,
        str(x.observed.verdict), x.tail.heavier_p if x.tail else None) for x in r.results]
"""),
}

WRAP = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
PATH = {path!r}
t0 = time.perf_counter()
{setup}
t1 = time.perf_counter()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB (Linux)
{body}
sec = time.perf_counter() - t1
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": sec, "import_seconds": t1 - t0, "peak_rss_mib": rss,
                  "rss_after_import_mib": base, "result": res}}))
"""


def run_child(name: str, path: Path) -> dict:
    setup, body = CHILD[name]
    code = WRAP.format(root=str(ROOT), path=str(path), setup=setup, body=body)
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--edges", type=int, default=10_000_000)
    ap.add_argument("--nx-max", type=int, default=1_000_000,
                    help="run the networkx peer only up to this many rows (default 1e6)")
    ap.add_argument("--no-fit", action="store_true", help="skip the analyze() run")
    ap.add_argument("--quick", action="store_true", help="1e4 neurons, 1e5 rows")
    ap.add_argument("--keep", metavar="PATH", help="write the CSV here and keep it")
    ap.add_argument("--json", metavar="PATH", help="also write the numbers as JSON")
    args = ap.parse_args(argv)
    if args.quick:
        args.nodes, args.edges = 10_000, 100_000
    tmp = tempfile.TemporaryDirectory()
    path = Path(args.keep) if args.keep else Path(tmp.name) / "connectome.csv"
    t0 = time.perf_counter()
    if not path.exists():
        write_synthetic(path, nodes=args.nodes, edges=args.edges)
    size = path.stat().st_size / 2**20
    print(f"synthetic connectome: {args.nodes:,} neurons, {args.edges:,} synapse rows, "
          f"CSV {size:.0f} MiB (written in {time.perf_counter() - t0:.1f} s)")
    names = ["prunegraph", "pandas+scipy"]
    if args.edges <= args.nx_max:
        names.append("networkx")
    if not args.no_fit:
        names.append("prunegraph fit")
    results = {}
    for name in names:
        r = run_child(name, path)
        results[name] = r
        if "error" in r:
            print(f"{name:<15} failed: {r['error']}")
            continue
        print(f"{name:<15} {r['seconds']:8.2f} s  peak RSS {r['peak_rss_mib']:7.0f} MiB "
              f"(+{r['peak_rss_mib'] - r['rss_after_import_mib']:.0f} over imports; imports "
              f"{r['import_seconds']:.1f} s)   {r['result']}")
    ours = results.get("prunegraph", {})
    for peer in ("pandas+scipy", "networkx"):
        p = results.get(peer, {})
        if "seconds" in ours and "seconds" in p:
            same = ours["result"][:4] == p["result"][:4]
            def grow(r):
                return r["peak_rss_mib"] - r["rss_after_import_mib"]

            print(f"prunegraph / {peer}: time x{ours['seconds'] / p['seconds']:.2f}, "
                  f"peak RSS x{ours['peak_rss_mib'] / p['peak_rss_mib']:.2f} "
                  f"(memory over imports x{grow(ours) / max(grow(p), 1e-9):.2f}) "
                  f"(same nodes, edges and max degrees: {same})")
    if args.json:
        Path(args.json).write_text(json.dumps({"nodes": args.nodes, "edges": args.edges,
                                               "csv_mib": size, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
