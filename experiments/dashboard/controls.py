"""Sidebar controls: strategies, budget, institution, members, model parameters, seeds.

Every control writes a new :class:`~experiments.dashboard.settings.Settings` value into
the session's reactive settings; ranges and help text come from the parameter metadata.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import solara

from experiments.dashboard.settings import (
    INSTITUTION_HELP,
    INSTITUTION_NAMES,
    MAIN_PARAMS,
    MAX_SEEDS,
    ParamInfo,
    Settings,
    optional,
    param_info,
    scenario_data,
)
from experiments.dashboard.views import typed_error
from experiments.workflow.scenario import describe_countries
from sim.strategies import STRATEGIES

CAPTION = "font-size: 12px; color: #616161; line-height: 1.3; margin: 2px 0 10px 0"


def _update(settings: solara.Reactive[Settings], **changes: Any) -> None:
    settings.set(replace(settings.value, **changes))


@solara.component
def Caption(text: str) -> None:
    """Small grey help text under a control (a block of its own)."""
    solara.HTML(tag="div", unsafe_innerHTML=html.escape(text), style=CAPTION)


@solara.component
def Heading(text: str, level: int = 3) -> None:
    """A section heading (plain HTML: Solara's Markdown would fetch KaTeX from a CDN)."""
    solara.HTML(tag=f"h{level}", unsafe_innerHTML=html.escape(text), style="margin: 12px 0 4px")


def _summary(doc: str) -> str:
    """The first paragraph of a docstring, on one line, without reST markup."""
    paragraph = doc.strip().split("\n\n")[0]
    return " ".join(paragraph.split()).replace("``", "")


@solara.component
def StrategySelect(settings: solara.Reactive[Settings]) -> None:
    """The strategies compared (multi-select), with the registry's one-line descriptions."""
    solara.SelectMultiple(
        "strategies compared",
        values=list(settings.value.strategies),
        all_values=list(STRATEGIES),
        on_value=lambda names: _update(settings, strategies=tuple(names)),
        classes=["strategy-select"],
    )
    with solara.Details("what the strategies do"):
        for name, strategy in STRATEGIES.items():
            Caption(f"{name}: {_summary(strategy.fn.__doc__ or '')}")


@solara.component
def NumberInput(
    settings: solara.Reactive[Settings], key: str, label: str, parse: Callable, css: str
) -> None:
    """A numeric setting typed in: a value that reads as a number goes to the settings
    (the views check its range); any other text shows the command line's one line."""
    text, set_text = solara.use_state(str(getattr(settings.value, key)))

    def error_of(typed: str) -> str | None:
        try:
            parse(typed)
        except ValueError:
            return typed_error(settings.value, key, typed)
        return None

    error = solara.use_memo(lambda: error_of(text), [text])

    def on_text(typed: str) -> None:
        set_text(typed)
        if error_of(typed) is None:
            _update(settings, **{key: parse(typed)})

    solara.InputText(label, value=text, on_value=on_text, error=error or False, classes=[css])


@solara.component
def ScenarioControls(settings: solara.Reactive[Settings]) -> None:
    """Budget, institutional backing and the scenario's optional countries (one switch
    each)."""
    s = settings.value
    NumberInput(settings, "budget", "budget (budget units per week)", float, "budget-input")
    Caption("1 budget unit = one leaders' visit per week; 0 = no outreach")
    solara.Select(
        "institutional backing from the start",
        values=list(INSTITUTION_NAMES),
        value=s.institution,
        on_value=lambda v: _update(settings, institution=v),
    )
    Caption(INSTITUTION_HELP.get(s.institution, ""))
    data = scenario_data()
    for code in optional():
        CountrySwitch(settings, code, describe_countries(data, [code]))


@solara.component
def CountrySwitch(settings: solara.Reactive[Settings], code: str, label: str) -> None:
    """Simulate optional country ``code`` too (a country of the scenario file outside its
    default set)."""

    def on_value(on: bool) -> None:
        kept = tuple(c for c in settings.value.extra_countries if c != code)
        _update(settings, extra_countries=(*kept, code) if on else kept)

    solara.Checkbox(
        label=f"{label} simulated too",
        value=code in settings.value.extra_countries,
        on_value=on_value,
    )


@solara.component
def SeedControls(settings: solara.Reactive[Settings]) -> None:
    """Replicates per strategy and the root seed."""
    label = f"replicates per strategy (n_seeds, 1-{MAX_SEEDS})"
    NumberInput(settings, "n_seeds", label, int, "seeds-input")
    NumberInput(settings, "seed", "root seed", int, "root-seed-input")
    Caption("every strategy runs on the same replicate seeds (common random numbers)")


@solara.component
def ReleaseSlider(
    label: str, value: float, low: float, high: float, step: float, on_release: Callable
) -> None:
    """A slider that reports its value when released (Solara's reports every move of a
    drag, and the value rounded to the step grid as soon as it is drawn)."""
    slider = solara.v.Slider(
        label=label, v_model=value, min=low, max=high, step=step, thumb_label=True,
        hide_details=True,
    )  # fmt: skip
    solara.v.use_event(slider, "change", lambda _widget, _event, data: on_release(float(data)))


@solara.component
def ParamSlider(settings: solara.Reactive[Settings], info: ParamInfo) -> None:
    """One model parameter: a slider over its documented range, and its help text."""
    value = settings.value.param(info.name)
    changed = value != info.calibrated
    label = f"{info.name} = {value:.4g}" + (
        f" (calibrated {info.calibrated:.4g})" if changed else ""
    )

    def set_value(v: float) -> None:
        if abs(v - settings.value.param(info.name)) >= info.step / 2:  # not a rounding echo
            settings.set(settings.value.with_param(info.name, round(v, 6)))

    ReleaseSlider(label, value, info.low, info.high, info.step, set_value)
    Caption(f"{info.help()} [{info.mechanism}]")


@solara.component
def ModelControls(settings: solara.Reactive[Settings]) -> None:
    """The main model parameters, the others behind "more parameters", and a reset."""
    infos = param_info()
    n_changed = len(settings.value.model)
    title = "model parameters (calibrated values"
    title += f"; {n_changed} changed)" if n_changed else ")"
    with solara.Details(title):
        solara.Button(
            "reset to the calibrated values",
            on_click=lambda: _update(settings, model=()),
            disabled=not n_changed,
            text=True,
        )
        for name in MAIN_PARAMS:
            ParamSlider(settings, infos[name])
        with solara.Details("more parameters"):
            for name, info in infos.items():
                if name not in MAIN_PARAMS:
                    ParamSlider(settings, info)
