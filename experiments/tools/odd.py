"""Generate ``docs/ODD.md``: the model described in the ODD protocol (Grimm et al. 2020).

Prose is written here, section by section; every table is generated from the code
(parameter metadata, country attributes and the scenario file, force formulas, instruments,
strategies, schedule, random-number streams), so the document cannot drift from the model.
``tests/test_odd.py`` checks that the committed file equals a fresh rendering.

Usage: ``python -m experiments.odd`` (writes the file) or ``python -m experiments.odd --check``.
"""

from __future__ import annotations

import inspect
import logging
import math
import sys
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from experiments.tools.odd_text import (
    DESIGN,
    ENTITIES,
    FORCES_PROSE,
    INITIALISATION,
    INPUT_DATA,
    INSTITUTIONS_PROSE,
    INSTRUMENTS_PROSE,
    OUTPUTS_PROSE,
    PARAMS_PROSE,
    PROCESS,
    PURPOSE,
    RNG_PROSE,
    RULES_PROSE,
    STRATEGIES_PROSE,
    SUBMODELS,
    TITLE,
    VOTE_PROSE_MISSING,
)
from experiments.workflow.errors import OneLineParser
from experiments.workflow.paths import ROOT
from experiments.workflow.scenario import DEFAULT_SCENARIO, load_scenario_file
from experiments.workflow.store import load_model_params
from sim import japan, material, observe, rng, rules, week
from sim.config import DEFAULT_INSTRUMENTS, INSTITUTIONS, Calendar
from sim.countries import ATTRIBUTES
from sim.ladder import RUNG_OBSERVABLES, Ladder
from sim.model import OutreachModel
from sim.params import ModelParams
from sim.results import SUMMARY_COLUMNS
from sim.rules import FORCES
from sim.strategies import STRATEGIES, STRATEGY_OPTIONS

log = logging.getLogger(__name__)

ODD_PATH = ROOT / "docs" / "ODD.md"


# --------------------------------------------------------------------------- helpers
def _num(v: Any) -> str:
    """A number as it should read in a table (deterministic)."""
    if isinstance(v, bool) or not isinstance(v, int | float | np.floating | np.integer):
        return str(v)
    x = float(v)
    if math.isnan(x):
        return "NaN"
    return f"{x:g}"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _doc(obj: Any) -> str:
    return inspect.cleandoc(obj.__doc__ or "").strip()


# --------------------------------------------------------------------------- tables
def attribute_tables(scenario: Mapping[str, Any]) -> str:
    """Tables 2.1-2.3: attribute meanings, per-country values with C marks, sources."""
    countries: Mapping[str, Any] = scenario["countries"]
    codes = list(countries)
    out = ["**Table 2.1. Country attributes** (`sim.countries.ATTRIBUTES`).\n"]
    out.append(_table(["attribute", "meaning"], [[f"`{a}`", m] for a, m in ATTRIBUTES.items()]))
    out.append(
        "\n**Table 2.2. Values in the default scenario** (value, C; prior range in "
        "brackets where uncertain).\n"
    )
    rows = []
    for attr in ATTRIBUTES:
        row: list[Any] = [f"`{attr}`"]
        for code in codes:
            e = countries[code].get(attr)
            if e is None:
                row.append("-")
                continue
            cell = f"{_num(e['value'])} {e['C']}"
            rng_ = e.get("range")
            if rng_ is not None and float(rng_[0]) < float(rng_[1]):
                cell += f" [{_num(rng_[0])}, {_num(rng_[1])}]"
            row.append(cell)
        rows.append(row)
    out.append(_table(["attribute", *codes], rows))
    names = ", ".join(f"{c} {countries[c].get('name', c)}" for c in codes)
    out.append(f"\nCountries: {names}.\n")
    out.append("\n**Table 2.3. Sources** (keys of `data/asean_2022.yaml`, by attribute).\n")
    rows = []
    for attr in ATTRIBUTES:
        by_source: dict[str, list[str]] = {}
        for code in codes:
            e = countries[code].get(attr)
            if e is not None:
                by_source.setdefault(str(e.get("source", "")), []).append(code)
        text = "; ".join(f"{s} ({' '.join(cs)})" for s, cs in by_source.items())
        rows.append([f"`{attr}`", text])
    out.append(_table(["attribute", "source (countries)"], rows))
    return "\n".join(out)


def ties_table(scenario: Mapping[str, Any]) -> str:
    rows = [[a, b, _num(w)] for a, b, w in scenario.get("ties", []) or []]
    text = (
        f"Pairs not listed have weight `default_tie` = {_num(scenario.get('default_tie', 0))}.\n\n"
    )
    return text + _table(["country", "country", "tie weight"], rows)


