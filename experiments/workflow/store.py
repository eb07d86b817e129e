"""The calibrated values: one store, read here and nowhere else outside Hydra.

``conf/model/default.yaml`` holds every field of :class:`sim.params.ModelParams` and
``conf/vote_rule/default.yaml`` every field of :class:`sim.votes.VoteRule`, one line each:
``key: value  # meaning; range [lo, hi]; source: ...``. Hydra composes the same files as
the ``model`` and ``vote_rule`` groups; code without a composed config calls
:func:`load_model_params` / :func:`load_vote_rule`. Nothing relies on the dataclass
defaults. The calibration's install step rewrites the files with :func:`write_store`
(values only; the comments are rendered from the field metadata). The accepted parameter
sets of the calibration (``data/calibration/accepted.parquet``) are read by
:func:`load_accepted_sets`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from experiments.workflow import atomic, paths
from experiments.workflow.errors import ConfigError, one_line, sim_errors
from experiments.workflow.schema import ModelConf, VoteRuleConf
from sim import ModelParams
from sim.observe import check_cut_order
from sim.votes import VoteRule

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Store:
    """One store file: the sim dataclass it fills, its schema, path and header."""

    name: str  # the config group
    sim_root: str  # the key prefix of sim's messages and of the accepted sets' columns
    cls: type
    schema: type
    path: Path
    header: str


MODEL = Store(
    "model",
    "model",
    ModelParams,
    ModelConf,
    paths.MODEL_STORE,
    """\
# Model parameters: every field of sim.params.ModelParams, the one store of their values
# (Hydra's `model` group; experiments.workflow.store.load_model_params()). Format:
#   key: value  # meaning; range [lo, hi]; source: ...
# Ranges are checked by sim.params.ModelParams; a weight of 0 switches its mechanism off.
# `python -m experiments.calibrate install=true` rewrites the calibrated values; the
# comments come from the field metadata (`python -m experiments.config model`).
""",
)
VOTE_RULE = Store(
    "vote_rule",
    "votes",
    VoteRule,
    VoteRuleConf,
    paths.VOTE_RULE_STORE,
    """\
# UN vote rule: every field of sim.votes.VoteRule, the one store of their values (Hydra's
# `vote_rule` group; experiments.workflow.store.load_vote_rule()). Format:
#   key: value  # meaning; range [lo, hi]; source: ...
# `python -m experiments.calibrate` chooses `noise` by leave-one-resolution-out on ES-11/1-3
# and fits the cut points on all three at it; install=true rewrites them.
# Comments come from the field metadata (`python -m experiments.config vote_rule`).
""",
)
STORES = {s.name: s for s in (MODEL, VOTE_RULE)}


def _where(path: Path) -> str:
    try:
        return str(path.relative_to(paths.ROOT))
    except ValueError:
        return str(path)


def read_store(store: Store, path: Path | None = None) -> dict[str, float]:
    """The values of a store file, typed by its schema (every field required)."""
    path = Path(path or store.path)
    try:
        stored = OmegaConf.load(path)
        node = OmegaConf.merge(OmegaConf.structured(store.schema), stored)
        values = OmegaConf.to_container(node, throw_on_missing=True)
        missing = [f.name for f in fields(store.cls) if f.name not in stored]  # (model only)
        if missing:
            log.warning("%s: %s not stored yet, neutral default", _where(path), ", ".join(missing))
        return values  # type: ignore[return-value]
    except OSError as exc:
        raise ConfigError(_where(path), f"cannot be read ({exc.strerror})") from None
    except OmegaConfBaseException as exc:
        raise ConfigError(_where(path), one_line(exc)) from None


def _build(store: Store, values: Mapping[str, float]) -> Any:
    """The sim dataclass of a store's values (sim checks the ranges; errors name the
    config group's key, e.g. ``vote_rule.noise``)."""
    with sim_errors(store.name, sim_root=store.sim_root):
        return store.cls(**values)


