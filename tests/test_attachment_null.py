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
