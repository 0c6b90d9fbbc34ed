"""ModelAnalysis.to_frame against the JSON the same analysis writes (fit --json)."""

import json
import math
import sys

import pytest
import torch

import prunegraph
from prunegraph._io import dumps_json
from prunegraph.analysis import analyze
from prunegraph.errors import InputError
from prunegraph.models.zoo import get_model
from prunegraph.training.prune import magnitude_prune

pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def result():
    m = get_model("lenet300", input_shape=(1, 8, 8), rng=0)
    magnitude_prune(m, density=0.1)
    return analyze(prunegraph.load(m), degree_kinds=["in", "out"], scope="both",
                   alternatives=["exponential", "lognormal"], bootstrap=3, rng=1)


def _same(a, b):
    if b is None:
        return a is None or (isinstance(a, float) and math.isnan(a)) or a is pd.NA
    if isinstance(b, float):
        return math.isclose(float(a), b, rel_tol=0, abs_tol=0)
    return a == b


def test_frame_rows_equal_the_json_values(result):
    js = json.loads(dumps_json(result.to_dict()))      # what `fit --json` writes
    df = result.to_frame()
    assert len(df) == 2 * len(js["results"])            # observed + null per (layer, kind)
    assert list(df["side"]) == ["observed", "null"] * len(js["results"])
    fitcols = {"alpha": "alpha", "sigma": "sigma", "xmin": "xmin", "xmax": "xmax", "n_tail": "n_tail",
               "D": "ks_distance", "p": "p_value", "n_bootstrap": "n_bootstrap",
               "log_likelihood": "log_likelihood"}
    checked = 0
    for i, r in enumerate(js["results"]):
        for j, side in enumerate(("observed", "null")):
            row, sd = df.iloc[2 * i + j], r[side]
            assert (row["layer"], row["degree_kind"], row["layer_type"]) == (r["layer"], r["degree_kind"],
                                                                              r["layer_kind"])
            assert row["verdict"] == sd["verdict"] and row["n_units"] == sd["n_units"]
            assert _same(row["binomial_p"], sd["binomial_p"])
            for col, key in fitcols.items():
                assert _same(row[col], None if sd["fit"] is None else sd["fit"][key]), (i, side, col)
                checked += sd["fit"] is not None
            for c in sd["comparisons"]:
                assert _same(row[f"R_{c['alternative']}"], c["R"])
                assert _same(row[f"p_{c['alternative']}"], c["p_value"])
            tail = r["heavier_than_null"] if side == "observed" else None
            assert _same(row["heavier_p"], None if tail is None else tail["heavier_p"])
    assert checked > 50    # most sequences were fitted: the comparison is not vacuous
    # the network-scope rows are there too
    assert set(df.loc[df["layer"] == "network", "degree_kind"]) == {"in", "out"}


def test_frame_without_null_has_one_row_per_sequence(result):
    m = torch.nn.Sequential(torch.nn.Linear(60, 50))
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        m[0].weight.mul_(torch.rand(50, 60, generator=g) < 0.2)
    res = analyze(prunegraph.load(m), degree_kinds=["in", "out"], alternatives=["exponential"], null=False)
    df = res.to_frame()
    assert list(df["side"]) == ["observed", "observed"] and df["heavier_p"].isna().all()
    assert df["alpha"].tolist() == pytest.approx([r.observed.fit.alpha for r in res.results])


def test_frame_without_pandas_names_the_extra(result, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)    # import pandas -> ImportError
    with pytest.raises(InputError, match=r"prunegraph\[notebooks\]"):
        result.to_frame()
