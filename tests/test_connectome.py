"""Connectomes as prunegraph graphs: hand-built graphs, reference libraries, and the real
C. elegans data when the cect package is installed (``pip install --no-deps cect``)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
import torch

import prunegraph
from prunegraph import connectome as C
from prunegraph.analysis import analyze
from prunegraph.cli import main
from prunegraph.errors import InputError, UsageError
from prunegraph.nulls import random_layer_degrees, random_layer_like, rewire_layer

try:
    import cect  # noqa: F401

    HAVE_CECT = True
except ModuleNotFoundError:
    HAVE_CECT = False

needs_cect = pytest.mark.skipif(not HAVE_CECT, reason="real connectome data needs cect: "
                                "pip install --no-deps cect (the CI installs it)")

# A[pre, post]: a->b (3 synapses), a->c (1), b->c (2), c->a (1)
TOY = np.array([[0, 3, 1], [0, 0, 2], [1, 0, 0]], dtype=float)


def _random_digraph(n, p, seed, *, symmetric=False):
    rng = np.random.default_rng(seed)
    a = rng.random((n, n)) < p
    if symmetric:
        a = a | a.T
    np.fill_diagonal(a, False)
    return a


# ----------------------------------------------------------------------------- hand-built graphs
def test_toy_degrees_by_hand():
    net = C.from_adjacency(TOY, ["a", "b", "c"], name="toy")
    lg = net.layers[0]
    assert lg.nodes == ("a", "b", "c")
    assert lg.in_degree.tolist() == [1, 1, 2]        # a <- c; b <- a; c <- a, b
    assert lg.out_degree.tolist() == [2, 1, 1]       # a -> b, c; b -> c; c -> a
    assert lg.in_strength.tolist() == [1.0, 3.0, 3.0]
    assert lg.out_strength.tolist() == [4.0, 2.0, 1.0]
    assert net.degrees("total").values.tolist() == [3, 2, 3]
    assert lg.n_edges == 4 and int(lg.multiplicity.sum()) == 7
    assert lg.in_space == lg.out_space == "neurons" and net.spaces == {"neurons": 3}
    np.testing.assert_array_equal(lg.adjacency(), TOY)


def test_degrees_match_networkx():
    a = _random_digraph(60, 0.08, 0)
    w = a * np.random.default_rng(1).integers(1, 5, a.shape)
    lg = C.from_adjacency(w, [f"n{i}" for i in range(60)]).layers[0]
    g = nx.from_numpy_array(w, create_using=nx.DiGraph)  # row = source
    assert lg.in_degree.tolist() == [g.in_degree(i) for i in range(60)]
    assert lg.out_degree.tolist() == [g.out_degree(i) for i in range(60)]
    assert lg.in_strength.tolist() == [g.in_degree(i, weight="weight") for i in range(60)]


@pytest.mark.parametrize("bad, needle", [
    (np.zeros((2, 3)), "square"), (np.array([[0, -1], [0, 0]]), ">= 0"),
    (np.array([[0, np.nan], [0, 0]]), "finite")])
def test_bad_adjacency_is_one_input_error(bad, needle):
    with pytest.raises(InputError, match=needle):
        C.from_adjacency(bad, ["x"] * bad.shape[0])


# ----------------------------------------------------------------------------- sparse / files
def test_from_edges_sums_duplicates_by_hand():
    lg = C.from_edges(np.array([0, 0, 0, 2, 1]), np.array([1, 1, 2, 0, 1]), n=3).layers[0]
    assert lg.out_degree.tolist() == [2, 1, 1]        # 0 -> 1, 2; 1 -> 1 (loop); 2 -> 0
    assert lg.in_degree.tolist() == [1, 2, 1]
    assert lg.in_strength.tolist() == [1.0, 3.0, 1.0]  # two synapse rows 0 -> 1 summed
    assert lg.loops and lg.n_edges == 4


@pytest.fixture
def edge_table():
    rng = np.random.default_rng(3)
    m = 3000
    pre, post = rng.integers(0, 200, m), rng.integers(0, 200, m)
    syn = rng.integers(1, 6, m)
    dense = np.zeros((200, 200))
    np.add.at(dense, (pre, post), syn)
    return pre, post, syn, dense


@pytest.mark.parametrize("chunksize", [7, 500, 10_000])
def test_csv_in_chunks_equals_dense(tmp_path, edge_table, chunksize):
    pre, post, syn, dense = edge_table
    ids = 720575940000000000 + np.arange(200) * 7  # FlyWire-like int64 root ids
    path = tmp_path / "edges.csv"
    path.write_text("pre_root_id,post_root_id,syn_count\n" + "".join(
        f"{ids[a]},{ids[b]},{s}\n" for a, b, s in zip(pre, post, syn)))
    lg = C.read_edge_list(path, weight="syn_count", chunksize=chunksize).layers[0]
    used = np.flatnonzero(dense.sum(0) + dense.sum(1))  # ids that occur, in sorted order
    ref = dense[np.ix_(used, used)]
    assert lg.nodes == tuple(str(ids[i]) for i in used)
    assert lg.in_degree.tolist() == (ref != 0).sum(0).tolist()
    assert lg.out_degree.tolist() == (ref != 0).sum(1).tolist()
    np.testing.assert_allclose(lg.in_strength, ref.sum(0))
    np.testing.assert_allclose(lg.out_strength, ref.sum(1))


def test_csv_names_tsv_and_column_positions(tmp_path):
    p = tmp_path / "e.tsv"
    p.write_text("x\tpost\tpre\nq\tB\tA\nq\tA\tC\nq\tB\tA\n")
    lg = C.read_edge_list(p, pre=2, post=1).layers[0]   # positions refer to the header
    assert lg.nodes == ("A", "B", "C")
    assert lg.out_degree.tolist() == [1, 0, 1] and lg.in_strength.tolist() == [1.0, 2.0, 0.0]


def test_graphml_and_npz_round_trip(tmp_path, edge_table):
    pre, post, syn, dense = edge_table
    g = nx.DiGraph()
    g.add_nodes_from(range(200))
    for (a, b), s in zip(zip(*np.nonzero(dense)), dense[np.nonzero(dense)]):
        g.add_edge(int(a), int(b), weight=float(s))
    nx.write_graphml(g, tmp_path / "g.graphml")
    sp.save_npz(tmp_path / "g.npz", sp.csr_array(dense))
    for f in ("g.graphml", "g.npz"):
        lg = prunegraph.load(f"connectome:{tmp_path / f}").layers[0]
        assert lg.in_degree.tolist() == (dense != 0).sum(0).tolist()
        np.testing.assert_allclose(lg.out_strength, dense.sum(1))


@pytest.mark.parametrize("text, kw, needle", [
    ("a,b\n1,2\n", {"weight": "syn"}, "no column 'syn'"),
    ("a,b,w\n1,2,x\n", {"weight": "w"}, "not numeric"),
    ("a,b\n", {}, "no edges"),
    ("a,b\n1,2\n3,\n", {}, "not integers"),
])
def test_bad_csv_is_one_input_error(tmp_path, text, kw, needle):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(InputError, match=needle):
        C.read_edge_list(p, **kw)


def test_sparse_layer_analysis_equals_dense():
    a = _random_digraph(150, 0.05, 5)
    w = a * np.random.default_rng(6).integers(1, 9, a.shape)
    dense = C.from_adjacency(w, [str(i) for i in range(150)])
    pre, post = np.nonzero(w)
    sparse = C.from_edges(pre, post, w[pre, post], n=150, name="connectome")  # nulls are seeded by layer name
    kw = dict(degree_kinds=["in", "out"], scope="both", alternatives=["exponential"], rng=3)
    rd, rs = analyze(dense, **kw), analyze(sparse, **kw)
    for x, y in zip(rd.results, rs.results):
        np.testing.assert_array_equal(x.degrees, y.degrees)
        np.testing.assert_array_equal(x.null_degrees, y.null_degrees)  # same seed, same null
        assert x.row()["alpha"] == y.row()["alpha"]


# ----------------------------------------------------------------------------- nulls
def test_directed_gnm_null_has_no_self_loops_and_is_uniform():
    a = _random_digraph(12, 0.3, 7)
    lg = C.from_adjacency(a.astype(float), [str(i) for i in range(12)]).layers[0]
    m = lg.n_edges
    hits = np.zeros((12, 12))
    for s in range(400):
        null = random_layer_like(lg, rng=s)
        mask = null.mask.numpy()
        assert mask.sum() == m and not mask.diagonal().any()
        hits += mask
        if s < 5:  # the matrix-free degrees of the same draw agree
            d = random_layer_degrees(lg, rng=s)
            assert d.in_degree.tolist() == null.in_degree.tolist()
    off = hits[~np.eye(12, dtype=bool)]
    expected = 400 * m / (12 * 11)
    # every off-diagonal slot is drawn with probability m / (n (n - 1)): chi-square check
    chi2 = float(((off - expected) ** 2 / expected).sum())
    from scipy import stats
    assert stats.chi2.sf(chi2, off.size - 1) > 1e-3


def test_null_keeps_self_loops_when_the_data_has_them():
    a = _random_digraph(10, 0.3, 8).astype(float)
    a[0, 0] = 1.0
    lg = C.from_adjacency(a, [str(i) for i in range(10)]).layers[0]
    diag = sum(random_layer_like(lg, rng=s).mask.numpy().diagonal().sum() for s in range(200))
    assert diag > 0


def test_rewiring_keeps_degrees_and_adds_no_loops():
    a = _random_digraph(40, 0.1, 9)
    lg = C.from_adjacency(a.astype(float), [str(i) for i in range(40)]).layers[0]
    r = rewire_layer(lg, rng=0)
    assert r.in_degree.tolist() == lg.in_degree.tolist()
    assert r.out_degree.tolist() == lg.out_degree.tolist()
    assert not r.mask.numpy().diagonal().any()
    assert (r.mask.numpy() != lg.mask.numpy()).any()


def test_rewiring_ensemble_matches_networkx_directed_edge_swap():
    """A graph with 85% reciprocal edges, rewired: our directed double swaps vs networkx's
    triple swaps (both keep in/out degrees). The two ensembles must agree on reciprocity and
    transitivity, and both must destroy the planted reciprocity."""
    rng = np.random.default_rng(10)
    n = 40
    a = rng.random((n, n)) < 0.08
    a = a | (a.T & (rng.random((n, n)) < 0.7))
    np.fill_diagonal(a, False)
    lg = C.from_adjacency(a.astype(float), [str(i) for i in range(n)]).layers[0]
    m = lg.n_edges
    ours = [C.structure_stats(rewire_layer(lg, rng=s).mask.numpy()) for s in range(40)]
    theirs = []
    for s in range(40):
        g = nx.from_numpy_array(a.astype(int), create_using=nx.DiGraph)
        nx.directed_edge_swap(g, nswap=3 * m, max_tries=10**5, seed=s)
        theirs.append(C.structure_stats(nx.to_numpy_array(g).T != 0))
    assert C.structure_stats(lg.mask.numpy())["reciprocity"] > 0.8
    for key in ("reciprocity", "transitivity"):
        o, t = [x[key] for x in ours], [x[key] for x in theirs]
        se = np.sqrt(np.var(o, ddof=1) / len(o) + np.var(t, ddof=1) / len(t))
        assert abs(np.mean(o) - np.mean(t)) < 4 * se, key
    assert np.mean([x["reciprocity"] for x in ours]) < 0.3


def test_structure_stats_by_hand():
    # edges (pre -> post): 0->1, 1->0, 0->2, 1->2; mask is [post, pre]
    mask = np.zeros((3, 3), bool)
    for u, v in [(0, 1), (1, 0), (0, 2), (1, 2)]:
        mask[v, u] = True
    s = C.structure_stats(mask)
    assert s["reciprocity"] == 0.5
    assert s["transitivity"] == 1.0   # 1->0->2 closed by 1->2, 0->1->2 closed by 0->2
    g = nx.DiGraph([(0, 1), (1, 0), (0, 2), (1, 2)])
    assert s["reciprocity"] == nx.reciprocity(g)


# ----------------------------------------------------------------------------- development
def _grow(b, n_new, rng, preferential):
    after = b.copy()
    kin = b.sum(1).astype(float) + 1.0
    kout = b.sum(0).astype(float) + 1.0
    while (after & ~b).sum() < n_new:
        j = rng.choice(b.shape[0], p=kin / kin.sum()) if preferential else rng.integers(b.shape[0])
        i = rng.choice(b.shape[1], p=kout / kout.sum()) if preferential else rng.integers(b.shape[1])
        if i != j:
            after[j, i] = True
    return after


def test_random_control_separates_preferential_from_uniform():
    rng = np.random.default_rng(11)
    n = 120
    w = rng.pareto(1.5, n) + 0.2
    b = rng.random((n, n)) < np.clip(0.02 * np.outer(w, w), 0, 1)
    np.fill_diagonal(b, False)
    pref = C.random_control(b, _grow(b, 600, rng, True), draws=100, recurrent=True, rng=0)
    unif = C.random_control(b, _grow(b, 600, rng, False), draws=100, recurrent=True, rng=0)
    assert pref["in"].p_value < 0.05 and pref["out"].p_value < 0.05
    assert pref["in"].observed > pref["in"].high
    assert unif["in"].p_value > 0.01 and unif["out"].p_value > 0.01


def test_random_control_draws_only_absent_off_diagonal_positions(monkeypatch):
    b = np.zeros((4, 4), bool)
    b[1, 0] = b[2, 0] = True
    a = b.copy()
    a[3, 2] = True
    seen = []
    from prunegraph import attachment

    real = attachment.attachment_kernel

    def spy(before, after, **kw):
        seen.append(np.asarray(after) & ~np.asarray(before))
        return real(before, after, **kw)

    monkeypatch.setattr(attachment, "attachment_kernel", spy)
    C.random_control(b, a, draws=30, recurrent=True, rng=0)
    assert len(seen) == 2 + 2 * 30  # in and out, observed and each draw
    for new in seen:
        assert new.sum() == 1 and not new.diagonal().any()
    seen.clear()  # a bipartite layer: the diagonal is an ordinary position
    C.random_control(b, a, draws=200, rng=0)
    assert any(new.diagonal().any() for new in seen)


def test_development_attachment_on_named_graphs():
    rng = np.random.default_rng(12)
    b = _random_digraph(50, 0.08, 12)
    a = _grow(b, 100, rng, True)
    a[3, :] = False  # some edges removed as well
    names = [f"n{i}" for i in range(50)]
    gb = C.from_adjacency(b.T.astype(float), names, source="early")   # from_adjacency takes [pre, post]
    extra = np.zeros((51, 51))
    extra[:50, :50] = a.T
    ga = C.from_adjacency(extra, names + ["new"], source="late")      # a neuron born in between
    step = C.development_attachment(gb, ga, bootstrap=20, draws=30, rng=0)
    assert step.n_common == 50
    assert step.n_new == int((a & ~b).sum()) and step.n_removed == int((b & ~a).sum())
    assert [r["side"] for r in step.rows()] == ["in", "out", "internal"]
    assert json.dumps(step.to_dict(), default=float)


# ----------------------------------------------------------------------------- name scheme / CLI
@pytest.mark.parametrize("src, want", [
    ("connectome:white1986", ("white1986", "chemical", True)),
    ("connectome:cook2019-male:electrical", ("cook2019-male", "electrical", True)),
    ("connectome:witvliet2021-3:both:all-cells", ("witvliet2021-3", "both", False)),
])
def test_name_scheme(src, want):
    p = C.parse_source(src)
    assert (p["name"], p["synapses"], p["neurons_only"]) == want


@pytest.mark.parametrize("src, error", [("connectome:nope", InputError), ("connectome:white1986:gap", UsageError),
                                        ("connectome:list", InputError)])
def test_bad_names_list_the_choices(src, error):
    """An unknown data set is a missing input (exit 1, like a missing file); an unknown option
    of a known one is a usage error (exit 2); both list the choices."""
    with pytest.raises(error, match="cook2019-herm|chemical"):
        C.parse_source(src)


def test_missing_cect_is_one_line_with_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "cect", None)
    with pytest.raises(InputError, match="pip install --no-deps cect"):
        C.connectome("witvliet2021-1")


# ----------------------------------------------------------------------------- real data
def _json_matrices(file):
    from importlib.resources import files

    raw = json.loads((files("cect") / "cache" / file).read_text())
    return raw["nodes"], {k: np.array(v) for k, v in raw["connections"].items()}


@needs_cect
@pytest.mark.parametrize("name", C.names())
@pytest.mark.parametrize("synapses", ["chemical", "electrical"])
def test_loader_degrees_equal_the_json_matrices(name, synapses):
    nodes, mats = _json_matrices(C._DATASETS[name].file)
    m = mats["Generic_CS" if synapses == "chemical" else "Generic_GJ"]
    lg = C.connectome(name, synapses=synapses, neurons_only=False).layers[0]
    pos = {n: i for i, n in enumerate(nodes)}
    idx = [pos[n] for n in lg.nodes]
    sub = m[np.ix_(idx, idx)]                        # [pre, post], in the loader's order
    assert lg.in_degree.tolist() == (sub != 0).sum(0).tolist()
    assert lg.out_degree.tolist() == (sub != 0).sum(1).tolist()
    np.testing.assert_allclose(lg.in_strength, sub.sum(0))
    assert int(lg.multiplicity.sum()) == int(m.sum())  # every synapse of the file kept
    if synapses == "electrical":                     # gap junctions: listed both ways
        assert lg.in_degree.tolist() == lg.out_degree.tolist()


@needs_cect
def test_published_sizes():
    herm = C.connectome("cook2019-herm").layers[0]
    assert herm.in_units == 302                      # the hermaphrodite's 302 neurons
    assert set(herm.cell_class) <= set(C.NEURON_CLASSES)
    both = C.connectome("cook2019-herm", synapses="both").layers[0]
    chem = C.connectome("cook2019-herm").layers[0]
    gj = C.connectome("cook2019-herm", synapses="electrical").layers[0]
    assert torch.equal(both.multiplicity, chem.multiplicity + gj.multiplicity)
    stages = [C.connectome(n).layers[0] for n in C.WITVLIET_SERIES]
    assert stages[-1].n_edges > 2 * stages[0].n_edges  # the nerve ring gains connections
    assert C.connectome("cook2019-herm", neurons_only=False).layers[0].in_units == 473
    a = prunegraph.load_connectome("white1986", synapses="both").layers[0]
    b = prunegraph.load("connectome:white1986:both").layers[0]
    assert a.nodes == b.nodes and torch.equal(a.weight, b.weight)


@needs_cect
def test_cli_fit_list_and_attachment_on_real_data(capsys, tmp_path):
    assert main(["connectome", "list"]) == 0
    out = capsys.readouterr().out
    assert "witvliet2021-8" in out and "Cook et al." in out
    assert main(["fit", "connectome:witvliet2021-8", "--bootstrap", "0", "--no-figures",
                 "--kinds", "in,out", "--json", str(tmp_path / "w.json")]) == 0
    out = capsys.readouterr().out
    assert "connectome:witvliet2021-8" in out and "chemical" in out
    rows = json.loads((tmp_path / "w.json").read_text())
    assert rows
    assert main(["attachment", "connectome:witvliet2021-1", "connectome:witvliet2021-2",
                 "--bootstrap", "10", "--draws", "20"]) == 0
    out = capsys.readouterr().out
    assert "internal" in out and "random" in out


@needs_cect
def test_witvliet_new_edges_counted_from_the_json():
    step = C.development_attachment("witvliet2021-1", "witvliet2021-2", bootstrap=0, draws=10)
    n1, m1 = _json_matrices("WitvlietDataReader1.json")
    n2, m2 = _json_matrices("WitvlietDataReader2.json")
    neurons = set(C.connectome("witvliet2021-1").layers[0].nodes) & set(
        C.connectome("witvliet2021-2").layers[0].nodes)
    e1 = {(u, v) for u, v in zip(*np.nonzero(m1["Generic_CS"])) if n1[u] in neurons and n1[v] in neurons}
    e1 = {(n1[u], n1[v]) for u, v in e1}
    e2 = {(n2[u], n2[v]) for u, v in zip(*np.nonzero(m2["Generic_CS"]))
          if n2[u] in neurons and n2[v] in neurons}
    assert step.n_common == len(neurons)
    assert step.n_new == len(e2 - e1) and step.n_removed == len(e1 - e2)


# ----------------------------------------------------------------------------- notebook 05
NB = Path(__file__).resolve().parents[1] / "notebooks" / "05_networks_and_nervous_systems"


def test_notebook_pair_is_in_sync():
    jupytext = pytest.importorskip("jupytext")
    if not NB.with_suffix(".ipynb").exists():
        pytest.fail("05_networks_and_nervous_systems.ipynb is missing: jupytext --to ipynb --execute "
                    "notebooks/05_networks_and_nervous_systems.py (full setting)")
    py = jupytext.read(NB.with_suffix(".py"))
    nb = jupytext.read(NB.with_suffix(".ipynb"))
    assert [c.source for c in py.cells] == [c.source for c in nb.cells]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "every code cell of the committed notebook ran"
    assert not any(o.get("output_type") == "error" for c in code for o in c.get("outputs", []))
    assert "tags" in nb.cells[1].metadata and "parameters" in nb.cells[1].metadata["tags"]
    text = json.dumps([c.get("outputs", []) for c in code])
    assert "setting: full" in text and "In plain words" in text
    import re
    assert not re.search(r"(/work/|/root/|/home/\w+/|/tmp/|site-packages)", text), "a machine path in the outputs"


@needs_cect
@pytest.mark.slow
def test_notebook_runs_in_the_small_setting(tmp_path, monkeypatch):
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    nb = jupytext.read(NB.with_suffix(".py"))
    monkeypatch.setenv("PRUNEGRAPH_NOTEBOOK_SIZE", "small")
    monkeypatch.setenv("PYTHONPATH", str(NB.parents[1]) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    last = nb.cells[-1].outputs[0]["data"]["text/markdown"]
    assert "Worm development" in last and "In plain words" in last
