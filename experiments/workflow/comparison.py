"""The strategy comparison table (``comparison.csv``): per strategy and group of points
(accepted calibration sets pooled), each outcome's mean with its two uncertainties kept
apart, the outcome bought per 100 budget units, and whether the outcome has settled by
the end of the horizon (members at 'condemn' or higher, and the strategy's effect on
leakage: leakage itself drifts with the world, under `none` too).

- Monte Carlo error: the seed standard error of the pooled mean (more seeds shrink it);
- parameter spread: the 5% and 95% quantiles over accepted sets of the per-set means
  (what the 2022 record cannot pin down; more seeds do not shrink it; NaN with one set).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from experiments.workflow import atomic, figdata, outputs

COMPARISON = "comparison.csv"
BASELINE = "none"
REPLAY = "historical"
SPREAD = (0.05, 0.95)
SETTLE_WEEKS = 8
"""Weeks before the end over which an outcome's change is measured."""
SETTLED: dict[str, float] = {"n_condemn_or_higher": 0.1, "leakage": 0.1}
"""Largest change over the last :data:`SETTLE_WEEKS` weeks of a settled outcome: members at
'condemn' or higher (members), and the strategy's leakage effect, its mean leakage less
`none`'s on the same seeds (USD bn/yr; leakage itself drifts with the coalition and trade
whatever Japan does)."""
HEADLINE = "ever_naming_russia"
"""The headline outcome: the observable the calibration checks against the 2022 record."""
MEASURES: dict[str, str] = {
    HEADLINE: "members naming Russia in their own statements at any step (the record's observable)",
    "final_condemn_or_higher": "members at 'condemn' or higher at the end (latent stance)",
    "final_distancing_or_more": "members at 'distancing' or beyond on the material track "
    "at the end",
    "mean_leakage": "leakage over the horizon, USD bn/yr",
    "budget_spent": "Japan's outreach spending over the horizon, budget units",
    "final_sanctioning": "members at 'sanction' at the end",
}
"""The outcomes of the table, in the order an analyst reads them: the headline observable
and what strategies move first, members at 'sanction' (about the same under every strategy
at Japan's effort) last."""
GAINS: dict[str, tuple[str, float, str]] = {
    "condemn_gain_per_100": (
        "final_condemn_or_higher",
        1.0,
        "members at 'condemn' or higher above `none`, per 100 budget units spent",
    ),
    "distancing_gain_per_100": (
        "final_distancing_or_more",
        1.0,
        "members at 'distancing' or beyond above `none`, per 100 budget units spent",
    ),
    "leakage_cut_per_100": (
        "mean_leakage",
        -1.0,
        "mean leakage below `none` (USD bn/yr), per 100 budget units spent",
    ),
}
"""Outcome bought per 100 budget units: (measure, sign of a gain, meaning)."""

COLUMNS: dict[str, tuple[str, str]] = {
    "job": ("integer", "multirun job (sweep folder roots only)"),
    "strategy": ("string", "Japan's strategy"),
    "<swept parameter>": ("as swept", "one column per `sweep` key but accepted_set: its value"),
    "sets": ("integer", "accepted calibration sets pooled (1: the calibrated point only)"),
    "seeds": ("integer", "seeds per set"),
    **{
        column: spec
        for m, what in MEASURES.items()
        for column, spec in (
            (m, ("float", f"mean {what}, pooled over sets and seeds")),
            (f"{m}_mc_se", ("float", f"Monte Carlo error of `{m}`: seed standard error")),
            (f"{m}_p05", ("float", f"parameter spread of `{m}`: 5% over sets of the set means")),
            (f"{m}_p95", ("float", f"parameter spread of `{m}`: 95% over sets of the set means")),
        )
    },
    **{column: ("float", meaning) for column, (_m, _sign, meaning) in GAINS.items()},
    "share_sets_best": (
        "float",
        f"share of accepted sets in which the strategy has the highest per-set mean of "
        f"`{HEADLINE}` (ties split; 1 set: the calibrated point)",
    ),
    "spend_vs_historical": ("float", "spending as a multiple of the `historical` replay's"),
    "condemn_change_last_8w": (
        "float",
        "change of the mean members at 'condemn' or higher over the last 8 weeks",
    ),
    "leakage_change_last_8w": (
        "float",
        "change of the mean leakage over the last 8 weeks (drift of the world included)",
    ),
    "leakage_effect_change_last_8w": (
        "float",
        "change over the last 8 weeks of the mean leakage less `none`'s on the same seeds "
        "(the strategy's effect; 0 for `none`; empty without `none`)",
    ),
    "settled": (
        "boolean",
        "members at 'condemn' or higher and the leakage effect (its own change without "
        "`none`) each changed by at most 0.1 (members; USD bn/yr) over the last 8 weeks",
    ),
}


