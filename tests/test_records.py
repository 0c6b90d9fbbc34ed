"""Typed records of a continual run (TaskRecord, LayerBudget, LayerGrowth, TaskCompute): a real
run's results JSON is valid against prunegraph/continual_schema.json, the records read back
from it equal the run's, and consumers see attributes that agree with the JSON."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest

from prunegraph._io import dumps_json
from prunegraph.continual import ContinualConfig, pa_fallback_share, run_continual
from prunegraph.continual.records import LayerBudget, LayerGrowth, TaskCompute, TaskRecord
from prunegraph.errors import InputError

jsonschema = pytest.importorskip("jsonschema")

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "prunegraph" / "continual_schema.json").read_text())


@pytest.fixture(scope="module", params=["fixed", "fit"])
def run(request):
    cfg = ContinualConfig(benchmark="split-digits", n_tasks=2, epochs=1, eval_every=10, min_steps=30,
                          retrain_min_steps=10, attachment_bootstrap=0, scratch_reference=False,
                          growth="pa", budget=request.param, seed=1)
    res = run_continual(cfg, device="cpu")
    return res, json.loads(dumps_json(res))  # through the one JSON encoder, as the CLI writes it


def test_schema_is_a_valid_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_real_run_is_valid(run):
    _, doc = run
    jsonschema.validate(doc, SCHEMA)


@pytest.mark.parametrize("path, value", [
    (("tasks", 0, "budget_details", "fc1.weight", "budget"), -1),        # a negative budget
    (("tasks", 1, "layers", "fc2.weight", "surprise"), 1),               # a key the record lacks
    (("tasks", 0, "compute", "steps"), "many"),
    (("format",), "prunegraph-continual-results/0"),
])
def test_schema_rejects_broken_documents(run, path, value):
    doc = copy.deepcopy(run[1])
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)


def test_records_are_typed_and_read_back(run):
    res, doc = run
    assert all(isinstance(t, TaskRecord) for t in res.tasks)
    for rec, d in zip(res.tasks, doc["tasks"]):
        assert TaskRecord.from_dict(d) == rec
        assert all(isinstance(b, LayerBudget) for b in rec.budget_details.values())
        assert all(isinstance(g, LayerGrowth) for g in rec.layers.values())
        assert isinstance(rec.compute, TaskCompute)
        assert rec.compute.weight_updates == d["compute"]["weight_updates"]
        for name, b in rec.budget_details.items():
            # the budget rule, restated: the floor lifts it, the free positions cap it
            assert b.budget == max(0, min(max(b.unfloored, b.floor), b.free))
            assert rec.budgets[name] == b.budget == rec.layers[name].budget
            assert (b.fit is not None) == (b.base is not None) == (b.mode == "fit")
        assert res.R[rec.task + 1][rec.task] == pytest.approx(doc["R"][rec.task + 1][rec.task])
    assert list(res.steps_to_95) == [t.steps_to_95 for t in res.tasks]


def test_fallback_share_reads_records_and_json_alike(run):
    res, doc = run
    fell, total = pa_fallback_share(res)
    assert (fell, total) == pa_fallback_share(doc)
    # counted by hand from the JSON
    flags = [lay["pa_fell_back"] for t in doc["tasks"] for lay in t["layers"].values()
             if lay["pa_fell_back"] is not None]
    assert (fell, total) == (sum(flags), len(flags)) and total > 0


def test_layer_budget_omits_mode_only_keys():
    b = LayerBudget(mode="share", free=10, unfloored=3, floor=2, budget=3, raw_weights_per_edge=9)
    assert "fit" not in b.to_dict() and "base" not in b.to_dict()
    f = LayerBudget(mode="fit", free=10, unfloored=3, floor=2, budget=3, raw_weights_per_edge=1,
                    fit={"scale": 1.5}, base=2)
    assert f.to_dict()["fit"] == {"scale": 1.5} and LayerBudget.from_dict(f.to_dict()) == f


def test_from_dict_refuses_another_format(run):
    d = dict(run[1]["tasks"][0])
    d["renamed_key"] = d.pop("chance")
    with pytest.raises(InputError, match="missing \\['chance'\\].*unknown \\['renamed_key'\\]"):
        TaskRecord.from_dict(d)


def test_no_nan_in_records(run):
    res, _ = run
    for rec in res.tasks:
        for v in (rec.curve_area, rec.beta_in, rec.scratch_accuracy, *rec.beta_in_per_layer.values()):
            assert v is None or math.isfinite(v)


# ----------------------------------------------------------------------------- FitRow
@pytest.fixture(scope="module")
def analysis():
    import torch

    import prunegraph
    from prunegraph.analysis import analyze

    g = torch.Generator().manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(60, 40), torch.nn.ReLU(), torch.nn.Linear(40, 20))
    with torch.no_grad():
        for lin in (m[0], m[2]):
            lin.weight.mul_((torch.rand(lin.weight.shape, generator=g) < 0.2).float())
    return analyze(prunegraph.load(m), degree_kinds=["in", "out"], scope="both", bootstrap=5,
                   alternatives=["exponential"], rng=0)


def test_fit_row_agrees_with_the_json_record(analysis):
    from prunegraph.analysis import FitRow

    rows = analysis.fit_rows()
    assert len(rows) == len(analysis.results) and all(isinstance(r, FitRow) for r in rows)
    for row, rec in zip(rows, analysis.to_dict()["results"]):
        obs, fit = rec["observed"], rec["observed"]["fit"]
        assert (row.layer, row.degree_kind, row.nodes, row.edges) == \
            (rec["layer"], rec["degree_kind"], rec["nodes"], rec["edges"])
        assert row.dead == obs["n_dead"] and row.verdict_code == obs["verdict_code"]
        if fit is not None:
            assert row.alpha == pytest.approx(fit["alpha"]) and row.n_tail == fit["n_tail"]
        assert (row.heavier_q is None) == (rec["heavier_than_null"] is None)
    # the dict form is the CSV's vocabulary: the degree kind is the column "kind"
    d = rows[0].to_dict()
    assert d["kind"] == rows[0].degree_kind and "degree_kind" not in d
    assert analysis.rows() == [r.to_dict() for r in rows]


def test_output_reads_fit_rows_and_dicts_alike(analysis, tmp_path):
    from prunegraph.output.report import write_report
    from prunegraph.output.tables import format_rows

    rows = analysis.fit_rows()
    assert format_rows(rows, wide=True) == format_rows([r.to_dict() for r in rows], wide=True)
    a = write_report(tmp_path / "a.html", title="t", models=[{"name": "m", "table": rows}]).read_text()
    b = write_report(tmp_path / "b.html", title="t", models=[{"name": "m", "table": analysis.rows()}]).read_text()
    assert a == b and rows[0].verdict in a
