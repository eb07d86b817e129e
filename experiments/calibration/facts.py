"""The facts of 2022 the calibration and validation read, and the 2022 configuration.

Every target comes from ``data/asean_2022.yaml`` (the project's copy of the facts); the UN
votes are read from its ``unga`` section, which lists only ES-11/1, ES-11/2 and ES-11/3.
Later UN votes are deliberately absent: they are the out-of-sample check. The historical
calendar of 2022 (Japan's outreach meetings, ASEAN statements, UN votes and the UNGA
backing from 2022-03-02) is read from ``conf/calendar/default.yaml``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from experiments.workflow.paths import CONF_DIR, DATA_DIR
from experiments.workflow.scenario import default_table
from experiments.workflow.store import load_model_params
from sim.config import Calendar, Event, SimulationConfig
from sim.countries import CountryTable
from sim.params import ModelParams
from sim.results import Trajectories
from sim.rng import run_keys
from sim.votes import VoteRule, vote_probabilities

DATA_FILE = DATA_DIR / "asean_2022.yaml"
INVASION = dt.date(2022, 2, 24)
PARTNERS: tuple[str, ...] = ("KH", "PH", "ID", "VN", "TH")
"""Partners Japan met in 2022 that did not sanction (data: japan_outreach)."""
PARTNER_BANDS: dict[str, tuple[int, int]] = {
    "KH": (2, 3),
    "ID": (2, 2),
    "TH": (2, 2),
    "PH": (2, 2),
    "VN": (1, 2),
}
"""Rungs each partner's highest level may take in the weeks after its meeting with Japan
(data: japan_outreach and observables_2022_2023.statements): `principle` for a joint
statement with generic 'no change of the status quo by force' language and Russia not
named; `condemn` too for Cambodia, whose Prime Minister named Russia on 2022-03-28, eight
days after the meeting (Reuters, C: V); the Philippines' 2+2 statement of 2022-04-09 did
not name Russia in the quoted text (C: V; the seed article agrees), so `principle` only;
`neutral` too for Vietnam, whose own statements read `neutral` while it co-signed the
generic language."""
NEUTRAL_START: tuple[str, ...] = ("TH", "VN", "LA")
"""Members whose first statements read as `neutral` (data: national_statements_2022)."""
MEETING_WINDOW = 4
"""Weeks after a meeting's week in which its outcome (the partner's level) is read."""
_VOTE_CODE = {"Y": "yes", "A": "abstain", "N": "no"}


# --------------------------------------------------------------------------- data
@lru_cache(maxsize=1)
def load_facts(path: Path = DATA_FILE) -> dict[str, Any]:
    """The facts file as a mapping (read once)."""
    return yaml.safe_load(Path(path).read_text())


ASEAN_2022: tuple[str, ...] = tuple(load_facts()["meta"]["asean_2022_members"])
"""The members of 2022 whose record the calibration targets (data: meta.asean_2022_members);
separate from the countries a run simulates by default (the scenario's ``simulated``)."""


@dataclass(frozen=True)
class Resolution:
    """A UN General Assembly vote of 2022 listed in the facts file."""

    name: str
    date: dt.date
    kind: str
    votes: Mapping[str, str]  # member code -> yes | abstain | no


def resolutions() -> tuple[Resolution, ...]:
    """The UNGA votes of the facts file, restricted to the ten 2022 members."""
    out = []
    for name, spec in load_facts()["unga"].items():
        votes = {c: _VOTE_CODE[str(spec["votes"][c]).rstrip("?")] for c in ASEAN_2022}
        out.append(Resolution(name, _date(spec["date"]), str(spec["kind"]), votes))
    return tuple(sorted(out, key=lambda r: r.date))


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


CALENDAR_FILE = CONF_DIR / "calendar" / "default.yaml"


def historical_calendar(n_steps: int | None = None, path: Path = CALENDAR_FILE) -> Calendar:
    """Japan's 2022 outreach, ASEAN statements, UN votes and UNGA backing on their dates,
    read from the default calendar config (``conf/calendar/default.yaml``, shared with
    ``experiments.run``), events sorted by date. ``n_steps`` overrides the horizon."""
    spec = yaml.safe_load(Path(path).read_text())
    events = tuple(
        Event(
            _date(e["date"]),
            e["kind"],
            e.get("country"),
            e.get("instrument"),
            float(e.get("amount", 1.0)),
            e.get("name"),
        )
        for e in spec["events"]
    )
    return Calendar(
        start=_date(spec["start"]),
        n_steps=int(n_steps or spec["n_steps"]),
        events=tuple(sorted(events, key=lambda e: e.date)),
    )


def meetings() -> dict[str, dt.date]:
    """Date of Japan's meeting with each partner (data: japan_outreach)."""
    return {str(m["with"]): _date(m["date"]) for m in load_facts()["japan_outreach"]}


def historical_config(
    params: ModelParams | None = None,
    strategy: str = "historical",
    n_steps: int | None = None,
    table: CountryTable | None = None,
) -> SimulationConfig:
    """The configuration of 2022: ten members, the historical calendar, a strategy, and
    ``params`` (default: the calibrated model parameters of the store)."""
    return SimulationConfig(
        countries=table or default_table(list(ASEAN_2022)),
        params=params or load_model_params(),
        calendar=historical_calendar(n_steps),
        strategy=strategy,
    )


def vote_step(calendar: Calendar, date: dt.date) -> int:
    """The weekly step nearest a date (the state the vote is read from)."""
    return int(math.floor((date - calendar.start).days / 7 + 0.5))


# --------------------------------------------------------------------------- votes
def vote_attributes(config: SimulationConfig, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(un_legalism, un_seat_stance) per run, ``(R, N)`` or ``(1, N)``."""
    attrs = config.countries.attributes(run_keys(seeds) if config.sample_priors else None)
    return attrs["un_legalism"], attrs["un_seat_stance"]


def predicted_votes(
    traj: Trajectories, config: SimulationConfig, resolution: Resolution, rule: VoteRule
) -> np.ndarray:
    """Per-run vote probabilities on a resolution, ``(R, N, 3)``."""
    step = vote_step(config.calendar, resolution.date)
    legalism, seat = vote_attributes(config, traj.seeds)
    return vote_probabilities(traj.stance[:, step], resolution.kind, legalism, seat, rule)


def repeat_last_vote(resolution: Resolution, history: tuple[Resolution, ...]) -> dict[str, str]:
    """Baseline: each state repeats its last vote on a resolution of the same kind; for the
    first of a kind, its last vote of any kind; before any vote, abstain."""
    earlier = [r for r in history if r.date < resolution.date]
    same = [r for r in earlier if r.kind == resolution.kind]
    source = same[-1] if same else (earlier[-1] if earlier else None)
    return {c: (source.votes[c] if source else "abstain") for c in resolution.votes}
