"""The report's vote section is computed from the record; no UN vote after ES-11/3 is encoded."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from typing import Any

import pandas as pd
import pytest
import yaml

from experiments.calibration.votereport import findings, vote_section
from experiments.workflow.paths import ROOT

NAMES = ("R1", "R2", "R3")
MEMBERS = ("AA", "BB")


def _score(loss: float | str, brier: float, per: dict[str, float | str], misses: int = 0):
    return {"log_loss": loss, "brier": brier, "n_cells": 4, "misses": misses, "per_resolution": per}


def record(
    model: float = 0.2,
    smoothed: float = 1.3,
    one_hot_misses: int = 2,
    noise: float = 0.1,
    within: float = 0.1,
) -> dict[str, Any]:
    """A hand-made vote record: two members, three resolutions."""
    grid = [0.02, 0.1, 1.0]
    cell = {m: [0.6, 0.3, 0.1] for m in MEMBERS}
    one_hot = "inf" if one_hot_misses else 0.0
    return {
        "resolutions": [
            {"name": n, "date": "2022-03-0" + str(i + 1), "kind": k}
            for i, (n, k) in enumerate(
                zip(NAMES, ("principle", "principle", "punitive"), strict=True)
            )
        ],
        "members": list(MEMBERS),
        "votes": ["yes", "abstain", "no"],
        "noise_grid": grid,
        "noise": noise,
        "within_one_se": within,
        "curve": [{"noise": n, "log_loss": 0.3, "brier": 0.2} for n in grid],
        "scores": {
            "model": _score(model, 0.1, {"R2": model, "R3": model}),
            "repeat_last": _score(one_hot, 1.0, {"R2": 0.0, "R3": one_hot}, one_hot_misses),
            "repeat_last_smoothed": _score(smoothed, 0.7, {"R2": 0.1, "R3": smoothed}),
            "model_all": {**_score(0.25, 0.1, {"R1": 0.01, "R2": 0.02, "R3": 0.7}), "n_cells": 6},
        },
        "held_out": {n: cell for n in NAMES},
        "in_sample": {
            "threshold": 0.99,
            "sets": {"confident_cells": 5, "n_cells": 6},
            "installed": {"confident_cells": 6, "n_cells": 6},
        },
        "basis": {
            "blocks": "accepted sets",
            "set_rows": [0, 1, 2],
            "runs_per_set": 8,
            "installed_runs": 64,
            "sample_priors": True,
        },
        "punitive_prior": {"gap_yes": {"range": [0.0, 2.0], "why": "ladder"}},
    }


def test_the_sentences_follow_the_numbers() -> None:
    text = " ".join(findings(record(), None))
    assert "lowest held-out log-loss is that of the model, leave-one-out: 0.200" in text
    assert "1.100 nats per vote below the next best, repeat last vote, smoothed" in text
    assert "probability 0 to 2 of 4 actual votes, so its log-loss is infinite" in text
    assert "noise 0.1 rungs" in text and "inside the grid" in text
    assert "worse than the chosen one by more than one standard error" in text
    assert "largest on R3 (0.700" in text
    assert "5 of 6 in-sample cells" in text and "6 of 6 with the installed point" in text
    flipped = " ".join(findings(record(model=1.5, smoothed=0.4), None))
    assert "that of the repeat last vote, smoothed (0.9 / 0.05 / 0.05): 0.400" in flipped
    assert "1.100 nats per vote below the next best, model, leave-one-out (1.500)" in flipped
    perfect = " ".join(findings(record(one_hot_misses=0), None))
    assert "that of the repeat last vote, one-hot: 0.000" in perfect
    assert "repeats all 4 actual votes" in perfect
    edge = " ".join(findings(record(noise=0.02, within=1.0), None))
    assert "lowest value of the grid" in edge and "noises up to 1 are within one standard" in edge
    assert "highest value of the grid" in " ".join(findings(record(noise=1.0), None))


def test_the_section_has_the_tables_and_counts_the_reports_own_cells() -> None:
    votes = pd.DataFrame(
        [
            {"resolution": n, "country": m, "p_yes": p, "p_abstain": 1 - p, "p_no": 0.0}
            | {"actual": "yes"}
            for n in NAMES
            for m, p in zip(MEMBERS, (0.996, 0.6), strict=True)
        ]
    )
    text = vote_section(record(), votes)
    assert "| model, leave-one-out | 4 | 0.200 | 0.100 | — | 0.200 | 0.200 |" in text
    assert "| repeat last vote, one-hot | 4 | inf (2 at p = 0) | 1.000 | — | 0.000 | inf |" in text
    assert "in this report's runs, after the confidence bound, 3 of 6" in text
    assert "| AA | yes, 0.60, 1.00 | yes, 0.60, 1.00 | yes, 0.60, 1.00 |" in text
    assert "| BB | yes, 0.60, 0.60 |" in text
    assert "python -m experiments.calibrate votes.only=true" in vote_section(None)


# --------------------------------------------------------------------------- later votes
LAST_ENCODED = dt.date(2022, 4, 7)
LATER_NAME = re.compile(r"ES-11/(?:[4-9]|[1-9]\d)\b")
"""Names of the emergency special session's resolutions after ES-11/3."""


def _text_files() -> list[str]:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    suffixes = (".py", ".md", ".yaml", ".yml", ".json", ".toml", ".txt", ".csv", "Makefile")
    return [f for f in tracked if f.endswith(suffixes)]


def test_no_later_resolution_is_named_anywhere() -> None:
    files = _text_files()
    assert "data/asean_2022.yaml" in files and "conf/calendar/default.yaml" in files
    hits = [
        f"{f}: {m.group(0)}"
        for f in files
        for m in LATER_NAME.finditer((ROOT / f).read_text(errors="replace"))
    ]
    assert not hits


def test_no_vote_after_es_11_3_in_data_conf_or_the_record() -> None:
    facts = yaml.safe_load((ROOT / "data/asean_2022.yaml").read_text())
    dates = [dt.date.fromisoformat(str(v["date"])) for v in facts["unga"].values()]
    calendar = yaml.safe_load((ROOT / "conf/calendar/default.yaml").read_text())
    dates += [
        dt.date.fromisoformat(str(e["date"])) for e in calendar["events"] if e["kind"] == "un_vote"
    ]
    assert set(calendar["un_votes"]) == set(facts["unga"])
    record = ROOT / "data/calibration/votes_loo.json"
    if record.exists():
        import json

        dates += [
            dt.date.fromisoformat(r["date"]) for r in json.loads(record.read_text())["resolutions"]
        ]
    assert len(dates) >= 6 and max(dates) <= LAST_ENCODED


@pytest.mark.parametrize("number", [4, 6, 10])
def test_the_later_name_pattern_catches_later_resolutions(number: int) -> None:
    for prefix in ("", "A/RES/"):  # built here, so that this file names none of them
        assert LATER_NAME.search(f"{prefix}ES-11/{number}")
        assert not LATER_NAME.search(f"{prefix}ES-11/3")
