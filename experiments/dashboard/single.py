"""The Single run view: the Mesa model stepped week by week.

Mesa's ``ModelController`` (reset, play, step) drives an ``OutreachModel`` built from the
session's scenario, one strategy and one replicate seed (the same seeds as the Compare
view); the figures redraw on Mesa's per-session update counter. The model lives in the
component (one per session) and is released when replaced (mesa issue #3179).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import solara
from matplotlib.axes import Axes
from mesa.visualization.components.matplotlib_components import PlotMatplotlib
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from experiments.dashboard import state
from experiments.dashboard.controls import Caption, Heading, ModelControls, ScenarioControls
from experiments.dashboard.settings import Settings, compose
from experiments.dashboard.views import png, report
from experiments.dashboard.week import ladder_figure, network_figure, snapshot, spending_figure
from experiments.workflow.convert import as_plain, to_simulation_configs
from experiments.workflow.errors import ConfigError
from sim import SimulationConfig, replicate_seeds
from sim.model import OutreachModel
from sim.strategies import STRATEGIES

DEFAULT_STRATEGY = "adaptive"
MAX_REPLICATE = 2**62  # replicate seeds are counted in 63 bits


@dataclass(frozen=True)
class RunSpec:
    """What the Mesa model is built from, or why it cannot be."""

    config: SimulationConfig | None
    seed: int
    error: str | None = None


def run_spec(settings: Settings, strategy: str, replicate: int) -> RunSpec:
    """The config of one strategy under ``settings`` at the calibrated point (no accepted
    set) and the seed of replicate ``replicate`` (0-based) of the root seed: the same run as
    in the Compare view with ``accepted_sets=0``."""
    try:
        if not 0 <= replicate < MAX_REPLICATE:
            raise ConfigError("replicate", f"must be an integer in [0, 2**62), got {replicate}")
        one = replace(settings, strategies=(strategy,), n_seeds=1, accepted_sets=0)
        c = as_plain(compose(one.overrides()))
        config = to_simulation_configs(c)[0].config
        seed = int(replicate_seeds(c.seed, 1, start=replicate)[0])  # that replicate's only
        return RunSpec(config, seed)
    except Exception as exc:  # every error becomes a message in the page
        return RunSpec(None, 0, report(exc))


def _spending_axes(ax: Axes) -> None:
    """Labels of Mesa's plot of the DataCollector's spending columns (x: steps = weeks)."""
    for line, label in zip(ax.get_lines(), ("spent", "available"), strict=False):
        line.set_label(f"{label} that week")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_ylabel("budget units")
    ax.set_title("Japan's spending and budget, week by week (x: week)", fontsize=10)


@solara.component
def WeekFigures(model: OutreachModel) -> None:
    """The current week: network, spending, ladder (redrawn after every step)."""
    update_counter.get()
    week = snapshot(model)
    solara.Text(
        f"week {week.week} of {week.n_steps} ({week.date:%d %b %Y}); members at 'sanction': "
        f"{week.n_sanctioning}; Japan spent {week.spent:.2f} of {week.available:.2f} budget "
        "units this week",
        classes=["week-status"],
    )
    with solara.Columns([1, 1]):
        with solara.Column():
            solara.Image(png(network_figure(week)))
            solara.Image(png(spending_figure(week)))
        with solara.Column():
            solara.Image(png(ladder_figure(week)))
            PlotMatplotlib(
                model,
                {"spent": "#e08214", "available": "#7f7f7f"},
                post_process=_spending_axes,
            )


@solara.component
def SingleRunPage() -> None:
    """Step one run of the Mesa model."""
    settings = state.settings
    strategy = solara.use_reactive(DEFAULT_STRATEGY)
    replicate = solara.use_reactive(0)
    spec = solara.use_memo(
        lambda: run_spec(settings.value, strategy.value, replicate.value),
        [settings.value, strategy.value, replicate.value],
    )
    built = solara.use_memo(
        lambda: OutreachModel(spec.config, spec.seed) if spec.config else None, [spec]
    )
    model = solara.use_reactive(built)
    play_interval = solara.use_reactive(300)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    shown = solara.use_ref(None)

    def release_replaced() -> None:
        if shown.current is not None and shown.current is not model.value:
            shown.current.release()  # a new spec or Mesa's reset replaced it
        shown.current = model.value

    solara.use_effect(release_replaced, [model.value])
    with solara.Sidebar():
        with solara.Card("Run"):
            solara.Select(
                "strategy", values=list(STRATEGIES), value=strategy, classes=["run-strategy"]
            )
            solara.InputInt(
                "replicate (0 = the first seed of the Compare view)",
                value=replicate,
                classes=["replicate-input"],
            )
            Caption(f"seed {spec.seed}, from the root seed {settings.value.seed}")
        with solara.Card("Scenario (shared with Compare)"):
            ScenarioControls(settings)
            ModelControls(settings)
    Heading("Single run: the Mesa model, week by week", 2)
    if spec.error:
        solara.Error(spec.error, classes=["view-error"])
        return
    if model.value is None:
        return
    ModelController(
        model,
        model_parameters={"config": spec.config, "seed": spec.seed},
        play_interval=play_interval,
        render_interval=render_interval,
        use_threads=use_threads,
    )
    WeekFigures(model.value)
