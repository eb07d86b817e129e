"""Sampling designs over an uncertainty space.

A :class:`Design` has two faces of the same rows:

- ``unit``: one column per free (not fixed) dimension, values in [0, 1]. SALib's analysers
  read this face (Morris elementary effects are then per unit of each dimension's range,
  comparable across dimensions).
- ``values``: the rows mapped to each dimension's own values, plus one constant column per
  fixed value. The model is run on this face.

Mapping from a unit value ``u``:

- ``real``: ``lo + u * (hi - lo)``.
- ``log``: a positive real range on a log scale, ``lo * (hi / lo) ** u`` (each doubling of
  the value is equally likely).
- ``integer``: ``[0, 1]`` is cut into ``hi - lo + 1`` equal bins, ``lo + floor(u * n)``
  (``u = 1`` maps to ``hi``), so every integer is equally likely and Latin hypercube strata
  stay balanced.
- ``categorical``: the same binning over the list of values, ``values[floor(u * k)]``.

Every draw comes from the ``seed`` given to the design function; the same seed gives the
same design.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

Kind = Literal["real", "log", "integer", "categorical"]
KINDS: tuple[str, ...] = ("real", "log", "integer", "categorical")
POINT = "point"
"""Name of the design's row index: the design point."""


@dataclass(frozen=True)
class Dimension:
    """One uncertain input.

    Attributes:
        name: column name in the design (e.g. ``model.peer_weight``).
        kind: ``real``, ``log`` (a real range sampled on a log scale), ``integer`` or
            ``categorical``.
        lo, hi: inclusive range of a ``real``, ``log`` or ``integer`` dimension.
        values: the values of a ``categorical`` dimension, in order.
    """

    name: str
    kind: Kind
    lo: float | None = None
    hi: float | None = None
    values: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"dimension {self.name!r}: kind {self.kind!r} is not one of {KINDS}")
        if self.kind == "categorical":
            if len(self.values) < 1 or self.lo is not None or self.hi is not None:
                raise ValueError(
                    f"dimension {self.name!r}: a categorical needs a non-empty list of values "
                    "and no lo/hi"
                )
            if len(set(self.values)) != len(self.values):
                raise ValueError(f"dimension {self.name!r}: repeated categorical values")
            object.__setattr__(self, "values", tuple(self.values))
            return
        if self.lo is None or self.hi is None or self.values:
            raise ValueError(f"dimension {self.name!r}: a {self.kind} needs lo and hi, no values")
        if not self.lo <= self.hi:
            raise ValueError(f"dimension {self.name!r}: lo {self.lo} > hi {self.hi}")
        if self.kind == "integer" and (self.lo != int(self.lo) or self.hi != int(self.hi)):
            raise ValueError(f"dimension {self.name!r}: integer bounds must be whole numbers")
        if self.kind == "log" and not self.lo > 0:
            raise ValueError(f"dimension {self.name!r}: a log range needs lo > 0, got {self.lo}")

    @classmethod
    def real(cls, name: str, lo: float, hi: float) -> Dimension:
        return cls(name, "real", lo=float(lo), hi=float(hi))

    @classmethod
    def log_scale(cls, name: str, lo: float, hi: float) -> Dimension:
        return cls(name, "log", lo=float(lo), hi=float(hi))

    @classmethod
    def integer(cls, name: str, lo: int, hi: int) -> Dimension:
        return cls(name, "integer", lo=lo, hi=hi)

    @classmethod
    def categorical(cls, name: str, values: Iterable[Any]) -> Dimension:
        return cls(name, "categorical", values=tuple(values))

    @property
    def n_levels(self) -> int | None:
        """Number of distinct values (None for a real dimension)."""
        if self.kind == "categorical":
            return len(self.values)
        if self.kind == "integer":
            return int(self.hi) - int(self.lo) + 1
        return None

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a value this dimension can take."""
        if self.kind == "categorical":
            return value in self.values
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            return False
        if self.kind == "integer" and value != int(value):
            return False
        return self.lo <= value <= self.hi

    def from_unit(self, unit: np.ndarray) -> pd.Series:
        """Map unit values in [0, 1] to this dimension's values (see the module docstring)."""
        unit = np.asarray(unit, dtype=float)
        if unit.size and (unit.min() < 0.0 or unit.max() > 1.0):
            raise ValueError(f"dimension {self.name!r}: unit values outside [0, 1]")
        if self.kind == "real":
            return pd.Series(self.lo + unit * (self.hi - self.lo), name=self.name, dtype=float)
        if self.kind == "log":
            values = self.lo * (self.hi / self.lo) ** unit
            return pd.Series(np.clip(values, self.lo, self.hi), name=self.name, dtype=float)
        index = np.minimum(np.floor(unit * self.n_levels).astype(np.int64), self.n_levels - 1)
        if self.kind == "integer":
            return pd.Series(int(self.lo) + index, name=self.name, dtype=np.int64)
        return pd.Series([self.values[i] for i in index], name=self.name)


