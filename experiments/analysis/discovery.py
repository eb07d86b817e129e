"""Scenario discovery with PRIM (Friedman & Fisher 1999; Bryant & Lempert 2010; Kwakkel &
Pruyt 2013), through the EMA Workbench (2.5.3 on Python 3.11, 3.0 on newer Pythons).

Given the inputs of every design point and which points are cases of interest (e.g. where a
strategy fails to beat doing nothing), PRIM peels the input space down to a box of points
that are mostly cases. Coverage is the share of all cases that fall in the box, density the
share of the box's points that are cases, mass the share of all points in the box.

The box limits are read from ``PrimBox.box_lims`` directly: ``Prim.boxes_to_dataframe()``
silently returns zeros under pandas 3 (chained assignment under copy-on-write).
"""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from types import ModuleType

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

TRAJECTORY_COLUMNS = ("step", "coverage", "density", "mass", "res_dim", "n", "k")
LIMIT_COLUMNS = (
    "dimension",
    "kind",
    "lower",
    "upper",
    "minimum",
    "maximum",
    "values",
    "restricted",
)


@dataclass(frozen=True)
class PrimResult:
    """The box PRIM chose, or why there is none.

    Attributes:
        found: whether a box was found.
        reason: why there is no box ("" when found).
        limits: DataFrame, one row per input, columns ``dimension``, ``kind`` (``numeric`` or
            ``categorical``), ``lower``, ``upper`` (box limits of a numeric input),
            ``minimum``, ``maximum`` (its range over all points), ``values`` (tuple of the
            categories kept in the box; None for numeric), ``restricted`` (whether the box
            limits this input). Without a box: the whole space, nothing restricted.
        restricted: names of the restricted inputs, in input order.
        coverage: share of all cases inside the box (NaN when there is no case).
        density: share of the box's points that are cases.
        mass: share of all points inside the box.
        n_points, n_cases: points, and cases among them.
        box_index: the chosen step of ``trajectory`` (-1 without a box).
        trajectory: DataFrame, the peeling (then pasting) trajectory, columns ``step``,
            ``coverage``, ``density``, ``mass``, ``res_dim`` (restricted inputs), ``n``
            (points in the box), ``k`` (cases in the box). Empty without a PRIM run.
        in_box: boolean array, which points are inside the chosen box.
    """

    found: bool
    reason: str
    limits: pd.DataFrame
    restricted: list[str]
    coverage: float
    density: float
    mass: float
    n_points: int
    n_cases: int
    box_index: int
    trajectory: pd.DataFrame
    in_box: np.ndarray = field(repr=False)


def _import_prim() -> ModuleType:
    """``ema_workbench.analysis.prim``, imported on first use. The workbench's method
    logger asks ``inspect.getouterframes`` for its caller's name when each class is defined,
    with a line of source per frame: finding the source scans every loaded module for each
    frame of the import (seconds in a process that has loaded pandas, Hydra and
    matplotlib), so the frames are read without source lines while it imports."""
    getouterframes = inspect.getouterframes
    inspect.getouterframes = lambda frame, context=1: getouterframes(frame, 0)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="ipyparallel not installed", category=UserWarning
            )
            warnings.filterwarnings("ignore", message="altair based", category=ImportWarning)
            from ema_workbench.analysis import prim
    finally:
        inspect.getouterframes = getouterframes
    return prim


@contextmanager
def _without_quasi_p(prim: ModuleType) -> Iterator[None]:
    """The workbench computes the quasi-p-values of every box of the trajectory as it peels
    (a third of its time); nothing here reads them (:func:`prune` computes its own for the
    chosen box), so they are left out while a box is found (not thread-safe: the class is
    patched for the duration)."""
    box = prim.PrimBox
    original = box.__dict__.get("_calculate_quasi_p")
    if original is None:
        yield
        return
    box._calculate_quasi_p = lambda self, *args, **kwargs: {}
    try:
        yield
    finally:
        box._calculate_quasi_p = original


