"""uniform_null: β of new edges against uniform draws over the same free positions."""

from __future__ import annotations

import numpy as np
import pytest

from prunegraph.attachment import attachment_kernel, uniform_null
from prunegraph.errors import InputError, UsageError


def _broad(seed: int, n_out: int = 400, n_in: int = 60) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.random((n_out, n_in)) < rng.random((n_out, 1)) * 0.5


def _linear_growth(before: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Literal preferential attachment: target j with probability ∝ its in-degree."""
    rng = np.random.default_rng(seed)
    deg = before.sum(1).astype(float)
    after = before.copy()
    for _ in range(n):
        after[rng.choice(before.shape[0], p=deg / deg.sum()), rng.integers(before.shape[1])] = True
    return after


def test_linear_preference_lies_far_outside_the_null():
    before = _broad(0)
    after = _linear_growth(before, 3000, 1)
    res = uniform_null(before, after, side="in", draws=100, rng=2)
    assert res.beta == pytest.approx(attachment_kernel(before, after, bootstrap=0).beta)
    assert res.beta > res.null_mean + 4 * res.null_sd
    assert res.p_value == pytest.approx(1 / 101)


@pytest.mark.parametrize("seed", [3, 4])
def test_uniform_new_edges_are_typical_of_the_null(seed):
    before = _broad(seed)
    rng = np.random.default_rng(seed + 100)  # a stream independent of the one that drew `before`
    after = before | (rng.random(before.shape) < 0.05)
    res = uniform_null(before, after, side="in", draws=100, rng=seed)
    assert res.p_value > 0.01
    assert abs(res.beta - res.null_mean) < 3 * res.null_sd
    assert len(res.null_betas) == 100 and res.n_new_edges == int((after & ~before).sum())


def test_null_draws_match_a_literal_single_draw():
    """One draw = the same count of new edges placed uniformly on the free positions."""
    before = {"a": _broad(5, 200, 50), "b": _broad(6, 100, 80)}
    rng = np.random.default_rng(7)
    after = {k: v | (rng.random(v.shape) < 0.03) for k, v in before.items()}
    res = uniform_null(before, after, draws=1, rng=11)
    gen = np.random.default_rng(11)
    sim = {}
    for k, b in before.items():
        a = b.copy().ravel()
        a[gen.choice(np.flatnonzero(~b), size=int((after[k] & ~b).sum()), replace=False)] = True
        sim[k] = a.reshape(b.shape)
    assert res.null_betas[0] == pytest.approx(attachment_kernel(before, sim, bootstrap=0).beta)
    assert res.null_sd is None  # one draw has no spread


def test_seeded_and_out_side():
    before = _broad(8)
    after = _linear_growth(before, 500, 9)
    a = uniform_null(before, after, side="out", draws=20, rng=3)
    b = uniform_null(before, after, side="out", draws=20, rng=3)
    assert a.null_betas == b.null_betas and a.side == "out"
    assert set(a.to_dict()) >= {"beta", "null_mean", "null_sd", "p_value", "null_draws"}


def test_bad_input_is_one_clear_error():
    b = _broad(0, 20, 10)
    with pytest.raises(UsageError, match="draws=0"):
        uniform_null(b, b, draws=0)
    with pytest.raises(UsageError, match="side="):
        uniform_null(b, b, side="both")
    with pytest.raises(InputError, match="shape"):
        uniform_null(b, b[:5])


# --------------------------------------------------------------------------- one uniform null
def _snapshots(seed=0):
    rng = np.random.default_rng(seed)
    b1 = rng.random((60, 40)) < rng.uniform(0.05, 0.4, (60, 1))
    a1 = b1 | (rng.random((60, 40)) < 0.04)
    b2 = rng.random((20, 60)) < 0.1
    a2 = b2 | (rng.random((20, 60)) < 0.05)
    return {"l1": b1, "l2": b2}, {"l1": a1, "l2": a2}, {"l1": np.ones_like(b1), "l2": rng.random((20, 60)) < 0.7}


def test_uniform_null_draws_as_its_literal_definition():
    """uniform_null through UniformPlacement: the draws of the loop it replaced, restated here."""
    before, after, _ = _snapshots()
    got = uniform_null(before, after, draws=8, rng=3)
    gen, ref = np.random.default_rng(3), []
    for _ in range(8):
        sim = {}
        for name in before:
            b, a = before[name], after[name]
            flat = b.copy().ravel()
            flat[gen.choice(np.flatnonzero(~b), size=int((a & ~b).sum()), replace=False)] = True
            sim[name] = flat.reshape(b.shape)
        ref.append(attachment_kernel(before, sim, bootstrap=0, null_draws=0).beta)
    assert list(got.null_betas) == ref


def test_exponent_null_draws_as_its_literal_definition():
    """attachment_exponent's null through UniformPlacement.counts: the hypergeometric draws of
    the code it replaced (per node, its free positions), restated here."""
    from prunegraph.attachment import _fit_groups, _phi, attachment_exponent

    before, after, free = _snapshots(1)
    got = attachment_exponent(before, after, side="out", free=free, null_draws=12, rng=5)
    groups = []
    for name in before:
        b, a, fr = before[name], after[name], free[name] & ~before[name]
        fc, new = fr.sum(axis=0), (a & fr).sum(axis=0)
        keep = fc > 0
        groups.append((_phi(b.sum(axis=0))[keep], fc[keep].astype(float), new[keep].astype(float)))
    gen = np.random.default_rng(5)
    null = np.array([_fit_groups([(p, fc, gen.multivariate_hypergeometric(fc.astype(np.int64), int(n.sum()))
                                   .astype(float)) for p, fc, n in groups])[0] for _ in range(12)])
    assert got.null_mean == pytest.approx(float(null.mean()), rel=1e-12)
    assert got.null_sd == pytest.approx(float(null.std(ddof=1)), rel=1e-12)


def test_connectome_control_draws_as_its_literal_definition():
    from prunegraph.connectome import random_control

    rng = np.random.default_rng(2)
    b = rng.random((40, 40)) < 0.06
    np.fill_diagonal(b, False)
    a = b | (rng.random((40, 40)) < 0.03)
    np.fill_diagonal(a, False)
    got = random_control(b, a, draws=6, recurrent=True, rng=4)
    free = ~b
    np.fill_diagonal(free, False)
    gen, ref = np.random.default_rng(4), []
    for _ in range(6):
        r = b.copy()
        r.flat[gen.choice(np.flatnonzero(free), size=int((a & ~b).sum()), replace=False)] = True
        ref.append(attachment_kernel(b, r, side="in", bootstrap=0).beta)
    assert got["in"].mean == pytest.approx(float(np.mean(ref)), rel=1e-12)


def test_placement_masks_and_counts_are_one_null():
    """The two views sample one law: a node's mean number of new edges is n_new · F_j / F in
    both (F_j its free positions), and a mask draw never touches a taken or forbidden slot."""
    from prunegraph.attachment import UniformPlacement

    before, after, free = _snapshots(3)
    p = UniformPlacement.between([before["l2"]], [after["l2"]], [free["l2"]])
    fc = p.free_counts(axis=1)[0]
    expect = p.n_new[0] * fc[fc > 0] / fc.sum()
    gen = np.random.default_rng(0)
    by_counts = np.mean([p.counts(gen, axis=1)[0] for _ in range(3000)], axis=0)
    masks = [p.masks(gen)[0] for _ in range(3000)]
    by_masks = np.mean([(m & ~before["l2"]).sum(axis=1)[fc > 0] for m in masks], axis=0)
    sd = np.sqrt(expect / 3000) + 1e-9
    assert np.all(np.abs(by_counts - expect) < 5 * sd) and np.all(np.abs(by_masks - expect) < 5 * sd)
    assert all(int((m & ~before["l2"]).sum()) == p.n_new[0] for m in masks[:50])
    assert not any(((m & ~before["l2"]) & ~free["l2"]).any() for m in masks[:50])