@dataclass(frozen=True)
class UncertaintySpace:
    """Named dimensions to sample, and values held fixed.

    A key of ``fixed`` that names a dimension pins it (it is then not sampled, and its value
    must lie in its range); any other key adds a constant column to every design.
    """

    dimensions: tuple[Dimension, ...]
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "dimensions", tuple(self.dimensions))
        object.__setattr__(self, "fixed", dict(self.fixed))
        names = [d.name for d in self.dimensions]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"repeated dimension names: {repeated}")
        by_name = {d.name: d for d in self.dimensions}
        for name, value in self.fixed.items():
            if name in by_name and not by_name[name].contains(value):
                raise ValueError(f"fixed value {value!r} of {name!r} is outside its range")
        if not self.free:
            raise ValueError("every dimension is fixed: nothing to sample")

    @classmethod
    def from_dict(
        cls, spec: Mapping[str, Mapping[str, Any]], fixed: Mapping[str, Any] | None = None
    ) -> UncertaintySpace:
        """Build from plain config, e.g. ``{"budget": {"kind": "real", "lo": 0, "hi": 10},
        "institution": {"kind": "categorical", "values": ["none", "g7"]}}``."""
        allowed = {"kind", "lo", "hi", "values"}
        dims = []
        for name, entry in spec.items():
            unknown = set(entry) - allowed
            if unknown:
                raise ValueError(f"dimension {name!r}: unknown keys {sorted(unknown)}")
            if "kind" not in entry:
                raise ValueError(f"dimension {name!r}: missing 'kind'")
            dims.append(
                Dimension(
                    name,
                    entry["kind"],
                    lo=entry.get("lo"),  # optional keys; Dimension checks what its kind needs
                    hi=entry.get("hi"),
                    values=tuple(entry.get("values", ())),
                )
            )
        return cls(tuple(dims), fixed or {})

    @property
    def free(self) -> tuple[Dimension, ...]:
        """Dimensions that are sampled (not pinned by ``fixed``)."""
        return tuple(d for d in self.dimensions if d.name not in self.fixed)

    @property
    def names(self) -> list[str]:
        """Names of the sampled dimensions, in order: the columns of ``Design.unit``."""
        return [d.name for d in self.free]

    def salib_problem(self) -> dict[str, Any]:
        """SALib problem over the unit hypercube of the sampled dimensions."""
        return {
            "num_vars": len(self.free),
            "names": self.names,
            "bounds": [[0.0, 1.0]] * len(self.free),
        }

    def to_values(self, unit: np.ndarray) -> pd.DataFrame:
        """Map a unit sample (rows x sampled dimensions) to a values table.

        Returns:
            DataFrame indexed by ``point`` (0..rows-1) with one column per dimension (in the
            order given, pinned ones constant) then one per extra fixed value.
        """
        unit = np.asarray(unit, dtype=float)
        if unit.ndim != 2 or unit.shape[1] != len(self.free):
            raise ValueError(
                f"unit sample of shape {unit.shape}; expected (rows, {len(self.free)})"
            )
        index = pd.RangeIndex(unit.shape[0], name=POINT)
        free = {d.name: j for j, d in enumerate(self.free)}
        columns: dict[str, pd.Series] = {}
        for dim in self.dimensions:
            if dim.name in free:
                columns[dim.name] = dim.from_unit(unit[:, free[dim.name]]).set_axis(index)
            else:
                columns[dim.name] = _constant(self.fixed[dim.name], index)
        for name, value in self.fixed.items():
            if name not in columns:
                columns[name] = _constant(value, index)
        return pd.DataFrame(columns, index=index)


def _constant(value: Any, index: pd.Index) -> pd.Series:
    return pd.Series([value] * len(index), index=index)


@dataclass(frozen=True)
class Design:
    """A sample of an uncertainty space.

    Attributes:
        method: ``lhs``, ``sobol`` or ``morris``.
        seed: the seed every draw came from.
        n: base size: LHS rows, Sobol base sample N, or Morris trajectories.
        names: the sampled dimensions, in the order of ``unit``'s columns.
        unit: rows x sampled dimensions, in [0, 1] (columns in ``space.names`` order).
        values: the same rows mapped (see :meth:`UncertaintySpace.to_values`).
        calc_second_order: Sobol only: whether the design supports second-order indices.
        num_levels: Morris only: grid levels per dimension.
    """

    method: str
    seed: int
    n: int
    names: tuple[str, ...]
    unit: np.ndarray
    values: pd.DataFrame
    calc_second_order: bool | None = None
    num_levels: int | None = None

    @property
    def n_rows(self) -> int:
        return int(self.unit.shape[0])


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _check_n(n: int, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"{what} must be a positive integer, got {n!r}")
    return int(n)


