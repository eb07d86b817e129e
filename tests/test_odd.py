"""docs/ODD.md is generated from the code and cannot drift from it."""

from __future__ import annotations

from dataclasses import fields

from experiments.tools import odd
from sim.countries import ATTRIBUTES
from sim.params import ModelParams
from sim.rules import FORCES
from sim.strategies import STRATEGIES

GRIMM_SECTIONS = (
    "## 1 Purpose and patterns",
    "## 2 Entities, state variables and scales",
    "## 3 Process overview and scheduling",
    "## 4 Design concepts",
    "## 5 Initialisation",
    "## 6 Input data",
    "## 7 Submodels",
    "### 7.8 UN vote rule",
)


def test_committed_odd_equals_a_fresh_rendering() -> None:
    rendered = odd.render()
    assert odd.ODD_PATH.read_text() == rendered, "docs/ODD.md is stale: python -m experiments.odd"
    assert odd.render() == rendered  # deterministic


def test_odd_documents_every_parameter_attribute_force_and_strategy() -> None:
    text = odd.ODD_PATH.read_text()
    for f in fields(ModelParams):
        assert f"| `{f.name}` | {f.metadata['doc']}" in text, f.name
    for attr in ATTRIBUTES:
        assert f"| `{attr}` | {ATTRIBUTES[attr]}" in text, attr
    for force in FORCES:
        assert f"| `{force['name']}` | {force['kind']} |" in text, force["name"]
    for name, strategy in STRATEGIES.items():
        if strategy.fn.__module__ == "sim.strategies":
            assert f"| `{name}` |" in text, name
    positions = [text.index(s) for s in GRIMM_SECTIONS]
    assert positions == sorted(positions)


def test_odd_lists_random_streams_in_draw_order() -> None:
    text = odd.ODD_PATH.read_text()
    streams = [
        "STREAM_PRIORS",
        "STREAM_THRESHOLD",
        "STREAM_INITIAL",
        "STREAM_SHOCK",
        "STREAM_BACKSLIDE",
    ]
    positions = [text.index(f"`{s}`") for s in streams]
    assert positions == sorted(positions)
