"""``prunegraph connectome``: list the shipped connectomes and summarise one."""

from __future__ import annotations

import argparse

HELP = "list the C. elegans connectomes (connectome:NAME sources) and summarise one"
DESCRIPTION = """\
Connectomes load wherever a checkpoint is accepted, by the name scheme
  connectome:NAME[:chemical|electrical|both][:all-cells]
      (default chemical, neurons only)
  connectome:FILE.csv|.tsv|.graphml|.npz
      (a large edge list / adjacency)
The C. elegans data come from the cect package's JSON cache:
  pip install --no-deps cect

examples:
  prunegraph connectome list
  prunegraph connectome show witvliet2021-8 --synapses both
  prunegraph fit connectome:cook2019-herm --kinds in,out,total --scope network
  prunegraph attachment connectome:witvliet2021-1 connectome:witvliet2021-8
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["list", "show"], help="list the data sets, or show one")
    p.add_argument("name", nargs="?", help="data set (show): a name from list or a connectome: source")
    p.add_argument("--synapses", choices=["chemical", "electrical", "both"], default="chemical",
                   help="which connections are edges: chemical synapses, gap junctions (electrical) or both "
                        "(default chemical)")
    p.add_argument("--all-cells", action="store_true", help="keep muscles and other non-neurons")


def run(args) -> int:
    from .. import connectome as C
    from ..errors import UsageError

    if args.action == "list":
        print(f"{'name':<16} {'neurons':>7} {'chemical':>8} {'gap j.':>7}  reference: description")
        for info in C.available():
            chem = C.connectome(info.name).layers[0]
            gj = C.connectome(info.name, synapses="electrical").layers[0]
            loops = int(gj.mask.diagonal().sum())
            print(f"{info.name:<16} {chem.in_units:>7} {chem.n_edges:>8} {(gj.n_edges - loops) // 2 + loops:>7}  "
                  f"{info.reference}: {info.description}")
        print("edges: directed chemical connections; gap j.: neuron pairs joined by gap junctions")
        return 0
    if not args.name:
        raise UsageError("show needs a NAME; see prunegraph connectome list")
    net = (C.load_source(args.name) if C.is_source(args.name)
           else C.connectome(args.name, synapses=args.synapses, neurons_only=not args.all_cells))
    lg = net.layers[0]
    for note in net.notes:
        print(note)
    kin, kout = lg.in_degree, lg.out_degree
    print(f"{net.source}: {lg.in_units} nodes, {lg.n_edges} edges, density {lg.density:.4f}, "
          f"{int(lg.multiplicity.sum())} synapses")
    print(f"in-degree  mean {kin.mean():.2f} max {kin.max()}   out-degree mean {kout.mean():.2f} "
          f"max {kout.max()}")
    nodes = getattr(lg, "nodes", ())
    if nodes:
        tot = kin + kout
        top = tot.argsort()[::-1][:5]
        print("hubs (in+out): " + ", ".join(f"{nodes[i]} {tot[i]}" for i in top))
    return 0
