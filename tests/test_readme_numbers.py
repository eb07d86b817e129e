"""Numbers the README states about the calibration and validation come from the data
files (a rerun of the calibration that changes them fails this test until the README
follows)."""

from __future__ import annotations

import json
import re

import pandas as pd

from experiments.calibration.patterns import patterns
from experiments.workflow.paths import CALIBRATION_DIR, ROOT

README = (ROOT / "README.md").read_text()
CALIBRATION = json.loads((CALIBRATION_DIR / "calibration.json").read_text())


def _number(pattern: str) -> float:
    found = re.findall(pattern, README)
    assert found, pattern
    assert len(set(found)) == 1, (pattern, found)  # stated once, or the same everywhere
    return float(found[0])


def test_accepted_sets() -> None:
    accepted = len(pd.read_parquet(CALIBRATION_DIR / "accepted.parquet"))
    assert accepted == CALIBRATION["n_accepted"]
    assert _number(r"\((\d+) accepted sets\)") == accepted


def test_patterns() -> None:
    count = len(patterns())
    assert _number(r"\((\d+) patterns, `experiments\.calibration\.patterns`") == count
    validation = (ROOT / "docs" / "validation.md").read_text()
    assert re.search(rf"\*\*Result: \d+ of {count} patterns pass\.\*\*", validation)


def test_parameters_searched() -> None:
    assert _number(r"(\d+) model\s+parameters searched") == len(CALIBRATION["parameters"])


def test_calibration_runtime() -> None:
    stated = _number(r"Monte Carlo; about (\d+) s on 2 cores")
    assert abs(stated - CALIBRATION["elapsed_s"]) <= 0.15 * CALIBRATION["elapsed_s"]