def set_stats(part: pd.DataFrame, measure: str) -> dict[str, float]:
    """Pooled mean, seed standard error and spread over sets (points) of ``measure``."""
    by_set = part.groupby("point")[measure].agg(["count", "mean", "var"])
    n, means, var = by_set["count"].to_numpy(float), by_set["mean"].to_numpy(), by_set["var"]
    var = var.fillna(0.0).to_numpy()
    total = n.sum()
    se = float(np.sqrt(((n / total) ** 2 * var / np.maximum(n, 1)).sum()))
    lo, hi = np.quantile(means, SPREAD) if len(means) > 1 else (np.nan, np.nan)
    return {
        measure: float((n * means).sum() / total),
        f"{measure}_mc_se": se,
        f"{measure}_p05": float(lo),
        f"{measure}_p95": float(hi),
    }


def _settling(curves: pd.DataFrame, keys: dict[str, Any], points: list[Any]) -> dict[str, Any]:
    """Change of the pooled mean of each run-level series over the last weeks."""
    out: dict[str, Any] = {}
    rows = curves[curves["strategy"].astype(str) == keys["strategy"]]
    rows = rows[rows["point"].isin(points)]
    if "job" in keys:
        rows = rows[rows["job"] == keys["job"]]
    for measure, name in (("n_condemn_or_higher", "condemn"), ("leakage", "leakage")):
        r = rows[rows["measure"].astype(str) == measure]
        last = int(r["step"].max())
        means = []
        for step in (last - SETTLE_WEEKS, last):
            at = r[r["step"] == max(step, 0)]
            means.append(float((at["n"] * at["mean"]).sum() / at["n"].sum()))
        out[f"{name}_change_last_8w"] = means[1] - means[0]
    return out


def share_sets_best(summary: pd.DataFrame, keys: list[str]) -> dict[tuple[Any, ...], float]:
    """Per (job,) strategy and group: the share of its sets (points) in which it has the
    highest per-set mean of :data:`HEADLINE` among the strategies of the group; ties split."""
    others = [k for k in keys if k != "strategy"]
    df = summary.assign(strategy=summary["strategy"].astype(str), _all=0)
    means = df.groupby([*others, "_all", "point", "strategy"], observed=True)[HEADLINE].mean()
    means = means.reset_index()
    at = [*others, "_all", "point"]
    top = means.groupby(at, observed=True)[HEADLINE].transform("max")
    win = (means[HEADLINE] >= top - 1e-9).astype(float)
    means["win"] = win / win.groupby([means[c] for c in at]).transform("sum")
    share = means.groupby([*others, "strategy"], observed=True, sort=False)["win"].mean()
    return {
        tuple(
            str(v) if k == "strategy" else v
            for k, v in zip(keys, _ordered(idx, others, keys), strict=True)
        ): float(w)
        for idx, w in share.items()
    }


def _ordered(idx: Any, others: list[str], keys: list[str]) -> tuple[Any, ...]:
    """A (*others, strategy) index value in the order of ``keys``."""
    idx = idx if isinstance(idx, tuple) else (idx,)
    named = dict(zip([*others, "strategy"], idx, strict=True))
    return tuple(named[k] for k in keys)