def _quiet(call: Callable, *args, **kwargs):
    """Call into the workbench without its pandas deprecation warnings (e.g. ``Prim()``'s
    ``drop(inplace=True)``), leaving the process's warning filters as they were."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"ema_workbench\.", category=DeprecationWarning)
        warnings.filterwarnings("ignore", module=r"ema_workbench\.", category=FutureWarning)
        warnings.filterwarnings("ignore", message="The inplace keyword")
        return call(*args, **kwargs)


def _prepare_inputs(inputs: pd.DataFrame) -> pd.DataFrame:
    """Numeric inputs as float64 / int64 (the workbench peels only those dtypes); anything
    else is left to be treated as categorical."""
    frame = inputs.reset_index(drop=True).copy()
    frame.attrs = {}  # pandas would deep-copy them into every box limit the workbench makes
    for column in frame.columns:
        dtype = frame[column].dtype
        if pd.api.types.is_bool_dtype(dtype):
            continue
        if pd.api.types.is_float_dtype(dtype):
            frame[column] = frame[column].astype(np.float64)
        elif pd.api.types.is_integer_dtype(dtype):
            frame[column] = frame[column].astype(np.int64)
    return frame


def _cases(cases: np.ndarray | pd.Series, n_points: int) -> np.ndarray:
    values = np.asarray(cases)
    if values.ndim != 1 or len(values) != n_points:
        raise ValueError(f"cases has shape {values.shape}; expected ({n_points},)")
    if values.dtype != bool:
        if not np.isin(values, (0, 1)).all():
            raise ValueError("cases must be boolean (or 0/1)")
        values = values.astype(bool)
    return values


def _limits(inputs: pd.DataFrame, box_lim: pd.DataFrame | None) -> pd.DataFrame:
    """One row per input: box limits read from ``box_lim`` (None: the whole space)."""
    rows = []
    for column in inputs.columns:
        series = inputs[column]
        numeric = pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype
        )
        in_box = box_lim is not None and column in box_lim.columns
        if numeric:
            minimum, maximum = float(series.min()), float(series.max())
            lower, upper = (
                (float(box_lim.loc[0, column]), float(box_lim.loc[1, column]))
                if in_box
                else (minimum, maximum)
            )
            restricted = lower > minimum or upper < maximum
            rows.append((column, "numeric", lower, upper, minimum, maximum, None, bool(restricted)))
        else:
            everything = set(series.unique())
            kept = set(box_lim.loc[0, column]) if in_box else everything
            ordered = tuple(v for v in dict.fromkeys(series) if v in kept)
            rows.append(
                (column, "categorical", np.nan, np.nan, np.nan, np.nan, ordered, kept != everything)
            )
    return pd.DataFrame(rows, columns=list(LIMIT_COLUMNS))


def points_in_box(inputs: pd.DataFrame, limits: pd.DataFrame) -> np.ndarray:
    """Which rows of ``inputs`` lie inside a box given as :attr:`PrimResult.limits`."""
    inside = np.ones(len(inputs), dtype=bool)
    for row in limits.itertuples(index=False):
        values = inputs[row.dimension]
        if row.kind == "numeric":
            inside &= ((values >= row.lower) & (values <= row.upper)).to_numpy()
        else:
            inside &= values.isin(list(row.values)).to_numpy()
    return inside


def _no_box(inputs: pd.DataFrame, cases: np.ndarray, reason: str) -> PrimResult:
    log.info("PRIM: no box (%s)", reason)
    n_cases = int(cases.sum())
    return PrimResult(
        found=False,
        reason=reason,
        limits=_limits(inputs, None),
        restricted=[],
        coverage=1.0 if n_cases else float("nan"),
        density=n_cases / len(cases) if len(cases) else float("nan"),
        mass=1.0,
        n_points=len(cases),
        n_cases=n_cases,
        box_index=-1,
        trajectory=pd.DataFrame(columns=list(TRAJECTORY_COLUMNS)),
        in_box=np.ones(len(cases), dtype=bool),
    )


def choose_box(trajectory: pd.DataFrame, min_density: float) -> int | None:
    """The step with the highest coverage among those with density >= ``min_density``
    (ties: fewer restricted inputs, then higher density); None if no step qualifies."""
    eligible = trajectory[trajectory["density"] >= min_density]
    if eligible.empty:
        return None
    ranked = eligible.sort_values(
        ["coverage", "res_dim", "density"], ascending=[False, True, False], kind="stable"
    )
    return int(ranked["step"].iloc[0])


def discover(
    inputs: pd.DataFrame,
    cases: np.ndarray | pd.Series,
    threshold: float = 0.8,
    min_density: float | None = None,
    select: int | None = None,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> PrimResult:
    """Find one PRIM box of the input space where ``cases`` concentrate.

    Args:
        inputs: one row per point, one column per uncertain input (numeric or categorical);
            pass only the columns to search over.
        cases: one boolean per row of ``inputs``: whether that point is a case of interest.
        threshold: PRIM's density threshold: a box whose final density is below it is no box.
        min_density: the chosen step is the one of highest coverage whose density is at
            least this (default: ``threshold``); see :func:`choose_box`.
        select: choose this step of the trajectory instead (e.g. after looking at the
            trade-off curve).
        peel_alpha, paste_alpha, mass_min: PRIM's own parameters (Friedman & Fisher 1999).

    Returns:
        A :class:`PrimResult`; ``found`` is False, with a ``reason``, when no point or every
        point is a case, or when PRIM finds no box dense enough.
    """
    if inputs.shape[1] == 0 or len(inputs) == 0:
        raise ValueError(f"inputs of shape {inputs.shape}: nothing to search")
    frame = _prepare_inputs(inputs)
    flags = _cases(cases, len(frame))
    n_cases, n_points = int(flags.sum()), len(flags)
    if n_cases == 0:
        return _no_box(frame, flags, f"no case of interest among the {n_points} points")
    if n_cases == n_points:
        return _no_box(
            frame, flags, f"every one of the {n_points} points is a case: the whole space"
        )

    prim = _import_prim()
    # The workbench 2.x takes the threshold (its cases are y >= threshold, 1 here) and returns
    # a "dump box" of every point below it; 3.0 has no threshold and returns the peeled box.
    # Either way the box is checked against the threshold here.
    own = {"threshold": threshold} if "threshold" in inspect.signature(prim.Prim).parameters else {}
    algorithm = _quiet(
        prim.Prim,
        frame,
        flags.astype(int),
        peel_alpha=peel_alpha,
        paste_alpha=paste_alpha,
        mass_min=mass_min,
        **own,
    )
    with _without_quasi_p(prim):
        box = _quiet(algorithm.find_box)
    if box is None or box.mean < threshold:
        return _no_box(frame, flags, f"PRIM found no box with density >= {threshold}")
    trajectory = _trajectory(box.peeling_trajectory)
    if select is None:
        floor = threshold if min_density is None else min_density
        step = choose_box(trajectory, floor)
        if step is None:
            return _no_box(frame, flags, f"no step of the trajectory has density >= {floor}")
    else:
        if not -len(box.box_lims) <= select < len(box.box_lims):
            raise ValueError(f"select={select}: the trajectory has {len(box.box_lims)} steps")
        step = select % len(box.box_lims)

    limits = _limits(frame, box.box_lims[step])
    inside = points_in_box(frame, limits)
    chosen = trajectory.iloc[step]
    if int(inside.sum()) != int(chosen["n"]):
        log.warning(
            "PRIM box step %d: %d points inside its limits, the workbench counted %d",
            step,
            int(inside.sum()),
            int(chosen["n"]),
        )
    restricted = limits.loc[limits["restricted"], "dimension"].tolist()
    result = PrimResult(
        found=True,
        reason="",
        limits=limits,
        restricted=restricted,
        coverage=float(chosen["coverage"]),
        density=float(chosen["density"]),
        mass=float(chosen["mass"]),
        n_points=n_points,
        n_cases=n_cases,
        box_index=step,
        trajectory=trajectory,
        in_box=inside,
    )
    log.info(
        "PRIM box at step %d: coverage %.2f, density %.2f, mass %.2f, restricts %s",
        step,
        result.coverage,
        result.density,
        result.mass,
        ", ".join(restricted) or "nothing",
    )
    return result


def _trajectory(peeling: pd.DataFrame) -> pd.DataFrame:
    """The workbench's peeling trajectory with plain dtypes and a ``step`` column."""
    table = pd.DataFrame(
        {
            "step": np.arange(len(peeling), dtype=np.int64),
            "coverage": peeling["coverage"].to_numpy(dtype=float),
            "density": peeling["density"].to_numpy(dtype=float),
            "mass": peeling["mass"].to_numpy(dtype=float),
            "res_dim": peeling["res_dim"].to_numpy(dtype=np.int64),
            "n": peeling["n"].to_numpy(dtype=np.int64),
            "k": peeling["k"].to_numpy(dtype=np.int64),
        }
    )
    return table


