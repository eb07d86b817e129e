"""The week written once: every registered force reaches the pull, and the state declared
in sim.state is what both drivers carry."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim import rules
from sim.rules import FORCES
from sim.state import COUNTRY_FIELDS, JAPAN_STATE, RUN_STATE, record_dtype
from tests.helpers import ASEAN, LAD, model_at_week_0, situation
from tests.test_engine import mid_range_params


def _pull(kind: str, c: Any, s: Any, p: Any) -> tuple[float, float]:
    if kind == "fixed":
        return rules.fixed_pull(p, c, LAD)
    return rules.weekly_pull(p, c, s, LAD)


@pytest.mark.parametrize("name", [f["name"] for f in FORCES])
def test_every_registered_force_moves_the_pull(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """A force registered with ``@force`` but not added to ``fixed_pull`` or
    ``weekly_pull`` would be documented and never act: shifting its weight and anchor
    must change the pull of every country (mid-range parameters, a busy week)."""
    entry = next(f for f in FORCES if f["name"] == name)
    p = mid_range_params()
    cs, signals = situation(
        ASEAN, p, coalition=0.6, regional_share=0.3, institution=1.0, stock=2.0, visible=3.0
    )
    before = [_pull(entry["kind"], c, s, p) for c, s in zip(cs, signals, strict=True)]
    original = entry["fn"]

    def shifted(*args: Any) -> tuple[float, float]:
        weight, anchor = original(*args)
        return weight + 1.0, anchor + 1.0

    monkeypatch.setattr(rules, name, shifted)
    after = [_pull(entry["kind"], c, s, p) for c, s in zip(cs, signals, strict=True)]
    assert all(a != b for a, b in zip(after, before, strict=True)), f"{name} is not in the pull"


@pytest.mark.parametrize(
    ("declared", "owner"),
    [(COUNTRY_FIELDS, "country"), (JAPAN_STATE, "japan"), (RUN_STATE, "model")],
)
def test_both_drivers_carry_the_declared_state(declared: tuple, owner: str) -> None:
    """The kernel's records and the Mesa model's attributes come from one declaration."""
    model = model_at_week_0(ASEAN)
    obj = {"country": model.countries[0], "japan": model.japan, "model": model}[owner]
    names = [name for name, _, _ in declared]
    assert list(record_dtype(declared).names) == names
    for name, dtype, _ in declared:
        value = getattr(obj, name)
        assert np.asarray(value).dtype.kind == np.dtype(dtype).kind, name
    model.release()
