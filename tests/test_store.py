"""The calibrated values live in one store: conf/model/default.yaml and
conf/vote_rule/default.yaml, read by Hydra and by experiments.workflow.store."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, fields, replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from experiments.calibration.results import installed_values
from experiments.workflow import store
from experiments.workflow.errors import ConfigError
from experiments.workflow.paths import CALIBRATION_DIR, CONF_DIR, ROOT
from sim import ModelParams
from sim.votes import VoteRule

LINE = re.compile(r"^(\w+): (\S+)  # (.+); range \[(\S+), (\S+)\]; source: (.+)$")
STORES = [store.MODEL, store.VOTE_RULE]


@pytest.mark.parametrize("chosen", STORES, ids=lambda s: s.name)
def test_store_lists_every_field_with_meaning_range_and_source(chosen: store.Store) -> None:
    text = chosen.path.read_text()
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    keys = []
    for line, f in zip(lines, fields(chosen.cls), strict=True):
        m = LINE.match(line)
        assert m, line
        name, value, doc, lo, hi, source = m.groups()
        keys.append(name)
        assert (doc, source) == (f.metadata["doc"], f.metadata["source"]), name
        assert (float(lo), float(hi)) == tuple(f.metadata["range"]), name
        assert float(lo) <= float(value) <= float(hi), line
    assert keys == [f.name for f in fields(chosen.cls)]
    assert text == store.render_store(chosen, store.read_store(chosen))  # format kept


def test_loaders_read_what_hydra_composes() -> None:
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        run = compose("config")
        votes = compose("votes", overrides=["date=2022-03-24", "kind=principle"])
    assert OmegaConf.to_container(run.model) == asdict(store.load_model_params())
    assert OmegaConf.to_container(votes.model) == asdict(store.load_model_params())
    assert OmegaConf.to_container(votes.rule) == asdict(store.load_vote_rule())
    assert store.load_model_params().mandate_compliance == 0.9  # not calibrated (no UNSC mandate)


def test_store_holds_the_installed_accepted_set_and_installed_json_only_provenance() -> None:
    provenance = json.loads((CALIBRATION_DIR / "installed.json").read_text())
    assert set(provenance) == {
        "accepted_set",
        "accepted_file",
        "calibration",
        "calibration_run",
        "installed_at",
        "stores",
        "why",
    } | ({"vote_rule"} & set(provenance))
    assert provenance["stores"] == ["conf/model/default.yaml", "conf/vote_rule/default.yaml"]
    rows = pq.read_table(ROOT / provenance["accepted_file"]).to_pylist()
    row = rows[provenance["accepted_set"]]
    point = {k: v for k, v in row.items() if k.startswith(("model.", "votes."))}
    values = installed_values({"installed": {"point": point}})
    params, rule = store.load_model_params(), store.load_vote_rule()
    for name, value in values["model"].items():
        assert getattr(params, name) == value, name
    if "vote_rule" in provenance:  # the vote step's rule: noise by leave-one-out
        record = json.loads((ROOT / provenance["vote_rule"]["record"]).read_text())
        assert asdict(rule) == {k: float(f"{v:.4g}") for k, v in record["rule"].items()}
        assert rule.noise == record["noise"]
    else:
        assert asdict(rule) == values["votes"]
    summary = json.loads((ROOT / provenance["calibration"]).read_text())
    assert summary["installed"]["point"] == point  # the run's chosen point is that set


def test_write_store_changes_values_only(tmp_path: Path) -> None:
    path = tmp_path / "default.yaml"
    path.write_text(store.MODEL.path.read_text())
    store.write_store(store.MODEL, {"shock_sd": 0.123, "peer_weight": 1e-5}, path)
    before, after = store.read_store(store.MODEL), store.read_store(store.MODEL, path)
    assert after == {**before, "shock_sd": 0.123, "peer_weight": 1e-5}
    assert store.load_model_params(path).peer_weight == 1e-5
    assert path.read_text() == store.render_store(store.MODEL, after)
    with pytest.raises(ConfigError, match=r"^model\.shock_sd: must be a number in \[0\.0, 0\.3\]"):
        store.write_store(store.MODEL, {"shock_sd": 9.0}, path)
    assert store.read_store(store.MODEL, path)["shock_sd"] == 0.123  # nothing written


def test_a_store_missing_a_field_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "default.yaml"
    text = store.VOTE_RULE.path.read_text()
    path.write_text("\n".join(ln for ln in text.splitlines() if not ln.startswith("noise:")))
    with pytest.raises(ConfigError, match="noise"):
        store.load_vote_rule(path)


def test_a_parameter_not_yet_stored_runs_with_its_neutral_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """docs/ARCHITECTURE.md: a new model parameter works before a value is stored, and
    ``python -m experiments.config model`` renders a store missing it."""
    from experiments.workflow import generate

    path = tmp_path / "default.yaml"
    text = store.MODEL.path.read_text()
    path.write_text("\n".join(ln for ln in text.splitlines() if not ln.startswith("peer_weight:")))
    neutral = next(f.default for f in fields(ModelParams) if f.name == "peer_weight")
    assert store.load_model_params(path).peer_weight == neutral
    monkeypatch.setitem(store.STORES, "model", replace(store.MODEL, path=path))
    generate.main(["model"])
    assert f"peer_weight: {neutral}" in capsys.readouterr().out


def test_split_point_applies_an_accepted_set() -> None:
    sets = store.load_accepted_sets()
    params, rule = store.split_point(sets[0], store.load_model_params(), store.load_vote_rule())
    assert isinstance(params, ModelParams) and isinstance(rule, VoteRule)
    assert params.peer_weight == sets[0]["model.peer_weight"]
    assert rule.legalism_shift == sets[0]["votes.legalism_shift"]
