"""The Compare view's panel of pair verdicts and parameter bands (the report's rules), and
the control of the accepted calibration sets it runs over.

The verdicts are computed in a background task of their own once a view has arrived
(:func:`experiments.dashboard.verdicts.verdicts`); the last ones stay shown, dimmed,
until the new ones arrive.
"""

from __future__ import annotations

import solara
import solara.lab

from experiments.dashboard.controls import Caption, Heading, NumberInput
from experiments.dashboard.settings import MAX_SEEDS, Settings
from experiments.dashboard.verdicts import Verdicts, bands_html, rules, verdicts, verdicts_html
from experiments.dashboard.views import View, default_baseline, report

PANEL_CSS = """
.verdict-table, .band-table { border-collapse: collapse; font-size: 13px; }
.verdict-table th, .verdict-table td, .band-table th, .band-table td {
  border-bottom: 1px solid #e0e0e0; padding: 3px 8px; vertical-align: top; }
.verdict-table thead th, .band-table thead th { font-weight: 600; max-width: 220px; }
.verdict-table tbody th, .band-table tbody th { text-align: left; }
.verdict-table td { max-width: 260px; }
.verdict-detail { font-size: 11px; color: #616161; }
.verdict-distinguishable { background: #e8f5e9; }
.verdict-depends { background: #fff8e1; }
.band-table td { text-align: right; white-space: nowrap; }
.band-table .band-cell, .band-table .band-head { background: #e3f2fd; }
"""


@solara.component
def SetsInput(settings: solara.Reactive[Settings]) -> None:
    """How many accepted calibration sets the view runs (its worlds)."""
    label = f"accepted calibration sets (accepted_sets; sets x seeds <= {MAX_SEEDS})"
    NumberInput(settings, "accepted_sets", label, int, "sets-input")
    if settings.value.model and settings.value.accepted_sets:
        Caption(
            "not applied while model parameters are changed: the changes apply to the "
            "calibrated point alone (a set would overwrite them); reset them to run the sets"
        )
    else:
        Caption("evenly spaced over the calibration's accepted sets; 0: the calibrated point")


def verdict_view(settings: Settings, view: View) -> Verdicts | str:
    """The verdicts of a computed view, or the one line of what went wrong."""
    assert view.tables is not None
    try:
        return verdicts(view.tables.summary, view.tables.strategies, settings.budget)
    except Exception as exc:  # every error becomes a message in the page
        return report(exc)


def _explanation(v: Verdicts) -> str:
    r = rules()
    return (
        f"Worlds: {v.n_sets} accepted calibration set{'s' if v.n_sets > 1 else ''} x "
        f"{v.n_seeds} seeds, every strategy on the same sets and seeds. A set separates a "
        "pair when the 95% interval of their paired difference over its seeds excludes 0. "
        f"Distinguishable: one strategy better in at least {r.share:.0%} of sets; "
        f"indistinguishable: separated in fewer than {r.min_separated:.0%}; otherwise it "
        "depends, on the set parameter whose one split best predicts which is better "
        "(the rules and function of the report's pairwise.csv, conf/analyse.yaml decision)."
    )


@solara.component
def VerdictPanel(settings: Settings, view: View, stale: bool) -> None:
    """Pair verdicts against a chosen strategy and the parameter bands, headline outcomes."""
    task = solara.lab.use_task(lambda: verdict_view(settings, view), dependencies=[view])
    reference = solara.use_reactive("")
    solara.Style(PANEL_CSS)
    with solara.Column(classes=["verdict-panel"]):
        Heading("Pair verdicts on the headline outcomes (the report's rules)")
        if task.pending:
            solara.ProgressLinear(True)
            solara.Text("computing the pair verdicts", classes=["verdict-running"])
        v = task.latest
        if v is None:
            return
        if isinstance(v, str):
            solara.Error(v, classes=["verdict-error"])
            return
        strategies = list(dict.fromkeys(v.bands["strategy"]))  # those of the verdicts shown
        chosen = reference.value if reference.value in strategies else default_baseline(strategies)
        style = {"opacity": "0.45"} if stale or task.pending else {}
        with solara.Column(style=style):
            Caption(_explanation(v))
            if v.n_sets == 1:
                Caption(
                    "one world only: each verdict is all or nothing and there is no parameter "
                    "band; run accepted sets (sidebar) for verdicts over what 2022 leaves open"
                )
            if len(strategies) < 2:
                solara.Info("choose at least two strategies to compare them")
            else:
                solara.Select(
                    "against", values=strategies, value=chosen, on_value=reference.set,
                    classes=["verdict-reference"],
                )  # fmt: skip
                solara.HTML(unsafe_innerHTML=verdicts_html(v, chosen))
                solara.FileDownload(
                    lambda: v.pairs.to_csv(index=False, float_format="%.6g"),
                    filename="pairwise.csv", label="every pair (CSV, pairwise.csv's columns)",
                    mime_type="text/csv",
                )  # fmt: skip
            Heading("Parameter bands apart from Monte Carlo error")
            Caption(
                "mean over sets and seeds ± Monte Carlo error (seed standard error: more seeds "
                "shrink it); parameter band: 5% and 95% quantiles over accepted sets of the "
                "per-set means (what the 2022 record cannot pin down: more seeds do not shrink "
                f"it). Computed in {v.seconds:.2f} s."
            )
            solara.HTML(unsafe_innerHTML=bands_html(v))
            solara.FileDownload(
                lambda: v.bands.to_csv(index=False, float_format="%.6g"),
                filename="bands.csv", label="bands (CSV)", mime_type="text/csv",
            )  # fmt: skip
