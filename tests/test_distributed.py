"""Bootstrap refits on a Dask LocalCluster started here give byte-identical results to one process."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

pytest.importorskip("distributed")

from prunegraph.analysis import analyze  # noqa: E402
from prunegraph.distributed import active_client, scheduler  # noqa: E402
from prunegraph.fit import fit_power_law  # noqa: E402
from prunegraph.graph import graph_from_state_dict  # noqa: E402
from prunegraph.output.tables import to_json  # noqa: E402


def _net():
    g = torch.Generator().manual_seed(0)
    w = torch.randn(300, 200, generator=g)
    keep = torch.rand(300, 200, generator=g) < torch.linspace(0.02, 0.6, 200) ** 2  # skewed fan-out
    return graph_from_state_dict({"fc.weight": w * keep})


def test_local_cluster_bootstrap_identical_to_one_process():
    values = np.random.default_rng(1).zipf(2.5, 3000)
    ref = fit_power_law(values, bootstrap=60, rng=3)
    res_ref = analyze(_net(), degree_kinds=("out",), bootstrap=40, null=False, rng=0)
    assert active_client() is None
    from distributed import get_task_stream

    with scheduler("local", n_workers=2) as client:
        assert active_client() is client and sum(client.nthreads().values()) == 2
        with get_task_stream(client) as ts:
            got = fit_power_law(values, bootstrap=60, rng=3)
            res = analyze(_net(), degree_kinds=("out",), bootstrap=40, null=False, rng=0)
        ran = [t for t in ts.data if "_chunk" in str(t.get("key"))]
        workers = {t["worker"] for t in ran}
    assert active_client() is None
    assert len(ran) >= 2 and len(workers) == 2  # the replicates really ran on both workers
    assert (got.alpha, got.xmin, got.p_value) == (ref.alpha, ref.xmin, ref.p_value)
    assert json.dumps(to_json([res])) == json.dumps(to_json([res_ref]))
    assert res.results[0].observed.fit.p_value is not None
