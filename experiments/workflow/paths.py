"""Where things live: the project root, ``conf/``, ``data/`` and the calibrated store.

Every path a config names relative to the project (``scenario_file``, ``publish_dir``,
``report`` ...) is resolved by :func:`resolve`, never against the current directory.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The project root (the folder holding ``sim/``, ``experiments/`` and ``conf/``)."""
CONF_DIR = ROOT / "conf"
DATA_DIR = ROOT / "data"
CALIBRATION_DIR = DATA_DIR / "calibration"
MODEL_STORE = CONF_DIR / "model" / "default.yaml"
"""Calibrated and documented values of every ``sim.params.ModelParams`` field."""
VOTE_RULE_STORE = CONF_DIR / "vote_rule" / "default.yaml"
"""Fitted values of every ``sim.votes.VoteRule`` field."""


def resolve(path: str | Path) -> Path:
    """``path`` as given if absolute, else relative to the project root."""
    path = Path(path)
    return path if path.is_absolute() else ROOT / path
