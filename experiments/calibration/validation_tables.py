"""Tables, figures and paragraphs of the validation report (assembled by
:mod:`experiments.calibration.validate`).

The report compares the calibrated configuration of 2022 against the patterns and baselines.

``python -m experiments.validate [n_seeds=..] [seed=..]`` simulates the ``historical``
strategy and the ``none`` strategy (null model, same seeds), with the store's model
parameters and vote rule, scores every pattern of :mod:`experiments.calibration.patterns`
with a bootstrap 90% interval, compares the predicted votes on ES-11/1, ES-11/2 and
ES-11/3 with the actual votes and with the baseline "each state repeats its last vote of
the same kind", and writes ``docs/validation.md`` with figures
``docs/figures/validation_*.png``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from experiments.calibration.facts import (  # noqa: E402
    ASEAN_2022,  # noqa: E402
    meetings,
    predicted_votes,
    repeat_last_vote,
    resolutions,
)
from experiments.calibration.patterns import PatternResult, score  # noqa: E402
from experiments.workflow import store  # noqa: E402
from experiments.workflow.errors import ConfigError  # noqa: E402
from experiments.workflow.paths import CALIBRATION_DIR  # noqa: E402
from sim.config import SimulationConfig  # noqa: E402
from sim.engine import simulate  # noqa: E402
from sim.ladder import LEVEL_NAMES  # noqa: E402
from sim.results import Trajectories  # noqa: E402
from sim.votes import VOTES, VoteRule, modal_vote, vote_shares  # noqa: E402

log = logging.getLogger(__name__)


def vote_table(traj: Trajectories, config: SimulationConfig, rule: VoteRule) -> pd.DataFrame:
    """Per resolution and member: probabilities, modal vote, actual vote, baseline."""
    rows = []
    history = resolutions()
    cols = [config.countries.index(c) for c in ASEAN_2022]
    for res in history:
        shares = vote_shares(predicted_votes(traj, config, res, rule)[:, cols])
        modal = modal_vote(shares)
        earlier = any(r.date < res.date for r in history)  # else no vote to repeat
        base = repeat_last_vote(res, history) if earlier else dict.fromkeys(res.votes, "—")
        for k, code in enumerate(ASEAN_2022):
            rows.append(
                {
                    "resolution": res.name,
                    "kind": res.kind,
                    "country": code,
                    "p_yes": shares[k, 0],
                    "p_abstain": shares[k, 1],
                    "p_no": shares[k, 2],
                    "modal": modal[k],
                    "actual": res.votes[code],
                    "baseline_repeat": base[code],
                }
            )
    return pd.DataFrame(rows)


def figure_votes(votes: pd.DataFrame) -> Figure:
    """Stacked vote probabilities per member and resolution, actual votes marked."""
    names = list(dict.fromkeys(votes["resolution"]))
    fig = Figure(figsize=(12, 3.6))
    axes = fig.subplots(1, len(names), sharey=True)
    colours = {"yes": "#2b8cbe", "abstain": "#bdbdbd", "no": "#de2d26"}
    for ax, name in zip(np.atleast_1d(axes), names, strict=True):
        sub = votes[votes["resolution"] == name]
        x = np.arange(len(sub))
        bottom = np.zeros(len(sub))
        for v in VOTES:
            ax.bar(x, sub[f"p_{v}"], bottom=bottom, color=colours[v], label=v)
            bottom = bottom + sub[f"p_{v}"].to_numpy()
        for i, actual in enumerate(sub["actual"]):
            ax.text(
                i,
                1.03,
                actual[0].upper(),
                ha="center",
                fontsize=9,
                fontweight="bold",
                color=colours[actual],
            )
        ax.set_xticks(x, sub["country"], fontsize=8)
        ax.set_title(f"{name} ({sub['kind'].iloc[0]})", fontsize=10, pad=14)
        ax.set_ylim(0, 1.12)
    np.atleast_1d(axes)[0].set_ylabel("predicted probability")
    np.atleast_1d(axes)[-1].legend(loc="lower right", fontsize=7)
    fig.suptitle("Predicted votes (bars) and actual votes (letters above)", fontsize=10)
    fig.tight_layout()
    return fig


def figure_stances(traj: Trajectories, config: SimulationConfig) -> Figure:
    """Mean stance per member with a 90% band, rung boundaries, meetings and votes."""
    fig = Figure(figsize=(11, 5))
    ax = fig.subplots()
    dates = [config.calendar.date(t) for t in range(traj.stance.shape[1])]
    cmap = matplotlib.colormaps["tab10"]
    for k, code in enumerate(ASEAN_2022):
        j = config.countries.index(code)
        s = traj.stance[:, :, j]
        lo, hi = np.quantile(s, [0.05, 0.95], axis=0)
        ax.plot(dates, s.mean(axis=0), color=cmap(k), label=code, lw=1.5)
        ax.fill_between(dates, lo, hi, color=cmap(k), alpha=0.08)
    for lev in range(1, len(LEVEL_NAMES)):
        ax.axhline(lev, color="grey", lw=0.5, ls=":")
        ax.text(dates[-1], lev + 0.05, LEVEL_NAMES[lev], fontsize=7, ha="right", color="grey")
    for code, d in meetings().items():
        ax.axvline(d, color="k", lw=0.4, ls="--")
        ax.text(d, 0.05, code, fontsize=7, rotation=90)
    for res in resolutions():
        ax.axvline(res.date, color="#2b8cbe", lw=0.6)
        ax.text(res.date, 4.75, res.name, fontsize=7, rotation=90, color="#2b8cbe")
    ax.set_ylabel("stance (rungs)")
    ax.set_ylim(0, 5)
    ax.legend(ncol=5, fontsize=7, loc="upper right", bbox_to_anchor=(1.0, 0.93))
    ax.set_title("Simulated stance, historical strategy (mean and 90% band of runs)")
    fig.tight_layout()
    return fig


def _fmt(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.2f}"


def pattern_rows(
    results: Sequence[PatternResult], null: Sequence[PatternResult], prior: pd.Series
) -> str:
    """The patterns: target, simulated value with its interval, the null model, and the
    share of random prior points passing (a pattern passing almost everywhere tells
    nothing)."""
    lines = [
        "| pattern | observed | tolerance | simulated (historical) [90% interval] | "
        "pass | null model (`none`) | null passes | passes at random prior points |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r, n in zip(results, null, strict=True):
        rate = f"{prior[r.name]:.0%}" if r.name in prior.index else "-"
        lines.append(
            f"| **{r.name}**: {r.description} | {r.observed} | {r.tolerance} | "
            f"{_fmt(r.simulated)} [{_fmt(r.low)}, {_fmt(r.high)}] | "
            f"{'PASS' if r.passed else '**FAIL**'} | {_fmt(n.simulated)} | "
            f"{'pass' if n.passed else 'fail'} | {rate} |"
        )
    return "\n".join(lines)


def discrimination_text(
    null: Sequence[PatternResult], prior: pd.Series, uninformative: float = 0.95
) -> str:
    """Which patterns discriminate: computed from the null model and the prior pass rates."""
    null_fails = [n.name for n in null if not n.passed]
    weak = [k for k, v in prior.items() if v >= uninformative]
    strict = [k for k, v in prior.items() if v < 0.5]
    parts = [
        (
            f"The null model (no outreach) fails {len(null_fails)} pattern(s): "
            + ", ".join(null_fails)
            + "."
            if null_fails
            else "The null model (no outreach) passes every pattern too: at the installed "
            "values the 2022 record alone cannot show that Japan's outreach changed anything."
        ),
        (
            f"Patterns passing at {uninformative:.0%} or more of {prior.attrs.get('n_points', 0)} "
            "random prior points say little about the parameters: " + ", ".join(weak) + "."
            if weak
            else "No pattern passes at almost every random prior point."
        ),
        (
            "The most constraining (passing at under half of the prior): "
            + ", ".join(f"{k} ({prior[k]:.0%})" for k in strict)
            + "."
            if strict
            else ""
        ),
    ]
    return " ".join(p for p in parts if p)


def vote_rows(votes: pd.DataFrame, null_votes: pd.DataFrame) -> str:
    lines = [
        "| resolution | country | p_yes | p_abstain | p_no | predicted (modal) | actual | "
        "repeat-last baseline | null model modal |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (_, r), (_, n) in zip(votes.iterrows(), null_votes.iterrows(), strict=True):
        mark = "" if r["modal"] == r["actual"] else " ✗"
        lines.append(
            f"| {r['resolution']} | {r['country']} | {r['p_yes']:.2f} | "
            f"{r['p_abstain']:.2f} | {r['p_no']:.2f} | {r['modal']}{mark} | "
            f"{r['actual']} | {r['baseline_repeat']} | {n['modal']} |"
        )
    return "\n".join(lines)


def accuracy(votes: pd.DataFrame, column: str) -> dict[str, int]:
    return {
        name: int((g[column] == g["actual"]).sum())
        for name, g in votes.groupby("resolution", sort=False)
    }


def calibration_text() -> str:
    """A paragraph on the calibration behind the defaults (``data/calibration``)."""
    import json

    path = CALIBRATION_DIR / "calibration.json"
    if not path.exists():
        return "No calibration found in `data/calibration/`."
    c = json.loads(path.read_text())
    if "generations" not in c:
        return "Calibration summary in `data/calibration/` is from an older method; rerun it."
    s = c["settings"]
    gens = c["generations"]
    hm = gens[0]
    smc = "; ".join(
        f"{g['generation']}: epsilon {g['epsilon']:.2f}, {g['n_within_epsilon']} "
        f"of {g['n_points']} within"
        for g in gens[1:]
    )
    fin = c["final"]
    why = (c.get("installed") or {}).get("why", "nothing installed")
    return (
        "**Calibration** (`python -m experiments.calibrate`, `data/calibration/`, "
        f"runtime {c['elapsed_s']:.0f} s). Method: {c['method']}. "
        f"{len(c['parameters'])} model parameters searched within their documented ranges. "
        f"History matching wave 1: {hm['n_points']} points x {hm['n_seeds']} seeds "
        f"(Latin hypercube + the start point of conf/calibrate.yaml, "
        f"distance {hm['default_distance']:.2f}), "
        f"{hm['n_nroy']} not ruled out at I <= {s['hm_cutoff']:g}"
        f"{' (refocused on the least implausible)' if hm['refocused'] else ''}. "
        f"ABC-SMC, population {s['population']}, {s['smc_seeds']} seeds per proposal, "
        f"generations {smc}. Final acceptance: {fin['n_accepted']} of "
        f"{fin['n_candidates']} fully passing points pass every pattern again on "
        f"{fin['n_seeds']} fresh seeds and form the accepted set.\n\n"
        f"Why this method: {c.get('why_this_method', 'see calibration.json')}.\n\n"
        f"**Vote rule**: {c['vote_rule']}.\n\n"
        f"**Installed defaults**: {why}."
    )


def parameter_uncertainty(
    config: SimulationConfig,
    rule: VoteRule,
    seeds: np.ndarray,
    max_sets: int = 60,
) -> pd.DataFrame:
    """Every pattern scored for each accepted parameter set of the calibration (model
    parameters and vote rule of the set, common seeds): one row per set and pattern.
    Empty if there is no accepted set."""
    try:
        sets = store.load_accepted_sets()
    except ConfigError:
        return pd.DataFrame(columns=["set", "pattern", "value", "passed"])
    chosen = np.unique(np.linspace(0, len(sets) - 1, min(max_sets, len(sets))).astype(int))
    rows = []
    for k in chosen.tolist():
        params, rule = store.split_point(sets[k], config.params, rule)
        cfg = replace(config, params=params)
        for r in score(simulate(cfg, seeds), cfg, rule):
            rows.append({"set": k, "pattern": r.name, "value": r.simulated, "passed": r.passed})
    return pd.DataFrame(rows)


def uncertainty_rows(spread: pd.DataFrame, results: Sequence[PatternResult]) -> str:
    lines = [
        "| pattern | installed point | accepted sets: median [5%, 95%] | sets passing |",
        "|---|---|---|---|",
    ]
    for r in results:
        sub = spread[spread["pattern"] == r.name]
        lo, med, hi = (float(q) for q in np.quantile(sub["value"], [0.05, 0.5, 0.95]))
        lines.append(
            f"| {r.name} | {_fmt(r.simulated)} | {_fmt(med)} [{_fmt(lo)}, {_fmt(hi)}] "
            f"| {int(sub['passed'].sum())}/{len(sub)} |"
        )
    return "\n".join(lines)
