"""What every run figure shares: the strategies' colours and order, the groups drawn, and
the names of the two bands (:mod:`experiments.workflow.figdata`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import matplotlib
import pandas as pd
from matplotlib.patches import Patch

from experiments.workflow.figdata import Group

log = logging.getLogger(__name__)

MAX_ROWS = 8
BASELINE = "none"
BUDGET_UNIT = "1 budget unit = the cost of one leaders' visit (conf/instruments)"
MC_BAND = "Monte Carlo error: 95% CI of the mean (1.96 seed standard errors)"


def strategy_colors(strategies: Sequence[str]) -> dict[str, tuple]:
    """A stable colour per strategy; the null model ``none`` in grey (drawn dashed)."""
    others = [s for s in strategies if s != BASELINE]
    cmap = matplotlib.colormaps["tab10" if len(others) <= 10 else "tab20"]
    colors = {s: cmap(i % cmap.N) for i, s in enumerate(others)}
    colors[BASELINE] = (0.35, 0.35, 0.35, 1.0)
    return colors


def strategies_of(df: pd.DataFrame) -> list[str]:
    col = df["strategy"]
    order = list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype) else []
    seen = list(dict.fromkeys(col.astype(str)))
    return [s for s in order if s in seen] + [s for s in seen if s not in order]


def shown_groups(items: list[Group], what: str) -> tuple[list[Group], str]:
    """The first ``MAX_ROWS`` groups and a note when some are left out."""
    if len(items) <= MAX_ROWS:
        return items, ""
    log.warning("%s: %d of %d parameter groups drawn", what, MAX_ROWS, len(items))
    return items[:MAX_ROWS], f" (first {MAX_ROWS} of {len(items)} points; all in the tables)"


def band_handles(any_predictive: str | None) -> list[Patch]:
    handles = [Patch(color="0.5", alpha=0.35, label=MC_BAND)]
    if any_predictive:
        handles.append(
            Patch(
                facecolor="none",
                edgecolor="0.3",
                ls=":",
                label=any_predictive,
            )
        )
    return handles