def _reference_country(p: ModelParams, lad: Any) -> SimpleNamespace:
    """A middling state (every attribute 0.5, level 1), as the rules see it."""
    c = SimpleNamespace(**{a: 0.5 for a in ATTRIBUTES})
    c.russia_trade_pct = c.russia_trade_bn = 1.0
    c.member, c.threshold, c.level, c.stance = True, 0.0, 1, 1.5
    c.outreach_stock = c.visible = 0.0
    c.russia_ties = rules.russia_ties(c)
    c.tolerance = rules.reactance_tolerance(p, c)
    c.deterred = rules.deterred_share(p, c)
    return c


def forces_table() -> str:
    """Every force of ``rules.FORCES``: kind, equation (its docstring), anchor, mechanism
    and source, with the anchor's value for a reference state."""
    p, lad = load_model_params(), Ladder().spec()
    c = _reference_country(p, lad)
    c.peer_mean, c.peer_pulling, c.boundary = 1.0, 0.0, 0.0
    run = SimpleNamespace(perceived=p.coalition_base, share=0.0, collective=1, institution=0.0)
    s = week.signals(run, c)
    rows = []
    for f in FORCES:
        args = (p, c, lad) if f["kind"] == "fixed" else (p, c, s, lad)
        _, anchor = f["fn"](*args)
        rows.append(
            [
                f"`{f['name']}`",
                f["kind"],
                " ".join(_doc(f["fn"]).split()),
                f["anchor"],
                _num(anchor),
                f["mechanism"],
                f["source"],
            ]
        )
    return _table(
        ["force", "kind", "equation (weight)", "anchor", "reference anchor", "mechanism", "source"],
        rows,
    )


def _rule_functions(module: Any) -> list[Any]:
    """Public functions defined in ``module`` that are not forces, in source order."""
    forces = {f["name"] for f in FORCES}
    found = [
        fn
        for name, fn in vars(module).items()
        if inspect.isfunction(fn)
        and fn.__module__ == module.__name__
        and not name.startswith("_")
        and name not in forces
        and name != "force"
    ]
    return sorted(found, key=lambda fn: fn.__code__.co_firstlineno)


def rules_list() -> str:
    out = []
    for module in (rules, japan, material, observe):
        for fn in _rule_functions(module):
            out.append(
                f"- `{module.__name__.split('.')[-1]}.{fn.__name__}`: {' '.join(_doc(fn).split())}"
            )
    return "\n".join(out) + "\n"


def observables_section() -> str:
    """The measurement rule and the material track: their module docs and what each rung,
    step and observable stands for (sim.ladder, sim.material, sim.observe)."""
    rungs = _table(
        ["rung", "observable behaviour"], [[f"`{k}`", v] for k, v in RUNG_OBSERVABLES.items()]
    )
    steps = _table(
        ["material step", "observable behaviour"],
        [[f"`{k}`", v] for k, v in material.MATERIAL_OBSERVABLES.items()],
    )
    observables = _table(
        ["observable", "measurement"], [[f"`{k}`", v] for k, v in observe.OBSERVABLES.items()]
    )
    return "\n".join([
        "### 7.2a Observables: the measurement rule\n",
        _doc(observe), "", rungs, observables,
        "### 7.2b The material track\n",
        _doc(material), "",
        "Japan's instruments act on the two tracks in different shares (`material share` in "
        "the instruments table, 7.4): security cooperation (`two_plus_two`) and aid mostly on "
        "the material track, leaders' visits mostly on the stance (conf/instruments).\n",
        steps,
    ])  # fmt: skip


def params_table() -> str:
    values = load_model_params()
    rows = []
    for f in fields(ModelParams):
        lo, hi = f.metadata["range"]
        rows.append(
            [
                f"`{f.name}`",
                f.metadata["doc"],
                f"[{_num(lo)}, {_num(hi)}]",
                _num(getattr(values, f.name)),
                f.metadata["source"],
                f.metadata["mechanism"],
            ]
        )
    return _table(["parameter", "meaning", "range", "value", "source", "mechanism"], rows)


def instruments_table() -> str:
    rows = [
        [
            f"`{i.name}`",
            _num(i.cost),
            _num(i.effect),
            _num(i.visibility),
            i.target,
            i.leverage or "-",
            i.requires or "-",
            _num(i.material),
        ]
        for i in DEFAULT_INSTRUMENTS
    ]
    return _table(
        ["instrument", "cost", "effect", "visibility", "target", "leverage", "requires",
         "material share"],
        rows,
    )  # fmt: skip


