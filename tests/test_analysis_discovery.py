"""PRIM recovers a planted box; degenerate case vectors give an explicit 'no box'."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest

from experiments.analysis.discovery import choose_box, discover, points_in_box, prune


def _planted(n: int = 2000, flip: float = 0.01, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """Uniform inputs on [0, 1]^5; cases inside x1 in [0.2, 0.6] and x3 in [0.5, 0.9], with a
    share ``flip`` of labels flipped at random."""
    rng = np.random.default_rng(seed)
    inputs = pd.DataFrame(rng.uniform(size=(n, 5)), columns=[f"x{i}" for i in range(5)])
    inside = inputs["x1"].between(0.2, 0.6) & inputs["x3"].between(0.5, 0.9)
    cases = inside.to_numpy() ^ (rng.uniform(size=n) < flip)
    return inputs, cases


@pytest.mark.slow  # PRIM on a planted box (quick loop: integer and categorical inputs)
def test_prim_recovers_planted_box() -> None:
    inputs, cases = _planted()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the workbench's own warnings are filtered inside
        result = discover(inputs, cases, threshold=0.8, min_density=0.9)
    assert result.found and result.reason == ""
    assert result.coverage >= 0.9 and result.density >= 0.9
    assert result.restricted == ["x1", "x3"]
    limits = result.limits.set_index("dimension")
    assert limits.loc["x1", ["lower", "upper"]].tolist() == pytest.approx([0.2, 0.6], abs=0.05)
    assert limits.loc["x3", ["lower", "upper"]].tolist() == pytest.approx([0.5, 0.9], abs=0.05)
    assert not limits.loc[["x0", "x2", "x4"], "restricted"].any()
    # the statistics agree with the limits
    assert result.in_box.sum() == pytest.approx(result.mass * len(inputs))
    assert cases[result.in_box].mean() == pytest.approx(result.density)
    assert cases[result.in_box].sum() / cases.sum() == pytest.approx(result.coverage)
    np.testing.assert_array_equal(points_in_box(inputs, result.limits), result.in_box)
    # the trajectory trades coverage for density, starting from the whole space
    trajectory = result.trajectory
    assert trajectory.iloc[0][["coverage", "mass"]].tolist() == [1.0, 1.0]
    assert trajectory["density"].iloc[result.box_index] == result.density
    assert trajectory["density"].iloc[-1] > trajectory["density"].iloc[0]


def test_prim_handles_integer_and_categorical_inputs() -> None:
    rng = np.random.default_rng(3)
    n = 1500
    inputs = pd.DataFrame(
        {
            "peer_weight": rng.uniform(size=n),
            "budget": rng.integers(1, 6, size=n),
            "institution": rng.choice(["none", "g7", "unga", "unsc"], size=n),
        }
    )
    cases = (inputs["institution"].isin(["none", "g7"]) & (inputs["budget"] <= 2)).to_numpy()
    result = discover(inputs, cases, threshold=0.8, min_density=0.95)
    assert result.found
    assert set(result.restricted) == {"budget", "institution"}
    limits = result.limits.set_index("dimension")
    assert set(limits.loc["institution", "values"]) == {"none", "g7"}
    assert limits.loc["budget", "upper"] < 3 and limits.loc["budget", "kind"] == "numeric"
    assert result.coverage >= 0.9 and result.density >= 0.95


def test_select_picks_a_step_of_the_trajectory() -> None:
    inputs, cases = _planted(n=800)
    whole = discover(inputs, cases, select=0)
    assert whole.found and whole.box_index == 0 and whole.restricted == []
    assert whole.coverage == 1.0 and whole.mass == 1.0
    last = discover(inputs, cases, select=-1)
    assert last.box_index == len(last.trajectory) - 1
    with pytest.raises(ValueError, match="steps"):
        discover(inputs, cases, select=10_000)


def test_choose_box_rule() -> None:
    trajectory = pd.DataFrame(
        {
            "step": [0, 1, 2, 3],
            "coverage": [1.0, 0.95, 0.95, 0.8],
            "density": [0.2, 0.85, 0.9, 1.0],
            "res_dim": [0, 1, 2, 2],
        }
    )
    assert choose_box(trajectory, 0.8) == 1  # same coverage: fewer restricted inputs wins
    assert choose_box(trajectory, 0.9) == 2
    assert choose_box(trajectory, 0.99) == 3
    assert choose_box(trajectory, 1.01) is None


@pytest.mark.parametrize(
    "flag, reason",
    [(False, "no case of interest"), (True, "every one of the 50 points is a case")],
)
def test_degenerate_case_vectors_give_no_box(flag: bool, reason: str) -> None:
    inputs = pd.DataFrame({"a": np.linspace(0, 1, 50), "b": np.linspace(1, 2, 50)})
    result = discover(inputs, np.full(50, flag))
    assert not result.found and reason in result.reason
    assert result.restricted == [] and not result.limits["restricted"].any()
    assert result.limits["lower"].tolist() == [0.0, 1.0]
    assert result.trajectory.empty and result.box_index == -1
    assert result.mass == 1.0 and result.in_box.all()
    assert result.density == float(flag)


def test_no_box_when_cases_are_scattered() -> None:
    rng = np.random.default_rng(0)
    inputs = pd.DataFrame(rng.uniform(size=(400, 3)), columns=["a", "b", "c"])
    cases = rng.uniform(size=400) < 0.1  # no structure: nothing reaches density 0.8
    result = discover(inputs, cases, threshold=0.8)
    assert not result.found and "density" in result.reason


def test_bad_case_vectors_are_refused() -> None:
    inputs = pd.DataFrame({"a": [0.1, 0.2, 0.3]})
    with pytest.raises(ValueError, match="shape"):
        discover(inputs, np.array([True, False]))
    with pytest.raises(ValueError, match="boolean"):
        discover(inputs, np.array([0.0, 0.5, 1.0]))


def test_prune_lifts_restrictions_that_do_not_matter() -> None:
    """Noise inputs peeled by PRIM are lifted; the planted restrictions stay."""
    inputs, cases = _planted(n=600, flip=0.03, seed=11)
    rng = np.random.default_rng(5)
    for k in range(5, 25):  # many pure-noise inputs invite spurious peels
        inputs[f"noise{k}"] = rng.uniform(size=len(inputs))
    raw = discover(inputs, cases, threshold=0.8, select=-1)
    assert set(raw.restricted) > {"x1", "x3"}  # PRIM's last box overfits
    pruned = prune(raw, inputs, cases)
    assert set(pruned.restricted) == {"x1", "x3"}
    assert pruned.in_box.sum() == pytest.approx(pruned.mass * len(inputs))
    assert cases[pruned.in_box].mean() == pytest.approx(pruned.density)
    assert cases[pruned.in_box].sum() / cases.sum() == pytest.approx(pruned.coverage)
    assert pruned.coverage >= raw.coverage and pruned.density >= 0.8
    assert prune(discover(inputs, np.zeros(len(inputs), bool)), inputs, cases).found is False


def test_prim_without_quasi_p_peels_as_the_workbench() -> None:
    """Leaving out the quasi-p-values (and the inputs' attrs) changes no step of the
    trajectory: the workbench's own run, quasi-p-values computed, gives the same boxes."""
    from experiments.analysis.discovery import _import_prim, _prepare_inputs, _quiet

    inputs, cases = _planted(n=800, flip=0.05)
    inputs["kind"] = np.random.default_rng(1).choice(["aid", "visit", "two_plus_two"], 800)
    inputs.attrs["order"] = ["none", "uniform"]  # as the scenarios table carries
    result = discover(inputs, cases, threshold=0.8)
    prim = _import_prim()
    own = {"threshold": 0.8} if "threshold" in inspect.signature(prim.Prim).parameters else {}
    algorithm = _quiet(prim.Prim, _prepare_inputs(inputs), cases.astype(int), **own)  # 2.x / 3.0
    box = _quiet(algorithm.find_box)
    assert prim.PrimBox._calculate_quasi_p.__name__ == "_calculate_quasi_p"  # restored
    qp = getattr(box, "qp", None)  # the workbench 2.x keeps them per box; 3.0 has no `qp`
    assert qp is None or (len(qp) == len(box.box_lims) and all(qp[1:]))  # computed, this time
    expected = box.peeling_trajectory
    for column in ("coverage", "density", "mass", "res_dim", "n", "k"):
        assert result.trajectory[column].tolist() == expected[column].tolist(), column
    step = result.box_index
    numeric = result.limits[result.limits["kind"] == "numeric"].set_index("dimension")
    lims = box.box_lims[step]
    for name in numeric.index:
        assert numeric.loc[name, ["lower", "upper"]].tolist() == lims[name].tolist(), name
    kept = result.limits.set_index("dimension").loc["kind", "values"]
    assert set(kept) == set(lims.loc[0, "kind"])