def load_model_params(path: Path | None = None) -> ModelParams:
    """The calibrated model parameters: every field from ``conf/model/default.yaml``."""
    return _build(MODEL, read_store(MODEL, path))


def load_vote_rule(path: Path | None = None) -> VoteRule:
    """The fitted UN vote rule: every field from ``conf/vote_rule/default.yaml``."""
    return _build(VOTE_RULE, read_store(VOTE_RULE, path))


def check_vote_cuts(rule: VoteRule, params: ModelParams, key: str = "vote_rule") -> None:
    """The vote rule's cuts ordered against the statements' (:func:`sim.observe.
    check_cut_order`): a state naming Russia must vote yes on a resolution of principle.
    One-line ``ConfigError`` at ``<key>.principle_yes`` otherwise."""
    try:
        check_cut_order(rule.principle_yes, params.hysteresis, params.joint_drafting)
    except ValueError as exc:
        raise ConfigError(f"{key}.principle_yes", str(exc).partition(": ")[2]) from None


def _number(value: float) -> str:
    """A float as YAML reads it back exactly (shortest repr; exponent with a dot)."""
    text = repr(float(value))
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def render_store(store: Store, values: Mapping[str, float]) -> str:
    """The store file for ``values``: the header, then one documented line per field
    (``key: value  # meaning; range [lo, hi]; source: ...``), grouped by mechanism."""
    lines = [store.header.rstrip("\n")]
    mechanism = None
    for f in fields(store.cls):
        md = f.metadata
        if md.get("mechanism", mechanism) != mechanism:
            mechanism = md["mechanism"]
            lines.append(f"# --- {mechanism}")
        lo, hi = md["range"]
        lines.append(
            f"{f.name}: {_number(values[f.name])}  # {md['doc']}; range [{lo}, {hi}]; "
            f"source: {md['source']}"
        )
    return "\n".join(lines) + "\n"


def write_store(store: Store, updates: Mapping[str, float], path: Path | None = None) -> Path:
    """Rewrite a store file with some values replaced (checked by sim first)."""
    path = Path(path or store.path)
    values = {**read_store(store, path), **{k: float(v) for k, v in updates.items()}}
    _build(store, values)  # sim checks the new values before anything is written
    return atomic.write_text(path, render_store(store, values))


# --------------------------------------------------------------------------- accepted sets
def load_accepted_sets(folder: Path | None = None) -> list[dict[str, float]]:
    """The calibration's accepted parameter sets as override dicts (``model.x`` and
    ``votes.x`` keys), in the row order of ``accepted.parquet``.

    Turn one into ``(ModelParams, VoteRule)`` with :func:`split_point`; to propagate
    parameter uncertainty, cycle over the list with common seeds across the sets.
    """
    import pyarrow.parquet as pq  # imported lazily: only sweeps over accepted sets need it

    path = Path(folder or paths.CALIBRATION_DIR) / "accepted.parquet"
    if not path.exists():
        raise ConfigError("calibration", f"{path} not found; run python -m experiments.calibrate")
    table = pq.read_table(path)
    keys = [c for c in table.column_names if c.startswith(("model.", "votes."))]
    return [{k: float(row[k]) for k in keys} for row in table.select(keys).to_pylist()]


def split_point(
    point: Mapping[str, float], params: ModelParams, rule: VoteRule
) -> tuple[ModelParams, VoteRule]:
    """``params`` and ``rule`` with the values of a point (keys ``model.x`` / ``votes.x``)
    replaced. The no cuts are kept at or below the yes cuts (a sampler may draw them
    independently)."""
    model = {k[6:]: float(v) for k, v in point.items() if k.startswith("model.")}
    votes = {k[6:]: float(v) for k, v in point.items() if k.startswith("votes.")}
    merged = {**{f.name: getattr(rule, f.name) for f in fields(VoteRule)}, **votes}
    merged["principle_no"] = min(merged["principle_no"], merged["principle_yes"])
    merged["punitive_no"] = min(merged["punitive_no"], merged["punitive_yes"])
    with sim_errors():
        return replace(params, **model), VoteRule(**merged)
