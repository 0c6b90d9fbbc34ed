"""Scale benchmark: stream a >= 2 GB safetensors checkpoint layer by layer, and time ``fit --jobs``.

Part 1 (memory).  A pruned MLP checkpoint of ``--gib`` GiB (default 2.1) is generated in a
temporary directory tensor by tensor and block by block (the safetensors header is written
first, then each tensor's bytes, so the generator holds one block, never a tensor).  A fresh
child process then walks it with :func:`prunegraph.loading.iter_layers` and reduces every
layer's in/out degrees and strengths, keeping only the degree vectors.  It prints the peak
RSS (``ru_maxrss``), the RSS after imports, the largest tensor, and the ratio

    (peak RSS - RSS after imports) / largest tensor bytes

which the design bounds by about 2 (the float32 unit-level weight + int32 multiplicity of the
layer being built, plus one 32 MiB block).  With ``--fit`` the whole ``prunegraph fit`` command
(streamed layers, per-layer and whole-network fits with their nulls, no bootstrap) is measured
the same way.  With ``--compare-load`` the same is measured for
:func:`prunegraph.load` (holds every layer at once).  ``--analyze`` also runs
:func:`prunegraph.analysis.analyze` on each streamed layer (one-layer networks; no bootstrap).

Part 2 (parallel speed-up).  ``--checkpoints`` small checkpoints are fitted with
``prunegraph fit --jobs 1`` and ``--jobs 2`` (bootstrap ``--bootstrap``) and the wall-clock
speed-up is printed; the JSON outputs must be byte-identical.

Run:  python benchmarks/bench_scale.py [--gib 2.1] [--skip-memory] [--skip-jobs]
The generated files are deleted at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- generator
def layer_shapes(gib: float) -> list[tuple[str, tuple[int, int]]]:
    """An MLP whose float32 weights total at least ``gib`` GiB; the largest layer (n x n) is ~55 % of it."""
    n = 1024
    while True:
        shapes = [("fc1", (n, n // 4)), ("fc2", (n, n)), ("fc3", (n // 2, n)), ("fc4", (n // 4, n // 2)),
                  ("fc5", (10, n // 4))]
        total = sum(a * b for _, (a, b) in shapes) * 4
        if total >= gib * 2**30:
            return shapes
        n = int(n * 1.05) // 64 * 64 + 64


def write_checkpoint(path: Path, shapes, *, density: float = 0.1, seed: int = 0,
                     block_bytes: int = 64 << 20) -> int:
    """Write a safetensors file tensor by tensor, block by block; returns its size in bytes."""
    header, offset = {}, 0
    for name, (r, c) in shapes:
        nbytes = r * c * 4
        header[f"{name}.weight"] = {"dtype": "F32", "shape": [r, c], "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    header["__metadata__"] = {"generator": "benchmarks/bench_scale.py"}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    rng = np.random.default_rng(seed)
    with open(path, "wb") as fh:  # a throw-away benchmark input, not a prunegraph output
        fh.write(struct.pack("<Q", len(raw)))
        fh.write(raw)
        for _name, (r, c) in shapes:
            rows = max(1, block_bytes // (c * 4))
            for r0 in range(0, r, rows):
                n = min(rows, r - r0)
                # heterogeneous fan-in: each row keeps a share drawn around `density`
                p = np.clip(density * rng.pareto(2.5, size=(n, 1)) * 1.5, 0.0, 1.0)
                block = rng.standard_normal((n, c), dtype=np.float32)
                block *= rng.random((n, c), dtype=np.float32) < p
                fh.write(block.tobytes())
    return path.stat().st_size


# ----------------------------------------------------------------------------- child
CHILD = r'''
import json, resource, sys, time
import numpy as np, torch
torch.set_num_threads(1)
from prunegraph.loading import iter_layers, load
mode, path, analyze_too = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
base = rss_mb()
t0 = time.perf_counter()
degrees, edges, fit_s = {}, 0, 0.0
if mode == "stream":
    for lg in iter_layers(path):
        degrees[lg.name] = (lg.in_degree, lg.out_degree, lg.in_strength)
        edges += lg.n_edges
        if analyze_too:
            from prunegraph.analysis import analyze
            from prunegraph.graph import NetworkGraph
            t1 = time.perf_counter()
            one = NetworkGraph((lg,), {lg.in_space: lg.in_units, lg.out_space: lg.out_units}, path)
            res = analyze(one, degree_kinds=["in"], bootstrap=0, alternatives=["exponential"], null=True)
            fit_s += time.perf_counter() - t1
            del one, res
        del lg
elif mode == "fit":  # the real command: stream_layers -> analysis.analyze, layer + network scope
    import contextlib, io
    from prunegraph.cli import main
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["fit", path, "--bootstrap", "0", "--no-figures", "--quiet", "--kinds", "in,out,total",
                     "--scope", "both", "--alternatives", "exponential,lognormal"])
    assert code == 0, code
else:
    net = load(path)
    for lg in net.layers:
        degrees[lg.name] = (lg.in_degree, lg.out_degree, lg.in_strength)
        edges += lg.n_edges
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"mode": mode, "rss_after_imports_mb": base, "peak_rss_mb": peak, "seconds": elapsed,
                  "edges": int(edges), "layers": len(degrees), "analyze_seconds": fit_s}))
'''


def run_child(mode: str, path: Path, analyze: bool) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(path), "1" if analyze else "0"],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def memory_part(args, tmp: Path) -> None:
    shapes = layer_shapes(args.gib)
    path = tmp / "big.safetensors"
    t0 = time.perf_counter()
    size = write_checkpoint(path, shapes)
    gen_s = time.perf_counter() - t0
    gen_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    largest = max(r * c * 4 for _, (r, c) in shapes)
    print(f"checkpoint: {size / 2**30:.2f} GiB, {len(shapes)} layers "
          f"({', '.join(f'{n} {r}x{c}' for n, (r, c) in shapes)}); largest tensor {largest / 2**20:.0f} MiB; "
          f"generated in {gen_s:.1f} s, generator peak RSS {gen_peak:.0f} MiB")
    modes = ["stream"] + (["fit"] if args.fit else []) + (["load"] if args.compare_load else [])
    for mode in modes:
        r = run_child(mode, path, args.analyze and mode == "stream")
        extra = r["peak_rss_mb"] - r["rss_after_imports_mb"]
        print(f"{mode:6s}: peak RSS {r['peak_rss_mb']:.0f} MiB (after imports {r['rss_after_imports_mb']:.0f} MiB; "
              f"+{extra:.0f} MiB = {extra * 2**20 / largest:.2f} x largest tensor), "
              + (f"{r['seconds']:.1f} s for the whole command" if mode == "fit" else
                 f"{r['seconds']:.1f} s for {r['layers']} layers, {r['edges']:,} edges ")
              + f" ({size / 2**20 / r['seconds']:.0f} MiB/s)"
              + (f"; per-layer analyze {r['analyze_seconds']:.1f} s" if r["analyze_seconds"] else ""))
    path.unlink()


def _heavy_sd(seed: int, n: int = 300):
    import torch

    g = torch.Generator().manual_seed(seed)

    def layer(r, c):
        fan = torch.clamp((torch.rand(r, generator=g) ** -1.1).long(), 1, c)
        keep = torch.rand(r, c, generator=g).argsort(1) < fan.unsqueeze(1)
        return torch.randn(r, c, generator=g) * keep

    return {"fc1.weight": layer(n, n), "fc2.weight": layer(n // 2, n), "fc3.weight": layer(10, n // 2)}


def jobs_part(args, tmp: Path) -> None:
    from safetensors.torch import save_file

    from prunegraph.cli import main

    paths = []
    for i in range(args.checkpoints):
        p = tmp / f"ckpt{i}.safetensors"
        save_file(_heavy_sd(i, n=args.width), str(p))
        paths.append(str(p))
    times, outs = {}, {}
    for jobs in (1, 2):
        out = tmp / f"fit_jobs{jobs}.json"
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            rc = main(["fit", *paths, "--jobs", str(jobs), "--bootstrap", str(args.bootstrap), "--no-figures",
                       "-q", "--json", str(out)])
        times[jobs] = time.perf_counter() - t0
        assert rc == 0
        outs[jobs] = out.read_bytes()
    same = outs[1] == outs[2]
    print(f"fit {args.checkpoints} checkpoints (width {args.width}, bootstrap {args.bootstrap}, "
          f"os.cpu_count()={os.cpu_count()}, load average {os.getloadavg()[0]:.1f}): "
          f"--jobs 1 {times[1]:.1f} s, --jobs 2 {times[2]:.1f} s, speed-up {times[1] / times[2]:.2f}x; "
          f"JSON byte-identical: {same}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gib", type=float, default=2.1, help="checkpoint size in GiB (default 2.1)")
    ap.add_argument("--compare-load", action="store_true", help="also measure prunegraph.load (needs ~4x RAM)")
    ap.add_argument("--analyze", action="store_true", help="also run analysis.analyze on each streamed layer")
    ap.add_argument("--fit", action="store_true",
                    help="also measure the whole `prunegraph fit` command (layers + network, with nulls)")
    ap.add_argument("--checkpoints", type=int, default=4, help="checkpoints for the --jobs part (default 4)")
    ap.add_argument("--bootstrap", type=int, default=20, help="bootstrap resamples in the --jobs part")
    ap.add_argument("--width", type=int, default=300, help="first hidden width of the --jobs checkpoints")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--skip-jobs", action="store_true")
    ap.add_argument("--tmp", default=None, help="directory for the generated files (default: a temp dir)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="prunegraph-bench-", dir=args.tmp))
    try:
        if not args.skip_memory:
            memory_part(args, tmp)
        if not args.skip_jobs:
            jobs_part(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