def comparison_table(summary: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """One row per (job,) strategy and group of points, accepted sets pooled."""
    swept = [c for c in figdata.swept_columns(summary) if c not in ("job", "overrides")]
    shown = [c for c in swept if c != figdata.SETS]
    keys = [*(["job"] if "job" in summary.columns else []), "strategy", *shown]
    rows = []
    best = share_sets_best(summary, keys)
    for values, part in summary.groupby(keys, sort=False, observed=True):
        key = dict(zip(keys, values if isinstance(values, tuple) else (values,), strict=True))
        key["strategy"] = str(key["strategy"])
        key_values = tuple(key[k] for k in keys)
        row: dict[str, Any] = {**key, "sets": part["point"].nunique()}
        row["seeds"] = int(part.groupby("point")["seed"].nunique().max())
        for measure in MEASURES:
            row.update(set_stats(part, measure))
        row.update(_settling(curves, key, sorted(part["point"].unique())))
        row["share_sets_best"] = best.get(key_values, np.nan)
        rows.append(row)
    table = pd.DataFrame(rows).assign(_all=0)
    others = [*(k for k in keys if k != "strategy"), "_all"]
    for name, prefix in ((BASELINE, "base"), (REPLAY, "replay")):
        ref = table[table["strategy"] == name]
        cols = {m: f"{prefix}_{m}" for m in (*MEASURES, "leakage_change_last_8w")}
        table = table.merge(ref[[*others, *cols]].rename(columns=cols), on=others, how="left")
    spent = table["budget_spent"].where(table["budget_spent"] > 0)
    for column, (measure, sign, _meaning) in GAINS.items():
        table[column] = sign * 100 * (table[measure] - table[f"base_{measure}"]) / spent
    effect = table["leakage_change_last_8w"] - table["base_leakage_change_last_8w"]
    table["leakage_effect_change_last_8w"] = effect
    judged = effect.where(effect.notna(), table["leakage_change_last_8w"])
    condemn = table["condemn_change_last_8w"].abs() <= SETTLED["n_condemn_or_higher"]
    table["settled"] = condemn & (judged.abs() <= SETTLED["leakage"])
    replay = table["replay_budget_spent"]
    table["spend_vs_historical"] = table["budget_spent"] / replay.where(replay > 0)
    order = [c for c in COLUMNS if c in table.columns and c != "<swept parameter>"]
    return table[[*order[:2], *shown, *order[2:]]] if shown else table[order]


def write_comparison(directory: Path) -> tuple[Path, int]:
    """Write ``comparison.csv`` in ``directory`` from its summary and curves; (path, rows)."""
    directory = Path(directory)
    schema = pq.read_schema(directory / outputs.SUMMARY)
    wanted = ["strategy", "point", "seed", *MEASURES]
    extra = [c for c in schema.names if c not in outputs.SCHEMAS[outputs.SUMMARY]]
    summary = pq.read_table(directory / outputs.SUMMARY, columns=[*wanted, *extra]).to_pandas()
    measures = list(SETTLED)
    curves = pq.read_table(
        directory / outputs.CURVES, filters=[("measure", "in", measures)]
    ).to_pandas()
    table = comparison_table(summary, curves)
    path = directory / COMPARISON
    atomic.atomic_write(path, lambda tmp: table.to_csv(tmp, index=False, float_format="%.6g"))
    return path, len(table)


CONSOLE_LEGEND = (
    "members naming Russia in their own statements at any step (the record's observable), "
    "spread over accepted sets, Monte Carlo error; members at 'condemn' or higher at the end "
    "(latent stance); members at 'distancing' or beyond on the material track; mean leakage, "
    "USD bn/yr; budget spent, budget units; members gained over none per 100 units "
    "(condemn+, distancing+); share of accepted sets in which the strategy names most; "
    f"settled over the last {SETTLE_WEEKS} weeks (condemn+ and the leakage effect)"
)
"""What the columns of :func:`console_table` are, in order."""


def console_table(table: pd.DataFrame) -> str:
    """The comparison table's main columns as fixed-width text, one line per row."""
    m, c, d = HEADLINE, "final_condemn_or_higher", "final_distancing_or_more"
    head = ("strategy", "naming", "5-95% sets", "MC se", "condemn+", "distanc+", "leakage",
            "spent", "+c/100u", "+d/100u", "best", "settled")  # fmt: skip
    row = "{:<18} {:>7} {:>10} {:>6} {:>8} {:>8} {:>7} {:>6} {:>7} {:>7} {:>5} {:>7}"
    lines = [row.format(*head)]
    for r in table.to_dict("records"):
        spread = f"{r[m + '_p05']:.2f}-{r[m + '_p95']:.2f}" if r["sets"] > 1 else "-"
        lines.append(
            row.format(
                r["strategy"],
                f"{r[m]:.2f}",
                spread,
                f"{r[m + '_mc_se']:.3f}",
                f"{r[c]:.2f}",
                f"{r[d]:.2f}",
                f"{r['mean_leakage']:.2f}",
                f"{r['budget_spent']:.1f}",
                f"{r['condemn_gain_per_100']:.2f}",
                f"{r['distancing_gain_per_100']:.2f}",
                f"{r['share_sets_best']:.0%}",
                "yes" if r["settled"] else "NO",
            )  # fmt: skip
        )
    return "\n".join(lines)