def latin_hypercube(space: UncertaintySpace, n: int, seed: int) -> Design:
    """Latin hypercube of ``n`` points (``scipy.stats.qmc.LatinHypercube``, one stratum per
    point and dimension)."""
    from scipy.stats import qmc

    n, seed = _check_n(n, "n"), _check_seed(seed)
    engine = qmc.LatinHypercube(d=len(space.free), rng=np.random.default_rng(seed))
    unit = engine.random(n)
    log.info("Latin hypercube: %d points over %d dimensions (seed %d)", n, len(space.free), seed)
    return Design("lhs", seed, n, tuple(space.names), unit, space.to_values(unit))


def sobol_row_count(n: int, n_dimensions: int, calc_second_order: bool = True) -> int:
    """Rows of a Saltelli/Sobol design: ``n (2D + 2)`` with second order, else ``n (D + 2)``."""
    return n * (2 * n_dimensions + 2 if calc_second_order else n_dimensions + 2)


def sobol_design(
    space: UncertaintySpace, n: int, seed: int, calc_second_order: bool = True
) -> Design:
    """Saltelli's cross-sampled Sobol' design (``SALib.sample.sobol.sample``, scrambled).

    ``n`` is the base sample size and must be a power of two (the Sobol' sequence's balance
    properties hold only then). Rows: :func:`sobol_row_count`. Analyse the outcomes with
    :func:`experiments.analysis.sensitivity.sobol_indices` and the same ``calc_second_order``.
    """
    from SALib.sample import sobol

    n, seed = _check_n(n, "n"), _check_seed(seed)
    if n & (n - 1):
        raise ValueError(f"Sobol base sample size n must be a power of two, got {n}")
    unit = sobol.sample(
        space.salib_problem(), n, calc_second_order=calc_second_order, scramble=True, seed=seed
    )
    expected = sobol_row_count(n, len(space.free), calc_second_order)
    if unit.shape[0] != expected:  # SALib's own contract; a mismatch would corrupt indices
        raise RuntimeError(f"SALib returned {unit.shape[0]} rows, expected {expected}")
    log.info(
        "Sobol design: N=%d x (%s) = %d rows over %d dimensions (second order: %s, seed %d)",
        n,
        "2D+2" if calc_second_order else "D+2",
        expected,
        len(space.free),
        calc_second_order,
        seed,
    )
    return Design(
        "sobol",
        seed,
        n,
        tuple(space.names),
        unit,
        space.to_values(unit),
        calc_second_order=calc_second_order,
    )


def morris_design(
    space: UncertaintySpace,
    n_trajectories: int,
    seed: int,
    num_levels: int = 4,
    optimal_trajectories: int | None = None,
) -> Design:
    """Morris one-at-a-time trajectories (``SALib.sample.morris.sample``) on a grid of
    ``num_levels`` levels; rows ``trajectories x (D + 1)``.

    With ``optimal_trajectories`` (Campolongo et al. 2007), ``n_trajectories`` candidates are
    drawn and that many of the most spread-out ones are kept.

    For an integer or categorical dimension a grid step may leave the value unchanged
    (e.g. 3 categories on 4 levels: unit values 2/3 and 1 both map to the last category),
    which dilutes its elementary effects; give such dimensions ``num_levels`` values where
    possible.
    """
    from SALib.sample import morris

    n_trajectories, seed = _check_n(n_trajectories, "n_trajectories"), _check_seed(seed)
    if num_levels < 2 or num_levels % 2:
        raise ValueError(f"num_levels must be an even integer >= 2, got {num_levels}")
    if optimal_trajectories is not None and not 2 <= optimal_trajectories < n_trajectories:
        raise ValueError("optimal_trajectories must be >= 2 and < n_trajectories")
    unit = morris.sample(
        space.salib_problem(),
        n_trajectories,
        num_levels=num_levels,
        optimal_trajectories=optimal_trajectories,
        seed=seed,
    )
    kept = optimal_trajectories or n_trajectories
    log.info(
        "Morris design: %d trajectories x (D+1=%d) = %d rows (%d levels, seed %d)",
        kept,
        len(space.free) + 1,
        unit.shape[0],
        num_levels,
        seed,
    )
    return Design(
        "morris", seed, kept, tuple(space.names), unit, space.to_values(unit), num_levels=num_levels
    )


def design_table(design: Design) -> pd.DataFrame:
    """The design as one table to save next to the results.

    Returns:
        DataFrame indexed by ``point``: the value columns, then one ``unit:<name>`` column
        per sampled dimension (the analysers read those, e.g. for Morris).
    """
    unit = pd.DataFrame(
        design.unit, columns=[f"unit:{name}" for name in design.names], index=design.values.index
    )
    return pd.concat([design.values, unit], axis=1)
