"""The Compare view's pair verdicts and parameter bands, by the report's own functions.

The worlds of a Compare view are the accepted calibration sets it runs, every strategy on
the same sets and seeds. Over them:

- pair verdicts: :func:`experiments.analysis.pairwise.pairwise_table`, the function that
  writes the report's ``pairwise.csv``, on the headline outcomes and with the thresholds
  (``verdict_share``, ``min_separated``) of ``conf/analyse.yaml``; a ``depends`` verdict
  names the parameter of the accepted sets whose one split best predicts the sign;
- parameter bands: :func:`experiments.workflow.comparison.set_stats`, the function of the
  main job's ``comparison.csv``: the pooled mean, its Monte Carlo error (seed standard
  error, shrinks with more seeds) and, apart, the 5-95% spread over sets of the per-set
  means (what the 2022 record cannot pin down; more seeds do not shrink it).

Nothing here imports Solara.
"""

from __future__ import annotations

import functools
import html
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from omegaconf import OmegaConf

from experiments.analysis.pairwise import pairwise_table
from experiments.analysis.robustness import Outcome
from experiments.analysis.tables import PAIRWISE, SCHEMAS, outcomes_from_conf
from experiments.workflow.comparison import SPREAD, set_stats
from experiments.workflow.errors import ConfigError
from experiments.workflow.figdata import SETS
from experiments.workflow.paths import CONF_DIR
from experiments.workflow.schema import DecisionConf
from experiments.workflow.store import load_accepted_sets

ANALYSE_CONFIG = CONF_DIR / "analyse.yaml"


@dataclass(frozen=True)
class Rules:
    """What the report's verdicts read: headline outcomes and the two thresholds."""

    headline: tuple[Outcome, ...]
    share: float  # distinguishable: one side better in at least this share of worlds
    min_separated: float  # indistinguishable: separated in fewer worlds than this


@functools.cache
def rules() -> Rules:
    """The ``decision`` and ``outcomes`` of ``conf/analyse.yaml`` (one-line error on a
    headline outcome that is not an outcome)."""
    raw = OmegaConf.load(ANALYSE_CONFIG)
    decision = OmegaConf.merge(OmegaConf.structured(DecisionConf), raw.decision)
    outcomes = outcomes_from_conf(OmegaConf.to_container(raw.outcomes))  # type: ignore[arg-type]
    by_name = {o.name: o for o in outcomes}
    for name in decision.headline:
        if name not in by_name:
            raise ConfigError("decision.headline", f"{name!r} is not an outcome", list(by_name))
    headline = tuple(by_name[n] for n in decision.headline) or (outcomes[0],)
    return Rules(headline, float(decision.verdict_share), float(decision.min_separated))