def strategies_table() -> str:
    rows = []
    for name, strategy in STRATEGIES.items():
        if strategy.fn.__module__ != "sim.strategies":
            continue  # registered at run time (e.g. by a test), not part of the model
        opts = STRATEGY_OPTIONS.get(name, {})
        opt_text = ", ".join(f"`{k}`={_num(v)}" for k, v in opts.items()) or "-"
        rows.append([f"`{name}`", " ".join(_doc(strategy.fn).split()), opt_text])
    return _table(["strategy", "what it does", "options (defaults)"], rows)


def rng_table() -> str:
    streams = sorted(
        (int(v), k) for k, v in vars(rng).items() if k.startswith("STREAM_") and isinstance(v, int)
    )
    uses = {
        "STREAM_PRIORS": "uncertain attributes drawn in their prior ranges (row = attribute)",
        "STREAM_THRESHOLD": "per-country sanction thresholds",
        "STREAM_INITIAL": "initial stance spread",
        "STREAM_SHOCK": "weekly stance shocks",
        "STREAM_BACKSLIDE": "weekly backsliding events",
        "STREAM_MATERIAL": "weekly material-track shocks",
    }
    rows = [[_num(i), f"`{k}`", uses.get(k, "")] for i, k in streams]
    formula = (
        f"Counter formula: `u = (splitmix64(key + GOLDEN * index) >> 11) * 2**-53` with "
        f"`index = (stream * {rng.MAX_STEPS} + step) * {rng.COUNTRY_BLOCK} + country % "
        f"{rng.COUNTRY_BLOCK} + (country // {rng.COUNTRY_BLOCK}) * 2**40` and "
        f"`GOLDEN = 0x{int(rng.GOLDEN):X}`; the run key is `splitmix64(seed ^ salt)`.\n\n"
    )
    return formula + _table(["stream", "name", "draws"], rows) + "\n" + _doc(rng) + "\n"


def institutions_table() -> str:
    return _table(
        ["institution", "backing b"], [[f"`{k}`", _num(v)] for k, v in INSTITUTIONS.items()]
    )


def vote_rule_section() -> str:
    try:
        from sim.votes import VOTE_RULE_DOC  # type: ignore[attr-defined]
    except ImportError:
        body = VOTE_PROSE_MISSING + "\n"
    else:
        body = str(VOTE_RULE_DOC).rstrip() + "\n"
    return "### 7.8 UN vote rule\n\n" + body


def scales_text() -> str:
    cal, lad = Calendar(), Ladder()
    rungs = ", ".join(f"{k} `{n}`" for k, n in enumerate(lad.names))
    return (
        f"Default calendar: start {cal.start.isoformat()}, {cal.n_steps} weekly steps "
        f"(to {cal.date(cal.n_steps).isoformat()}). Default ladder: {rungs}; sanction "
        f"level {lad.sanction_level}. More rungs above the sanction level are allowed.\n"
    )


def summary_table() -> str:
    return _table(["measure", "meaning"], [[f"`{k}`", v] for k, v in SUMMARY_COLUMNS.items()])


# --------------------------------------------------------------------------- render
def render(scenario_path: Path = DEFAULT_SCENARIO) -> str:
    """The whole ODD document as Markdown (deterministic: no dates, no timings)."""
    scenario = load_scenario_file(scenario_path)
    parts = [
        TITLE,
        PURPOSE,
        ENTITIES,
        scales_text(),
        attribute_tables(scenario),
        PROCESS,
        "```text\n" + _doc(OutreachModel.step) + "\n```\n",
        DESIGN,
        INITIALISATION,
        INPUT_DATA,
        ties_table(scenario),
        SUBMODELS,
        FORCES_PROSE,
        forces_table(),
        "\n" + _doc(rules.respond).split("\n\n")[-1] + "\n",
        RULES_PROSE,
        rules_list(),
        observables_section(),
        PARAMS_PROSE,
        params_table(),
        INSTRUMENTS_PROSE,
        instruments_table(),
        STRATEGIES_PROSE,
        strategies_table(),
        RNG_PROSE,
        rng_table(),
        INSTITUTIONS_PROSE,
        institutions_table(),
        vote_rule_section(),
        OUTPUTS_PROSE,
        summary_table(),
    ]
    text = "\n".join(p.rstrip("\n") + "\n" for p in parts)
    return text.rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m experiments.odd", description="Generate docs/ODD.md.")
    parser.add_argument("--check", action="store_true", help="fail if docs/ODD.md is stale")
    parser.add_argument("--out", type=Path, default=ODD_PATH)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    text = render()
    if args.check:
        current = args.out.read_text() if args.out.exists() else ""
        if current != text:
            log.error("%s is stale: run python -m experiments.odd", args.out)
            return 1
        log.info("%s is up to date", args.out)
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    log.info("wrote %s (%d lines)", args.out, text.count("\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