def _lift(limits: pd.DataFrame, inputs: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """``limits`` without the restriction on ``dimension`` (its whole range or every value)."""
    out = limits.copy()
    row = out.index[out["dimension"] == dimension][0]
    if out.at[row, "kind"] == "numeric":
        out.at[row, "lower"], out.at[row, "upper"] = out.at[row, "minimum"], out.at[row, "maximum"]
    else:
        out.at[row, "values"] = tuple(dict.fromkeys(inputs[dimension]))
    out.at[row, "restricted"] = False
    return out


def prune(
    result: PrimResult, inputs: pd.DataFrame, cases: np.ndarray | pd.Series, alpha: float = 0.05
) -> PrimResult:
    """Lift the restrictions of a box that do not matter.

    The quasi-p-value of a restriction (Bryant & Lempert 2010) is the binomial probability
    of at least the box's number of cases among its points, at the density of the box
    without that restriction. While the largest quasi-p-value exceeds ``alpha`` that
    restriction is lifted; coverage, density and mass are then recomputed for the pruned
    box (the trajectory and ``box_index`` still describe PRIM's own box).
    """
    from scipy.stats import binom

    if not result.found or not result.restricted:
        return result
    frame = _prepare_inputs(inputs)
    flags = _cases(cases, len(frame))
    limits = result.limits
    masks = {
        row.dimension: points_in_box(frame, limits[limits["dimension"] == row.dimension])
        for row in limits[limits["restricted"]].itertuples(index=False)
    }
    everywhere = np.ones(len(frame), dtype=bool)

    def within(names: list[str]) -> np.ndarray:
        return np.logical_and.reduce([masks[d] for d in names]) if names else everywhere

    active = list(masks)
    while active:
        inside = within(active)
        n, k = int(inside.sum()), int(flags[inside].sum())
        worst, worst_p = None, alpha
        for dimension in active:
            p0 = flags[within([d for d in active if d != dimension])].mean()
            p_value = float(binom.sf(k - 1, n, p0))
            if p_value > worst_p:
                worst, worst_p = dimension, p_value
        if worst is None:
            break
        active.remove(worst)
        limits = _lift(limits, frame, worst)
        log.debug("PRIM prune: lifted %s (quasi-p %.3f)", worst, worst_p)
    inside = points_in_box(frame, limits)
    n, k = int(inside.sum()), int(flags[inside].sum())
    restricted = limits.loc[limits["restricted"], "dimension"].tolist()
    log.info(
        "PRIM box pruned from %d to %d restricted inputs (%s)",
        len(result.restricted),
        len(restricted),
        ", ".join(restricted) or "none",
    )
    return replace(
        result,
        limits=limits,
        restricted=restricted,
        coverage=k / result.n_cases,
        density=k / n if n else float("nan"),
        mass=n / result.n_points,
        in_box=inside,
    )