def set_inputs(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per point (sorted by point): the model parameters of its accepted set that
    vary over the sets run (no columns for the calibrated point alone)."""
    points = summary.drop_duplicates("point").sort_values("point")
    if SETS not in summary.columns:
        return pd.DataFrame(index=range(len(points)))
    sets = load_accepted_sets()
    frame = pd.DataFrame(
        [{k: v for k, v in sets[int(i)].items() if k.startswith("model.")} for i in points[SETS]]
    )
    return frame.loc[:, frame.nunique() > 1].reset_index(drop=True)


@dataclass(frozen=True)
class Verdicts:
    """The pair verdicts and parameter bands of one Compare view."""

    pairs: pd.DataFrame  # pairwise.csv's columns, design "dashboard"
    bands: pd.DataFrame  # strategy, outcome, sets, seeds, mean, mc_se, p05, p95
    n_sets: int
    n_seeds: int
    seconds: float


def verdicts(summary: pd.DataFrame, strategies: Sequence[str], budget: float) -> Verdicts:
    """Pair verdicts of every pair of ``strategies`` and their parameter bands on each
    headline outcome, over the points (accepted sets) and seeds of ``summary``."""
    t0 = time.perf_counter()
    r = rules()
    strategies = list(strategies)
    runs = summary[summary["strategy"].isin(strategies)]
    pairs = pd.DataFrame(columns=list(SCHEMAS[PAIRWISE]))
    if len(strategies) > 1:
        table = pairwise_table(
            runs, set_inputs(runs), strategies, r.headline, r.share, r.min_separated
        )
        pairs = table.assign(design="dashboard", budget=budget).reindex(columns=pairs.columns)
    rows = []
    for strategy in strategies:
        part = runs[runs["strategy"] == strategy]
        for o in r.headline:
            got = set_stats(part, o.name)
            rows.append(
                {"strategy": strategy, "outcome": o.name, "sets": part["point"].nunique(),
                 "seeds": int(part.groupby("point")["seed"].nunique().max()),
                 "mean": got[o.name], "mc_se": got[f"{o.name}_mc_se"],
                 "p05": got[f"{o.name}_p05"], "p95": got[f"{o.name}_p95"]}
            )  # fmt: skip
    bands = pd.DataFrame(rows)
    return Verdicts(
        pairs,
        bands,
        int(runs["point"].nunique()),
        int(runs.groupby("point")["seed"].nunique().max()),
        time.perf_counter() - t0,
    )


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def verdict_text(row: pd.Series, strategy: str, reference: str) -> tuple[str, str]:
    """``(verdict, detail)`` of a pair row read as ``strategy`` against ``reference``."""
    flip = row["strategy_a"] == reference
    mine, theirs = (
        (row["share_b_better"], row["share_a_better"])
        if flip
        else (row["share_a_better"], row["share_b_better"])
    )
    diff = -row["mean_difference"] if flip else row["mean_difference"]
    shares = f"{strategy} better in {_pct(mine)}, {reference} in {_pct(theirs)} of sets"
    verdict = str(row["verdict"])
    if verdict == "distinguishable":
        return f"{row['better']} better", f"{shares}; mean difference {diff:+.2f}"
    if verdict == "indistinguishable":
        return "indistinguishable", f"{shares}; mean difference {diff:+.2f}"
    decider = str(row["decider"] or "")
    if not decider or decider == "nan":
        return "depends", shares
    side = "b" if flip else "a"
    inside, outside = row[f"share_{side}_better_in"], row[f"share_{side}_better_out"]
    name = decider.removeprefix("model.")
    return (
        f"depends on {name}",
        f"{shares}; {strategy} better in {_pct(inside)} of sets with {name} "
        f"{row['decider_rule']}, in {_pct(outside)} of the others",
    )


def verdicts_html(v: Verdicts, reference: str) -> str:
    """Every other strategy against ``reference``: one cell per headline outcome."""
    headline = rules().headline
    head = "".join(f"<th>{html.escape(o.label or o.name)}</th>" for o in headline)
    pairs = v.pairs
    involved = pairs[(pairs["strategy_a"] == reference) | (pairs["strategy_b"] == reference)]
    others = list(dict.fromkeys(v.bands["strategy"]))
    body = []
    for strategy in others:
        if strategy == reference:
            continue
        cells = []
        for o in headline:
            row = involved[
                (involved["outcome"] == o.name)
                & ((involved["strategy_a"] == strategy) | (involved["strategy_b"] == strategy))
            ].iloc[0]
            verdict, detail = verdict_text(row, strategy, reference)
            css = f"verdict-{row['verdict']}"
            cells.append(
                f'<td class="{css}"><b>{html.escape(verdict)}</b><br>'
                f'<span class="verdict-detail">{html.escape(detail)}</span></td>'
            )
        body.append(f"<tr><th>{html.escape(strategy)}</th>{''.join(cells)}</tr>")
    return (
        f'<table class="verdict-table"><thead><tr><th>strategy vs {html.escape(reference)}'
        f"</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _number(x: float, digits: int = 2) -> str:
    return "-" if not math.isfinite(x) else f"{x:.{digits}f}"


def bands_html(v: Verdicts) -> str:
    """Per strategy and headline outcome: mean with its Monte Carlo error, and apart, the
    5-95% band over accepted sets."""
    headline = rules().headline
    lo, hi = (round(100 * q) for q in SPREAD)
    top = "".join(
        f'<th colspan="2">{html.escape(o.label or o.name)}'
        f"{f' ({html.escape(o.unit)})' if o.unit else ''}</th>"
        for o in headline
    )
    sub = "".join(
        f'<th class="mc-head">mean ± Monte Carlo error</th>'
        f'<th class="band-head">parameter band: {lo}-{hi}% over sets</th>'
        for _ in headline
    )
    cells = v.bands.set_index(["strategy", "outcome"])
    body = []
    for strategy in dict.fromkeys(v.bands["strategy"]):
        tds = []
        for o in headline:
            c = cells.loc[(strategy, o.name)]
            band = (
                f"{_number(c['p05'])} to {_number(c['p95'])}"
                if math.isfinite(c["p05"])
                else "- (one set)"
            )
            tds.append(
                f'<td class="mc-cell">{_number(c["mean"])} ± {_number(c["mc_se"], 3)}</td>'
                f'<td class="band-cell">{band}</td>'
            )
        body.append(f"<tr><th>{html.escape(strategy)}</th>{''.join(tds)}</tr>")
    return (
        '<table class="band-table"><thead><tr><th rowspan="2">strategy</th>'
        f"{top}</tr><tr>{sub}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
